// The devnet end to end, in-process: anvil, the protocol with the generated UltraHonk verifiers
// behind HonkVerifierRouter (INSECURE dev CRS), and the three nodes over libp2p on 127.0.0.1 —
// A a self-proving sequencer, B a sequencer buying its proofs by RFQ, C an independent prover
// that withholds every 2nd block it wins. The sequencers take turns (A, B, A, B, A, B; at most one
// unproven block below a proposal), so the six blocks go, deterministically:
//   t0 A self-proven, verified      t1 B bought from C, verified     t2 A self-proven, verified
//   t3 B bought from C, WITHHELD: slashed after its deadline
//   t4 A built on t3: invalidated by the slash (the reorg)
//   t5 B bought from C, built on t2 after the rewind: verified (the chain rebuilt)
// Asserted from the devnet's result and the live nodes: exact credits per block and per node
// (contract rules: prover = tip + share of the block reward, sequencer = the rest, submitter = the
// submission reward; the slashed deposit split over the invalidated blocks), every node's pending
// chain and state root rolled back to t2 and rebuilt by t5 (equal on the 3 nodes, on L1, and
// against a recomputation from genesis), and a tx's ladder up to `verified` through the API.
// The only real-proof node test: 5 single_1 proofs (t3 withheld), a few minutes on 2 cores.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorldState, toHex } from '../../../circuits/l2/index.js';
import { DEVNET_DEFAULTS, Devnet, devnetGenesis, devnetL2Keys, type BlockOutcome } from '../../../node/cli/devnet.js';

const E18 = 10n ** 18n;

