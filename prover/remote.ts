// Remote prover agents, the node's side. An agent (prover/agent.ts, `sidecar agent`: a process
// with its own worker pool and orchestrator) connects to the node over libp2p and says hello
// with its worker count. The node's orchestrator leases it whole blocks or the rest of a
// block's plan (a subtree: `Orchestrator` picks them, this hub carries them). Each lease is
// polled every `heartbeatMs`; the poll is the heartbeat and returns the results finished since
// the node's last acknowledged one, so intermediate proofs reach the node as they land. Every
// result goes through the orchestrator's LeaseSink (bb.js verification in a worker + the
// task's check) before anything uses it. `missLimit` failed polls in a row: the agent is
// dropped as silent and its leases end (their unfinished jobs go back to the node's queue,
// results already received are kept). An agent that returns a bad proof is dropped and
// refused for `banMs`.
//
// Protocols (node/p2p req/resp; frames: JSON header + bytes, prover/worker.ts encodeFrame;
// job results as in prover/tasks.ts encodeResults):
//   prover_hello/1  agent -> node   {workers}                                        -> {ok}
//   prover_lease/1  node -> agent   {leaseId, spec, plan, root, jobs, deadline, heartbeatMs} + known dep results -> {accepted, error?}
//   prover_poll/1   node -> agent   {leaseId, ack}  (ack = results the node has)     -> {state, total, error?} + results[ack..]
//   prover_cancel/1 node -> agent   {leaseId}                                        -> {ok}
import { EventEmitter } from 'node:events';
import { bytesToFields } from '../circuits/backend/prover.js';
import { HandlerError } from '../node/p2p/reqresp.js';
import type { P2PNode } from '../node/p2p/index.js';
import { createLogger } from '../node/log.js';
import type { LeaseOffer, LeaseSink, Lessor } from './orchestrator.js';
import { decodeResults, encodeResults, planToWire } from './tasks.js';
import { JobError, type JobErrorCode, type JobResult } from './types.js';
import { decodeFrame, encodeFrame } from './worker.js';

const log = createLogger('prover:remote');

export const PROTO_HELLO = 'prover_hello/1';
export const PROTO_LEASE = 'prover_lease/1';
export const PROTO_POLL = 'prover_poll/1';
export const PROTO_CANCEL = 'prover_cancel/1';
/** A lease carries the block's spec (a rollup block: its pre-state and txs) and its deps' proofs; a poll reply carries proofs. */
export const MAX_FRAME_BYTES = 32 * 2 ** 20;

export interface LeaseRequest { leaseId: string; spec: LeaseOffer['spec']; plan: ReturnType<typeof planToWire>; root: string; jobs: string[]; deadline?: number; /** the node's poll interval: the agent cancels a lease not polled for 10 of them */ heartbeatMs?: number }
export interface PollReply { state: 'running' | 'done' | 'failed' | 'unknown'; total?: number; error?: { code: JobErrorCode; message: string } }

export interface RemoteOptions {
  /** Poll (heartbeat) interval per lease. Default 2 s. */
  heartbeatMs?: number;
  /** Failed polls in a row before the agent counts as silent. Default 3. */
  missLimit?: number;
  /** Per-request timeout (a lease request gets 4x). Default 5 s. */
  requestTimeoutMs?: number;
  /** How long an agent that returned a bad proof is refused. Default 10 min. */
  banMs?: number;
  /** A lease that brings no new result for this long ends ('timeout'; its jobs are proven locally). Default 30 min. */
  leaseIdleMs?: number;
}

export interface RemoteCounters {
  agentsJoined: number;
  agentsDropped: number;
  /** Hellos refused from banned agents. */
  agentsRefused: number;
  leasesSent: number;
  pollsMissed: number;
}

const body = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

/** One connected agent: its leases in flight. */
export class RemoteAgent {
  readonly leases = new Map<string, AbortController>();
  dropped = false;

  constructor(readonly peerId: string, readonly workers: number, private readonly hub: AgentHub) {}

  /** An agent takes up to one lease per worker. */
  get free(): number {
    return this.dropped ? 0 : this.workers - this.leases.size;
  }

