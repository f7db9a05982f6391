// The orchestrator: turns blocks' proof plans (DAGs of jobs, circuits/plan.ts) into final
// proofs on an Executor (the worker pool, or a remote agent). Every job starts the moment
// its deps' proofs exist; ready jobs are ordered by their block's proving deadline, then
// nearest-root first (the job with the fewest steps left to its block's root, so a block
// close to done finishes first), then submission order. Up to `executor.capacity` jobs run
// at once, across any number of blocks. Cheap main-thread work (`prepare`: executing the
// block, building segment inputs) runs ahead for every job while earlier jobs prove.
// Jobs are persisted (JobStore): a finished proof is reused (counted), a job id seen twice
// (same inputs) runs once, failures retry with backoff, a timeout aborts the attempt, and a
// block's AbortSignal (reorg, slash) stops its queued and running jobs.
//
// Remote agents (a `Lessor`, prover/remote.ts AgentHub): after the local executor is full,
// a free agent gets a lease: the best leasable job (nearest its block's root, then deadline,
// then submission order; leasable = not started, prepared, its block has a `spec`, and every
// dep done or itself leasable) with all its unfinished transitive deps, i.e. a whole block,
// or the rest of it (a subtree) when part runs here. Leased jobs are not started locally.
// Every result an agent returns is verified (`verify`, bb.js in a worker) and passes
// `task.check` before it is stored and used; a lease that ends early (agent silent, dropped,
// failed) puts its unfinished jobs back in the queue, keeping the results already received.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { topoOrder, type ProofJob, type ProofPlan } from '../circuits/plan.js';
import { createLogger, type Logger } from '../node/log.js';
import type { JobStore } from './jobs.js';
import type { TaskSpec } from './tasks.js';
import { JobError, type BlockProof, type JobResult, type ProveRequest } from './types.js';

/** Something that proves requests: the local pool, a remote agent. */
export interface Executor {
  /** Jobs it runs at once (the orchestrator never queues more than this on it). */
  readonly capacity: number;
  /** Proves `req`; aborting `signal` stops the attempt (the promise then rejects). */
  run(req: ProveRequest, signal: AbortSignal): Promise<JobResult>;
}

/** One block to prove. */
export interface BlockTask {
  plan: ProofPlan;
  /** The block's proving deadline on L1 (block number or ms; smaller = sooner). Default: Infinity. */
  deadline?: number;
  /** Aborting it (reorg, slash) cancels the block's queued and running jobs. */
  signal?: AbortSignal;
  /** Cheap work ahead of proving, done for each job as soon as the block is submitted (main thread). */
  prepare?(job: ProofJob): unknown | Promise<unknown>;
  /** The job's request from its deps' results (in `job.deps` order) and what `prepare` returned. */
  request(job: ProofJob, deps: JobResult[], prepared: unknown): ProveRequest | Promise<ProveRequest>;
  /** Checks a result before anything uses it (e.g. the expected public inputs); throw to reject it. */
  check?(job: ProofJob, result: JobResult, prepared: unknown): void | Promise<void>;
  /** How a remote agent rebuilds this task (prover/tasks.ts). Blocks without one are never leased. */
  spec?: TaskSpec;
  /** Results already known (a lease's deps, proven by the node): those jobs start done. */
  known?: ReadonlyMap<string, JobResult>;
}

/** A part of a block handed to a remote agent: `root` and its unfinished transitive deps. */
export interface LeaseOffer {
  leaseId: string;
  spec: TaskSpec;
  /** The block's whole plan. */
  plan: ProofPlan;
  /** The lease's top job. */
  root: string;
  /** The leased job ids, dependency order (root last). */
  jobs: string[];
  /** Results of the leased jobs' deps outside the lease (all done). */
  known: Map<string, JobResult>;
  deadline?: number;
}

/** The orchestrator's side of a lease, for the lessor. */
export interface LeaseSink {
  /** A job's result from the agent: verified, checked, stored and used, or rejected with a JobError (the lease is then over). */
  result(jobId: string, result: JobResult): Promise<void>;
  /** The lease is over (agent dropped or silent, a failure on its side): its unfinished jobs return to the queue. */
  end(reason: JobError): void;
}

