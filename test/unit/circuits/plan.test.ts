// Proof-plan shapes from the cost model: one proof when the txs fit, else a chain
// first -> rec* -> final or a tree base* -> merge* -> block_root, whichever is estimated
// cheaper; ids are content hashes; the plan is a valid DAG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_COST_MODEL, PlanError, planBlock, planBlockTree, topoOrder, describePlan, estimateMs, costModelFor, withProveMs, type CostModel, type ProofPlan,
} from '../../../circuits/plan.js';

const hash = (b: number) => '0x' + b.toString(16).padStart(2, '0').repeat(32);
const shape = (n: number, model?: CostModel) => planBlock({ blockHash: hash(1), slot: 3n, txCount: n }, model).jobs.map((j) => `${j.circuit}:${j.txRange[0]}-${j.txRange[1]}`);

test('plans for 1, 8, 32, 128 txs (and the edges between)', () => {
  assert.deepEqual(shape(0), ['single_1:0-0']);
  assert.deepEqual(shape(1), ['single_1:0-1']);
  assert.deepEqual(shape(8), ['single_8:0-8']);
  assert.deepEqual(shape(9), ['single_32:0-9']);
  assert.deepEqual(shape(32), ['single_32:0-32']);
  assert.deepEqual(shape(33), ['first_32:0-32', 'final_8:32-33']);
  assert.deepEqual(shape(40), ['first_32:0-32', 'final_8:32-40']);
  assert.deepEqual(shape(41), ['first_32:0-32', 'rec_8:32-40', 'final_8:40-41']);
  const p128 = planBlock({ blockHash: hash(1), slot: 3n, txCount: 128 });
  // a tree: 4 base_32 leaves, 2 merges, the block root (216 s of work, critical path 109 s, vs the chain's 13 proofs, 358 s)
  assert.deepEqual(describePlan(p128).split(' ~')[0],
    'base_32[0,32) -> base_32[32,64) -> base_32[64,96) -> base_32[96,128) -> merge[0,64) -> merge[64,128) -> block_root[0,128)');
  assert.equal(p128.jobs.at(-1)!.flavour, 'l1');
  assert.ok(p128.jobs.slice(0, -1).every((j) => j.flavour === 'recursive'));
  const work = p128.jobs.reduce((t, j) => t + j.estimatedMs, 0);
  const chain128 = 13 * estimateMs(DEFAULT_COST_MODEL, DEFAULT_COST_MODEL.circuits.find((c) => c.name === 'rec_8')!);
  assert.ok(work < chain128, `tree ${work} ms < chain ${chain128} ms`);
  // estimatedMs is the critical path: a leaf, a merge, the root
  assert.equal(p128.estimatedMs, p128.jobs[0].estimatedMs + p128.jobs[4].estimatedMs + p128.jobs[6].estimatedMs);
  // the measured times put it just over half the work (109 / 216 s: a 2^21 merge and root cost twice a leaf)
  assert.ok(p128.estimatedMs / work <= 0.51, `critical path ${p128.estimatedMs} of ${work} ms`);
});

/** Checks the plan covers [0, n) exactly once in order: a chain's segments, or a tree's leaves and nodes. */
function checkCoverage(plan: ProofPlan, n: number) {
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const tree = plan.jobs.some((j) => j.deps.length === 2);
  let pos = 0;
  for (const [i, j] of topoOrder(plan).entries()) {
    assert.ok(j.txRange[1] >= j.txRange[0]);
    if (!tree) {
      assert.equal(j.txRange[0], pos);
      pos = j.txRange[1];
      assert.deepEqual(j.deps, i === 0 ? [] : [plan.jobs[i - 1].id]);
    } else if (j.deps.length === 0) {
      assert.equal(j.kind, 'base');
      assert.equal(j.txRange[0], pos);
      pos = j.txRange[1];
    } else {
      const [l, r] = j.deps.map((d) => byId.get(d)!);
      assert.deepEqual([l.txRange[0], l.txRange[1], r.txRange[1]], [j.txRange[0], r.txRange[0], j.txRange[1]], 'a node covers its children, adjacent');
      assert.equal(j.kind, j.id === plan.root ? 'root' : 'merge');
    }
  }
  assert.equal(pos, n);
  assert.equal(plan.root, plan.jobs.at(-1)!.id);
  assert.equal(new Set(plan.jobs.map((j) => j.id)).size, plan.jobs.length);
}

test('every tx is covered exactly once, in order; deps form the chain or the tree', () => {
  for (const n of [0, 1, 7, 8, 31, 33, 64, 65, 100, 128, 1000, 1024]) checkCoverage(planBlock({ blockHash: hash(2), slot: 1, txCount: n }), n);
  // trees of every leaf count 2..9 (odd nodes move up as lower right children)
  for (let n = 9; n <= 72; n++) checkCoverage(planBlockTree({ blockHash: hash(2), slot: 1, txCount: n }, { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => c.name !== 'base_32') }), n);
  // a block that fits one base leaf has no tree
  const no8 = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => c.name !== 'base_8') };
  assert.throws(() => planBlockTree({ blockHash: hash(2), slot: 1, txCount: 32 }, no8), /no circuit combination/);
  assert.equal(planBlockTree({ blockHash: hash(2), slot: 1, txCount: 33 }, no8).jobs.length, 3);
});

