// Rollup blocks as orchestrator tasks: the plan from circuits/plan.ts, the block executed
// and every segment's inputs built ahead (`prepare`, main thread, while earlier segments
// prove), the previous segment's proof/vk fields spliced in when its proof exists
// (`request`), and each returned proof's public inputs checked against the expected ones
// before anything uses it (`check`).
import { blockWitness, planBlock, segmentInputs, type BlockWitness, type ChainVkHashes, type CostModel, type ProofPlan } from '../circuits/plan.js';
import type { SignedTx, WorldState } from '../circuits/l2/index.js';
import type { BlockTask } from './orchestrator.js';
import { JobError, type ProofJob, type ProveRequest } from './types.js';

const HONK_PROOF_FIELDS = 456;
const HONK_VK_FIELDS = 128;

/** A block to prove: its txs on the state before it. */
export interface RollupBlock {
  blockHash: string;
  slot: bigint;
  /** The L2 state before the block (not modified). */
  preState: WorldState;
  txs: readonly SignedTx[];
  /** L1 proving deadline (block number; smaller = sooner). */
  deadline?: number;
  /** Abort on reorg / slash. */
  signal?: AbortSignal;
}

export interface RollupTaskOptions {
  /** Default: planBlock(block, costModel). */
  plan?: ProofPlan;
  costModel?: CostModel;
  /** The chain's vk hashes (what the final circuit pins; ProverPool.circuitInfo('final_8').vkHashes). */
  vkHashes?: ChainVkHashes;
}

interface Prepared { inputs: Record<string, unknown>; publicInputs: bigint[] }

const hex = (x: bigint) => `0x${x.toString(16).padStart(64, '0')}`;

export function rollupPlan(block: Pick<RollupBlock, 'blockHash' | 'slot' | 'txs'>, costModel?: CostModel): ProofPlan {
  return planBlock({ blockHash: block.blockHash, slot: block.slot, txCount: block.txs.length }, costModel);
}

export function rollupBlockTask(block: RollupBlock, opts: RollupTaskOptions = {}): BlockTask {
  const plan = opts.plan ?? rollupPlan(block, opts.costModel);
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
  return {
    plan,
    deadline: block.deadline,
    signal: block.signal,
    prepare(job: ProofJob): Prepared {
      const needsPrev = job.kind === 'rec' || job.kind === 'final';
      if (needsPrev && !opts.vkHashes) throw new JobError('bad-input', `a ${job.kind} segment needs the chain's vk hashes (RollupTaskOptions.vkHashes)`);
      const s = segmentInputs(plan, job, execute(), { prevProof: needsPrev ? placeholder : undefined, vkHashes: opts.vkHashes });
      return { inputs: s.inputs as Record<string, unknown>, publicInputs: s.publicInputs };
    },
    request(job, deps, prepared): ProveRequest {
      const p = prepared as Prepared;
      const inputs = { ...p.inputs };
      if (job.kind === 'rec' || job.kind === 'final') {
        const prev = deps[0];
        if (!prev?.proofFields || !prev.vkFields) throw new JobError('bad-input', `${job.circuit}: the previous segment's proof has no recursive fields`, { jobId: job.id });
        inputs.prev_proof = prev.proofFields;
        inputs.prev_vk = prev.vkFields;
      }
      return { jobId: job.id, circuit: { name: job.circuit }, inputs, flavour: job.flavour };
    },
    check(job, result, prepared) {
      const expected = (prepared as Prepared).publicInputs;
      const got = result.publicInputs.slice(0, expected.length).map((x) => BigInt(x));
      if (got.length !== expected.length || got.some((g, i) => g !== expected[i])) {
        throw new JobError('prove', `${job.circuit}: the proof's public inputs [${got.map(hex).join(', ')}] are not the expected [${expected.map(hex).join(', ')}]`, { jobId: job.id, circuit: job.circuit });
      }
    },
  };
}
