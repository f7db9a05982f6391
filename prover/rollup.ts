// Rollup blocks as orchestrator tasks: the plan from circuits/plan.ts (a single proof, a chain
// or a tree), the block executed and every job's inputs built ahead (`prepare`, main thread,
// while earlier jobs prove), the previous segment's / the two children's proof and vk fields
// spliced in when those proofs exist (`request`), and each returned proof's public inputs (and
// for recursive-flavour proofs its vk hash) checked against the expected ones before anything
// uses it (`check`). Its `spec` ({kind: 'rollup', data: pre-state + txs + the pinned vk hashes})
// lets a remote agent rebuild the same task (prover/tasks.ts).
import { createHash } from 'node:crypto';
import { vkHashOfFields } from '../circuits/build.js';
import { blockWitness, planBlock, segmentInputs, type BlockWitness, type ChainVkHashes, type CostModel, type PlanOptions, type ProofPlan } from '../circuits/plan.js';
import { WorldState, decodeSignedTx, encodeSignedTx, type SignedTx, type WorldStateJSON } from '../circuits/l2/index.js';
import type { BlockTask } from './orchestrator.js';
import { registerTaskFactory, type TaskSpec } from './tasks.js';
import { JobError, type ProofJob, type ProveRequest } from './types.js';

/** bb 5.0.0 no-ZK recursive proof / vk sizes in fields (circuits/backend/prover.ts, checked there). */
const HONK_PROOF_FIELDS = 410;
const HONK_VK_FIELDS = 115;

/** A block to prove: its txs on the state before it. */
export interface RollupBlock {
  blockHash: string;
  slot: bigint;
  /** The L2 state before the block (not modified). */
  preState: WorldState;
  txs: readonly SignedTx[];
  /**
   * The L1 address the block's final proof names as its reward recipient (a public input after the
   * block's four: the contract pays the submission reward to it, whoever lands the proof).
   */
  recipient: string;
  /** L1 proving deadline (block number; smaller = sooner). */
  deadline?: number;
  /** Abort on reorg / slash. */
  signal?: AbortSignal;
}

export interface RollupTaskOptions {
  /** Default: planBlock(block, costModel, planOptions). */
  plan?: ProofPlan;
  costModel?: CostModel;
  /** The planner's options (the workers proving the block at once). */
  planOptions?: PlanOptions;
  /** The chain's vk hashes (what the final circuit pins; ProverPool.circuitInfo('final_8').vkHashes). */
  vkHashes?: ChainVkHashes;
  /** A tree's vk hashes by circuit (base_*, merge: what block_root pins; ProverPool.circuitInfo('block_root').pinnedVkHashes). */
  treeVkHashes?: TreeVkHashes;
}

export type TreeVkHashes = Record<string, bigint>;

const isTreeJob = (job: ProofJob) => job.kind === 'base' || job.kind === 'merge' || job.kind === 'root';

interface Prepared { inputs: Record<string, unknown>; publicInputs: bigint[] }

const hex = (x: bigint) => `0x${x.toString(16).padStart(64, '0')}`;

/**
 * The block's plan; with a recipient, the root job's id also hashes it (the final proof names it, so
 * proofs for different recipients are different jobs; nothing below the root depends on it).
 */
export function rollupPlan(block: Pick<RollupBlock, 'blockHash' | 'slot' | 'txs'> & { recipient?: string }, costModel?: CostModel, opts?: PlanOptions): ProofPlan {
  const plan = planBlock({ blockHash: block.blockHash, slot: block.slot, txCount: block.txs.length }, costModel, opts);
  if (block.recipient === undefined) return plan;
  const recipient = recipientField(block.recipient);
  const id = createHash('sha256').update(`${plan.root}\0recipient\0${recipient.toString(16)}`).digest('hex');
  return { ...plan, root: id, jobs: plan.jobs.map((j) => (j.id === plan.root ? { ...j, id } : j)) };
}

