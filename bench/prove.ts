// `npm run bench -- prove --txs N [--blocks B] [--backend native|wasm|auto] [--workers W] [--threads T]
//                        [--no-compare] [--no-l1] [--naive]`
//
// Proves B rollup blocks of N txs each (chained states, INSECURE dev CRS) with the node's
// prover (Piscina pool of W workers on one backend + orchestrator). The workers are warmed
// first (backend, CRS, every planned circuit and its vk: `coldStartMs`, outside the timed
// part); the makespan runs from submitting the blocks to the last block proof. From the jobs'
// measured times (witness + proving) it reports the plan's shape, the total work, the
// critical path (longest chain of dependent jobs), the lower bound max(total / W, critical
// path), the makespan's ratio to it, and a greedy list schedule of the same times
// (circuits/plan-stats.ts). Then the block proofs are verified on a real anvil through the
// deployed HonkVerifierRouter (`verifiedOnL1`), and one circuit (single_1) is proven by both
// backends, native then WASM, in this process (`nativeVsWasm`, CPU time of the proving
// call; `--no-compare` skips it). `--naive` adds the old baseline: the same jobs one after
// another in one backend in this thread. Writes JSON and an SVG Gantt chart to
// bench/results/, and ends with one JSON line.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProofPlan, PrevProof } from '../circuits/plan.js';
import type { JobEvent } from '../prover/orchestrator.js';
import type { RollupBlock } from '../prover/rollup.js';
import type { BlockProof, JobResult } from '../prover/types.js';
import { Progress, log, printResult } from './lib/report.js';
import { makeBlocks } from './lib/blocks.js';

// Loaded in main() after the log level is set, so stdout ends with the one JSON line
// (pino's info lines would go there too; SIDECAR_LOG_LEVEL=info brings them back).
let M: Awaited<ReturnType<typeof loadModules>>;
async function loadModules() {
  return {
    l2: await import('../circuits/l2/index.js'),
    plan: await import('../circuits/plan.js'),
    stats: await import('../circuits/plan-stats.js'),
    orchestrator: await import('../prover/orchestrator.js'),
    pool: await import('../prover/pool.js'),
    rollup: await import('../prover/rollup.js'),
  };
}

