// The tiny fixture circuit (fixtures/tiny) and plans of it, for the prover's scheduling and
// recovery tests: each job's input is its deps' outputs, so a wrong order or a lost proof
// changes the final value (checked against `expectedRoot`, computed in TS).
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Noir } from '@noir-lang/noir_js';
import { BUILD_DIR, circuitSizes, noirCompile, type CompiledCircuit } from '../../../circuits/build.js';
import { R } from '../../../circuits/l2/field.js';
import type { ProofJob, ProofPlan } from '../../../circuits/plan.js';
import type { LeaseRunner } from '../../../prover/agent.js';
import type { BlockTask, Executor, LeaseOffer, LeaseSink, Lessor } from '../../../prover/orchestrator.js';
import { planToWire, registerTaskFactory } from '../../../prover/tasks.js';
import { JobError, type JobResult, type ProveRequest } from '../../../prover/types.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tiny');
export const TINY_ARTIFACT = path.join(BUILD_DIR, 'test', 'tiny.json');

/** Compiles the fixture (cached by source hash) to an artifact file the workers load. */
export async function tinyArtifact(): Promise<{ file: string; circuit: CompiledCircuit }> {
  const src = readFileSync(path.join(FIXTURE, 'src', 'main.nr'));
  const hash = createHash('sha256').update(src).update(readFileSync(path.join(FIXTURE, 'Nargo.toml'))).digest('hex').slice(0, 32);
  if (existsSync(TINY_ARTIFACT)) {
    const c = JSON.parse(readFileSync(TINY_ARTIFACT, 'utf8')) as CompiledCircuit;
    if (c.hash === hash) return { file: TINY_ARTIFACT, circuit: c };
  }
  const { bytecode, abi } = await noirCompile('tiny', FIXTURE);
  const { gates, circuitSize } = await circuitSizes(bytecode, false);
  // bb.js 0.82.2 said 32 for this circuit but needed more CRS points to prove it (lookup
  // tables); 2^10 is kept as the CRS size asked for (harmless: the dev CRS has >= 2^16 points).
  const circuit: CompiledCircuit = {
    name: 'tiny', kind: 'single', capacity: 1, recursive: false, flavour: 'l1', hash, noirVersion: '1.0.0-beta.26', bytecode, abi, gates,
    circuitSize: Math.max(circuitSize, 1 << 10),
  };
  mkdirSync(path.dirname(TINY_ARTIFACT), { recursive: true });
  writeFileSync(TINY_ARTIFACT, JSON.stringify(circuit));
  return { file: TINY_ARTIFACT, circuit };
}

/** Rounds of x -> x^2 + 7 in main.nr: ~8k gates (2^13), under a second to prove single-threaded. */
const TINY_ROUNDS = 4000;

/** The circuit's function in TS. */
export function tinyValue(seed: bigint, d0: bigint, d1: bigint): bigint {
  let x = (seed + d0 * 3n + d1 * 5n) % R;
  for (let i = 0; i < TINY_ROUNDS; i++) x = (x * x + 7n) % R;
  return x;
}

const hex = (x: bigint) => `0x${x.toString(16).padStart(64, '0')}`;

/**
 * A plan over the tiny circuit. `shape`: 'chain:N' (N jobs in a row) or 'tree:N' (N leaves
 * merged pairwise up to one root).
 */
export function tinyPlan(blockHash: string, shape: string, slot = 1n): ProofPlan {
  const [kind, nStr] = shape.split(':');
  const n = Number(nStr);
  const jobs: ProofJob[] = [];
  const mk = (name: string, deps: string[]): ProofJob => {
    const j: ProofJob = {
      id: createHash('sha256').update(`${blockHash}\0${name}\0${deps.join(',')}`).digest('hex'),
      kind: deps.length === 2 ? 'merge' : deps.length ? 'rec' : 'first', circuit: 'tiny', txRange: [0, 0], deps, flavour: 'l1', estimatedMs: 1000,
    };
    jobs.push(j);
    return j;
  };
  if (kind === 'chain') {
    let prev: ProofJob | undefined;
    for (let i = 0; i < n; i++) prev = mk(`c${i}`, prev ? [prev.id] : []);
  } else if (kind === 'tree') {
    let level = Array.from({ length: n }, (_, i) => mk(`l${i}`, []));
    let depth = 0;
    while (level.length > 1) {
      const next: ProofJob[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(level[i + 1] ? mk(`m${depth}.${i}`, [level[i].id, level[i + 1].id]) : level[i]);
      level = next;
      depth++;
    }
  } else throw new Error(`unknown shape ${shape}`);
  return { blockHash, slot, txCount: 0, jobs, root: jobs[jobs.length - 1].id, estimatedMs: 1000 * jobs.length };
}

/** Seed of a job: from its id, so each job's output is distinct. */
export const seedOf = (job: ProofJob): bigint => BigInt(`0x${job.id.slice(0, 8)}`);

/** The job's output: its last public input (`out`). */
export const outputOf = (r: JobResult): bigint => BigInt(r.publicInputs[r.publicInputs.length - 1]);

/** Every job's expected output, computed in TS. */
export function expectedOutputs(plan: ProofPlan): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const visit = (j: ProofJob): bigint => {
    const have = out.get(j.id);
    if (have !== undefined) return have;
    const d = j.deps.map((id) => visit(byId.get(id)!));
    const v = tinyValue(seedOf(j), d[0] ?? 0n, d[1] ?? 0n);
    out.set(j.id, v);
    return v;
  };
  plan.jobs.forEach(visit);
  return out;
}

