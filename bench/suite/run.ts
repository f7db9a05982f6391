// The standard proving suite behind `sidecar bench` and `npm run bench -- suite`
// (bench/README.md): every circuit of the node's catalog (circuits/plan.ts
// DEFAULT_COST_MODEL.circuits, whatever it holds in this build), on each backend that starts
// here and each thread count, R repetitions after a cold start measured on its own; then whole
// blocks through the real prover pool (prover/pool.ts + orchestrator), and the aggregated range.
// Each finished unit is saved into --out DIR (result.json + report.html), so an interrupted run
// continues with --resume. Progress on stderr; the result is the last line of stdout.
import { mkdirSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InputMap } from '@noir-lang/noir_js';
import type { CircuitCost, ProofJob, ProofPlan } from '../../circuits/plan.js';
import type { BackendKind, ProvingBackend } from '../../circuits/backend/prover.js';
import type { RollupBlock } from '../../prover/rollup.js';
import type { JobResult } from '../../prover/types.js';
import { BENCH_RECIPIENT, makeBlocks } from '../lib/blocks.js';
import { Progress, log } from '../lib/report.js';
import { hardware, sameMachine, software } from './fingerprint.js';
import { stats, usdFor, whFor, withPeakMemory } from './measure.js';
import { BENCH_SCHEMA, readBenchResult, type BenchResult, type BlockEntry, type CircuitEntry, type CircuitResult, type ColdStart } from './schema.js';
import { renderReport } from './html.js';

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    // the CLI maps this name to exit code 2 (node/cli/main.ts)
    this.name = 'UsageError';
  }
}

export interface SuiteOptions {
  quick: boolean;
  reps: number;
  out: string;
  resume: boolean;
  backends: BackendKind[];
  threads: number[];
  /** circuit names; undefined = the whole catalog (quick: single_1 and the next smallest) */
  circuits?: string[];
  blockSizes: number[];
  /** blocks in the aggregated range proven through the prover (2 or 4; 0 = none; quick 2) */
  rangeBlocks: number;
  /** pool shape for the blocks (0 = the node's default, prover/pool.ts defaultPoolShape) */
  workers: number;
  poolThreads: number;
  usdPerHour: number | null;
  watts: number | null;
  devCrs: boolean;
}

export const SUITE_USAGE = `usage: sidecar bench [options]            (also: npm run bench -- suite [options])
       sidecar bench compare A.json B.json [--out FILE.html]
  --quick               a short suite (minutes on 2 cores): single_1 and one small circuit, native + wasm, 1 thread, 1 rep, a 1-tx block
  --reps R              steady-state repetitions per circuit x backend x threads (default 3; quick 1)
  --out DIR             where result.json and report.html go (default ./sidecar-bench)
  --resume              continue the interrupted run in --out DIR
  --backends LIST       native,wasm (default: both; one that cannot start here is recorded and skipped)
  --threads LIST        thread counts (default 1,2,4,... up to the cores; quick 1)
  --circuits LIST       only these circuits of the catalog
  --range N             an aggregated range of N one-tx blocks through the prover (2 or 4; 0: none; default 4, quick 2)
  --blocks LIST         block sizes in txs proven through the pool (default 1,32,128; quick 1; none: --blocks '')
  --workers W           pool workers for the blocks (default: the node's default shape)
  --pool-threads T      threads per pool worker (default: the node's default shape)
  --usd-per-hour X      the machine's price: cost per proof and per tx
  --watts X             the machine's power draw: energy per proof and per tx
  --crs dev|production  the INSECURE dev CRS (default, as every bench) or Aztec's (bb downloads it)`;

const listArg = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

export function defaultThreads(cores = os.availableParallelism()): number[] {
  const out: number[] = [];
  for (let t = 1; t <= cores; t *= 2) out.push(t);
  if (out[out.length - 1] !== cores) out.push(cores);
  return out;
}

