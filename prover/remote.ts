// Remote prover agents, the node's side. An agent (prover/agent.ts: `sidecar agent`, a process
// with its own worker pool) connects to the node over libp2p and says hello with its worker
// count; the node then hands it jobs alongside its local pool (`MultiExecutor`: one executor,
// capacity = local workers + every agent's). A job sent to an agent is polled every
// `heartbeatMs`; the poll is the heartbeat: `missLimit` failed polls in a row and the agent is
// dropped as silent, its jobs fail as 'worker-crash' and the orchestrator reassigns them
// (locally or to another agent). Every proof an agent returns is verified (bb.js, cached vk,
// in a local worker) before anything uses it: a bad proof fails the attempt, is counted, and
// the agent is dropped.
//
// Protocols (node/p2p req/resp; frames as in prover/worker.ts: JSON header + bytes):
//   prover_hello/1   agent -> node  {workers}                        -> {ok}
//   prover_submit/1  node -> agent  ProveRequest                     -> {accepted}
//   prover_poll/1    node -> agent  {jobId}                          -> {state: running|failed|done, error?} + worker reply frame
//   prover_cancel/1  node -> agent  {jobId}                          -> {ok}
import { EventEmitter } from 'node:events';
import type { P2PNode } from '../node/p2p/index.js';
import { createLogger } from '../node/log.js';
import type { Executor } from './orchestrator.js';
import type { ProverPool } from './pool.js';
import { JobError, type JobResult, type ProveRequest } from './types.js';
import { decodeFrame, decodeReply, encodeFrame } from './worker.js';

const log = createLogger('prover:remote');

export const PROTO_HELLO = 'prover_hello/1';
export const PROTO_SUBMIT = 'prover_submit/1';
export const PROTO_POLL = 'prover_poll/1';
export const PROTO_CANCEL = 'prover_cancel/1';
/** Requests carry segment inputs (a first_32 job's are ~100 KB); responses carry proofs and fields. */
export const MAX_FRAME_BYTES = 4 * 2 ** 20;

export interface PollReply { state: 'running' | 'done' | 'failed' | 'unknown'; error?: { code: JobError['code']; message: string } }

export interface RemoteOptions {
  /** Poll (heartbeat) interval. Default 2 s. */
  heartbeatMs?: number;
  /** Failed polls in a row before the agent counts as silent. Default 3. */
  missLimit?: number;
  /** Per-request timeout. Default 5 s. */
  requestTimeoutMs?: number;
}

export interface RemoteCounters {
  agentsJoined: number;
  agentsDropped: number;
  jobsSentToAgents: number;
  proofsFromAgents: number;
  badProofsFromAgents: number;
}

/** One connected agent as an executor. */
export class RemoteAgent implements Executor {
  running = 0;
  dropped = false;
  private readonly aborts = new Set<AbortController>();

  constructor(
    readonly peerId: string,
    readonly capacity: number,
    private readonly p2p: P2PNode,
    private readonly verifier: Pick<ProverPool, 'verify'>,
    private readonly opts: Required<RemoteOptions>,
    private readonly onDrop: (agent: RemoteAgent, reason: string) => void,
    private readonly counters: RemoteCounters,
  ) {}

  private req(proto: string, body: ArrayBuffer, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.p2p.request(this.peerId, proto, new Uint8Array(body), { timeoutMs: this.opts.requestTimeoutMs, maxResponseBytes: MAX_FRAME_BYTES });
  }

  /** Drops the agent: its running jobs fail as worker-crash (the orchestrator reassigns them). */
  drop(reason: string): void {
    if (this.dropped) return;
    this.dropped = true;
    for (const ac of this.aborts) ac.abort(new JobError('worker-crash', `prover agent ${this.peerId} dropped: ${reason}`));
    this.onDrop(this, reason);
  }

