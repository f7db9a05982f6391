// `npm run bench -- prove --txs N [--blocks B] [--workers W] [--threads T] [--no-naive] [--no-l1]`
//
// Proves B rollup blocks of N txs each (chained states, INSECURE dev CRS) with the node's
// prover (Piscina pool of W workers + orchestrator), then the same jobs one after another in
// a plain bb.js loop in one thread (the naive baseline), in the same run. Reports per
// circuit type proving/witness time and peak memory of one prover, the makespan and its ratio
// to the lower bound max(total work / W, longest chain) from the measured job times, the
// speed-up over the naive loop, and whether the final proofs verify with the generated
// Solidity verifiers on anvil. Writes JSON and an SVG chart (a Gantt of the jobs on the
// workers) to bench/results/, and ends with one JSON line.
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
    orchestrator: await import('../prover/orchestrator.js'),
    pool: await import('../prover/pool.js'),
    rollup: await import('../prover/rollup.js'),
  };
}

interface Args { txs: number; blocks: number; workers: number; threads: number; naive: boolean; l1: boolean }

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
  return {
    txs: int('txs', 1, 0), blocks: int('blocks', 2), workers: int('workers', d.workers), threads: int('threads', d.threads),
    naive: !argv.includes('--no-naive'), l1: !argv.includes('--no-l1'),
  };
}

interface JobTiming { jobId: string; block: number; circuit: string; worker: number; startMs: number; endMs: number; proveMs: number; witnessMs: number }

async function runPool(blocks: RollupBlock[], args: Args) {
  const pool = new M.pool.ProverPool({ workers: args.workers, threads: args.threads, crs: { dev: true } });
  log(`pool: ${pool.capacity} workers x ${pool.threads} threads (backend: ${process.env.SIDECAR_PROVER_BACKEND || "auto"}); warming up (backend, CRS, vks)`);
  await pool.warm();
  const plans = blocks.map((b) => M.rollup.rollupPlan(b));
  const finals = [...new Set(plans.flatMap((p) => p.jobs.filter((j) => j.kind === 'final').map((j) => j.circuit)))];
  const vkHashes = new Map<string, { first: bigint; rec: bigint }>();
  for (const f of finals) {
    const info = await pool.circuitInfo(f);
    vkHashes.set(f, { first: BigInt(info.vkHashes!.first), rec: BigInt(info.vkHashes!.rec) });
  }
  // tree plans: the vk hashes block_root pins (base_*, merge)
  const roots = [...new Set(plans.flatMap((p) => p.jobs.filter((j) => j.kind === 'root').map((j) => j.circuit)))];
  const treeVkHashes = new Map<string, Record<string, bigint>>();
  for (const r of roots) {
    const info = await pool.circuitInfo(r);
    treeVkHashes.set(r, Object.fromEntries(Object.entries(info.pinnedVkHashes!).map(([k, v]) => [k, BigInt(v)])));
  }
  const orch = new M.orchestrator.Orchestrator({ executor: pool, backoffMs: 1000 });
  const total = plans.reduce((s, p) => s + p.jobs.length, 0);
  const progress = new Progress(`prove ${blocks.length}x${blocks[0].txs.length} txs, W=${pool.capacity}`, total);
  const timings: JobTiming[] = [];
  const started = new Map<string, number>();
  const blockOf = new Map(plans.flatMap((p, i) => p.jobs.map((j) => [j.id, i] as const)));
  const t0 = performance.now();
  let done = 0;
  orch.on('job:started', (e: JobEvent) => started.set(e.jobId, performance.now() - t0));
  orch.on('job:finished', (e: JobEvent & { result: JobResult }) => {
    timings.push({
      jobId: e.jobId, block: blockOf.get(e.jobId)!, circuit: e.circuit, worker: e.result.worker ?? 0, startMs: started.get(e.jobId)!, endMs: performance.now() - t0,
      proveMs: e.result.proveMs, witnessMs: e.result.witnessMs,
    });
    progress.tick(++done, e.circuit);
  });
  const results = await Promise.all(blocks.map((b, i) => {
    const fin = plans[i].jobs.find((j) => j.kind === 'final');
    const root = plans[i].jobs.find((j) => j.kind === 'root');
    return orch.submit(M.rollup.rollupBlockTask(b, { plan: plans[i], vkHashes: fin ? vkHashes.get(fin.circuit) : undefined, treeVkHashes: root ? treeVkHashes.get(root.circuit) : undefined }));
  }));
  const makespanMs = performance.now() - t0;
  progress.tick(total);
  const verified = await Promise.all(results.map((r) => pool.verify({ name: r.circuit }, r.proof, r.publicInputs)));
  await orch.close();
  await pool.close();
  return { plans, results, timings, makespanMs, verified, workers: pool.capacity, threads: pool.threads, vkHashes, treeVkHashes };
}

