// `npm run bench -- plans [--workers 1,2] [--max-txs 1024] [--backend native|wasm]`
//
// The proof plan's shape for every block size 1..max-txs under the default cost model
// (circuits/plan.ts DEFAULT_COST_MODEL: measured times), per worker count: which shape the
// planner picks (`single`, `chain`, `tree`) and, for every size where it is not a tree or a
// single proof, the best tree-or-single plan's score next to it (score = max(total work /
// workers, critical path), what planBlock minimises). No proving: plans only (< 1 s). Ends with
// one JSON line: {backend, maxTxs, byWorkers: {W: {ranges: [{shape, from, to}], chainWins:
// [{txs, chainMs, otherMs, plan}]}}}.
import { DEFAULT_COST_MODEL, costModelFor, planBlock, type CostBackend, type CostModel, type ProofPlan } from '../circuits/plan.js';
import { lowerBoundMs } from '../circuits/plan-stats.js';

type Shape = 'single' | 'chain' | 'tree';
const shapeOf = (p: ProofPlan): Shape => (p.jobs.length === 1 ? 'single' : p.jobs.some((j) => j.kind === 'root') ? 'tree' : 'chain');
const CHAIN_KINDS = new Set(['first', 'rec', 'final']);

function parse(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  };
  const workers = (get('workers') ?? '1,2').split(',').map(Number);
  if (workers.some((w) => !Number.isInteger(w) || w < 1)) throw new Error('--workers: whole numbers >= 1, comma-separated');
  const maxTxs = Number(get('max-txs') ?? 1024);
  if (!Number.isInteger(maxTxs) || maxTxs < 1 || maxTxs > 1024) throw new Error('--max-txs: 1..1024');
  return { workers, maxTxs, backend: (get('backend') ?? 'native') as CostBackend };
}

export function comparePlans(model: CostModel, workers: number, maxTxs: number) {
  const others: CostModel = { ...model, circuits: model.circuits.filter((c) => !CHAIN_KINDS.has(c.kind)) };
  const hasOthers = others.circuits.length > 0;
  const ranges: { shape: Shape; from: number; to: number }[] = [];
  const chainWins: { txs: number; chainMs: number; otherMs: number | null; plan: string }[] = [];
  for (let n = 1; n <= maxTxs; n++) {
    const block = { blockHash: `0x${'5a'.repeat(32)}`, slot: 1, txCount: n };
    const best = planBlock(block, model, { workers });
    const shape = shapeOf(best);
    const last = ranges.at(-1);
    if (last && last.shape === shape && last.to === n - 1) last.to = n; else ranges.push({ shape, from: n, to: n });
    if (shape === 'chain') {
      let otherMs: number | null = null;
      if (hasOthers) {
        try { otherMs = lowerBoundMs(planBlock(block, others, { workers }), workers); } catch { /* no tree or single proves n */ }
      }
      chainWins.push({ txs: n, chainMs: lowerBoundMs(best, workers), otherMs, plan: best.jobs.map((j) => j.circuit).join(' -> ') });
    }
  }
  return { ranges, chainWins };
}

export async function main(argv: string[]): Promise<void> {
  const args = parse(argv);
  const model = costModelFor(args.backend, DEFAULT_COST_MODEL);
  const byWorkers: Record<string, ReturnType<typeof comparePlans>> = {};
  for (const w of args.workers) {
    byWorkers[w] = comparePlans(model, w, args.maxTxs);
    const r = byWorkers[w];
    process.stderr.write(`[plans] workers ${w}: ${r.ranges.map((x) => `${x.shape} ${x.from}..${x.to}`).join(', ')}; the chain wins at ${r.chainWins.length} sizes\n`);
  }
  process.stdout.write(`${JSON.stringify({ backend: args.backend, maxTxs: args.maxTxs, byWorkers })}\n`);
}
