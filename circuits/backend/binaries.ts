// Where the two proving backends come from, and the INSECURE dev-CRS copies of them.
//
// Both ship in @aztec/bb.js 5.0.0: the native `bb` binary (build/<platform>/bb, multithreaded,
// needs only glibc 2.34) and the WASM (dest/node/barretenberg_wasm/barretenberg-threads.wasm.gz).
// With Aztec's Ignition CRS (production) both are used exactly as shipped, from node_modules.
//
// bb 5.0.0 hard-codes Aztec's CRS in two places (docs: ../shared/notes/proving-stack.md):
// - native `bb verify`: Aztec's [x]G2 (128 bytes, x.c0 x.c1 y.c0 y.c1 big-endian) is a
//   constant in the binary, so a proof under the dev CRS never verifies with the stock binary;
// - WASM srsInitSrs: it refuses any CRS whose g1_points[1] is not Aztec's [x]G1 (64 bytes) or
//   whose G2 does not have Aztec's SHA-256.
// For the INSECURE dev CRS only, this module makes a labelled copy of the binary / the wasm with
// exactly those constants replaced by the dev values, in the per-user cache dir
// (<cache>/bb/INSECURE-dev-crs-tau-<tau>-bb-<version>-<stock hash>/), written to a temp file and
// renamed into place. Nothing inside node_modules is ever written.
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '../../node/log.js';
import { CrsError, encodeG2, sidecarCacheDir, type CrsInfo, type DevCrs } from './crs.js';

const log = createLogger('circuits:backend');
const requireCjs = createRequire(import.meta.url);

export type BackendKind = 'native' | 'wasm';
export type BackendChoice = BackendKind | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', 'wasm'];

/** Aztec Ignition [x]G2 as bb 5.0.0 stores it (x.c0, x.c1, y.c0, y.c1, big-endian). */
export const AZTEC_G2_BYTES = Buffer.from(
  '0118c4d5b837bcc2bc89b5b398b5974e9f5944073b32078b7e231fec938883b0' +
  '260e01b251f6f1c7e7ff4e580791dee8ea51d87a358e038b4efe30fac09383c1' +
  '22febda3c0c0632a56475b4214e5615e11e6dd3f96e6cea2854a87d4dacc5e55' +
  '04fc6369f7110fe3d25156c1bb9a72859cf2a04641f99ba4ee413c80da6a5fe4', 'hex');
/** Aztec Ignition g1_points[1] = [x]G1 (x ‖ y big-endian), what bb.js' WASM checks at SRS init. */
export const AZTEC_G1_1_BYTES = Buffer.from(
  '2d360628289ff943ff6bd1a87bbe4e62abe7fb61ba83effd266f22bdcf31e6f9' +
  '26b92a79e563c3f48252cce7feeca2f0f8d33dcb4ef7b0643bf07bd405700aaa', 'hex');

/** The bb.js package root (node_modules/@aztec/bb.js). */
export function bbPackageDir(): string {
  // the package's exports do not include package.json: climb from its entry point
  let dir = path.dirname(requireCjs.resolve('@aztec/bb.js'));
  while (dir !== path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === '@aztec/bb.js') return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the @aztec/bb.js package directory');
}

