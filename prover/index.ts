// The node's prover: a worker pool, the orchestrator and the job store behind one object.
//
//   const prover = await Prover.start({ store, workers: cfg.proverWorkers, threads: cfg.proverThreads, crs: { dev: cfg.devCrs } });
//   const final = await prover.proveBlock({ blockHash, slot, preState, txs, deadline, signal });
//   // final.proof, final.publicInputs, final.circuit → routerProof / submitProof on L1
//
// After a restart, `prover.unfinishedBlocks()` lists the blocks whose proving had not
// finished; resubmitting them with proveBlock reuses every persisted proof.
import type { CostModel, PlanOptions, ProofPlan } from '../circuits/plan.js';
import type { CrsSelection } from '../circuits/backend/crs.js';
import type { BackendChoice } from '../circuits/backend/binaries.js';
import { createLogger } from '../node/log.js';
import type { NodeMetrics } from '../node/metrics.js';
import type { P2PNode } from '../node/p2p/index.js';
import type { Store } from '../node/storage/index.js';
import { JobStore, type BlockRecord } from './jobs.js';
import { Orchestrator, type JobEvent } from './orchestrator.js';
import { ProverPool } from './pool.js';
import { AgentHub, type RemoteOptions } from './remote.js';
import { rollupBlockTask, rollupPlan, type RollupBlock } from './rollup.js';
import { rangePlan, rangeTask, rangeEstimateMs, type RangeMember, type RangeVkHashes } from './range.js';
import type { BlockProof, JobError, JobResult } from './types.js';

export { AgentHub, JobStore, Orchestrator, ProverPool, rollupBlockTask, rollupPlan, rangePlan, rangeTask, rangeEstimateMs };
export { LeaseRunner, ProverAgent, startAgent } from './agent.js';
export { registerTaskFactory, type TaskSpec } from './tasks.js';
export type { BlockProof, BlockRecord, RollupBlock };

export interface ProverOptions {
  /** Persist jobs and proofs here (node/storage). Without it nothing survives a restart. */
  store?: Store;
  /** Pool size and backend threads per worker (0 = measured default: prover/pool.ts defaultPoolShape). */
  workers?: number;
  threads?: number;
  crs?: CrsSelection;
  /** Proving backend: native | wasm | auto (default: $SIDECAR_PROVER_BACKEND, else auto = native where it runs). */
  backend?: BackendChoice;
  costModel?: CostModel;
  jobTimeoutMs?: number;
  maxAttempts?: number;
  metrics?: NodeMetrics;
  /** The node's started p2p host: remote agents (`sidecar agent`) may then join and take leases (whole blocks, subtrees). */
  p2p?: P2PNode;
  remote?: RemoteOptions;
}

export class Prover {
  private constructor(
    readonly pool: ProverPool,
    readonly orchestrator: Orchestrator,
    readonly jobs: JobStore | undefined,
    private readonly opts: ProverOptions,
    /** Remote agents, when started with a p2p host. */
    readonly remote?: AgentHub,
  ) {}

  static async start(opts: ProverOptions = {}): Promise<Prover> {
    const pool = new ProverPool({ workers: opts.workers, threads: opts.threads, crs: opts.crs, backend: opts.backend, costModel: opts.costModel });
    const jobs = opts.store ? new JobStore(opts.store) : undefined;
    const remote = opts.p2p ? new AgentHub(opts.p2p, opts.remote) : undefined;
    await remote?.listen();
    // agents' proofs are verified in a thread of its own: start its bb.js before the first one arrives
    remote?.on('agent:joined', () => { pool.warmVerifier().catch((e) => log.warn({ err: e }, 'warming the verifier failed')); });
    const orchestrator = new Orchestrator({
      executor: pool, store: jobs, jobTimeoutMs: opts.jobTimeoutMs, maxAttempts: opts.maxAttempts,
      lessor: remote, verify: (c, proof, pi, flavour) => pool.verify(c, proof, pi, flavour),
    });
    if (opts.metrics) {
      bindMetrics(orchestrator, opts.metrics, remote);
      // which backend the workers run (starts one worker's backend; a backend that cannot start is logged with its reason)
      const m = opts.metrics;
      pool.backendKind().then((k) => { m.proverBackend.set({ backend: k }, 1); log.info({ backend: k }, `prover workers prove with the ${k} backend`); },
        (e) => log.error({ err: e }, 'the prover workers cannot start their proving backend'));
    }
    return new Prover(pool, orchestrator, jobs, opts, remote);
  }

  /**
   * The cost model the planner and quoting use: the pool's backend, with its own recent
   * measured proving times (ProverPool.costModel) over `costModel` / DEFAULT_COST_MODEL.
   */
  costModel(): CostModel {
    return this.pool.costModel();
  }

  /**
   * The planner's options for this prover: its pool's workers prove a block's jobs at once, so
   * a plan is scored max(total work / workers, critical path) (circuits/plan.ts planBlock).
   */
  planOptions(): PlanOptions {
    return { workers: this.pool.capacity };
  }

  /** The plan this prover proves `block` with (its cost model and workers): what proveBlock runs, ProverRole counts and quotes. */
  plan(block: Pick<RollupBlock, 'blockHash' | 'slot' | 'txs'> & { recipient?: string }): ProofPlan {
    return rollupPlan(block, this.costModel(), this.planOptions());
  }

