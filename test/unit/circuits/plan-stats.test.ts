// Plan figures on hand-built DAGs (circuits/plan-stats.ts): a chain, a binary tree, an
// unbalanced tree, and several blocks at once; the bounds hold for the greedy schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlanError, type ProofJob, type ProofPlan } from '../../../circuits/plan.js';
import { criticalPathMs, grahamBoundMs, listScheduleMs, lowerBoundMs, planShape, planStats, totalWorkMs } from '../../../circuits/plan-stats.js';

/** A plan from [id, ms, deps] (ms is the job's estimate). */
function dag(spec: [string, number, string[]][], name = 'b'): ProofPlan {
  const jobs: ProofJob[] = spec.map(([id, ms, deps]) => ({
    id: `${name}:${id}`, kind: deps.length ? 'merge' : 'single', circuit: `c_${id}`, txRange: [0, 0], deps: deps.map((d) => `${name}:${d}`), flavour: 'recursive', estimatedMs: ms,
  }));
  return { blockHash: `0x${'00'.repeat(32)}`, slot: 1n, txCount: 0, jobs, root: jobs[jobs.length - 1].id, estimatedMs: 0 };
}

const chain = dag([['a', 10, []], ['b', 20, ['a']], ['c', 30, ['b']], ['d', 5, ['c']]]);
// 4 leaves of 10, two merges of 20, a root of 30
const tree = dag([
  ['l0', 10, []], ['l1', 10, []], ['l2', 10, []], ['l3', 10, []],
  ['m0', 20, ['l0', 'l1']], ['m1', 20, ['l2', 'l3']], ['r', 30, ['m0', 'm1']],
]);
// a deep left side (leaf -> merge -> merge -> root) and a lone leaf on the right
const unbalanced = dag([
  ['x0', 40, []], ['x1', 10, []], ['m0', 10, ['x0', 'x1']], ['x2', 10, []], ['m1', 10, ['m0', 'x2']], ['y', 5, []], ['r', 20, ['m1', 'y']],
]);

test('a chain: depth = jobs, the critical path is all the work, workers do not help', () => {
  assert.deepEqual(planShape(chain), { leaves: 1, depth: 4, jobs: 4 });
  assert.equal(totalWorkMs(chain), 65);
  assert.equal(criticalPathMs(chain), 65);
  for (const w of [1, 2, 8]) {
    assert.equal(lowerBoundMs(chain, w), 65);
    assert.equal(listScheduleMs(chain, w), 65);
  }
});

test('a binary tree: leaves in parallel, the critical path leaf -> merge -> root', () => {
  assert.deepEqual(planShape(tree), { leaves: 4, depth: 3, jobs: 7 });
  assert.equal(totalWorkMs(tree), 110);
  assert.equal(criticalPathMs(tree), 60);
  assert.equal(lowerBoundMs(tree, 1), 110);
  assert.equal(lowerBoundMs(tree, 2), 60, 'max(110 / 2, 60)');
  assert.equal(lowerBoundMs(tree, 4), 60);
  assert.equal(listScheduleMs(tree, 1), 110);
  // 2 workers: leaves 0-10, 10-20; merges 20-40; root 40-70
  assert.equal(listScheduleMs(tree, 2), 70);
  assert.equal(listScheduleMs(tree, 4), 60);
  assert.equal(grahamBoundMs(tree, 2), 110 / 2 + 60 / 2);
});

test('an unbalanced tree: the long side first', () => {
  assert.deepEqual(planShape(unbalanced), { leaves: 4, depth: 4, jobs: 7 });
  assert.equal(totalWorkMs(unbalanced), 105);
  assert.equal(criticalPathMs(unbalanced), 80, 'x0 -> m0 -> m1 -> r');
  assert.equal(lowerBoundMs(unbalanced, 2), 80);
  // critical path first: x0 starts at once on one worker, the short leaves fill the other
  assert.equal(listScheduleMs(unbalanced, 2), 80);
  assert.equal(listScheduleMs(unbalanced, 1), 105);
});

test('measured times override the estimates; several blocks are scheduled together', () => {
  const times = new Map([['b:c', 100]]);
  assert.equal(criticalPathMs(chain, times), 135);
  assert.equal(totalWorkMs(chain, { 'b:a': 1 }), 56);
  const blocks = [tree, dag([['s', 50, []]], 'other')];
  assert.deepEqual(planShape(blocks), { leaves: 5, depth: 3, jobs: 8 });
  assert.equal(totalWorkMs(blocks), 160);
  assert.equal(criticalPathMs(blocks), 60);
  assert.equal(lowerBoundMs(blocks, 2), 80);
  const s = planStats(blocks, 2);
  assert.equal(s.lowerBoundMs, 80);
  assert.ok(s.listScheduleMs >= s.lowerBoundMs && s.listScheduleMs <= s.grahamBoundMs, JSON.stringify(s));
});

test('for every workers count the greedy schedule lies between the lower bound and Graham\'s bound', () => {
  for (const p of [chain, tree, unbalanced, [tree, unbalanced, chain]]) {
    for (const w of [1, 2, 3, 5]) {
      const ls = listScheduleMs(p, w);
      assert.ok(ls >= lowerBoundMs(p, w) - 1e-9 && ls <= grahamBoundMs(p, w) + 1e-9, `W=${w}: ${ls}`);
    }
  }
});

test('bad input is a PlanError', () => {
  assert.throws(() => lowerBoundMs(tree, 0), PlanError);
  assert.throws(() => listScheduleMs(tree, 1.5), /workers must be a whole number/);
  assert.throws(() => totalWorkMs(chain, { 'b:a': Number.NaN }), /no usable time/);
  const broken = dag([['a', 1, ['z']]]);
  assert.throws(() => criticalPathMs(broken), /unknown job/);
});
