// Each block's proof tree as the dashboard draws it: the block's plan (jobs and their deps) and,
// per job, its state (waiting, running here, leased to an agent, done, reused from the store,
// failed and retrying, failed, cancelled), where it ran (a local worker or which agent) and when.
// Built from the orchestrator's events (prover/orchestrator.ts); the last `keep` blocks are kept
// (finished ones too: the orchestrator forgets a block once it settles). 'update' is emitted
// with each change: { kind: 'tree', tree } when a block starts or settles, { kind: 'job', … }.
import { EventEmitter } from 'node:events';
import type { BlockProof, JobError, JobResult } from '../../prover/types.js';
import type { BlockSubmittedEvent, JobEvent, LeaseEvent, Orchestrator } from '../../prover/orchestrator.js';

export const JOB_STATES = ['waiting', 'running', 'leased', 'retrying', 'done', 'reused', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface TreeJob {
  id: string;
  circuit: string;
  kind: string;
  deps: string[];
  txRange: [number, number];
  estimatedMs: number;
  state: JobState;
  /** attempts started (here or on an agent) */
  attempts: number;
  /** failed attempts (each retried, unless the job is `failed`) */
  failures: number;
  lastError?: string;
  /** where the last attempt ran: this node's worker pool, or a remote agent */
  where?: 'local' | 'agent';
  /** the worker thread that proved it (local) */
  worker?: number;
  /** the agent's peer id (leased) */
  agent?: string;
  /** ms since epoch */
  startedAt?: number;
  endedAt?: number;
  /** the attempt's wall time (ms), and the worker's proving time */
  ms?: number;
  proveMs?: number;
}

export interface ProofTree {
  blockHash: string;
  slot: number;
  txCount: number;
  root: string;
  status: 'proving' | 'done' | 'failed' | 'cancelled';
  startedAt: number;
  endedAt?: number;
  error?: string;
  /** dependency order (root last) */
  jobs: TreeJob[];
}

export type TreeSummary = Omit<ProofTree, 'jobs'> & { jobs: number; done: number; running: number; failures: number };

export type TreeUpdate = { kind: 'tree'; tree: TreeSummary } | { kind: 'job'; blockHash: string; job: TreeJob };

export function summarize(t: ProofTree): TreeSummary {
  const { jobs, ...rest } = t;
  return {
    ...rest, jobs: jobs.length, done: jobs.filter((j) => j.state === 'done' || j.state === 'reused').length,
    running: jobs.filter((j) => j.state === 'running' || j.state === 'leased').length, failures: jobs.reduce((a, j) => a + j.failures, 0),
  };
}

export class ProofTrees extends EventEmitter {
  private readonly trees = new Map<string, { tree: ProofTree; byId: Map<string, TreeJob> }>();
  private readonly detach: (() => void)[] = [];

  constructor(orch: Orchestrator, private readonly keep = 64) {
    super();
    const on = <T>(name: string, fn: (e: T) => void) => {
      orch.on(name, fn);
      this.detach.push(() => orch.off(name, fn));
    };
    on<BlockSubmittedEvent>('block:submitted', (e) => this.start(e));
    on<JobEvent>('job:started', (e) => this.jobs(e.blockHashes, e.jobId, (j) => {
      Object.assign(j, { state: 'running', where: 'local', agent: undefined, worker: undefined, attempts: e.attempt, startedAt: Date.now(), endedAt: undefined, ms: undefined });
    }));
    on<JobEvent & { ms: number; result: JobResult }>('job:finished', (e) => this.jobs(e.blockHashes, e.jobId, (j) => {
      const now = Date.now();
      Object.assign(j, {
        state: 'done', endedAt: now, proveMs: e.result.proveMs, attempts: Math.max(j.attempts, e.attempt),
        ...(e.agent ? { where: 'agent', agent: e.agent, worker: undefined, ms: j.startedAt ? now - j.startedAt : undefined } : { where: 'local', worker: e.result.worker, ms: e.ms }),
      });
    }));
    on<JobEvent>('job:reused', (e) => this.jobs(e.blockHashes, e.jobId, (j) => { Object.assign(j, { state: 'reused', endedAt: Date.now() }); }));
    on<JobEvent & { error: JobError; willRetry: boolean }>('job:failed', (e) => this.jobs(e.blockHashes, e.jobId, (j) => {
      Object.assign(j, { state: e.willRetry ? 'retrying' : 'failed', failures: j.failures + 1, lastError: e.error.message, endedAt: Date.now() });
    }));
    on<LeaseEvent>('lease:started', (e) => {
      const now = Date.now();
      for (const id of e.jobs) this.jobs([e.blockHash], id, (j) => { Object.assign(j, { state: 'leased', where: 'agent', agent: e.agent, worker: undefined, startedAt: now, endedAt: undefined }); });
    });
    on<{ blockHash: string; agent: string; returned: string[]; error: JobError }>('lease:ended', (e) => {
      for (const id of e.returned) this.jobs([e.blockHash], id, (j) => { Object.assign(j, { state: 'waiting', failures: j.failures + 1, lastError: e.error.message, endedAt: Date.now() }); });
    });
    on<BlockProof>('block:done', (p) => this.settle(p.blockHash, 'done'));
    on<{ blockHash: string; error: JobError }>('block:failed', (e) => this.settle(e.blockHash, e.error.code === 'cancelled' ? 'cancelled' : 'failed', e.error.message));
  }

  /** Stops following the orchestrator. */
  close(): void {
    for (const d of this.detach.splice(0)) d();
  }

  get(blockHash: string): ProofTree | undefined {
    return this.trees.get(blockHash.toLowerCase())?.tree;
  }

  /** The trees kept, newest first. */
  list(): TreeSummary[] {
    return [...this.trees.values()].map((t) => summarize(t.tree)).reverse();
  }

  private start(e: BlockSubmittedEvent): void {
    const { plan } = e;
    const key = plan.blockHash.toLowerCase();
    const jobs: TreeJob[] = plan.jobs.map((j) => ({
      id: j.id, circuit: j.circuit, kind: j.kind, deps: [...j.deps], txRange: [j.txRange[0], j.txRange[1]], estimatedMs: j.estimatedMs,
      state: 'waiting', attempts: 0, failures: 0,
    }));
    const tree: ProofTree = { blockHash: key, slot: Number(plan.slot), txCount: plan.txCount, root: plan.root, status: 'proving', startedAt: Date.now(), jobs };
    this.trees.delete(key); // proven again (a restart, a retry): the newest run, at the end
    this.trees.set(key, { tree, byId: new Map(jobs.map((j) => [j.id, j])) });
    while (this.trees.size > this.keep) this.trees.delete(this.trees.keys().next().value!);
    this.emit('update', { kind: 'tree', tree: summarize(tree) } satisfies TreeUpdate);
  }

  private jobs(blockHashes: string[], jobId: string, fn: (j: TreeJob) => void): void {
    for (const h of blockHashes) {
      const t = this.trees.get(h.toLowerCase());
      const j = t?.byId.get(jobId);
      if (!t || !j || t.tree.status !== 'proving') continue;
      fn(j);
      this.emit('update', { kind: 'job', blockHash: t.tree.blockHash, job: { ...j } } satisfies TreeUpdate);
    }
  }

  private settle(blockHash: string, status: ProofTree['status'], error?: string): void {
    const t = this.trees.get(blockHash.toLowerCase());
    if (!t || t.tree.status !== 'proving') return;
    const now = Date.now();
    for (const j of t.tree.jobs) {
      // a job shared with a block proven before (its proof taken, no event of its own): done
      if (status === 'done' && j.state !== 'done' && j.state !== 'reused') Object.assign(j, { state: 'reused', endedAt: now });
      if (status !== 'done' && (j.state === 'waiting' || j.state === 'running' || j.state === 'leased' || j.state === 'retrying')) Object.assign(j, { state: 'cancelled', endedAt: now });
    }
    Object.assign(t.tree, { status, endedAt: now, error });
    this.emit('update', { kind: 'tree', tree: summarize(t.tree) } satisfies TreeUpdate);
  }
}
