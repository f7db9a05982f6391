// Ranges of consecutive blocks as one orchestrator task (issue 10 "Aggregation on L1"): one L1
// proof (range_2 or range_4, L1 flavour) that Sidecar.submitProofRange(from, to, ...) verifies once
// for every block of the range.
//
// The range's plan is one DAG: each member block's own plan (its jobs keep their ids, so the
// proofs the block's own proving made are reused from the store: jobsReusedFromStore) with its
// top job proven once more in the recursive flavour (Poseidon2 transcript, what a range circuit
// verifies; a different job id), then range_2 over pairs of blocks and, for four blocks, range_4
// over the two range_2 proofs (range_2 in the recursive flavour there). A block's L1-flavour proof
// (the fallback the submitter can land alone) is not part of the range plan: it is the block's own
// proving. Range job ids are hashes of their inputs (circuit, circuit hash, flavour, deps), so a
// range submitted twice, or after a restart, is the same jobs. The task has a spec ({kind:
// 'range'}): an agent can lease any of it (prover/tasks.ts). The blocks' L1-flavour top jobs are
// not in the range plan.
import { createHash } from 'node:crypto';
import { vkHashOfFields } from '../circuits/build.js';
import { estimateMs, type CircuitCost, type CostModel, type ProofFlavour, type ProofPlan, DEFAULT_COST_MODEL, type ChainVkHashes } from '../circuits/plan.js';
import type { BlockTask } from './orchestrator.js';
import { WorldState, decodeSignedTx } from '../circuits/l2/index.js';
import { recipientField, rollupBlockTask, rollupSpecData, type RollupBlock, type RollupSpecData, type TreeVkHashes } from './rollup.js';
import { registerTaskFactory, planFromWire, planToWire, type PlanWire, type TaskSpec } from './tasks.js';
import { JobError, type JobResult, type ProofJob, type ProveRequest } from './types.js';

/** Range sizes a range circuit covers (range_2, range_4). */
export const RANGE_SIZES = [2, 4] as const;

/** A block of a range: the block, its own plan (the one its L1 proof was made with) and the vk hashes its task needs. */
export interface RangeMember {
  block: RollupBlock;
  plan: ProofPlan;
  vkHashes?: ChainVkHashes;
  treeVkHashes?: TreeVkHashes;
}

/** What the range circuits pin (ProverPool.circuitInfo('range_2' | 'range_4').pinnedVkHashes). */
export interface RangeVkHashes {
  /** block-level circuit name -> its recursive-flavour vk hash (what range_2 accepts) */
  blocks: Record<string, bigint>;
  /** range_2's recursive-flavour vk hash (what range_4 accepts); needed for 4 blocks */
  range2?: bigint;
}

const sha = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');
const hex = (x: bigint) => `0x${x.toString(16).padStart(64, '0')}`;

/** The id of a block's top job proven in the recursive flavour (to be aggregated). */
export const recursiveRootId = (rootId: string): string => sha(rootId, 'recursive');

/** The range's own "block hash" (the orchestrator's key for it): its blocks and recipient. */
export function rangeKey(blockHashes: readonly string[], recipient: string): string {
  return `0x${sha('range', ...blockHashes.map((h) => h.toLowerCase()), recipient.toLowerCase())}`;
}

function catalogEntry(model: CostModel, name: string): CircuitCost {
  return model.circuits.find((c) => c.name === name) ?? DEFAULT_COST_MODEL.circuits.find((c) => c.name === name) ?? { name, kind: 'range', capacity: 0, gates: 1 << 21, circuitSize: 1 << 21 };
}

/**
 * The plan of a range of 2 or 4 consecutive blocks (`plans`: each block's own plan, chain order).
 * Root: range_<n> in the L1 flavour. `estimatedMs` = the critical path of the jobs not yet
 * done, when `done` says which are (the blocks' own jobs usually are).
 */
