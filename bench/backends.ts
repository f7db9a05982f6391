// `npm run bench -- backends [--threads T] [--circuits single_1,...] [--wasm single_1,...]`
//
// Proves one full block per circuit (INSECURE dev CRS) with the native backend (bb 5.0.0 as
// a child process, T threads), and the `--wasm` circuits also with bb.js' WASM (T threads), in
// the same run, one proof at a time. The chain circuits are proven as one 48-tx block
// first_32 -> rec_8 -> final_8 (each full), each proof feeding the next. The tree circuits:
// base_8, merge, block_root as one 24-tx tree (3 full base_8 leaves -> merge -> block_root, its
// right child a lower leaf), base_32 as the first leaf of a 64-tx tree. Reports per circuit
// gates, dyadic size, wall ms and CPU ms of the proving call (native: the bb child's user+sys;
// WASM: this process's), peak RSS of the native bb child (sampled from /proc every 200 ms),
// whether it verifies, and `nativeVsWasm` for the first --wasm circuit.
// vks are computed before timing. Ends with one JSON line.
import os from 'node:os';
import type { CompiledCircuit } from '../circuits/build.js';
import type { PrevProof, ProofPlan } from '../circuits/plan.js';
import type { BackendKind, ProvingBackend } from '../circuits/backend/prover.js';
import { log, printResult } from './lib/report.js';
import { makeBlocks } from './lib/blocks.js';

const ALL = ['single_1', 'single_8', 'single_32', 'first_32', 'rec_8', 'final_8', 'base_8', 'base_32', 'merge', 'block_root'];

interface Figure { ms: number; cpuMs: number; verified: boolean; peakRssMB?: number }

/** Peak RSS (MB) of this process's descendants while `f` runs (Linux /proc; undefined elsewhere). */
async function childPeakRss<T>(f: () => Promise<T>): Promise<{ value: T; peakRssMB?: number }> {
  const { readdirSync, readFileSync } = await import('node:fs');
  if (process.platform !== 'linux') return { value: await f() };
  let peak = 0;
  const sample = () => {
    const parent = new Map<number, number>();
    const rss = new Map<number, number>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        parent.set(Number(d), Number(f[1]));
        rss.set(Number(d), Number(f[21]) * 4096);
      } catch { /* gone */ }
    }
    let total = 0;
    for (const [pid, r] of rss) {
      for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) { total += r; break; }
    }
    peak = Math.max(peak, total);
  };
  const t = setInterval(sample, 200);
  try {
    const value = await f();
    return { value, peakRssMB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(t);
  }
}

