// Block tasks that travel: a BlockTask with a `spec` ({kind, data}, JSON-able) can be rebuilt
// on a remote agent by the task factory registered for its kind ('rollup' in rollup.ts; tests
// register their fixture circuits). Also the wire forms the agent protocol uses for plans and
// job results (JSON header + proof bytes in one frame, prover/worker.ts encodeFrame).
import type { ProofJob, ProofPlan } from '../circuits/plan.js';
import type { BlockTask } from './orchestrator.js';
import { JobError, type JobResult } from './types.js';
import { decodeFrame, encodeFrame } from './worker.js';

/** What an agent needs to rebuild a block's task: a registered kind and its JSON-able data. */
export interface TaskSpec { kind: string; data: unknown }

/** Rebuilds a block task (prepare/request/check) from its spec's data and the block's plan. */
export type TaskFactory = (data: unknown, plan: ProofPlan) => BlockTask | Promise<BlockTask>;

const factories = new Map<string, TaskFactory>();

export function registerTaskFactory(kind: string, f: TaskFactory): void {
  factories.set(kind, f);
}

export function taskKinds(): string[] {
  return [...factories.keys()];
}

/** The task for a spec; a clear 'bad-input' JobError for an unknown kind or bad data. */
export async function taskFromSpec(spec: TaskSpec, plan: ProofPlan): Promise<BlockTask> {
  const f = factories.get(spec?.kind);
  if (!f) throw new JobError('bad-input', `unknown task kind ${JSON.stringify(spec?.kind)} (this agent knows: ${taskKinds().join(', ') || 'none'})`);
  try {
    return await f(spec.data, plan);
  } catch (e) {
    throw e instanceof JobError ? e : new JobError('bad-input', `bad ${spec.kind} task: ${(e as Error).message}`);
  }
}

// ---- wire forms ------------------------------------------------------------------------

export interface PlanWire { blockHash: string; slot: string; txCount: number; jobs: ProofJob[]; root: string; estimatedMs: number }

export const planToWire = (p: ProofPlan): PlanWire => ({ ...p, slot: p.slot.toString() });

export function planFromWire(w: PlanWire): ProofPlan {
  if (!w || typeof w.blockHash !== 'string' || !Array.isArray(w.jobs) || typeof w.root !== 'string') throw new JobError('bad-input', 'malformed plan');
  for (const j of w.jobs) {
    if (typeof j?.id !== 'string' || typeof j.circuit !== 'string' || !Array.isArray(j.deps)) throw new JobError('bad-input', 'malformed plan job');
  }
  return { ...w, slot: BigInt(w.slot) };
}

/** A job result without its proof bytes (those follow in the frame's payload, `len` each). */
export interface ResultWire extends Omit<JobResult, 'proof'> { jobId: string; len: number }

/** A header plus results as one frame: the header gets `results: ResultWire[]`, the proofs are concatenated. */
export function encodeResults(header: Record<string, unknown>, results: readonly (readonly [string, JobResult])[]): ArrayBuffer {
  const metas: ResultWire[] = [];
  let total = 0;
  for (const [jobId, r] of results) {
    const { proof, ...rest } = r;
    metas.push({ ...rest, jobId, len: proof.length });
    total += proof.length;
  }
  const payload = new Uint8Array(total);
  let at = 0;
  for (const [, r] of results) { payload.set(r.proof, at); at += r.proof.length; }
  return encodeFrame({ ...header, results: metas }, payload);
}

export function decodeResults<H>(bytes: Uint8Array): { header: H; results: [string, JobResult][] } {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let frame: { header: H & { results?: ResultWire[] }; payload: Uint8Array };
  try {
    frame = decodeFrame<H & { results?: ResultWire[] }>(buf);
  } catch (e) {
    throw new JobError('bad-input', `malformed frame: ${(e as Error).message}`);
  }
  const out: [string, JobResult][] = [];
  let at = 0;
  for (const m of frame.header.results ?? []) {
    const { jobId, len, ...rest } = m;
    if (typeof jobId !== 'string' || !Number.isInteger(len) || len < 0 || at + len > frame.payload.length || !Array.isArray(rest.publicInputs)) {
      throw new JobError('bad-input', 'malformed job result in frame');
    }
    out.push([jobId, { ...rest, proof: frame.payload.slice(at, at + len) }]);
    at += len;
  }
  return { header: frame.header, results: out };
}