/** Hands leases to remote agents (prover/remote.ts AgentHub). Emits 'capacity' when an agent frees up or joins. */
export interface Lessor {
  /** Whether some agent can take another lease now. */
  canLease(): boolean;
  /** Sends the lease to an agent; `cancel` tells the agent to stop (block cancelled). */
  lease(offer: LeaseOffer, sink: LeaseSink): { agent: string; cancel(reason: string): void };
}

export interface OrchestratorOptions {
  executor: Executor;
  store?: JobStore;
  /** Per attempt. Default 30 min (a 2^20 proof takes ~95 s single-threaded). */
  jobTimeoutMs?: number;
  /** Attempts per job for retryable failures. Default 3. */
  maxAttempts?: number;
  /** Backoff before retry n is backoffMs * 2^(n-1). Default 1 s. */
  backoffMs?: number;
  log?: Logger;
  /** Remote agents that take leases (whole blocks or subtrees). Needs `verify`. */
  lessor?: Lessor;
  /** Verifies a proof (bb.js, cached vk; ProverPool.verify): every agent's result passes it before use. */
  verify?: (circuit: ProveRequest['circuit'], proof: Uint8Array, publicInputs: readonly string[], flavour?: ProveRequest['flavour']) => Promise<boolean>;
}

export interface OrchestratorCounters {
  jobsStarted: number;
  jobsFinished: number;
  jobsFailed: number;
  jobsRetried: number;
  jobsTimedOut: number;
  jobsCancelled: number;
  /** Jobs whose proof came from the store (a restart) instead of being proven. */
  jobsReusedFromStore: number;
  /** Job ids submitted again while known (in flight or done in this process): run once. */
  jobsDeduplicated: number;
  workerCrashes: number;
  blocksDone: number;
  blocksFailed: number;
  blocksCancelled: number;
  /** Leases handed to agents; finished; ended early with jobs returned to the queue; cancelled with their block. */
  leasesSent: number;
  leasesDone: number;
  leasesReassigned: number;
  leasesCancelled: number;
  /** Job results from agents accepted (verified + checked), and refused (bad proof or public inputs). */
  jobsFromAgents: number;
  badProofsFromAgents: number;
}

export interface JobEvent { jobId: string; blockHashes: string[]; circuit: string; attempt: number; /** set when an agent proved it */ agent?: string }

/** A block's proving starts (its plan: the jobs and their deps). */
export interface BlockSubmittedEvent { plan: ProofPlan; deadline: number }

export interface LeaseEvent { leaseId: string; blockHash: string; agent: string; root: string; jobs: string[] }

type JobPhase = 'waiting' | 'ready' | 'running' | 'leased' | 'done' | 'failed' | 'cancelled';

interface LeaseState {
  id: string;
  block: BlockState;
  agent: string;
  /** Leased jobs whose results have not arrived yet. */
  pending: Set<string>;
  ended: boolean;
  cancel?(reason: string): void;
}

interface JobState {
  job: ProofJob;
  blocks: Set<string>;
  phase: JobPhase;
  result?: JobResult;
  prepared?: unknown;
  isPrepared: boolean;
  attempts: number;
  /** Steps from this job to its block's root (root = 0). */
  toRoot: number;
  seq: number;
  notBefore: number;
  abort?: AbortController;
  abortReason?: 'timeout' | 'cancelled';
  lease?: LeaseState;
  /** Came back from a lease that failed on the agent's side: proven here only. */
  localOnly?: boolean;
}

interface BlockState {
  task: BlockTask;
  plan: ProofPlan;
  deadline: number;
  jobs: string[];
  startedAt: number;
  proven: number;
  reused: number;
  settled: boolean;
  promise: Promise<BlockProof>;
  resolve(p: BlockProof): void;
  reject(e: Error): void;
  unlisten?: () => void;
}

export class Orchestrator extends EventEmitter {
  readonly counters: OrchestratorCounters = {
    jobsStarted: 0, jobsFinished: 0, jobsFailed: 0, jobsRetried: 0, jobsTimedOut: 0, jobsCancelled: 0,
    jobsReusedFromStore: 0, jobsDeduplicated: 0, workerCrashes: 0, blocksDone: 0, blocksFailed: 0, blocksCancelled: 0,
    leasesSent: 0, leasesDone: 0, leasesReassigned: 0, leasesCancelled: 0, jobsFromAgents: 0, badProofsFromAgents: 0,
  };
  private readonly executor: Executor;
  private readonly store?: JobStore;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly log: Logger;
  private readonly lessor?: Lessor;
  private readonly verify?: OrchestratorOptions['verify'];
  /** No new lease before this time (a lessor failed to hand one out). */
  private leasePauseUntil = 0;
  private readonly jobs = new Map<string, JobState>();
  private readonly blocks = new Map<string, BlockState>();
  private running = 0;
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private prepQueue: Promise<void> = Promise.resolve();
  private readonly admitting = new Set<Promise<void>>();

