// The proving backend: bb.js 0.82.2 UltraHonk in WASM. One `ProvingBackend` per thread (main
// thread or a worker_threads/Piscina worker): one Barretenberg instance, the CRS loaded once
// (grown only if a bigger circuit comes), vks cached in memory and on disk
// (.build/circuits/vk/, keyed by circuit hash + CRS id + flavour). Inputs and outputs are
// Uint8Array / bigint (structured-clone friendly; the Uint8Arrays are transferable).
//
// Flavours: a `recursive` circuit (first_*, rec_*) is proven with the Poseidon2 transcript
// and `recursive = true`, and its proof/vk are handed to the next segment as fields
// (`prevProofOf`); an `l1` circuit (single_*, final_*) is proven with the keccak transcript
// for the generated Solidity verifier.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { InputMap } from '@noir-lang/noir_js';
import type { Barretenberg } from '@aztec/bb.js';
import { createLogger } from '../../node/log.js';
import { BUILD_DIR, acirOf, loadCircuit, writeAtomic, vkHashOfFields, type CompiledCircuit, type VkHashSource } from '../build.js';
import { executeSegment, WitnessError } from '../witness.js';
import type { PrevProof } from '../plan.js';
import { CrsError, checkDevCrs, workerExecArgv, crsTag, resolveCrs, type CrsInfo, type CrsSelection } from './crs.js';

const log = createLogger('circuits:backend');
const requireCjs = createRequire(import.meta.url);

/** bb.js 0.82.2 UltraHonk sizes (checked at run time). */
export const HONK_PROOF_FIELDS = 456;
export const HONK_VK_FIELDS = 128;
/** Pairing-point fields a circuit that verifies a proof (or is made recursive) exposes as public inputs. */
export const PAIRING_POINT_FIELDS = 16;

export type BackendErrorCode = 'out-of-memory' | 'crs' | 'bad-proof-format' | 'backend';

/** A proving/verifying failure other than an unsatisfied witness (that is WitnessError). */
export class BackendError extends Error {
  constructor(readonly code: BackendErrorCode, readonly circuit: string | undefined, message: string, readonly cause?: unknown) {
    super(circuit ? `${circuit}: ${message}` : message);
    this.name = 'BackendError';
  }
}

export { WitnessError, CrsError };

export interface VerificationKey {
  circuit: string;
  circuitHash: string;
  flavour: 'recursive' | 'l1';
  crsId: string;
  /** bb.js' binary vk (what acirVerify* and getSolidityVerifier take). */
  bytes: Uint8Array;
  /** Recursive flavour: the 128 fields the next segment's circuit takes (field 0 = circuit size). */
  fields?: bigint[];
  /** Recursive flavour: Poseidon2(fields), what the chain carry and final circuits pin. */
  hash?: bigint;
}

export interface SegmentProof {
  circuit: string;
  circuitHash: string;
  flavour: 'recursive' | 'l1';
  crsId: string;
  /**
   * The proof without public inputs (what the Solidity verifier takes as `proof`; for the
   * recursive flavour it starts with the 16 pairing-point fields, 456 fields in all).
   */
  proof: Uint8Array;
  /** The public inputs, 32 bytes each, in circuit order; L1 proofs of recursive circuits end with the 16 pairing-point fields. */
  publicInputs: Uint8Array;
  /** Public inputs as field elements (same content as `publicInputs`). */
  publicInputFields: bigint[];
  ms: number;
}

export interface ProvingBackendOptions {
  /** Which CRS (default: $SIDECAR_DEV_CRS → the INSECURE dev CRS, else Aztec's). */
  crs?: CrsSelection;
  /** WASM threads of this instance (default 1: parallelism comes from many workers). */
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

/** Classify an exception thrown by bb.js' WASM. */
export function classifyBackendError(circuit: string | undefined, e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/bad.?alloc|out of memory|memory access out of bounds|Cannot allocate|WebAssembly\.Memory|Maximum call stack/i.test(msg)) {
    return new BackendError('out-of-memory', circuit, `out of memory in the WASM prover (4 GiB limit): ${msg.slice(0, 200)}`, e);
  }
  if (/crs|srs|bn254_g[12]|fetch failed|ENOTFOUND|EAI_AGAIN/i.test(msg)) {
    return new BackendError('crs', circuit, `CRS problem: ${msg.slice(0, 300)}`, e);
  }
  return new BackendError('backend', circuit, msg.slice(0, 400), e);
}

