// The proof plan of a block: a DAG of proving jobs the orchestrator (prover/) schedules.
// Shapes: one `single` proof; a chain first -> rec* -> final (one recursion per circuit); or a
// tree: base leaves (txs inline) merged pairwise by `merge` (two recursions, 2^21) up to the
// `block_root` (circuits/tree.ts). `planBlock` picks the shape from a cost model (data:
// measured gates and proving times) to minimise the block's proving time, and
// `segmentInputs` builds each job's circuit inputs from the block's execution.
import { createHash } from 'node:crypto';
import type { InputMap } from '@noir-lang/noir_js';
import type { CompiledCircuit, SegmentKind } from './build.js';
import { MAX_TXS_PER_BLOCK, toHex } from './l2/field.js';
import { TxsFrontier, digestHalves, digestWords, txsCommitment, txsSubtreeRoot } from './l2/commitment.js';
import { poseidon2 } from './l2/poseidon2.js';
import type { BlockExecution, WorldState } from './l2/state.js';
import { encodeTxBody, type SignedTx } from './l2/tx.js';
import { noirTxs } from './witness.js';
import { baseInputs, baseNode, blockRootInputs, mergeInputs, mergeNode, nodePublicInputs, type ChildIn, type TreeNode } from './tree.js';

export type JobKind = SegmentKind;
export type ProofFlavour = 'recursive' | 'l1';

export interface ProofJob {
  /** sha256 of everything the job's proof depends on (block hash, circuit, tx range, deps). */
  id: string;
  kind: JobKind;
  circuit: string;
  /** Txs [start, end) of the block this job executes inline (merge / root: the txs its subtree covers). */
  txRange: [number, number];
  /** Jobs whose proofs this job verifies. */
  deps: string[];
  flavour: ProofFlavour;
  /** Cost-model estimate of proving time. */
  estimatedMs: number;
}

export interface ProofPlan {
  blockHash: string;
  slot: bigint;
  txCount: number;
  jobs: ProofJob[];
  /** The job whose proof is the block's final (L1) proof. */
  root: string;
  /** Estimated time of the longest dependency chain (the block's proving time). */
  estimatedMs: number;
}

/** One circuit as the planner sees it. */
export interface CircuitCost {
  name: string;
  kind: SegmentKind;
  capacity: number;
  gates: number;
  /** Dyadic size (power of two): what proving time scales with. */
  circuitSize: number;
  /** Circuit source hash (job ids change when the circuit does). */
  hash?: string;
}

/** The proving engines a cost model has figures for (circuits/backend/binaries.ts BackendKind). */
export type CostBackend = 'native' | 'wasm';
export const COST_BACKENDS: readonly CostBackend[] = ['native', 'wasm'];

/**
 * Cost model as data: a circuit catalog and measured proving speed, per proving backend.
 * `estimateMs(model, c)` is the one way to read a circuit's estimated proving time: the
 * measured time of `c` on `model.backend` if there is one, else its dyadic size times that
 * backend's per-gate speed.
 */
export interface CostModel {
  circuits: CircuitCost[];
  /** The backend the estimates are for (the pool's workers' backend). */
  backend: CostBackend;
  /** Proving ms per dyadic gate, by backend and flavour (the fallback for circuits without a measured time). */
  msPerGate: Record<CostBackend, Record<ProofFlavour, number>>;
  /** Measured proving times (ms, one worker, 1 thread) per backend and circuit, preferred over the per-gate estimate. */
  times: Record<CostBackend, Record<string, number>>;
}

