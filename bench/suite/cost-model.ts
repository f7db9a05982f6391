// The bench's measured figures as the node's cost model reads them: per-circuit steady-state
// proving times (p50, ms) for one backend and thread count, the shape the cost model's
// `proveMs` takes (circuits/plan.ts CostModel: "measured proving times per circuit, preferred
// over the per-gate estimate"). The node loads a result at start with `proverBenchFile`
// (node/config.ts, SIDECAR_PROVER_BENCH_FILE): its quote pricing and the sequencer's "what
// fits in time" then plan with these times.
import type { CostModel } from '../../circuits/plan.js';
import type { BenchResult } from './schema.js';

export interface BenchTimes {
  backend: 'native' | 'wasm';
  threads: number;
  /** circuit name -> p50 proving time (ms) */
  proveMs: Record<string, number>;
}

/**
 * Per-circuit p50 proving times measured for `backend` (default: native if measured, else
 * wasm) at `threads` (default 1; else the nearest measured thread count below, else above).
 * Circuits measured only at other thread counts are left out (the model's estimate stays).
 */
export function costModelFromBench(result: BenchResult, opts: { backend?: 'native' | 'wasm' | 'auto'; threads?: number } = {}): BenchTimes {
  const measured = (k: 'native' | 'wasm') => result.circuits.some((c) => c.results.some((r) => r.backend === k));
  const backend = opts.backend && opts.backend !== 'auto' ? opts.backend : measured('native') ? 'native' : 'wasm';
  const want = opts.threads && opts.threads > 0 ? opts.threads : 1;
  const ts = [...new Set(result.circuits.flatMap((c) => c.results.filter((r) => r.backend === backend).map((r) => r.threads)))].sort((a, b) => a - b);
  const threads = ts.includes(want) ? want : (ts.filter((t) => t < want).pop() ?? ts[0] ?? want);
  const proveMs: Record<string, number> = {};
  for (const c of result.circuits) {
    const r = c.results.find((x) => x.backend === backend && x.threads === threads);
    if (r && r.proving_time_ms.p50 > 0) proveMs[c.circuit] = Math.round(r.proving_time_ms.p50 + r.witnessMs.p50);
  }
  return { backend, threads, proveMs };
}

/** `model` with the bench's measured times in place of its own (circuits the bench did not measure keep theirs). */
export function withBenchTimes(model: CostModel, times: BenchTimes): CostModel {
  const b = times.backend;
  return { ...model, times: { ...model.times, [b]: { ...model.times[b], ...times.proveMs } } };
}