export function parseSuiteArgs(argv: string[]): SuiteOptions {
  const known = new Set(['quick', 'reps', 'out', 'resume', 'backends', 'threads', 'circuits', 'blocks', 'range', 'workers', 'pool-threads', 'usd-per-hour', 'watts', 'crs']);
  const flags = new Set(['quick', 'resume']);
  const vals = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new BenchUsageError(`unexpected argument ${JSON.stringify(a)}\n${SUITE_USAGE}`);
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (!known.has(name)) throw new BenchUsageError(`unknown option --${name}\n${SUITE_USAGE}`);
    if (flags.has(name)) { vals.set(name, 'true'); continue; }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new BenchUsageError(`--${name} needs a value`);
    vals.set(name, v);
  }
  const num = (name: string, min: number, int: boolean): number | undefined => {
    const v = vals.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) throw new BenchUsageError(`--${name} must be ${int ? 'a whole number' : 'a number'} >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const ints = (name: string, min: number): number[] | undefined => {
    const v = vals.get(name);
    if (v === undefined) return undefined;
    return listArg(v).map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < min) throw new BenchUsageError(`--${name}: each value must be a whole number >= ${min}, got ${JSON.stringify(x)}`);
      return n;
    });
  };
  const quick = vals.has('quick');
  const backends = vals.has('backends') ? listArg(vals.get('backends')!) : ['native', 'wasm'];
  for (const b of backends) if (b !== 'native' && b !== 'wasm') throw new BenchUsageError(`--backends: unknown backend ${JSON.stringify(b)} (native, wasm)`);
  if (!backends.length) throw new BenchUsageError('--backends: at least one of native, wasm');
  const crs = vals.get('crs') ?? 'dev';
  if (crs !== 'dev' && crs !== 'production') throw new BenchUsageError(`--crs must be dev or production, got ${JSON.stringify(crs)}`);
  const threads = ints('threads', 1) ?? (quick ? [1] : defaultThreads());
  if (!threads.length) throw new BenchUsageError('--threads: at least one thread count');
  return {
    quick,
    reps: num('reps', 1, true) ?? (quick ? 1 : 3),
    out: path.resolve(vals.get('out') ?? 'sidecar-bench'),
    resume: vals.has('resume'),
    backends: [...new Set(backends)] as BackendKind[],
    threads: [...new Set(threads)].sort((a, b) => a - b),
    circuits: vals.has('circuits') ? listArg(vals.get('circuits')!) : undefined,
    blockSizes: ints('blocks', 0) ?? (quick ? [1] : [1, 32, 128]),
    rangeBlocks: rangeArg(num('range', 0, true) ?? (quick ? 2 : 4)),
    workers: num('workers', 1, true) ?? 0,
    poolThreads: num('pool-threads', 1, true) ?? 0,
    usdPerHour: num('usd-per-hour', 0, false) ?? null,
    watts: num('watts', 0, false) ?? null,
    devCrs: crs === 'dev',
  };
}

function rangeArg(n: number): number {
  if (n !== 0 && n !== 2 && n !== 4) throw new BenchUsageError(`--range must be 2, 4 or 0 (no range), got ${n}`);
  return n;
}

// modules with loggers load after the log level is set (stdout ends with the one JSON line)
async function loadModules() {
  return {
    plan: await import('../../circuits/plan.js'),
    backend: await import('../../circuits/backend/prover.js'),
    field: await import('../../circuits/l2/field.js'),
    pool: await import('../../prover/pool.js'),
    orchestrator: await import('../../prover/orchestrator.js'),
    rollup: await import('../../prover/rollup.js'),
    prover: await import('../../prover/index.js'),
    build: await import('../../circuits/build.js'),
  };
}
type Modules = Awaited<ReturnType<typeof loadModules>>;

const fmtMin = (ms: number) => (ms < 90_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(ms < 600_000 ? 1 : 0)} min`);
const hex = (x: bigint) => `0x${x.toString(16).padStart(64, '0')}`;

interface Probe { txs: number; plan: ProofPlan; block: RollupBlock; target: ProofJob }

/** The smallest block whose plan (the node's planner, the node's catalog) proves `c`. */
async function findProbes(M: Modules, catalog: readonly CircuitCost[]): Promise<Map<string, Probe>> {
  const out = new Map<string, Probe>();
  const want = new Set(catalog.map((c) => c.name));
  for (let n = 1; n <= M.field.MAX_TXS_PER_BLOCK && out.size < want.size; n++) {
    let plan: ProofPlan;
    try {
      plan = M.plan.planBlock({ blockHash: `0x${'b0'.repeat(32)}`, slot: 100n, txCount: n }, M.plan.DEFAULT_COST_MODEL);
    } catch {
      continue;
    }
    const order = M.plan.topoOrder(plan);
    for (const j of order) {
      if (!want.has(j.circuit) || out.has(j.circuit)) continue;
      const [block] = await makeBlocks(n, 1);
      out.set(j.circuit, { txs: n, plan: M.plan.planBlock({ blockHash: block.blockHash, slot: block.slot, txCount: n }, M.plan.DEFAULT_COST_MODEL), block, target: j });
    }
  }
  // re-find the target in the plan made with the block's real hash (job ids include it)
  for (const [name, p] of out) p.target = M.plan.topoOrder(p.plan).find((j) => j.circuit === name)!;
  return out;
}

/** The task options the node's Prover.proveBlock passes (the chain's vk hashes when the plan has a final job). */
async function vkHashesFor(plan: ProofPlan, circuit: (name: string) => Promise<{ vkHashes?: { first: string; rec: string } }>) {
  const fin = plan.jobs.find((j) => j.kind === 'final');
  if (!fin) return undefined;
  const c = await circuit(fin.circuit);
  if (!c.vkHashes) throw new Error(`circuit ${fin.circuit} has no pinned vk hashes`);
  return { first: BigInt(c.vkHashes.first), rec: BigInt(c.vkHashes.rec) };
}