  async run(req: ProveRequest, signal: AbortSignal): Promise<JobResult> {
    if (this.dropped) throw new JobError('worker-crash', `prover agent ${this.peerId} is gone`, { jobId: req.jobId });
    this.running++;
    const local = new AbortController();
    this.aborts.add(local);
    const onAbort = () => local.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      this.counters.jobsSentToAgents++;
      const accepted = await this.req(PROTO_SUBMIT, encodeFrame(req), local.signal).catch((e) => {
        throw new JobError('worker-crash', `prover agent ${this.peerId} did not take job ${req.jobId.slice(0, 12)}: ${(e as Error).message}`, { jobId: req.jobId });
      });
      if (!accepted) throw new JobError('worker-crash', `prover agent ${this.peerId} refused job ${req.jobId.slice(0, 12)}`, { jobId: req.jobId });
      let misses = 0;
      for (;;) {
        await sleep(this.opts.heartbeatMs, local.signal);
        let raw: Uint8Array | null;
        try {
          raw = await this.req(PROTO_POLL, encodeFrame({ jobId: req.jobId }), local.signal);
          misses = 0;
        } catch (e) {
          if (local.signal.aborted) throw local.signal.reason;
          if (++misses >= this.opts.missLimit) {
            this.drop(`silent for ${misses} heartbeats (${(e as Error).message})`);
            throw new JobError('worker-crash', `prover agent ${this.peerId} went silent while proving ${req.circuit.name}`, { jobId: req.jobId, circuit: req.circuit.name });
          }
          continue;
        }
        if (!raw) throw new JobError('worker-crash', `prover agent ${this.peerId} lost job ${req.jobId.slice(0, 12)}`, { jobId: req.jobId });
        const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
        const { header, payload } = decodeFrame<PollReply>(buf);
        if (header.state === 'running') continue;
        if (header.state === 'unknown') throw new JobError('worker-crash', `prover agent ${this.peerId} does not know job ${req.jobId.slice(0, 12)} (restarted?)`, { jobId: req.jobId });
        if (header.state === 'failed') {
          const err = header.error ?? { code: 'prove' as const, message: 'agent reported a failure' };
          throw new JobError(err.code, `prover agent ${this.peerId}: ${err.message}`, { jobId: req.jobId, circuit: req.circuit.name });
        }
        const reply = decodeReply(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength) as ArrayBuffer);
        if (!reply.header.ok) throw new JobError(reply.header.error?.code ?? 'prove', `prover agent ${this.peerId}: ${reply.header.error?.message}`, { jobId: req.jobId });
        const result: JobResult = {
          proof: new Uint8Array(reply.proof), publicInputs: reply.header.publicInputs ?? [], proofFields: reply.header.proofFields, vkFields: reply.header.vkFields,
          witnessMs: reply.header.witnessMs ?? 0, proveMs: reply.header.proveMs ?? 0, peakRssMB: reply.header.peakRssMB, worker: -1,
        };
        // never use a proof from elsewhere without checking it
        const ok = await this.verifier.verify(req.circuit, result.proof, result.publicInputs).catch(() => false);
        if (!ok) {
          this.counters.badProofsFromAgents++;
          this.drop('returned a proof that does not verify');
          throw new JobError('prove', `prover agent ${this.peerId} returned a ${req.circuit.name} proof that does not verify`, { jobId: req.jobId, circuit: req.circuit.name });
        }
        this.counters.proofsFromAgents++;
        return result;
      }
    } catch (e) {
      if (signal.aborted) {
        void this.req(PROTO_CANCEL, encodeFrame({ jobId: req.jobId })).catch(() => {});
        throw signal.reason;
      }
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.aborts.delete(local);
      this.running--;
    }
  }
}

/**
 * The local pool and every connected agent as one executor. Jobs go to the member with the
 * most free slots (the local pool first on ties).
 */
export class MultiExecutor extends EventEmitter implements Executor {
  readonly agents = new Map<string, RemoteAgent>();
  readonly counters: RemoteCounters = { agentsJoined: 0, agentsDropped: 0, jobsSentToAgents: 0, proofsFromAgents: 0, badProofsFromAgents: 0 };
  private localRunning = 0;
  private readonly opts: Required<RemoteOptions>;

  constructor(readonly local: ProverPool, readonly p2p: P2PNode, opts: RemoteOptions = {}) {
    super();
    this.opts = { heartbeatMs: opts.heartbeatMs ?? 2000, missLimit: opts.missLimit ?? 3, requestTimeoutMs: opts.requestTimeoutMs ?? 5000 };
  }

  get capacity(): number {
    let c = this.local.capacity;
    for (const a of this.agents.values()) c += a.capacity;
    return c;
  }

  /** Accepts agents' hellos on the node's p2p host. */
  async listen(): Promise<void> {
    await this.p2p.registerProtocol(PROTO_HELLO, (body, peer) => {
      const { header } = decodeFrame<{ workers: number }>(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
      const workers = Number(header.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new Error(`bad hello: workers ${header.workers}`);
      this.addAgent(peer.toString(), workers);
      return new Uint8Array(encodeFrame({ ok: true }));
    }, { maxRequestBytes: 1024, rateLimit: { requests: 10, windowMs: 10_000 } });
  }

  addAgent(peerId: string, workers: number): RemoteAgent {
    const old = this.agents.get(peerId);
    if (old && !old.dropped) return old;
    const agent = new RemoteAgent(peerId, workers, this.p2p, this.local, this.opts, (a, reason) => {
      if (this.agents.get(a.peerId) === a) this.agents.delete(a.peerId);
      this.counters.agentsDropped++;
      log.warn({ agent: a.peerId, reason }, 'prover agent dropped');
      this.emit('agent:dropped', { peerId: a.peerId, reason });
    }, this.counters);
    this.agents.set(peerId, agent);
    this.counters.agentsJoined++;
    log.info({ agent: peerId, workers }, 'prover agent joined');
    this.emit('agent:joined', { peerId, workers });
    this.emit('capacity', this.capacity);
    return agent;
  }

  async run(req: ProveRequest, signal: AbortSignal): Promise<JobResult> {
    let best: RemoteAgent | undefined;
    let bestFree = this.local.capacity - this.localRunning;
    for (const a of this.agents.values()) {
      const free = a.capacity - a.running;
      if (free > bestFree) { best = a; bestFree = free; }
    }
    if (best) return best.run(req, signal);
    this.localRunning++;
    try {
      return await this.local.run(req, signal);
    } finally {
      this.localRunning--;
    }
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
