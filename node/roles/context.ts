// What every role sees: the L1 client, the derived L2 chain, the node's key, the shared book of
// final proofs, and a per-tick view of L1 (head, current slot and phase). Roles never call each
// other; they meet in the proof book and the chain.
import { EventEmitter } from 'node:events';
import type { ChainSync } from '../chain/index.js';
import type { Phase, SidecarClient, SidecarConfig } from '../l1/client.js';
import type { Logger } from '../log.js';
import type { NodeMetrics } from '../metrics.js';
import type { BlockProof } from '../../prover/types.js';

export interface L1View {
  /** the L1 head block (a tx sent now lands in head + 1) */
  head: number;
  slot: number;
  phase: Phase;
}

/** A final proof this node knows for a slot's canonical block: verified, never taken on trust. */
export interface KnownProof {
  slot: number;
  blockHash: string;
  proof: BlockProof;
  /** where it came from: this node's prover (checked by it), or a gossip peer (verified here before it got in) */
  source: 'local' | 'p2p';
  /** the gossip peer it came from (p2p) */
  from?: string;
  knownAt: number;
}

/**
 * Verified final proofs by slot (one per slot: the canonical block's), shared by the prover and
 * the market (writers) and the submitter (reader). Only verified proofs go in. Nothing from the
 * network displaces a proof already here for the same block, and the node's own proof always wins:
 * it replaces a peer's (both verify; ours is the one we can vouch for).
 */
export class ProofBook extends EventEmitter {
  private readonly bySlot = new Map<number, KnownProof>();
  add(p: KnownProof): boolean {
    const prev = this.bySlot.get(p.slot);
    if (prev && prev.blockHash === p.blockHash && (prev.source === 'local' || p.source === 'p2p')) return false;
    this.bySlot.set(p.slot, p);
    this.emit('proof', p);
    return true;
  }
  get(slot: number): KnownProof | undefined { return this.bySlot.get(slot); }
  /** A verified proof of this very block is here. */
  has(slot: number, blockHash: string): boolean { return this.bySlot.get(slot)?.blockHash === blockHash.toLowerCase(); }
  /** The proof by its root job id (req/resp `proof_by_id`), 0x-hex or plain. */
  byRootJob(id: string): KnownProof | undefined {
    const want = id.toLowerCase().replace(/^0x/, '');
    for (const p of this.bySlot.values()) if (p.proof.rootJob.toLowerCase().replace(/^0x/, '') === want) return p;
    return undefined;
  }
  delete(slot: number): void { this.bySlot.delete(slot); }
  /** Takes out exactly this proof (not another that replaced it meanwhile). */
  remove(p: KnownProof): void { if (this.bySlot.get(p.slot) === p) this.bySlot.delete(p.slot); }
  all(): KnownProof[] { return [...this.bySlot.values()].sort((a, b) => a.slot - b.slot); }
}

/** Things worth a line on the terminal and an API entry (per slot). */
export type NodeEvent =
  | {
    type: 'proposed' | 'revealed' | 'committed'; slot: number; blockHash: string; txs: number; prover?: string; l1Block: number;
    /** proposed: a smaller block (at most `smaller.txs`, what this node can prove in time; more were ready) */
    smaller?: { txs: number; reason: string };
  }
  | { type: 'skipped'; slot: number; reason: string }
  | { type: 'proving'; slot: number; blockHash: string; jobs: number; done: number }
  | { type: 'proved'; slot: number; blockHash: string; circuit: string; ms: number }
  | { type: 'prove-failed'; slot: number; blockHash: string; reason: string; /** failed: the prover's fault (the circuit breaker counts it) */ cause?: 'failed' | 'cancelled' | 'withheld' }
  | {
    type: 'submitted'; slot: number; txHash: string; gasUsed: string; l1Block: number;
    /** a range proof: the last slot it settled (slot..to) and its circuit (range_2 | range_4) */
    to?: number; circuit?: string; blocks?: number;
  }
  | { type: 'aggregation'; slot: number; action: 'aggregate' | 'alone'; n: number; why: string; savedGas?: string }
  | { type: 'submit-skipped'; slot: number; reason: string }
  | { type: 'slashed'; slot: number; txHash: string }
  | { type: 'withdrawn'; amount: string; to: string }
  | { type: 'l1-error'; role: string; call: string; code: string; message: string };

export interface RoleContext {
  client: SidecarClient;
  chain: ChainSync;
  config: SidecarConfig;
  /** this node's L1 address (checksummed) */
  address: string;
  proofs: ProofBook;
  log: Logger;
  metrics: NodeMetrics;
  emit(e: NodeEvent): void;
}

/** The contract error name of an L1Error (or the error's code), for logs and decisions. */
export function l1Code(e: unknown): string {
  const x = e as { code?: string; message?: string };
  return typeof x?.code === 'string' ? x.code : 'error';
}

/** Runs `fn` unless the previous run is still going (roles' ticks never overlap themselves). */
export class Serial {
  private running = false;
  private queued?: { fn: () => Promise<void>; onError: (e: unknown) => void };
  /** `again`: if a run is going on, run `fn` once more right after it (instead of dropping it) */
  async run(fn: () => Promise<void>, onError: (e: unknown) => void, again = false): Promise<void> {
    if (this.running) {
      if (again) this.queued = { fn, onError };
      return;
    }
    this.running = true;
    try {
      await fn();
    } catch (e) {
      onError(e);
    } finally {
      this.running = false;
      const q = this.queued;
      this.queued = undefined;
      if (q) void this.run(q.fn, q.onError);
    }
  }
}
