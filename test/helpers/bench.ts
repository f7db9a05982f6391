// A complete, valid `sidecar bench` result (schema sidecar-bench/1) with made-up figures, for
// tests of what reads results (schema, compare, the node's cost model). `scale` multiplies the
// times (a faster or slower machine).
import { bestShapes } from '../../bench/suite/run.js';
import { stats } from '../../bench/suite/measure.js';
import { BENCH_SCHEMA, type BenchResult } from '../../bench/suite/schema.js';

const st = (xs: number[]) => stats(xs);
export function benchResultFixture(scale = 1, cpu = 'Test CPU @ 3.0GHz'): BenchResult {
  const circuit = (name: string, gates: number, size: number, ms: number) => ({
    circuit: name, kind: 'single', capacity: Number(name.split('_')[1]), gates, circuitSize: size, modelEstimateMs: ms * 2, probeTxs: Number(name.split('_')[1]),
    results: (['native', 'wasm'] as const).flatMap((backend) => [1, 2].map((threads) => ({
      backend, threads, reps: 3, proving_time_ms: st([ms, ms * 1.1, ms * 0.9].map((x) => (x * scale * (backend === 'wasm' ? 3 : 1)) / threads)),
      witnessMs: st([100, 110, 90]), cpuSeconds: st([ms / 1000, ms / 1000, ms / 1000]), peakRssMB: 300, rssSource: backend === 'native' ? 'bb-process' as const : 'node-process' as const,
      gatesPerSecond: Math.round(gates / ((ms * scale) / 1000)), verified: true,
      coldStart: threads === 1 ? { backendStartMs: 50, circuitLoadMs: 5, vkMs: 1000, witnessMs: 120, proveMs: ms * scale, totalMs: ms * scale + 1175 } : null, measuredAt: '2026-12-04T19:00:00.000Z',
    }))),
    best: null,
  });
  const r: BenchResult = {
    schema: BENCH_SCHEMA,
    hardware: { cpu: { cpu_model: cpu, cpu_cores: 2, arch: 'x64', mhz: 3000 }, memory_size_gb: 16, os: { platform: 'linux', release: '6.1', name: 'Test OS' }, loadAverage: { start: 0.5, end: 1.2 } },
    software: {
      sidecar: '0.1.0', node: 'v22.23.3', bb: '5.0.0', bbjs: '5.0.0', noir: '1.0.0-beta.26',
      backends: [{ backend: 'native', available: true, why: 'auto: native bb runs here' }, { backend: 'wasm', available: true, why: 'forced: wasm' }], crs: { kind: 'insecure-dev', id: 'insecure-dev-tau-3' },
    },
    run: {
      startedAt: '2026-12-04T19:00:00.000Z', finishedAt: '2026-12-04T19:10:00.000Z', complete: true, quick: false, reps: 3, backends: ['native', 'wasm'], threads: [1, 2],
      blockSizes: [1, 32], usdPerHour: 0.5, watts: 100, estimatedMs: 600_000, elapsedMs: 590_000, sessions: 1,
    },
    circuits: [circuit('single_1', 94_113, 1 << 17, 3000), circuit('single_8', 211_421, 1 << 18, 8000)],
    pool: { workers: 2, threads: 1, backend: 'native', coldStartMs: 9000 },
    blocks: [1, 32].map((n) => ({
      transaction_count: n, plan: [n === 1 ? 'single_1' : 'single_32'], workers: 2, threads: 1, backend: 'native', latencyMs: n * 1000 * scale + 3000, lowerBoundMs: n * 900 + 2500,
      totalWorkMs: n * 900 + 2500, criticalPathMs: n * 900 + 2500, makespanRatio: 1.1, verified: true, cost_per_block_usd: 0.001, cost_per_tx_usd: 0.001 / n, energyPerTxWh: 0.1 / n,
      jobs: [{ circuit: 'single_1', worker: 1, startMs: 0, endMs: 3000, proveMs: 2900, witnessMs: 100 }], measuredAt: '2026-12-04T19:09:00.000Z',
    })),
    range: { blocks: 4, skipped: 'no range circuit in this build', latencyMs: null },
  };
  bestShapes(r);
  return r;
}
