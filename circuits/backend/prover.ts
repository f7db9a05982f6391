// The proving backend: bb 5.0.0 UltraHonk (no-ZK) from @aztec/bb.js 5.0.0, in one of two
// engines behind one API:
// - native: the `bb` binary shipped in the package, run as a child process per call
//   (multithreaded: HARDWARE_CONCURRENCY = `threads`); about 3x less CPU than WASM;
// - wasm: bb.js' WASM in this thread (`Barretenberg.new({ backend: Wasm, skipSrsInit })`, the
//   CRS loaded with `srsInitSrs`).
// `auto` (the default; `$SIDECAR_PROVER_BACKEND` or `{ backend }` force one) probes the native
// binary once and uses it where it runs, else WASM, and logs which and why.
//
// One `ProvingBackend` per thread (main thread or a worker_threads/Piscina worker): the CRS
// resolved once (grown only if a bigger circuit comes), vks cached in memory and on disk
// (.build/circuits/vk/, keyed by circuit hash + CRS id + flavour). Inputs and outputs are
// Uint8Array / bigint (structured-clone friendly; the Uint8Arrays are transferable).
//
// Flavours: a `recursive` circuit (first_*, rec_*) is proven for `noir-recursive-no-zk`
// (Poseidon2 transcript) and its proof/vk are handed to the next segment as fields
// (`prevProofOf`); an `l1` circuit (single_*, final_*) for `evm-no-zk` (keccak transcript) and
// the generated Solidity verifier.
//
// INSECURE dev CRS: native proving reads the dev CRS files as they are; native verify and the
// WASM use labelled copies with the dev constants (binaries.ts), never the files in node_modules.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { InputMap } from '@noir-lang/noir_js';
import type { Barretenberg } from '@aztec/bb.js';
import { createLogger } from '../../node/log.js';
import { BUILD_DIR, acirOf, isPinning, loadCircuit, writeAtomic, vkHashOfFields, type CompiledCircuit, type VkHashSource } from '../build.js';
import { executeSegment, WitnessError } from '../witness.js';
import { barretenbergSync } from '../l2/poseidon2.js';
import type { PrevProof } from '../plan.js';
import { CrsError, checkDevCrs, workerExecArgv, crsTag, resolveCrs, type CrsInfo, type CrsSelection } from './crs.js';
import { backendChoiceFromEnv, bbVersion, nativeBinaryFor, probeNative, wasmFor, type BackendChoice, type BackendKind } from './binaries.js';

const log = createLogger('circuits:backend');
const requireCjs = createRequire(import.meta.url);

/** bb 5.0.0 no-ZK UltraHonk sizes as the recursive verifier takes them (checked at run time). */
export const HONK_PROOF_FIELDS = 410;
export const HONK_VK_FIELDS = 115;
/** Pairing-point fields every bb 5.0.0 proof carries (inside the proof, at its front); the vk counts them as public inputs. */
export const PAIRING_POINT_FIELDS = 8;

export type BackendErrorCode = 'out-of-memory' | 'crs' | 'bad-proof-format' | 'backend';

/** A proving/verifying failure other than an unsatisfied witness (that is WitnessError). */
export class BackendError extends Error {
  constructor(readonly code: BackendErrorCode, readonly circuit: string | undefined, message: string, readonly cause?: unknown) {
    super(circuit ? `${circuit}: ${message}` : message);
    this.name = 'BackendError';
  }
}

export { WitnessError, CrsError };
export type { BackendChoice, BackendKind };

export interface VerificationKey {
  circuit: string;
  circuitHash: string;
  flavour: 'recursive' | 'l1';
  crsId: string;
  /** bb's binary vk (the 32-byte fields, concatenated). */
  bytes: Uint8Array;
  /** Recursive flavour: the 115 fields the next segment's circuit takes (field 0 = log2 circuit size). */
  fields?: bigint[];
  /** Recursive flavour: Poseidon2 sponge of the fields (== bb's own vk hash), what the chain carry and final circuits pin. */
  hash?: bigint;
}

