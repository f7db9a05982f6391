// The roles' pure decisions (node/roles/decisions.ts), shared by the node and `sidecar simulate`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptableQuotes, fitsInTime, largestFitting, quoteFee, quoteRefusal, slashDue, submitDecision } from '../../../../node/roles/decisions.js';

const q = (prover: string, fee: bigint, o: Partial<{ sequencer: string; deposit: bigint; proverFundsDeposit: boolean; validUntilBlock: bigint }> = {}) => ({
  quote: { sequencer: o.sequencer ?? 'S', prover, fee, deposit: o.deposit ?? 100n, proverFundsDeposit: o.proverFundsDeposit ?? true, validUntilBlock: o.validUntilBlock ?? 50n },
});

test('acceptableQuotes: terms and funding filter, cheapest first, ties keep arrival order', () => {
  const got = [q('a', 5n), q('b', 3n), q('c', 3n), q('d', 11n), q('e', 1n, { deposit: 99n }), q('f', 1n, { proverFundsDeposit: false }), q('g', 1n, { validUntilBlock: 40n }), q('h', 2n), q('i', 1n, { sequencer: 'T' })];
  const terms = { sequencer: 's', tip: 10n, minDeposit: 100n, head: 40 };
  const ok = acceptableQuotes(got, terms, (x) => x.quote.prover !== 'h');
  assert.deepEqual(ok.map((x) => x.quote.prover), ['b', 'c', 'a']);
  assert.equal(quoteRefusal(got[3].quote, terms), 'fee above the tip');
  assert.equal(quoteRefusal(got[6].quote, terms), 'expired');
  assert.equal(quoteRefusal(got[8].quote, terms), 'names another sequencer');
});

test('quoteFee: the base fee per block in flight, never below break-even', () => {
  assert.equal(quoteFee(5n, 0), 5n);
  assert.equal(quoteFee(5n, 2), 15n);
  assert.equal(quoteFee(5n, 2, 40n), 40n);
  assert.equal(quoteFee(5n, 2, 10n), 15n);
});

test('fitsInTime and largestFitting: the 20% margin, blocks in flight wait', () => {
  assert.equal(fitsInTime({ proveMs: 800, active: 0, deadline: 12, head: 0, blockMs: 100 }).ok, true); // 800 <= 0.8 x 1000
  assert.equal(fitsInTime({ proveMs: 801, active: 0, deadline: 12, head: 0, blockMs: 100 }).ok, false);
  assert.equal(fitsInTime({ proveMs: 400, active: 1, deadline: 12, head: 0, blockMs: 100 }).ok, true);
  assert.equal(fitsInTime({ proveMs: 400, active: 2, deadline: 12, head: 0, blockMs: 100 }).ok, false);
  assert.equal(largestFitting(32, (n) => n * 10 <= 125), 12);
  assert.equal(largestFitting(32, () => true), 32);
  assert.equal(largestFitting(32, () => false), 0);
  // fits need not be monotone (a bigger block's plan can be cheaper): a size that does not fit caps every size above it
  assert.equal(largestFitting(32, (n) => n !== 5), 4);
  assert.equal(largestFitting(32, (n) => n <= 8 || n >= 20), 8);
  assert.equal(largestFitting(0, () => true), 0);
});

test('submitDecision and slashDue: the proof window and the deadline are exclusive; others\' proofs only as a rescue, never in the prover\'s window', () => {
  const base = { pending: true, parentSlot: 3, lastProvenSlot: 3, proofsFrom: 10, deadline: 20, exclusiveUntil: 14, recipient: 'p', me: 'p', prover: 'p', rescueBlocks: 3 };
  assert.deepEqual(submitDecision({ ...base, head: 8 }), { submit: false, why: 'too-early' });
  assert.deepEqual(submitDecision({ ...base, head: 9 }), { submit: true });
  assert.deepEqual(submitDecision({ ...base, head: 18 }), { submit: true });
  assert.deepEqual(submitDecision({ ...base, head: 19 }), { submit: false, why: 'too-late' });
  assert.deepEqual(submitDecision({ ...base, head: 12, lastProvenSlot: 2 }), { submit: false, why: 'parent-unproven' });
  assert.deepEqual(submitDecision({ ...base, head: 12, pending: false }), { submit: false, why: 'not-pending' });
  // a proof naming the prover, held by another node: only in the last rescueBlocks before the deadline
  assert.deepEqual(submitDecision({ ...base, head: 15, me: 'x' }), { submit: false, why: 'not-mine-yet' });
  assert.deepEqual(submitDecision({ ...base, head: 16, me: 'x' }), { submit: true });
  // a proof naming someone else than the committed prover: never inside its exclusive window
  assert.deepEqual(submitDecision({ ...base, head: 12, recipient: 'x', me: 'x' }), { submit: false, why: 'prover-exclusive' });
  assert.deepEqual(submitDecision({ ...base, head: 13, recipient: 'x', me: 'x' }), { submit: true });
  assert.equal(slashDue({ head: 18, deadline: 20, pending: true }), false);
  assert.equal(slashDue({ head: 19, deadline: 20, pending: true }), true);
  assert.equal(slashDue({ head: 19, deadline: 20, pending: false }), false);
});

