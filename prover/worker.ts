// A prover worker (one Piscina thread): one ProvingBackend (circuits/backend: native bb or WASM, the
// CRS loaded once, vks and circuits kept warm) for the thread's lifetime. A task is one
// ProveRequest as JSON bytes in a transferred ArrayBuffer; the reply is one ArrayBuffer
// (a JSON header, then the proof bytes) transferred back. Known failures (unsatisfied
// witness, out of memory, CRS) come back as a typed error in the reply; only a crash of the
// thread rejects the task.
import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { move, workerData } from 'piscina';
import { inFlavour, type CompiledCircuit } from '../circuits/build.js';
import { BackendError, ProvingBackend, WitnessError, prevProofOf } from '../circuits/backend/prover.js';
import type { CrsSelection } from '../circuits/backend/crs.js';
import type { BackendChoice, BackendKind } from '../circuits/backend/binaries.js';
import type { JobErrorCode, ProveRequest } from './types.js';

export interface WorkerOptions {
  /** Threads of this worker's backend (native bb's HARDWARE_CONCURRENCY, or WASM threads). */
  threads: number;
  crs?: CrsSelection;
  /** native | wasm | auto (default: $SIDECAR_PROVER_BACKEND, else auto). */
  backend?: BackendChoice;
  /** Load the CRS for circuits up to this size when the thread starts. */
  preloadCircuitSize?: number;
}

/** The reply header (the proof bytes follow it in the same buffer). */
export interface WorkerReplyHeader {
  ok: boolean;
  error?: { code: JobErrorCode; message: string; txIndex?: number; reason?: string };
  publicInputs?: string[];
  proofFields?: string[];
  vkFields?: string[];
  witnessMs?: number;
  proveMs?: number;
  peakRssMB?: number;
  /** CPU ms of the proving call (native: the bb child's; wasm: this process's). */
  cpuMs?: number;
  /** The engine this worker proves with (native | wasm). */
  backend?: BackendKind;
  /** Reply to op 'warm' with circuits: ms spent loading them (keys, CRS). */
  warmMs?: number;
  worker: number;
  /** Reply to op 'circuit'. */
  circuit?: CircuitInfo;
}

const opts: WorkerOptions = { threads: 1, ...(workerData as Partial<WorkerOptions> | undefined) };
let backend: Promise<ProvingBackend> | undefined;
const artifacts = new Map<string, CompiledCircuit>();
let peakRss = 0;

function getBackend(): Promise<ProvingBackend> {
  backend ??= ProvingBackend.create({ threads: opts.threads, crs: opts.crs, backend: opts.backend, preloadCircuitSize: opts.preloadCircuitSize });
  backend.catch(() => { backend = undefined; });
  return backend;
}

async function circuitOf(b: ProvingBackend, ref: ProveRequest['circuit']): Promise<CompiledCircuit> {
  if (!ref.artifact) return b.circuit(ref.name);
  let c = artifacts.get(ref.artifact);
  if (!c) {
    c = JSON.parse(readFileSync(ref.artifact, 'utf8')) as CompiledCircuit;
    artifacts.set(ref.artifact, c);
  }
  return c;
}

const hex = (x: bigint) => `0x${x.toString(16).padStart(64, '0')}`;

function sampleRss(): number {
  const mb = process.memoryUsage.rss() / 2 ** 20;
  if (mb > peakRss) peakRss = mb;
  return peakRss;
}

/** A task for the worker: one ArrayBuffer (`encodeFrame`) moved to the thread. */
export type WorkerTask =
  | { op: 'warm'; circuits?: string[] } // start the backend; with circuits: load them, their vks and the CRS they need
  | { op: 'prove'; buf: ArrayBuffer } // frame: ProveRequest header, no bytes
  | { op: 'verify'; buf: ArrayBuffer } // frame: VerifyRequest header, proof bytes
  | { op: 'circuit'; name: string }; // the compiled circuit's metadata for this CRS (vk hashes of final circuits)

/** A compiled circuit without its bytecode and ABI. */
export type CircuitInfo = Omit<CompiledCircuit, 'bytecode' | 'abi'> & { crsId: string; backend?: BackendKind };

export interface VerifyRequest {
  circuit: ProveRequest['circuit'];
  publicInputs: string[];
  /** The flavour the proof was made in (default: the circuit's own). */
  flavour?: ProveRequest['flavour'];
}

