// The prover's P&L function (node/roles/pnl.ts): each term, the break-even tip a quote asks at
// least, and a realised slash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PnlBook, blockPnl, breakevenTip, type PnlPrices } from '../../../../node/roles/pnl.js';

const E18 = 10n ** 18n;
const prices: PnlPrices = { costPerCoreHour: 36n * E18 / 100n, tokensPerEth: 2000n * E18, capitalBpsPerYear: 500, slashRiskBps: 100, submitGas: 3_000_000n };
const terms = { tip: E18, share: 2n * E18, deposit: 100n * E18, provingMs: 60_000, cores: 2, lockedMs: 3_600_000, gasPriceWei: 10n ** 9n };

test('expected profit: revenue minus proving, gas, capital and slash risk, each as computed by hand', () => {
  const x = blockPnl(terms, prices);
  assert.equal(x.revenue, 3n * E18);
  assert.equal(x.provingCost, 12n * E18 / 1000n, '2 core-minutes at 0.36 per core-hour = 0.012');
  assert.equal(x.gasCost, 6n * E18, '3M gas x 1 gwei = 0.003 ETH x 2000');
  assert.equal(x.capitalCost, 100n * E18 * 500n * 3_600_000n / (10_000n * 365n * 24n * 3_600_000n), '100 tokens for one hour at 5 %/year');
  assert.equal(x.slashRisk, E18, '1 % of the deposit');
  assert.equal(x.profit, x.revenue - x.provingCost - x.gasCost - x.capitalCost - x.slashRisk);
  assert.ok(x.profit < 0n, 'this block loses money at 1 gwei and 2000 tokens/ETH');
});

test('the break-even tip makes the expected profit exactly zero; no tip is asked when the share covers the costs', () => {
  const tip = breakevenTip(terms, prices);
  assert.equal(blockPnl({ ...terms, tip }, prices).profit, 0n);
  assert.equal(breakevenTip({ ...terms, share: 100n * E18 }, prices), 0n);
});

test('realised: no slash risk; a slash loses the deposit; the book keeps both per block, bounded', () => {
  const ok = blockPnl({ ...terms, gasUsed: 2_500_000n }, prices, { slashed: false });
  assert.equal(ok.slashRisk, 0n);
  assert.equal(ok.gasCost, 5n * E18);
  const lost = blockPnl(terms, prices, { slashed: true });
  assert.equal(lost.revenue, -100n * E18);
  const book = new PnlBook(2);
  book.expected(1, '0xAA', blockPnl(terms, prices));
  book.realised(1, '0xaa', ok, 'proven');
  book.expected(2, '0xbb', blockPnl(terms, prices));
  book.expected(3, '0xcc', blockPnl(terms, prices));
  assert.deepEqual(book.all().map((e) => e.slot), [2, 3], 'the oldest dropped');
  assert.equal(book.get('0xBB')?.expected?.revenue, String(3n * E18));
});
