// The `sidecar bench` result: one versioned JSON document (schema `sidecar-bench/1`), written
// into `--out DIR` as result.json, printed as the last line of stdout, read back (resume,
// compare, the node's cost model) through `parseBenchResult` / `readBenchResult`, which
// validate it and say what is wrong. bench/README.md documents every field.
//
// Field names follow Ethproofs' (ethproofs.org API) where it has one: `cpu_model`,
// `cpu_cores`, `memory_size_gb`, `proving_time_ms` (Ethproofs: `proving_time`, in ms),
// `transaction_count`, `cost_per_proof_usd`, `cost_per_tx_usd`. Those keep Ethproofs' snake
// case; the rest is camelCase like the rest of the project.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const BENCH_SCHEMA = 'sidecar-bench/1';

const ms = z.number().nonnegative();
const nullableNum = z.number().nullable();

export const Stats = z.object({
  p50: ms,
  p99: ms,
  min: ms,
  max: ms,
  mean: ms,
  /** every sample, in the order measured */
  samples: z.array(ms),
});
export type Stats = z.infer<typeof Stats>;

export const Hardware = z.object({
  cpu: z.object({
    cpu_model: z.string(),
    /** logical cores the OS offers this process (os.availableParallelism) */
    cpu_cores: z.number().int().positive(),
    arch: z.string(),
    mhz: z.number().nonnegative(),
  }),
  memory_size_gb: z.number().positive(),
  os: z.object({ platform: z.string(), release: z.string(), name: z.string() }),
  /** 1-minute load average when the run started and ended: others' work on the machine skews wall times */
  loadAverage: z.object({ start: z.number(), end: z.number().nullable() }),
});
export type Hardware = z.infer<typeof Hardware>;

export const Software = z.object({
  sidecar: z.string(),
  node: z.string(),
  bb: z.string(),
  bbjs: z.string(),
  noir: z.string(),
  /** backends that started on this machine, and why one did not */
  backends: z.array(z.object({ backend: z.enum(['native', 'wasm']), available: z.boolean(), why: z.string() })),
  crs: z.object({ kind: z.enum(['insecure-dev', 'production']), id: z.string() }),
});
export type Software = z.infer<typeof Software>;

export const ColdStart = z.object({
  /** ProvingBackend.create: CRS resolved (generated once per machine for the dev CRS) and the engine started */
  backendStartMs: ms,
  /** the circuit's artifact: compiled (if its sources changed) or read from .build */
  circuitLoadMs: ms,
  /** verification/proving key generation (a fresh vk cache: nothing reused from disk) */
  vkMs: ms,
  witnessMs: ms,
  proveMs: ms,
  totalMs: ms,
});
export type ColdStart = z.infer<typeof ColdStart>;

export const CircuitResult = z.object({
  backend: z.enum(['native', 'wasm']),
  threads: z.number().int().positive(),
  reps: z.number().int().nonnegative(),
  /** steady state (after the cold start below, every key warm): bb's proving call */
  proving_time_ms: Stats,
  witnessMs: Stats,
  /** CPU of the proving call (native: the bb process's user+sys; wasm: this process's) */
  cpuSeconds: Stats,
  /** peak RSS while proving (native: the bb process's VmHWM; wasm: this process) */
  peakRssMB: nullableNum,
  rssSource: z.enum(['bb-process', 'node-process', 'unavailable']),
  /** gates / p50 proving time */
  gatesPerSecond: z.number().nonnegative(),
  /** every steady-state proof verified with bb */
  verified: z.boolean(),
  /** the first proof of the circuit on this backend, on its own (null when measured in an earlier thread count) */
  coldStart: ColdStart.nullable(),
  measuredAt: z.string(),
});
export type CircuitResult = z.infer<typeof CircuitResult>;

export const BestShape = z.object({
  backend: z.enum(['native', 'wasm']),
  workers: z.number().int().positive(),
  threads: z.number().int().positive(),
  /** workers x 3600 s / p50 at that thread count: extrapolated from single-proof times (no contention measured) */
  proofsPerHour: z.number().nonnegative(),
  cost_per_proof_usd: nullableNum,
  energyPerProofWh: nullableNum,
});

