// The submitter: as soon as a checked final proof of a pending canonical block is known (own or
// from gossip) and L1 accepts it (proof window open, parent proven), submit it: pre-flight,
// skip when the block is already proven, log the expected profit (submission reward vs gas),
// never two submissions of one slot in flight, never again after one landed. A proof tx not
// mined within `resend.afterBlocks` L1 blocks is resent with the same nonce and higher fees (up to
// `resend.maxFeePerGas`; node/l1/sender.ts), so at most one of its versions lands. It submits
// only what is in the proof book (verified proofs); a proof L1 refuses (`InvalidProof`) is
// counted, logged, taken out of the book and never sent again (its bytes are remembered).
//
// A final proof names its reward recipient (its last public input; L1 pays the submission reward
// to it, whoever sends the tx). The submitter lands the proofs that name this node at once. A
// proof naming someone else earns this node nothing: it is landed only as a rescue, from
// `rescueBlocks` before the deadline, so that a block (and every block built on it) is not slashed
// because its prover went offline after sharing its proof. During a block's exclusive window
// (`slotTiming.exclusiveUntil`) only a proof naming the block's committed prover can land.
import { createHash } from 'node:crypto';
import type { ReplaceOptions } from '../l1/sender.js';
import type { BlockProof } from '../../prover/types.js';
import { submitDecision } from './decisions.js';
import { l1Code, type KnownProof, type L1View, type RoleContext } from './context.js';
import { proofRecipient } from './proof-check.js';
import type { Aggregator } from './aggregator.js';

/** Turns a final proof into the proof bytes `submitProofRange` takes for this deployment's verifier. */
export type L1ProofEncoder = (slot: number, p: BlockProof, to?: number) => Promise<{ proof: Uint8Array | string }>;

export interface SubmitterOptions {
  /** resend a stuck proof tx with a higher fee; false = never (default: after 3 blocks, cap 200 gwei) */
  resend?: ReplaceOptions | false;
  /** land a proof naming another recipient from this many L1 blocks before the deadline (default 3) */
  rescueBlocks?: number;
  /** warn (log, `sidecar_submitter_proofs_at_risk`) when a known proof's block is not proven this many L1 blocks before its deadline (default 4) */
  warnBlocks?: number;
  /** aggregation of this node's consecutive blocks into range proofs (node/roles/aggregator.ts); none: every block alone */
  aggregator?: Aggregator;
}

export const DEFAULT_RESEND: ReplaceOptions = { afterBlocks: 3, maxFeePerGas: 200n * 10n ** 9n };

export class Submitter {
  private readonly inFlight = new Set<number>();
  private readonly landed = new Set<number>();
  private readonly retryAt = new Map<number, number>();
  /** sha256 of proof ‖ public inputs that L1 refused: never sent again */
  private readonly refused = new Set<string>();
  /** slot → ms from "final proof known" to "tx sent" (bench figure) */
  readonly knownToSentMs = new Map<number, number>();

  private readonly resend: ReplaceOptions | undefined;
  private readonly rescueBlocks: number;
  private readonly warnBlocks: number;
  private readonly agg?: Aggregator;
  /** slots at risk at the last tick (proof known, block pending near the deadline), each warned once while at risk */
  private readonly atRisk = new Set<number>();

  constructor(private readonly ctx: RoleContext, private readonly encode: L1ProofEncoder, opts: SubmitterOptions = {}) {
    this.resend = opts.resend === false ? undefined : opts.resend ?? DEFAULT_RESEND;
    this.rescueBlocks = opts.rescueBlocks ?? 3;
    this.warnBlocks = opts.warnBlocks ?? 4;
    this.agg = opts.aggregator;
  }