  constructor(opts: OrchestratorOptions) {
    super();
    this.executor = opts.executor;
    this.store = opts.store;
    this.timeoutMs = opts.jobTimeoutMs ?? 30 * 60_000;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.log = opts.log ?? createLogger('prover:orchestrator');
    // an executor whose capacity grows (remote agents joining) says so
    if (this.executor instanceof EventEmitter) this.executor.on('capacity', () => this.pump());
    if (opts.lessor && !opts.verify) throw new Error('an orchestrator with remote agents (lessor) needs verify: agents\' proofs are checked before use');
    this.lessor = opts.lessor;
    this.verify = opts.verify;
    if (this.lessor instanceof EventEmitter) this.lessor.on('capacity', () => this.pump());
  }

  /** Jobs queued (waiting for deps or ready), running here, leased to agents; blocks in flight. */
  stats(): { waiting: number; ready: number; running: number; leased: number; blocks: number } {
    let waiting = 0, ready = 0, leased = 0;
    for (const j of this.jobs.values()) {
      if (j.phase === 'waiting') waiting++;
      else if (j.phase === 'ready') ready++;
      else if (j.phase === 'leased') leased++;
    }
    return { waiting, ready, running: this.running, leased, blocks: [...this.blocks.values()].filter((b) => !b.settled).length };
  }

  /**
   * Proves a block. Resolves with its final proof, rejects with a JobError naming the job
   * and block when a job fails for good, or with code 'cancelled' when `task.signal` aborts.
   * Submitting a block already in flight returns the same promise.
   */
  submit(task: BlockTask): Promise<BlockProof> {
    if (this.closed) return Promise.reject(new Error('orchestrator is closed'));
    const plan = task.plan;
    const live = this.blocks.get(plan.blockHash);
    if (live && !live.settled) return live.promise;
    let order: ProofJob[];
    try {
      order = topoOrder(plan);
      if (!plan.jobs.some((j) => j.id === plan.root)) throw new Error(`plan root ${plan.root} is not one of its jobs`);
    } catch (e) {
      return Promise.reject(new JobError('bad-input', `block ${plan.blockHash}: bad plan: ${(e as Error).message}`));
    }
    let resolve!: (p: BlockProof) => void, reject!: (e: Error) => void;
    const promise = new Promise<BlockProof>((res, rej) => { resolve = res; reject = rej; });
    const b: BlockState = {
      task, plan, deadline: task.deadline ?? Number.POSITIVE_INFINITY, jobs: order.map((j) => j.id), startedAt: Date.now(),
      proven: 0, reused: 0, settled: false, promise, resolve, reject,
    };
    this.blocks.set(plan.blockHash, b);
    this.emit('block:submitted', { plan, deadline: b.deadline } satisfies BlockSubmittedEvent);
    if (task.signal) {
      const onAbort = () => this.cancel(plan.blockHash, String(task.signal?.reason ?? 'aborted'));
      if (task.signal.aborted) queueMicrotask(onAbort);
      else {
        task.signal.addEventListener('abort', onAbort, { once: true });
        b.unlisten = () => task.signal?.removeEventListener('abort', onAbort);
      }
    }
    const admitted = this.admit(b, order).catch((e) => this.failBlock(b, e instanceof JobError ? e : new JobError('bad-input', `block ${plan.blockHash}: ${(e as Error).message}`)));
    this.admitting.add(admitted);
    void admitted.finally(() => this.admitting.delete(admitted));
    return promise;
  }

  /** Cancels a block: its queued jobs are dropped and its running jobs aborted (unless another live block shares them). */
  cancel(blockHash: string, reason = 'cancelled'): boolean {
    const b = this.blocks.get(blockHash);
    if (!b || b.settled) return false;
    this.counters.blocksCancelled++;
    this.settle(b, new JobError('cancelled', `block ${blockHash} cancelled: ${reason}`), 'cancelled');
    return true;
  }