export interface SegmentProof {
  circuit: string;
  circuitHash: string;
  flavour: 'recursive' | 'l1';
  crsId: string;
  /**
   * The proof without public inputs (what the Solidity verifier takes as `proof`); it starts
   * with the 8 pairing-point fields (a recursive-flavour proof has 410 fields in all).
   */
  proof: Uint8Array;
  /** The circuit's public inputs, 32 bytes each, in circuit order (exactly its ABI's public fields). */
  publicInputs: Uint8Array;
  /** Public inputs as field elements (same content as `publicInputs`). */
  publicInputFields: bigint[];
  ms: number;
  /** Which engine made it. */
  backend?: BackendKind;
  /** CPU time of the proving call (native: the bb child's user+sys; wasm: this process's). */
  cpuMs?: number;
}

export interface ProvingBackendOptions {
  /** Which CRS (default: $SIDECAR_DEV_CRS → the INSECURE dev CRS, else Aztec's). */
  crs?: CrsSelection;
  /** native | wasm | auto (default: $SIDECAR_PROVER_BACKEND, else auto: native where it runs). */
  backend?: BackendChoice;
  /** Threads of this backend (native: HARDWARE_CONCURRENCY of bb; wasm: WASM threads; default 1). */
  threads?: number;
  /** Load the CRS for circuits up to this size now (default: lazily, on first use). */
  preloadCircuitSize?: number;
  /** Where vks are cached (default .build/circuits/vk). */
  vkCacheDir?: string;
}

const fieldsToBytes = (fields: readonly bigint[]): Uint8Array => {
  const out = Buffer.alloc(fields.length * 32);
  fields.forEach((f, i) => out.write(f.toString(16).padStart(64, '0'), i * 32, 32, 'hex'));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
};

export const bytesToFields = (b: Uint8Array): bigint[] => {
  if (b.length % 32) throw new BackendError('bad-proof-format', undefined, `${b.length} bytes is not a whole number of 32-byte fields`);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 32 }, (_, i) => BigInt(`0x${buf.subarray(i * 32, i * 32 + 32).toString('hex')}`));
};

const chunks = (b: Uint8Array): Uint8Array[] => Array.from({ length: b.length / 32 }, (_, i) => b.subarray(i * 32, i * 32 + 32));
const concat = (xs: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(xs.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of xs) { out.set(x, o); o += x.length; }
  return out;
};

/** Classify an exception thrown by bb (native or WASM). */
export function classifyBackendError(circuit: string | undefined, e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/bad.?alloc|out of memory|memory access out of bounds|Cannot allocate|WebAssembly\.Memory|Maximum call stack|SIGKILL/i.test(msg)) {
    return new BackendError('out-of-memory', circuit, `out of memory in the prover: ${msg.slice(0, 200)}`, e);
  }
  if (/crs|srs|bn254_g[12]|fetch failed|ENOTFOUND|EAI_AGAIN/i.test(msg)) {
    return new BackendError('crs', circuit, `CRS problem: ${msg.slice(0, 300)}`, e);
  }
  return new BackendError('backend', circuit, msg.slice(0, 400), e);
}

/**
 * The recursive-flavour vk as fields (bb 5.0.0: its bytes are the fields; no conversion call).
 * Checked: 115 fields, field 0 = log2 of the circuit size, field 1 = public inputs + 8
 * pairing-point fields.
 */
export function vkAsFields(vk: Uint8Array, circuit: Pick<CompiledCircuit, 'name' | 'circuitSize' | 'abi'>): bigint[] {
  const fields = bytesToFields(vk);
  if (fields.length !== HONK_VK_FIELDS) throw new BackendError('bad-proof-format', circuit.name, `vk has ${fields.length} fields, expected ${HONK_VK_FIELDS}`);
  if (fields[0] !== BigInt(Math.log2(circuit.circuitSize))) {
    throw new BackendError('bad-proof-format', circuit.name, `vk field 0 is ${fields[0]}, expected log2 of the circuit size ${circuit.circuitSize}`);
  }
  const own = abiPublicFields(circuit);
  if (fields[1] !== BigInt(own + PAIRING_POINT_FIELDS)) {
    throw new BackendError('bad-proof-format', circuit.name, `vk says ${fields[1]} public inputs, expected ${own} + ${PAIRING_POINT_FIELDS} pairing-point fields`);
  }
  return fields;
}

