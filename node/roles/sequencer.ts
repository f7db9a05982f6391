// The sequencer: stakes once, then each slot builds a block from the mempool on the pending
// L2 state, proposes it with its tip and reward share, reveals it, and commits a prover with a
// deposit. It never commits a deposit on a block the chain says it cannot prove. Prover choice:
// `chooseProver` (the RFQ, when configured) or itself (self-prove, sequencer-funded deposit).
//
// Fallbacks (SPEC §5, docs/design.md "Sequencer fallbacks"): with no acceptable quote it
// self-proves when its own prover can finish the block before the deadline, else it commits
// nothing. A proposal is sealed and one per slot, so the smaller block is the next one: when
// self-proving is what it will rely on (no RFQ, or the last RFQ brought no acceptable quote)
// it proposes at most `selfProvableTxs` txs, the largest block its prover finishes in time.
// The txs of a block that got no prover, or lost its slot to another sequencer's block, go
// back into the mempool once the slot's commitment phase is over (MempoolKeeper).
//
// Own blocks are persisted (`sequencer.proposals`, with a store) before the propose tx is sent
// and on every stage change, and restored by `restore()` on start: a block whose reveal phase is
// still open is revealed by the next tick; one past it gives its txs back (the `reclaim` path).
// A record is deleted once its block is settled (on the chain, or its txs back in the mempool).
import { MaxUint256 } from 'ethers';
import { z } from 'zod';
import { makeL1Block, blockHash as computeBlockHash, type L1Block, type Quote } from '../l1/block.js';
import { decodeSignedTx, encodeSignedTx, txHash, type SignedTx } from '../../circuits/l2/index.js';
import type { Mempool } from '../mempool/index.js';
import { MempoolKeeper } from '../mempool/keeper.js';
import { padSlot } from '../chain/repos.js';
import { jsonCodec, type Repository, type Store } from '../storage/index.js';
import { l1Code, type L1View, type RoleContext } from './context.js';

const STAGES = ['proposing', 'proposed', 'revealed', 'committed', 'failed'] as const;

/** An own block on disk: what reveal, commit and requeue need (the L1 block is rebuilt from it). */
export const OwnBlockRecordSchema = z.object({
  slot: z.number().int().nonnegative(),
  blockHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  startRoot: z.bigint(), endRoot: z.bigint(),
  /** signed txs (body ‖ signature), in block order */
  txs: z.array(z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === 96, 'expected a 96-byte signed tx')),
  /** 'proposing': written before the propose tx was sent (it may or may not have landed) */
  stage: z.enum(STAGES),
  held: z.boolean(),
  prover: z.string().optional(),
  slotSeenAt: z.number(),
  limitedTo: z.number().int().nonnegative().optional(),
});
export type OwnBlockRecord = z.infer<typeof OwnBlockRecordSchema>;

/** A stored value that does not decode: restore skips it with a warning. */
export interface CorruptRecord { corrupt: string }

/** `sequencer.proposals`: zero-padded slot → own block (or what was wrong with the stored value). */
export function sequencerProposalsRepo(store: Store): Repository<OwnBlockRecord | CorruptRecord> {
  const json = jsonCodec<OwnBlockRecord>((v) => {
    const r = OwnBlockRecordSchema.safeParse(v);
    if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; '));
    return r.data;
  });
  return store.repository<OwnBlockRecord | CorruptRecord>('sequencer.proposals', {
    name: 'sequencer-own-block-json',
    encode: (v) => {
      if ('corrupt' in v) throw new Error(`cannot store a corrupt own block record (${v.corrupt})`);
      return json.encode(v);
    },
    decode: (b) => {
      try {
        return json.decode(b);
      } catch (e) {
        return { corrupt: (e as Error).message };
      }
    },
  });
}

export function ownBlockToRecord(own: OwnBlock, stage: OwnBlockRecord['stage'] = own.stage): OwnBlockRecord {
  return {
    slot: own.slot, blockHash: own.blockHash, startRoot: own.block.startRoot, endRoot: own.block.endRoot,
    txs: own.txs.map(encodeSignedTx), stage, held: own.held, prover: own.prover, slotSeenAt: own.slotSeenAt, limitedTo: own.limitedTo,
  };
}

