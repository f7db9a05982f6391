// Two consecutive one-tx blocks proposed, revealed and committed on anvil, each proven alone
// (single_1, L1 flavour: the fallback) through the node's prover, then aggregated into ONE range
// proof (prover/range.ts: each block's single_1 again in the recursive flavour, then range_2 in
// the L1 flavour), verified by bb and landed with Sidecar.submitProofRange(s1, s2, ...) through
// the generated HonkVerifier_range_2 behind HonkVerifierRouter: both blocks Proven, the recipient
// credited one submission reward per block, as if each had been proven alone. A second
// submission of the range is refused with BlockNotPending before the verifier runs. Merges that
// must fail, fail at witness execution (ACVM, no proof): children swapped / repeated (not
// adjacent, slot order), another recipient, a vk range_2 does not pin.
// Real proofs (INSECURE dev CRS): 2 x single_1 L1 + 2 x single_1 recursive (2^17) + range_2 (2^21).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProvingBackend } from '../../../circuits/backend/prover.js';
import { routerProof } from '../../../circuits/backend/verifier.js';
import { WitnessError } from '../../../circuits/witness.js';
import { Prover, rangePlan, rollupPlan } from '../../../prover/index.js';
import { recursiveRootId } from '../../../prover/range.js';
import type { JobResult } from '../../../prover/types.js';
import { blockHash } from '../../../node/l1/block.js';
import { L1Error } from '../../../node/l1/client.js';
import { useProtocol } from '../../helpers/protocol.js';
import { makeL2 } from '../../helpers/l2.js';
import { Store } from '../../../node/storage/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const E18 = 10n ** 18n;
const params = {
  proposalBlocks: 4, revealBlocks: 4, commitBlocks: 4, provingBlocks: 400, submissionBlocks: 8,
  earlyProofs: true, reorgWindow: 8, minStake: 1000n * E18, activationDelay: 1, exitDelay: 16,
  minProverDeposit: 100n * E18, blockReward: 10n * E18, submissionReward: 1n * E18,
};

