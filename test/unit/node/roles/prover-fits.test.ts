// ProverRole.fits: whether one more block of N txs can be proven before its L1 deadline, from
// the proof plan's estimate under the prover's cost model (the pool's measured times) scaled
// by how the last blocks compared with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { rollupPlan } from '../../../../prover/rollup.js';
import { DEFAULT_COST_MODEL, withProveMs, type CostModel } from '../../../../circuits/plan.js';
import { lowerBoundMs } from '../../../../circuits/plan-stats.js';
import { ProverRole } from '../../../../node/roles/prover.js';
import type { Prover } from '../../../../prover/index.js';
import type { RoleContext } from '../../../../node/roles/context.js';

// one worker: a block takes its plan's total work
const estimate = (txs: number, workers = 1) => lowerBoundMs(rollupPlan({ blockHash: `0x${'00'.repeat(32)}`, slot: 0n, txs: new Array(txs) }, DEFAULT_COST_MODEL, { workers }), workers);
// fits() reads only the role's own records, the prover's cost model and its workers; the orchestrator is a plain emitter it subscribes to
const role = (model: () => CostModel = () => DEFAULT_COST_MODEL, workers = 1) =>
  new ProverRole({} as RoleContext, { orchestrator: new EventEmitter(), costModel: model, planOptions: () => ({ workers }) } as unknown as Prover);

test('before any proof, fits uses the plan estimate for the block size', () => {
  const r = role();
  const small = r.fits(1000, 0, 1000, 1);
  const big = r.fits(1000, 0, 1000, 128);
  assert.equal(small.proveMs, estimate(1));
  assert.equal(big.proveMs, estimate(128));
  assert.ok(big.proveMs > 10 * small.proveMs, 'a 128-tx block is a tree of 7 proofs (216 s of work on one worker)');
  // the pool's workers reach the planner: two workers prove a tree's leaves side by side
  const two = role(undefined, 2).fits(1000, 0, 1000, 128);
  assert.equal(two.proveMs, estimate(128, 2));
  assert.ok(two.proveMs < big.proveMs, `two workers: ${two.proveMs} ms < one: ${big.proveMs} ms`);
});

test('measured speed scales the estimate of every size; blocks that reused stored proofs are not a measure', () => {
  const r = role();
  // this machine proved a 1-tx block 2x slower than the cost model says
  r.finished.push({ slot: 1, blockHash: '0x01', circuit: 'single_1', ms: 2 * estimate(1), txs: 1, estimatedMs: estimate(1), reused: 0 });
  // a resumed block (most of it from the store) took almost nothing: ignored
  r.finished.push({ slot: 2, blockHash: '0x02', circuit: 'final_8', ms: 10, txs: 33, estimatedMs: estimate(33), reused: 1 });
  assert.equal(r.fits(1000, 0, 1000, 1).proveMs, 2 * estimate(1));
  assert.equal(r.fits(1000, 0, 1000, 33).proveMs, 2 * estimate(33));
  // deadline: 2x the estimate of 8 txs fits in a window 3x as long, not in one 2x as long (20% margin)
  const blocks = (ms: number) => Math.ceil(ms / 1000) + 2;
  assert.equal(r.fits(blocks(3 * estimate(8)), 0, 1000, 8).ok, true);
  assert.equal(r.fits(blocks(2 * estimate(8)), 0, 1000, 8).ok, false);
});

test('largestFitting: the most txs whose block still fits before the deadline, monotone when the estimates are not', () => {
  const r = role();
  const blocks = (ms: number) => Math.ceil(ms / 1000) + 2;
  // a window that fits 8 txs with the 20% margin (and not 9: a bigger plan costs more)
  const deadline = blocks(estimate(8) / 0.8);
  const n = r.largestFitting(deadline, 0, 1000, 32);
  assert.ok(r.fits(deadline, 0, 1000, n).ok);
  assert.ok(n === 32 || !r.fits(deadline, 0, 1000, n + 1).ok, `${n} is the largest`);
  assert.ok(n >= 8);
  assert.equal(r.largestFitting(0, 0, 1000, 32), 0, 'nothing fits a passed deadline');
  assert.equal(r.largestFitting(1e9, 0, 1000, 32), 32);
  // a model where 9..32 txs (single_32, measured slow; no base_8 tree or chain to take them) cost more than
  // 33 (a tree of two base_32): a window for the tree but not for single_32 gets 8, not 33 (a sequencer
  // short of txs would make a block of 20 that does not fit)
  const no8 = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => c.name !== 'base_8' && !['first', 'rec', 'final'].includes(c.kind)) };
  const slow32 = withProveMs(no8, 'single_32', 10 * estimate(33));
  const s = role(() => slow32);
  const window = blocks(2 * estimate(33) / 0.8);
  assert.equal(s.fits(window, 0, 1000, 33).ok, true);
  assert.equal(s.fits(window, 0, 1000, 20).ok, false);
  assert.equal(s.largestFitting(window, 0, 1000, 40), 8);
});

test('fits reads the prover\'s cost model: a measured time there is the estimate, and is not counted twice', () => {
  let model = DEFAULT_COST_MODEL;
  const r = role(() => model);
  // the pool measured single_1 at 1.5x the default (still cheaper than single_8)
  model = withProveMs(DEFAULT_COST_MODEL, 'single_1', 1.5 * estimate(1));
  assert.equal(r.fits(1000, 0, 1000, 1).proveMs, 1.5 * estimate(1));
  // a block proven in that time (planned with the old model): today's model already says so, the speed stays 1
  r.finished.push({ slot: 1, blockHash: '0x01', circuit: 'single_1', ms: 1.5 * estimate(1), txs: 1, estimatedMs: estimate(1), reused: 0 });
  assert.equal(r.fits(1000, 0, 1000, 1).proveMs, 1.5 * estimate(1));
});
