// The local prover pool: Piscina 5 worker threads running prover/worker.ts, one bb.js
// instance each (CRS loaded once, keys warm). An Executor for the orchestrator. Requests go
// to the workers as JSON bytes in a transferred ArrayBuffer and proofs come back the same
// way (no copies). A worker thread that dies rejects only its job (the orchestrator
// retries it as 'worker-crash'); Piscina replaces the thread.
import os from 'node:os';
import { Piscina } from 'piscina';
import type { CrsSelection } from '../circuits/backend/crs.js';
import { backendChoiceFromEnv, type BackendChoice, type BackendKind } from '../circuits/backend/binaries.js';
import { DEFAULT_COST_MODEL, costModelFor, withProveMs, type CostModel } from '../circuits/plan.js';
import { createLogger } from '../node/log.js';
import type { Executor } from './orchestrator.js';
import { JobError, type JobResult, type ProveRequest } from './types.js';
import { ProofVerifier, WORKER_ENTRY as ENTRY } from './verifier.js';
import { decodeReply, encodeFrame, type CircuitInfo, type WorkerOptions, type WorkerTask } from './worker.js';

const log = createLogger('prover:pool');

/** Peak memory of one worker proving a 2^20 circuit (circuits/README.md: 2.3-2.4 GB). */
export const WORKER_PEAK_BYTES = 2.5 * 2 ** 30;

/**
 * The default pool shape for this machine, from bench/prove.ts (prover/README.md "Figures"):
 * one single-threaded worker per core matched W=1 with 2 WASM threads on throughput (31.8 s
 * vs 31.5 s for 4 single_1 proofs on 2 cores) without depending on WASM threads, and a crash
 * or out-of-memory costs only one job; capped by memory (a 2^20 proof peaks at ~2.4 GB).
 */
export function defaultPoolShape(cores = os.availableParallelism(), totalMem = os.totalmem()): { workers: number; threads: number } {
  const byMem = Math.max(1, Math.floor((totalMem * 0.8) / WORKER_PEAK_BYTES));
  return { workers: Math.max(1, Math.min(cores, byMem)), threads: 1 };
}

export interface PoolOptions {
  /** Worker threads (0/undefined = defaultPoolShape). */
  workers?: number;
  /** Backend threads per worker: native bb or WASM (0/undefined = defaultPoolShape). */
  threads?: number;
  crs?: CrsSelection;
  /** Proving backend of every worker: native | wasm | auto (default: $SIDECAR_PROVER_BACKEND, else auto). */
  backend?: BackendChoice;
  /** Load the CRS for circuits up to this size when a worker starts (default: on first job). */
  preloadCircuitSize?: number;
  /**
   * Verify in a thread of its own (started on the first verify), so a proof to check (an
   * agent's, a final one) never waits behind a long proof in the proving workers. Default true.
   */
  verifyThread?: boolean;
  /** The catalog and figures the pool's cost model starts from (default DEFAULT_COST_MODEL); its own measurements override. */
  costModel?: CostModel;
}