/** A JSON header and a byte payload in one ArrayBuffer (what crosses threads, transferred). */
export function encodeFrame(header: unknown, payload: Uint8Array = new Uint8Array(0)): ArrayBuffer {
  const h = new TextEncoder().encode(JSON.stringify(header, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
  const buf = new ArrayBuffer(4 + h.length + payload.length);
  new DataView(buf).setUint32(0, h.length);
  new Uint8Array(buf, 4, h.length).set(h);
  new Uint8Array(buf, 4 + h.length).set(payload);
  return buf;
}

export function decodeFrame<H>(buf: ArrayBuffer): { header: H; payload: Uint8Array } {
  const n = new DataView(buf).getUint32(0);
  return { header: JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as H, payload: new Uint8Array(buf, 4 + n) };
}

/** Encodes a header and the proof into one ArrayBuffer. */
export function encodeReply(header: WorkerReplyHeader, proof: Uint8Array = new Uint8Array(0)): ArrayBuffer {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const buf = new ArrayBuffer(4 + h.length + proof.length);
  new DataView(buf).setUint32(0, h.length);
  new Uint8Array(buf, 4, h.length).set(h);
  new Uint8Array(buf, 4 + h.length).set(proof);
  return buf;
}

export function decodeReply(buf: ArrayBuffer): { header: WorkerReplyHeader; proof: Uint8Array } {
  const n = new DataView(buf).getUint32(0);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as WorkerReplyHeader;
  return { header, proof: new Uint8Array(buf, 4 + n) };
}

/** Known failures as typed reply errors (the pool turns them into JobError codes). */
export function errorReply(e: unknown): WorkerReplyHeader {
  const base = { ok: false, worker: threadId };
  if (e instanceof WitnessError) {
    const code: JobErrorCode = e.reason === 'bad-input' ? 'bad-input' : 'witness';
    return { ...base, error: { code, message: e.message, txIndex: e.txIndex, reason: e.reason } };
  }
  if (e instanceof BackendError) {
    const code: JobErrorCode = e.code === 'out-of-memory' ? 'out-of-memory' : e.code === 'crs' ? 'bad-input' : 'prove';
    return { ...base, error: { code, message: e.message, reason: e.code } };
  }
  if (e instanceof RangeError && /memory|allocation/i.test(e.message)) return { ...base, error: { code: 'out-of-memory', message: e.message } };
  return { ...base, error: { code: 'prove', message: (e as Error)?.message ?? String(e) } };
}

/** Piscina handler: a task frame in, one reply frame out (both transferred). */
export default async function handle(task: WorkerTask): Promise<unknown> {
  if (task.op === 'warm') {
    // start bb.js and load the CRS (and the named circuits' vks) before the first job
    // (a backend or circuit that cannot load rejects the task with its error)
    const t0 = performance.now();
    const b = await getBackend();
    for (const name of task.circuits ?? []) await b.warm(await b.circuit(name));
    return move(encodeReply({ ok: true, worker: threadId, peakRssMB: sampleRss(), backend: b.backendKind, warmMs: Math.round(performance.now() - t0) }));
  }
  if (task.op === 'verify') return move(await verify(task.buf));
  if (task.op === 'circuit') {
    try {
      const b = await getBackend();
      const { bytecode: _b, abi: _a, ...info } = await b.circuit(task.name);
      return move(encodeReply({ ok: true, worker: threadId, circuit: { ...info, crsId: b.crsId, backend: b.backendKind } }));
    } catch (e) {
      return move(encodeReply(errorReply(e)));
    }
  }
  let req: ProveRequest;
  try {
    req = decodeFrame<ProveRequest>(task.buf).header;
  } catch (e) {
    return move(encodeReply({ ok: false, worker: threadId, error: { code: 'bad-input', message: `request is not a frame: ${(e as Error).message}` } }));
  }
  try {
    const b = await getBackend();
    // a block-level (or range_2) circuit is proven in the recursive flavour when it is to be
    // aggregated into a range, else in its own; any other flavour is refused (flavoursOf)
    const own = await circuitOf(b, req.circuit);
    let c: CompiledCircuit;
    try {
      c = inFlavour(own, req.flavour);
    } catch (e) {
      throw new BackendError('backend', own.name, `request asks for the ${req.flavour} flavour: ${(e as Error).message}`);
    }
    const t0 = performance.now();
    const witness = await b.execute(c, req.inputs as never);
    const witnessMs = performance.now() - t0;
    sampleRss();
    const p = await b.prove(c, witness);
    let proofFields: string[] | undefined, vkFields: string[] | undefined;
    if (c.flavour === 'recursive') {
      const prev = prevProofOf(p, await b.vk(c));
      proofFields = prev.proof.map((f) => (typeof f === 'bigint' ? hex(f) : f));
      vkFields = prev.vk.map((f) => (typeof f === 'bigint' ? hex(f) : f));
    }
    const header: WorkerReplyHeader = {
      ok: true, worker: threadId, publicInputs: p.publicInputFields.map(hex), proofFields, vkFields,
      witnessMs: Math.round(witnessMs), proveMs: p.ms, peakRssMB: Math.round(sampleRss()), cpuMs: p.cpuMs, backend: p.backend ?? b.backendKind,
    };
    return move(encodeReply(header, p.proof));
  } catch (e) {
    return move(encodeReply(errorReply(e)));
  }
}

/** Verifies a proof with the circuit's cached vk; the reply's `ok` is the verdict. */
async function verify(buf: ArrayBuffer): Promise<ArrayBuffer> {
  try {
    const { header, payload } = decodeFrame<VerifyRequest>(buf);
    const b = await getBackend();
    const own = await circuitOf(b, header.circuit);
    const c = header.flavour ? inFlavour(own, header.flavour) : own;
    const pi = new Uint8Array(header.publicInputs.length * 32);
    header.publicInputs.forEach((f, i) => pi.set(Buffer.from(BigInt(f).toString(16).padStart(64, '0'), 'hex'), i * 32));
    const ok = await b.verify(c, { proof: payload, publicInputs: pi });
    return encodeReply({ ok, worker: threadId });
  } catch (e) {
    return encodeReply(errorReply(e));
  }
}
