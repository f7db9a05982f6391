// A remote prover agent (`sidecar agent`): a process with its own worker pool and orchestrator
// that connects to a node over libp2p, says hello with its worker count, and proves the leases
// the node hands it: a whole block or the rest of a block's plan (prover/remote.ts has the
// protocol). A lease is rebuilt into a block task from its spec (prover/tasks.ts registry;
// 'rollup' is registered by prover/rollup.ts) and runs on the agent's Orchestrator with the
// node's dep results as known; each job's result is kept for the node's polls until the node
// acknowledges it. A lease nobody polls for 10 heartbeats (at least 30 s; `keepMs` when the
// node sent no heartbeat) is cancelled: the node is gone or has dropped this agent.
import type { ProofJob, ProofPlan } from '../circuits/plan.js';
import type { CrsSelection } from '../circuits/backend/crs.js';
import type { BackendChoice } from '../circuits/backend/binaries.js';
import { createLogger, withComponent } from '../node/log.js';
import { HandlerError } from '../node/p2p/reqresp.js';
import type { P2PNode } from '../node/p2p/index.js';
import { Orchestrator, type Executor, type JobEvent } from './orchestrator.js';
import { ProverPool } from './pool.js';
import { MAX_FRAME_BYTES, PROTO_CANCEL, PROTO_HELLO, PROTO_LEASE, PROTO_POLL, type LeaseRequest, type PollReply } from './remote.js';
import './rollup.js'; // registers the 'rollup' task kind
import './range.js'; // registers the 'range' task kind
import { decodeResults, encodeResults, planFromWire, taskFromSpec } from './tasks.js';
import { JobError, type JobResult } from './types.js';
import { decodeFrame, encodeFrame } from './worker.js';

const log = createLogger('prover:agent');

interface AgentLease {
  id: string;
  blockHash: string;
  /** Results in the order they finished (deps before dependents), from index `acked` on (the node has the earlier ones). */
  results: [string, JobResult][];
  acked: number;
  state: 'running' | 'done' | 'failed';
  error?: PollReply['error'];
  ac: AbortController;
  polledAt: number;
  /** Cancel when not polled for this long. */
  idleMs: number;
  startedAt: number;
}

export interface LeaseRunnerOptions {
  /** Cancel a lease nobody polled for this long; forget a finished one after it. Default 10 min. */
  keepMs?: number;
  /** Fault injection for tests: change a result before the node sees it. */
  tamper?: (r: JobResult) => JobResult;
  jobTimeoutMs?: number;
}

/**
 * The agent's leases on its own orchestrator, without the transport (ProverAgent carries it
 * over libp2p): `start` a lease, `poll` its results since `ack`, `cancel` it.
 */
export class LeaseRunner {
  readonly orchestrator: Orchestrator;
  readonly leases = new Map<string, AgentLease>();
  /** Jobs proven for the node. */
  proven = 0;
  private readonly byBlock = new Map<string, AgentLease>();

  constructor(readonly executor: Executor, private readonly opts: LeaseRunnerOptions = {}) {
    this.orchestrator = new Orchestrator({ executor, jobTimeoutMs: opts.jobTimeoutMs, log: withComponent(log, 'orchestrator') });
    this.orchestrator.on('job:finished', (e: JobEvent & { result: JobResult }) => {
      for (const h of e.blockHashes) {
        const l = this.byBlock.get(h);
        if (!l) continue;
        this.proven++;
        l.results.push([e.jobId, this.opts.tamper ? this.opts.tamper(e.result) : e.result]);
      }
    });
  }