interface Ctx {
  M: Modules;
  opts: SuiteOptions;
  result: BenchResult;
  save: () => void;
  depCache: Map<string, JobResult>;
  progress: Progress;
  eta: Eta;
  /** units finished in this session */
  done: number;
  etaNote: () => string;
}

/** Running estimate of the suite's remaining time: cost-model estimates scaled by what was measured. */
class Eta {
  /** measured / model, per backend (initial: circuits/README's figures, native ~0.45x and WASM ~1.6x the model's single-thread estimate) */
  private scale: Record<BackendKind, { measured: number; model: number }> = { native: { measured: 0.45, model: 1 }, wasm: { measured: 1.6, model: 1 } };
  private calibrated = false;
  constructor(private readonly M: Modules, private readonly reps: number) {}
  factor(kind: BackendKind, threads: number): number {
    const s = this.scale[kind];
    return s.measured / s.model / Math.pow(threads, 0.7);
  }
  learn(kind: BackendKind, threads: number, c: CircuitCost, measuredMs: number): void {
    const s = this.scale[kind];
    if (!this.calibrated || s.model === 1) { s.measured = 0; s.model = 0; }
    this.calibrated = true;
    s.measured += measuredMs * Math.pow(threads, 0.7);
    s.model += this.M.plan.estimateMs(this.M.plan.DEFAULT_COST_MODEL, c);
    if (kind === 'native' && this.scale.wasm.model === 1) this.scale.wasm.measured = (s.measured / s.model) * 3.3;
  }
  circuitUnit(c: CircuitCost, kind: BackendKind, threads: number, cold: boolean, deps: CircuitCost[]): number {
    const one = this.M.plan.estimateMs(this.M.plan.DEFAULT_COST_MODEL, c) * this.factor(kind, threads);
    const depMs = deps.reduce((a, d) => a + this.M.plan.estimateMs(this.M.plan.DEFAULT_COST_MODEL, d) * this.factor(kind, threads), 0);
    return one * (this.reps + (cold ? 2 : 0)) + depMs;
  }
  block(plan: ProofPlan, workers: number, catalog: readonly CircuitCost[]): number {
    const byName = new Map(catalog.map((c) => [c.name, c]));
    const work = plan.jobs.reduce((a, j) => a + (byName.has(j.circuit) ? this.M.plan.estimateMs(this.M.plan.DEFAULT_COST_MODEL, byName.get(j.circuit)!) : j.estimatedMs) * this.factor('native', 1), 0);
    return Math.max(work / workers, plan.estimatedMs * this.factor('native', 1));
  }
}

function toJobResult(p: import('../../circuits/backend/prover.js').SegmentProof, vk: import('../../circuits/backend/prover.js').VerificationKey | undefined, M: Modules, witnessMs: number): JobResult {
  let proofFields: string[] | undefined, vkFields: string[] | undefined;
  if (p.flavour === 'recursive' && vk) {
    const prev = M.backend.prevProofOf(p, vk);
    proofFields = prev.proof.map((f) => (typeof f === 'bigint' ? hex(f) : f));
    vkFields = prev.vk.map((f) => (typeof f === 'bigint' ? hex(f) : f));
  }
  return { proof: p.proof, publicInputs: p.publicInputFields.map(hex), proofFields, vkFields, witnessMs: Math.round(witnessMs), proveMs: p.ms };
}

/**
 * Proves the jobs of `probe` before its target (from the cache when an earlier unit proved
 * them: the same block, the same job id), returning the target's task, request and prepared inputs.
 */
async function upToTarget(ctx: Ctx, b: ProvingBackend, probe: Probe) {
  const { M } = ctx;
  const vkHashes = await vkHashesFor(probe.plan, (n) => b.circuit(n));
  const task = M.rollup.rollupBlockTask(probe.block, { plan: probe.plan, vkHashes });
  const results = new Map<string, JobResult>();
  const key = (j: ProofJob) => `${probe.txs}:${j.id}`;
  for (const job of M.plan.topoOrder(probe.plan)) {
    const prepared = await task.prepare?.(job);
    const deps = job.deps.map((d) => results.get(d)!);
    const req = await task.request(job, deps, prepared);
    if (job.id === probe.target.id) return { task, job, req, prepared, deps };
    let r = ctx.depCache.get(key(job));
    if (!r) {
      const c = await b.circuit(job.circuit);
      const t0 = performance.now();
      const w = await b.execute(c, req.inputs as InputMap);
      const p = await b.prove(c, w);
      r = toJobResult(p, c.flavour === 'recursive' ? await b.vk(c) : undefined, M, performance.now() - t0);
      await task.check?.(job, r, prepared);
      ctx.depCache.set(key(job), r);
    }
    results.set(job.id, r);
  }
  throw new Error(`the probe block of ${probe.target.circuit} has no job for it`);
}

