// Types shared by the prover's orchestrator, job store, pool and workers.
import type { ProofJob, ProofPlan } from '../circuits/plan.js';

export type { ProofJob, ProofPlan };

/** A finished job's proof, as persisted and as handed to dependent jobs. */
export interface JobResult {
  /** Proof bytes as the backend returns them (L1 flavour: what submitProof takes). */
  proof: Uint8Array;
  /** Public inputs as 0x-hex fields, circuit order (aux inputs such as pairing points included). */
  publicInputs: string[];
  /** Recursive flavour: the proof and vk as fields, what the next segment verifies. */
  proofFields?: string[];
  vkFields?: string[];
  /** Measured by the worker. */
  witnessMs: number;
  proveMs: number;
  /** CPU ms of the proving call, when the worker measured it (native: the bb child's; wasm: the process's). */
  cpuMs?: number;
  /** The engine that proved it (native | wasm), when known. */
  backend?: 'native' | 'wasm';
  /** Peak RSS of the worker's process while proving (MB; the process is shared by all workers). */
  peakRssMB?: number;
  /** Worker thread id that proved it. */
  worker?: number;
}

/** Why a job failed. retryable: the orchestrator retries with backoff. */
export type JobErrorCode =
  | 'witness' // the circuit's constraints fail for these inputs (e.g. an invalid tx): deterministic
  | 'bad-input' // the request is malformed: deterministic
  | 'out-of-memory' // WASM bad alloc / 4 GiB: deterministic for this circuit
  | 'worker-crash' // the worker thread died: retryable
  | 'timeout' // the job exceeded its timeout: retryable
  | 'prove' // the backend failed: retryable
  | 'cancelled'; // the block was cancelled: final

export class JobError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
    readonly detail: { jobId?: string; circuit?: string; txIndex?: number; reason?: string } = {},
  ) {
    super(message);
    this.name = 'JobError';
  }
  get retryable(): boolean {
    return this.code === 'worker-crash' || this.code === 'timeout' || this.code === 'prove';
  }
}

/** What a worker proves: a circuit (by name or artifact file) on inputs. Crosses threads as JSON bytes. */
export interface ProveRequest {
  jobId: string;
  /** A circuit name `loadCircuit` knows, or a compiled artifact JSON file (tests' fixture circuits). */
  circuit: { name: string; artifact?: string };
  /** Noir inputs (the ABI's InputMap). */
  inputs: Record<string, unknown>;
  /** recursive: proof/vk as fields for the next segment; l1: keccak transcript for the L1 verifier. */
  flavour: 'recursive' | 'l1';
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** The block's final proof, what the node submits to L1. */
export interface BlockProof {
  blockHash: string;
  slot: bigint;
  /** The root job's id and circuit (the L1 verifier to use: circuits/backend/verifier.ts routerProof). */
  rootJob: string;
  circuit: string;
  proof: Uint8Array;
  publicInputs: string[];
  /** Jobs proven in this run, and jobs whose persisted/in-flight proof was reused. */
  proven: number;
  reused: number;
  elapsedMs: number;
}
