// `sidecar simulate` on a real anvil with the real Sidecar contract (node/sim/run.ts): a small
// scenario's figures are the same for a seed; a withholding scenario ends in exactly the slashes
// the contract's BlockSlashed events say; the actors price with the node's own P&L function
// (node/roles/pnl.ts), so changing a pricing parameter moves the clearing price by what that
// function says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interface, JsonRpcProvider, type InterfaceAbi } from 'ethers';
import { protocolAbis } from '../../../node/l1/client.js';
import { SIM_ANVIL_ARGS, runSimulation, type SimFigures } from '../../../node/sim/run.js';
import { parseScenario, withPath } from '../../../node/sim/scenario.js';
import { useAnvil } from '../../helpers/anvil.js';

const small = parseScenario({
  name: 'small', slots: 8,
  protocol: { proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 12, submissionBlocks: 3 },
  sequencers: { count: 3, proposersPerSlot: 2, tip: 10, maxTxs: 16 },
  demand: { txPerSlot: 8 },
  provers: [
    { name: 'a', count: 4, hardware: 'workstation', baseFee: 0.05 },
    { name: 'b', count: 3, hardware: 'laptop', baseFee: 0.03, costPerCoreHour: 0.2 },
  ],
});

/** Everything but the wall-clock figures. */
function stable(f: SimFigures): unknown {
  const { wallMs: _w, setupMs: _s, l1, ...rest } = f;
  const { rpc: _r, ...l1rest } = l1;
  return { ...rest, l1: l1rest };
}

test('the same seed gives the same figures, event for event', async () => {
  const a = await runSimulation(withPath(small, 'seed', 5));
  const b = await runSimulation(withPath(small, 'seed', 5));
  assert.deepEqual(stable(a), stable(b));
  assert.equal(a.slots, 8);
  assert.equal(a.provers, 7);
  assert.ok(a.liveness > 0 && a.liveness <= 1, `liveness ${a.liveness}`);
  assert.equal(a.provenSlots, a.livenessBySlot.filter((x) => x === 1).length);
  assert.ok(a.l1.txs > 8 * 3, `L1 txs ${a.l1.txs}`);
});

test('withholding provers: the figures hold exactly the slashes the contract emitted', async () => {
  const anvil = await useAnvil({ accounts: 2, args: SIM_ANVIL_ARGS });
  const sc = withPath(withPath(small, 'provers', [
    { name: 'withholders', count: 2, hardware: 'workstation', baseFee: 0.01, costPerCoreHour: 0.1, slashRiskBps: 0, withholdRate: 1 },
    { name: 'honest', count: 3, hardware: 'workstation', baseFee: 0.05 },
  ]), 'slots', 10);
  const f = await runSimulation(sc, { anvil });
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true });
  try {
    const iface = new Interface(protocolAbis().sidecar as InterfaceAbi);
    const logs = await provider.getLogs({ address: f.l1.sidecar, fromBlock: 0, toBlock: 'latest' });
    const events = logs.map((l) => ({ l, ev: iface.parseLog({ topics: [...l.topics], data: l.data }) }));
    const slashed = events.filter((x) => x.ev?.name === 'BlockSlashed').map(({ l, ev }) => ({
      slot: Number(ev!.args[0]), prover: String(ev!.args[1]), amount: Number(ev!.args[2] / 10n ** 12n) / 1e6, invalidated: Number(ev!.args[3]), l1Block: l.blockNumber,
    }));
    assert.ok(slashed.length >= 1, 'the withholders were slashed');
    assert.deepEqual(f.slashes.map((s) => ({ slot: s.slot, prover: s.prover, amount: s.amount, invalidated: s.invalidated, l1Block: s.l1Block })), slashed);
    assert.equal(f.reorgs.count, slashed.length);
    assert.equal(f.tokens.slashed, slashed.reduce((a, s) => a + s.amount, 0));
    const proven = events.filter((x) => x.ev?.name === 'BlockProven' && Number(x.ev.args[0]) <= sc.slots).length;
    assert.equal(f.provenSlots, proven);
    assert.ok(f.liveness < 1, `liveness ${f.liveness}`);
  } finally {
    provider.destroy();
  }
});

test('the provers price with the node\'s P&L: a higher slash-risk prior raises the clearing price by deposit x the difference', async () => {
  const at = (bps: number) => withPath(withPath(small, 'provers', small.provers.map((g) => ({ ...g, slashRiskBps: bps }))), 'seed', 3);
  const low = await runSimulation(at(10));
  const mid = await runSimulation(at(500));
  // break-even (node/roles/pnl.ts breakevenTip) includes deposit x slashRiskBps / 10^4: 100 x 490 / 10^4 tokens more
  assert.ok(low.clearingPrice.n > 0 && mid.clearingPrice.n > 0);
  assert.equal(Math.round((mid.clearingPrice.p50 - low.clearingPrice.p50) * 1e4) / 1e4, 4.9);
  // above the tip (100 x 20% = 20 tokens of risk): no quote is acceptable, the sequencers self-prove
  const high = await runSimulation(at(2000));
  assert.equal(high.clearingPrice.n, 0);
  assert.equal(high.selfProved, high.provenSlots);
  assert.ok(high.provenSlots > 0);
});