/** The own block a record describes; throws when it does not rebuild to its block hash. */
export function ownBlockFromRecord(r: OwnBlockRecord): OwnBlock {
  const txs = r.txs.map(decodeSignedTx);
  const block = makeL1Block(r.slot, r.startRoot, r.endRoot, txs);
  const hash = computeBlockHash(block).toLowerCase();
  if (hash !== r.blockHash) throw new Error(`its txs and roots make block ${hash}, not the recorded ${r.blockHash}`);
  return {
    slot: r.slot, block, blockHash: hash, txs, hashes: txs.map((t) => txHash(t).toLowerCase()),
    // a propose that may have been sent counts as sent: the reveal fails harmlessly if it was not
    stage: r.stage === 'proposing' ? 'proposed' : r.stage,
    held: r.held, prover: r.prover, slotSeenAt: r.slotSeenAt, limitedTo: r.limitedTo,
  };
}

export interface SequencerOptions {
  tip: bigint;
  rewardShareBps: number;
  maxTxs: number;
  /** deposit for a self-proved block (at least the contract minimum) */
  deposit: bigint;
  /** this node proves its own blocks when no quote is chosen */
  selfProve: boolean;
  /** before self-proving: undefined when this node's prover can finish before `deadline`, else why not */
  canSelfProve?: (deadline: number, head: number, txCount: number) => string | undefined;
  /** the most txs this node's prover can prove before `deadline` (its measured speed and load); undefined = no bound known */
  selfProvableTxs?: (deadline: number, head: number) => number | undefined;
  /** propose only when this accepts the slot (the devnet's turn-taking and block budget, a test's
   *  chosen slot; node/devnet/turns.ts); undefined = every slot the node is eligible for */
  policy?: ProposalPolicy;
  /** an RFQ, started once the block is revealed: resolves at L1 block `quoteDeadlineBlock` with the
   *  signed quote to commit with, or undefined (then self-prove if allowed) */
  chooseProver?: (slot: number, blockHash: string, quoteDeadlineBlock: number) => Promise<{ quote: Quote; signature: string } | undefined>;
}

/** Which slots a sequencer proposes in: devnets and tests pass one in; a production node has none. */
export interface ProposalPolicy {
  /** asked on every proposal-phase tick of a slot this node has no block for yet */
  mayPropose(slot: number): boolean;
}

type Stage = 'proposed' | 'revealed' | 'committed' | 'failed';
export interface OwnBlock {
  slot: number;
  block: L1Block;
  blockHash: string;
  txs: SignedTx[];
  hashes: string[];
  stage: Stage;
  prover?: string;
  /** wall-clock ms when the slot's proposal phase was first seen (slot-to-verified latency) */
  slotSeenAt: number;
  /** its txs left the mempool (proposed) and have not come back or settled yet */
  held: boolean;
  /** txs left out to keep the block provable by this node in time (smaller-block fallback) */
  limitedTo?: number;
}

export class Sequencer {
  readonly blocks = new Map<number, OwnBlock>();
  private readonly rfqs = new Map<number, Promise<{ quote: Quote; signature: string } | undefined>>();
  private staked = false;
  private seenAt = new Map<number, number>();
  /** slots skipped and why */
  readonly skipped = new Map<number, string>();
  /** own blocks whose txs went back to the mempool (reason: not-committed, lost-slot) */
  readonly requeued: { slot: number; reason: string; requeued: string[]; skipped: string[] }[] = [];
  /** the last RFQ brought no acceptable quote: size the next block for self-proving */
  private noQuoteLast = false;
  readonly keeper: MempoolKeeper;
  /** own blocks on disk (undefined: memory only) */
  readonly repo?: Repository<OwnBlockRecord | CorruptRecord>;

  constructor(private readonly ctx: RoleContext, private readonly mempool: Mempool, private readonly o: SequencerOptions, keeper?: MempoolKeeper, store?: Store) {
    this.keeper = keeper ?? new MempoolKeeper(mempool, ctx);
    if (store) this.repo = sequencerProposalsRepo(store);
  }

