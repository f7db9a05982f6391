// The structured reference string (CRS) the UltraHonk backend proves and verifies with.
//
// Production: Aztec's Ignition ceremony CRS, loaded the way bb.js 0.82.2 loads it (its own
// `Crs` class: ~/.bb-crs, downloaded on first use). Never the dev CRS unless asked.
//
// Devnet, tests, CI (offline): an **INSECURE dev CRS** made from a fixed, published tau
// (DEV_CRS_TAU below). Anyone who knows tau can forge proofs: it exists only because the
// ceremony files cannot be downloaded on these machines. It is selected only by
// `SIDECAR_DEV_CRS=1` or an explicit `{ dev: true }`, lives in a directory whose name says
// INSECURE, next to an INSECURE-DEV-CRS.txt, and every log line about it says insecure.
//
// Files, as bb.js 0.82.2 reads them from `crsPath`: `bn254_g1.dat` = the points [tau^i]G1,
// i = 0..N-1, each 64 bytes (x then y, 32-byte big-endian affine; the generator first), with
// N >= circuit size + 1; `bn254_g2.dat` = [tau]G2 in 128 bytes (G2_ENCODING below: checked by
// proving and verifying with bb.js, test/e2e/circuits/backend.test.ts).
//
// Speed: [tau^(i+1)]G1 = tau·[tau^i]G1 with a small tau is a few Jacobian doublings/adds per
// point; a run of points is normalised with one inversion (Montgomery's trick); the range is
// split across worker_threads, each starting from one full scalar multiplication.
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createLogger } from '../../node/log.js';
import { G1, G2, R, batchNormalize, g2Mul, jacMul, onG1, onG2, powMod, smallMultiplier, toJac, writeU256, hex32, type Fq2, type Jac } from './bn254.js';

const log = createLogger('circuits:crs');

/**
 * The published, INSECURE dev tau. Small on purpose: each next point is one doubling and one
 * addition of the previous one. Knowing it lets anyone forge proofs for the dev CRS.
 */
export const DEV_CRS_TAU = 3n;

/** The Aztec Ignition CRS identifier (what bb.js downloads into ~/.bb-crs by default). */
export const AZTEC_CRS_ID = 'aztec-ignition';

export class CrsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrsError';
  }
}

export interface DevCrs {
  kind: 'dev';
  /** crsPath for bb.js: holds bn254_g1.dat / bn254_g2.dat. */
  dir: string;
  /** Number of G1 points in bn254_g1.dat (a power of two plus one). */
  points: number;
  tau: bigint;
  /** Identifies the CRS in cache keys (vks, verifiers): `insecure-dev-tau-<tau>`. */
  id: string;
  /** [tau]G2 (the verifier's second pairing point). */
  g2: { x: Fq2; y: Fq2 };
}

export interface AztecCrs {
  kind: 'aztec';
  /** bb.js' own cache directory (undefined: bb.js' default ~/.bb-crs). */
  dir?: string;
  id: typeof AZTEC_CRS_ID;
}

export type CrsInfo = DevCrs | AztecCrs;

/** Per-user cache directory: $SIDECAR_CACHE_DIR or ~/.cache/sidecar. */
export function sidecarCacheDir(): string {
  return process.env.SIDECAR_CACHE_DIR || path.join(os.homedir(), '.cache', 'sidecar');
}

export const devCrsId = (tau: bigint): string => `insecure-dev-tau-${tau.toString()}`;

/**
 * How bn254_g2.dat is laid out for bb.js 0.82.2: x.c0, x.c1, y.c0, y.c1 (real part first),
 * each 32 bytes big-endian. (The EVM pairing precompile takes the imaginary part first; the
 * verifier generator handles that itself.) Established by proving and verifying with bb.js.
 */
export const G2_ENCODING = 'c0c1' as const;

export function encodeG2(p: { x: Fq2; y: Fq2 }, order: 'c0c1' | 'c1c0' = G2_ENCODING): Buffer {
  const out = Buffer.alloc(128);
  const parts = order === 'c0c1' ? [p.x.c0, p.x.c1, p.y.c0, p.y.c1] : [p.x.c1, p.x.c0, p.y.c1, p.y.c0];
  parts.forEach((v, i) => writeU256(out, 32 * i, v));
  return out;
}

export function devG2(tau: bigint): { x: Fq2; y: Fq2 } {
  const p = g2Mul(G2, tau);
  if (!p || !onG2(p)) throw new CrsError('internal: [tau]G2 is not on the twist');
  return p;
}

/**
 * [tau^start]G1 .. [tau^(start+count-1)]G1 as bb.js' 64-byte records. Runs in the calling
 * thread (the worker entry calls it for its slice).
 */
