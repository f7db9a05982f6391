// Witness-level tests of the segment circuits (fast: no proving): valid blocks execute,
// invalid txs fail with a readable error naming the tx, a chain carries roots and the txs
// tree, and a segment whose start root is not the previous end root cannot be executed.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCircuit, type CompiledCircuit } from '../../../circuits/build.js';
import { executeSegment, WitnessError } from '../../../circuits/witness.js';
import { blockWitness, planBlock, segmentInputs, costModelFrom, type ProofPlan } from '../../../circuits/plan.js';
import { WorldState, generateKeyPair, signTx, toHex, TxValidationError, type KeyPair, type SignedTx } from '../../../circuits/l2/index.js';

let keys: KeyPair[];
let genesis: WorldState;
const circuits: Record<string, CompiledCircuit> = {};

before(async () => {
  keys = Array.from({ length: 4 }, (_, i) => generateKeyPair(new Uint8Array([42, i])));
  genesis = await WorldState.create(keys.map((k, i) => ({ index: i * 1000 + 3, publicKey: k.publicKey, balance: 1_000_000n })));
  for (const n of ['single_8', 'first_32', 'rec_8']) circuits[n] = await loadCircuit(n);
});

const idx = (i: number) => i * 1000 + 3;

/** n valid transfers round-robin between the genesis accounts. */
function transfers(n: number): SignedTx[] {
  const nonces = [0, 0, 0, 0];
  return Array.from({ length: n }, (_, i) => {
    const from = i % 4, to = (i * 3 + 1) % 4;
    return signTx({ from: idx(from), to: idx(to), amount: BigInt(10 + i), nonce: nonces[from]++ }, keys[from].secretKey);
  });
}

function singleInputs(txs: SignedTx[]) {
  const block = blockWitness(genesis, 7n, txs, { validate: false });
  const plan = planBlock({ blockHash: '0x' + 'ab'.repeat(32), slot: 7n, txCount: txs.length }, costModelFrom([circuits.single_8]));
  return { block, plan, ...segmentInputs(plan, plan.jobs[0], block) };
}

async function expectWitnessError(txs: SignedTx[], txIndex: number, reason: string) {
  const { inputs } = singleInputs(txs);
  await assert.rejects(executeSegment(circuits.single_8, inputs), (e: unknown) => {
    assert.ok(e instanceof WitnessError, `expected WitnessError, got ${String(e)}`);
    assert.equal(e.txIndex, txIndex);
    assert.equal(e.reason, reason);
    assert.match(e.message, new RegExp(`tx ${txIndex}: `));
    return true;
  });
}

test('a valid block of 5 txs executes in single_8; the world state agrees', async () => {
  const txs = transfers(5);
  const { inputs, publicInputs, block } = singleInputs(txs);
  const w = await executeSegment(circuits.single_8, inputs);
  assert.ok(w.witness.length > 1000);
  const after = genesis.clone();
  after.applyBlock(txs);
  assert.deepEqual(publicInputs, [7n, genesis.root(), after.root(), block.txsCommitment, 0n], "the block's four, then the recipient (none named here)");
  assert.notEqual(after.root(), genesis.root());
});

test('bad signature: witness execution fails naming the tx', async () => {
  const txs = transfers(4);
  txs[2] = { ...txs[2], sig: { ...txs[2].sig, s: txs[2].sig.s + 1n } };
  assert.throws(() => genesis.clone().applyBlock(txs), (e: unknown) => e instanceof TxValidationError && e.code === 'bad-signature' && e.txIndex === 2);
  await expectWitnessError(txs, 2, 'bad-signature');
});

test('overspend: witness execution fails naming the tx', async () => {
  const txs = transfers(3);
  const t = { ...txs[1].tx, amount: 2_000_000n };
  txs[1] = signTx(t, keys[1].secretKey);
  assert.throws(() => genesis.clone().applyBlock(txs), (e: unknown) => e instanceof TxValidationError && e.code === 'overspend' && e.txIndex === 1);
  await expectWitnessError(txs, 1, 'overspend');
});

test('wrong nonce (a replayed tx): witness execution fails naming the tx', async () => {
  const txs = transfers(2);
  txs.push(txs[0]); // replay: nonce 0 again
  assert.throws(() => genesis.clone().applyBlock(txs), (e: unknown) => e instanceof TxValidationError && e.code === 'wrong-nonce' && e.txIndex === 2);
  await expectWitnessError(txs, 2, 'wrong-nonce');
});