  async tick(v: L1View): Promise<void> {
    const { client, chain } = this.ctx;
    const known = this.ctx.proofs.all();
    if (!known.length) { this.noteRisk(new Map(), v.head); return; }
    await this.agg?.prune();
    const cs = await client.chainState();
    const risky = new Map<number, KnownProof>();
    for (const k of known) {
      if (this.landed.has(k.slot)) continue;
      if (this.refused.has(proofKey(k.proof))) { this.ctx.proofs.remove(k); continue; }
      const c = await chain.block(k.slot);
      if (!c || c.blockHash?.toLowerCase() !== k.blockHash.toLowerCase() || c.status !== 'pending') {
        if (c && c.status !== 'pending') this.ctx.proofs.delete(k.slot);
        continue;
      }
      const recipient = proofRecipient(k.proof.publicInputs);
      if (!recipient) { this.ctx.proofs.remove(k); continue; } // (the proof book holds checked proofs only)
      const t = await client.slotTiming(k.slot);
      // at risk whatever holds it back: a parent not proven, a retry, or a tx of ours stuck in flight
      if (v.head >= t.deadline - this.warnBlocks && v.head < t.deadline) risky.set(k.slot, k);
      if (this.inFlight.has(k.slot)) continue;
      if (BigInt(c.parentSlot) !== cs.lastProvenSlot) continue; // its parent must be proven first
      if ((this.retryAt.get(k.slot) ?? 0) > v.head) continue;
      const go = submitDecision({
        pending: true, parentSlot: Number(c.parentSlot), lastProvenSlot: Number(cs.lastProvenSlot), head: v.head, proofsFrom: t.proofsFrom, deadline: t.deadline,
        exclusiveUntil: t.exclusiveUntil, recipient, me: this.ctx.address.toLowerCase(), prover: c.prover?.toLowerCase() ?? '', rescueBlocks: this.rescueBlocks,
      });
      if (!go.submit) continue;
      // this node's own block: alone now, or wait for a range (its own proof stays the fallback)
      if (this.agg && recipient === this.ctx.address.toLowerCase()) {
        const a = await this.agg.consider(k.slot, v, t.deadline);
        if (a.kind === 'wait') continue;
        if (a.kind === 'range') {
          if (a.slots.some((s) => this.inFlight.has(s) || this.landed.has(s))) continue;
          for (const s of a.slots) this.inFlight.add(s);
          void this.submitRange(a, v).finally(() => { for (const s of a.slots) this.inFlight.delete(s); });
          continue;
        }
      }
      this.inFlight.add(k.slot);
      void this.submit(k, v).finally(() => this.inFlight.delete(k.slot));
    }
    this.noteRisk(risky, v.head);
  }

  private async submit(k: KnownProof, v: L1View): Promise<void> {
    const { client, chain, log, config } = this.ctx;
    try {
      if ((await client.blockStatus(k.slot)) === 'Proven') {
        this.landed.add(k.slot);
        this.ctx.emit({ type: 'submit-skipped', slot: k.slot, reason: 'already proven' });
        return;
      }
      const recipient = proofRecipient(k.proof.publicInputs)!;
      const { proof } = await this.encode(k.slot, k.proof);
      const feeData = await client.provider.getFeeData();
      this.knownToSentMs.set(k.slot, Date.now() - k.knownAt); // the send starts now (pre-flight, sign, broadcast)
      const sent = await client.submitProofRange(k.slot, k.slot, recipient, proof, this.resend ? { replace: this.resend } : undefined);
      this.landed.add(k.slot);
      const gasCost = sent.gasUsed * (feeData.gasPrice ?? 0n);
      const mine = recipient === this.ctx.address.toLowerCase();
      log.info({ slot: k.slot, recipient, rescue: !mine, gasUsed: String(sent.gasUsed), gasCostWei: String(gasCost), rewardTokens: mine ? String(config.submissionReward) : '0' }, mine ? 'proof submitted (reward in tokens, gas in wei)' : "proof submitted as a rescue (it names another recipient: the reward is theirs)");
      this.ctx.metrics.l1Txs.inc({ call: 'submitProofRange', outcome: 'ok' });
      await chain.notePublished(k.slot).catch(() => undefined);
      this.ctx.emit({ type: 'submitted', slot: k.slot, txHash: sent.hash, gasUsed: String(sent.gasUsed), l1Block: sent.blockNumber });
    } catch (e) {
      const code = l1Code(e);
      this.ctx.metrics.l1Txs.inc({ call: 'submitProofRange', outcome: code });
      if (code === 'BlockNotPending') {
        this.landed.add(k.slot); // someone else was first, or it was slashed
        this.ctx.emit({ type: 'submit-skipped', slot: k.slot, reason: (e as Error).message });
        return;
      }
      if (code === 'InvalidProof') {
        // L1's verifier disagrees with ours (a verifier or CRS mismatch): these bytes never go again
        this.refused.add(proofKey(k.proof));
        this.ctx.proofs.remove(k);
        this.ctx.metrics.refusedProofs.inc();
        log.error({ slot: k.slot, source: k.source, from: k.from, circuit: k.proof.circuit, refused: this.refused.size }, 'L1 refused this final proof (InvalidProof); it will not be submitted again');
        this.ctx.emit({ type: 'l1-error', role: 'submitter', call: 'submitProofRange', code, message: (e as Error).message });
        return;
      }
      this.retryAt.set(k.slot, v.head + 2);
      this.ctx.emit({ type: 'l1-error', role: 'submitter', call: 'submitProofRange', code, message: (e as Error).message });
      log.warn({ err: e, slot: k.slot }, 'submitProofRange failed; will retry');
    }
  }