/** The first proof of the circuit on a fresh backend (its own, empty vk cache): everything a first run pays. */
async function coldStart(ctx: Ctx, kind: BackendKind, threads: number, probe: Probe): Promise<ColdStart> {
  const { M } = ctx;
  const vkDir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-bench-vk-'));
  const t0 = performance.now();
  const b = await M.backend.ProvingBackend.create({ crs: { dev: ctx.opts.devCrs }, backend: kind, threads, vkCacheDir: vkDir });
  try {
    const t1 = performance.now();
    const c = await b.circuit(probe.target.circuit);
    const t2 = performance.now();
    await b.vk(c);
    const t3 = performance.now();
    // not timed: the jobs before it (vk hashes of the chain, earlier segments' proofs)
    const { req } = await upToTarget(ctx, b, probe);
    const t4 = performance.now();
    const w = await b.execute(c, req.inputs as InputMap);
    const t5 = performance.now();
    await b.prove(c, w);
    const t6 = performance.now();
    const r = (x: number) => Math.round(x);
    return { backendStartMs: r(t1 - t0), circuitLoadMs: r(t2 - t1), vkMs: r(t3 - t2), witnessMs: r(t5 - t4), proveMs: r(t6 - t5), totalMs: r(t1 - t0 + (t3 - t1) + (t6 - t4)) };
  } finally {
    await b.destroy();
    rmSync(vkDir, { recursive: true, force: true });
  }
}

async function measureCircuit(ctx: Ctx, b: ProvingBackend, entry: CircuitEntry, probe: Probe, threads: number, cold: boolean): Promise<CircuitResult> {
  const { M, opts } = ctx;
  const kind = b.backendKind;
  const coldFig = cold ? await coldStart(ctx, kind, threads, probe) : null;
  if (coldFig) log(`${entry.circuit} ${kind} x${threads}: cold start ${fmtMin(coldFig.totalMs)} (backend ${coldFig.backendStartMs} ms, circuit ${coldFig.circuitLoadMs} ms, vk ${coldFig.vkMs} ms, witness ${coldFig.witnessMs} ms, prove ${coldFig.proveMs} ms)`);
  const c = await b.circuit(entry.circuit);
  const vk = await b.vk(c); // warm: from the disk cache or computed, not timed
  entry.gates = c.gates;
  entry.circuitSize = c.circuitSize;
  const { task, job, req, prepared } = await upToTarget(ctx, b, probe);
  const prove: number[] = [], witness: number[] = [], cpu: number[] = [];
  let peak: number | null = null;
  let source: CircuitResult['rssSource'] = 'unavailable';
  let verified = true;
  for (let i = 0; i < opts.reps; i++) {
    ctx.progress.tick(ctx.done, `${entry.circuit} ${kind} x${threads} rep ${i + 1}/${opts.reps} · ${ctx.etaNote()}`);
    const t0 = performance.now();
    const w = await b.execute(c, req.inputs as InputMap);
    witness.push(performance.now() - t0);
    const m = await withPeakMemory(kind === 'native' ? 'child' : 'self', () => b.prove(c, w));
    const p = m.value;
    prove.push(p.ms);
    cpu.push((p.cpuMs ?? NaN) / 1000);
    if (m.peakRssMB !== null) peak = Math.max(peak ?? 0, m.peakRssMB);
    source = m.source;
    const jr = toJobResult(p, c.flavour === 'recursive' ? vk : undefined, M, witness[i]);
    await task.check?.(job, jr, prepared);
    ctx.depCache.set(`${probe.txs}:${job.id}`, jr);
    if (i === opts.reps - 1) verified = (await b.verify(c, p)) && verified;
  }
  const st = stats(prove);
  log(`${entry.circuit} ${kind} x${threads}: p50 ${(st.p50 / 1000).toFixed(2)} s, p99 ${(st.p99 / 1000).toFixed(2)} s over ${opts.reps}, CPU ${(stats(cpu).p50).toFixed(1)} s, peak ${peak ?? '?'} MB, verified ${verified}`);
  return {
    backend: kind, threads, reps: opts.reps, proving_time_ms: st, witnessMs: stats(witness), cpuSeconds: stats(cpu.filter(Number.isFinite)),
    peakRssMB: peak, rssSource: source, gatesPerSecond: st.p50 > 0 ? Math.round(c.gates / (st.p50 / 1000)) : 0, verified, coldStart: coldFig,
    measuredAt: new Date().toISOString(),
  };
}