test('devnet, 3 nodes: self-proven and RFQ blocks verified with exact payouts; a withheld proof is slashed, the block on it reorged, every node rolled back and rebuilt', { timeout: 20 * 60_000 }, async (t) => {
  const lines: string[] = [];
  const devnet = new Devnet({
    ...DEVNET_DEFAULTS, txPerSlot: 1, maxTxs: 1, aggregateMax: 1, nodes: 3, slots: 6, withholdEvery: 2, maxUnproven: 1, phaseBlocks: 4, provingBlocks: 90,
    timeoutSec: 1100, out: (l) => lines.push(l),
  });
  after(() => devnet.stop());
  const r = await devnet.run();
  const log = () => `\n${lines.join('\n')}\n${JSON.stringify(r)}`;
  t.diagnostic(`devnet: ${JSON.stringify({ durationMs: r.durationMs, slotToVerifiedMs: r.slotToVerifiedMs, provingWindowUsed: r.provingWindowUsed, submitKnownToSentMs: r.submitKnownToSentMs, peakRssMB: r.peakRssMB })}`);
  assert.doesNotThrow(() => JSON.stringify(r), 'the result is the one JSON line `--slots N` prints (no bigints)');
  assert.equal(r.realProofs, true);
  assert.match(r.l1Verifier, /^honk-router/);

  // ---- the six blocks, in order
  const expected: [string, BlockOutcome['path'], string, string][] = [
    ['A', 'self', 'A', 'proven'], ['B', 'rfq', 'C', 'proven'], ['A', 'self', 'A', 'proven'],
    ['B', 'rfq', 'C', 'slashed'], ['A', 'self', 'A', 'invalidated'], ['B', 'rfq', 'C', 'proven'],
  ];
  assert.deepEqual(r.blocks.map((b) => [b.sequencer, b.path, b.prover, b.status]), expected, log());
  const [t0, t1, t2, t3, t4, t5] = r.blocks;
  assert.equal(r.verified, 4);
  assert.equal(r.slashed, 1);
  assert.equal(r.invalidated, 1);
  assert.equal(r.slotToVerifiedMs.length, 4);

  // ---- credits of the verified blocks (devnet: tip 1 token, prover share 20%; deposit = the minimum)
  const blockReward = BigInt(r.payouts.blockReward);
  const submissionReward = BigInt(r.payouts.submissionReward);
  const share = (blockReward * 2000n) / 10000n;
  const minDeposit = 100n * E18;
  for (const b of [t0, t1, t2, t5]) {
    assert.equal(BigInt(b.tip), E18);
    assert.equal(b.rewardShareBps, 2000);
    assert.equal(BigInt(b.proverReward!), E18 + share, `slot ${b.slot}: prover = tip + 20% of the block reward`);
    assert.equal(BigInt(b.sequencerReward!), blockReward - share, `slot ${b.slot}: sequencer = the rest of the block reward`);
    assert.equal(BigInt(b.submissionReward!), submissionReward);
    assert.equal(BigInt(b.deposit!), minDeposit);
    assert.equal(b.recipient, b.prover, `slot ${b.slot}: the proof names its prover as the reward recipient`);
  }
  for (const b of [t0, t2, t4]) assert.equal(b.proverFunded, false, 'self-proving: the sequencer funds the deposit');
  for (const b of [t1, t3, t5]) {
    assert.equal(b.proverFunded, true, 'RFQ: the prover funds the deposit (its quote says so)');
    assert.equal(BigInt(b.quoteFee!), E18 / 10n, `slot ${b.slot}: C's quote is its base fee (nothing else in flight), within the tip`);
  }
  assert.equal(r.payoutsByPath.self.blocks, 2);
  assert.equal(r.payoutsByPath.rfq.blocks, 2);
  assert.equal(BigInt(r.payoutsByPath.rfq.prover), 2n * (E18 + share));
  assert.equal(BigInt(r.payoutsByPath.self.sequencer), 2n * (blockReward - share));

  // ---- the slash: C's deposit: the slasher's bounty, the burn to the reward pool, the rest to the
  // sequencer of the one block built on t3 (it joined the chain before t3's deadline)
  const bounty = (minDeposit * BigInt(r.payouts.slashBountyBps)) / 10000n;
  const burn = (minDeposit * BigInt(r.payouts.slashBurnBps)) / 10000n;
  assert.ok(burn > 0n && bounty > 0n, 'the devnet deploys with a burn and a bounty');
  assert.equal(r.slashes.length, 1);
  const sl = r.slashes[0];
  assert.ok(['A', 'B', 'C'].includes(sl.slasher), `a watcher slashed (${sl.slasher})`);
  assert.deepEqual({ ...sl, slasher: undefined }, {
    slot: t3.slot, prover: 'C', slasher: undefined, deposit: String(minDeposit), invalidatedBlocks: 1, sharedBlocks: 1,
    sharePerBlock: String(minDeposit - bounty - burn), toPool: String(burn), bounty: String(bounty),
  });
  assert.equal(BigInt(t4.invalidatedShare!), minDeposit - bounty - burn);
  assert.ok(t4.slot > t3.slot && t5.slot > t4.slot);

  // ---- each node's token gain, by the contract's rules from the per-block records: tips are paid
  // at proposal and deposits at commitment; a proven block credits prover, sequencer, submitter
  // and returns the deposit; an invalidated one refunds tip and deposit plus the slash share; a
  // slashed one refunds only the tip
  const gain: Record<string, bigint> = { A: 0n, B: 0n, C: 0n };
  for (const b of r.blocks) {
    const depositor = b.proverFunded ? b.prover! : b.sequencer;
    gain[b.sequencer] -= BigInt(b.tip);
    gain[depositor] -= BigInt(b.deposit!);
    if (b.status === 'proven') {
      gain[b.prover!] += BigInt(b.proverReward!);
      gain[b.sequencer] += BigInt(b.sequencerReward!);
      gain[b.recipient!] += BigInt(b.submissionReward!);
      gain[depositor] += BigInt(b.deposit!);
    } else if (b.status === 'invalidated') {
      gain[b.sequencer] += BigInt(b.tip) + BigInt(b.invalidatedShare!);
      gain[depositor] += BigInt(b.deposit!);
    } else if (b.status === 'slashed') {
      gain[b.sequencer] += BigInt(b.tip);
    }
  }
  gain[sl.slasher] += bounty;
  for (const k of ['A', 'B', 'C']) assert.equal(BigInt(r.payouts[`node${k}Gain`]), gain[k], `node ${k}'s token gain (withdrawn credits - tips - deposits)`);
  assert.equal(gain.A + gain.B + gain.C, 4n * (blockReward + submissionReward) - burn, 'the nodes together gain the rewards of the 4 verified blocks, less the burn');
  assert.ok(gain.C < 0n, 'C lost its slashed deposit');

  // ---- the reorg: every node rolled its pending chain and state back to t2 ...
  for (const n of ['A', 'B', 'C']) {
    const rw = r.rewinds.filter((x) => x.node === n);
    assert.equal(rw.length, 1, `node ${n} rewound once ${log()}`);
    assert.equal(rw[0].lastProvenSlot, t2.slot);
    assert.equal(rw[0].provenSlot, t2.slot);
    assert.equal(rw[0].pendingSlot, t2.slot, `node ${n}: the pending chain is back at the last proven block`);
    assert.equal(rw[0].pendingRoot, t2.endRoot, `node ${n}: the pending state root is t2's end root again`);
    assert.equal(rw[0].provenRoot, t2.endRoot);
  }
  // ... and the chain was rebuilt on it: t5 builds on t2's end state
  const a = devnet.nodes[0].node;
  const c5 = await a.chain.block(t5.slot);
  assert.equal(c5?.parentSlot, t2.slot);
  assert.equal(c5!.revealed!.startRoot.toLowerCase(), t2.endRoot);
  // the same heads on the three nodes, on L1, and as recomputed from genesis with the verified blocks' txs
  for (const n of ['A', 'B', 'C']) {
    assert.deepEqual(r.heads[n], { pendingSlot: t5.slot, pendingRoot: t5.endRoot, provenSlot: t5.slot, provenRoot: t5.endRoot }, `node ${n}'s heads`);
  }
  assert.deepEqual(r.l1, { lastProvenSlot: t5.slot, provenRoot: t5.endRoot });
  const state = await WorldState.create(devnetGenesis(devnetL2Keys(DEVNET_DEFAULTS.l2Accounts)));
  for (const b of [t0, t1, t2, t5]) {
    for (const tx of (await a.chain.blockTxs(b.blockHash))!) state.applyTx(tx);
    assert.equal(toHex(state.root()).toLowerCase(), b.endRoot, `recomputed end root of slot ${b.slot}`);
  }
  assert.deepEqual((await a.chain.provenChain()).map((x) => x.slot), [t0.slot, t1.slot, t2.slot, t5.slot]);

  // ---- the status ladder through the API: a tx of t0 reached verified; the txs of t3 and t4 were reorged
  const txOf = async (node: number, h: string) => {
    const res = await fetch(`${devnet.nodes[node].node.api!.url}/txs/${h}`);
    assert.equal(res.status, 200);
    return (await res.json()) as { status: string; at: Record<string, number> };
  };
  assert.ok(t0.txHashes.length >= 1, 'the tx generator fed t0');
  for (const h of t0.txHashes) {
    const s = await txOf(0, h);
    for (const k of ['pending', 'proposed', 'revealed', 'committed', 'published', 'verified']) assert.ok(s.at[k] !== undefined, `${k} recorded: ${JSON.stringify(s)}`);
  }
  for (const h of t1.txHashes) assert.ok((await txOf(2, h)).at.verified !== undefined, 'C (the prover, not the sequencer) sees t1\'s tx verified');
  for (const h of [...t3.txHashes, ...t4.txHashes]) assert.ok((await txOf(1, h)).at.reorged !== undefined, `a tx of a slashed/invalidated block is reorged: ${h}`);
  assert.ok(r.txsVerified >= 1);
  assert.ok(lines.some((l) => /SLASHED/.test(l)) && lines.some((l) => /chain rewound to slot/.test(l)), 'the live lines show the slash and the reorg');
});