  /**
   * Resolves once every block submitted so far is admitted and its jobs prepared, i.e. the
   * scheduler has seen them: what is ready is queued, running or leased. For callers (and
   * tests) that must observe what the orchestrator did with a submission, without a sleep.
   */
  async drained(): Promise<void> {
    for (;;) {
      const q = this.prepQueue;
      if (this.admitting.size) await Promise.all([...this.admitting]);
      await q.catch(() => {});
      if (this.admitting.size === 0 && q === this.prepQueue) return;
    }
  }

  /** Re-runs scheduling, e.g. when the executor's capacity grew (a remote agent joined). */
  poke(): void {
    this.pump();
  }

  /** Cancels everything in flight and stops scheduling. */
  async close(): Promise<void> {
    this.closed = true;
    for (const h of [...this.blocks.keys()]) this.cancel(h, 'orchestrator closed');
    if (this.timer) clearTimeout(this.timer);
    await this.prepQueue.catch(() => {});
  }

  // ---- admission -----------------------------------------------------------------------

  private async admit(b: BlockState, order: ProofJob[]): Promise<void> {
    const { plan } = b;
    const toRoot = distancesToRoot(plan);
    await this.store?.putBlock({ blockHash: plan.blockHash, slot: plan.slot, deadline: Number.isFinite(b.deadline) ? b.deadline : Number.MAX_SAFE_INTEGER, plan });
    const fresh: JobState[] = [];
    for (const job of order) {
      if (b.settled) return;
      const known = this.jobs.get(job.id);
      if (known && known.phase !== 'failed' && known.phase !== 'cancelled') {
        known.blocks.add(plan.blockHash);
        this.counters.jobsDeduplicated++;
        if (known.phase === 'done') b.reused++;
        continue;
      }
      const given = b.task.known?.get(job.id);
      const stored = given ?? await this.store?.getResult(job.id);
      const s: JobState = {
        job, blocks: new Set([plan.blockHash]), phase: stored ? 'done' : 'waiting', result: stored, isPrepared: false,
        attempts: 0, toRoot: toRoot.get(job.id) ?? 0, seq: this.seq++, notBefore: 0,
      };
      this.jobs.set(job.id, s);
      if (given) b.reused++;
      else if (stored) {
        this.counters.jobsReusedFromStore++;
        b.reused++;
        this.emit('job:reused', { jobId: job.id, blockHashes: [plan.blockHash], circuit: job.circuit, attempt: 0 } satisfies JobEvent);
      } else {
        await this.store?.ensureJob(job, plan.blockHash);
        fresh.push(s);
      }
    }
    if (b.settled) return;
    // prepare ahead, one job at a time on the main thread, in dependency order
    for (const s of fresh) this.enqueuePrepare(b, s);
    this.checkBlockDone(b);
    this.promoteReady(b);
  }

  private enqueuePrepare(b: BlockState, s: JobState): void {
    const run = async () => {
      if (b.settled || s.phase === 'cancelled' || s.phase === 'failed') return;
      try {
        s.prepared = b.task.prepare ? await b.task.prepare(s.job) : undefined;
        s.isPrepared = true;
      } catch (e) {
        const err = e instanceof JobError ? e : new JobError('bad-input', `preparing ${s.job.circuit} job: ${(e as Error).message}`, { jobId: s.job.id, circuit: s.job.circuit });
        this.failJob(s, err);
        return;
      }
      this.promoteReady(b);
    };
    this.prepQueue = this.prepQueue.then(run, run);
  }

  // ---- scheduling ----------------------------------------------------------------------

  private promoteReady(b: BlockState): void {
    for (const id of b.jobs) {
      const s = this.jobs.get(id);
      if (!s || s.phase !== 'waiting') continue;
      if (!s.isPrepared && b.task.prepare) continue;
      if (s.job.deps.every((d) => this.jobs.get(d)?.phase === 'done')) s.phase = 'ready';
    }
    this.pump();
  }