/** proofs/hour at the best workers x threads shape that fits the cores and memory, per circuit. */
export function bestShapes(result: BenchResult): void {
  const cores = result.hardware.cpu.cpu_cores;
  const mem = result.hardware.memory_size_gb * 1024;
  for (const e of result.circuits) {
    let best: CircuitEntry['best'] = null;
    for (const r of e.results) {
      if (r.proving_time_ms.p50 <= 0) continue;
      const byMem = r.peakRssMB ? Math.max(1, Math.floor((mem * 0.8) / r.peakRssMB)) : Infinity;
      const workers = Math.max(1, Math.min(Math.floor(cores / r.threads), byMem));
      const pph = (workers * 3_600_000) / r.proving_time_ms.p50;
      if (!best || pph > best.proofsPerHour) {
        best = {
          backend: r.backend, workers, threads: r.threads, proofsPerHour: Number(pph.toFixed(1)),
          cost_per_proof_usd: result.run.usdPerHour === null ? null : Number((result.run.usdPerHour / pph).toPrecision(4)),
          energyPerProofWh: result.run.watts === null ? null : Number((result.run.watts / pph).toPrecision(4)),
        };
      }
    }
    e.best = best;
  }
}

/** max(total work / W, critical path) from measured job times (proving + witness). */
function lowerBound(M: Modules, plan: ProofPlan, jobs: Map<string, { proveMs: number; witnessMs: number }>, workers: number) {
  const work = (id: string) => { const t = jobs.get(id); return t ? t.proveMs + t.witnessMs : 0; };
  const totalWorkMs = plan.jobs.reduce((a, j) => a + work(j.id), 0);
  const finish = new Map<string, number>();
  let criticalPathMs = 0;
  for (const j of M.plan.topoOrder(plan)) {
    finish.set(j.id, work(j.id) + Math.max(0, ...j.deps.map((d) => finish.get(d) ?? 0)));
    criticalPathMs = Math.max(criticalPathMs, finish.get(j.id)!);
  }
  return { totalWorkMs, criticalPathMs, lowerBoundMs: Math.max(totalWorkMs / workers, criticalPathMs) };
}

/**
 * An aggregated proof of `n` consecutive one-tx blocks through the node's prover (prover/index.ts
 * Prover.proveRange: each block's own plan, its top again in the recursive flavour, range_2 (+ range_4)),
 * after each block's own L1 proof, as the node does it. The range circuits' keys and pins are made
 * first, untimed (`coldMs`); the range proof is verified with bb.
 */
async function runRange(ctx: Ctx, n: number): Promise<BenchResult['range']> {
  const { M, opts } = ctx;
  ctx.progress.tick(ctx.done, `aggregated range of ${n} blocks · ${ctx.etaNote()}`);
  const prover = await M.prover.Prover.start({ workers: opts.workers || undefined, threads: opts.poolThreads || undefined, crs: { dev: opts.devCrs } });
  try {
    const session = ctx.result.run.sessions;
    const blocks = (await makeBlocks(1, n)).map((b, k) => ({ ...b, blockHash: `0xd${k}${session.toString(16).padStart(6, '0')}${'00'.repeat(28)}` }));
    let t = performance.now();
    for (const c of n === 4 ? ['range_2', 'range_4'] : ['range_2']) await prover.pool.circuitInfo(c);
    const coldMs = Math.round(performance.now() - t);
    t = performance.now();
    await Promise.all(blocks.map((b) => prover.proveBlock(b)));
    const blockProofsMs = Math.round(performance.now() - t);
    t = performance.now();
    const proof = await prover.proveRange(blocks, BENCH_RECIPIENT);
    const rangeProofMs = Math.round(performance.now() - t);
    if (!(await prover.verify(proof))) throw new Error(`the ${proof.circuit} proof over ${n} blocks does not verify`);
    log(`range of ${n} blocks: own proofs ${fmtMin(blockProofsMs)}, then the ${proof.circuit} proof ${fmtMin(rangeProofMs)} (keys and pins first: ${fmtMin(coldMs)}, not included)`);
    return { blocks: n, circuit: proof.circuit, latencyMs: blockProofsMs + rangeProofMs, blockProofsMs, rangeProofMs, coldMs, verified: true };
  } finally {
    await prover.close();
  }
}

