// The roles' decisions as pure functions (no I/O, no clock): the node's roles call them with what
// they read from L1 and their own state, and `sidecar simulate` (node/sim/) calls the same
// functions for its lightweight actors, so a change here changes both.
//  - prover: does one more block fit before the deadline (fitsInTime, largestFitting), what fee
//    to quote (quoteFee);
//  - sequencer: which quotes are acceptable, cheapest first (acceptableQuotes);
//  - submitter: may a known proof be submitted now (submitDecision);
//  - watcher: is the oldest pending block due for a slash (slashDue).

// ---------------------------------------------------------------- prover

export interface FitInput {
  /** this prover's estimated proving time of the block (ms) */
  proveMs: number;
  /** blocks already in flight on this prover */
  active: number;
  /** the slot's deadline (L1 block) and the current head */
  deadline: number;
  head: number;
  /** ms per L1 block */
  blockMs: number;
  /** share of the time left the work may take (default 0.8: a 20% margin) */
  margin?: number;
}

/** Can the prover finish one more block before `deadline`: its time x (blocks in flight + 1) against the time left (2 blocks kept for the submission). */
export function fitsInTime(i: FitInput): { ok: boolean; needMs: number; haveMs: number } {
  const needMs = i.proveMs * (i.active + 1);
  const haveMs = (i.deadline - i.head - 2) * i.blockMs;
  return { ok: needMs <= (i.margin ?? 0.8) * haveMs, needMs, haveMs };
}

/**
 * The most txs n (0..maxTxs) such that a block of EVERY size 1..n fits: a cap the sequencer
 * may fill with fewer txs (a short mempool) and still have a block that fits. Monotone in the
 * tx count whatever `fits` is: a cost model's estimate need not be (a bigger block can have a
 * cheaper plan, e.g. a measured single_32 slower than a tree of 33 txs), so a size that does
 * not fit caps everything above it. One `fits` call per size up to the first that fails.
 */
export function largestFitting(maxTxs: number, fits: (txCount: number) => boolean): number {
  let n = 0;
  while (n < maxTxs && fits(n + 1)) n++;
  return n;
}

/** The fee a prover quotes: the base fee once per block in flight plus this one, never below break-even (`minFee`, node/roles/pnl.ts). */
export function quoteFee(baseFee: bigint, active: number, minFee?: bigint): bigint {
  const loadFee = baseFee * BigInt(active + 1);
  return minFee !== undefined && minFee > loadFee ? minFee : loadFee;
}

// ---------------------------------------------------------------- sequencer (RFQ choice)

export interface QuoteTerms { sequencer: string; prover: string; fee: bigint; deposit: bigint; proverFundsDeposit: boolean; validUntilBlock: bigint }
export interface RfqTerms { sequencer: string; tip: bigint; minDeposit: bigint; head: number }

/** Why a quote cannot be committed with (undefined: it can): it names this sequencer, fee within the tip, the minimum deposit, prover-funded, still valid in the next block. */
export function quoteRefusal(q: QuoteTerms, t: RfqTerms): string | undefined {
  if (q.sequencer.toLowerCase() !== t.sequencer.toLowerCase()) return 'names another sequencer';
  if (q.fee > t.tip) return 'fee above the tip';
  if (q.deposit < t.minDeposit) return 'deposit below the minimum';
  if (!q.proverFundsDeposit) return 'not prover-funded';
  if (q.validUntilBlock < BigInt(t.head + 1)) return 'expired';
  return undefined;
}

/**
 * The quotes a sequencer may commit with, cheapest first (ties keep arrival order): terms as in
 * quoteRefusal, and `funded` (the prover's balance and allowance cover the deposit; the node
 * reads them from L1 first).
 */
export function acceptableQuotes<T extends { quote: QuoteTerms }>(got: readonly T[], t: RfqTerms, funded: (q: T) => boolean): T[] {
  const ok = got.filter((q) => quoteRefusal(q.quote, t) === undefined && funded(q));
  return ok.sort((a, b) => (a.quote.fee < b.quote.fee ? -1 : a.quote.fee > b.quote.fee ? 1 : 0));
}

// ---------------------------------------------------------------- submitter and watcher

export interface SubmitInput {
  /** the block is the slot's canonical block, still pending on L1 */
  pending: boolean;
  parentSlot: number;
  lastProvenSlot: number;
  head: number;
  proofsFrom: number;
  deadline: number;
  /** the committed prover's exclusive window: before this block only a proof naming it lands */
  exclusiveUntil: number;
  /** the reward recipient the proof names, this node, the block's committed prover (lower case) */
  recipient: string;
  me: string;
  prover: string;
  /** someone else's proof is submitted only this many blocks before the deadline (a rescue) */
  rescueBlocks: number;
}

export type SubmitWhy = 'not-pending' | 'parent-unproven' | 'too-early' | 'too-late' | 'not-mine-yet' | 'prover-exclusive';

/**
 * May a known proof be submitted now (it would land in block head + 1): pending, parent proven,
 * inside the proof window; a proof naming another recipient only as a rescue near the deadline;
 * never one not naming the committed prover inside its exclusive window.
 */
export function submitDecision(i: SubmitInput): { submit: boolean; why?: SubmitWhy } {
  const next = i.head + 1;
  if (!i.pending) return { submit: false, why: 'not-pending' };
  if (i.parentSlot !== i.lastProvenSlot) return { submit: false, why: 'parent-unproven' };
  if (next < i.proofsFrom) return { submit: false, why: 'too-early' };
  if (next >= i.deadline) return { submit: false, why: 'too-late' };
  if (i.recipient !== i.me && next < i.deadline - i.rescueBlocks) return { submit: false, why: 'not-mine-yet' };
  if (next < i.exclusiveUntil && i.recipient !== i.prover) return { submit: false, why: 'prover-exclusive' };
  return { submit: true };
}

/** Is the oldest pending block due for a slash (a tx sent now lands in head + 1, at or past its deadline)? */
export function slashDue(i: { head: number; deadline: number; pending: boolean }): boolean {
  return i.pending && i.head + 1 >= i.deadline;
}