  /** Starts a lease; throws a JobError ('bad-input') when it cannot (unknown task kind, bad plan). */
  async start(req: LeaseRequest, known: Map<string, JobResult>): Promise<void> {
    this.gc();
    if (this.leases.has(req.leaseId)) return; // a repeated lease request: same lease
    const plan = planFromWire(req.plan);
    const byId = new Map(plan.jobs.map((j) => [j.id, j]));
    const leased = new Set(req.jobs);
    if (!leased.has(req.root) || req.jobs.some((id) => !byId.has(id))) throw new JobError('bad-input', 'the lease names jobs that are not in its plan');
    // the sub-plan: the leased jobs, plus their deps outside the lease as done jobs (known results)
    const jobs: ProofJob[] = [];
    for (const id of req.jobs) {
      const j = byId.get(id)!;
      for (const d of j.deps) {
        if (leased.has(d)) continue;
        if (!known.has(d)) throw new JobError('bad-input', `the lease lacks the result of dep ${d.slice(0, 12)}`);
        if (!jobs.some((x) => x.id === d)) jobs.push({ ...byId.get(d)!, deps: [] });
      }
      jobs.push(j);
    }
    const task = await taskFromSpec(req.spec, plan);
    const blockHash = `${plan.blockHash}/lease/${req.leaseId}`;
    const sub: ProofPlan = { ...plan, blockHash, jobs, root: req.root };
    const lease: AgentLease = { id: req.leaseId, blockHash, results: [], acked: 0, state: 'running', ac: new AbortController(), polledAt: Date.now(), startedAt: Date.now(),
      idleMs: req.heartbeatMs ? Math.max(30_000, 10 * req.heartbeatMs) : (this.opts.keepMs ?? 10 * 60_000) };
    this.leases.set(lease.id, lease);
    this.byBlock.set(blockHash, lease);
    log.info({ leaseId: lease.id, block: plan.blockHash, jobs: req.jobs.length, known: known.size }, 'lease taken');
    // not a spread: a task's spec may be a costly getter, and the agent never leases further
    const t = task;
    this.orchestrator.submit({
      plan: sub, known, deadline: req.deadline, signal: lease.ac.signal,
      prepare: t.prepare && ((job) => t.prepare!(job)), request: (job, deps, p) => t.request(job, deps, p), check: t.check && ((job, r, p) => t.check!(job, r, p)),
    }).then(
      () => {
        lease.state = 'done';
        log.info({ leaseId: lease.id, ms: Date.now() - lease.startedAt }, 'lease proven');
      },
      (e: unknown) => {
        lease.state = 'failed';
        lease.error = { code: e instanceof JobError ? e.code : 'prove', message: (e as Error)?.message ?? String(e) };
        log.warn({ leaseId: lease.id, err: lease.error.message }, 'lease failed');
      },
    ).finally(() => this.byBlock.delete(blockHash));
  }

  /** The lease's state and its results from `ack` on (what the node has not acknowledged). */
  poll(leaseId: string, ack: number): { header: PollReply; results: [string, JobResult][] } {
    const l = this.leases.get(leaseId);
    if (!l) return { header: { state: 'unknown' }, results: [] };
    l.polledAt = Date.now();
    // forget what the node has, so memory stays bounded by unacknowledged proofs
    const drop = Math.max(0, Math.min(ack - l.acked, l.results.length));
    if (drop) {
      l.results.splice(0, drop);
      l.acked += drop;
    }
    const results: [string, JobResult][] = [];
    let bytes = 0;
    for (const r of l.results.slice(Math.max(0, ack - l.acked))) {
      if (results.length && bytes + r[1].proof.length + 64 * 1024 > MAX_FRAME_BYTES / 2) break;
      results.push(r);
      bytes += r[1].proof.length + 64 * 1024;
    }
    return { header: { state: l.state, total: l.acked + l.results.length, error: l.error }, results };
  }

  cancel(leaseId: string, reason = 'cancelled by the node'): boolean {
    const l = this.leases.get(leaseId);
    if (!l) return false;
    l.ac.abort(reason);
    this.leases.delete(leaseId);
    return true;
  }

  /** Leases in flight and proofs made. */
  stats(): { leases: number; running: number; proven: number } {
    let running = 0;
    for (const l of this.leases.values()) if (l.state === 'running') running++;
    return { leases: this.leases.size, running, proven: this.proven };
  }

  /** Cancels leases the node stopped polling (ProverAgent runs it with every hello). */
  gc(): void {
    for (const [id, l] of this.leases) {
      if (Date.now() - l.polledAt > l.idleMs) {
        log.warn({ leaseId: id, idleSec: Math.round((Date.now() - l.polledAt) / 1000) }, 'the node stopped polling a lease: cancelled');
        this.cancel(id, 'not polled: the node is gone');
      }
    }
  }

  async close(): Promise<void> {
    for (const id of [...this.leases.keys()]) this.cancel(id, 'agent stopping');
    await this.orchestrator.close();
  }
}

export interface AgentOptions extends LeaseRunnerOptions {
  /** The node's peer id (the agent's p2p host dials it: its multiaddr is in `bootstrap`). */
  nodePeerId: string;
  /** Hello again this often (rejoins after the node restarted or dropped it). Default 10 s. */
  helloMs?: number;
}

/** The agent over libp2p: registers the lease protocols, says hello to the node and keeps saying it. */
export class ProverAgent {
  readonly runner: LeaseRunner;
  private helloTimer?: NodeJS.Timeout;
  private stopped = false;

  private constructor(readonly p2p: P2PNode, readonly pool: Executor, private readonly opts: AgentOptions) {
    this.runner = new LeaseRunner(pool, opts);
  }

