// Compile the Noir packages under circuits/noir/ to .build/circuits/<name>.json (ACIR + ABI +
// gate counts), cached by a hash of their sources and the compiler version. Lazy: callers use
// `loadCircuit(name)`, which builds only what is stale. CLI: `npm run build:circuits`.
//
// The final (recursive, L1-flavour) circuits pin the vk hashes of the first/rec segment
// circuits as constants (circuits/noir/final_*/src/vk_hashes.nr, generated here). Those vks
// depend on the CRS, so building a final circuit needs a vk-hash source: either
// `opts.vkHash` (the proving backend passes its own, cached) or bb.js with `opts.crsPath` /
// $SIDECAR_CRS_PATH (the directory holding bn254_g1.dat / bn254_g2.dat).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '../node/log.js';
import { poseidon2, initPoseidon2, barretenbergSync } from './l2/poseidon2.js';
import { toHex } from './l2/field.js';

const log = createLogger('circuits:build');

export const CIRCUITS_ROOT = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(CIRCUITS_ROOT, '..');
export const NOIR_DIR = path.join(CIRCUITS_ROOT, 'noir');
export const BUILD_DIR = path.join(REPO_ROOT, '.build', 'circuits');
const NOIR_VERSION = '1.0.0-beta.26';
/** Bumped when the artifact format or the backend that measures it changes (3: bb.js 5.0.0). */
const FORMAT = 3;

/**
 * single: a whole block, no recursion, L1 flavour. Chain: first (no recursion) -> rec* -> final (L1).
 * Tree: base leaves (no recursion) -> merge* (two children) -> root (`block_root`, two children, L1).
 */
export type SegmentKind = 'single' | 'first' | 'rec' | 'final' | 'base' | 'merge' | 'root' | 'range';

/** Circuits that pin other circuits' vk hashes (vk_hashes.nr generated from the CRS's vks). */
export const PINNING_KINDS: readonly SegmentKind[] = ['final', 'merge', 'root', 'range'];

/**
 * Block-level circuits: their proof ends a block with [slot, startRoot, endRoot, txsCommitment,
 * recipient]. Proven in the L1 flavour to be submitted alone, or in the recursive flavour to be
 * aggregated by a range circuit (range_2 pins their recursive vk hashes).
 */
export const BLOCK_LEVEL_KINDS: readonly SegmentKind[] = ['single', 'final', 'root'];
export const isBlockLevel = (name: string): boolean => BLOCK_LEVEL_KINDS.includes(parseCircuitName(name).kind);

/** Blocks a range circuit covers (`range_<n>`). */
export function rangeBlocks(name: string): number {
  const m = /^range_(\d+)$/.exec(name);
  if (!m) throw new CircuitBuildError(name, 'not a range circuit (range_<blocks>)');
  return Number(m[1]);
}

export type ProofFlavour = 'recursive' | 'l1';

/**
 * The flavours a circuit's proof can be made in: its own (`c.flavour`), and for block-level and
 * range circuits both (L1 to submit it; recursive to aggregate it into a range).
 */
export function flavoursOf(c: Pick<CompiledCircuit, 'kind' | 'flavour' | 'name'>): ProofFlavour[] {
  if (BLOCK_LEVEL_KINDS.includes(c.kind)) return ['l1', 'recursive'];
  if (c.kind === 'range') return rangeBlocks(c.name) < MAX_RANGE_BLOCKS ? ['l1', 'recursive'] : ['l1'];
  return [c.flavour];
}

/** The largest range circuit (range_4): it is proven for L1 only. */
export const MAX_RANGE_BLOCKS = 4;

/**
 * `c` to be proven (and its vk computed) in `flavour`: the backend proves a circuit in
 * `c.flavour`, so this is a copy with that flavour (same bytecode and hash; vks are cached per
 * flavour). Refused for a flavour the circuit does not allow (flavoursOf).
 */
export function inFlavour(c: CompiledCircuit, flavour: ProofFlavour): CompiledCircuit {
  if (c.flavour === flavour) return c;
  if (!flavoursOf(c).includes(flavour)) throw new CircuitBuildError(c.name, `cannot be proven in the ${flavour} flavour (only ${flavoursOf(c).join(', ')})`);
  return { ...c, flavour };
}
export const isPinning = (name: string): boolean => PINNING_KINDS.includes(parseCircuitName(name).kind);

export interface CircuitAbi {
  parameters: { name: string; type: unknown; visibility: 'public' | 'private' | 'databus' }[];
  return_type: unknown;
  error_types: Record<string, unknown>;
}