export function bbVersion(): string {
  return (JSON.parse(readFileSync(path.join(bbPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

const PLATFORM_DIRS: Record<string, string> = { 'x64-linux': 'amd64-linux', 'x64-darwin': 'amd64-macos', 'arm64-linux': 'arm64-linux', 'arm64-darwin': 'arm64-macos' };

/** The stock native bb shipped in the package, or why there is none for this platform. */
export function stockBbBinary(): { path?: string; reason?: string } {
  const dir = PLATFORM_DIRS[`${process.arch}-${process.platform}`];
  if (!dir) return { reason: `no native bb in @aztec/bb.js for ${process.arch}-${process.platform}` };
  const p = path.join(bbPackageDir(), 'build', dir, 'bb');
  return existsSync(p) ? { path: p } : { reason: `${p} does not exist` };
}

/** The stock gzipped WASM shipped in the package. */
export function stockBbWasm(): string {
  return path.join(bbPackageDir(), 'dest', 'node', 'barretenberg_wasm', 'barretenberg-threads.wasm.gz');
}

const probes = new Map<string, { ok: boolean; version?: string; reason?: string }>();

/** Runs `bb --version` once per binary per process: does the native backend start here? */
export function probeNative(binary: string): { ok: boolean; version?: string; reason?: string } {
  let r = probes.get(binary);
  if (!r) {
    const p = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (p.error) r = { ok: false, reason: p.error.message };
    else if (p.status !== 0) r = { ok: false, reason: `exit ${p.status ?? p.signal}: ${(p.stderr || p.stdout).trim().slice(0, 300)}` };
    else r = { ok: true, version: p.stdout.trim() };
    probes.set(binary, r);
  }
  return r;
}

function replaceOnce(buf: Buffer, from: Buffer, to: Buffer, what: string): void {
  const at = buf.indexOf(from);
  if (at < 0 || buf.indexOf(from, at + 1) >= 0) {
    throw new CrsError(`cannot make the INSECURE dev-CRS copy: ${what} found ${at < 0 ? 'no' : 'more than one'} time(s) in bb.js ${bbVersion()} (expected exactly once; did the package change?)`);
  }
  to.copy(buf, at);
}

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

function devCopyDir(crs: DevCrs, stock: Buffer, cacheDir?: string): string {
  return path.join(cacheDir ?? sidecarCacheDir(), 'bb', `INSECURE-dev-crs-tau-${crs.tau}-bb-${bbVersion()}-${sha256(stock).toString('hex').slice(0, 12)}`);
}

function writeCopy(dir: string, name: string, data: Buffer, mode: number, crs: DevCrs): string {
  const file = path.join(dir, name);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'INSECURE-DEV-CRS.txt'),
    `INSECURE copies of bb.js ${bbVersion()}'s native bb / WASM made by sidecar (circuits/backend/binaries.ts)\n` +
    `for the dev CRS ${crs.id} (tau = ${crs.tau}, public: anyone can forge proofs under it).\n` +
    `Aztec's [x]G2 (native verify) and [x]G1 + SHA-256 of G2 (WASM SRS check) are replaced by the dev values.\n` +
    `Devnet, tests and CI only. Production uses the stock files in node_modules with Aztec's CRS.\n`);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  log.warn({ file, crs: crs.id }, 'made an INSECURE dev-CRS copy of bb (devnet/tests only)');
  return file;
}

/** The native bb for `crs`: the stock binary for Aztec's CRS, the dev copy for the dev CRS. */
export function nativeBinaryFor(crs: CrsInfo, cacheDir?: string): { path?: string; reason?: string } {
  const stock = stockBbBinary();
  if (!stock.path || crs.kind === 'aztec') return stock;
  const bytes = readFileSync(stock.path);
  const dir = devCopyDir(crs, bytes, cacheDir);
  const file = path.join(dir, 'bb-INSECURE-dev-crs');
  if (existsSync(file)) return { path: file };
  replaceOnce(bytes, AZTEC_G2_BYTES, encodeG2(crs.g2), "Aztec's [x]G2");
  return { path: writeCopy(dir, 'bb-INSECURE-dev-crs', bytes, 0o755, crs) };
}

/** The WASM for `crs` (wasmPath for bb.js): undefined = bb.js' stock file; the dev copy for the dev CRS. */
export function wasmFor(crs: CrsInfo, cacheDir?: string): string | undefined {
  if (crs.kind === 'aztec') return undefined;
  const gz = readFileSync(stockBbWasm());
  const dir = devCopyDir(crs, gz, cacheDir);
  const file = path.join(dir, 'barretenberg-threads-INSECURE-dev-crs.wasm');
  if (existsSync(file)) return file;
  const wasm = gunzipSync(gz);
  const devG1 = Buffer.alloc(64);
  const g1 = readFileSync(path.join(crs.dir, 'bn254_g1.dat')).subarray(64, 128);
  g1.copy(devG1);
  // the check is "SHA-256(G2) == Aztec's, and g1_points[1] == Aztec's": both constants sit side by side
  replaceOnce(wasm, Buffer.concat([sha256(AZTEC_G2_BYTES), AZTEC_G1_1_BYTES]), Buffer.concat([sha256(encodeG2(crs.g2)), devG1]), "Aztec's SRS check constants (SHA-256 of [x]G2, [x]G1)");
  return writeCopy(dir, 'barretenberg-threads-INSECURE-dev-crs.wasm', wasm, 0o644, crs);
}

/** `$SIDECAR_PROVER_BACKEND` (auto | native | wasm), else auto. */
export function backendChoiceFromEnv(env: NodeJS.ProcessEnv = process.env): BackendChoice {
  const v = (env.SIDECAR_PROVER_BACKEND ?? '').trim().toLowerCase();
  if (!v) return 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) throw new CrsError(`SIDECAR_PROVER_BACKEND must be one of ${BACKEND_CHOICES.join(', ')}, got ${JSON.stringify(v)}`);
  return v as BackendChoice;
}