  /** Carries one lease: send it, poll it until it is done, failed or the agent is gone. */
  async run(offer: LeaseOffer, sink: LeaseSink, ac: AbortController): Promise<void> {
    const { opts, p2p } = this.hub;
    const end = (code: JobErrorCode, message: string) => sink.end(new JobError(code, `prover agent ${this.peerId}, lease ${offer.leaseId}: ${message}`));
    try {
      const req: LeaseRequest = { leaseId: offer.leaseId, spec: offer.spec, plan: planToWire(offer.plan), root: offer.root, jobs: offer.jobs, deadline: offer.deadline, heartbeatMs: opts.heartbeatMs };
      let raw: Uint8Array | null;
      try {
        raw = await p2p.request(this.peerId, PROTO_LEASE, new Uint8Array(encodeResults(req as unknown as Record<string, unknown>, [...offer.known])), {
          timeoutMs: opts.requestTimeoutMs * 4, maxResponseBytes: 64 * 1024,
        });
      } catch (e) {
        this.hub.drop(this, `did not take a lease: ${(e as Error).message}`);
        return end('worker-crash', `did not take the lease: ${(e as Error).message}`);
      }
      const answer = raw ? decodeFrame<{ accepted?: boolean; error?: { code: JobErrorCode; message: string } }>(body(raw)).header : undefined;
      if (!answer?.accepted) return end(answer?.error?.code ?? 'bad-input', `refused the lease: ${answer?.error?.message ?? 'no answer'}`);
      let ack = 0, misses = 0, progressAt = Date.now();
      for (;;) {
        await sleep(opts.heartbeatMs, ac.signal);
        if (Date.now() - progressAt > opts.leaseIdleMs) {
          void p2p.request(this.peerId, PROTO_CANCEL, new Uint8Array(encodeFrame({ leaseId: offer.leaseId })), { timeoutMs: opts.requestTimeoutMs }).catch(() => {});
          return end('timeout', `no result for ${Math.round(opts.leaseIdleMs / 1000)} s`);
        }
        let reply: { header: PollReply; results: [string, JobResult][] };
        try {
          const r = await p2p.request(this.peerId, PROTO_POLL, new Uint8Array(encodeFrame({ leaseId: offer.leaseId, ack })), { timeoutMs: opts.requestTimeoutMs, maxResponseBytes: MAX_FRAME_BYTES });
          if (!r) throw new Error('no answer');
          reply = decodeResults<PollReply>(r);
          misses = 0;
        } catch (e) {
          if (ac.signal.aborted) return;
          this.hub.counters.pollsMissed++;
          if (++misses >= opts.missLimit) {
            this.hub.drop(this, `silent for ${misses} heartbeats (${(e as Error).message})`);
            return end('worker-crash', `went silent (${misses} heartbeats missed)`);
          }
          continue;
        }
        for (const [jobId, result] of reply.results) {
          try {
            // recursive-flavour proofs as fields come from the proof bytes, never from the agent's word
            const r = result.proofFields ? { ...result, proofFields: bytesToFields(result.proof).map((f) => `0x${f.toString(16).padStart(64, '0')}`) } : result;
            await sink.result(jobId, r);
          } catch (e) {
            if (ac.signal.aborted || (e as JobError).code === 'cancelled') return;
            // refused: a proof that does not verify or fails the block's check
            this.hub.drop(this, (e as Error).message, { ban: true });
            return;
          }
          ack++;
          progressAt = Date.now();
        }
        if (reply.header.state === 'running') continue;
        if (reply.header.state === 'done') {
          if (ack < (reply.header.total ?? 0)) continue; // more results than fit in one reply
          return end('worker-crash', 'finished without all its results'); // a no-op when every job arrived
        }
        if (reply.header.state === 'unknown') return end('worker-crash', 'does not know the lease (restarted?)');
        const err = reply.header.error ?? { code: 'prove' as const, message: 'failed' };
        return end(err.code, `failed: ${err.message}`);
      }
    } catch (e) {
      if (!ac.signal.aborted) end('worker-crash', (e as Error).message);
    }
  }
}

/**
 * The node's side of remote agents: accepts hellos, carries the orchestrator's leases to
 * agents (a `Lessor`), polls them, drops silent or lying agents. Emits 'capacity' when an
 * agent joins or a lease slot frees (the orchestrator then hands out more work), and
 * 'agent:joined' / 'agent:dropped'.
 */
export class AgentHub extends EventEmitter implements Lessor {
  readonly agents = new Map<string, RemoteAgent>();
  readonly counters: RemoteCounters = { agentsJoined: 0, agentsDropped: 0, agentsRefused: 0, leasesSent: 0, pollsMissed: 0 };
  readonly opts: Required<RemoteOptions>;
  private readonly banned = new Map<string, { until: number; reason: string }>();

