// The proof tree of a block at witness level (no proving): circuits/tree.ts computes every
// node's public inputs and the Noir circuits (base_8, base_32, merge, block_root) execute on
// exactly those (each circuit asserts its public inputs), the block root ends with L1's
// [slot, startRoot, endRoot, txsCommitment]; merges that must fail (children swapped, not
// adjacent, a child's vk not a pinned one, a child from another slot) fail at witness
// execution, and the TS twin refuses the same. merge / block_root are test builds pinning
// dummy vks (ACVM does not check the recursive proofs; the backend does, e2e/prover/tree).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCircuit, vkHashOfFields, type CompiledCircuit, type VkHashSource } from '../../../circuits/build.js';
import { executeSegment, WitnessError } from '../../../circuits/witness.js';
import { blockWitness, costModelFrom, planBlockTree, segmentInputs, treeNodes, type ProofPlan } from '../../../circuits/plan.js';
import { TreeError, childInput, lift, mergeNode, baseNode } from '../../../circuits/tree.js';
import { ZERO_ROOTS, txsCommitment } from '../../../circuits/l2/commitment.js';
import { WorldState, generateKeyPair, signTx, toHex, type KeyPair, type SignedTx } from '../../../circuits/l2/index.js';

let keys: KeyPair[];
let genesis: WorldState;
const c: Record<string, CompiledCircuit> = {};
const baseVk = Array.from({ length: 115 }, (_, i) => BigInt(1000 + i));
const mergeVk = baseVk.map((x) => x + 7n);
const dummyProof = Array.from({ length: 410 }, (_, i) => BigInt(i + 1));
let mergeVkHash: bigint;

before(async () => {
  keys = Array.from({ length: 4 }, (_, i) => generateKeyPair(new Uint8Array([43, i])));
  genesis = await WorldState.create(keys.map((k, i) => ({ index: i * 100 + 5, publicKey: k.publicKey, balance: 1_000_000n })));
  const [bh, mh] = [await vkHashOfFields(baseVk), await vkHashOfFields(mergeVk)];
  mergeVkHash = mh;
  const vkSource: VkHashSource = { label: 'unit-test dummy vks', vkHash: async (x) => (x.kind === 'merge' ? mh : bh) };
  for (const n of ['base_8', 'base_32']) c[n] = await loadCircuit(n);
  for (const n of ['merge', 'block_root']) c[n] = await loadCircuit(n, { variant: 'unit-dummy-vk', vkSource });
  assert.deepEqual(c.block_root.pinnedVkHashes, { base_8: toHex(bh), base_32: toHex(bh), merge: toHex(mh) });
});

const idx = (i: number) => i * 100 + 5;

function transfers(n: number): SignedTx[] {
  const nonces = [0, 0, 0, 0];
  return Array.from({ length: n }, (_, i) => {
    const from = i % 4, to = (i * 3 + 1) % 4;
    return signTx({ from: idx(from), to: idx(to), amount: BigInt(5 + i), nonce: nonces[from]++ }, keys[from].secretKey);
  });
}

const capacityOf = (name: string) => c[name].capacity;
const model = () => costModelFrom(Object.values(c));
const proofs = (plan: ProofPlan, jobId: string): [{ proof: bigint[]; vk: bigint[] }, { proof: bigint[]; vk: bigint[] }] => {
  const j = plan.jobs.find((x) => x.id === jobId)!;
  return j.deps.map((d) => ({ proof: dummyProof, vk: plan.jobs.find((x) => x.id === d)!.kind === 'merge' ? mergeVk : baseVk })) as never;
};

/** Execute every job of `plan`, in dependency order; returns the root's public inputs. */
async function executeTree(plan: ProofPlan, block: ReturnType<typeof blockWitness>): Promise<bigint[]> {
  let last: bigint[] = [];
  for (const j of plan.jobs) {
    const s = segmentInputs(plan, j, block, { capacityOf, mergeVkHash, childProofs: j.deps.length ? proofs(plan, j.id) : undefined });
    await executeSegment(c[j.circuit], s.inputs);
    last = s.publicInputs;
  }
  return last;
}

test('20 txs as base_8 leaves [0,8) [8,16) [16,20) -> merge -> block_root (a lower right child): TS == Noir, ends with L1\'s public inputs', async () => {
  const txs = transfers(20);
  const block = blockWitness(genesis, 12n, txs);
  const plan = planBlockTree({ blockHash: '0x' + '12'.repeat(32), slot: 12n, txCount: 20 }, costModelFrom([c.base_8, c.merge, c.block_root]));
  assert.deepEqual(plan.jobs.map((j) => [j.circuit, j.txRange, j.deps.length]), [
    ['base_8', [0, 8], 0], ['base_8', [8, 16], 0], ['base_8', [16, 20], 0], ['merge', [0, 16], 2], ['block_root', [0, 20], 2],
  ]);
  const nodes = treeNodes(plan, block, mergeVkHash, capacityOf);
  const m = nodes.get(plan.jobs[3].id)!;
  assert.deepEqual([m.offset, m.height, m.startRoot, m.endRoot], [0, 4, genesis.root(), block.execution.witnesses[15].rootAfter]);
  const pub = await executeTree(plan, block);
  assert.deepEqual(pub, [12n, block.startRoot, block.endRoot, block.txsCommitment, 0n]);
  assert.equal(pub[3], txsCommitment(block.bodies), 'the block root commits to the txs exactly as L1 computes it');
});