/** A recipient address as the field the circuits take (a 20-byte address; zero is refused by L1). */
export function recipientField(recipient: string): bigint {
  if (!/^0x[0-9a-fA-F]{40}$/.test(recipient)) throw new JobError('bad-input', `recipient must be a 20-byte 0x address, got ${recipient}`);
  const r = BigInt(recipient);
  if (r === 0n) throw new JobError('bad-input', 'recipient is the zero address (L1 refuses it)');
  return r;
}

export function rollupBlockTask(block: RollupBlock, opts: RollupTaskOptions = {}): BlockTask {
  const plan = opts.plan ?? rollupPlan(block, opts.costModel, opts.planOptions);
  const recipient = recipientField(block.recipient);
  let executed: BlockWitness | undefined;
  const execute = (): BlockWitness => {
    if (!executed) {
      try {
        // no validation: an invalid tx still gets a witness, and the circuit names it
        executed = blockWitness(block.preState, block.slot, block.txs, { validate: false });
      } catch (e) {
        throw new JobError('witness', `block ${block.blockHash}: executing the txs failed: ${(e as Error).message}`);
      }
    }
    return executed;
  };
  const placeholder = { proof: Array<bigint>(HONK_PROOF_FIELDS).fill(0n), vk: Array<bigint>(HONK_VK_FIELDS).fill(0n) };
  let spec: TaskSpec | undefined;
  return {
    plan,
    deadline: block.deadline,
    signal: block.signal,
    get spec(): TaskSpec {
      spec ??= { kind: 'rollup', data: rollupSpecData(block, opts.vkHashes, opts.treeVkHashes) };
      return spec;
    },
    prepare(job: ProofJob): Prepared {
      if (isTreeJob(job)) {
        const mergeVkHash = opts.treeVkHashes?.merge;
        if (mergeVkHash === undefined) throw new JobError('bad-input', `a ${job.kind} job needs the tree's vk hashes (RollupTaskOptions.treeVkHashes)`);
        const s = segmentInputs(plan, job, execute(), { mergeVkHash, recipient: job.id === plan.root ? recipient : undefined });
        return { inputs: s.inputs as Record<string, unknown>, publicInputs: s.publicInputs };
      }
      const needsPrev = job.kind === 'rec' || job.kind === 'final';
      if (needsPrev && !opts.vkHashes) throw new JobError('bad-input', `a ${job.kind} segment needs the chain's vk hashes (RollupTaskOptions.vkHashes)`);
      // the root (L1-flavour) proof names the reward recipient after the block's four inputs
      const s = segmentInputs(plan, job, execute(), { prevProof: needsPrev ? placeholder : undefined, vkHashes: opts.vkHashes, recipient: job.id === plan.root ? recipient : undefined });
      return { inputs: s.inputs as Record<string, unknown>, publicInputs: s.publicInputs };
    },
    request(job, deps, prepared): ProveRequest {
      const p = prepared as Prepared;
      const inputs = { ...p.inputs };
      if (job.kind === 'merge' || job.kind === 'root') {
        for (const [i, side] of (['left', 'right'] as const).entries()) {
          const d = deps[i];
          if (!d?.proofFields || !d.vkFields) throw new JobError('bad-input', `${job.circuit}: the ${side} child's proof has no recursive fields`, { jobId: job.id });
          inputs[side] = { ...(inputs[side] as object), proof: d.proofFields, vk: d.vkFields };
        }
      }
      if (job.kind === 'rec' || job.kind === 'final') {
        const prev = deps[0];
        if (!prev?.proofFields || !prev.vkFields) throw new JobError('bad-input', `${job.circuit}: the previous segment's proof has no recursive fields`, { jobId: job.id });
        inputs.prev_proof = prev.proofFields;
        inputs.prev_vk = prev.vkFields;
      }
      return { jobId: job.id, circuit: { name: job.circuit }, inputs, flavour: job.flavour };
    },
    async check(job, result, prepared) {
      // a recursive segment's vk (what the next segment verifies against) must be the pinned one
      if (result.vkFields && opts.vkHashes && (job.kind === 'first' || job.kind === 'rec')) {
        const got = await vkHashOfFields(result.vkFields.map((f) => BigInt(f)));
        if (got !== opts.vkHashes[job.kind]) throw new JobError('prove', `${job.circuit}: the proof's vk hash ${hex(got)} is not the chain's ${hex(opts.vkHashes[job.kind])}`, { jobId: job.id, circuit: job.circuit });
      }
      // a tree node's vk (what its parent verifies against) must be the one block_root pins
      if ((job.kind === 'base' || job.kind === 'merge') && opts.treeVkHashes) {
        const want = opts.treeVkHashes[job.circuit];
        if (!result.vkFields) throw new JobError('prove', `${job.circuit}: a tree node's proof came without its vk fields`, { jobId: job.id, circuit: job.circuit });
        const got = await vkHashOfFields(result.vkFields.map((f) => BigInt(f)));
        if (want === undefined || got !== want) throw new JobError('prove', `${job.circuit}: the proof's vk hash ${hex(got)} is not the tree's ${want === undefined ? '(none pinned)' : hex(want)}`, { jobId: job.id, circuit: job.circuit });
      }
      const expected = (prepared as Prepared).publicInputs;
      const got = result.publicInputs.slice(0, expected.length).map((x) => BigInt(x));
      if (got.length !== expected.length || got.some((g, i) => g !== expected[i])) {
        throw new JobError('prove', `${job.circuit}: the proof's public inputs [${got.map(hex).join(', ')}] are not the expected [${expected.map(hex).join(', ')}]`, { jobId: job.id, circuit: job.circuit });
      }
    },
  };
}