interface Args { txs: number; blocks: number; workers: number; threads: number; backend: 'native' | 'wasm' | 'auto'; naive: boolean; l1: boolean; compare: boolean }

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  };
  const int = (name: string, dflt: number, min = 1) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, got ${v}`);
    return n;
  };
  const d = M.pool.defaultPoolShape();
  const backend = get('backend') ?? process.env.SIDECAR_PROVER_BACKEND ?? 'auto';
  if (backend !== 'native' && backend !== 'wasm' && backend !== 'auto') throw new Error(`--backend must be native, wasm or auto, got ${backend}`);
  return {
    txs: int('txs', 1, 0), blocks: int('blocks', 2), workers: int('workers', d.workers), threads: int('threads', d.threads), backend,
    naive: argv.includes('--naive'), l1: !argv.includes('--no-l1'), compare: !argv.includes('--no-compare'),
  };
}

interface JobTiming { jobId: string; block: number; circuit: string; worker: number; startMs: number; endMs: number; proveMs: number; witnessMs: number; cpuMs?: number }

async function runPool(blocks: RollupBlock[], args: Args) {
  const pool = new M.pool.ProverPool({ workers: args.workers, threads: args.threads, crs: { dev: true }, backend: args.backend });
  // planned as the node plans (Prover.plan): the pool's cost model (its workers' backend: one worker's backend starts here) and its workers
  await pool.backendKind();
  const plans = blocks.map((b) => M.rollup.rollupPlan(b, pool.costModel(), { workers: pool.capacity }));
  const circuits = [...new Set(plans.flatMap((p) => p.jobs.map((j) => j.circuit)))];
  log(`pool: ${pool.capacity} workers x ${pool.threads} threads (backend choice: ${args.backend}); warming up: backend, CRS, ${circuits.join(', ')} and their vks (not timed)`);
  const tw = performance.now();
  const warmed = await pool.warm(circuits);
  const finals = [...new Set(plans.flatMap((p) => p.jobs.filter((j) => j.kind === 'final').map((j) => j.circuit)))];
  const vkHashes = new Map<string, { first: bigint; rec: bigint }>();
  for (const f of finals) {
    const info = await pool.circuitInfo(f);
    vkHashes.set(f, { first: BigInt(info.vkHashes!.first), rec: BigInt(info.vkHashes!.rec) });
  }
  const backend = await pool.backendKind();
  const coldStartMs = performance.now() - tw;
  log(`warm in ${(coldStartMs / 1000).toFixed(1)} s (workers ${warmed.map((w) => `${w.worker}: ${(w.ms / 1000).toFixed(1)} s`).join(', ')}); backend: ${backend}`);
  // tree plans: the vk hashes block_root pins (base_*, merge)
  const roots = [...new Set(plans.flatMap((p) => p.jobs.filter((j) => j.kind === 'root').map((j) => j.circuit)))];
  const treeVkHashes = new Map<string, Record<string, bigint>>();
  for (const r of roots) {
    const info = await pool.circuitInfo(r);
    treeVkHashes.set(r, Object.fromEntries(Object.entries(info.pinnedVkHashes!).map(([k, v]) => [k, BigInt(v)])));
  }
  const orch = new M.orchestrator.Orchestrator({ executor: pool, backoffMs: 1000 });
  const total = plans.reduce((s, p) => s + p.jobs.length, 0);
  const progress = new Progress(`prove ${blocks.length}x${blocks[0].txs.length} txs, W=${pool.capacity}, ${backend}`, total);
  const timings: JobTiming[] = [];
  const started = new Map<string, number>();
  const blockOf = new Map(plans.flatMap((p, i) => p.jobs.map((j) => [j.id, i] as const)));
  let done = 0;
  progress.tick(0, 'submitting');
  const t0 = performance.now();
  orch.on('job:started', (e: JobEvent) => started.set(e.jobId, performance.now() - t0));
  orch.on('job:finished', (e: JobEvent & { result: JobResult }) => {
    timings.push({
      jobId: e.jobId, block: blockOf.get(e.jobId)!, circuit: e.circuit, worker: e.result.worker ?? 0, startMs: started.get(e.jobId)!, endMs: performance.now() - t0,
      proveMs: e.result.proveMs, witnessMs: e.result.witnessMs, cpuMs: e.result.cpuMs,
    });
    progress.tick(++done, `${e.circuit} ${(e.result.proveMs / 1000).toFixed(1)} s`);
  });
  const results = await Promise.all(blocks.map((b, i) => {
    const fin = plans[i].jobs.find((j) => j.kind === 'final');
    const root = plans[i].jobs.find((j) => j.kind === 'root');
    return orch.submit(M.rollup.rollupBlockTask(b, { plan: plans[i], vkHashes: fin ? vkHashes.get(fin.circuit) : undefined, treeVkHashes: root ? treeVkHashes.get(root.circuit) : undefined }));
  }));
  const makespanMs = performance.now() - t0;
  progress.tick(total);
  const verified = await Promise.all(results.map((r) => pool.verify({ name: r.circuit }, r.proof, r.publicInputs)));
  const costModel = pool.costModel();
  await orch.close();
  await pool.close();
  return { plans, results, timings, makespanMs, coldStartMs, verified, workers: pool.capacity, threads: pool.threads, vkHashes, treeVkHashes, backend, costModel };
}

/** One single_1 block proven by the native then the WASM backend in this thread: CPU ms of each proving call (vk and CRS loaded first). */
async function compareBackends(block: RollupBlock, threads: number) {
  const { ProvingBackend } = await import('../circuits/backend/prover.js');
  const circuit = 'single_1';
  const out: Record<'native' | 'wasm', { ms: number; cpuMs: number; verified: boolean }> = {} as never;
  const plan = M.plan.planBlock({ blockHash: block.blockHash, slot: block.slot, txCount: block.txs.length },
    { ...M.plan.DEFAULT_COST_MODEL, circuits: M.plan.DEFAULT_COST_MODEL.circuits.filter((c) => c.name === circuit) });
  const w = M.plan.blockWitness(block.preState, block.slot, block.txs);
  for (const kind of ['native', 'wasm'] as const) {
    log(`nativeVsWasm: proving ${circuit} with the ${kind} backend (${threads} thread${threads > 1 ? 's' : ''})`);
    const backend = await ProvingBackend.create({ crs: { dev: true }, backend: kind, threads });
    try {
      const c = await backend.circuit(circuit);
      await backend.warm(c); // vk and CRS: not timed
      const s = M.plan.segmentInputs(plan, plan.jobs[0], w);
      const p = await backend.prove(c, await backend.execute(c, s.inputs));
      out[kind] = { ms: p.ms, cpuMs: p.cpuMs ?? Number.NaN, verified: await backend.verify(c, p) };
      log(`nativeVsWasm: ${kind} ${circuit} ${(p.ms / 1000).toFixed(1)} s wall, ${((p.cpuMs ?? Number.NaN) / 1000).toFixed(1)} s CPU, verified ${out[kind].verified}`);
    } finally {
      await backend.destroy();
    }
  }
  return {
    circuit, nativeCpuMs: out.native.cpuMs, wasmCpuMs: out.wasm.cpuMs, ratio: Number((out.wasm.cpuMs / out.native.cpuMs).toFixed(2)),
    nativeWallMs: out.native.ms, wasmWallMs: out.wasm.ms, verified: out.native.verified && out.wasm.verified,
  };
}

/** The same jobs, one after another, in a plain bb.js loop in this thread. */
async function runNaive(blocks: RollupBlock[], plans: ProofPlan[], vkHashes: Map<string, { first: bigint; rec: bigint }>, kind: 'native' | 'wasm', treeVkHashes: Map<string, Record<string, bigint>>) {
  const { ProvingBackend, prevProofOf } = await import('../circuits/backend/prover.js');
  const backend = await ProvingBackend.create({ crs: { dev: true }, threads: 1, backend: kind });
  const total = plans.reduce((s, p) => s + p.jobs.length, 0);
  const progress = new Progress('naive loop (1 thread)', total);
  const perCircuit = new Map<string, { proveMs: number[]; witnessMs: number[]; peakRssMB: number }>();
  let done = 0;
  // circuits (and vks) loaded before timing, as the pool's warm-up does
  for (const c of new Set(plans.flatMap((p) => p.jobs.map((j) => j.circuit)))) await backend.warm(await backend.circuit(c));
  const t0 = performance.now();
  for (let i = 0; i < blocks.length; i++) {
    const w = M.plan.blockWitness(blocks[i].preState, blocks[i].slot, blocks[i].txs);
    let prev: PrevProof | undefined;
    const byJob = new Map<string, PrevProof>();
    const fin = plans[i].jobs.find((j) => j.kind === 'final');
    const root = plans[i].jobs.find((j) => j.kind === 'root');
    const mergeVkHash = root ? treeVkHashes.get(root.circuit)?.merge : undefined;
    for (const job of M.plan.topoOrder(plans[i])) {
      const c = await backend.circuit(job.circuit);
      const tw = performance.now();
      const childProofs = job.deps.length === 2 ? [byJob.get(job.deps[0])!, byJob.get(job.deps[1])!] as const : undefined;
      const s = M.plan.segmentInputs(plans[i], job, w, { prevProof: prev, vkHashes: fin ? vkHashes.get(fin.circuit) : undefined, mergeVkHash, childProofs });
      const witness = await backend.execute(c, s.inputs);
      const witnessMs = performance.now() - tw;
      const rssBefore = process.memoryUsage.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 200);
      const p = await backend.prove(c, witness);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage.rss());
      if (c.flavour === 'recursive') {
        prev = prevProofOf(p, await backend.vk(c));
        byJob.set(job.id, prev);
      }
      const e = perCircuit.get(job.circuit) ?? { proveMs: [], witnessMs: [], peakRssMB: 0 };
      e.proveMs.push(p.ms);
      e.witnessMs.push(witnessMs);
      e.peakRssMB = Math.max(e.peakRssMB, Math.round(peak / 2 ** 20));
      perCircuit.set(job.circuit, e);
      progress.tick(++done, job.circuit);
    }
  }
  const naiveMs = performance.now() - t0;
  await backend.destroy();
  return { naiveMs, perCircuit };
}

/** Verifies the final proofs with the generated Solidity verifiers behind HonkVerifierRouter on anvil. */
async function verifyOnL1(results: BlockProof[]): Promise<{ ok: boolean; note: string }> {
  try {
    const { l1Verifier } = await import('../prover/l1-verify.js');
    const l1 = await l1Verifier(results.map((r) => r.circuit), { crs: { dev: true } });
    try {
      let all = true;
      for (const r of results) all = (await l1.verify(r)) && all;
      return { ok: all, note: `${results.length} final proofs through HonkVerifierRouter on anvil (${[...new Set(results.map((r) => r.circuit))].join(', ')})` };
    } finally {
      await l1.close();
    }
  } catch (e) {
    return { ok: false, note: `L1 verification failed or unavailable: ${(e as Error).message.slice(0, 300)}` };
  }
}

function svgChart(timings: JobTiming[], figures: { makespanMs: number; lowerBoundMs: number; naiveMs?: number; workers: number; title: string }): string {
  const workers = [...new Set(timings.map((t) => t.worker))].sort((a, b) => a - b);
  const W = 900, rowH = 28, left = 90, top = 40;
  const span = Math.max(figures.makespanMs, figures.naiveMs ?? 0, 1);
  const x = (ms: number) => left + (ms / span) * (W - left - 20);
  const colors: Record<string, string> = { single_1: '#4e79a7', single_8: '#59a14f', single_32: '#9c755f', first_32: '#f28e2b', rec_8: '#e15759', final_8: '#76b7b2' };
  const rows = workers.map((w, i) => {
    const y = top + i * rowH;
    const bars = timings.filter((t) => t.worker === w).map((t) =>
      `<rect x="${x(t.startMs).toFixed(1)}" y="${y}" width="${Math.max(1, x(t.endMs) - x(t.startMs)).toFixed(1)}" height="${rowH - 6}" fill="${colors[t.circuit] ?? '#bab0ac'}"><title>block ${t.block} ${t.circuit}: ${(t.proveMs / 1000).toFixed(1)} s prove, ${(t.witnessMs / 1000).toFixed(2)} s witness</title></rect>` +
      `<text x="${(x(t.startMs) + 3).toFixed(1)}" y="${y + 16}" font-size="10" fill="#fff">b${t.block} ${t.circuit}</text>`).join('');
    return `<text x="4" y="${y + 16}" font-size="11">worker ${w}</text>${bars}`;
  }).join('\n');
  const yb = top + workers.length * rowH + 14;
  const bar = (label: string, ms: number, i: number, color: string) =>
    `<rect x="${left}" y="${yb + i * 20}" width="${(x(ms) - left).toFixed(1)}" height="14" fill="${color}"/><text x="4" y="${yb + i * 20 + 11}" font-size="11">${label}</text><text x="${(x(ms) + 4).toFixed(1)}" y="${yb + i * 20 + 11}" font-size="11">${(ms / 1000).toFixed(1)} s</text>`;
  const bars = [bar('makespan', figures.makespanMs, 0, '#4e79a7'), bar('lower bound', figures.lowerBoundMs, 1, '#bab0ac')];
  if (figures.naiveMs) bars.push(bar('naive loop', figures.naiveMs, 2, '#e15759'));
  const H = yb + bars.length * 20 + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="4" y="20" font-size="14">${figures.title}</text>
${rows}
${bars.join('\n')}
</svg>\n`;
}

