// Fault plans for devnets and tests (never set on a production node): which proofs the prover
// role withholds on purpose, so the watcher's slash and the reorg after it can be seen.
import type { ProverFaultPlan } from '../roles/prover.js';

/**
 * Withholds the proof of every `k`-th block committed to this prover (devnet --withhold-every K):
 * the k-th, 2k-th, ... by the block's ordinal among the prover's commitments on L1 (the node's
 * chain store), so a restarted prover withholds exactly the blocks it meant to before the kill.
 */
export function withholdEvery(k: number): ProverFaultPlan | undefined {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`withholdEvery: k must be an integer >= 0, got ${k}`);
  if (k === 0) return undefined;
  return {
    async withhold(b, chain) {
      const ordinal = await chain.committedTo(b.prover, b.slot);
      return ordinal > 0 && ordinal % k === 0;
    },
  };
}
