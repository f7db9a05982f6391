// A remote prover agent (`sidecar agent`): a process with its own worker pool that connects
// to a node over libp2p, says hello with its worker count, and proves the jobs the node sends
// (prover/remote.ts has the protocol). Jobs are kept until the node has polled their result
// (or for `keepMs`), so a poll lost on the wire is answered again.
import type { P2PNode } from '../node/p2p/index.js';
import { createLogger } from '../node/log.js';
import { ProverPool } from './pool.js';
import type { CrsSelection } from '../circuits/backend/crs.js';
import { JobError, type JobResult, type ProveRequest } from './types.js';
import { decodeFrame, encodeFrame, encodeReply } from './worker.js';
import { MAX_FRAME_BYTES, PROTO_CANCEL, PROTO_HELLO, PROTO_POLL, PROTO_SUBMIT, type PollReply } from './remote.js';

const log = createLogger('prover:agent');

interface AgentJob { state: 'running' | 'done' | 'failed'; reply?: ArrayBuffer; error?: PollReply['error']; abort: AbortController; at: number }

export interface AgentOptions {
  /** The node to prove for: its multiaddr with /p2p/<peer id>, or its peer id once connected. */
  nodePeerId: string;
  /** Forget finished jobs not polled within this time. Default 10 min. */
  keepMs?: number;
  /** Fault injection for tests: change a result before it is returned. */
  tamper?: (r: JobResult) => JobResult;
}

export class ProverAgent {
  readonly jobs = new Map<string, AgentJob>();
  proven = 0;

  private constructor(readonly p2p: P2PNode, readonly pool: ProverPool, private readonly opts: AgentOptions) {}

  /** Registers the agent's protocols on a started p2p host, then says hello to the node. */
  static async start(p2p: P2PNode, pool: ProverPool, opts: AgentOptions): Promise<ProverAgent> {
    const a = new ProverAgent(p2p, pool, opts);
    const limits = { maxRequestBytes: MAX_FRAME_BYTES, maxResponseBytes: MAX_FRAME_BYTES, rateLimit: { requests: 1000, windowMs: 10_000 } };
    const body = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
    await p2p.registerProtocol(PROTO_SUBMIT, (req, peer) => {
      if (peer.toString() !== opts.nodePeerId) return null;
      return new Uint8Array(encodeFrame({ accepted: a.accept(decodeFrame<ProveRequest>(body(req)).header) }));
    }, limits);
    await p2p.registerProtocol(PROTO_POLL, (req, peer) => {
      if (peer.toString() !== opts.nodePeerId) return null;
      return new Uint8Array(a.poll(decodeFrame<{ jobId: string }>(body(req)).header.jobId));
    }, limits);
    await p2p.registerProtocol(PROTO_CANCEL, (req, peer) => {
      if (peer.toString() !== opts.nodePeerId) return null;
      const j = a.jobs.get(decodeFrame<{ jobId: string }>(body(req)).header.jobId);
      j?.abort.abort(new JobError('cancelled', 'cancelled by the node'));
      return new Uint8Array(encodeFrame({ ok: true }));
    }, limits);
    await a.hello();
    return a;
  }

  /** Tells the node this agent's capacity (retried a few times while the connection comes up). */
  async hello(attempts = 20): Promise<void> {
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        await this.p2p.request(this.opts.nodePeerId, PROTO_HELLO, new Uint8Array(encodeFrame({ workers: this.pool.capacity })), { timeoutMs: 5000 });
        log.info({ node: this.opts.nodePeerId, workers: this.pool.capacity }, 'registered with the node');
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 250 * (i + 1)));
      }
    }
    throw new Error(`could not register with node ${this.opts.nodePeerId}: ${(last as Error)?.message}`);
  }

  private accept(req: ProveRequest): boolean {
    this.gc();
    const old = this.jobs.get(req.jobId);
    if (old && old.state !== 'failed') return true; // duplicate submit: same job
    const job: AgentJob = { state: 'running', abort: new AbortController(), at: Date.now() };
    this.jobs.set(req.jobId, job);
    this.pool.run(req, job.abort.signal).then(
      (r) => {
        const res = this.opts.tamper ? this.opts.tamper(r) : r;
        job.reply = encodeReply({
          ok: true, worker: r.worker ?? 0, publicInputs: res.publicInputs, proofFields: res.proofFields, vkFields: res.vkFields,
          witnessMs: res.witnessMs, proveMs: res.proveMs, peakRssMB: res.peakRssMB,
        }, res.proof);
        job.state = 'done';
        job.at = Date.now();
        this.proven++;
      },
      (e) => {
        job.state = 'failed';
        job.at = Date.now();
        job.error = { code: e instanceof JobError ? e.code : 'prove', message: (e as Error)?.message ?? String(e) };
      },
    );
    return true;
  }

  private poll(jobId: string): ArrayBuffer {
    const j = this.jobs.get(jobId);
    if (!j) return encodeFrame({ state: 'unknown' } satisfies PollReply);
    if (j.state === 'running') return encodeFrame({ state: 'running' } satisfies PollReply);
    if (j.state === 'failed') return encodeFrame({ state: 'failed', error: j.error } satisfies PollReply);
    return encodeFrame({ state: 'done' } satisfies PollReply, new Uint8Array(j.reply!));
  }

  private gc(): void {
    const keep = this.opts.keepMs ?? 10 * 60_000;
    for (const [id, j] of this.jobs) if (j.state !== 'running' && Date.now() - j.at > keep) this.jobs.delete(id);
  }

  async stop(): Promise<void> {
    for (const j of this.jobs.values()) j.abort.abort(new JobError('cancelled', 'agent stopping'));
  }
}

/**
 * The `sidecar agent` role: a pool from the config (`proverWorkers`/`proverThreads`, 0 =
 * measured default) serving the node `nodePeerId` over the agent's started p2p host (whose
 * bootstrap list has the node).
 */
export async function startAgent(opts: { p2p: P2PNode; nodePeerId: string; workers?: number; threads?: number; crs?: CrsSelection }): Promise<{ agent: ProverAgent; pool: ProverPool; stop(): Promise<void> }> {
  const pool = new ProverPool({ workers: opts.workers, threads: opts.threads, crs: opts.crs });
  try {
    await pool.warm();
    const agent = await ProverAgent.start(opts.p2p, pool, { nodePeerId: opts.nodePeerId });
    return { agent, pool, async stop() { await agent.stop(); await pool.close(); } };
  } catch (e) {
    await pool.close();
    throw e;
  }
}