/** The root's expected output, computed in TS. */
export function expectedRoot(plan: ProofPlan): bigint {
  return expectedOutputs(plan).get(plan.root)!;
}

/**
 * A block task for a tiny plan; `failJob` makes that job's witness fail. `check` refuses a
 * result whose public inputs are not [seed, expected output] (the deps are private inputs,
 * so a verifying proof alone does not show it used the right deps). Its spec ('tiny') lets a
 * remote agent rebuild it.
 */
export function tinyTask(plan: ProofPlan, artifact: string, opts: Partial<BlockTask> & { failJob?: string } = {}): BlockTask {
  let expected: Map<string, bigint> | undefined;
  return {
    plan,
    spec: { kind: 'tiny', data: { artifact, failJob: opts.failJob } },
    check(job, result) {
      expected ??= expectedOutputs(plan);
      const [seed, out] = result.publicInputs.map((x) => BigInt(x));
      if (seed !== seedOf(job) || out !== expected.get(job.id)) throw new JobError('prove', `tiny job ${job.id.slice(0, 8)}: public inputs [${result.publicInputs.join(', ')}] are not the expected ones`);
    },
    ...opts,
    request(job, deps): ProveRequest {
      const [d0 = 0n, d1 = 0n] = deps.map(outputOf);
      return {
        jobId: job.id, circuit: { name: 'tiny', artifact }, flavour: 'l1',
        inputs: { seed: hex(seedOf(job)), deps: [hex(d0), hex(d1)], fail: job.id === opts.failJob ? '1' : '0', out: hex(tinyValue(seedOf(job), d0, d1)) },
      };
    },
  };
}

/**
 * An in-process executor that executes the tiny circuit for real (noir_js) but does not
 * prove: for the orchestrator's scheduling logic, fast and deterministic. The pool tests
 * prove for real. `hold` lets a test decide when each job finishes.
 */
export class WitnessExecutor implements Executor {
  readonly started: string[] = [];
  readonly finished: string[] = [];
  readonly aborted: string[] = [];
  failNext: { code: JobError['code']; times: number } | undefined;
  private noir?: Noir;
  constructor(readonly capacity: number, private readonly circuit: CompiledCircuit, private readonly hold?: (jobId: string) => Promise<void>) {}

  async run(req: ProveRequest, signal: AbortSignal): Promise<JobResult> {
    this.started.push(req.jobId);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    this.noir ??= new Noir({ bytecode: this.circuit.bytecode, abi: this.circuit.abi } as any);
    const aborted = new Promise<never>((_, rej) => {
      const f = () => { this.aborted.push(req.jobId); rej(signal.reason ?? new Error('aborted')); };
      if (signal.aborted) f();
      else signal.addEventListener('abort', f, { once: true });
    });
    aborted.catch(() => {});
    const t0 = Date.now();
    await Promise.race([this.hold?.(req.jobId) ?? new Promise((r) => setTimeout(r, 5)), aborted]);
    if (this.failNext && this.failNext.times > 0) {
      this.failNext.times--;
      throw new JobError(this.failNext.code, `injected ${this.failNext.code}`);
    }
    try {
      await this.noir.execute(req.inputs as never);
    } catch (e) {
      throw new JobError('witness', `witness for tiny failed: ${(e as Error).message}`);
    }
    this.finished.push(req.jobId);
    return { proof: new Uint8Array(32), publicInputs: [String(req.inputs.seed), String(req.inputs.out)], witnessMs: Date.now() - t0, proveMs: 0 };
  }
}

registerTaskFactory('tiny', (data, plan) => {
  const d = data as { artifact?: unknown; failJob?: unknown };
  if (typeof d?.artifact !== 'string') throw new Error('tiny task: expected {artifact: file}');
  return tinyTask(plan, d.artifact, { failJob: typeof d.failJob === 'string' ? d.failJob : undefined });
});

/**
 * A lessor in process: records each offer and, with a runner, carries it to a real
 * LeaseRunner (the agent's side: its own orchestrator over a WitnessExecutor) and back
 * through the sink, as prover/remote.ts does over libp2p.
 */
export class TestLessor extends EventEmitter implements Lessor {
  readonly offers: LeaseOffer[] = [];
  readonly cancelled: string[] = [];
  readonly sinks = new Map<string, LeaseSink>();
  constructor(public slots: number, private readonly runner?: LeaseRunner) { super(); }
  canLease(): boolean { return this.slots > 0; }
  lease(offer: LeaseOffer, sink: LeaseSink) {
    this.slots--;
    this.offers.push(offer);
    this.sinks.set(offer.leaseId, sink);
    if (this.runner) void this.carry(offer, sink);
    return { agent: 'in-process', cancel: (reason: string) => { this.cancelled.push(offer.leaseId); this.runner?.cancel(offer.leaseId, reason); } };
  }
  free(): void { this.slots++; this.emit('capacity'); }
  private async carry(offer: LeaseOffer, sink: LeaseSink): Promise<void> {
    const runner = this.runner!;
    await runner.start({ leaseId: offer.leaseId, spec: offer.spec, plan: planToWire(offer.plan), root: offer.root, jobs: offer.jobs, deadline: offer.deadline }, offer.known);
    let ack = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 5));
      const { header, results } = runner.poll(offer.leaseId, ack);
      for (const [id, r] of results) {
        try { await sink.result(id, r); } catch { return; }
        ack++;
      }
      if (header.state === 'unknown') return;
      if (header.state === 'failed') sink.end(new JobError(header.error!.code, header.error!.message));
      if (header.state !== 'running') { this.free(); return; }
    }
  }
}