  /**
   * Loads the persisted own blocks (call before the first tick, after the mempool is restored):
   * their txs leave the mempool again while the block holds them; the ticks then reveal, commit
   * or requeue them as if the node had never stopped. A record that does not decode or rebuild
   * is skipped with a warning (its txs, if any, stay wherever the mempool has them).
   */
  async restore(): Promise<OwnBlock[]> {
    if (!this.repo) return [];
    const out: OwnBlock[] = [];
    const bad: string[] = [];
    for await (const [key, r] of this.repo.entries()) {
      let own: OwnBlock;
      try {
        if ('corrupt' in r) throw new Error(r.corrupt);
        own = ownBlockFromRecord(r);
      } catch (e) {
        this.ctx.log.warn({ key }, `skipping corrupt own block record sequencer.proposals/${key}: ${(e as Error).message}`);
        bad.push(key);
        continue;
      }
      if (this.blocks.has(own.slot)) continue;
      this.blocks.set(own.slot, own);
      if (own.held) this.mempool.remove(own.hashes); // the block holds them (the mempool may have kept them)
      out.push(own);
      this.ctx.log.info({ slot: own.slot, blockHash: own.blockHash, stage: own.stage, txs: own.txs.length }, `restored own block of slot ${own.slot} (${own.stage})`);
    }
    for (const k of bad) await this.repo.del(k).catch(() => undefined);
    return out;
  }

  /** Writes (or, once settled, deletes) an own block's record. */
  private async save(own: OwnBlock): Promise<void> {
    if (!this.repo) return;
    const key = padSlot(own.slot);
    try {
      // settled: on the chain, or its txs back in the mempool (or never taken out of it)
      if (!own.held) await this.repo.del(key);
      else await this.repo.put(key, ownBlockToRecord(own));
    } catch (e) {
      this.ctx.log.warn({ err: e, slot: own.slot }, `persisting own block of slot ${own.slot} failed: ${(e as Error).message}`);
    }
  }

  get proposedCount(): number { return [...this.blocks.values()].filter((b) => b.stage !== 'failed').length; }

  /** Stake the minimum and approve the token once (idempotent). */
  async setup(): Promise<void> {
    const { client, config, address } = this.ctx;
    await client.ensureAllowance(MaxUint256 / 2n);
    const s = await client.stakeOf(address);
    if (s.amount < config.minStake) {
      await client.stake(config.minStake - s.amount);
      this.ctx.log.info({ amount: String(config.minStake - s.amount) }, 'sequencer staked');
    }
    this.staked = true;
  }

  async tick(v: L1View): Promise<void> {
    if (!this.staked) await this.setup();
    if (!this.seenAt.has(v.slot)) this.seenAt.set(v.slot, Date.now());
    await this.reclaim(v);
    if (v.phase === 'Proposal') await this.propose(v);
    else if (v.phase === 'Reveal') await this.reveal(v);
    else if (v.phase === 'Commitment') await this.commit(v);
  }