async function runBlocks(ctx: Ctx, sizes: number[], catalog: readonly CircuitCost[]): Promise<void> {
  const { M, opts, result } = ctx;
  const pool = new M.pool.ProverPool({ workers: opts.workers || undefined, threads: opts.poolThreads || undefined, crs: { dev: opts.devCrs } });
  const orch = new M.orchestrator.Orchestrator({ executor: pool, backoffMs: 1000 });
  try {
    // keys on disk before the pool starts (the circuit phase computed them; a blocks-only run computes them now, untimed)
    const main = await M.backend.ProvingBackend.create({ crs: { dev: opts.devCrs }, threads: 1 });
    const session = result.run.sessions;
    const blocks = new Map<number, RollupBlock>();
    for (const n of sizes) {
      const [b] = await makeBlocks(n, 1);
      // a block hash of its own (job ids include it): never the warm-up blocks' jobs
      blocks.set(n, { ...b, blockHash: `0x${(0xc0 + (n % 32)).toString(16)}${n.toString(16).padStart(6, '0')}${session.toString(16).padStart(4, '0')}${'00'.repeat(26)}` });
    }
    const plans = new Map([...blocks].map(([n, b]) => [n, M.rollup.rollupPlan(b)]));
    try {
      for (const name of new Set([...plans.values()].flatMap((p) => p.jobs.map((j) => j.circuit)))) await main.vk(await main.circuit(name));
    } finally {
      await main.destroy();
    }
    const t0 = performance.now();
    await pool.warm();
    const warm = await makeBlocks(1, pool.capacity);
    await Promise.all(warm.map((b) => orch.submit(M.rollup.rollupBlockTask({ ...b, blockHash: `0x${'ee'.repeat(28)}${(b.deadline ?? 0).toString(16).padStart(8, '0')}` }))));
    const backend = await pool.backendKind();
    result.pool = { workers: pool.capacity, threads: pool.threads, backend, coldStartMs: Math.round(performance.now() - t0) };
    log(`pool ${pool.capacity} workers x ${pool.threads} threads (${backend}): cold start ${fmtMin(result.pool.coldStartMs)} (warm + one 1-tx block per worker), not in the block figures below`);
    ctx.save();

    const started = new Map<string, number>();
    const finished = new Map<string, { circuit: string; worker: number; startMs: number; endMs: number; proveMs: number; witnessMs: number }>();
    let tBlock = 0;
    orch.on('job:started', (e: { jobId: string }) => started.set(e.jobId, performance.now() - tBlock));
    orch.on('job:finished', (e: { jobId: string; circuit: string; result: JobResult }) => {
      finished.set(e.jobId, { circuit: e.circuit, worker: e.result.worker ?? 0, startMs: Math.round(started.get(e.jobId) ?? 0), endMs: Math.round(performance.now() - tBlock), proveMs: e.result.proveMs, witnessMs: e.result.witnessMs });
    });
    for (const n of sizes) {
      const block = blocks.get(n)!;
      const plan = plans.get(n)!;
      ctx.progress.tick(ctx.done, `block of ${n} txs (${plan.jobs.length} jobs) · ${ctx.etaNote()}`);
      const vkHashes = await vkHashesFor(plan, (name) => pool.circuitInfo(name));
      finished.clear();
      tBlock = performance.now();
      const proof = await orch.submit(M.rollup.rollupBlockTask(block, { plan, vkHashes }));
      const latencyMs = performance.now() - tBlock;
      const verified = await pool.verify({ name: proof.circuit }, proof.proof, proof.publicInputs);
      const lb = lowerBound(M, plan, finished, pool.capacity);
      const costBlock = usdFor(latencyMs, opts.usdPerHour);
      const entry: BlockEntry = {
        transaction_count: n, plan: M.plan.topoOrder(plan).map((j) => j.circuit), workers: pool.capacity, threads: pool.threads, backend,
        latencyMs: Math.round(latencyMs), lowerBoundMs: Math.round(lb.lowerBoundMs), totalWorkMs: Math.round(lb.totalWorkMs), criticalPathMs: Math.round(lb.criticalPathMs),
        makespanRatio: Number((latencyMs / Math.max(1, lb.lowerBoundMs)).toFixed(3)), verified,
        cost_per_block_usd: costBlock, cost_per_tx_usd: costBlock === null || n === 0 ? null : Number((costBlock / n).toPrecision(4)),
        energyPerTxWh: opts.watts === null || n === 0 ? null : whFor(latencyMs / n, opts.watts),
        jobs: M.plan.topoOrder(plan).map((j) => finished.get(j.id)).filter((x): x is NonNullable<typeof x> => !!x),
        measuredAt: new Date().toISOString(),
      };
      result.blocks = [...result.blocks.filter((b) => b.transaction_count !== n), entry].sort((a, b) => a.transaction_count - b.transaction_count);
      log(`block of ${n} txs: latency ${fmtMin(latencyMs)}, lower bound ${fmtMin(lb.lowerBoundMs)}, ratio ${entry.makespanRatio}, verified ${verified}`);
      ctx.done++;
      ctx.save();
    }
  } finally {
    await orch.close();
    await pool.close();
  }
}