export interface CompiledCircuit {
  name: string;
  kind: SegmentKind;
  /** Txs per segment (S); 0 for merge / block_root (they execute no txs). */
  capacity: number;
  /** Verifies a previous segment's proof. */
  recursive: boolean;
  /** Flavour of the proof this circuit's proof is made in. */
  flavour: 'recursive' | 'l1';
  /** Source hash: changes whenever the circuit can change. */
  hash: string;
  noirVersion: string;
  /** base64 gzipped ACIR, as noir_js and bb.js take it. */
  bytecode: string;
  abi: CircuitAbi;
  /** bb's circuitStats (no-ZK): exact gates and the dyadic circuit size (power of two). */
  gates: number;
  circuitSize: number;
  /** For final circuits: the vk hashes pinned into the circuit. */
  vkHashes?: { first: string; rec: string; source: string };
  /** For every pinning circuit (final, merge, block_root): the pinned vk hashes by circuit name. */
  pinnedVkHashes?: Record<string, string>;
}

export class CircuitBuildError extends Error {
  constructor(readonly circuit: string, message: string) {
    super(`circuit ${circuit}: ${message}`);
    this.name = 'CircuitBuildError';
  }
}

export interface VkHashSource {
  /** Poseidon2 hash of the circuit's vk as the 115 fields the recursive verifier takes. */
  vkHash(circuit: CompiledCircuit): Promise<bigint>;
  /** Identifies the CRS the vks come from (in build metadata, e.g. "dev-<tau hash>" or "aztec"). */
  label: string;
}

export interface BuildOptions {
  /** Only these circuits (and what they need). Default: all. */
  only?: string[];
  /** How final circuits learn the first/rec vk hashes (default: bb.js with crsPath). */
  vkSource?: VkHashSource;
  crsPath?: string;
  /** Rebuild even when cached. */
  force?: boolean;
  /**
   * Build final circuits under another artifact name (`<name>.<variant>.json`), e.g. tests
   * that pin dummy vk hashes without touching the real artifact.
   */
  variant?: string;
}

export function parseCircuitName(name: string): { kind: SegmentKind; capacity: number } {
  if (name === 'merge') return { kind: 'merge', capacity: 0 };
  if (name === 'block_root') return { kind: 'root', capacity: 0 };
  const r = /^range_(\d+)$/.exec(name);
  if (r) {
    const n = Number(r[1]);
    if (n !== 2 && n !== 4) throw new CircuitBuildError(name, 'a range circuit covers 2 or 4 blocks');
    return { kind: 'range', capacity: 0 };
  }
  const m = /^(single|first|rec|final|base)_(\d+)$/.exec(name);
  if (!m) throw new CircuitBuildError(name, 'name must be <single|first|rec|final|base>_<capacity>, merge, block_root or range_<2|4>');
  const capacity = Number(m[2]);
  if (capacity < 1 || capacity > 1024 || (capacity & (capacity - 1)) !== 0) throw new CircuitBuildError(name, 'capacity must be a power of two <= 1024');
  return { kind: m[1] as SegmentKind, capacity };
}

/** The circuit packages in circuits/noir (every bin package; lib is the shared library). */
export function circuitNames(): string[] {
  return readdirSync(NOIR_DIR)
    .filter((d) => existsSync(path.join(NOIR_DIR, d, 'Nargo.toml')) && /type\s*=\s*"bin"/.test(readFileSync(path.join(NOIR_DIR, d, 'Nargo.toml'), 'utf8')))
    .sort();
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return n === 'target' ? [] : filesUnder(p);
    return /\.(nr|toml)$/.test(n) ? [p] : [];
  }).sort();
}

function sourceHash(name: string, extra: string): string {
  const h = createHash('sha256').update(`sidecar-circuit-v${FORMAT}\0${NOIR_VERSION}\0${name}\0${extra}\0`);
  for (const dir of [path.join(NOIR_DIR, 'lib'), path.join(NOIR_DIR, name)]) {
    for (const f of filesUnder(dir)) {
      if (f.endsWith('vk_hashes.nr')) continue;
      h.update(path.relative(NOIR_DIR, f)).update('\0').update(readFileSync(f)).update('\0');
    }
  }
  return h.digest('hex').slice(0, 32);
}

export function artifactPath(name: string, variant?: string): string {
  return path.join(BUILD_DIR, `${variant ? `${name}.${variant}` : name}.json`);
}