test('a range of two blocks: one range_2 proof verified on L1 settles both; failing merges fail', { timeout: 1_800_000 }, async () => {
  const t0 = Date.now();
  const l2 = await makeL2(2);
  const fx = await useProtocol({ accounts: 4, params: { ...params, genesisRoot: l2.genesisRoot }, honkCircuits: ['single_1', 'range_2'] });
  const [admin, seq, proverC, lander] = fx.clients;
  const P = await proverC.address();
  const R = (await lander.address()).toLowerCase(); // the recipient both proofs name (not the sequencer, not the prover)
  const tmp = mkdtempSync(path.join(tmpdir(), 'sidecar-range-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  await seq.stake(params.minStake);
  await fx.mine(2);
  const s1 = (await admin.currentSlot()) + 1n;
  const s2 = s1 + 1n;
  const pre1 = l2.state.clone();
  const b1 = l2.buildBlock(s1, 1);
  const pre2 = l2.state.clone();
  const b2 = l2.buildBlock(s2, 1);
  for (const [s, b] of [[s1, b1], [s2, b2]] as const) {
    await fx.nextTxAt(s, 'proposalStart');
    await seq.propose(s, b, 2n * E18, 1000);
    await fx.nextTxAt(s, 'revealStart');
    await seq.reveal(b);
    await fx.nextTxAt(s, 'commitStart');
    await seq.commitProver(s, P, params.minProverDeposit);
  }
  await fx.nextTxAt(s2, 'commitEnd');
  await fx.mine(1);
  assert.equal(await admin.blockStatus(s2), 'Pending');

  const store = await Store.open(path.join(tmp, 'db'));
  after(() => store.close());
  const prover = await Prover.start({ workers: 2, threads: 1, crs: { dev: true }, store });
  after(() => prover.close());
  const blocks = [
    { blockHash: blockHash(b1), slot: s1, preState: pre1, txs: b1.signed, recipient: R },
    { blockHash: blockHash(b2), slot: s2, preState: pre2, txs: b2.signed, recipient: R },
  ];
  const tSetup = Date.now();
  // each block alone first (what the node always has: the fallback)
  const alone = await Promise.all(blocks.map((b) => prover.proveBlock(b)));
  assert.deepEqual(alone.map((p) => p.circuit), ['single_1', 'single_1']);
  const tAlone = Date.now();
  const range = await prover.proveRange(blocks, R);
  const tRange = Date.now();
  assert.equal(range.circuit, 'range_2');
  const expected = await admin.publicInputs(s1, s2, R);
  assert.equal(expected.length, 9, '4 per block + the recipient');
  assert.deepEqual(range.publicInputs.map(BigInt), expected.map(BigInt), 'the range proof binds what the contract computes from its own records');
  assert.equal(await prover.verify(range), true, 'bb verifies the range_2 proof');
  process.stdout.write(`# range test: setup ${tSetup - t0} ms, two single_1 ${tAlone - tSetup} ms, range (2 recursive single_1 + range_2) ${tRange - tAlone} ms\n`);

  // L1: one verification settles both blocks, credited as if each had been proven alone
  const credit = await admin.creditOf(R);
  const sent = await lander.submitProofRange(s1, s2, R, routerProof({ circuit: range.circuit, proof: range.proof, flavour: 'l1' }));
  process.stdout.write(`# submitProofRange(2 blocks, range_2) gas: ${sent.gasUsed}\n`);
  assert.equal(await admin.blockStatus(s1), 'Proven');
  assert.equal(await admin.blockStatus(s2), 'Proven');
  assert.equal((await admin.chainState()).lastProvenSlot, s2);
  assert.equal(await admin.creditOf(R), credit + 2n * params.submissionReward, 'one submission reward per block');
  // the range's first block is no longer pending: refused before the verifier runs
  await assert.rejects(lander.submitProofRange(s1, s2, R, routerProof({ circuit: range.circuit, proof: range.proof, flavour: 'l1' })),
    (e: unknown) => e instanceof L1Error && e.code === 'BlockNotPending');

  // merges that must fail: at witness execution, with the real children's vks and proofs
  const plans = blocks.map((b) => rollupPlan(b, prover.costModel()));
  const kids: JobResult[] = [];
  for (const p of plans) kids.push((await prover.jobs!.getResult(recursiveRootId(p.root)))!);
  assert.ok(kids.every((k) => k?.proofFields && k.vkFields), 'the recursive block proofs are in the store');
  const rp = rangePlan(plans, R, prover.costModel());
  assert.equal(rp.jobs.length, 3, 'two recursive block tops and range_2 (the blocks\' L1 tops are not part of the range)');
  const backend = await ProvingBackend.create({ crs: { dev: true } });
  after(() => backend.destroy());
  const c = await backend.circuit('range_2');
  const child = (k: JobResult, recipient = k.publicInputs[4], vk = k.vkFields!) => ({ blocks: [k.publicInputs.slice(0, 4)], recipient, vk, proof: k.proofFields });
  const inputs = (left: unknown, right: unknown, blocksPi = expected.slice(0, 8)) => ({ blocks: [blocksPi.slice(0, 4), blocksPi.slice(4, 8)], recipient: expected[8], left, right });
  await backend.execute(c, inputs(child(kids[0]), child(kids[1])) as never);
  const fails = async (why: string, i: Record<string, unknown>, msg: RegExp) => {
    await assert.rejects(backend.execute(c, i as never), (e: unknown) => e instanceof WitnessError && msg.test(e.message), why);
  };
  await fails('children swapped', inputs(child(kids[1]), child(kids[0]), [...expected.slice(4, 8), ...expected.slice(0, 4)]), /not adjacent|slot order/);
  await fails('a block repeated', inputs(child(kids[0]), child(kids[0]), [...expected.slice(0, 4), ...expected.slice(0, 4)]), /not adjacent|slot order/);
  const other = `0x${'00'.repeat(31)}b2`;
  await fails('another recipient', inputs(child(kids[0]), child(kids[1], other)), /names another recipient/);
  const badVk = [...kids[1].vkFields!];
  badVk[20] = `0x${(BigInt(badVk[20]) ^ 1n).toString(16).padStart(64, '0')}`;
  await fails('a vk range_2 does not pin', inputs(child(kids[0]), child(kids[1], undefined, badVk)), /not made by an accepted circuit/);
  await fails('public inputs that are not the children\'s', inputs(child(kids[0]), child(kids[1]), [...expected.slice(0, 4), ...expected.slice(0, 4)]), /do not match its children/);
  process.stdout.write(`# range test total ${Date.now() - t0} ms\n`);
});