  private async propose(v: L1View): Promise<void> {
    const { client, chain, address, log } = this.ctx;
    if (this.blocks.has(v.slot) || this.skipped.has(v.slot)) return;
    if (this.o.policy && !this.o.policy.mayPropose(v.slot)) return;
    if (!(await client.isEligible(address, v.slot))) return; // stake not active yet
    // the parent (last committed block) must be in the pending state before building on it
    await chain.syncTo(v.head);
    const state = chain.pendingState();
    const head = chain.head();
    if (v.slot <= head.killedUpTo) {
      // a slash rewound the chain past this slot: L1 refuses any proposal for it (SlotVoid)
      this.skip(v.slot, `slot ${v.slot} is void: the chain was rewound past it (up to slot ${head.killedUpTo})`);
      return;
    }
    if (!head.pending.provable) {
      this.skip(v.slot, `the pending chain is broken at slot ${head.pending.brokenAt}; not building on it`);
      return;
    }
    const limit = await this.sizeLimit(v);
    const max = limit === undefined ? this.o.maxTxs : Math.min(this.o.maxTxs, limit);
    const pick = this.mempool.select(state, max);
    if (pick.dropped.length) void this.keeper.evicted(pick.dropped).catch(() => undefined);
    // a propose that cannot land before the reveal phase starts would only revert (WrongPhase)
    const [timing, now] = await Promise.all([client.slotTiming(v.slot), client.blockNumber()]);
    if (now + 1 >= timing.revealStart) {
      this.skip(v.slot, `too late to propose: L1 #${now + 1} is past the proposal phase (ends before #${timing.revealStart})`);
      return;
    }
    const block = makeL1Block(v.slot, state.root(), pick.endState.root(), pick.txs);
    const hash = computeBlockHash(block).toLowerCase();
    const own: OwnBlock = { slot: v.slot, block, blockHash: hash, txs: pick.txs, hashes: pick.hashes, stage: 'proposed', slotSeenAt: this.seenAt.get(v.slot)!, held: false };
    if (max < this.o.maxTxs && this.mempool.select(state, max + 1).txs.length > max) {
      // more txs were ready: a smaller block this node can prove in time (the rest wait)
      own.limitedTo = max;
      log.info({ slot: v.slot, txs: max }, `proposing a smaller block: ${max} txs is what this node can prove in time`);
    }
    this.blocks.set(v.slot, own);
    if (this.repo) {
      // on disk before the commitment is on L1: a restart must be able to reveal it
      try {
        await this.repo.put(padSlot(v.slot), { ...ownBlockToRecord(own, 'proposing'), held: true });
      } catch (e) {
        own.stage = 'failed';
        this.skip(v.slot, `not proposing: the block could not be persisted (${(e as Error).message})`);
        return;
      }
    }
    try {
      const sent = await client.propose(v.slot, block, this.o.tip, this.o.rewardShareBps);
      this.mempool.remove(pick.hashes);
      own.held = true;
      await this.save(own);
      await chain.noteProposed(v.slot, hash, pick.hashes).catch(() => undefined);
      this.ctx.metrics.l1Txs.inc({ call: 'propose', outcome: 'ok' });
      const smaller = own.limitedTo === undefined ? undefined : { txs: own.limitedTo, reason: this.noQuoteLast ? 'no acceptable quote last slot: self-proving' : 'self-proving' };
      this.ctx.emit({ type: 'proposed', slot: v.slot, blockHash: hash, txs: pick.txs.length, l1Block: sent.blockNumber, smaller });
    } catch (e) {
      own.stage = 'failed';
      await this.save(own); // held is false: the txs never left the mempool
      this.ctx.metrics.l1Txs.inc({ call: 'propose', outcome: l1Code(e) });
      this.ctx.emit({ type: 'l1-error', role: 'sequencer', call: 'propose', code: l1Code(e), message: (e as Error).message });
      log.warn({ err: e, slot: v.slot }, 'propose failed');
    }
  }

  private async reveal(v: L1View): Promise<void> {
    const own = this.blocks.get(v.slot);
    if (!own || own.stage !== 'proposed') return;
    try {
      const sent = await this.ctx.client.reveal(own.block);
      own.stage = 'revealed';
      await this.save(own);
      this.ctx.metrics.l1Txs.inc({ call: 'reveal', outcome: 'ok' });
      if (this.o.chooseProver) {
        // the RFQ runs while the reveal phase ends: quotes are in when the commitment phase opens
        const t = await this.ctx.client.slotTiming(v.slot);
        const rfq = this.o.chooseProver(v.slot, own.blockHash, Math.max(t.commitStart, sent.blockNumber + 2)).catch((e) => {
          this.ctx.log.warn({ err: e, slot: v.slot }, 'RFQ failed');
          return undefined;
        });
        this.rfqs.set(v.slot, rfq);
      }
      this.ctx.emit({ type: 'revealed', slot: v.slot, blockHash: own.blockHash, txs: own.txs.length, l1Block: sent.blockNumber });
    } catch (e) {
      own.stage = 'failed';
      await this.save(own);
      this.fail('reveal', v.slot, e);
    }
  }