/** A rollup block's spec data: JSON-able (bigints as strings, txs as their 96-byte wire form in hex). */
export interface RollupSpecData {
  preState: WorldStateJSON;
  txs: string[];
  recipient: string;
  vkHashes?: { first: string; rec: string };
  treeVkHashes?: Record<string, string>;
}

export function rollupSpecData(block: Pick<RollupBlock, 'preState' | 'txs' | 'recipient'>, vkHashes?: ChainVkHashes, treeVkHashes?: TreeVkHashes): RollupSpecData {
  return {
    preState: block.preState.toJSON(),
    txs: block.txs.map((t) => Buffer.from(encodeSignedTx(t)).toString('hex')),
    recipient: block.recipient,
    vkHashes: vkHashes && { first: hex(vkHashes.first), rec: hex(vkHashes.rec) },
    treeVkHashes: treeVkHashes && Object.fromEntries(Object.entries(treeVkHashes).map(([k, v]) => [k, hex(v)])),
  };
}

/** The 'rollup' task kind: an agent rebuilds the node's rollup block task from its spec. */
registerTaskFactory('rollup', async (data, plan) => {
  const d = data as RollupSpecData;
  if (!d || !Array.isArray(d.preState?.accounts) || !Array.isArray(d.txs) || typeof d.recipient !== 'string') throw new Error('expected {preState: {accounts}, txs: [hex], recipient}');
  const txs = d.txs.map((t, i) => {
    if (typeof t !== 'string' || !/^[0-9a-f]*$/i.test(t)) throw new Error(`tx ${i} is not hex`);
    return decodeSignedTx(Buffer.from(t, 'hex'));
  });
  if (txs.length !== plan.txCount) throw new Error(`the plan is for ${plan.txCount} txs, the block has ${txs.length}`);
  const preState = await WorldState.fromJSON(d.preState);
  const vkHashes = d.vkHashes ? { first: BigInt(d.vkHashes.first), rec: BigInt(d.vkHashes.rec) } : undefined;
  if (d.treeVkHashes !== undefined && (typeof d.treeVkHashes !== 'object' || Object.values(d.treeVkHashes).some((v) => typeof v !== 'string' || !/^0x[0-9a-f]+$/i.test(v)))) {
    throw new Error('treeVkHashes must map circuit names to 0x-hex hashes');
  }
  const treeVkHashes = d.treeVkHashes && Object.fromEntries(Object.entries(d.treeVkHashes).map(([k, v]) => [k, BigInt(v)]));
  return rollupBlockTask({ blockHash: plan.blockHash, slot: plan.slot, preState, txs, recipient: d.recipient }, { plan, vkHashes, treeVkHashes });
});