  /** One submitProofRange(from, to) with a checked range proof naming this node; every block of it settles. */
  private async submitRange(r: { from: number; to: number; slots: number[]; proof: BlockProof }, v: L1View): Promise<void> {
    const { client, chain, log, config } = this.ctx;
    try {
      const { proof } = await this.encode(r.from, r.proof, r.to);
      const sent = await client.submitProofRange(r.from, r.to, this.ctx.address, proof, this.resend ? { replace: this.resend } : undefined);
      for (const s of r.slots) this.landed.add(s);
      this.agg?.noteGas(r.slots.length, sent.gasUsed);
      log.info({ from: r.from, to: r.to, blocks: r.slots.length, circuit: r.proof.circuit, gasUsed: String(sent.gasUsed), gasPerBlock: String(sent.gasUsed / BigInt(r.slots.length)), rewardTokens: String(config.submissionReward * BigInt(r.slots.length)) },
        `range proof submitted: slots ${r.from}..${r.to} (${r.slots.length} blocks) in one verification`);
      this.ctx.metrics.l1Txs.inc({ call: 'submitProofRange', outcome: 'ok' });
      for (const s of r.slots) await chain.notePublished(s).catch(() => undefined);
      this.ctx.emit({ type: 'submitted', slot: r.from, to: r.to, blocks: r.slots.length, circuit: r.proof.circuit, txHash: sent.hash, gasUsed: String(sent.gasUsed), l1Block: sent.blockNumber });
    } catch (e) {
      const code = l1Code(e);
      this.ctx.metrics.l1Txs.inc({ call: 'submitProofRange', outcome: code });
      // the blocks' own proofs are still in the book: the next tick lands them alone if the range cannot land
      this.retryAt.set(r.from, v.head + 1);
      this.agg?.failed(r.slots, `${code}: ${(e as Error).message.split('\n')[0]}`);
      this.ctx.emit({ type: 'l1-error', role: 'submitter', call: 'submitProofRange', code, message: (e as Error).message });
      log.warn({ err: e, from: r.from, to: r.to }, 'submitting the range proof failed; the blocks\' own proofs remain');
    }
  }

  /**
   * The blocks whose proof is known but still pending `warnBlocks` before the deadline (L1 congestion,
   * a fee cap too low, a stuck tx): each is warned once while at risk; the gauge is this tick's count.
   */
  private noteRisk(risky: Map<number, KnownProof>, head: number): void {
    for (const [slot, k] of risky) {
      if (this.atRisk.has(slot)) continue;
      this.ctx.log.warn({ slot, head, inFlight: this.inFlight.has(slot), source: k.source }, 'a final proof is known but its block is not proven on L1 yet, close to the deadline (L1 congestion or a stuck submission?)');
    }
    this.atRisk.clear();
    for (const slot of risky.keys()) this.atRisk.add(slot);
    this.ctx.metrics.proofsAtRisk.set(this.atRisk.size);
  }

  /** Slots whose proof this node landed on L1. */
  get submitted(): number[] { return [...this.landed].sort((a, b) => a - b); }

  /** How many distinct proofs L1 refused. */
  get refusedCount(): number { return this.refused.size; }
}

/** Identity of a proof's bytes (proof and public inputs). */
function proofKey(p: Pick<BlockProof, 'proof' | 'publicInputs'>): string {
  const h = createHash('sha256').update(p.proof);
  for (const x of p.publicInputs) h.update(x.toLowerCase());
  return h.digest('hex');
}