/** The same jobs, one after another, in a plain bb.js loop in this thread. */
async function runNaive(blocks: RollupBlock[], plans: ProofPlan[], vkHashes: Map<string, { first: bigint; rec: bigint }>, treeVkHashes: Map<string, Record<string, bigint>>) {
  const { ProvingBackend, prevProofOf } = await import('../circuits/backend/prover.js');
  const backend = await ProvingBackend.create({ crs: { dev: true }, threads: 1 });
  const total = plans.reduce((s, p) => s + p.jobs.length, 0);
  const progress = new Progress('naive loop (1 thread)', total);
  const perCircuit = new Map<string, { proveMs: number[]; witnessMs: number[]; peakRssMB: number }>();
  let done = 0;
  // circuits (and vks) loaded before timing, as the pool's warm-up does
  for (const c of new Set(plans.flatMap((p) => p.jobs.map((j) => j.circuit)))) await backend.vk(await backend.circuit(c));
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

/** max(total work / W, longest chain) from the measured job times (proving + witness). */
function lowerBound(timings: JobTiming[], plans: ProofPlan[], workers: number): { lowerBoundMs: number; totalWorkMs: number; longestChainMs: number } {
  const work = (t: JobTiming) => t.proveMs + t.witnessMs;
  const totalWorkMs = timings.reduce((s, t) => s + work(t), 0);
  // the longest dependency path of any plan, weighted by measured job times
  const byId = new Map(timings.map((t) => [t.jobId, work(t)]));
  let longestChainMs = 0;
  for (const p of plans) {
    const finish = new Map<string, number>();
    for (const j of M.plan.topoOrder(p)) {
      finish.set(j.id, (byId.get(j.id) ?? 0) + Math.max(0, ...j.deps.map((d) => finish.get(d) ?? 0)));
      longestChainMs = Math.max(longestChainMs, finish.get(j.id)!);
    }
  }
  return { lowerBoundMs: Math.max(totalWorkMs / workers, longestChainMs), totalWorkMs, longestChainMs };
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
  log(`${args.blocks} blocks of ${args.txs} txs, ${args.workers} workers x ${args.threads} threads, ${os.availableParallelism()} cores (INSECURE dev CRS)`);
  const blocks = await makeBlocks(args.txs, args.blocks);
  const pool = await runPool(blocks, args);
  const bound = lowerBound(pool.timings, pool.plans, pool.workers);
  const makespanRatio = pool.makespanMs / bound.lowerBoundMs;
  log(`makespan ${(pool.makespanMs / 1000).toFixed(1)} s, lower bound ${(bound.lowerBoundMs / 1000).toFixed(1)} s, ratio ${makespanRatio.toFixed(3)}; bb.js verify: ${pool.verified.every(Boolean)}`);
  const naive = args.naive ? await runNaive(blocks, pool.plans, pool.vkHashes, pool.treeVkHashes) : undefined;
  const l1 = args.l1 ? await verifyOnL1(pool.results) : { ok: false, note: 'skipped (--no-l1)' };
  log(`L1: ${l1.ok} (${l1.note})`);
  const perCircuit: Record<string, unknown> = {};
  for (const c of new Set(pool.timings.map((t) => t.circuit))) {
    const ts = pool.timings.filter((t) => t.circuit === c);
    const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    const nv = naive?.perCircuit.get(c);
    perCircuit[c] = {
      jobs: ts.length, proveMsPool: avg(ts.map((t) => t.proveMs)), witnessMsPool: avg(ts.map((t) => t.witnessMs)),
      proveMsNaive: nv ? avg(nv.proveMs) : undefined, witnessMsNaive: nv ? avg(nv.witnessMs) : undefined, peakRssMBOneProver: nv?.peakRssMB,
    };
  }
  const proofs = pool.timings.length;
  const txsTotal = args.txs * args.blocks;
  const figures = {
    txs: args.txs, blocks: args.blocks, workers: pool.workers, threads: pool.threads, cores: os.availableParallelism(),
    proofs, makespanMs: Math.round(pool.makespanMs), lowerBoundMs: Math.round(bound.lowerBoundMs), makespanRatio: Number(makespanRatio.toFixed(3)),
    totalWorkMs: Math.round(bound.totalWorkMs), longestChainMs: Math.round(bound.longestChainMs),
    naiveMs: naive ? Math.round(naive.naiveMs) : null, speedupVsNaive: naive ? Number((naive.naiveMs / pool.makespanMs).toFixed(3)) : null,
    proofsPerMinute: Number(((proofs * 60_000) / pool.makespanMs).toFixed(2)), txsPerMinute: Number(((txsTotal * 60_000) / pool.makespanMs).toFixed(2)),
    naiveTxsPerMinute: naive ? Number(((txsTotal * 60_000) / naive.naiveMs).toFixed(2)) : null,
    verifiedBbjs: pool.verified.every(Boolean), verifiedOnL1: l1.ok, l1Note: l1.note,
    plans: pool.plans.map((p) => p.jobs.map((j) => j.circuit).join('->')), perCircuit,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = path.join(dir, `prove-${args.blocks}x${args.txs}-w${pool.workers}-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify({ ...figures, jobs: pool.timings }, null, 2));
  writeFileSync(`${base}.svg`, svgChart(pool.timings, { ...figures, naiveMs: naive?.naiveMs, title: `${args.blocks} blocks x ${args.txs} txs, W=${pool.workers}: makespan ${(pool.makespanMs / 1000).toFixed(1)} s, ratio ${makespanRatio.toFixed(2)} to the bound, ${naive ? `${figures.speedupVsNaive}x naive` : ''}` }));
  log(`wrote ${base}.json and .svg`);
  printResult({
    txs: figures.txs, blocks: figures.blocks, workers: figures.workers, makespanMs: figures.makespanMs, lowerBoundMs: figures.lowerBoundMs,
    makespanRatio: figures.makespanRatio, naiveMs: figures.naiveMs, speedupVsNaive: figures.speedupVsNaive, verifiedOnL1: figures.verifiedOnL1, peakRssMB: figures.peakRssMB,
  });
}