// ---------------------------------------------------------------- aggregate or submit alone
import { aggregateDecision, fallbackDue, type AggregateInput } from '../../../../node/roles/decisions.js';

const agg = (o: Partial<AggregateInput> = {}): AggregateInput => ({
  head: 100, blockMs: 1000,
  blocks: [{ slot: 10, deadline: 300, proofEtaMs: 0 }, { slot: 11, deadline: 310, proofEtaMs: 0 }, { slot: 12, deadline: 320, proofEtaMs: 5_000 }, { slot: 13, deadline: 330, proofEtaMs: 10_000 }],
  aggregateMax: 4, sizes: [2, 4],
  rangeMs: (n) => (n === 2 ? 40_000 : 80_000),
  gasAlone: 2_300_000n, gasRange: (n) => 2_500_000n + BigInt(n) * 50_000n,
  gasPriceWei: 10n ** 9n, atStakeWei: 0n,
  ...o,
});

test('aggregateDecision: the largest range that fits before the first deadline, with its saving', () => {
  const d = aggregateDecision(agg());
  assert.equal(d.action, 'aggregate');
  assert.equal(d.n, 4);
  assert.equal(d.why, 'fits');
  assert.equal(d.readyInMs, 10_000 + 80_000, 'the last block\'s own proof, then the range');
  assert.equal(d.savedGas, 4n * 2_300_000n - 2_700_000n);
  assert.equal(d.latestBlock, 300 - 1 - 2);
});

test('aggregateDecision: aggregateMax 1 (or below the smallest range) disables aggregation', () => {
  assert.deepEqual(aggregateDecision(agg({ aggregateMax: 1 })), { action: 'alone', n: 1, why: 'disabled' });
  assert.equal(aggregateDecision(agg({ aggregateMax: 3 })).n, 2, 'aggregateMax 3: ranges of 2 only');
});

test('aggregateDecision: never waits past what the deadline allows; the fallback is landed instead', () => {
  // 4 blocks need 90 s x 1.5 = 135 blocks: too late for a deadline 100 blocks away; 2 blocks (40 s x 1.5 = 60) fit
  const near = agg({ blocks: agg().blocks.map((b) => ({ ...b, deadline: b.deadline - 100 })) });
  const d = aggregateDecision(near);
  assert.equal(d.action, 'aggregate');
  assert.equal(d.n, 2);
  // nothing fits: alone, and why
  const late = aggregateDecision(agg({ head: 250 }));
  assert.deepEqual([late.action, late.why], ['alone', 'would-miss-deadline']);
  // exactly at the margin: ready by deadline - 1 - submitBlocks is fine, one block later is not
  const exact = agg({ blocks: agg().blocks.slice(0, 2), rangeMs: () => 20_000, safety: 1, head: 100 });
  exact.blocks = [{ slot: 10, deadline: 100 + 20 + 3, proofEtaMs: 0 }, { slot: 11, deadline: 300, proofEtaMs: 0 }];
  assert.equal(aggregateDecision(exact).action, 'aggregate');
  exact.blocks = [{ slot: 10, deadline: 100 + 20 + 2, proofEtaMs: 0 }, { slot: 11, deadline: 300, proofEtaMs: 0 }];
  assert.equal(aggregateDecision(exact).action, 'alone');
  assert.equal(fallbackDue({ head: 100, deadline: 104 }), true, 'the tx lands at 101 = deadline - 1 - 2');
  assert.equal(fallbackDue({ head: 99, deadline: 104 }), false);
});

test('aggregateDecision: no next block of this node, or no gas saved: alone', () => {
  assert.deepEqual(aggregateDecision(agg({ blocks: agg().blocks.slice(0, 1) })).why, 'no-next-block');
  const notMine = agg({ blocks: [agg().blocks[0], { ...agg().blocks[1], proofEtaMs: undefined }] });
  assert.deepEqual([aggregateDecision(notMine).action, aggregateDecision(notMine).why], ['alone', 'not-mine']);
  const dear = aggregateDecision(agg({ gasRange: (n) => BigInt(n) * 2_300_000n }));
  assert.deepEqual([dear.action, dear.why], ['alone', 'no-saving']);
});

test('aggregateDecision: a large stake against a small saving doubles the margin', () => {
  const base = agg({ blocks: agg().blocks.slice(0, 2), rangeMs: () => 40_000, head: 100 });
  base.blocks = [{ slot: 10, deadline: 100 + 3 + 61, proofEtaMs: 0 }, { slot: 11, deadline: 300, proofEtaMs: 0 }];
  assert.equal(aggregateDecision(base).action, 'aggregate', '60 blocks needed, 61 left');
  const staked = { ...base, atStakeWei: 10n ** 30n };
  assert.deepEqual([aggregateDecision(staked).action, aggregateDecision(staked).why], ['alone', 'would-miss-deadline'], '120 blocks needed with the stake');
});