export async function runSuite(opts: SuiteOptions): Promise<BenchResult> {
  process.env.SIDECAR_LOG_LEVEL ??= 'warn';
  const M = await loadModules();
  mkdirSync(opts.out, { recursive: true });
  const file = path.join(opts.out, 'result.json');
  if (existsSync(file) && !opts.resume) throw new BenchUsageError(`${opts.out} already holds a bench result: --resume continues it, or choose another --out`);
  if (!existsSync(file) && opts.resume) throw new BenchUsageError(`--resume: no result in ${opts.out} to continue (start without --resume)`);

  // the catalog the node plans with, as it is in this build
  let catalog = M.plan.DEFAULT_COST_MODEL.circuits.slice();
  if (opts.circuits) {
    const unknown = opts.circuits.filter((n) => !catalog.some((c) => c.name === n));
    if (unknown.length) throw new BenchUsageError(`--circuits: not in the node's catalog: ${unknown.join(', ')} (catalog: ${catalog.map((c) => c.name).join(', ')})`);
    catalog = catalog.filter((c) => opts.circuits!.includes(c.name));
  } else if (opts.quick) {
    // the smallest other circuit that the node's planner really uses for a small block (a circuit no plan picks cannot be measured)
    const used = new Set<string>();
    for (let n = 1; n <= 64; n++) {
      try {
        for (const j of M.plan.planBlock({ blockHash: `0x${'b0'.repeat(32)}`, slot: 100n, txCount: n }, M.plan.DEFAULT_COST_MODEL).jobs) used.add(j.circuit);
      } catch { /* no plan for n */ }
    }
    const rest = catalog.filter((c) => c.name !== 'single_1' && used.has(c.name)).sort((a, b) => a.circuitSize - b.circuitSize || a.name.localeCompare(b.name));
    catalog = catalog.filter((c) => c.name === 'single_1').concat(rest.slice(0, 1));
  }

  // backends: which start here (the first start also resolves, and for the dev CRS generates, the CRS)
  const backends: BenchResult['software']['backends'] = [];
  let crsId = opts.devCrs ? 'insecure-dev' : 'aztec-ignition';
  for (const kind of ['native', 'wasm'] as const) {
    if (!opts.backends.includes(kind)) continue;
    try {
      const b = await M.backend.ProvingBackend.create({ crs: { dev: opts.devCrs }, backend: kind, threads: 1 });
      crsId = b.crsId;
      backends.push({ backend: kind, available: true, why: b.why });
      await b.destroy();
    } catch (e) {
      backends.push({ backend: kind, available: false, why: (e as Error).message.slice(0, 300) });
      log(`backend ${kind} cannot start here, skipped: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  const kinds = backends.filter((b) => b.available).map((b) => b.backend);
  const fresh: BenchResult = {
    schema: BENCH_SCHEMA,
    hardware: hardware(),
    software: await software({ devCrs: opts.devCrs, crsId, backends }),
    run: {
      startedAt: new Date().toISOString(), finishedAt: null, complete: false, quick: opts.quick, reps: opts.reps, backends: opts.backends, threads: opts.threads,
      blockSizes: opts.blockSizes, usdPerHour: opts.usdPerHour, watts: opts.watts, estimatedMs: null, elapsedMs: 0, sessions: 1,
    },
    circuits: [], pool: null, blocks: [], range: { blocks: 4 },
  };
  let result = fresh;
  if (opts.resume) {
    const old = readBenchResult(file);
    const diff = sameMachine(old, fresh);
    if (diff) throw new BenchUsageError(`--resume: ${file} was measured with other hardware or software (${diff}); start a new --out`);
    const cfg = (r: BenchResult['run']) => JSON.stringify([r.quick, r.reps, r.backends, r.threads, r.blockSizes]);
    if (cfg(old.run) !== cfg(fresh.run)) throw new BenchUsageError(`--resume: ${file} was started with other options (quick, reps, backends, threads, blocks: ${cfg(old.run)}); pass the same ones`);
    result = { ...old, run: { ...old.run, sessions: old.run.sessions + 1, complete: false, finishedAt: null, usdPerHour: opts.usdPerHour ?? old.run.usdPerHour, watts: opts.watts ?? old.run.watts } };
    log(`resuming ${file}: ${old.circuits.reduce((a, c) => a + c.results.length, 0)} circuit units and ${old.blocks.length} blocks already measured`);
  }
  const t0 = performance.now();
  const elapsedBefore = result.run.elapsedMs;
  const save = () => {
    result.run.elapsedMs = Math.round(elapsedBefore + performance.now() - t0);
    result.hardware.loadAverage.end = Number(os.loadavg()[0].toFixed(2));
    bestShapes(result);
    const { writeAtomic } = M.build;
    writeAtomic(file, JSON.stringify(result, null, 2));
    writeAtomic(path.join(opts.out, 'report.html'), renderReport(result));
  };

  const probes = await findProbes(M, catalog);
  for (const c of catalog) {
    if (result.circuits.some((e) => e.circuit === c.name)) continue;
    const p = probes.get(c.name);
    result.circuits.push({
      circuit: c.name, kind: c.kind, capacity: c.capacity, gates: c.gates, circuitSize: c.circuitSize, modelEstimateMs: M.plan.estimateMs(M.plan.DEFAULT_COST_MODEL, c),
      probeTxs: p?.txs ?? null, skipped: p ? undefined : 'no block plan of the node uses it', results: [], best: null,
    });
  }
  // deps first: a circuit whose probe proves it later in the chain comes after the ones before it
  const order = catalog.filter((c) => probes.has(c.name)).sort((a, b) => M.plan.topoOrder(probes.get(a.name)!.plan).indexOf(probes.get(a.name)!.target) - M.plan.topoOrder(probes.get(b.name)!.plan).indexOf(probes.get(b.name)!.target));
  const isDone = (c: string, kind: BackendKind, t: number) => result.circuits.find((e) => e.circuit === c)?.results.some((r) => r.backend === kind && r.threads === t);
  const units: { c: CircuitCost; kind: BackendKind; threads: number }[] = [];
  for (const kind of kinds) for (const t of opts.threads) for (const c of order) if (!isDone(c.name, kind, t)) units.push({ c, kind, threads: t });
  const blockSizes = opts.blockSizes.filter((n) => !result.blocks.some((b) => b.transaction_count === n));

  const eta = new Eta(M, opts.reps);
  const byName = new Map(M.plan.DEFAULT_COST_MODEL.circuits.map((c) => [c.name, c]));
  const depsOf = (c: CircuitCost) => { const p = probes.get(c.name)!; const o = M.plan.topoOrder(p.plan); return o.slice(0, o.indexOf(p.target)).map((j) => byName.get(j.circuit)!).filter(Boolean); };
  const workersGuess = opts.workers || M.pool.defaultPoolShape().workers;
  const remaining = (from: number) => units.slice(from).reduce((a, u) => a + eta.circuitUnit(u.c, u.kind, u.threads, u.threads === opts.threads[0], depsOf(u.c)), 0)
    + blockSizes.reduce((a, n) => a + eta.block(M.plan.planBlock({ blockHash: `0x${'00'.repeat(32)}`, slot: 0n, txCount: n }), workersGuess, catalog), 0);
  const total = units.length + blockSizes.length + 1; // + the range (or its skip)
  log(`suite: ${units.length} circuit units (${order.length} circuits x ${kinds.join('+')} x threads ${opts.threads.join(',')} x ${opts.reps} reps, plus a cold start each) and ${blockSizes.length} blocks (${blockSizes.join(', ') || 'none'} txs); ` +
    `${os.availableParallelism()} cores, ${result.hardware.memory_size_gb} GB, ${result.software.crs.kind} CRS`);
  log(`estimated ~${fmtMin(remaining(0))} on this machine (the cost model's gate-based estimates x measured backend speed; refined after the first measurement)`);
  result.run.estimatedMs ??= Math.round(remaining(0));
  const progress = new Progress('bench', total);
  let unitIdx = 0;
  const ctx: Ctx = { M, opts, result, save, depCache: new Map(), progress, eta, done: 0, etaNote: () => `ETA ~${fmtMin(remaining(unitIdx))}` };
  const onSignal = (sig: string) => {
    process.stderr.write(`\nbench: ${sig}: stopped after ${ctx.done}/${total} units; the finished ones are in ${file}; \`--resume --out ${opts.out}\` continues\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    save();
    // circuit units, one backend instance per backend x thread count (its CRS preloaded: steady state)
    const maxSize = Math.max(1, ...order.map((c) => c.circuitSize));
    for (const kind of kinds) {
      for (const t of opts.threads) {
        const mine = units.filter((u) => u.kind === kind && u.threads === t);
        if (!mine.length) continue;
        const b = await M.backend.ProvingBackend.create({ crs: { dev: opts.devCrs }, backend: kind, threads: t, preloadCircuitSize: maxSize });
        try {
          for (const u of mine) {
            progress.tick(ctx.done, `${u.c.name} ${kind} x${t} · ${ctx.etaNote()}`);
            const entry = result.circuits.find((e) => e.circuit === u.c.name)!;
            const r = await measureCircuit(ctx, b, entry, probes.get(u.c.name)!, t, t === opts.threads[0]);
            entry.results.push(r);
            const first = ctx.done === 0;
            eta.learn(kind, t, u.c, r.proving_time_ms.p50);
            ctx.done++;
            unitIdx++;
            if (first) {
              const est = Math.round(performance.now() - t0 + remaining(unitIdx));
              result.run.estimatedMs = opts.resume ? result.run.estimatedMs : est;
              log(`after the first measurement: the suite takes ~${fmtMin(est)} on this machine (~${fmtMin(remaining(unitIdx))} to go)`);
            }
            save();
            progress.tick(ctx.done, `${u.c.name} ${kind} x${t} done · ${ctx.etaNote()}`);
          }
        } finally {
          await b.destroy();
        }
      }
    }
    if (blockSizes.length) await runBlocks(ctx, blockSizes, catalog);
    if (!opts.rangeBlocks) result.range = { blocks: 4, skipped: 'not asked for (--range 0)', latencyMs: null };
    else if (result.range.latencyMs == null || result.range.blocks !== opts.rangeBlocks) result.range = await runRange(ctx, opts.rangeBlocks);
    ctx.done++;
    save();
    result.run.complete = true;
    result.run.finishedAt = new Date().toISOString();
    save();
    progress.tick(total, 'done');
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