export function generateG1Range(tau: bigint, start: number, count: number, batch = 4096): Buffer {
  const out = Buffer.alloc(count * 64);
  const times = smallMultiplier(tau);
  let p: Jac = jacMul(toJac(G1), powMod(tau, BigInt(start), R));
  const chunk: Jac[] = [];
  let written = 0;
  const flush = () => {
    const aff = batchNormalize(chunk);
    for (const a of aff) {
      writeU256(out, written * 64, a.x);
      writeU256(out, written * 64 + 32, a.y);
      written++;
    }
    chunk.length = 0;
  };
  for (let i = 0; i < count; i++) {
    chunk.push(p);
    if (chunk.length === batch) flush();
    if (i + 1 < count) p = times(p);
  }
  if (chunk.length) flush();
  return out;
}

/** The reference implementation (one full scalar multiplication per point): for the bench. */
export function generateG1RangeNaive(tau: bigint, start: number, count: number): Buffer {
  const out = Buffer.alloc(count * 64);
  for (let i = 0; i < count; i++) {
    const [a] = batchNormalize([jacMul(toJac(G1), powMod(tau, BigInt(start + i), R))]);
    writeU256(out, i * 64, a.x);
    writeU256(out, i * 64 + 32, a.y);
  }
  return out;
}

const WORKER_SHIM = fileURLToPath(new URL('./ts-worker.mjs', import.meta.url));
const CRS_WORKER = fileURLToPath(new URL('./crs-worker.ts', import.meta.url));

/**
 * execArgv for worker_threads Workers: the process's, minus `--import <file>.ts` (Node 20
 * workers cannot load .ts through execArgv).
 */
export function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === '--import' || a === '--require' || a === '-r') && /\.[cm]?ts$/.test(argv[i + 1] ?? '')) { i++; continue; }
    if (/^--(import|require)=.*\.[cm]?ts$/.test(a)) continue;
    out.push(a);
  }
  return out;
}

function runSlice(tau: bigint, start: number, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SHIM, { execArgv: workerExecArgv(), workerData: { tsEntry: CRS_WORKER, tau: tau.toString(), start, count } });
    let done = false;
    w.once('message', (m: { bytes: Uint8Array }) => {
      done = true;
      resolve(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
    });
    w.once('error', (e) => reject(new CrsError(`dev CRS worker failed: ${e.message}`)));
    w.once('exit', (code) => {
      if (!done) reject(new CrsError(`dev CRS worker exited with code ${code} before finishing`));
    });
  });
}

/** Generate `points` G1 points of the dev CRS with `workers` threads (1: in this thread). */
export async function generateDevG1(tau: bigint, points: number, workers: number): Promise<Buffer[]> {
  if (workers <= 1) return [generateG1Range(tau, 0, points)];
  const per = Math.ceil(points / workers);
  const slices: Promise<Buffer>[] = [];
  for (let s = 0; s < points; s += per) slices.push(runSlice(tau, s, Math.min(per, points - s)));
  return Promise.all(slices);
}

const dirName = (tau: bigint, log2: number) => `INSECURE-dev-crs-tau-${tau.toString()}-2^${log2}`;

/** Cached dev CRS directories for `tau` holding at least `minPoints` points. */
function findCached(root: string, tau: bigint, minPoints: number): DevCrs | undefined {
  if (!existsSync(root)) return undefined;
  const re = new RegExp(`^INSECURE-dev-crs-tau-${tau.toString()}-2\\^(\\d+)$`);
  const hits = readdirSync(root)
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x) => x.m && 2 ** Number(x.m[1]) + 1 >= minPoints)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]));
  for (const { n, m } of hits) {
    const dir = path.join(root, n);
    const points = 2 ** Number(m![1]) + 1;
    try {
      if (statSync(path.join(dir, 'bn254_g1.dat')).size === points * 64 && statSync(path.join(dir, 'bn254_g2.dat')).size === 128) {
        return { kind: 'dev', dir, points, tau, id: devCrsId(tau), g2: devG2(tau) };
      }
    } catch {
      // incomplete: ignore (a complete one is only ever created by rename)
    }
  }
  return undefined;
}

export interface DevCrsOptions {
  tau?: bigint;
  /** Default: sidecarCacheDir(). The CRS goes to <cacheDir>/crs/INSECURE-dev-crs-tau-<tau>-2^k. */
  cacheDir?: string;
  /** Worker threads for generation (default: min(4, available parallelism)). */
  workers?: number;
}

/**
 * The INSECURE dev CRS with at least `minPoints` points (circuit size + 1), generated on first
 * use into the per-user cache (2^k + 1 points for the least k that fits, at least 2^16 + 1) and
 * reused after. Safe against concurrent processes: generated into a private temp directory and
 * renamed into place; the loser of a race keeps the winner's identical files.
 */