test('40 txs as two base_32 leaves -> block_root; a bad tx in the second leaf is named by its block index', async () => {
  const txs = transfers(40);
  const block = blockWitness(genesis, 13n, txs);
  const plan = planBlockTree({ blockHash: '0x' + '13'.repeat(32), slot: 13n, txCount: 40 }, model());
  assert.deepEqual(plan.jobs.map((j) => j.circuit), ['base_32', 'base_32', 'block_root'], 'fewest work: two base_32 leaves');
  assert.deepEqual(await executeTree(plan, block), [13n, block.startRoot, block.endRoot, block.txsCommitment, 0n]);
  // the block root names the reward recipient it is given (its last public input)
  const root = plan.jobs[2];
  const named = segmentInputs(plan, root, block, { capacityOf, mergeVkHash, childProofs: proofs(plan, root.id), recipient: 0xa1n });
  assert.equal(named.publicInputs[4], 0xa1n);
  await executeSegment(c.block_root, named.inputs);
  const bad = [...txs];
  bad[37] = { ...bad[37], sig: { ...bad[37].sig, e: bad[37].sig.e ^ 1n } };
  const badBlock = blockWitness(genesis, 13n, bad, { validate: false });
  const s = segmentInputs(plan, plan.jobs[1], badBlock, { capacityOf, mergeVkHash });
  await assert.rejects(executeSegment(c.base_32, s.inputs), (e: unknown) => e instanceof WitnessError && e.reason === 'bad-signature' && e.txIndex === 37);
});

test('merges that must fail: swapped, not adjacent, wrong vk, another slot; the TS twin refuses the same', async () => {
  const txs = transfers(24);
  const block = blockWitness(genesis, 14n, txs);
  const plan = planBlockTree({ blockHash: '0x' + '14'.repeat(32), slot: 14n, txCount: 24 }, costModelFrom([c.base_8, c.merge, c.block_root]));
  const nodes = treeNodes(plan, block, mergeVkHash, capacityOf);
  const [n0, n1, n2] = plan.jobs.slice(0, 3).map((j) => nodes.get(j.id)!);
  const merge01 = plan.jobs.find((j) => j.kind === 'merge' && j.txRange[0] === 0)!;
  const good = segmentInputs(plan, merge01, block, { capacityOf, mergeVkHash, childProofs: proofs(plan, merge01.id) });
  await executeSegment(c.merge, good.inputs);
  const child = (n: typeof n0, vk = baseVk) => childInput(n, false, { proof: dummyProof, vk });
  const refused = async (inputs: object, reason: string, msg: RegExp) =>
    assert.rejects(executeSegment(c.merge, { ...good.inputs, ...inputs }), (e: unknown) => e instanceof WitnessError && e.reason === reason && msg.test(e.message));

  await refused({ left: child(n1), right: child(n0) }, 'not-adjacent', /children are not adjacent/);
  assert.throws(() => mergeNode(n1, n0), TreeError);
  // [0,8) with [16,24): the state roots do not chain
  await refused({ right: child(n2) }, 'not-adjacent', /left end root != right start root/);
  assert.throws(() => mergeNode(n0, n2), /not adjacent/);
  // the same right child at another offset (its roots chain, its position does not)
  await refused({ right: child({ ...n1, offset: 16 }) }, 'not-adjacent', /right child does not start where the left one ends/);
  // a child proven with a vk that is not a pinned base vk
  await refused({ right: child(n1, baseVk.map((x) => x + 1n)) }, 'bad-previous-proof', /right child proof was not made by a base circuit/);
  // a child that claims to be a merge proof under another merge vk
  await refused({ right: { ...child(n1), is_merge: true } }, 'bad-previous-proof', /right child proof was not made by the merge circuit/);
  // a child from another slot (its proof would verify only against its own slot)
  const other = baseNode({ ...block, slot: 15n }, [8, 16], 8, mergeVkHash);
  await refused({ right: child(other) }, 'other-slot', /right child is from another slot/);
  assert.throws(() => mergeNode(n0, other), /another slot/);
});

test('lift climbs with zero subtrees; a base leaf must be aligned', () => {
  assert.deepEqual(lift(ZERO_ROOTS[2], 2, 5), ZERO_ROOTS[5]);
  assert.deepEqual(lift(ZERO_ROOTS[3], 3, 3), ZERO_ROOTS[3]);
  const block = blockWitness(genesis, 1n, transfers(10));
  assert.throws(() => baseNode(block, [4, 10], 8, 0n), /not aligned/);
  assert.throws(() => baseNode(block, [0, 9], 8, 0n), /does not fit/);
});

test('the default cost model carries the tree circuits\' gate counts and sizes', async () => {
  const { DEFAULT_COST_MODEL } = await import('../../../circuits/plan.js');
  for (const name of ['base_8', 'base_32', 'merge', 'block_root']) {
    const m = DEFAULT_COST_MODEL.circuits.find((x) => x.name === name)!;
    assert.deepEqual([m.kind, m.capacity, m.circuitSize], [c[name].kind, c[name].capacity, c[name].circuitSize], name);
    // merge / block_root here pin dummy constants (a few gates differ from the real build's)
    if (name.startsWith('base_')) assert.equal(m.gates, c[name].gates, name);
    else assert.ok(Math.abs(m.gates - c[name].gates) < 100, `${name}: ${m.gates} vs ${c[name].gates}`);
  }
  // none pads to the next power of two by a few gates
  for (const name of ['base_8', 'base_32', 'merge', 'block_root']) assert.ok(c[name].gates < 0.8 * c[name].circuitSize, `${name}: ${c[name].gates} of ${c[name].circuitSize}`);
});