  /** Proves a rollup block; resolves with its final (L1-flavour) proof. */
  async proveBlock(block: RollupBlock): Promise<BlockProof> {
    const plan = this.plan(block);
    const chain = plan.jobs.some((j) => j.kind === 'final');
    const vkHashes = chain ? await this.chainVkHashes(plan.jobs.find((j) => j.kind === 'final')!.circuit) : undefined;
    const root = plan.jobs.find((j) => j.kind === 'root');
    const treeVkHashes = root ? await this.treeVkHashes(root.circuit) : undefined;
    return this.orchestrator.submit(rollupBlockTask(block, { plan, vkHashes, treeVkHashes }));
  }

  /**
   * Proves a range of 2 or 4 consecutive blocks (chain order, all naming `recipient`) as one L1
   * proof (range_2 / range_4, prover/range.ts): every block's own jobs are reused from the store
   * (prove the blocks first, with proveBlock: their L1 proofs are the fallback), its top circuit
   * is proven once more in the recursive flavour, then the range circuits.
   */
  async proveRange(blocks: readonly RollupBlock[], recipient: string, opts: { deadline?: number; signal?: AbortSignal } = {}): Promise<BlockProof> {
    const model = this.costModel();
    const members: RangeMember[] = [];
    for (const block of blocks) {
      const plan = rollupPlan(block, model);
      const final = plan.jobs.find((j) => j.kind === 'final');
      const root = plan.jobs.find((j) => j.kind === 'root');
      members.push({ block, plan, vkHashes: final ? await this.chainVkHashes(final.circuit) : undefined, treeVkHashes: root ? await this.treeVkHashes(root.circuit) : undefined });
    }
    const pins2 = await this.pool.circuitInfo('range_2');
    const range2 = blocks.length === 4 ? (await this.pool.circuitInfo('range_4')).pinnedVkHashes?.range_2 : undefined;
    const vk: RangeVkHashes = { blocks: Object.fromEntries(Object.entries(pins2.pinnedVkHashes ?? {}).map(([k, v]) => [k, BigInt(v)])), range2: range2 === undefined ? undefined : BigInt(range2) };
    const plan = rangePlan(members.map((m) => m.plan), recipient, model);
    return this.orchestrator.submit(rangeTask(members, recipient, vk, { plan, deadline: opts.deadline, signal: opts.signal }));
  }

  /** The vk hashes a block root pins (base_* and merge, this CRS's). */
  async treeVkHashes(rootCircuit: string): Promise<Record<string, bigint>> {
    const info = await this.pool.circuitInfo(rootCircuit);
    if (!info.pinnedVkHashes) throw new Error(`circuit ${rootCircuit} has no pinned vk hashes`);
    return Object.fromEntries(Object.entries(info.pinnedVkHashes).map(([k, v]) => [k, BigInt(v)]));
  }

  private async chainVkHashes(finalCircuit: string) {
    const info = await this.pool.circuitInfo(finalCircuit);
    if (!info.vkHashes) throw new Error(`circuit ${finalCircuit} has no pinned vk hashes`);
    return { first: BigInt(info.vkHashes.first), rec: BigInt(info.vkHashes.rec) };
  }

  /** Verifies a block's final proof with bb.js (in a worker, cached vk). */
  verify(p: Pick<BlockProof, 'circuit' | 'proof' | 'publicInputs'>): Promise<boolean> {
    return this.pool.verify({ name: p.circuit }, p.proof, p.publicInputs);
  }

  cancel(blockHash: string, reason?: string): boolean {
    return this.orchestrator.cancel(blockHash, reason);
  }

  async unfinishedBlocks(): Promise<BlockRecord[]> {
    return (await this.jobs?.unfinishedBlocks()) ?? [];
  }

  async close(): Promise<void> {
    await this.orchestrator.close();
    await this.pool.close();
  }
}

const log = createLogger('prover');

/** Feeds the orchestrator's events into the node's Prometheus metrics. */
export function bindMetrics(orch: Orchestrator, m: NodeMetrics, hub?: AgentHub): void {
  orch.on('job:started', (e: JobEvent) => m.proofsStarted.inc({ circuit: e.circuit }));
  orch.on('job:finished', (e: JobEvent & { ms: number; result: JobResult }) => {
    m.proofsFinished.inc({ circuit: e.circuit });
    m.proofSeconds.observe({ circuit: e.circuit }, e.result.proveMs / 1000);
  });
  orch.on('job:failed', (e: JobEvent & { error: JobError; willRetry: boolean }) => m.proofsFailed.inc({ circuit: e.circuit, code: e.error.code }));
  m.gaugeFrom('sidecar_prover_jobs', 'proving jobs by state', () => {
    const s = orch.stats();
    return [
      { labels: { state: 'waiting' }, value: s.waiting },
      { labels: { state: 'ready' }, value: s.ready },
      { labels: { state: 'running' }, value: s.running },
      { labels: { state: 'leased' }, value: s.leased },
    ];
  }, ['state']);
  if (hub) {
    m.gaugeFrom('sidecar_prover_agents_connected', 'remote prover agents connected', () => [{ value: hub.agents.size }]);
    m.gaugeFrom('sidecar_prover_agent_free_slots', 'free lease slots of the connected remote agents', () => [{ value: hub.free }]);
    m.counterFrom('sidecar_prover_agent_events_total', 'remote agent events by kind (joined, dropped, refused, leases sent, polls missed, ...)', () =>
      Object.entries(hub.counters).map(([k, v]) => ({ labels: { event: k }, value: v })), ['event']);
  }
  m.counterFrom('sidecar_prover_events_total', 'orchestrator events by kind (jobs reused from the store, retries, crashes, ...)', () =>
    Object.entries(orch.counters).map(([k, v]) => ({ labels: { event: k }, value: v })), ['event']);
  log.debug('prover metrics bound');
}