/**
 * Gate counts measured with circuitStats (bb.js 5.0.0, no-ZK; Noir 1.0.0-beta.26) for the
 * committed circuits (merge / block_root as built with the dev CRS's pinned vk hashes:
 * `npm run build:circuits -- --dev-crs`). Times: bb 5.0.0, 1 thread, dev CRS, one full block per
 * circuit, every circuit measured in the same session (circuits/README.md "Figures"):
 * `npm run bench -- backends --circuits first_32,rec_8,final_8,base_8,base_32,merge,block_root --wasm base_8`
 * and `npm run bench -- backends --circuits single_1,single_8,single_32 --wasm single_1`;
 * native = the bb child's CPU time (its wall time on a quiet core), WASM = this process's CPU
 * time. Circuits without a measured time fall back to their dyadic size at the backend's
 * per-gate speed (native ~22 s per 2^20 as measured here; WASM ~60 s per 2^20, from base_8 and
 * single_1: ~2.5x native). `costModelFrom(circuits)` builds the same catalog from compiled
 * artifacts; `costModelFor(backend)` picks the backend.
 */
export const DEFAULT_COST_MODEL: CostModel = {
  circuits: [
    { name: 'single_1', kind: 'single', capacity: 1, gates: 94_114, circuitSize: 1 << 17 },
    { name: 'single_8', kind: 'single', capacity: 8, gates: 211_422, circuitSize: 1 << 18 },
    { name: 'single_32', kind: 'single', capacity: 32, gates: 679_054, circuitSize: 1 << 20 },
    { name: 'first_32', kind: 'first', capacity: 32, gates: 640_143, circuitSize: 1 << 20 },
    { name: 'rec_8', kind: 'rec', capacity: 8, gates: 888_501, circuitSize: 1 << 20 },
    { name: 'final_8', kind: 'final', capacity: 8, gates: 895_888, circuitSize: 1 << 20 },
    { name: 'base_8', kind: 'base', capacity: 8, gates: 156_158, circuitSize: 1 << 18 },
    { name: 'base_32', kind: 'base', capacity: 32, gates: 641_026, circuitSize: 1 << 20 },
    { name: 'merge', kind: 'merge', capacity: 0, gates: 1_519_772, circuitSize: 1 << 21 },
    { name: 'block_root', kind: 'root', capacity: 0, gates: 1_598_871, circuitSize: 1 << 21 },
    // ranges of blocks (prover/range.ts; never in a block's plan)
    { name: 'range_2', kind: 'range', capacity: 0, gates: 1_432_529, circuitSize: 1 << 21 },
    { name: 'range_4', kind: 'range', capacity: 0, gates: 1_432_722, circuitSize: 1 << 21 },
  ],
  backend: 'native',
  msPerGate: {
    native: { recursive: 22_000 / (1 << 20), l1: 22_000 / (1 << 20) },
    wasm: { recursive: 60_000 / (1 << 20), l1: 60_000 / (1 << 20) },
  },
  times: {
    native: {
      single_1: 3_400, single_8: 7_200, single_32: 21_800, first_32: 22_700, rec_8: 28_100, final_8: 26_500,
      base_8: 5_900, base_32: 21_100, merge: 43_100, block_root: 45_200, range_2: 41_900, range_4: 42_000,
    },
    wasm: { single_1: 8_800, base_8: 14_900 },
  },
};

/** `model` (default: DEFAULT_COST_MODEL) with its estimates for `backend`. */
export function costModelFor(backend: CostBackend, model: CostModel = DEFAULT_COST_MODEL): CostModel {
  if (!COST_BACKENDS.includes(backend)) throw new PlanError(`unknown proving backend ${String(backend)} (${COST_BACKENDS.join(' | ')})`);
  return { ...model, backend };
}

/** `model` with `name`'s measured proving time on `backend` (default: the model's) set to `ms`. */
export function withProveMs(model: CostModel, name: string, ms: number, backend: CostBackend = model.backend): CostModel {
  if (!Number.isFinite(ms) || ms <= 0) throw new PlanError(`a measured proving time must be > 0 ms, got ${ms} for ${name}`);
  if (!COST_BACKENDS.includes(backend)) throw new PlanError(`unknown proving backend ${String(backend)} (${COST_BACKENDS.join(' | ')})`);
  return { ...model, times: { ...model.times, [backend]: { ...model.times[backend], [name]: Math.round(ms) } } };
}