/** Measured proving times kept per circuit and backend: the pool's cost model uses their median. */
export const RECENT_PROVE_TIMES = 5;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export class ProverPool implements Executor {
  readonly capacity: number;
  readonly threads: number;
  private readonly piscina: Piscina;
  private readonly verifier: ProofVerifier;
  private readonly workerData: WorkerOptions;
  private closed = false;
  private readonly infos = new Map<string, Promise<CircuitInfo>>();
  private readonly baseModel: CostModel;
  private readonly choice: BackendChoice;
  /** The backend the workers reported (undefined until one replied). */
  private kind?: BackendKind;
  /** Recent proving ms by backend, then circuit (newest last). */
  private readonly measured: Record<BackendKind, Map<string, number[]>> = { native: new Map(), wasm: new Map() };

  constructor(opts: PoolOptions = {}) {
    const d = defaultPoolShape();
    this.capacity = opts.workers || d.workers;
    this.threads = opts.threads || d.threads;
    const workerData: WorkerOptions = { threads: this.threads, crs: opts.crs, backend: opts.backend, preloadCircuitSize: opts.preloadCircuitSize };
    this.workerData = workerData;
    this.baseModel = opts.costModel ?? DEFAULT_COST_MODEL;
    this.choice = opts.backend ?? backendChoiceFromEnv();
    this.piscina = new Piscina({
      filename: ENTRY,
      minThreads: this.capacity,
      maxThreads: this.capacity,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // the parent's --import flags (tsx) do not apply in a worker: the entry registers tsx
      execArgv: [],
      workerData,
    });
    this.piscina.on('error', (e) => log.error({ err: e }, 'prover worker error'));
    this.verifier = new ProofVerifier(opts.verifyThread ?? true ? { crs: opts.crs, backend: opts.backend } : { shared: this.piscina });
    log.info({ workers: this.capacity, threadsPerWorker: this.threads }, 'prover pool started');
  }

  /** false once close() ran: no job can run. */
  get open(): boolean { return !this.closed; }

  /** Worker threads currently alive (tests kill one to simulate a crash). */
  get workerThreads() {
    return this.piscina.threads;
  }

  /**
   * Starts the backend in every worker now (not on the first job); with `circuits`, each worker
   * also loads them, their vks and the CRS they need (a first job's cold start, e.g. outside a
   * bench's timed part). Resolves with each worker's warm-up time.
   */
  async warm(circuits?: readonly string[]): Promise<{ worker: number; ms: number }[]> {
    const replies = await Promise.all(Array.from({ length: this.capacity }, () =>
      this.piscina.run({ op: 'warm', circuits: circuits ? [...circuits] : undefined } satisfies WorkerTask) as Promise<ArrayBuffer>));
    return replies.map((buf) => {
      const { header } = decodeReply(buf);
      if (header.backend) this.kind = header.backend;
      return { worker: header.worker, ms: header.warmMs ?? 0 };
    });
  }

  /** The backend the cost model is for: the one the workers reported, else the forced one, else the base model's. */
  get costBackend(): BackendKind {
    return this.kind ?? (this.choice === 'auto' ? this.baseModel.backend : this.choice);
  }

  /**
   * The cost model of this pool's backend: the base model's figures for it, each circuit this
   * pool proved replaced by the median of its last RECENT_PROVE_TIMES measured proving times.
   * What the planner and the prover role's quoting/fits read.
   */
  costModel(): CostModel {
    let m = costModelFor(this.costBackend, this.baseModel);
    for (const backend of ['native', 'wasm'] as const) {
      for (const [circuit, xs] of this.measured[backend]) m = withProveMs(m, circuit, median(xs), backend);
    }
    return m;
  }

  /** Records a measured proving time (ms) of `circuit` on `backend` (the pool does it for every proof its workers make). */
  recordProveMs(backend: BackendKind, circuit: string, ms: number): void {
    if (!(ms > 0)) return;
    const xs = this.measured[backend].get(circuit) ?? [];
    xs.push(ms);
    if (xs.length > RECENT_PROVE_TIMES) xs.splice(0, xs.length - RECENT_PROVE_TIMES);
    this.measured[backend].set(circuit, xs);
  }

  /** Starts the verify thread's bb.js now (a node does it when a remote agent joins), not on the first proof to check. */
  async warmVerifier(): Promise<void> {
    await this.verifier.warm();
  }

  async run(req: ProveRequest, signal: AbortSignal): Promise<JobResult> {
    if (this.closed) throw new JobError('cancelled', 'prover pool is closed', { jobId: req.jobId });
    const buf = encodeFrame(req);
    let reply: ArrayBuffer;
    try {
      reply = await this.piscina.run({ op: 'prove', buf } satisfies WorkerTask, { transferList: [buf], signal });
    } catch (e) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new JobError('cancelled', String(signal.reason ?? 'aborted'), { jobId: req.jobId });
      throw new JobError('worker-crash', `prover worker died while proving ${req.circuit.name}: ${(e as Error)?.message ?? e}`, { jobId: req.jobId, circuit: req.circuit.name });
    }
    const { header, proof } = decodeReply(reply);
    if (!header.ok) {
      const err = header.error ?? { code: 'prove' as const, message: 'worker replied without a proof' };
      throw new JobError(err.code, err.message, { jobId: req.jobId, circuit: req.circuit.name, txIndex: err.txIndex, reason: err.reason });
    }
    if (header.backend) {
      this.kind = header.backend;
      if (header.proveMs) this.recordProveMs(header.backend, req.circuit.name, header.proveMs);
    }
    return {
      proof, publicInputs: header.publicInputs ?? [], proofFields: header.proofFields, vkFields: header.vkFields,
      witnessMs: header.witnessMs ?? 0, proveMs: header.proveMs ?? 0, cpuMs: header.cpuMs, backend: header.backend, peakRssMB: header.peakRssMB, worker: header.worker,
    };
  }

  /**
   * Verifies a proof in a worker with the circuit's cached vk (bb.js runs in the workers
   * only: the node's main thread stays free). Throws JobError when it cannot verify at all.
   */
  async verify(circuit: ProveRequest['circuit'], proof: Uint8Array, publicInputs: readonly string[], flavour?: ProveRequest['flavour']): Promise<boolean> {
    if (this.closed) throw new JobError('cancelled', 'prover pool is closed', { circuit: circuit.name });
    return this.verifier.verify(circuit, proof, publicInputs, flavour);
  }

  /** A circuit's metadata as the workers' backend builds it (final circuits pin this CRS's vk hashes). */
  circuitInfo(name: string): Promise<CircuitInfo> {
    let p = this.infos.get(name);
    if (!p) {
      p = this.piscina.run({ op: 'circuit', name } satisfies WorkerTask).then((buf: ArrayBuffer) => {
        const { header } = decodeReply(buf);
        if (!header.ok || !header.circuit) throw new JobError(header.error?.code ?? 'prove', `circuit ${name}: ${header.error?.message ?? 'no metadata'}`, { circuit: name });
        if (header.circuit.backend) this.kind = header.circuit.backend;
        return header.circuit;
      });
      this.infos.set(name, p);
      p.catch(() => this.infos.delete(name));
    }
    return p;
  }

  /**
   * Which proving backend the workers run (native | wasm): starts a worker's backend if none
   * is up yet, so a backend that cannot start fails here with its error.
   */
  async backendKind(): Promise<BackendKind> {
    const info = await this.circuitInfo('single_1');
    if (!info.backend) throw new JobError('prove', 'the worker did not say which backend it runs', { circuit: 'single_1' });
    return info.backend;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.piscina.destroy(), this.verifier.close()]);
  }
}