export async function main(argv: string[]): Promise<void> {
  process.env.SIDECAR_LOG_LEVEL ??= 'warn';
  M = await loadModules();
  const args = parseArgs(argv);
  log(`${args.blocks} blocks of ${args.txs} txs, ${args.workers} workers x ${args.threads} threads, backend ${args.backend}, ${os.availableParallelism()} cores (INSECURE dev CRS)`);
  const blocks = await makeBlocks(args.txs, args.blocks);
  const pool = await runPool(blocks, args);
  // each job's time as a worker spends it: its witness, then its proof
  const times = new Map(pool.timings.map((t) => [t.jobId, t.proveMs + t.witnessMs]));
  const st = M.stats.planStats(pool.plans, pool.workers, times);
  const makespanRatio = pool.makespanMs / st.lowerBoundMs;
  log(`plan ${JSON.stringify(M.stats.planShape(pool.plans))}; makespan ${(pool.makespanMs / 1000).toFixed(1)} s, total work ${(st.totalWorkMs / 1000).toFixed(1)} s, critical path ${(st.criticalPathMs / 1000).toFixed(1)} s, ` +
    `lower bound ${(st.lowerBoundMs / 1000).toFixed(1)} s, ratio ${makespanRatio.toFixed(3)} (greedy list schedule of the same times: ${(st.listScheduleMs / 1000).toFixed(1)} s); bb.js verify: ${pool.verified.every(Boolean)}`);
  const l1 = args.l1 ? await verifyOnL1(pool.results) : { ok: false, note: 'skipped (--no-l1)' };
  log(`L1: ${l1.ok} (${l1.note})`);
  const nativeVsWasm = args.compare ? await compareBackends((await makeBlocks(1, 1))[0], args.threads) : null;
  const naive = args.naive ? await runNaive(blocks, pool.plans, pool.vkHashes, pool.backend, pool.treeVkHashes) : undefined;
  const perCircuit: Record<string, unknown> = {};
  const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  for (const c of new Set(pool.timings.map((t) => t.circuit))) {
    const ts = pool.timings.filter((t) => t.circuit === c);
    const nv = naive?.perCircuit.get(c);
    const cpu = ts.map((t) => t.cpuMs).filter((x): x is number => Number.isFinite(x));
    perCircuit[c] = {
      jobs: ts.length, proveMsPool: avg(ts.map((t) => t.proveMs)), cpuMsPool: cpu.length ? avg(cpu) : undefined, witnessMsPool: avg(ts.map((t) => t.witnessMs)),
      costModelMs: pool.costModel.times[pool.backend][c],
      proveMsNaive: nv ? avg(nv.proveMs) : undefined, witnessMsNaive: nv ? avg(nv.witnessMs) : undefined, peakRssMBOneProver: nv?.peakRssMB,
    };
  }
  const proofs = pool.timings.length;
  const txsTotal = args.txs * args.blocks;
  const round = (x: number) => Math.round(x);
  const figures = {
    backend: pool.backend, txs: args.txs, blocks: args.blocks, workers: pool.workers, threads: pool.threads, cores: os.availableParallelism(),
    plan: M.stats.planShape(pool.plans), proofs,
    coldStartMs: round(pool.coldStartMs), makespanMs: round(pool.makespanMs), totalWorkMs: round(st.totalWorkMs), criticalPathMs: round(st.criticalPathMs),
    criticalPathShare: Number((st.criticalPathMs / st.totalWorkMs).toFixed(3)),
    lowerBoundMs: round(st.lowerBoundMs), makespanRatio: Number(makespanRatio.toFixed(3)), listScheduleMs: round(st.listScheduleMs), grahamBoundMs: round(st.grahamBoundMs),
    naiveMs: naive ? round(naive.naiveMs) : null, speedupVsNaive: naive ? Number((naive.naiveMs / pool.makespanMs).toFixed(3)) : null,
    proofsPerMinute: Number(((proofs * 60_000) / pool.makespanMs).toFixed(2)), txsPerMinute: Number(((txsTotal * 60_000) / pool.makespanMs).toFixed(2)),
    verifiedBbjs: pool.verified.every(Boolean), verifiedOnL1: l1.ok, l1Note: l1.note, nativeVsWasm,
    plans: pool.plans.map((p) => p.jobs.map((j) => j.circuit).join('->')), perCircuit,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = path.join(dir, `prove-${args.blocks}x${args.txs}-w${pool.workers}-${pool.backend}-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify({ ...figures, jobs: pool.timings }, null, 2));
  writeFileSync(`${base}.svg`, svgChart(pool.timings, { makespanMs: pool.makespanMs, lowerBoundMs: st.lowerBoundMs, naiveMs: naive?.naiveMs, workers: pool.workers,
    title: `${args.blocks} blocks x ${args.txs} txs, W=${pool.workers}, ${pool.backend}: makespan ${(pool.makespanMs / 1000).toFixed(1)} s, ratio ${makespanRatio.toFixed(2)} to the bound${naive ? `, ${figures.speedupVsNaive}x naive` : ''}` }));
  log(`wrote ${base}.json and .svg`);
  const { perCircuit: _p, plans: _pl, l1Note: _n, ...line } = figures;
  printResult(line);
}