export function costModelFrom(circuits: readonly CompiledCircuit[], base: CostModel = DEFAULT_COST_MODEL): CostModel {
  return {
    ...base,
    circuits: circuits.map((c) => ({ name: c.name, kind: c.kind, capacity: c.capacity, gates: c.gates, circuitSize: c.circuitSize, hash: c.hash })),
  };
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

const flavourOf = (k: SegmentKind): ProofFlavour => (k === 'single' || k === 'final' || k === 'root' ? 'l1' : 'recursive');

/** THE estimate of a circuit's proving time under `model` (its backend's measured time, else per gate). */
export function estimateMs(model: CostModel, c: CircuitCost): number {
  return model.times[model.backend]?.[c.name] ?? Math.round(c.circuitSize * model.msPerGate[model.backend][flavourOf(c.kind)]);
}

/** A candidate plan before ids: jobs as circuit + tx range + deps (indices of earlier jobs). */
interface Shape { jobs: { c: CircuitCost; txRange: [number, number]; deps: number[] }[]; workMs: number; criticalMs: number }

function shapeOf(jobs: Shape['jobs'], model: CostModel): Shape {
  const ms = jobs.map((j) => estimateMs(model, j.c));
  const finish: number[] = [];
  jobs.forEach((j, i) => { finish[i] = ms[i] + Math.max(0, ...j.deps.map((d) => finish[d])); });
  return { jobs, workMs: ms.reduce((a, b) => a + b, 0), criticalMs: Math.max(...finish) };
}

function chainShapes(n: number, model: CostModel, by: (k: SegmentKind) => CircuitCost[]): Shape[] {
  const shapes: Shape[] = [];
  const chain = (steps: { c: CircuitCost; txs: number }[]) => {
    let pos = 0;
    const jobs = steps.map((s, i) => { const j = { c: s.c, txRange: [pos, pos + s.txs] as [number, number], deps: i ? [i - 1] : [] }; pos += s.txs; return j; });
    shapes.push(shapeOf(jobs, model));
  };
  for (const s of by('single')) if (s.capacity >= n) chain([{ c: s, txs: n }]);
  for (const f of by('first')) {
    for (const r of by('rec')) {
      for (const fin of by('final')) {
        if (n <= f.capacity) {
          // the first segment partial, the final one empty (when no single circuit may be used)
          if (f.capacity % fin.capacity === 0) chain([{ c: f, txs: n }, { c: fin, txs: 0 }]);
          continue;
        }
        const rest = n - f.capacity;
        // k full rec segments then the final one with 1..fin.capacity txs
        const k = Math.max(0, Math.ceil((rest - fin.capacity) / r.capacity));
        const steps = [{ c: f, txs: f.capacity }];
        let pos = f.capacity;
        let aligned = true;
        for (let i = 0; i < k; i++) {
          if (pos % r.capacity !== 0) aligned = false;
          steps.push({ c: r, txs: r.capacity });
          pos += r.capacity;
        }
        if (pos % fin.capacity !== 0 || pos + fin.capacity > MAX_TXS_PER_BLOCK) aligned = false;
        if (!aligned) continue;
        steps.push({ c: fin, txs: n - pos });
        chain(steps);
      }
    }
  }
  return shapes;
}

/**
 * Trees: ceil(n / C) base_C leaves (the last one partial), merged pairwise level by level (an
 * odd node out moves up unmerged and becomes a lower right child), the top pair by the block
 * root. Needs at least two leaves (one leaf is a single circuit's job).
 */
function treeShapes(n: number, model: CostModel, by: (k: SegmentKind) => CircuitCost[]): Shape[] {
  const merge = by('merge')[0];
  const root = by('root')[0];
  if (!merge || !root) return [];
  const shapes: Shape[] = [];
  for (const base of by('base')) {
    const leaves = Math.ceil(n / base.capacity);
    if (leaves < 2) continue;
    const jobs: Shape['jobs'] = [];
    let level: number[] = [];
    for (let i = 0; i < leaves; i++) {
      jobs.push({ c: base, txRange: [i * base.capacity, Math.min(n, (i + 1) * base.capacity)], deps: [] });
      level.push(i);
    }
    while (level.length > 1) {
      const next: number[] = [];
      for (let i = 0; i < level.length; i += 2) {
        if (i + 1 === level.length) { next.push(level[i]); continue; }
        const [l, r] = [jobs[level[i]], jobs[level[i + 1]]];
        jobs.push({ c: level.length === 2 ? root : merge, txRange: [l.txRange[0], r.txRange[1]], deps: [level[i], level[i + 1]] });
        next.push(jobs.length - 1);
      }
      level = next;
    }
    shapes.push(shapeOf(jobs, model));
  }
  return shapes;
}

function jobId(parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

export interface PlanBlockInput {
  blockHash: string;
  slot: bigint | number;
  /** Number of txs (or the txs themselves). */
  txCount?: number;
  txs?: readonly unknown[];
}

export interface PlanOptions {
  /**
   * Provers working on the block at once (default 1). A shape's score is
   * max(total work / workers, critical path): with one worker the least total work wins.
   */
  workers?: number;
}

/**
 * The cheapest plan (estimated proving time) for a block of n txs: one `single_S`, a chain
 * `first -> rec* -> final`, or a tree of base leaves, merges and a block root, whichever the
 * cost model's circuits allow and estimate best (ties: shorter critical path, fewer jobs).
 */
export function planBlock(block: PlanBlockInput, model: CostModel = DEFAULT_COST_MODEL, opts: PlanOptions = {}): ProofPlan {
  const n = block.txCount ?? block.txs?.length;
  if (n === undefined || !Number.isInteger(n) || n < 0) throw new PlanError('planBlock needs txCount or txs');
  if (n > MAX_TXS_PER_BLOCK) throw new PlanError(`a block holds at most ${MAX_TXS_PER_BLOCK} txs, got ${n}`);
  if (!/^0x[0-9a-fA-F]{64}$/.test(block.blockHash)) throw new PlanError(`blockHash must be 0x + 64 hex digits, got ${block.blockHash}`);
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new PlanError(`workers must be a positive integer, got ${opts.workers}`);
  const by = (k: SegmentKind) => model.circuits.filter((c) => c.kind === k).sort((a, b) => a.capacity - b.capacity);
  const shapes = [...chainShapes(n, model, by), ...treeShapes(n, model, by)];
  if (shapes.length === 0) throw new PlanError(`no circuit combination in the cost model proves a block of ${n} txs`);
  const score = (s: Shape) => Math.max(s.workMs / workers, s.criticalMs);
  const best = shapes.reduce((a, b) => {
    const [sa, sb] = [score(a), score(b)];
    if (sb !== sa) return sb < sa ? b : a;
    if (b.criticalMs !== a.criticalMs) return b.criticalMs < a.criticalMs ? b : a;
    return b.jobs.length < a.jobs.length ? b : a;
  });
  return planFromShape(block, n, best, model);
}

/** Only trees (base leaves, merges, block root), e.g. for a block a single circuit would take. */
export function planBlockTree(block: PlanBlockInput, model: CostModel = DEFAULT_COST_MODEL, opts: PlanOptions = {}): ProofPlan {
  return planBlock(block, { ...model, circuits: model.circuits.filter((c) => c.kind === 'base' || c.kind === 'merge' || c.kind === 'root') }, opts);
}

function planFromShape(block: PlanBlockInput, n: number, shape: Shape, model: CostModel): ProofPlan {
  const jobs: ProofJob[] = [];
  for (const j of shape.jobs) {
    const deps = j.deps.map((d) => jobs[d].id);
    jobs.push({
      id: jobId([block.blockHash.toLowerCase(), j.c.name, j.c.hash ?? '', j.txRange[0], j.txRange[1], ...deps]),
      kind: j.c.kind, circuit: j.c.name, txRange: j.txRange, deps, flavour: flavourOf(j.c.kind), estimatedMs: estimateMs(model, j.c),
    });
  }
  return { blockHash: block.blockHash, slot: BigInt(block.slot), txCount: n, jobs, root: jobs[jobs.length - 1].id, estimatedMs: shape.criticalMs };
}

/** Jobs in dependency order (deps first). */
export function topoOrder(plan: ProofPlan): ProofJob[] {
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const seen = new Set<string>();
  const out: ProofJob[] = [];
  const visit = (j: ProofJob, stack: Set<string>) => {
    if (seen.has(j.id)) return;
    if (stack.has(j.id)) throw new PlanError(`plan has a cycle at job ${j.id}`);
    stack.add(j.id);
    for (const d of j.deps) {
      const dj = byId.get(d);
      if (!dj) throw new PlanError(`job ${j.id} depends on unknown job ${d}`);
      visit(dj, stack);
    }
    stack.delete(j.id);
    seen.add(j.id);
    out.push(j);
  };
  for (const j of plan.jobs) visit(j, new Set());
  return out;
}

// ---- circuit inputs -------------------------------------------------------------------

/** A block executed against its pre-state: what every segment's inputs derive from. */
export interface BlockWitness {
  slot: bigint;
  startRoot: bigint;
  endRoot: bigint;
  txsCommitment: bigint;
  bodies: Uint8Array[];
  execution: BlockExecution;
}

/**
 * Execute `txs` on a copy of `preState` (which is not modified). With validate=false an
 * invalid tx still yields a witness, so the circuit reports the failure (how a prover learns
 * a revealed block is unprovable).
 */
export function blockWitness(preState: WorldState, slot: bigint | number, txs: readonly SignedTx[], opts: { validate?: boolean } = {}): BlockWitness {
  const execution = preState.clone().applyBlock(txs, opts);
  const bodies = txs.map((t) => encodeTxBody(t.tx));
  return { slot: BigInt(slot), startRoot: execution.startRoot, endRoot: execution.endRoot, txsCommitment: txsCommitment(bodies), bodies, execution };
}

/** The vk hashes the chain's carry names (final circuits pin them: CompiledCircuit.vkHashes). */
export interface ChainVkHashes { first: bigint; rec: bigint }

/** The previous segment's proof in the recursive flavour, as fields. */
export interface PrevProof {
  /** 410 fields (bb 5.0.0 no-ZK UltraHonk, its 8 pairing-point fields included), public inputs excluded. */
  proof: readonly (bigint | string)[];
  /** 115 vk fields. */
  vk: readonly (bigint | string)[];
}

export interface SegmentInputs {
  inputs: InputMap;
  /** The job's public inputs in circuit order: [slot, startRoot, endRoot, acc | txsCommitment], a tree node's 8 (tree.ts). */
  publicInputs: bigint[];
}

interface SegState { frontier: TxsFrontier; acc: bigint; endRoot: bigint }

function carryHash(f: TxsFrontier, vk: ChainVkHashes): bigint {
  const fields: bigint[] = [];
  for (const n of f.nodes) fields.push(...digestHalves(n));
  fields.push(BigInt(f.count), vk.first, vk.rec);
  return poseidon2(fields);
}

function noirCarry(f: TxsFrontier, vk: ChainVkHashes) {
  return {
    frontier: { nodes: f.nodes.map((n) => digestWords(n).map(String)), count: String(f.count) },
    first_vk_hash: toHex(vk.first),
    rec_vk_hash: toHex(vk.rec),
  };
}

/** bb 5.0.0 no-ZK recursive proof / vk sizes in fields (circuits/backend/prover.ts, checked there). */
const HONK_PROOF_FIELDS = 410;
const HONK_VK_FIELDS = 115;
const fieldHex = (x: bigint | string) => (typeof x === 'bigint' ? toHex(x) : x);

/**
 * Circuit inputs for `job` of `plan`. `capacityOf(circuit)` gives segment sizes (compiled
 * circuits or the cost model). For rec/final jobs pass the previous job's proof and vk as
 * fields; chains need `vkHashes` (any consistent values work at witness level; the final
 * circuit accepts only its pinned ones).
 */
export function segmentInputs(
  plan: ProofPlan,
  job: ProofJob,
  block: BlockWitness,
  opts: {
    prevProof?: PrevProof; vkHashes?: ChainVkHashes; capacityOf?: (circuit: string) => number;
    /** Tree jobs: the merge circuit's vk hash the tree carries (block_root pins it). */
    mergeVkHash?: bigint;
    /** merge / root jobs: the children's proofs (deps order); zeros when absent (spliced in later). */
    childProofs?: readonly [PrevProof, PrevProof];
    /** the L1 reward recipient an L1-flavour proof names (its last public input); 0 (default) names nobody and L1 refuses it */
    recipient?: bigint;
  } = {},
): SegmentInputs {
  const capacityOf = opts.capacityOf ?? ((name: string) => {
    const c = DEFAULT_COST_MODEL.circuits.find((x) => x.name === name);
    if (!c) throw new PlanError(`unknown circuit ${name}: pass capacityOf`);
    return c.capacity;
  });
  if (block.bodies.length !== plan.txCount) throw new PlanError(`plan is for ${plan.txCount} txs, block has ${block.bodies.length}`);
  const order = topoOrder(plan);
  const idx = order.findIndex((j) => j.id === job.id);
  if (idx < 0) throw new PlanError(`job ${job.id} is not in the plan`);
  if (job.kind === 'base' || job.kind === 'merge' || job.kind === 'root') return treeJobInputs(plan, job, block, capacityOf, opts);
  if (job.kind === 'range') throw new PlanError(`a range job's inputs come from its blocks' proofs (prover/range.ts), not from one block`);
  const vk = opts.vkHashes ?? { first: 0n, rec: 0n };
  const recipient = opts.recipient ?? 0n;
  const slot = toHex(block.slot);
  const [a, b] = job.txRange;
  const witnesses = block.execution.witnesses.slice(a, b);
  const segStart = a === 0 ? block.startRoot : block.execution.witnesses[a - 1].rootAfter;
  const segEnd = b === 0 ? block.startRoot : block.execution.witnesses[b - 1].rootAfter;
  const cap = capacityOf(job.circuit);
  const txs = noirTxs(witnesses, cap);
  const sub = txsSubtreeRoot(block.bodies.slice(a, b), cap);

  // the carry before this job: replay the chain's earlier segments
  const before = new TxsFrontier();
  let prevJob: ProofJob | undefined;
  for (const j of order.slice(0, idx)) {
    before.append(txsSubtreeRoot(block.bodies.slice(j.txRange[0], j.txRange[1]), capacityOf(j.circuit)), capacityOf(j.circuit));
    prevJob = j;
  }
  const prevState: SegState | undefined = prevJob && {
    frontier: before, acc: carryHash(before, vk),
    endRoot: prevJob.txRange[1] === 0 ? block.startRoot : block.execution.witnesses[prevJob.txRange[1] - 1].rootAfter,
  };

  switch (job.kind) {
    case 'single':
      return {
        inputs: { slot, start_root: toHex(block.startRoot), end_root: toHex(block.endRoot), txs_commitment: toHex(block.txsCommitment), recipient: toHex(recipient), txs, n_active: String(b - a) },
        publicInputs: [block.slot, block.startRoot, block.endRoot, block.txsCommitment, recipient],
      };
    case 'first': {
      const after = new TxsFrontier();
      after.append(sub, cap);
      const acc = carryHash(after, vk);
      return {
        inputs: {
          slot, start_root: toHex(block.startRoot), end_root: toHex(segEnd), acc: toHex(acc), txs, n_active: String(b - a),
          first_vk_hash: toHex(vk.first), rec_vk_hash: toHex(vk.rec),
        },
        publicInputs: [block.slot, block.startRoot, segEnd, acc],
      };
    }
    case 'rec':
    case 'final': {
      if (!prevState || !prevJob) throw new PlanError(`${job.kind} job ${job.id} has no previous segment`);
      const prev = opts.prevProof;
      if (!prev) throw new PlanError(`${job.kind} job needs the previous segment's proof (prevProof)`);
      if (prev.proof.length !== HONK_PROOF_FIELDS) throw new PlanError(`previous proof must be ${HONK_PROOF_FIELDS} fields, got ${prev.proof.length}`);
      if (prev.vk.length !== HONK_VK_FIELDS) throw new PlanError(`previous vk must be ${HONK_VK_FIELDS} fields, got ${prev.vk.length}`);
      const common = {
        slot, start_root: toHex(block.startRoot),
        segment_start_root: toHex(segStart), prev_end_root: toHex(prevState.endRoot), prev_acc: toHex(prevState.acc),
        prev: noirCarry(prevState.frontier, vk), prev_is_first: prevJob.kind === 'first',
        prev_vk: prev.vk.map(fieldHex), prev_proof: prev.proof.map(fieldHex), txs, n_active: String(b - a),
      };
      if (job.kind === 'rec') {
        const after = prevState.frontier.clone();
        after.append(sub, cap);
        const acc = carryHash(after, vk);
        return { inputs: { ...common, end_root: toHex(segEnd), acc: toHex(acc) }, publicInputs: [block.slot, block.startRoot, segEnd, acc] };
      }
      return {
        inputs: { ...common, end_root: toHex(block.endRoot), txs_commitment: toHex(block.txsCommitment), recipient: toHex(recipient) },
        publicInputs: [block.slot, block.startRoot, block.endRoot, block.txsCommitment, recipient],
      };
    }
  }
}

/** Every tree job's node (base / merge) of `plan` for `block` (TS twin of the circuits). */
export function treeNodes(plan: ProofPlan, block: BlockWitness, mergeVkHash: bigint, capacityOf: (circuit: string) => number): Map<string, TreeNode> {
  const nodes = new Map<string, TreeNode>();
  for (const j of topoOrder(plan)) {
    if (j.kind === 'base') nodes.set(j.id, baseNode(block, j.txRange, capacityOf(j.circuit), mergeVkHash));
    else if (j.kind === 'merge') nodes.set(j.id, mergeNode(nodes.get(j.deps[0])!, nodes.get(j.deps[1])!));
  }
  return nodes;
}

const zeroProof: PrevProof = { proof: Array<bigint>(HONK_PROOF_FIELDS).fill(0n), vk: Array<bigint>(HONK_VK_FIELDS).fill(0n) };

function treeJobInputs(
  plan: ProofPlan, job: ProofJob, block: BlockWitness, capacityOf: (circuit: string) => number,
  opts: { mergeVkHash?: bigint; childProofs?: readonly [PrevProof, PrevProof]; recipient?: bigint },
): SegmentInputs {
  const mvk = opts.mergeVkHash ?? 0n;
  let nodes: Map<string, TreeNode>;
  try {
    nodes = treeNodes(plan, block, mvk, capacityOf);
  } catch (e) {
    throw new PlanError(`plan ${plan.blockHash}: ${(e as Error).message}`);
  }
  if (job.kind === 'base') {
    const node = nodes.get(job.id)!;
    return { inputs: baseInputs(block, node, job.txRange, capacityOf(job.circuit)), publicInputs: nodePublicInputs(node) };
  }
  if (job.deps.length !== 2) throw new PlanError(`${job.kind} job ${job.id} must have two children, has ${job.deps.length}`);
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const [l, r] = job.deps.map((d, i): ChildIn => ({ node: nodes.get(d)!, isMerge: byId.get(d)?.kind === 'merge', proof: opts.childProofs?.[i] ?? zeroProof }));
  if (job.kind === 'merge') {
    const { inputs, node } = mergeInputs(l, r);
    return { inputs, publicInputs: nodePublicInputs(node) };
  }
  return blockRootInputs(l, r, mvk, opts.recipient ?? 0n);
}

/** A plan as one line per job (logs, reports). */
export function describePlan(plan: ProofPlan): string {
  return plan.jobs.map((j) => `${j.circuit}[${j.txRange[0]},${j.txRange[1]})`).join(' -> ') + ` ~${(plan.estimatedMs / 1000).toFixed(0)} s`;
}