test('a wrong declared end root or txs commitment is refused', async () => {
  const { inputs } = singleInputs(transfers(3));
  await assert.rejects(executeSegment(circuits.single_8, { ...inputs, end_root: toHex(123n) }), (e: unknown) => e instanceof WitnessError && e.reason === 'root-mismatch' && e.txIndex === undefined);
  await assert.rejects(executeSegment(circuits.single_8, { ...inputs, txs_commitment: toHex(5n) }), (e: unknown) => e instanceof WitnessError && e.reason === 'txs-commitment-mismatch');
});

test('malformed inputs are a bad-input WitnessError, not a crash', async () => {
  const { inputs } = singleInputs(transfers(1));
  const { end_root: _missing, ...noEndRoot } = inputs;
  await assert.rejects(executeSegment(circuits.single_8, noEndRoot), (e: unknown) => e instanceof WitnessError && e.reason === 'bad-input' && /end_root/.test(e.message));
  await assert.rejects(executeSegment(circuits.single_8, { ...inputs, txs: [] }), (e: unknown) => e instanceof WitnessError && e.reason === 'bad-input');
});

test('the default cost model carries the compiled circuits\' gate counts', async () => {
  const { DEFAULT_COST_MODEL } = await import('../../../circuits/plan.js');
  for (const name of ['single_1', 'single_8', 'single_32', 'first_32', 'rec_8', 'base_8', 'base_32']) {
    const c = await loadCircuit(name);
    const m = DEFAULT_COST_MODEL.circuits.find((x) => x.name === name);
    assert.deepEqual(m && [m.kind, m.capacity, m.gates, m.circuitSize], [c.kind, c.capacity, c.gates, c.circuitSize], name);
  }
});

test('unknown account is a typed validation error (no witness exists for it)', () => {
  const t = signTx({ from: idx(0), to: 77, amount: 1n, nonce: 0 }, keys[0].secretKey);
  assert.throws(() => genesis.clone().applyBlock([t]), (e: unknown) => e instanceof TxValidationError && e.code === 'unknown-account' && e.txIndex === 0);
  assert.throws(() => genesis.clone().applyBlock([t], { validate: false }), (e: unknown) => e instanceof TxValidationError && e.code === 'unknown-account' && e.txIndex === 0);
});

// A dummy previous proof: ACVM does not check recursive verification (the backend does), so
// the chaining constraints around it can be tested at witness level.
const dummyPrev = { proof: Array.from({ length: 410 }, (_, i) => BigInt(i + 1)), vk: Array.from({ length: 115 }, (_, i) => BigInt(1000 + i)) };

async function chain(): Promise<{ plan: ProofPlan; block: ReturnType<typeof blockWitness>; vkHashes: { first: bigint; rec: bigint } }> {
  const { vkHashOfFields } = await import('../../../circuits/build.js');
  const vkFirst = await vkHashOfFields(dummyPrev.vk);
  const txs = transfers(40);
  const block = blockWitness(genesis, 9n, txs);
  const model = costModelFrom([circuits.first_32, circuits.rec_8, { ...circuits.rec_8, name: 'final_8', kind: 'final' }]);
  const plan = planBlock({ blockHash: '0x' + 'cd'.repeat(32), slot: 9n, txCount: 40 }, model);
  assert.deepEqual(plan.jobs.map((j) => [j.circuit, j.txRange]), [['first_32', [0, 32]], ['final_8', [32, 40]]]);
  return { plan, block, vkHashes: { first: vkFirst, rec: 99n } };
}