function readArtifact(name: string, variant?: string): CompiledCircuit | undefined {
  try {
    const c = JSON.parse(readFileSync(artifactPath(name, variant), 'utf8')) as CompiledCircuit;
    return typeof c.bytecode === 'string' && typeof c.hash === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Write `file` via a temp file and rename (readers never see a partial file). */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Compile one Noir package directory (absolute path) with noir_wasm. */
export async function noirCompile(name: string, projectDir: string): Promise<{ bytecode: string; abi: CircuitAbi }> {
  const { compile, createFileManager } = await import('@noir-lang/noir_wasm');
  const noop = () => {};
  // noir_wasm prints "Compiling at ..." with console.log whatever logFn says: keep stdout clean
  const consoleLog = console.log;
  console.log = noop;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const r: any = await compile(createFileManager(projectDir), undefined, noop, noop);
    return { bytecode: r.program.bytecode, abi: r.program.abi };
  } catch (e) {
    throw new CircuitBuildError(name, `Noir compilation failed:\n${(e as Error).message}`);
  } finally {
    console.log = consoleLog;
  }
}

/** Exact gates and dyadic size of a circuit (bb.js WASM circuitStats, no CRS needed). */
export async function circuitSizes(bytecode: string, recursive: boolean): Promise<{ gates: number; circuitSize: number }> {
  const bb = await barretenbergSync();
  const r = bb.circuitStats({
    circuit: { name: '', bytecode: acirOf(bytecode), verificationKey: new Uint8Array() },
    includeGatesPerOpcode: false,
    // no-ZK, as proven (backend/prover.ts PROOF_SETTINGS)
    settings: { ipaAccumulation: false, oracleHashType: recursive ? 'poseidon2' : 'keccak', disableZk: true, optimizedSolidityVerifier: false },
  });
  return { gates: r.numGates, circuitSize: r.numGatesDyadic };
}

/** The uncompressed ACIR bb.js takes, from the artifact's base64 gzipped bytecode. */
export function acirOf(bytecode: string): Uint8Array {
  return new Uint8Array(gunzipSync(Buffer.from(bytecode, 'base64')));
}

/** The vk hash the recursive segment circuits compute (lib: vk_hash, the Poseidon2 sponge of the 115 fields; == bb's own vk hash). */
export async function vkHashOfFields(fields: readonly bigint[]): Promise<bigint> {
  if (fields.length !== 115) throw new RangeError(`a no-ZK UltraHonk vk has 115 fields in bb 5.0.0, got ${fields.length}`);
  await initPoseidon2();
  return poseidon2(fields);
}

/**
 * Vk-hash source from a CRS directory (bn254_g1.dat / bn254_g2.dat): the proving backend (native
 * bb where it runs, else WASM) with that directory as the CRS; cached by circuit hash + CRS path.
 */
export function bbVkSource(crsPath: string): VkHashSource {
  return {
    label: `bb:${path.basename(crsPath)}`,
    async vkHash(c) {
      const cacheFile = path.join(BUILD_DIR, 'vkhash', `${c.hash}-${createHash('sha256').update(path.resolve(crsPath)).digest('hex').slice(0, 12)}.json`);
      if (existsSync(cacheFile)) return BigInt(JSON.parse(readFileSync(cacheFile, 'utf8')).vkHash);
      log.info({ circuit: c.name, circuitSize: c.circuitSize, crsPath }, 'computing vk for the final circuits (one-off, cached)');
      const { ProvingBackend } = await import('./backend/prover.js');
      const backend = await ProvingBackend.create({ crs: { dev: false, aztecCrsPath: crsPath }, vkCacheDir: path.join(BUILD_DIR, 'vkhash', 'vk') });
      try {
        const h = (await backend.vk(c)).hash!;
        writeAtomic(cacheFile, JSON.stringify({ circuit: c.name, hash: c.hash, vkHash: toHex(h) }));
        return h;
      } finally {
        await backend.destroy();
      }
    },
  };
}

function chainParts(finalName: string): { first: string; rec: string } {
  const names = circuitNames();
  const firsts = names.filter((n) => n.startsWith('first_'));
  const recs = names.filter((n) => n.startsWith('rec_'));
  if (firsts.length !== 1 || recs.length !== 1) {
    throw new CircuitBuildError(finalName, `expected exactly one first_* and one rec_* circuit, found ${firsts.join(',')} / ${recs.join(',')}`);
  }
  return { first: firsts[0], rec: recs[0] };
}

/** The base circuits (leaves of a block's proof tree), smallest first. */
export function baseCircuits(): string[] {
  return circuitNames().filter((n) => n.startsWith('base_')).sort((a, b) => parseCircuitName(a).capacity - parseCircuitName(b).capacity);
}

/** What a pinning circuit pins: circuit names and the generated vk_hashes.nr text from their hashes. */
function pinsOf(name: string): { names: string[]; source: (h: Record<string, string>, label: string) => string } {
  const { kind } = parseCircuitName(name);
  if (kind === 'final') {
    const parts = chainParts(name);
    return {
      names: [parts.first, parts.rec],
      source: (h, label) => `// generated by circuits/build.ts (${label}): Poseidon2 hashes of the ${parts.first} and ${parts.rec} vks\n` +
        `pub global FIRST_VK_HASH: Field = ${h[parts.first]};\npub global REC_VK_HASH: Field = ${h[parts.rec]};\n`,
    };
  }
  if (kind === 'range') {
    if (rangeBlocks(name) === 2) {
      const blocks = circuitNames().filter(isBlockLevel);
      return {
        names: blocks,
        source: (h, label) => `// generated by circuits/build.ts (${label}): Poseidon2 hashes of the recursive-flavour vks of ${blocks.join(', ')}\n` +
          `pub global BLOCK_VK_HASHES: [Field; ${blocks.length}] = [${blocks.map((b) => h[b]).join(', ')}];\n`,
      };
    }
    return {
      names: ['range_2'],
      source: (h, label) => `// generated by circuits/build.ts (${label}): Poseidon2 hash of the recursive-flavour vk of range_2\n` +
        `pub global RANGE_2_VK_HASH: Field = ${h.range_2};\n`,
    };
  }
  const bases = baseCircuits();
  if (bases.length === 0) throw new CircuitBuildError(name, 'no base_* circuit to pin');
  const names = kind === 'root' ? [...bases, 'merge'] : bases;
  return {
    names,
    source: (h, label) => `// generated by circuits/build.ts (${label}): Poseidon2 hashes of the ${names.join(', ')} vks\n` +
      `pub global BASE_VK_HASHES: [Field; ${bases.length}] = [${bases.map((b) => h[b]).join(', ')}];\n` +
      (kind === 'root' ? `pub global MERGE_VK_HASH: Field = ${h.merge};\n` : ''),
  };
}

const memo = new Map<string, CompiledCircuit>();
const inflight = new Map<string, Promise<CompiledCircuit>>();

async function buildOne(name: string, opts: BuildOptions): Promise<CompiledCircuit> {
  const { kind, capacity } = parseCircuitName(name);
  if (!existsSync(path.join(NOIR_DIR, name, 'Nargo.toml'))) throw new CircuitBuildError(name, `no Noir package at circuits/noir/${name}`);
  const recursive = kind === 'rec' || kind === 'final' || kind === 'merge' || kind === 'root' || kind === 'range';
  const flavour = kind === 'single' || kind === 'final' || kind === 'root' || kind === 'range' ? 'l1' : 'recursive';
  let projectDir = path.join(NOIR_DIR, name);
  let vkHashes: CompiledCircuit['vkHashes'];
  let pinnedVkHashes: CompiledCircuit['pinnedVkHashes'];
  let extra = '';
  const pinning = PINNING_KINDS.includes(kind);
  if (pinning) {
    const pins = pinsOf(name);
    // a pinned circuit that pins others itself (merge under block_root) is built in the same variant
    const deps = await Promise.all(pins.names.map((n) => ensureBuilt(n, isPinning(n) ? opts : { ...opts, variant: undefined })));
    const source = opts.vkSource ?? defaultVkSource(name);
    pinnedVkHashes = {};
    // pinned vks are always the recursive-flavour ones (what std::verify_proof_with_type takes)
    for (const d of deps) pinnedVkHashes[d.name] = toHex(await source.vkHash(inFlavour(d, 'recursive')));
    if (kind === 'final') vkHashes = { first: pinnedVkHashes[pins.names[0]], rec: pinnedVkHashes[pins.names[1]], source: source.label };
    extra = pins.names.map((n) => pinnedVkHashes![n]).join(':');
    // compile a copy with the generated constants (never written into the source tree)
    const gen = path.join(BUILD_DIR, opts.variant ? `src.${opts.variant}` : 'src');
    rmSync(path.join(gen, name), { recursive: true, force: true });
    cpSync(path.join(NOIR_DIR, 'lib'), path.join(gen, 'lib'), { recursive: true });
    cpSync(path.join(NOIR_DIR, name), path.join(gen, name), { recursive: true });
    writeFileSync(path.join(gen, name, 'src', 'vk_hashes.nr'), pins.source(pinnedVkHashes, source.label));
    projectDir = path.join(gen, name);
  }
  const hash = sourceHash(name, extra);
  const variant = pinning ? opts.variant : undefined;
  const cached = opts.force ? undefined : readArtifact(name, variant);
  if (cached && cached.hash === hash) return cached;
  const t0 = Date.now();
  const { bytecode, abi } = await noirCompile(name, projectDir);
  const sizes = await circuitSizes(bytecode, flavour === 'recursive');
  const c: CompiledCircuit = { name, kind, capacity, recursive, flavour, hash, noirVersion: NOIR_VERSION, bytecode, abi, ...sizes, vkHashes, pinnedVkHashes };
  writeAtomic(artifactPath(name, variant), JSON.stringify(c));
  log.info({ circuit: name, gates: c.gates, circuitSize: c.circuitSize, ms: Date.now() - t0 }, 'compiled circuit');
  return c;
}

function defaultVkSource(name: string): VkHashSource {
  const crsPath = process.env.SIDECAR_CRS_PATH;
  if (!crsPath) {
    throw new CircuitBuildError(name, 'final, merge and block_root circuits pin other circuits\' vk hashes, which depend on the CRS: pass a vkSource or crsPath, or set SIDECAR_CRS_PATH');
  }
  return bbVkSource(crsPath);
}

const memoKey = (name: string, opts: BuildOptions) => (opts.variant && isPinning(name) ? `${name}.${opts.variant}` : name);

async function ensureBuilt(name: string, opts: BuildOptions): Promise<CompiledCircuit> {
  const key = memoKey(name, opts);
  const running = inflight.get(key);
  if (running) return running;
  const p = buildOne(name, opts).finally(() => inflight.delete(key));
  inflight.set(key, p);
  const c = await p;
  memo.set(key, c);
  return c;
}

/** Build every circuit (or `opts.only`); no-op for those up to date. */
export async function buildCircuits(opts: BuildOptions = {}): Promise<CompiledCircuit[]> {
  const o = { ...opts, vkSource: opts.vkSource ?? (opts.crsPath ? bbVkSource(opts.crsPath) : undefined) };
  const names = opts.only ?? circuitNames();
  const out: CompiledCircuit[] = [];
  for (const n of names) out.push(await ensureBuilt(n, o));
  return out;
}

/**
 * The compiled circuit `name`, built first if its sources changed. Cheap after the first
 * call in a process (source hashes are checked once per process per circuit).
 */
export async function loadCircuit(name: string, opts: BuildOptions = {}): Promise<CompiledCircuit> {
  const hit = memo.get(memoKey(name, opts));
  if (hit && !opts.force) return hit;
  const [c] = await buildCircuits({ ...opts, only: [name] });
  return c;
}

async function main(argv: string[]): Promise<void> {
  const crsArg = argv.find((a) => a.startsWith('--crs='));
  const only = argv.filter((a) => !a.startsWith('--'));
  const crsPath = crsArg?.slice('--crs='.length) ?? process.env.SIDECAR_CRS_PATH;
  let names = only.length ? only : circuitNames();
  if (!crsPath && !only.length && !argv.includes('--dev-crs') && !/^(1|true|yes)$/i.test(process.env.SIDECAR_DEV_CRS ?? '')) {
    const skipped = names.filter(isPinning);
    names = names.filter((n) => !isPinning(n));
    if (skipped.length) log.warn({ skipped }, 'no CRS given (--dev-crs, --crs=DIR or SIDECAR_CRS_PATH): final, merge and block_root circuits need vk hashes and are skipped');
  }
  // --dev-crs (or SIDECAR_DEV_CRS=1 without a crs path): vk hashes from the proving backend
  // with the INSECURE dev CRS (generated and cached per user; vks cached in .build/circuits/vk)
  const devCrs = argv.includes('--dev-crs') || (!crsPath && /^(1|true|yes)$/i.test(process.env.SIDECAR_DEV_CRS ?? ''));
  const backend = devCrs ? await (await import('./backend/prover.js')).ProvingBackend.create({ crs: { dev: true } }) : undefined;
  if (devCrs) names = only.length ? only : circuitNames();
  let built: CompiledCircuit[];
  try {
    built = await buildCircuits({ only: names, crsPath, force: argv.includes('--force'), vkSource: backend?.vkHashSource() });
  } finally {
    await backend?.destroy();
  }
  for (const c of built) {
    process.stdout.write(`${c.name.padEnd(10)} ${String(c.gates).padStart(9)} gates  2^${Math.log2(c.circuitSize)}  ${c.flavour}\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