test('leaves by cost: base_32 for big blocks (base_8 leaves need 4x the merges)', () => {
  const p = planBlockTree({ blockHash: hash(5), slot: 1, txCount: 128 });
  assert.ok(p.jobs.filter((j) => j.kind === 'base').every((j) => j.circuit === 'base_32'));
  const only8 = planBlockTree({ blockHash: hash(5), slot: 1, txCount: 128 }, { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => c.name !== 'base_32') });
  assert.equal(only8.jobs.length, 16 + 15);
  const work = (x: ProofPlan) => x.jobs.reduce((t, j) => t + j.estimatedMs, 0);
  assert.ok(work(p) < work(only8));
  // with more workers the score is max(work / workers, critical path): 41 txs go to a tree (one worker: a
  // chain of 3 x 2^20, 77 s, beats 2 x base_32 + block_root, 87 s of work; two: the tree's 66 s critical path wins)
  assert.deepEqual(planBlock({ blockHash: hash(5), slot: 1, txCount: 41 }).jobs.map((j) => j.kind), ['first', 'rec', 'final']);
  assert.deepEqual(planBlock({ blockHash: hash(5), slot: 1, txCount: 41 }, undefined, { workers: 2 }).jobs.map((j) => j.kind), ['base', 'base', 'root']);
  assert.throws(() => planBlock({ blockHash: hash(5), slot: 1, txCount: 65 }, undefined, { workers: 0 }), PlanError);
});

test('job ids are hashes of the inputs: deterministic, and change with the block or circuit', () => {
  const a = planBlock({ blockHash: hash(3), slot: 1, txCount: 45 });
  const b = planBlock({ blockHash: hash(3), slot: 1, txCount: 45 });
  const c = planBlock({ blockHash: hash(4), slot: 1, txCount: 45 });
  assert.deepEqual(a.jobs.map((j) => j.id), b.jobs.map((j) => j.id));
  assert.ok(a.jobs.every((j, i) => j.id !== c.jobs[i].id));
  const changed: CostModel = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.map((x) => (x.name === 'rec_8' ? { ...x, hash: 'new' } : x)) };
  const d = planBlock({ blockHash: hash(3), slot: 1, txCount: 45 }, changed);
  assert.equal(d.jobs[0].id, a.jobs[0].id);
  assert.notEqual(d.jobs[1].id, a.jobs[1].id);
});

test('the cost model decides: measured times override, a restricted catalog still plans', () => {
  // if single_32 were measured slow, 9..32 txs would go first_32 -> final_8 instead
  const slow: CostModel = withProveMs(DEFAULT_COST_MODEL, 'single_32', 1_000_000);
  assert.deepEqual(shape(20, slow), ['first_32:0-20', 'final_8:20-20']);
  // only the chain circuits (one L1 verifier): small blocks are a partial first + empty final
  const chainOnly: CostModel = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => c.kind !== 'single') };
  assert.deepEqual(shape(1, chainOnly), ['first_32:0-1', 'final_8:1-1']);
  assert.deepEqual(shape(45, chainOnly), ['first_32:0-32', 'rec_8:32-40', 'final_8:40-45']);
  const rec = DEFAULT_COST_MODEL.circuits.find((x) => x.name === 'rec_8')!;
  const wasm = costModelFor('wasm');
  assert.equal(estimateMs(wasm, rec), Math.round(rec.circuitSize * wasm.msPerGate.wasm.recursive), 'no measured WASM time: per gate');
  const s8 = DEFAULT_COST_MODEL.circuits.find((x) => x.name === 'single_8')!;
  assert.equal(estimateMs(DEFAULT_COST_MODEL, s8), DEFAULT_COST_MODEL.times.native.single_8);
});

test('bad plan requests are typed errors', () => {
  assert.throws(() => planBlock({ blockHash: hash(1), slot: 1, txCount: 1025 }), PlanError);
  assert.throws(() => planBlock({ blockHash: 'nope', slot: 1, txCount: 1 }), PlanError);
  assert.throws(() => planBlock({ blockHash: hash(1), slot: 1 }), PlanError);
  assert.throws(() => planBlock({ blockHash: hash(1), slot: 1, txCount: 40 }, { ...DEFAULT_COST_MODEL, circuits: [] }), /no circuit combination/);
  const p = planBlock({ blockHash: hash(1), slot: 1, txCount: 45 });
  p.jobs[0].deps.push(p.jobs[1].id);
  assert.throws(() => topoOrder(p), /cycle/);
});

test('chain or tree over 1..1024 txs under the measured defaults (circuits/README.md "The proof plan"; npm run bench -- plans)', async () => {
  const { comparePlans } = await import('../../../bench/plans.js');
  const one = comparePlans(DEFAULT_COST_MODEL, 1, 1024);
  const two = comparePlans(DEFAULT_COST_MODEL, 2, 1024);
  const ranges = (r: typeof one) => r.ranges.map((x) => `${x.shape} ${x.from}..${x.to}`);
  assert.deepEqual(ranges(one), ['single 1..32', 'chain 33..48', 'tree 49..1024']);
  assert.deepEqual(ranges(two), ['single 1..32', 'chain 33..40', 'tree 41..1024']);
  // where the chain is planned, the best tree is really slower (the chain circuits stay for these sizes)
  for (const c of [...one.chainWins, ...two.chainWins]) assert.ok(c.otherMs !== null && c.chainMs < c.otherMs, JSON.stringify(c));
  assert.deepEqual([one.chainWins[0].chainMs, one.chainWins[0].otherMs], [49_200, 87_400], '33 txs: first_32 + final_8 vs 2 x base_32 + block_root');
});