test('chain: first_32 then rec_8 execute with the carried roots and txs tree', async () => {
  const { plan, block, vkHashes } = await chain();
  const first = segmentInputs(plan, plan.jobs[0], block, { vkHashes });
  await executeSegment(circuits.first_32, first.inputs);
  // run the second job through rec_8 (same inputs as final_8 but public [.., endRoot, acc])
  const recJob = { ...plan.jobs[1], kind: 'rec' as const, circuit: 'rec_8' };
  const rec = segmentInputs({ ...plan, jobs: [plan.jobs[0], recJob] }, recJob, block, { vkHashes, prevProof: dummyPrev });
  await executeSegment(circuits.rec_8, rec.inputs);
  assert.equal(rec.inputs.prev_end_root, toHex(first.publicInputs[2]));
  assert.equal(rec.inputs.prev_acc, toHex(first.publicInputs[3]));
  assert.equal(rec.publicInputs[2], block.endRoot);

  // a segment whose start root does not match the previous end root cannot be executed
  const wrongStart = { ...rec.inputs, segment_start_root: toHex(genesis.root()) };
  await assert.rejects(executeSegment(circuits.rec_8, wrongStart), (e: unknown) => e instanceof WitnessError && e.reason === 'start-root-mismatch');
  // nor one that claims a previous end root other than the proven one... (the proof would not verify)
  // nor one whose carried txs-tree state differs from the previous acc
  const badCarry = { ...rec.inputs, prev: { ...(rec.inputs.prev as object), rec_vk_hash: toHex(98n) } };
  await assert.rejects(executeSegment(circuits.rec_8, badCarry), (e: unknown) => e instanceof WitnessError && e.reason === 'bad-previous-proof');
  // nor one verified with a vk that is not the one the carry names
  const badVk = { ...rec.inputs, prev_vk: dummyPrev.vk.map((x) => toHex(x + 1n)) };
  await assert.rejects(executeSegment(circuits.rec_8, badVk), (e: unknown) => e instanceof WitnessError && e.reason === 'bad-previous-proof');
});

test('chain of three: first_32 -> rec_8 -> final_8 ends with the L1 public inputs', async () => {
  const { vkHashOfFields } = await import('../../../circuits/build.js');
  // final_8 built with vk hashes pinned to the dummy vks (a test variant, not the real artifact)
  const firstVk = dummyPrev.vk;
  const recVk = dummyPrev.vk.map((x) => x + 7n);
  const vkHashes = { first: await vkHashOfFields(firstVk), rec: await vkHashOfFields(recVk) };
  const finalC = await loadCircuit('final_8', {
    variant: 'unit-dummy-vk',
    vkSource: { label: 'unit-test dummy vks', vkHash: async (c) => (c.kind === 'first' ? vkHashes.first : vkHashes.rec) },
  });
  assert.equal(finalC.vkHashes?.first, toHex(vkHashes.first));
  const txs = transfers(45);
  const block = blockWitness(genesis, 11n, txs);
  const plan = planBlock({ blockHash: '0x' + 'ef'.repeat(32), slot: 11n, txCount: 45 }, costModelFrom([circuits.first_32, circuits.rec_8, finalC]));
  assert.deepEqual(plan.jobs.map((j) => j.circuit), ['first_32', 'rec_8', 'final_8']);
  const [j0, j1, j2] = plan.jobs;
  const s0 = segmentInputs(plan, j0, block, { vkHashes });
  await executeSegment(circuits.first_32, s0.inputs);
  const s1 = segmentInputs(plan, j1, block, { vkHashes, prevProof: { proof: dummyPrev.proof, vk: firstVk } });
  await executeSegment(circuits.rec_8, s1.inputs);
  assert.equal(s1.publicInputs[1], block.startRoot, 'the block start root is carried');
  const s2 = segmentInputs(plan, j2, block, { vkHashes, prevProof: { proof: dummyPrev.proof, vk: recVk } });
  await executeSegment(finalC, s2.inputs);
  assert.deepEqual(s2.publicInputs, [11n, block.startRoot, block.endRoot, block.txsCommitment, 0n]);

  // the final circuit refuses a chain whose carry names other circuits' vks
  const other = { first: vkHashes.first, rec: await vkHashOfFields(recVk.map((x) => x + 1n)) };
  const s2bad = segmentInputs(plan, j2, block, { vkHashes: other, prevProof: { proof: dummyPrev.proof, vk: recVk.map((x) => x + 1n) } });
  await assert.rejects(executeSegment(finalC, s2bad.inputs), (e: unknown) => e instanceof WitnessError && e.reason === 'bad-previous-proof');
  // and a wrong tx in the last segment is reported with its index in the block
  const badTxs = [...txs];
  badTxs[43] = { ...badTxs[43], sig: { ...badTxs[43].sig, e: badTxs[43].sig.e ^ 1n } };
  const badBlock = blockWitness(genesis, 11n, badTxs, { validate: false });
  const s2tx = segmentInputs(plan, j2, badBlock, { vkHashes, prevProof: { proof: dummyPrev.proof, vk: recVk } });
  await assert.rejects(executeSegment(finalC, s2tx.inputs), (e: unknown) => e instanceof WitnessError && e.reason === 'bad-signature' && e.txIndex === 43);
});
