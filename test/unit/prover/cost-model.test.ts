// The cost model per proving backend (circuits/plan.ts): measured times per backend and
// circuit, the per-gate fallback, costModelFor / withProveMs; and the ProverPool's own model:
// its workers' backend, each circuit it proved at the median of its recent measured proving
// times (real proofs of the tiny fixture circuit, INSECURE dev CRS).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_COST_MODEL, PlanError, costModelFor, estimateMs, planBlock, withProveMs, type CircuitCost } from '../../../circuits/plan.js';
import { Orchestrator } from '../../../prover/orchestrator.js';
import { ProverPool, RECENT_PROVE_TIMES } from '../../../prover/pool.js';
import type { JobResult } from '../../../prover/types.js';
import { tinyArtifact, tinyPlan, tinyTask } from './tiny.js';

const byName = (n: string) => DEFAULT_COST_MODEL.circuits.find((c) => c.name === n)!;

test('estimateMs: the measured time on the model\'s backend, else the backend\'s per-gate speed', () => {
  const native = costModelFor('native');
  const wasm = costModelFor('wasm');
  assert.equal(native.backend, 'native');
  assert.equal(wasm.backend, 'wasm');
  assert.equal(native.circuits, DEFAULT_COST_MODEL.circuits, 'the same catalog');
  const s1 = byName('single_1');
  assert.equal(estimateMs(native, s1), DEFAULT_COST_MODEL.times.native.single_1);
  assert.equal(estimateMs(wasm, s1), DEFAULT_COST_MODEL.times.wasm.single_1);
  assert.ok(estimateMs(wasm, s1) > 2 * estimateMs(native, s1), 'WASM is measured ~3x slower than native');
  // no measured WASM time for rec_8: its size at WASM's per-gate speed
  const rec = byName('rec_8');
  assert.equal(DEFAULT_COST_MODEL.times.wasm.rec_8, undefined);
  assert.equal(estimateMs(wasm, rec), Math.round(rec.circuitSize * wasm.msPerGate.wasm.recursive));
  // a circuit the model has no time for on either backend
  const odd: CircuitCost = { name: 'odd', kind: 'single', capacity: 2, gates: 10, circuitSize: 1 << 10 };
  assert.equal(estimateMs(native, odd), Math.round((1 << 10) * native.msPerGate.native.l1));
});

test('withProveMs sets one backend\'s time without touching the other or the input model', () => {
  const m = withProveMs(costModelFor('wasm'), 'single_8', 41_000.4);
  assert.equal(m.times.wasm.single_8, 41_000);
  assert.equal(estimateMs(m, byName('single_8')), 41_000);
  assert.equal(m.times.native.single_8, DEFAULT_COST_MODEL.times.native.single_8, 'native untouched');
  assert.equal(DEFAULT_COST_MODEL.times.wasm.single_8, undefined, 'the input model is not modified');
  const n = withProveMs(m, 'single_8', 7_000, 'native');
  assert.equal(n.backend, 'wasm');
  assert.equal(n.times.native.single_8, 7_000);
  assert.equal(estimateMs(n, byName('single_8')), 41_000, 'the estimate reads the active backend');
  assert.equal(estimateMs(costModelFor('native', n), byName('single_8')), 7_000);
  assert.throws(() => withProveMs(m, 'single_8', 0), PlanError);
  assert.throws(() => withProveMs(m, 'single_8', Number.NaN), /must be > 0 ms/);
  assert.throws(() => costModelFor('gpu' as never), /unknown proving backend gpu/);
});

test('the planner follows the active backend\'s measured times', () => {
  const plan = (m = DEFAULT_COST_MODEL) => planBlock({ blockHash: `0x${'12'.repeat(32)}`, slot: 1, txCount: 20 }, m).jobs.map((j) => j.circuit);
  assert.deepEqual(plan(), ['single_32']);
  // single_32 measured slow on WASM only: the WASM plan changes, the native one does not
  const slowWasm = withProveMs(costModelFor('wasm'), 'single_32', 10_000_000);
  assert.deepEqual(plan(slowWasm), ['first_32', 'final_8']);
  assert.deepEqual(plan(costModelFor('native', slowWasm)), ['single_32']);
  assert.equal(planBlock({ blockHash: `0x${'12'.repeat(32)}`, slot: 1, txCount: 1 }, costModelFor('wasm')).estimatedMs, DEFAULT_COST_MODEL.times.wasm.single_1);
});

const pool = new ProverPool({ workers: 1, threads: 1, crs: { dev: true } });
after(() => pool.close());

test('the pool\'s cost model: its workers\' backend, and each circuit it proved at the median of its recent proving times', async () => {
  const { file } = await tinyArtifact();
  const warmed = await pool.warm();
  assert.equal(warmed.length, 1);
  const kind = await pool.backendKind();
  assert.equal(pool.costBackend, kind);
  assert.equal(pool.costModel().backend, kind);
  assert.equal(pool.costModel().times[kind].tiny, undefined, 'nothing measured yet');
  const orch = new Orchestrator({ executor: pool, backoffMs: 10 });
  const times: number[] = [];
  orch.on('job:finished', (e: { result: JobResult }) => {
    times.push(e.result.proveMs);
    assert.equal(e.result.backend, kind, 'the worker says which engine proved it');
  });
  await orch.submit(tinyTask(tinyPlan(`0x${'31'.repeat(32)}`, 'chain:3'), file));
  assert.equal(times.length, 3);
  const med = [...times].sort((a, b) => a - b)[1];
  const m = pool.costModel();
  assert.equal(m.times[kind].tiny, med, 'the median of the measured times');
  assert.equal(m.circuits, DEFAULT_COST_MODEL.circuits, 'the catalog is the base model\'s');
  const tiny: CircuitCost = { name: 'tiny', kind: 'single', capacity: 1, gates: 1, circuitSize: 1 << 13 };
  assert.equal(estimateMs(m, tiny), med, 'estimateMs reads the pool\'s measured time');
  // only the last RECENT_PROVE_TIMES count: older ones age out
  for (let i = 0; i < RECENT_PROVE_TIMES; i++) pool.recordProveMs(kind, 'tiny', 123_456);
  assert.equal(pool.costModel().times[kind].tiny, 123_456);
  pool.recordProveMs(kind === 'native' ? 'wasm' : 'native', 'single_1', 999);
  assert.equal(pool.costModel().times[kind === 'native' ? 'wasm' : 'native'].single_1, 999, 'the other backend\'s figures are kept apart');
  assert.equal(estimateMs(pool.costModel(), byName('single_1')), DEFAULT_COST_MODEL.times[kind].single_1);
  await orch.close();
});
