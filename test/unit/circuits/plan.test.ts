// Proof-plan shapes from the cost model: one proof when the txs fit, else a chain
// first -> rec* -> final; ids are content hashes; the plan is a valid DAG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_COST_MODEL, PlanError, planBlock, topoOrder, describePlan, estimateMs, costModelFor, withProveMs, type CostModel,
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
  assert.equal(p128.jobs.length, 1 + 11 + 1);
  assert.deepEqual(p128.jobs.map((j) => j.kind), ['first', ...Array(11).fill('rec'), 'final']);
  assert.equal(p128.jobs.at(-1)!.txRange[1], 128);
  assert.equal(p128.jobs.at(-1)!.flavour, 'l1');
  assert.ok(p128.jobs.slice(0, -1).every((j) => j.flavour === 'recursive'));
  assert.equal(p128.estimatedMs, p128.jobs.reduce((t, j) => t + j.estimatedMs, 0));
  assert.match(describePlan(p128), /^first_32\[0,32\) -> rec_8\[32,40\)/);
});

test('every tx is covered exactly once, in order, and deps form the chain', () => {
  for (const n of [0, 1, 7, 8, 31, 33, 100, 128, 1024]) {
    const plan = planBlock({ blockHash: hash(2), slot: 1, txCount: n });
    let pos = 0;
    for (const [i, j] of topoOrder(plan).entries()) {
      assert.equal(j.txRange[0], pos);
      assert.ok(j.txRange[1] >= j.txRange[0]);
      pos = j.txRange[1];
      assert.deepEqual(j.deps, i === 0 ? [] : [plan.jobs[i - 1].id]);
    }
    assert.equal(pos, n);
    assert.equal(plan.root, plan.jobs.at(-1)!.id);
    assert.equal(new Set(plan.jobs.map((j) => j.id)).size, plan.jobs.length);
  }
});

test('job ids are hashes of the inputs: deterministic, and change with the block or circuit', () => {
  const a = planBlock({ blockHash: hash(3), slot: 1, txCount: 50 });
  const b = planBlock({ blockHash: hash(3), slot: 1, txCount: 50 });
  const c = planBlock({ blockHash: hash(4), slot: 1, txCount: 50 });
  assert.deepEqual(a.jobs.map((j) => j.id), b.jobs.map((j) => j.id));
  assert.ok(a.jobs.every((j, i) => j.id !== c.jobs[i].id));
  const changed: CostModel = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.map((x) => (x.name === 'rec_8' ? { ...x, hash: 'new' } : x)) };
  const d = planBlock({ blockHash: hash(3), slot: 1, txCount: 50 }, changed);
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
  const p = planBlock({ blockHash: hash(1), slot: 1, txCount: 50 });
  p.jobs[0].deps.push(p.jobs[1].id);
  assert.throws(() => topoOrder(p), /cycle/);
});