export async function ensureDevCrs(minPoints: number, opts: DevCrsOptions = {}): Promise<DevCrs> {
  const tau = opts.tau ?? DEV_CRS_TAU;
  if (tau < 2n || tau >= R) throw new CrsError(`dev CRS tau must be in [2, r), got ${tau}`);
  if (!Number.isInteger(minPoints) || minPoints < 2 || minPoints > 2 ** 25 + 1) throw new CrsError(`dev CRS size must be 2..2^25+1 points, got ${minPoints}`);
  const root = path.join(opts.cacheDir ?? sidecarCacheDir(), 'crs');
  const hit = findCached(root, tau, minPoints);
  if (hit) return hit;
  const log2 = Math.max(16, Math.ceil(Math.log2(minPoints - 1)));
  const points = 2 ** log2 + 1;
  const workers = Math.max(1, opts.workers ?? Math.min(4, os.availableParallelism()));
  const dir = path.join(root, dirName(tau, log2));
  log.warn({ dir, points, tau: tau.toString(), workers }, 'generating the INSECURE dev CRS (tau is public: proofs under it can be forged; devnet/tests only)');
  const t0 = Date.now();
  const g2 = devG2(tau);
  const slices = await generateDevG1(tau, points, workers);
  const [first] = slices;
  if (first.readBigUInt64BE(24) !== 1n || first.readBigUInt64BE(56) !== 2n) throw new CrsError('internal: the dev CRS does not start with the generator');
  mkdirSync(root, { recursive: true });
  const tmp = path.join(root, `.tmp-${dirName(tau, log2)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    const fd = openSync(path.join(tmp, 'bn254_g1.dat'), 'w');
    try {
      for (const s of slices) writeSync(fd, s);
    } finally {
      closeSync(fd);
    }
    writeFileSync(path.join(tmp, 'bn254_g2.dat'), encodeG2(g2));
    writeFileSync(path.join(tmp, 'INSECURE-DEV-CRS.txt'),
      `INSECURE development CRS generated by sidecar (circuits/backend/crs.ts).\n` +
      `tau = ${tau} (public): anyone can forge proofs that verify against this CRS.\n` +
      `Use only for devnet, tests and CI. Production uses Aztec's Ignition CRS.\n` +
      `points = ${points} ([tau^i]G1, i = 0..${points - 1}); bn254_g2.dat = [tau]G2.\n`);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      // another process finished first with the same deterministic content
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const crs = findCached(root, tau, minPoints);
  if (!crs) throw new CrsError(`dev CRS at ${dir} is incomplete after generation`);
  log.warn({ dir, points, ms: Date.now() - t0 }, 'INSECURE dev CRS ready');
  return crs;
}

/** Spot-check a dev CRS file: the first points and a random one are [tau^i]G1 on the curve. */
export function checkDevCrs(crs: DevCrs, samples = 3): void {
  const g1 = readFileSync(path.join(crs.dir, 'bn254_g1.dat'));
  const idx = [0, 1, ...Array.from({ length: samples }, () => Math.floor(Math.random() * crs.points))];
  for (const i of idx) {
    const x = BigInt(`0x${g1.subarray(i * 64, i * 64 + 32).toString('hex')}`);
    const y = BigInt(`0x${g1.subarray(i * 64 + 32, i * 64 + 64).toString('hex')}`);
    const [want] = batchNormalize([jacMul(toJac(G1), powMod(crs.tau, BigInt(i), R))]);
    if (!onG1({ x, y }) || x !== want.x || y !== want.y) throw new CrsError(`dev CRS ${crs.dir}: point ${i} is not [tau^${i}]G1 (corrupt cache? delete the directory)`);
  }
  const g2 = readFileSync(path.join(crs.dir, 'bn254_g2.dat'));
  if (!g2.equals(encodeG2(crs.g2))) throw new CrsError(`dev CRS ${crs.dir}: bn254_g2.dat is not [tau]G2`);
}

export interface CrsSelection {
  /** true: the INSECURE dev CRS. Default: $SIDECAR_DEV_CRS (1/true/yes), else Aztec's. */
  dev?: boolean;
  tau?: bigint;
  cacheDir?: string;
  /** Aztec CRS: bb.js' cache directory (default: bb.js' own, ~/.bb-crs). */
  aztecCrsPath?: string;
}

export function devCrsRequested(sel: CrsSelection = {}): boolean {
  if (sel.dev !== undefined) return sel.dev;
  return /^(1|true|yes)$/i.test(process.env.SIDECAR_DEV_CRS ?? '');
}

/**
 * The CRS for circuits up to `circuitSize`: the dev CRS when requested (generated/cached),
 * else Aztec's (bb.js loads or downloads it itself; nothing is generated).
 */
export async function resolveCrs(circuitSize: number, sel: CrsSelection = {}): Promise<CrsInfo> {
  if (devCrsRequested(sel)) return ensureDevCrs(circuitSize + 1, { tau: sel.tau, cacheDir: sel.cacheDir });
  return { kind: 'aztec', dir: sel.aztecCrsPath, id: AZTEC_CRS_ID };
}

/** Short stable hash of a CRS id for file names. */
export const crsTag = (crs: CrsInfo): string => createHash('sha256').update(crs.id).digest('hex').slice(0, 12);

export { hex32 };
