// Task specs: what a remote agent rebuilds a block's task from. A rollup block's spec
// (pre-state, txs, vk hashes) crosses as JSON and rebuilds the same task: every job's
// prepared inputs and expected public inputs are the node's. Unknown kinds and bad data are
// clear errors; job results cross the wire intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rollupBlockTask, rollupPlan } from '../../../prover/rollup.js';
import { decodeResults, encodeResults, planFromWire, planToWire, taskFromSpec } from '../../../prover/tasks.js';
import { JobError, type JobResult } from '../../../prover/types.js';
import { TEST_RECIPIENT, makeL2 } from '../../helpers/l2.js';

test('a rollup block\'s spec rebuilds the same task (prepared inputs of every segment) on the other side', async () => {
  const l2 = await makeL2(4);
  const pre = l2.state.clone();
  const built = l2.buildBlock(7n, 33); // first_32 -> final_8
  const block = { blockHash: `0x${'c3'.repeat(32)}`, slot: 7n, preState: pre, txs: built.signed, recipient: TEST_RECIPIENT };
  const plan = rollupPlan(block);
  const vkHashes = { first: 11n, rec: 22n };
  const task = rollupBlockTask(block, { plan, vkHashes });
  const spec = JSON.parse(JSON.stringify(task.spec)); // what crosses the wire
  const wirePlan = planFromWire(JSON.parse(JSON.stringify(planToWire(plan))));
  assert.deepEqual(wirePlan, plan);
  const remote = await taskFromSpec(spec, wirePlan);
  for (const job of plan.jobs) {
    assert.deepEqual(await remote.prepare!(job), await task.prepare!(job), `${job.circuit}: the agent prepares the same inputs`);
  }
  // the pinned vk hashes came along: a first_32 result whose vk is not the pinned one is refused
  const first = plan.jobs[0];
  const prepared = await remote.prepare!(first);
  const fake: JobResult = { proof: new Uint8Array(0), publicInputs: [], vkFields: Array(115).fill('0x01'), witnessMs: 0, proveMs: 0 };
  await assert.rejects(async () => remote.check!(first, fake, prepared), /vk hash .* is not the chain's/);
});

test('a tree block\'s spec rebuilds the same task; children\'s proofs are spliced into merges; a wrong vk hash is refused', async () => {
  const { DEFAULT_COST_MODEL } = await import('../../../circuits/plan.js');
  const { vkHashOfFields } = await import('../../../circuits/build.js');
  const l2 = await makeL2(4);
  const pre = l2.state.clone();
  const built = l2.buildBlock(8n, 20);
  const block = { blockHash: `0x${'c4'.repeat(32)}`, slot: 8n, preState: pre, txs: built.signed, recipient: TEST_RECIPIENT };
  const treeOnly = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => ['base_8', 'merge', 'block_root'].includes(c.name)) };
  const plan = rollupPlan(block, treeOnly);
  assert.deepEqual(plan.jobs.map((j) => j.kind), ['base', 'base', 'base', 'merge', 'root']);
  const baseVk = Array(115).fill('0x05');
  const treeVkHashes = { base_8: await vkHashOfFields(baseVk.map(BigInt)), merge: 33n };
  assert.throws(() => rollupBlockTask(block, { plan }).prepare!(plan.jobs[0]), /needs the tree's vk hashes/);
  const task = rollupBlockTask(block, { plan, treeVkHashes });
  const remote = await taskFromSpec(JSON.parse(JSON.stringify(task.spec)), planFromWire(JSON.parse(JSON.stringify(planToWire(plan)))));
  const prepared = new Map<string, unknown>();
  for (const job of plan.jobs) {
    prepared.set(job.id, await task.prepare!(job));
    assert.deepEqual(await remote.prepare!(job), prepared.get(job.id), `${job.circuit}: the agent prepares the same inputs`);
  }
  // the merge gets its children's proof and vk fields, left then right
  const merge = plan.jobs[3];
  const child = (tag: string): JobResult => ({ proof: new Uint8Array(0), publicInputs: [], proofFields: Array(410).fill(tag), vkFields: baseVk, witnessMs: 0, proveMs: 0 });
  const req = await task.request(merge, [child('0x0a'), child('0x0b')], prepared.get(merge.id));
  const inputs = req.inputs as { left: { proof: string[]; vk: string[] }; right: { proof: string[] } };
  assert.equal(inputs.left.proof[0], '0x0a');
  assert.equal(inputs.right.proof[0], '0x0b');
  assert.deepEqual(inputs.left.vk, baseVk);
  await assert.rejects(async () => task.request(merge, [child('0x0a'), { ...child('0x0b'), proofFields: undefined }], prepared.get(merge.id)), /right child's proof has no recursive fields/);
  // a base proof whose vk is not the pinned base_8 vk is refused, on the node and on the agent
  const leaf = plan.jobs[0];
  const expected = (prepared.get(leaf.id) as { publicInputs: bigint[] }).publicInputs.map((x) => `0x${x.toString(16)}`);
  const good: JobResult = { ...child('0x01'), publicInputs: expected };
  await task.check!(leaf, good, prepared.get(leaf.id));
  await assert.rejects(async () => remote.check!(leaf, { ...good, vkFields: Array(115).fill('0x06') }, prepared.get(leaf.id)), /vk hash .* is not the tree's/);
});

test('unknown task kinds and bad spec data are clear errors; job results cross the wire intact', async () => {
  const plan = { blockHash: `0x${'d4'.repeat(32)}`, slot: 1n, txCount: 1, jobs: [], root: 'x', estimatedMs: 0 };
  await assert.rejects(taskFromSpec({ kind: 'nope', data: {} }, plan), (e: unknown) => e instanceof JobError && e.code === 'bad-input' && /unknown task kind "nope" \(this agent knows: .*rollup/.test(e.message));
  await assert.rejects(taskFromSpec({ kind: 'rollup', data: { txs: 3 } }, plan), /bad rollup task: expected \{preState/);
  await assert.rejects(taskFromSpec({ kind: 'rollup', data: { preState: { accounts: [] }, txs: ['zz'], recipient: '0x00000000000000000000000000000000000000a1' } }, plan), /tx 0 is not hex/);
  const r1: JobResult = { proof: new Uint8Array([1, 2, 3]), publicInputs: ['0x01'], proofFields: ['0x02'], witnessMs: 5, proveMs: 6 };
  const r2: JobResult = { proof: new Uint8Array([9]), publicInputs: ['0x03', '0x04'], witnessMs: 1, proveMs: 2 };
  const { header, results } = decodeResults<{ state: string }>(new Uint8Array(encodeResults({ state: 'done' }, [['a', r1], ['b', r2]])));
  assert.equal(header.state, 'done');
  assert.deepEqual(results, [['a', r1], ['b', r2]]);
  const bad = new Uint8Array(encodeResults({}, [['a', r1]])).slice(0, -1); // a proof cut short
  assert.throws(() => decodeResults(bad), /malformed job result/);
});