  constructor(readonly p2p: P2PNode, opts: RemoteOptions = {}) {
    super();
    this.opts = { heartbeatMs: opts.heartbeatMs ?? 2000, missLimit: opts.missLimit ?? 3, requestTimeoutMs: opts.requestTimeoutMs ?? 5000, banMs: opts.banMs ?? 10 * 60_000, leaseIdleMs: opts.leaseIdleMs ?? 30 * 60_000 };
  }

  /** Accepts agents' hellos on the node's p2p host. */
  async listen(): Promise<void> {
    await this.p2p.registerProtocol(PROTO_HELLO, (req, peer) => {
      let workers: number;
      try {
        workers = Number(decodeFrame<{ workers: number }>(body(req)).header.workers);
      } catch {
        throw new HandlerError('bad-request', 'malformed hello');
      }
      if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new HandlerError('bad-request', `bad hello: workers ${workers}`);
      const ban = this.banned.get(peer.toString());
      if (ban && ban.until > Date.now()) {
        this.counters.agentsRefused++;
        throw new HandlerError('bad-request', `refused until ${new Date(ban.until).toISOString()}: ${ban.reason}`);
      }
      this.addAgent(peer.toString(), workers);
      return new Uint8Array(encodeFrame({ ok: true }));
    }, { maxRequestBytes: 1024, rateLimit: { requests: 10, windowMs: 10_000 } });
  }

  /** Registers an agent (a repeated hello of a known agent changes nothing). */
  addAgent(peerId: string, workers: number): RemoteAgent {
    const old = this.agents.get(peerId);
    if (old && !old.dropped) return old;
    const agent = new RemoteAgent(peerId, workers, this);
    this.agents.set(peerId, agent);
    this.counters.agentsJoined++;
    log.info({ agent: peerId, workers }, 'prover agent joined');
    this.emit('agent:joined', { peerId, workers });
    this.emit('capacity');
    return agent;
  }

  /** Drops an agent: its leases end (the orchestrator requeues their unfinished jobs). `ban`: refuse its hellos for banMs. */
  drop(agent: RemoteAgent, reason: string, o: { ban?: boolean } = {}): void {
    if (o.ban) this.banned.set(agent.peerId, { until: Date.now() + this.opts.banMs, reason });
    if (agent.dropped) return;
    agent.dropped = true;
    if (this.agents.get(agent.peerId) === agent) this.agents.delete(agent.peerId);
    this.counters.agentsDropped++;
    log.warn({ agent: agent.peerId, reason, banned: !!o.ban }, 'prover agent dropped');
    this.emit('agent:dropped', { peerId: agent.peerId, reason });
    for (const [leaseId, ac] of agent.leases) {
      ac.abort(new JobError('worker-crash', `prover agent dropped: ${reason}`));
      void this.p2p.request(agent.peerId, PROTO_CANCEL, new Uint8Array(encodeFrame({ leaseId })), { timeoutMs: this.opts.requestTimeoutMs }).catch(() => {});
    }
  }

  /** Free lease slots over all agents. */
  get free(): number {
    let n = 0;
    for (const a of this.agents.values()) n += Math.max(0, a.free);
    return n;
  }

  canLease(): boolean {
    return this.free > 0;
  }

  lease(offer: LeaseOffer, sink: LeaseSink): { agent: string; cancel(reason: string): void } {
    let best: RemoteAgent | undefined;
    for (const a of this.agents.values()) if (a.free > 0 && (!best || a.free > best.free)) best = a;
    if (!best) throw new Error('no agent has room for a lease');
    const agent = best;
    const ac = new AbortController();
    agent.leases.set(offer.leaseId, ac);
    this.counters.leasesSent++;
    // a dropped agent's leases end through `sink.end` (their loop sees the abort)
    ac.signal.addEventListener('abort', () => {
      const r = ac.signal.reason as JobError | undefined;
      if (r?.code === 'worker-crash') sink.end(r);
    }, { once: true });
    void agent.run(offer, sink, ac).catch((e) => log.error({ err: e, leaseId: offer.leaseId }, 'lease loop failed')).finally(() => {
      agent.leases.delete(offer.leaseId);
      if (!agent.dropped) this.emit('capacity');
    });
    return {
      agent: agent.peerId,
      cancel: (reason: string) => {
        if (ac.signal.aborted) return;
        ac.abort(new JobError('cancelled', reason));
        void this.p2p.request(agent.peerId, PROTO_CANCEL, new Uint8Array(encodeFrame({ leaseId: offer.leaseId })), { timeoutMs: this.opts.requestTimeoutMs }).catch(() => {});
      },
    };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