/**
 * bb.js starts WASM threads in worker_threads Workers created without options, so they inherit
 * the process's original execArgv. A `--import ./x.ts` there (a preload of a .ts module)
 * cannot load in such a worker: the worker dies and
 * Barretenberg.new never resolves. For the duration of `fn`, worker_threads.Worker defaults
 * execArgv to `workerExecArgv()` (node:module syncBuiltinESMExports updates bb.js' import).
 */
export async function withWorkerSafeExecArgv<T>(fn: () => Promise<T>): Promise<T> {
  const wt = requireCjs('node:worker_threads') as typeof import('node:worker_threads');
  const Orig = wt.Worker;
  const execArgv = workerExecArgv();
  wt.Worker = class extends Orig {
    constructor(file: string | URL, options: import('node:worker_threads').WorkerOptions = {}) {
      super(file, { execArgv, ...options });
    }
  } as typeof Orig;
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    wt.Worker = Orig;
    syncBuiltinESMExports();
  }
}

/** bb's verifier targets for the two flavours (no ZK: as the chain and the L1 verifier use them). */
type Target = 'noir-recursive-no-zk' | 'evm-no-zk';
const targetOf = (c: Pick<CompiledCircuit, 'flavour'>): Target => (c.flavour === 'recursive' ? 'noir-recursive-no-zk' : 'evm-no-zk');
export const PROOF_SETTINGS = {
  'noir-recursive-no-zk': { ipaAccumulation: false, oracleHashType: 'poseidon2', disableZk: true, optimizedSolidityVerifier: false },
  'evm-no-zk': { ipaAccumulation: false, oracleHashType: 'keccak', disableZk: true, optimizedSolidityVerifier: false },
} as const;

interface Engine {
  readonly kind: BackendKind;
  /** Where the engine's code is (the bb binary, or the wasm; stock or INSECURE dev copy). */
  readonly location: string;
  start(): Promise<void>;
  /** Make ready to prove circuits up to `circuitSize` now (WASM: load the CRS), not inside the first proof. */
  prepare?(circuitSize: number, circuit?: string): Promise<void>;
  computeVk(c: CompiledCircuit): Promise<Uint8Array>;
  prove(c: CompiledCircuit, witnessGz: Uint8Array, vk: Uint8Array): Promise<{ publicInputs: Uint8Array; proof: Uint8Array; cpuMs?: number }>;
  verify(c: CompiledCircuit, vk: Uint8Array, publicInputs: Uint8Array, proof: Uint8Array): Promise<boolean>;
  destroy(): Promise<void>;
}

/** Native bb as a child process per call (`bb prove|write_vk|verify`), CRS from its directory. */
class NativeEngine implements Engine {
  readonly kind = 'native' as const;
  private dir?: string;

  constructor(readonly location: string, private readonly crs: CrsInfo, private readonly threads: number) {}

  async start(): Promise<void> {
    const p = probeNative(this.location);
    if (!p.ok) throw new BackendError('backend', undefined, `the native backend cannot start: ${this.location}: ${p.reason}`);
  }

  private work(): string {
    this.dir ??= mkdtempSync(path.join(os.tmpdir(), 'sidecar-bb-'));
    return this.dir;
  }

  private programFile(c: CompiledCircuit): string {
    const f = path.join(this.work(), `${c.name}-${c.hash}.json`);
    if (!existsSync(f)) writeFileSync(f, JSON.stringify({ noir_version: c.noirVersion, hash: '0', abi: c.abi, bytecode: c.bytecode }));
    return f;
  }

  private crsArgs(): string[] {
    return this.crs.dir ? ['-c', this.crs.dir] : [];
  }