export function rangePlan(plans: readonly ProofPlan[], recipient: string, model: CostModel = DEFAULT_COST_MODEL, done: (jobId: string) => boolean = () => false): ProofPlan {
  const n = plans.length;
  if (!RANGE_SIZES.includes(n as 2 | 4)) throw new JobError('bad-input', `a range proof covers 2 or 4 blocks, got ${n}`);
  for (let i = 1; i < n; i++) if (plans[i].slot <= plans[i - 1].slot) throw new JobError('bad-input', `range blocks must be in slot order (${plans[i - 1].slot} then ${plans[i].slot})`);
  recipientField(recipient);
  const jobs: ProofJob[] = [];
  const seen = new Set<string>();
  const tops: string[] = [];
  for (const p of plans) {
    // the block's L1-flavour top job is its own proving's (the fallback), not the range's
    for (const j of p.jobs) if (j.id !== p.root && !seen.has(j.id)) { seen.add(j.id); jobs.push(j); }
    const root = p.jobs.find((j) => j.id === p.root)!;
    const rec: ProofJob = { ...root, id: recursiveRootId(root.id), flavour: 'recursive' };
    jobs.push(rec);
    tops.push(rec.id);
  }
  const rangeJob = (circuit: string, deps: string[], flavour: ProofFlavour, txRange: [number, number]): ProofJob => {
    const c = catalogEntry(model, circuit);
    return { id: sha('range-job', circuit, c.hash ?? '', flavour, ...deps), kind: 'range', circuit, txRange, deps, flavour, estimatedMs: estimateMs(model, c) };
  };
  const txs = plans.map((p) => p.txCount);
  const sum = (a: number, b: number) => txs.slice(a, b).reduce((x, y) => x + y, 0);
  let root: ProofJob;
  if (n === 2) {
    root = rangeJob('range_2', tops, 'l1', [0, sum(0, 2)]);
    jobs.push(root);
  } else {
    const l = rangeJob('range_2', tops.slice(0, 2), 'recursive', [0, sum(0, 2)]);
    const r = rangeJob('range_2', tops.slice(2, 4), 'recursive', [sum(0, 2), sum(0, 4)]);
    root = rangeJob('range_4', [l.id, r.id], 'l1', [0, sum(0, 4)]);
    jobs.push(l, r, root);
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const finish = new Map<string, number>();
  const fin = (id: string): number => {
    const got = finish.get(id);
    if (got !== undefined) return got;
    const j = byId.get(id)!;
    const t = done(id) ? 0 : j.estimatedMs + Math.max(0, ...j.deps.map(fin));
    finish.set(id, t);
    return t;
  };
  return { blockHash: rangeKey(plans.map((p) => p.blockHash), recipient), slot: plans[0].slot, txCount: sum(0, n), jobs, root: root.id, estimatedMs: fin(root.id) };
}

/**
 * Estimated proving time of a range of `n` blocks whose own proofs exist (the recursive block
 * proofs, then the range proofs on the critical path), under `model`: what the submitter's
 * policy weighs against the deadlines.
 */
export function rangeEstimateMs(blockCircuits: readonly string[], model: CostModel = DEFAULT_COST_MODEL): number {
  const n = blockCircuits.length;
  const block = Math.max(...blockCircuits.map((c) => estimateMs(model, catalogEntry(model, c))));
  const r2 = estimateMs(model, catalogEntry(model, 'range_2'));
  return n <= 2 ? block + r2 : block + r2 + estimateMs(model, catalogEntry(model, 'range_4'));
}

interface RangePrepared { inputs?: Record<string, unknown>; publicInputs: bigint[] }

/** The range of `members` (chain order) for `recipient` as one orchestrator task. */
export function rangeTask(members: readonly RangeMember[], recipient: string, rangeVkHashes: RangeVkHashes, opts: { plan?: ProofPlan; costModel?: CostModel; deadline?: number; signal?: AbortSignal } = {}): BlockTask {
  const plan = opts.plan ?? rangePlan(members.map((m) => m.plan), recipient, opts.costModel);
  const r = recipientField(recipient);
  for (const m of members) {
    if (m.block.recipient.toLowerCase() !== recipient.toLowerCase()) throw new JobError('bad-input', `block ${m.block.blockHash} names recipient ${m.block.recipient}, the range ${recipient}`);
  }
  const tasks = members.map((m) => rollupBlockTask(m.block, { plan: m.plan, vkHashes: m.vkHashes, treeVkHashes: m.treeVkHashes }));
  // job id -> (member index, the job in the member's own plan)
  const owner = new Map<string, { i: number; job: ProofJob }>();
  members.forEach((m, i) => {
    for (const j of m.plan.jobs) if (!owner.has(j.id)) owner.set(j.id, { i, job: j });
    const root = m.plan.jobs.find((j) => j.id === m.plan.root)!;
    owner.set(recursiveRootId(root.id), { i, job: root });
  });
  // each block's four L1 public inputs (from its own execution, what L1 computes too)
  const blockInputs = new Map<number, Promise<bigint[]>>();
  const inputsOf = (i: number): Promise<bigint[]> => {
    let p = blockInputs.get(i);
    if (!p) {
      const root = members[i].plan.jobs.find((j) => j.id === members[i].plan.root)!;
      p = Promise.resolve(tasks[i].prepare!(root)).then((x) => (x as RangePrepared).publicInputs.slice(0, 4));
      blockInputs.set(i, p);
    }
    return p;
  };
  const rangeOf = (job: ProofJob): number[] => {
    // the member blocks a range job covers: the recursive block tops under it, in order
    const out: number[] = [];
    const walk = (id: string) => {
      const o = owner.get(id);
      if (o && id === recursiveRootId(o.job.id)) { out.push(o.i); return; }
      const j = plan.jobs.find((x) => x.id === id)!;
      j.deps.forEach(walk);
    };
    walk(job.id);
    return out;
  };
  let spec: TaskSpec | undefined;
  return {
    plan,
    deadline: opts.deadline,
    signal: opts.signal,
    get spec(): TaskSpec {
      spec ??= { kind: 'range', data: rangeSpecData(members, recipient, rangeVkHashes, plan) };
      return spec;
    },
    async prepare(job) {
      const o = owner.get(job.id);
      if (o) return tasks[o.i].prepare!(o.job);
      const blocks = await Promise.all(rangeOf(job).map(inputsOf));
      return { publicInputs: [...blocks.flat(), r] } satisfies RangePrepared;
    },
    async request(job, deps, prepared): Promise<ProveRequest> {
      const o = owner.get(job.id);
      if (o) {
        const req = await tasks[o.i].request(o.job, deps, prepared);
        return { ...req, jobId: job.id, flavour: job.flavour };
      }
      const p = prepared as RangePrepared;
      const child = (d: JobResult | undefined, side: string) => {
        if (!d?.proofFields || !d.vkFields) throw new JobError('bad-input', `${job.circuit}: the ${side} child's proof has no recursive fields`, { jobId: job.id });
        const k = (d.publicInputs.length - 1) / 4;
        const blocks = Array.from({ length: k }, (_, b) => d.publicInputs.slice(4 * b, 4 * b + 4));
        return { blocks, recipient: d.publicInputs[4 * k], vk: d.vkFields, proof: d.proofFields };
      };
      const n = (p.publicInputs.length - 1) / 4;
      const blocks = Array.from({ length: n }, (_, b) => p.publicInputs.slice(4 * b, 4 * b + 4).map(hex));
      return { jobId: job.id, circuit: { name: job.circuit }, inputs: { blocks, recipient: hex(r), left: child(deps[0], 'left'), right: child(deps[1], 'right') }, flavour: job.flavour };
    },
    async check(job, result, prepared) {
      const o = owner.get(job.id);
      if (o) {
        await tasks[o.i].check?.(o.job, result, prepared);
        if (job.id === recursiveRootId(o.job.id)) {
          // what range_2 verifies it against: one of the block-level vks it pins
          const want = rangeVkHashes.blocks[job.circuit];
          const got = result.vkFields ? await vkHashOfFields(result.vkFields.map(BigInt)) : undefined;
          if (want === undefined || got !== want) throw new JobError('prove', `${job.circuit} (recursive): the proof's vk hash ${got === undefined ? '(none)' : hex(got)} is not the one range_2 pins`, { jobId: job.id, circuit: job.circuit });
        }
        return;
      }
      if (job.circuit === 'range_2' && job.flavour === 'recursive') {
        const got = result.vkFields ? await vkHashOfFields(result.vkFields.map(BigInt)) : undefined;
        if (rangeVkHashes.range2 === undefined || got !== rangeVkHashes.range2) throw new JobError('prove', `range_2 (recursive): the proof's vk hash is not the one range_4 pins`, { jobId: job.id, circuit: job.circuit });
      }
      const expected = (prepared as RangePrepared).publicInputs;
      const got = result.publicInputs.map((x) => BigInt(x));
      if (got.length !== expected.length || got.some((g, i) => g !== expected[i])) {
        throw new JobError('prove', `${job.circuit}: the proof's public inputs [${got.map(hex).join(', ')}] are not the expected [${expected.map(hex).join(', ')}]`, { jobId: job.id, circuit: job.circuit });
      }
    },
  };
}

/** A range task's spec data (JSON-able): each member's rollup spec and plan, the pinned range vk hashes. */
export interface RangeSpecData {
  recipient: string;
  members: { rollup: RollupSpecData; plan: PlanWire; blockHash: string; slot: string }[];
  rangeVkHashes: { blocks: Record<string, string>; range2?: string };
}

export function rangeSpecData(members: readonly RangeMember[], recipient: string, vk: RangeVkHashes, _plan: ProofPlan): RangeSpecData {
  return {
    recipient,
    members: members.map((m) => ({ rollup: rollupSpecData(m.block, m.vkHashes, m.treeVkHashes), plan: planToWire(m.plan), blockHash: m.block.blockHash, slot: m.block.slot.toString() })),
    rangeVkHashes: { blocks: Object.fromEntries(Object.entries(vk.blocks).map(([k, v]) => [k, hex(v)])), range2: vk.range2 === undefined ? undefined : hex(vk.range2) },
  };
}

/** The 'range' task kind: an agent rebuilds the node's range task from its spec (each member through the 'rollup' factory). */
registerTaskFactory('range', async (data, plan) => {
  const d = data as RangeSpecData;
  if (!d || typeof d.recipient !== 'string' || !Array.isArray(d.members) || typeof d.rangeVkHashes?.blocks !== 'object') throw new Error('expected {recipient, members, rangeVkHashes}');
  const members: RangeMember[] = [];
  for (const m of d.members) {
    const mp = planFromWire(m.plan);
    if (!m.rollup || !Array.isArray(m.rollup.txs) || typeof m.rollup.recipient !== 'string') throw new Error('a range member needs its rollup spec data');
    const block: RollupBlock = {
      blockHash: m.blockHash, slot: BigInt(m.slot), preState: await WorldState.fromJSON(m.rollup.preState),
      txs: m.rollup.txs.map((x) => decodeSignedTx(Buffer.from(x, 'hex'))), recipient: m.rollup.recipient,
    };
    const big = (o?: Record<string, string>) => o && Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v)]));
    members.push({ block, plan: mp, vkHashes: m.rollup.vkHashes && { first: BigInt(m.rollup.vkHashes.first), rec: BigInt(m.rollup.vkHashes.rec) }, treeVkHashes: big(m.rollup.treeVkHashes) });
  }
  const vk: RangeVkHashes = { blocks: Object.fromEntries(Object.entries(d.rangeVkHashes.blocks).map(([k, v]) => [k, BigInt(v)])), range2: d.rangeVkHashes.range2 === undefined ? undefined : BigInt(d.rangeVkHashes.range2) };
  return rangeTask(members, d.recipient, vk, { plan });
});
