// Proof verification in a thread of its own: one Piscina worker running prover/worker.ts's
// `verify` (bb.js, the circuit's cached vk), so a proof to check (an agent's, a gossiped final
// proof) never waits behind a long proof and never blocks the node's main thread. The prover
// pool verifies through one of these; a node without the prover role (a submitter) makes its own.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { CrsSelection } from '../circuits/backend/crs.js';
import type { BackendChoice } from '../circuits/backend/binaries.js';
import { createLogger } from '../node/log.js';
import { JobError, type ProveRequest } from './types.js';
import { decodeReply, encodeFrame, type VerifyRequest, type WorkerOptions, type WorkerTask } from './worker.js';

const log = createLogger('prover:verifier');
export const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));

export interface ProofVerifierOptions {
  crs?: CrsSelection;
  backend?: BackendChoice;
  /** verify in these (the prover pool's own) workers instead of a thread of its own; not destroyed by close() */
  shared?: Piscina;
}

export class ProofVerifier {
  private piscina?: Piscina;
  private closed = false;

  constructor(private readonly opts: ProofVerifierOptions = {}) {}

  /** The thread starts on first use. */
  private pool(): Piscina {
    if (this.opts.shared) return this.opts.shared;
    if (!this.piscina) {
      this.piscina = new Piscina({
        filename: WORKER_ENTRY, minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY, execArgv: [],
        workerData: { threads: 1, crs: this.opts.crs, backend: this.opts.backend } satisfies WorkerOptions,
      });
      this.piscina.on('error', (e) => log.error({ err: e }, 'verifier worker error'));
    }
    return this.piscina;
  }

  /** Starts bb.js in the thread now, not on the first proof to check. */
  async warm(): Promise<void> {
    await this.pool().run({ op: 'warm' } satisfies WorkerTask);
  }

  /** True when the proof verifies for these public inputs; throws JobError when it cannot verify at all. */
  async verify(circuit: ProveRequest['circuit'], proof: Uint8Array, publicInputs: readonly string[], flavour?: ProveRequest['flavour']): Promise<boolean> {
    if (this.closed) throw new JobError('cancelled', 'verifier is closed', { circuit: circuit.name });
    const buf = encodeFrame({ circuit, publicInputs: [...publicInputs], flavour } satisfies VerifyRequest, proof);
    const { header } = decodeReply(await this.pool().run({ op: 'verify', buf } satisfies WorkerTask, { transferList: [buf] }));
    if (header.error) throw new JobError(header.error.code, `verifying a ${circuit.name} proof: ${header.error.message}`, { circuit: circuit.name });
    return header.ok;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina?.destroy();
  }
}