  /** Run bb; resolves with its output and the child's CPU time (sh's `times`), rejects on a non-zero exit. */
  private run(circuit: string, args: string[]): Promise<{ code: number; stderr: string; cpuMs: number }> {
    return new Promise((resolve, reject) => {
      // sh runs bb, then `times` prints the children's user and sys time (getrusage) on stderr
      const child = spawn('/bin/sh', ['-c', '"$0" "$@"; s=$?; times >&2; exit $s', this.location, ...args], {
        env: { ...process.env, HARDWARE_CONCURRENCY: String(this.threads) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.length > 1 << 16) out = out.slice(-(1 << 15)); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); if (out.length > 1 << 16) out = out.slice(-(1 << 15)); });
      child.on('error', (e) => reject(new BackendError('backend', circuit, `native bb could not run (${this.location}): ${e.message}`, e)));
      child.on('close', (code, signal) => {
        const lines = out.trimEnd().split('\n');
        const t = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines.at(-1) ?? '');
        const cpuMs = t ? Math.round((Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000) : NaN;
        const stderr = lines.slice(0, t ? -2 : undefined).join('\n');
        if (code === 0) return resolve({ code, stderr, cpuMs });
        if (code === 1) return resolve({ code, stderr, cpuMs });
        const why = signal ? `killed by ${signal}` : code === 137 ? 'killed by SIGKILL (out of memory?)' : `exit ${code}`;
        reject(classifyBackendError(circuit, new Error(`native bb ${args[0]} failed (${why}): ${stderr.slice(-600)}`)));
      });
    });
  }

  private async runOk(circuit: string, args: string[]): Promise<{ stderr: string; cpuMs: number }> {
    const r = await this.run(circuit, args);
    if (r.code !== 0) throw classifyBackendError(circuit, new Error(`native bb ${args[0]} failed: ${r.stderr.slice(-600)}`));
    return r;
  }

  private scratch(): string {
    return mkdtempSync(path.join(this.work(), 'call-'));
  }

  async computeVk(c: CompiledCircuit): Promise<Uint8Array> {
    const out = this.scratch();
    try {
      await this.runOk(c.name, ['write_vk', '-b', this.programFile(c), '-o', out, '-t', targetOf(c), ...this.crsArgs()]);
      return new Uint8Array(readFileSync(path.join(out, 'vk')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }

  async prove(c: CompiledCircuit, witnessGz: Uint8Array, vk: Uint8Array): Promise<{ publicInputs: Uint8Array; proof: Uint8Array; cpuMs: number }> {
    const out = this.scratch();
    try {
      writeFileSync(path.join(out, 'witness.gz'), witnessGz);
      writeFileSync(path.join(out, 'vk'), vk);
      const r = await this.runOk(c.name, ['prove', '-b', this.programFile(c), '-w', path.join(out, 'witness.gz'), '-k', path.join(out, 'vk'), '-o', out, '-t', targetOf(c), ...this.crsArgs()]);
      return { proof: new Uint8Array(readFileSync(path.join(out, 'proof'))), publicInputs: new Uint8Array(readFileSync(path.join(out, 'public_inputs'))), cpuMs: r.cpuMs };
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }

  async verify(c: CompiledCircuit, vk: Uint8Array, publicInputs: Uint8Array, proof: Uint8Array): Promise<boolean> {
    const out = this.scratch();
    try {
      writeFileSync(path.join(out, 'vk'), vk);
      writeFileSync(path.join(out, 'proof'), proof);
      writeFileSync(path.join(out, 'public_inputs'), publicInputs);
      const r = await this.run(c.name, ['verify', '-p', path.join(out, 'proof'), '-k', path.join(out, 'vk'), '-i', path.join(out, 'public_inputs'), '-t', targetOf(c), ...this.crsArgs()]);
      if (r.code === 0) return true;
      if (/crs|srs|bn254_g[12]/i.test(r.stderr) && !/verification failed/i.test(r.stderr)) throw classifyBackendError(c.name, new Error(r.stderr.slice(-400)));
      log.debug({ circuit: c.name, stderr: r.stderr.slice(-300) }, 'native verify: refused');
      return false;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }

  async destroy(): Promise<void> {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** bb.js' WASM in this thread; the CRS loaded with srsInitSrs (dev) or bb.js' own loader (Aztec). */
class WasmEngine implements Engine {
  readonly kind = 'wasm' as const;
  private api?: Barretenberg;
  private srsPoints = 0;

  constructor(readonly location: string, private readonly wasmPath: string | undefined, private readonly crs: CrsInfo, private readonly threads: number) {}

  private async instance(): Promise<Barretenberg> {
    if (!this.api) {
      const { Barretenberg, BackendType } = await import('@aztec/bb.js');
      this.api = await withWorkerSafeExecArgv(() => Barretenberg.new({ backend: BackendType.Wasm, threads: this.threads, wasmPath: this.wasmPath, crsPath: this.crs.dir, skipSrsInit: true }));
      this.srsPoints = 0;
    }
    return this.api;
  }

  async start(): Promise<void> {
    try {
      await this.instance();
    } catch (e) {
      throw new BackendError('backend', undefined, `the WASM backend cannot start (${this.location}): ${(e as Error).message}`, e);
    }
  }

  async prepare(circuitSize: number, circuit?: string): Promise<void> {
    await this.ready(circuitSize, circuit);
  }

  /**
   * The API with the CRS loaded for circuits up to `circuitSize`. bb.js keeps the first
   * srsInitSrs / initSRSChonk of an instance and ignores a later, bigger one (a 2^20 proof after
   * a 2^18 one then fails "prover trying to get too many points in MemBn254CrsFactory"), so a
   * bigger CRS means a new instance (the circuits' vks are cached outside it).
   */
  async ready(circuitSize: number, circuit?: string): Promise<Barretenberg> {
    const points = circuitSize + 1;
    if (this.api && this.srsPoints >= points) return this.api;
    if (this.api && this.srsPoints > 0) {
      log.info({ from: this.srsPoints, to: points, circuit }, 'a bigger CRS is needed: restarting the WASM instance (bb.js loads the CRS once per instance)');
      await this.destroy();
    }
    const api = await this.instance();
    try {
      if (this.crs.kind === 'dev') {
        const g1 = Buffer.alloc(points * 64);
        const fd = openSync(path.join(this.crs.dir, 'bn254_g1.dat'), 'r');
        try {
          readSync(fd, g1, 0, g1.length, 0);
        } finally {
          closeSync(fd);
        }
        await api.srsInitSrs({ pointsBuf: g1, numPoints: points, g2Point: readFileSync(path.join(this.crs.dir, 'bn254_g2.dat')) });
      } else {
        await api.initSRSChonk(points);
      }
    } catch (e) {
      const hint = this.crs.kind === 'aztec' ? ' (Aztec CRS: bb.js downloads it into ~/.bb-crs on first use; offline, use the INSECURE dev CRS with SIDECAR_DEV_CRS=1 for devnet/tests)' : '';
      throw new BackendError('crs', circuit, `could not load the ${this.crs.id} CRS for circuit size ${circuitSize} into the WASM${hint}: ${(e as Error).message}`, e);
    }
    this.srsPoints = points;
    log.info({ crs: this.crs.id, insecure: this.crs.kind === 'dev', points, wasm: this.location }, this.crs.kind === 'dev' ? 'loaded the INSECURE dev CRS (WASM)' : 'loaded the CRS (WASM)');
    return api;
  }

  private async guarded<T>(c: CompiledCircuit, fn: (api: Barretenberg) => Promise<T>): Promise<T> {
    const api = await this.ready(c.circuitSize, c.name);
    try {
      return await fn(api);
    } catch (e) {
      const err = classifyBackendError(c.name, e);
      if (err.code === 'out-of-memory' || err.code === 'backend') await this.destroy();
      throw err;
    }
  }

  async computeVk(c: CompiledCircuit): Promise<Uint8Array> {
    return this.guarded(c, async (api) => (await api.circuitComputeVk({ circuit: { name: c.name, bytecode: acirOf(c.bytecode) }, settings: PROOF_SETTINGS[targetOf(c)] })).bytes);
  }

  async prove(c: CompiledCircuit, witnessGz: Uint8Array, vk: Uint8Array): Promise<{ publicInputs: Uint8Array; proof: Uint8Array; cpuMs: number }> {
    const cpu0 = process.cpuUsage();
    const r = await this.guarded(c, (api) => api.circuitProve({
      circuit: { name: c.name, bytecode: acirOf(c.bytecode), verificationKey: vk },
      witness: new Uint8Array(gunzipSync(witnessGz)),
      settings: PROOF_SETTINGS[targetOf(c)],
    }));
    const cpu = process.cpuUsage(cpu0);
    return { publicInputs: concat(r.publicInputs), proof: concat(r.proof), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  }

  async verify(c: CompiledCircuit, vk: Uint8Array, publicInputs: Uint8Array, proof: Uint8Array): Promise<boolean> {
    return this.guarded(c, async (api) => {
      try {
        return (await api.circuitVerify({ verificationKey: vk, publicInputs: chunks(publicInputs), proof: chunks(proof), settings: PROOF_SETTINGS[targetOf(c)] })).verified;
      } catch (e) {
        const err = classifyBackendError(c.name, e);
        if (err.code !== 'backend') throw err;
        log.debug({ circuit: c.name, err: err.message }, 'wasm verify: refused (malformed)');
        return false;
      }
    });
  }

  async destroy(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    this.srsPoints = 0;
    if (api) await api.destroy().catch(() => undefined);
  }
}

/** Pick the engine for `choice` (auto: native where its binary runs here). Throws BackendError naming the backend that cannot start. */
function chooseEngine(choice: BackendChoice, crs: CrsInfo, threads: number, cacheDir?: string): { engine: Engine; why: string } {
  const wasm = (why: string) => {
    let wasmPath: string | undefined;
    try {
      wasmPath = wasmFor(crs, cacheDir);
    } catch (e) {
      throw new BackendError('backend', undefined, `the WASM backend cannot start: ${(e as Error).message}`, e);
    }
    return { engine: new WasmEngine(wasmPath ?? 'bb.js stock wasm', wasmPath, crs, threads), why };
  };
  if (choice === 'wasm') return wasm('forced: wasm');
  let bin: { path?: string; reason?: string };
  try {
    bin = nativeBinaryFor(crs, cacheDir);
  } catch (e) {
    bin = { reason: (e as Error).message };
  }
  const probe = bin.path ? probeNative(bin.path) : { ok: false, reason: bin.reason };
  if (probe.ok) return { engine: new NativeEngine(bin.path!, crs, threads), why: choice === 'native' ? 'forced: native' : `auto: native bb ${probe.version} runs here` };
  if (choice === 'native') throw new BackendError('backend', undefined, `the native backend cannot start: ${bin.path ?? 'no bb binary'}: ${probe.reason}`);
  return wasm(`auto: native bb does not run here (${probe.reason})`);
}

export class ProvingBackend {
  private readonly vks = new Map<string, Promise<VerificationKey>>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly crs: CrsInfo, private readonly opts: ProvingBackendOptions, private engine: Engine, readonly why: string) {}

  /**
   * One per thread. Resolves the CRS (the dev CRS is generated/cached now and spot-checked),
   * picks and starts the engine (a clear BackendError naming it if it cannot start);
   * `preloadCircuitSize` sizes the CRS now.
   */
  static async create(opts: ProvingBackendOptions = {}): Promise<ProvingBackend> {
    const crs = await resolveCrs(opts.preloadCircuitSize ?? 2 ** 16, opts.crs ?? {});
    if (crs.kind === 'dev') checkDevCrs(crs);
    const choice = opts.backend ?? backendChoiceFromEnv();
    const { engine, why } = chooseEngine(choice, crs, opts.threads ?? 1, opts.crs?.cacheDir);
    await engine.start();
    const b = new ProvingBackend(crs, opts, engine, why);
    log.info({ backend: engine.kind, why, threads: opts.threads ?? 1, crs: crs.id, insecure: crs.kind === 'dev', bb: bbVersion(), at: engine.location }, `proving backend: ${engine.kind}`);
    if (opts.preloadCircuitSize && engine instanceof WasmEngine) await b.serial(() => engine.ready(opts.preloadCircuitSize!));
    return b;
  }

  get crsId(): string {
    return this.crs.id;
  }

  /** The engine in use: 'native' | 'wasm'. */
  get backendKind(): BackendKind {
    return this.engine.kind;
  }

  /** Calls on one backend run one at a time (one bb child / one single-entry WASM per backend). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Grow the dev CRS if `c` needs more points than the cached one has (a new engine then). */
  private async ensureCrs(c: CompiledCircuit): Promise<void> {
    if (this.crs.kind !== 'dev' || this.crs.points >= c.circuitSize + 1) return;
    const crs = await resolveCrs(c.circuitSize, { ...this.opts.crs, dev: true });
    (this as { crs: CrsInfo }).crs = crs;
    await this.engine.destroy();
    this.engine = chooseEngine(this.engine.kind, crs, this.opts.threads ?? 1, this.opts.crs?.cacheDir).engine;
    await this.engine.start();
  }

  private call<T>(c: CompiledCircuit, fn: (e: Engine) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.ensureCrs(c);
      try {
        return await fn(this.engine);
      } catch (e) {
        throw classifyBackendError(c.name, e);
      }
    });
  }

  private vkFile(c: CompiledCircuit): string {
    const dir = this.opts.vkCacheDir ?? path.join(BUILD_DIR, 'vk');
    return path.join(dir, `${c.name}-${c.hash}-${crsTag(this.crs)}-${c.flavour}-bb${bbVersion()}.vk`);
  }

  /** The circuit's vk in its flavour: memory, then disk cache, else computed by bb (slow: ~ a proof's setup). */
  vk(c: CompiledCircuit): Promise<VerificationKey> {
    const key = `${c.name}:${c.hash}:${c.flavour}`;
    let p = this.vks.get(key);
    if (!p) {
      p = this.loadOrComputeVk(c);
      this.vks.set(key, p);
      p.catch(() => this.vks.delete(key));
    }
    return p;
  }

  private async loadOrComputeVk(c: CompiledCircuit): Promise<VerificationKey> {
    const file = this.vkFile(c);
    const meta = `${file}.json`;
    const base = { circuit: c.name, circuitHash: c.hash, flavour: c.flavour, crsId: this.crs.id };
    if (existsSync(file) && existsSync(meta)) {
      const m = JSON.parse(readFileSync(meta, 'utf8')) as { hash?: string; crsId: string };
      if (m.crsId === this.crs.id) {
        const bytes = new Uint8Array(readFileSync(file));
        return { ...base, bytes, fields: c.flavour === 'recursive' ? vkAsFields(bytes, c) : undefined, hash: m.hash ? BigInt(m.hash) : undefined };
      }
    }
    const t0 = Date.now();
    const bytes = await this.call(c, (e) => e.computeVk(c));
    const fields = c.flavour === 'recursive' ? vkAsFields(bytes, c) : undefined;
    const hash = fields ? await vkHashOfFields(fields) : undefined;
    writeAtomic(file, bytes);
    writeAtomic(meta, JSON.stringify({ ...base, hash: hash === undefined ? undefined : `0x${hash.toString(16)}` }));
    log.info({ circuit: c.name, crs: this.crs.id, backend: this.engine.kind, ms: Date.now() - t0 }, 'computed vk (cached on disk)');
    return { ...base, bytes, fields, hash };
  }

  /** A VkHashSource for build.ts (final circuits pin the first/rec vk hashes of this CRS). */
  vkHashSource(): VkHashSource {
    return {
      label: `backend:${this.crs.id}`,
      vkHash: async (c) => {
        if (c.flavour !== 'recursive') throw new BackendError('backend', c.name, 'only recursive-flavour circuits have a vk hash');
        return (await this.vk(c)).hash!;
      },
    };
  }

  /**
   * The compiled circuit `name` for this backend's CRS: final circuits are built with the
   * vk hashes of this CRS's first/rec vks (a variant per non-dev CRS).
   */
  async circuit(name: string): Promise<CompiledCircuit> {
    if (!isPinning(name)) return loadCircuit(name);
    return loadCircuit(name, { vkSource: this.vkHashSource(), variant: this.crs.kind === 'dev' ? undefined : this.crs.id });
  }

  /**
   * Everything a first proof of `c` would otherwise do before proving: its vk (memory, disk or
   * computed), a CRS big enough (a new dev CRS / engine if needed; WASM: loaded into the instance).
   */
  async warm(c: CompiledCircuit): Promise<void> {
    await this.vk(c);
    await this.call(c, async (e) => { await e.prepare?.(c.circuitSize, c.name); });
  }

  /** Execute the witness (noir_js): throws WitnessError (naming the tx) when unsatisfied. */
  async execute(c: CompiledCircuit, inputs: InputMap): Promise<Uint8Array> {
    return (await executeSegment(c, inputs)).witness;
  }

  /** Prove a gzipped witness (from `execute`) in the circuit's flavour. */
  async prove(c: CompiledCircuit, witness: Uint8Array): Promise<SegmentProof> {
    const vk = await this.vk(c);
    const t0 = Date.now();
    const r = await this.call(c, (e) => e.prove(c, witness, vk.bytes));
    const ms = Date.now() - t0;
    const own = abiPublicFields(c);
    if (r.publicInputs.length !== own * 32) throw new BackendError('bad-proof-format', c.name, `proof has ${r.publicInputs.length / 32} public inputs, expected ${own}`);
    if (c.flavour === 'recursive' && r.proof.length !== HONK_PROOF_FIELDS * 32) {
      throw new BackendError('bad-proof-format', c.name, `recursive proof has ${r.proof.length / 32} fields, expected ${HONK_PROOF_FIELDS}`);
    }
    log.info({ circuit: c.name, flavour: c.flavour, backend: this.engine.kind, ms, cpuMs: r.cpuMs, proofBytes: r.proof.length }, 'proved');
    return {
      circuit: c.name, circuitHash: c.hash, flavour: c.flavour, crsId: this.crs.id, proof: r.proof, publicInputs: r.publicInputs,
      publicInputFields: bytesToFields(r.publicInputs), ms, backend: this.engine.kind, cpuMs: r.cpuMs,
    };
  }

  /** Execute then prove. */
  async proveSegment(c: CompiledCircuit, inputs: InputMap): Promise<SegmentProof> {
    return this.prove(c, await this.execute(c, inputs));
  }

  /** Verify with the cached vk (no vk recomputation). False for a well-formed invalid proof. */
  async verify(c: CompiledCircuit, p: Pick<SegmentProof, 'proof' | 'publicInputs'>): Promise<boolean> {
    const vk = await this.vk(c);
    if (p.publicInputs.length % 32 || p.proof.length % 32) return false;
    return this.call(c, (e) => e.verify(c, vk.bytes, p.publicInputs, p.proof));
  }

  /** Solidity source of the verifier for an L1-flavour circuit (bb's template, Aztec G2; see verifier.ts). */
  async solidityVerifier(c: CompiledCircuit): Promise<string> {
    if (c.flavour !== 'l1') throw new BackendError('backend', c.name, 'only L1-flavour circuits get a Solidity verifier');
    const vk = await this.vk(c);
    const bb = await barretenbergSync();
    return bb.circuitWriteSolidityVerifier({ verificationKey: vk.bytes, settings: PROOF_SETTINGS['evm-no-zk'] }).solidityCode;
  }

  /** Stop the engine (frees the WASM instance / the native scratch dir). */
  async destroy(): Promise<void> {
    await this.serial(() => this.engine.destroy());
  }
}

/** Number of public fields of the circuit's ABI (scalars count 1; arrays their length). */
export function abiPublicFields(c: Pick<CompiledCircuit, 'abi' | 'name'>): number {
  const size = (t: unknown): number => {
    const ty = t as { kind: string; length?: number; type?: unknown; fields?: { type: unknown }[] };
    if (ty.kind === 'array') return (ty.length ?? 0) * size(ty.type);
    if (ty.kind === 'struct') return (ty.fields ?? []).reduce((a, f) => a + size(f.type), 0);
    if (ty.kind === 'field' || ty.kind === 'integer' || ty.kind === 'boolean') return 1;
    throw new BackendError('backend', c.name, `public parameter of unsupported ABI type ${ty.kind}`);
  };
  return c.abi.parameters.filter((p) => p.visibility === 'public').reduce((a, p) => a + size(p.type), 0);
}

/** The recursive-flavour proof and its vk as the fields the next segment takes (plan.ts PrevProof). */
export function prevProofOf(p: SegmentProof, vk: VerificationKey): PrevProof {
  if (p.flavour !== 'recursive' || !vk.fields) throw new BackendError('backend', p.circuit, 'only recursive-flavour proofs feed a next segment');
  if (vk.circuitHash !== p.circuitHash) throw new BackendError('backend', p.circuit, 'vk and proof are of different circuit builds');
  return { proof: bytesToFields(p.proof), vk: vk.fields };
}

/** sha256 of a proof's bytes (ids, logs). */
export const proofDigest = (p: Pick<SegmentProof, 'proof' | 'publicInputs'>): string =>
  createHash('sha256').update(p.publicInputs).update(p.proof).digest('hex');

export { fieldsToBytes };