  private async commit(v: L1View): Promise<void> {
    const { client, chain, address } = this.ctx;
    const own = this.blocks.get(v.slot);
    if (!own || own.stage !== 'revealed') return;
    own.stage = 'committed'; // one attempt per slot: never two commitments
    await this.save(own);
    await chain.syncTo(v.head);
    const can = await chain.canProve(v.slot, address);
    if (!can.ok) {
      own.stage = 'failed';
      this.skip(v.slot, `not committing: ${can.reason}`);
      return;
    }
    try {
      const timing = await client.slotTiming(v.slot);
      const bought = await this.rfqs.get(v.slot);
      this.rfqs.delete(v.slot);
      if (this.o.chooseProver) this.noQuoteLast = !bought;
      let sent;
      if (bought) {
        sent = await client.commitProverWithQuote(v.slot, bought.quote, bought.signature);
        own.prover = bought.quote.prover;
      } else if (this.o.selfProve) {
        const cannot = this.o.canSelfProve?.(timing.deadline, await client.blockNumber(), own.txs.length);
        if (cannot) {
          own.stage = 'failed';
          this.skip(v.slot, `not committing: ${cannot}`);
          return;
        }
        sent = await client.commitProver(v.slot, address, this.o.deposit);
        own.prover = address;
      } else {
        own.stage = 'failed';
        this.skip(v.slot, 'no acceptable quote and self-proving is off');
        return;
      }
      await this.save(own);
      this.ctx.metrics.l1Txs.inc({ call: 'commitProver', outcome: 'ok' });
      this.ctx.emit({ type: 'committed', slot: v.slot, blockHash: own.blockHash, txs: own.txs.length, prover: own.prover, l1Block: sent.blockNumber });
    } catch (e) {
      own.stage = 'failed';
      this.fail('commitProver', v.slot, e);
    }
  }

  /**
   * The most txs the next block may hold, or undefined for no bound: when this node will prove
   * it itself (self-proving, and no RFQ or the last RFQ brought no acceptable quote), what its
   * prover can finish before the slot's deadline.
   */
  private async sizeLimit(v: L1View): Promise<number | undefined> {
    if (!this.o.selfProve || !this.o.selfProvableTxs) return undefined;
    if (this.o.chooseProver && !this.noQuoteLast) return undefined; // the market may take the full block
    const t = await this.ctx.client.slotTiming(v.slot);
    const n = this.o.selfProvableTxs(t.deadline, v.head);
    return n === undefined ? undefined : Math.max(0, Math.floor(n));
  }

  /**
   * Own blocks that will not be on the chain give their txs back to the mempool: a failed
   * reveal or commitment, no prover committed, a slot missed, or (once the slot's commitment
   * phase is over) another sequencer's block won the slot.
   */
  private async reclaim(v: L1View): Promise<void> {
    for (const own of this.blocks.values()) {
      if (!own.held) continue;
      let reason: string | undefined;
      if (own.stage === 'failed') reason = 'not-committed';
      else if (v.slot > own.slot && own.stage !== 'committed') reason = 'not-committed';
      else if (v.slot > own.slot) {
        await this.ctx.chain.syncTo(v.head);
        const c = await this.ctx.chain.block(own.slot);
        if (c?.blockHash?.toLowerCase() === own.blockHash) { own.held = false; await this.save(own); continue; } // on the chain: slashes are the keeper's
        reason = 'lost-slot';
      }
      if (!reason) continue;
      own.held = false;
      await this.ctx.chain.syncTo(v.head);
      const r = await this.keeper.requeue(own.txs, reason, { slot: own.slot, blockHash: own.blockHash });
      await this.save(own);
      this.requeued.push({ slot: own.slot, reason, requeued: r.requeued, skipped: r.skipped.map((x) => x.hash) });
    }
  }

  private skip(slot: number, reason: string): void {
    this.skipped.set(slot, reason);
    this.ctx.log.warn({ slot }, reason);
    this.ctx.emit({ type: 'skipped', slot, reason });
  }

  private fail(call: string, slot: number, e: unknown): void {
    this.ctx.metrics.l1Txs.inc({ call, outcome: l1Code(e) });
    this.ctx.emit({ type: 'l1-error', role: 'sequencer', call, code: l1Code(e), message: (e as Error).message });
    this.ctx.log.warn({ err: e, slot }, `${call} failed`);
  }
}