/**
 * bb.js' vk as fields. Pass the vk as `RawBuffer`: bb.js' own generateRecursiveProofArtifacts
 * passes a plain Uint8Array, which gets a length prefix and shifts every field. Checked: the
 * first field is the circuit size.
 */
export async function vkAsFields(api: Barretenberg, vk: Uint8Array, circuit: Pick<CompiledCircuit, 'name' | 'circuitSize'>): Promise<bigint[]> {
  const { RawBuffer } = await import('@aztec/bb.js');
  const fields = (await api.acirVkAsFieldsUltraHonk(new RawBuffer(vk))).map((f) => BigInt(f.toString()));
  if (fields.length !== HONK_VK_FIELDS) throw new BackendError('bad-proof-format', circuit.name, `vk has ${fields.length} fields, expected ${HONK_VK_FIELDS}`);
  if (fields[0] !== BigInt(circuit.circuitSize)) {
    throw new BackendError('bad-proof-format', circuit.name, `vk field 0 is ${fields[0]}, expected the circuit size ${circuit.circuitSize} (vk-as-fields encoding bug)`);
  }
  return fields;
}

/**
 * bb.js starts its WASM in a worker_threads Worker created without options, so it inherits the
 * process's original execArgv. A `--import ./x.ts` there (e.g. the test runner's
 * `--import ./node/polyfills.ts`) cannot load in a Node 20 worker (tsx does not register
 * itself in workers): the worker dies and Barretenberg.new never resolves. For the duration of
 * `fn` (bb.js creates its worker synchronously when called), worker_threads.Worker defaults
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

export class ProvingBackend {
  private api?: Barretenberg;
  private srsPoints = 0;
  private readonly vks = new Map<string, Promise<VerificationKey>>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly crs: CrsInfo, private readonly opts: ProvingBackendOptions) {}

  /**
   * One per thread. Resolves the CRS (the dev CRS is generated/cached now and spot-checked)
   * and starts bb.js' WASM; `preloadCircuitSize` loads the CRS points now.
   */
  static async create(opts: ProvingBackendOptions = {}): Promise<ProvingBackend> {
    const crs = await resolveCrs(opts.preloadCircuitSize ?? 2 ** 16, opts.crs ?? {});
    if (crs.kind === 'dev') checkDevCrs(crs);
    const b = new ProvingBackend(crs, opts);
    if (opts.preloadCircuitSize) await b.serial(() => b.ensureSrs(opts.preloadCircuitSize!, undefined));
    return b;
  }

  get crsId(): string {
    return this.crs.id;
  }

  /** bb.js calls on one instance run one at a time (its WASM is single-entry). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async instance(): Promise<Barretenberg> {
    if (!this.api) {
      const { Barretenberg } = await import('@aztec/bb.js');
      this.api = await withWorkerSafeExecArgv(() => Barretenberg.new({ threads: this.opts.threads ?? 1, crsPath: this.crs.dir }));
      this.srsPoints = 0;
    }
    return this.api;
  }

  /** Load the CRS for circuits up to `circuitSize` (once; again only to grow it). */
  private async ensureSrs(circuitSize: number, circuit: string | undefined): Promise<Barretenberg> {
    let crs = this.crs;
    if (crs.kind === 'dev' && crs.points < circuitSize + 1) {
      crs = await resolveCrs(circuitSize, { ...this.opts.crs, dev: true });
      (this as { crs: CrsInfo }).crs = crs;
      if (this.api) await this.destroyInstance();
    }
    const api = await this.instance();
    if (this.srsPoints < circuitSize + 1) {
      try {
        await api.initSRSForCircuitSize(circuitSize);
      } catch (e) {
        const hint = crs.kind === 'aztec' ? ' (Aztec CRS: bb.js downloads it into ~/.bb-crs on first use; offline, use the INSECURE dev CRS with SIDECAR_DEV_CRS=1 for devnet/tests)' : '';
        throw new BackendError('crs', circuit, `could not load the ${crs.id} CRS for circuit size ${circuitSize}${hint}: ${(e as Error).message}`, e);
      }
      this.srsPoints = circuitSize + 1;
      log.info({ crs: crs.id, insecure: crs.kind === 'dev', points: circuitSize + 1 }, crs.kind === 'dev' ? 'loaded the INSECURE dev CRS' : 'loaded the CRS');
    }
    return api;
  }

  private async destroyInstance(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    this.srsPoints = 0;
    if (api) await api.destroy().catch(() => undefined);
  }

  /** Run a bb.js call; on out-of-memory the WASM instance is dropped (rebuilt on the next call). */
  private async guarded<T>(circuit: CompiledCircuit, fn: (api: Barretenberg) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const api = await this.ensureSrs(circuit.circuitSize, circuit.name);
      try {
        return await fn(api);
      } catch (e) {
        const err = classifyBackendError(circuit.name, e);
        if (err.code === 'out-of-memory' || err.code === 'backend') await this.destroyInstance();
        throw err;
      }
    });
  }

  private vkFile(c: CompiledCircuit): string {
    const dir = this.opts.vkCacheDir ?? path.join(BUILD_DIR, 'vk');
    return path.join(dir, `${c.name}-${c.hash}-${crsTag(this.crs)}-${c.flavour}.vk`);
  }

  /** The circuit's vk in its flavour: memory, then disk cache, else computed by bb.js (slow: ~ a proof's setup). */
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
      const m = JSON.parse(readFileSync(meta, 'utf8')) as { fields?: string[]; hash?: string; crsId: string };
      if (m.crsId === this.crs.id) {
        return { ...base, bytes: new Uint8Array(readFileSync(file)), fields: m.fields?.map(BigInt), hash: m.hash ? BigInt(m.hash) : undefined };
      }
    }
    const t0 = Date.now();
    const acir = acirOf(c.bytecode);
    const vk = await this.guarded(c, async (api) => {
      const bytes = c.flavour === 'recursive' ? await api.acirWriteVkUltraHonk(acir, true) : await api.acirWriteVkUltraKeccakHonk(acir, false);
      const fields = c.flavour === 'recursive' ? await vkAsFields(api, bytes, c) : undefined;
      return { bytes, fields };
    });
    const hash = vk.fields ? await vkHashOfFields(vk.fields) : undefined;
    writeAtomic(file, vk.bytes);
    writeAtomic(meta, JSON.stringify({ ...base, fields: vk.fields?.map((f) => `0x${f.toString(16)}`), hash: hash === undefined ? undefined : `0x${hash.toString(16)}` }));
    log.info({ circuit: c.name, crs: this.crs.id, ms: Date.now() - t0 }, 'computed vk (cached on disk)');
    return { ...base, bytes: vk.bytes, fields: vk.fields, hash };
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
    if (!name.startsWith('final_')) return loadCircuit(name);
    return loadCircuit(name, { vkSource: this.vkHashSource(), variant: this.crs.kind === 'dev' ? undefined : this.crs.id });
  }

  /** Execute the witness (noir_js): throws WitnessError (naming the tx) when unsatisfied. */
  async execute(c: CompiledCircuit, inputs: InputMap): Promise<Uint8Array> {
    return (await executeSegment(c, inputs)).witness;
  }

  /** Prove a gzipped witness (from `execute`) in the circuit's flavour. */
  async prove(c: CompiledCircuit, witness: Uint8Array): Promise<SegmentProof> {
    const acir = acirOf(c.bytecode);
    const vk = await this.vk(c);
    const t0 = Date.now();
    const raw = await this.guarded(c, (api) =>
      c.flavour === 'recursive' ? api.acirProveUltraHonk(acir, true, gunzipSync(witness)) : api.acirProveUltraKeccakHonk(acir, false, gunzipSync(witness)),
    );
    const ms = Date.now() - t0;
    const numPublic = this.numPublicInputs(c, vk);
    const body = raw.subarray(4);
    const publicInputs = new Uint8Array(body.subarray(0, numPublic * 32));
    const proof = new Uint8Array(body.subarray(numPublic * 32));
    if (c.flavour === 'recursive' && proof.length !== HONK_PROOF_FIELDS * 32) {
      throw new BackendError('bad-proof-format', c.name, `recursive proof has ${proof.length / 32} fields, expected ${HONK_PROOF_FIELDS}`);
    }
    log.info({ circuit: c.name, flavour: c.flavour, ms, proofBytes: proof.length }, 'proved');
    return { circuit: c.name, circuitHash: c.hash, flavour: c.flavour, crsId: this.crs.id, proof, publicInputs, publicInputFields: bytesToFields(publicInputs), ms };
  }

  /** Execute then prove. */
  async proveSegment(c: CompiledCircuit, inputs: InputMap): Promise<SegmentProof> {
    return this.prove(c, await this.execute(c, inputs));
  }

  /**
   * How many leading 32-byte fields of bb.js' proof are public inputs: the circuit's public
   * parameters (ABI), plus, for an L1 proof of a circuit that verifies a proof, the 16
   * pairing-point fields (appended after them). A recursive-flavour proof carries its 16
   * pairing-point fields at the front of the 456-field proof instead (bb.js' split).
   */
  private numPublicInputs(c: CompiledCircuit, vk: VerificationKey): number {
    const own = abiPublicFields(c);
    const n = c.flavour === 'l1' && c.recursive ? own + PAIRING_POINT_FIELDS : own;
    if (vk.fields && Number(vk.fields[1]) !== own + PAIRING_POINT_FIELDS) {
      throw new BackendError('bad-proof-format', c.name, `vk says ${vk.fields[1]} public inputs, expected ${own} + ${PAIRING_POINT_FIELDS} pairing-point fields`);
    }
    return n;
  }

  /** Verify with the cached vk (no vk recomputation). False for a well-formed invalid proof. */
  async verify(c: CompiledCircuit, p: Pick<SegmentProof, 'proof' | 'publicInputs'>): Promise<boolean> {
    const vk = await this.vk(c);
    const { RawBuffer } = await import('@aztec/bb.js');
    const n = (p.publicInputs.length + p.proof.length) / 32;
    const withPi = new Uint8Array(4 + p.publicInputs.length + p.proof.length);
    new DataView(withPi.buffer).setUint32(0, n);
    withPi.set(p.publicInputs, 4);
    withPi.set(p.proof, 4 + p.publicInputs.length);
    return this.guarded(c, (api) =>
      c.flavour === 'recursive' ? api.acirVerifyUltraHonk(withPi, new RawBuffer(vk.bytes)) : api.acirVerifyUltraKeccakHonk(withPi, new RawBuffer(vk.bytes)),
    );
  }

  /** Solidity source of the verifier for an L1-flavour circuit (bb.js' template, Aztec G2; see verifier.ts). */
  async solidityVerifier(c: CompiledCircuit): Promise<string> {
    if (c.flavour !== 'l1') throw new BackendError('backend', c.name, 'only L1-flavour circuits get a Solidity verifier');
    const vk = await this.vk(c);
    const { RawBuffer } = await import('@aztec/bb.js');
    // typed as string, but bb.js 0.82.2 returns the UTF-8 bytes
    const out: string | Uint8Array = await this.guarded(c, (api) => api.acirHonkSolidityVerifier(acirOf(c.bytecode), new RawBuffer(vk.bytes)));
    return typeof out === 'string' ? out : Buffer.from(out).toString('utf8');
  }

  /** Free the WASM instance. */
  async destroy(): Promise<void> {
    await this.serial(() => this.destroyInstance());
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