  get proven(): number {
    return this.runner.proven;
  }

  static async start(p2p: P2PNode, pool: Executor, opts: AgentOptions): Promise<ProverAgent> {
    const a = new ProverAgent(p2p, pool, opts);
    const limits = { maxRequestBytes: MAX_FRAME_BYTES, maxResponseBytes: MAX_FRAME_BYTES, timeoutMs: 60_000, rateLimit: { requests: 2000, windowMs: 10_000 } };
    const fromNode = (peer: { toString(): string }) => {
      if (peer.toString() !== opts.nodePeerId) throw new HandlerError('not-found', 'this agent proves for another node');
    };
    await p2p.registerProtocol(PROTO_LEASE, async (req, peer) => {
      fromNode(peer);
      let lease: { header: LeaseRequest; results: [string, JobResult][] };
      try {
        lease = decodeResults<LeaseRequest>(req);
        await a.runner.start(lease.header, new Map(lease.results));
        return new Uint8Array(encodeFrame({ accepted: true }));
      } catch (e) {
        const err = e instanceof JobError ? e : new JobError('bad-input', (e as Error).message);
        log.warn({ err: err.message }, 'refused a lease');
        return new Uint8Array(encodeFrame({ accepted: false, error: { code: err.code, message: err.message } }));
      }
    }, limits);
    await p2p.registerProtocol(PROTO_POLL, (req, peer) => {
      fromNode(peer);
      const { leaseId, ack } = decodeFrame<{ leaseId: string; ack: number }>(req.buffer.slice(req.byteOffset, req.byteOffset + req.byteLength) as ArrayBuffer).header;
      const { header, results } = a.runner.poll(String(leaseId), Number(ack) || 0);
      return new Uint8Array(encodeResults(header as unknown as Record<string, unknown>, results));
    }, { ...limits, maxRequestBytes: 1024 });
    await p2p.registerProtocol(PROTO_CANCEL, (req, peer) => {
      fromNode(peer);
      const { leaseId } = decodeFrame<{ leaseId: string }>(req.buffer.slice(req.byteOffset, req.byteOffset + req.byteLength) as ArrayBuffer).header;
      if (a.runner.cancel(String(leaseId))) log.info({ leaseId }, 'lease cancelled by the node');
      return new Uint8Array(encodeFrame({ ok: true }));
    }, { ...limits, maxRequestBytes: 1024 });
    await a.hello();
    const every = opts.helloMs ?? 10_000;
    const again = () => {
      a.helloTimer = setTimeout(() => {
        a.runner.gc();
        void a.hello(1).catch((e) => log.warn({ err: (e as Error).message }, 'hello to the node failed')).finally(() => { if (!a.stopped) again(); });
      }, every);
      a.helloTimer.unref();
    };
    again();
    return a;
  }

  /** Tells the node this agent's capacity (retried while the connection comes up). */
  async hello(attempts = 20): Promise<void> {
    let last: unknown;
    for (let i = 0; i < attempts && !this.stopped; i++) {
      try {
        await this.p2p.request(this.opts.nodePeerId, PROTO_HELLO, new Uint8Array(encodeFrame({ workers: this.pool.capacity })), { timeoutMs: 5000 });
        log.debug({ node: this.opts.nodePeerId, workers: this.pool.capacity }, 'hello to the node');
        return;
      } catch (e) {
        last = e;
        if (i + 1 < attempts) await new Promise((r) => setTimeout(r, 250 * (i + 1)));
      }
    }
    throw new Error(`could not register with node ${this.opts.nodePeerId}: ${(last as Error)?.message}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    await this.runner.close();
  }
}

/**
 * The `sidecar agent` role: a pool (`workers`/`threads`, 0 = measured default) serving the
 * node `nodePeerId` over the agent's started p2p host (whose bootstrap list has the node).
 */
export async function startAgent(opts: { p2p: P2PNode; nodePeerId: string; workers?: number; threads?: number; crs?: CrsSelection; backend?: BackendChoice; helloMs?: number } & LeaseRunnerOptions): Promise<{ agent: ProverAgent; pool: ProverPool; stop(): Promise<void> }> {
  const pool = new ProverPool({ workers: opts.workers, threads: opts.threads, crs: opts.crs, backend: opts.backend });
  try {
    await pool.warm();
    const agent = await ProverAgent.start(opts.p2p, pool, { ...opts, nodePeerId: opts.nodePeerId });
    log.info({ node: opts.nodePeerId, workers: pool.capacity }, 'registered with the node');
    return { agent, pool, async stop() { await agent.stop(); await pool.close(); } };
  } catch (e) {
    await pool.close();
    throw e;
  }
}