export const CircuitEntry = z.object({
  circuit: z.string(),
  kind: z.string(),
  capacity: z.number().int().nonnegative(),
  gates: z.number().int().nonnegative(),
  circuitSize: z.number().int().nonnegative(),
  /** the cost model's estimate (circuits/plan.ts estimateMs), for comparison */
  modelEstimateMs: ms,
  /** the smallest block (tx count) whose plan proves this circuit: what was proven to measure it */
  probeTxs: z.number().int().nonnegative().nullable(),
  skipped: z.string().optional(),
  results: z.array(CircuitResult),
  best: BestShape.nullable(),
});
export type CircuitEntry = z.infer<typeof CircuitEntry>;

export const BlockJob = z.object({
  circuit: z.string(),
  worker: z.number(),
  startMs: ms,
  endMs: ms,
  proveMs: ms,
  witnessMs: ms,
});

export const BlockEntry = z.object({
  transaction_count: z.number().int().nonnegative(),
  skipped: z.string().optional(),
  plan: z.array(z.string()),
  workers: z.number().int().positive(),
  threads: z.number().int().positive(),
  backend: z.string(),
  /** submit to final proof (steady state: the pool was warmed first) */
  latencyMs: ms,
  /** max(sum of job times / workers, critical path) from the measured job times */
  lowerBoundMs: ms,
  totalWorkMs: ms,
  criticalPathMs: ms,
  makespanRatio: z.number().nonnegative(),
  verified: z.boolean(),
  cost_per_block_usd: nullableNum,
  cost_per_tx_usd: nullableNum,
  energyPerTxWh: nullableNum,
  jobs: z.array(BlockJob),
  measuredAt: z.string(),
});
export type BlockEntry = z.infer<typeof BlockEntry>;

export const BenchResult = z.object({
  schema: z.literal(BENCH_SCHEMA),
  hardware: Hardware,
  software: Software,
  run: z.object({
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    /** false while interrupted or still running: `--resume` continues it */
    complete: z.boolean(),
    quick: z.boolean(),
    reps: z.number().int().positive(),
    backends: z.array(z.enum(['native', 'wasm'])),
    threads: z.array(z.number().int().positive()),
    blockSizes: z.array(z.number().int().nonnegative()),
    usdPerHour: nullableNum,
    watts: nullableNum,
    /** the suite's duration estimated before it ran (cost model + first measurement), and the wall time it took */
    estimatedMs: nullableNum,
    elapsedMs: ms,
    /** how many times the run was started (1 + resumes) */
    sessions: z.number().int().positive(),
  }),
  circuits: z.array(CircuitEntry),
  pool: z.object({
    workers: z.number().int().positive(),
    threads: z.number().int().positive(),
    backend: z.string(),
    /** pool.warm (every worker's backend and CRS) + a 1-tx block per worker: the cold start the blocks below do not include */
    coldStartMs: ms,
  }).nullable(),
  blocks: z.array(BlockEntry),
  /** an aggregated proof of a range of consecutive blocks */
  range: z.object({
    blocks: z.number().int().positive(), skipped: z.string().optional(),
    /** the blocks' own L1 proofs, then the range proof over them (latencyMs = both) */
    latencyMs: nullableNum.optional(), blockProofsMs: ms.optional(), rangeProofMs: ms.optional(),
    /** the range circuits' keys and pinned vk hashes, made before the timed part */
    coldMs: ms.optional(), circuit: z.string().optional(), verified: z.boolean().optional(),
  }),
});
export type BenchResult = z.infer<typeof BenchResult>;

export class BenchResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchResultError';
  }
}

/** Validates a parsed result; throws BenchResultError listing each problem by its path. */
export function parseBenchResult(data: unknown, source = 'bench result'): BenchResult {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new BenchResultError(`${source}: expected a JSON object (a sidecar bench result)`);
  const schema = (data as { schema?: unknown }).schema;
  if (schema !== BENCH_SCHEMA) {
    throw new BenchResultError(`${source}: not a ${BENCH_SCHEMA} result (its "schema" is ${JSON.stringify(schema ?? null)}); rerun \`sidecar bench\` with this version`);
  }
  const r = BenchResult.safeParse(data);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 12).map((i) => `${i.path.length ? i.path.join('.') : '(top)'}: ${i.message}`);
    const more = r.error.issues.length > 12 ? `\n  … and ${r.error.issues.length - 12} more` : '';
    throw new BenchResultError(`${source}: invalid ${BENCH_SCHEMA} result:\n  ${lines.join('\n  ')}${more}`);
  }
  return r.data;
}

/** Reads and validates a result file (result.json, or the printed last line saved to a file). */
export function readBenchResult(file: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BenchResultError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BenchResultError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseBenchResult(data, file);
}