  private deadlineOf(s: JobState): number {
    let d = Number.POSITIVE_INFINITY;
    for (const h of s.blocks) {
      const b = this.blocks.get(h);
      if (b && !b.settled) d = Math.min(d, b.deadline);
    }
    return d;
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    while (this.running < this.executor.capacity) {
      let best: JobState | undefined;
      let bestKey: [number, number, number] | undefined;
      let soonest = Number.POSITIVE_INFINITY;
      for (const s of this.jobs.values()) {
        if (s.phase !== 'ready') continue;
        if (s.notBefore > now) { soonest = Math.min(soonest, s.notBefore); continue; }
        const key: [number, number, number] = [this.deadlineOf(s), s.toRoot, s.seq];
        if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
          best = s;
          bestKey = key;
        }
      }
      if (!best) {
        if (Number.isFinite(soonest)) {
          if (this.timer) clearTimeout(this.timer);
          this.timer = setTimeout(() => { this.timer = undefined; this.pump(); }, Math.max(1, soonest - now));
        }
        break;
      }
      this.start(best);
    }
    while (this.lessor?.canLease() && now >= this.leasePauseUntil) {
      const pick = this.pickLease(now);
      if (!pick) break;
      this.startLease(pick.top, pick.jobs);
    }
  }

  private start(s: JobState): void {
    s.phase = 'running';
    s.attempts++;
    this.running++;
    const ac = new AbortController();
    s.abort = ac;
    s.abortReason = undefined;
    const timer = setTimeout(() => { s.abortReason = 'timeout'; ac.abort(new Error('timeout')); }, this.timeoutMs);
    const ev: JobEvent = { jobId: s.job.id, blockHashes: [...s.blocks], circuit: s.job.circuit, attempt: s.attempts };
    this.counters.jobsStarted++;
    this.emit('job:started', ev);
    const t0 = Date.now();
    const attempt = async (): Promise<JobResult> => {
      await this.store?.markRunning(s.job.id);
      const deps = s.job.deps.map((d) => {
        const r = this.jobs.get(d)?.result;
        if (!r) throw new JobError('bad-input', `dependency ${d} of job ${s.job.id} has no proof`);
        return r;
      });
      const b = this.blockOf(s);
      if (!b) throw new JobError('cancelled', 'no live block');
      const req = await b.task.request(s.job, deps, s.prepared);
      if (ac.signal.aborted) throw ac.signal.reason;
      const result = await this.executor.run(req, ac.signal);
      await b.task.check?.(s.job, result, s.prepared);
      return result;
    };
    attempt().then(
      async (result) => {
        clearTimeout(timer);
        this.running--;
        s.abort = undefined;
        if (s.phase !== 'running') return this.pump(); // cancelled meanwhile
        await this.finish(s, result, { ...ev, ms: Date.now() - t0 });
      },
      (e) => {
        clearTimeout(timer);
        this.running--;
        s.abort = undefined;
        if (s.phase !== 'running') return this.pump();
        const err = this.classify(s, e);
        if (err.retryable && s.attempts < this.maxAttempts) {
          const delay = this.backoffMs * 2 ** (s.attempts - 1);
          this.counters.jobsRetried++;
          if (err.code === 'timeout') this.counters.jobsTimedOut++;
          if (err.code === 'worker-crash') this.counters.workerCrashes++;
          this.log.warn({ jobId: s.job.id, circuit: s.job.circuit, attempt: s.attempts, code: err.code, err: err.message, retryInMs: delay }, 'proving job failed, retrying');
          this.emit('job:failed', { ...ev, error: err, willRetry: true });
          void this.store?.markError(s.job.id, err.code, err.message, 'queued').catch(() => {});
          s.phase = 'ready';
          s.notBefore = Date.now() + delay;
          this.pump();
          return;
        }
        if (err.code === 'timeout') this.counters.jobsTimedOut++;
        if (err.code === 'worker-crash') this.counters.workerCrashes++;
        this.failJob(s, err);
        this.pump();
      },
    );
  }

  /** A job's proof exists (proven here or accepted from an agent): store it, tell its blocks, go on. */
  private async finish(s: JobState, result: JobResult, ev: JobEvent & { ms: number }): Promise<void> {
    s.result = result;
    s.phase = 'done';
    try {
      await this.store?.saveResult(s.job.id, result);
    } catch (e) {
      this.log.error({ err: e, jobId: s.job.id }, 'could not persist a proof (kept in memory)');
    }
    this.counters.jobsFinished++;
    this.emit('job:finished', { ...ev, result });
    for (const h of s.blocks) {
      const b = this.blocks.get(h);
      if (!b || b.settled) continue;
      b.proven++;
      this.checkBlockDone(b);
      this.promoteReady(b);
    }
    this.pump();
  }

  // ---- leases to remote agents ------------------------------------------------------------

  /**
   * The best leasable unit: the leasable job nearest its block's root (ties: deadline, then
   * submission order) and its unfinished transitive deps. Leasable: waiting or ready (not
   * running, not leased), prepared, its block has a spec, not held back by a backoff or a
   * failure on an agent, and every dep done or itself leasable.
   */
  private pickLease(now: number): { top: JobState; jobs: JobState[] } | undefined {
    const memo = new Map<string, boolean>();
    const leasable = (s: JobState): boolean => {
      const m = memo.get(s.job.id);
      if (m !== undefined) return m;
      memo.set(s.job.id, false); // cycles cannot happen (topoOrder), but never recurse forever
      const b = this.blockOf(s);
      const ok = !!b && !!b.task.spec && (s.phase === 'waiting' || s.phase === 'ready') && !s.localOnly && s.notBefore <= now
        && (s.isPrepared || !b.task.prepare)
        && s.job.deps.every((d) => {
          const ds = this.jobs.get(d);
          return !!ds && (ds.phase === 'done' || leasable(ds));
        });
      memo.set(s.job.id, ok);
      return ok;
    };
    let top: JobState | undefined;
    let key: [number, number, number] | undefined;
    for (const s of this.jobs.values()) {
      if (!leasable(s)) continue;
      const k: [number, number, number] = [s.toRoot, this.deadlineOf(s), s.seq];
      if (!key || k[0] < key[0] || (k[0] === key[0] && (k[1] < key[1] || (k[1] === key[1] && k[2] < key[2])))) {
        top = s;
        key = k;
      }
    }
    if (!top) return undefined;
    const jobs: JobState[] = [];
    const seen = new Set<string>();
    const visit = (s: JobState) => {
      if (seen.has(s.job.id) || s.phase === 'done') return;
      seen.add(s.job.id);
      for (const d of s.job.deps) visit(this.jobs.get(d)!);
      jobs.push(s);
    };
    visit(top);
    return { top, jobs };
  }

  private startLease(top: JobState, jobs: JobState[]): void {
    const b = this.blockOf(top)!;
    const ids = new Set(jobs.map((s) => s.job.id));
    const known = new Map<string, JobResult>();
    for (const s of jobs) {
      for (const d of s.job.deps) {
        const ds = this.jobs.get(d)!;
        if (!ids.has(d) && ds.result) known.set(d, ds.result);
      }
    }
    const lease: LeaseState = { id: randomUUID(), block: b, agent: '', pending: ids, ended: false };
    for (const s of jobs) {
      s.phase = 'leased';
      s.lease = lease;
    }
    const offer: LeaseOffer = {
      leaseId: lease.id, spec: b.task.spec!, plan: b.plan, root: top.job.id, jobs: jobs.map((s) => s.job.id), known,
      deadline: Number.isFinite(b.deadline) ? b.deadline : undefined,
    };
    this.counters.leasesSent++;
    try {
      const h = this.lessor!.lease(offer, { result: (id, r) => this.leaseResult(lease, id, r), end: (e) => this.endLease(lease, e) });
      lease.agent = h.agent;
      lease.cancel = h.cancel;
    } catch (e) {
      // pause leasing a moment (no tight loop), the jobs go back to the queue
      this.leasePauseUntil = Date.now() + 1000;
      setTimeout(() => this.pump(), 1000).unref();
      this.endLease(lease, new JobError('worker-crash', `could not hand a lease to an agent: ${(e as Error).message}`));
      return;
    }
    const ev: LeaseEvent = { leaseId: lease.id, blockHash: b.plan.blockHash, agent: lease.agent, root: top.job.id, jobs: offer.jobs };
    this.log.info({ ...ev, jobs: offer.jobs.length, known: known.size }, 'leased jobs to a prover agent');
    this.emit('lease:started', ev);
  }

  /** A result from an agent: verified with bb.js and checked before anything uses it. */
  private async leaseResult(lease: LeaseState, jobId: string, result: JobResult): Promise<void> {
    const s = this.jobs.get(jobId);
    if (lease.ended) {
      if (s?.phase === 'done') return;
      throw new JobError('cancelled', `lease ${lease.id} is over`);
    }
    if (!s || s.lease !== lease || s.phase !== 'leased') {
      const err = new JobError('bad-input', `prover agent ${lease.agent} returned job ${jobId.slice(0, 12)}, which is not in its lease ${lease.id}`, { jobId });
      this.endLease(lease, err);
      throw err;
    }
    const b = lease.block;
    const ev: JobEvent & { ms: number } = { jobId, blockHashes: [...s.blocks], circuit: s.job.circuit, attempt: s.attempts + 1, agent: lease.agent, ms: 0 };
    const refuse = (why: string, bad: boolean): never => {
      if (bad) this.counters.badProofsFromAgents++;
      const err = new JobError('prove', `prover agent ${lease.agent} returned a ${s.job.circuit} proof for job ${jobId.slice(0, 12)} that ${why}`, { jobId, circuit: s.job.circuit });
      this.log.warn({ agent: lease.agent, jobId, circuit: s.job.circuit, leaseId: lease.id, err: err.message }, 'refused a proof from a prover agent');
      this.emit('job:failed', { ...ev, error: err, willRetry: true });
      this.endLease(lease, err);
      throw err;
    };
    const deps = s.job.deps.map((d) => this.jobs.get(d)?.result);
    if (deps.some((r) => !r)) refuse('came before its deps\' proofs', false);
    let req: ProveRequest;
    try {
      req = await b.task.request(s.job, deps as JobResult[], s.prepared);
    } catch (e) {
      return refuse(`cannot be checked: ${(e as Error).message}`, false);
    }
    const ok = await this.verify!(req.circuit, result.proof, result.publicInputs, req.flavour).catch((e: Error) => refuse(`could not be verified: ${e.message}`, false));
    if (!ok) refuse('does not verify', true);
    try {
      await b.task.check?.(s.job, result, s.prepared);
    } catch (e) {
      refuse(`fails the block's check: ${(e as Error).message}`, true);
    }
    if (lease.ended || s.lease !== lease || s.phase !== 'leased') return; // cancelled while verifying
    s.attempts++;
    s.lease = undefined;
    lease.pending.delete(jobId);
    this.counters.jobsFromAgents++;
    if (lease.pending.size === 0) {
      lease.ended = true;
      this.counters.leasesDone++;
      this.emit('lease:done', { leaseId: lease.id, blockHash: b.plan.blockHash, agent: lease.agent });
    }
    await this.finish(s, { ...result, worker: -1 }, ev);
  }

  /** A lease is over: its unfinished jobs go back to the queue (here or another agent), received results stay. */
  private endLease(lease: LeaseState, reason: JobError): void {
    if (lease.ended) return;
    lease.ended = true;
    const back: JobState[] = [];
    for (const id of lease.pending) {
      const s = this.jobs.get(id);
      if (!s || s.lease !== lease) continue;
      s.lease = undefined;
      if (s.phase !== 'leased') continue;
      s.phase = 'waiting';
      // the agent itself failed the work (not silence, not a refused proof): prove it here
      if (reason.code !== 'worker-crash' && reason.code !== 'prove' && reason.code !== 'cancelled') s.localOnly = true;
      back.push(s);
    }
    lease.pending.clear();
    if (back.length) this.counters.leasesReassigned++;
    this.log.warn({ leaseId: lease.id, agent: lease.agent, blockHash: lease.block.plan.blockHash, returned: back.length, code: reason.code, err: reason.message }, 'a lease ended early; its unfinished jobs go back to the queue');
    this.emit('lease:ended', { leaseId: lease.id, blockHash: lease.block.plan.blockHash, agent: lease.agent, returned: back.map((s) => s.job.id), error: reason });
    if (!lease.block.settled) this.promoteReady(lease.block);
  }

  private classify(s: JobState, e: unknown): JobError {
    const detail = { jobId: s.job.id, circuit: s.job.circuit };
    if (s.abortReason === 'timeout') return new JobError('timeout', `${s.job.circuit} job ${s.job.id.slice(0, 12)} timed out after ${this.timeoutMs} ms (attempt ${s.attempts})`, detail);
    if (e instanceof JobError) return e.detail.jobId ? e : new JobError(e.code, e.message, { ...e.detail, ...detail });
    return new JobError('prove', `${s.job.circuit} job ${s.job.id.slice(0, 12)}: ${(e as Error)?.message ?? String(e)}`, detail);
  }

  private blockOf(s: JobState): BlockState | undefined {
    for (const h of s.blocks) {
      const b = this.blocks.get(h);
      if (b && !b.settled) return b;
    }
    return undefined;
  }

  private failJob(s: JobState, err: JobError): void {
    s.phase = 'failed';
    this.counters.jobsFailed++;
    this.log.error({ jobId: s.job.id, circuit: s.job.circuit, code: err.code, err: err.message }, 'proving job failed');
    this.emit('job:failed', { jobId: s.job.id, blockHashes: [...s.blocks], circuit: s.job.circuit, attempt: s.attempts, error: err, willRetry: false });
    void this.store?.markError(s.job.id, err.code, err.message, 'failed').catch(() => {});
    for (const h of s.blocks) {
      const b = this.blocks.get(h);
      if (b && !b.settled) this.failBlock(b, err);
    }
  }

  private failBlock(b: BlockState, err: JobError): void {
    if (b.settled) return;
    this.counters.blocksFailed++;
    const e = new JobError(err.code, `block ${b.plan.blockHash} (slot ${b.plan.slot}) cannot be proven: ${err.message}`, err.detail);
    this.settle(b, e, 'failed');
  }

  private checkBlockDone(b: BlockState): void {
    if (b.settled) return;
    const root = this.jobs.get(b.plan.root);
    if (root?.phase !== 'done' || !root.result) return;
    const proof: BlockProof = {
      blockHash: b.plan.blockHash, slot: b.plan.slot, rootJob: b.plan.root, circuit: root.job.circuit, proof: root.result.proof, publicInputs: root.result.publicInputs,
      proven: b.proven, reused: b.reused, elapsedMs: Date.now() - b.startedAt,
    };
    b.settled = true;
    b.unlisten?.();
    this.counters.blocksDone++;
    this.release(b);
    const persisted = this.store?.setBlockStatus(b.plan.blockHash, 'done').catch((e) => this.log.error({ err: e }, 'could not persist a block status')) ?? Promise.resolve();
    void persisted.then(() => {
      this.emit('block:done', proof);
      b.resolve(proof);
    });
  }

  private settle(b: BlockState, err: JobError, status: 'failed' | 'cancelled'): void {
    b.settled = true;
    b.unlisten?.();
    void this.store?.setBlockStatus(b.plan.blockHash, status, err.message).catch(() => {});
    this.emit('block:failed', { blockHash: b.plan.blockHash, error: err });
    b.reject(err);
    // stop this block's jobs that no other live block needs
    for (const id of b.jobs) {
      const s = this.jobs.get(id);
      if (!s) continue;
      s.blocks.delete(b.plan.blockHash);
      if (s.blocks.size > 0 || s.phase === 'done' || s.phase === 'failed') continue;
      if (s.phase === 'running') {
        s.abortReason = 'cancelled';
        s.abort?.abort(new JobError('cancelled', err.message));
      }
      if (s.phase === 'leased' && s.lease && !s.lease.ended) {
        const lease = s.lease;
        lease.ended = true;
        this.counters.leasesCancelled++;
        lease.cancel?.(err.message);
      }
      if (s.phase !== 'cancelled') {
        s.phase = 'cancelled';
        this.counters.jobsCancelled++;
        void this.store?.setStatus(id, 'cancelled').catch(() => {});
      }
    }
    this.release(b);
  }

  /** Drops finished jobs no live block references (their proofs stay in the store). */
  private release(b: BlockState): void {
    for (const id of b.jobs) {
      const s = this.jobs.get(id);
      if (!s) continue;
      s.blocks.delete(b.plan.blockHash);
      if (s.blocks.size === 0 && s.phase !== 'running') this.jobs.delete(id);
    }
    this.blocks.delete(b.plan.blockHash);
  }
}

/** Steps from each job to the plan's root along dependents. */
export function distancesToRoot(plan: ProofPlan): Map<string, number> {
  const dependents = new Map<string, string[]>();
  for (const j of plan.jobs) for (const d of j.deps) dependents.set(d, [...(dependents.get(d) ?? []), j.id]);
  const out = new Map<string, number>([[plan.root, 0]]);
  const queue = [plan.root];
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  while (queue.length) {
    const id = queue.shift()!;
    for (const d of byId.get(id)?.deps ?? []) {
      if (!out.has(d)) {
        out.set(d, out.get(id)! + 1);
        queue.push(d);
      }
    }
  }
  return out;
}
