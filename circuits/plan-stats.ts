// Figures of proof plans (pure): the shape of the DAG and, for per-job times (measured or
// the plan's estimates), the total work, the critical path (the longest chain of dependent
// jobs), the lower bound of any schedule on W workers, max(total work / W, critical path), a
// greedy list schedule (critical path first, as the orchestrator runs) and Graham's bound for
// any greedy schedule, total / W + (1 - 1/W) * critical path. Several plans (blocks) are
// independent DAGs scheduled together. bench/prove.ts reports these.
import { PlanError, topoOrder, type ProofJob, type ProofPlan } from './plan.js';

export interface PlanShape {
  /** Jobs without deps (they start at once). */
  leaves: number;
  /** Jobs on the longest dependency chain (one proof: 1). */
  depth: number;
  jobs: number;
}

/** Per-job times (ms) by job id; a job without one counts its plan estimate. */
export type JobTimes = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

type Plans = ProofPlan | readonly ProofPlan[];
const list = (p: Plans): readonly ProofPlan[] => (Array.isArray(p) ? p : [p as ProofPlan]);

function timeOf(times: JobTimes | undefined, job: ProofJob): number {
  const t = times instanceof Map ? times.get(job.id) : (times as Record<string, number> | undefined)?.[job.id];
  const ms = t ?? job.estimatedMs;
  if (!Number.isFinite(ms) || ms < 0) throw new PlanError(`job ${job.id} (${job.circuit}) has no usable time: ${ms}`);
  return ms;
}

function checkWorkers(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) throw new PlanError(`workers must be a whole number >= 1, got ${workers}`);
}

/** Leaves, depth (jobs on the longest chain) and jobs, over all the plans (depth: the deepest). */
export function planShape(plans: Plans): PlanShape {
  let leaves = 0, depth = 0, jobs = 0;
  for (const p of list(plans)) {
    const level = new Map<string, number>();
    for (const j of topoOrder(p)) {
      const l = 1 + Math.max(0, ...j.deps.map((d) => level.get(d)!));
      level.set(j.id, l);
      depth = Math.max(depth, l);
      if (j.deps.length === 0) leaves++;
      jobs++;
    }
  }
  return { leaves, depth, jobs };
}

/** Sum of the jobs' times. */
export function totalWorkMs(plans: Plans, times?: JobTimes): number {
  return list(plans).reduce((s, p) => s + p.jobs.reduce((t, j) => t + timeOf(times, j), 0), 0);
}

/** Per job: the longest time from its start to its plan's root along dependent jobs (itself included). */
function bottomLevels(p: ProofPlan, times?: JobTimes): Map<string, number> {
  const order = topoOrder(p);
  const up = new Map<string, string[]>(order.map((j) => [j.id, []]));
  for (const j of order) for (const d of j.deps) up.get(d)!.push(j.id);
  const bl = new Map<string, number>();
  for (const j of [...order].reverse()) bl.set(j.id, timeOf(times, j) + Math.max(0, ...up.get(j.id)!.map((u) => bl.get(u)!)));
  return bl;
}

/** The longest chain of dependent jobs (summed times), the longest over the plans. */
export function criticalPathMs(plans: Plans, times?: JobTimes): number {
  let best = 0;
  for (const p of list(plans)) for (const v of bottomLevels(p, times).values()) best = Math.max(best, v);
  return best;
}

/** No schedule on `workers` workers finishes sooner: max(total work / workers, critical path). */
export function lowerBoundMs(plans: Plans, workers: number, times?: JobTimes): number {
  checkWorkers(workers);
  return Math.max(totalWorkMs(plans, times) / workers, criticalPathMs(plans, times));
}

/** Graham's bound: every greedy (list) schedule on `workers` finishes within total / W + (1 - 1/W) * critical path. */
export function grahamBoundMs(plans: Plans, workers: number, times?: JobTimes): number {
  checkWorkers(workers);
  return totalWorkMs(plans, times) / workers + (1 - 1 / workers) * criticalPathMs(plans, times);
}

/**
 * Makespan of a greedy list schedule on `workers`: whenever a worker is free it takes the
 * ready job with the longest path to its root (ties: the plan given first, then plan order).
 */
export function listScheduleMs(plans: Plans, workers: number, times?: JobTimes): number {
  checkWorkers(workers);
  const ps = list(plans);
  interface N { job: ProofJob; ms: number; prio: number; rank: number; waiting: number; up: N[] }
  const nodes: N[] = [];
  for (const p of ps) {
    const bl = bottomLevels(p, times);
    const byId = new Map<string, N>();
    for (const j of topoOrder(p)) {
      const n: N = { job: j, ms: timeOf(times, j), prio: bl.get(j.id)!, rank: nodes.length, waiting: j.deps.length, up: [] };
      byId.set(j.id, n);
      nodes.push(n);
    }
    for (const n of byId.values()) for (const d of n.job.deps) byId.get(d)!.up.push(n);
  }
  const ready = nodes.filter((n) => n.waiting === 0);
  const running: { n: N; end: number }[] = [];
  let now = 0, done = 0, makespan = 0;
  const pick = () => {
    ready.sort((a, b) => b.prio - a.prio || a.rank - b.rank);
    while (running.length < workers && ready.length) {
      const n = ready.shift()!;
      running.push({ n, end: now + n.ms });
    }
  };
  pick();
  while (done < nodes.length) {
    if (!running.length) throw new PlanError('list schedule stalled (a job waits on one that never runs)');
    now = Math.min(...running.map((r) => r.end));
    for (let i = running.length - 1; i >= 0; i--) {
      if (running[i].end !== now) continue;
      const [r] = running.splice(i, 1);
      done++;
      makespan = Math.max(makespan, r.end);
      for (const u of r.n.up) if (--u.waiting === 0) ready.push(u);
    }
    pick();
  }
  return makespan;
}

export interface PlanStats extends PlanShape {
  workers: number;
  totalWorkMs: number;
  criticalPathMs: number;
  lowerBoundMs: number;
  listScheduleMs: number;
  grahamBoundMs: number;
}

/** Every figure above at once. */
export function planStats(plans: Plans, workers: number, times?: JobTimes): PlanStats {
  return {
    ...planShape(plans), workers, totalWorkMs: totalWorkMs(plans, times), criticalPathMs: criticalPathMs(plans, times),
    lowerBoundMs: lowerBoundMs(plans, workers, times), listScheduleMs: listScheduleMs(plans, workers, times), grahamBoundMs: grahamBoundMs(plans, workers, times),
  };
}