function parse(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  };
  const list = (name: string, dflt: string[]) => {
    const v = get(name);
    const xs = v === undefined ? dflt : v.split(',').map((s) => s.trim()).filter(Boolean);
    for (const x of xs) if (!ALL.includes(x)) throw new Error(`--${name}: unknown circuit ${x} (${ALL.join(', ')})`);
    return xs;
  };
  const threads = Number(get('threads') ?? 1);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a whole number >= 1`);
  return { threads, circuits: list('circuits', ALL), wasm: list('wasm', ['single_1']) };
}

export async function main(argv: string[]): Promise<void> {
  process.env.SIDECAR_LOG_LEVEL ??= 'warn';
  const args = parse(argv);
  const plan = await import('../circuits/plan.js');
  const { ProvingBackend, prevProofOf } = await import('../circuits/backend/prover.js');
  log(`circuits ${args.circuits.join(', ')}; native for all, WASM for ${args.wasm.join(', ') || 'none'}; ${args.threads} thread(s); ${os.availableParallelism()} cores (INSECURE dev CRS)`);

  // one block per single circuit (its capacity), one 48-tx block for the chain
  const chain = ['first_32', 'rec_8', 'final_8'];
  const tree8 = ['base_8', 'merge', 'block_root'];
  const jobsOf = async (name: string): Promise<{ plan: ProofPlan; w: ReturnType<typeof plan.blockWitness>; upTo: number }> => {
    const isChain = chain.includes(name);
    const set = isChain ? chain : tree8.includes(name) ? tree8 : name === 'base_32' ? ['base_32', 'merge', 'block_root'] : [name];
    const txs = isChain ? 48 : tree8.includes(name) ? 24 : name === 'base_32' ? 64 : Number(name.split('_')[1]);
    const [b] = await makeBlocks(txs, 1);
    const catalog = plan.DEFAULT_COST_MODEL.circuits.filter((c) => set.includes(c.name));
    const p = plan.planBlock({ blockHash: b.blockHash, slot: b.slot, txCount: b.txs.length }, { ...plan.DEFAULT_COST_MODEL, circuits: catalog });
    const order = plan.topoOrder(p);
    return { plan: p, w: plan.blockWitness(b.preState, b.slot, b.txs), upTo: order.findIndex((j) => j.circuit === name) };
  };

  const run = async (kind: BackendKind, names: string[]): Promise<Record<string, Figure>> => {
    const out: Record<string, Figure> = {};
    if (!names.length) return out;
    const backend: ProvingBackend = await ProvingBackend.create({ crs: { dev: true }, backend: kind, threads: args.threads });
    try {
      const needs = (xs: string[]) => names.some((n) => xs.includes(n));
      const fin = needs(chain) ? await backend.circuit('final_8') : undefined;
      const vkHashes = fin && { first: BigInt(fin.vkHashes!.first), rec: BigInt(fin.vkHashes!.rec) };
      const root = needs(['base_8', 'base_32', 'merge', 'block_root']) ? await backend.circuit('block_root') : undefined;
      const mergeVkHash = root && BigInt(root.pinnedVkHashes!.merge);
      const done = new Set<string>();
      for (const name of names) {
        if (done.has(name)) continue;
        const { plan: p, w, upTo } = await jobsOf(name);
        let prev: PrevProof | undefined;
        const byJob = new Map<string, PrevProof>();
        for (const job of plan.topoOrder(p).slice(0, upTo + 1)) {
          const c: CompiledCircuit = await backend.circuit(job.circuit);
          const vk = await backend.vk(c); // not timed
          const childProofs = job.deps.length === 2 ? [byJob.get(job.deps[0])!, byJob.get(job.deps[1])!] as const : undefined;
          const s = plan.segmentInputs(p, job, w, { prevProof: prev, vkHashes, mergeVkHash, childProofs });
          const witness = await backend.execute(c, s.inputs);
          const { value: proof, peakRssMB } = await childPeakRss(() => backend.prove(c, witness));
          if (c.flavour === 'recursive') {
            prev = prevProofOf(proof, vk);
            byJob.set(job.id, prev);
          }
          if (names.includes(job.circuit) && !done.has(job.circuit)) {
            const verified = await backend.verify(c, proof);
            out[job.circuit] = { ms: proof.ms, cpuMs: proof.cpuMs ?? NaN, verified, peakRssMB: kind === 'native' ? peakRssMB : undefined };
            done.add(job.circuit);
            log(`${kind} ${job.circuit}: ${(proof.ms / 1000).toFixed(1)} s wall, ${((proof.cpuMs ?? NaN) / 1000).toFixed(1)} s CPU, peak ${peakRssMB} MB, verified ${verified}`);
          }
        }
      }
    } finally {
      await backend.destroy();
    }
    return out;
  };

  const native = await run('native', args.circuits);
  const wasm = await run('wasm', args.wasm);
  const circuits: Record<string, unknown> = {};
  const { loadCircuit } = await import('../circuits/build.js');
  for (const name of new Set([...args.circuits, ...args.wasm])) {
    const c = ['final_8', 'merge', 'block_root'].includes(name) ? undefined : await loadCircuit(name);
    const m = plan.DEFAULT_COST_MODEL.circuits.find((x) => x.name === name);
    circuits[name] = { gates: c?.gates ?? m?.gates, circuitSize: c?.circuitSize ?? m?.circuitSize, native: native[name], wasm: wasm[name] };
  }
  const cmp = args.wasm.find((n) => native[n] && wasm[n]);
  const nativeVsWasm = cmp ? { circuit: cmp, nativeCpuMs: native[cmp].cpuMs, wasmCpuMs: wasm[cmp].cpuMs, ratio: +(wasm[cmp].cpuMs / native[cmp].cpuMs).toFixed(2) } : undefined;
  printResult({ bench: 'backends', threads: args.threads, cores: os.availableParallelism(), loadavg: os.loadavg().map((x) => +x.toFixed(2)), circuits, nativeVsWasm });
}
