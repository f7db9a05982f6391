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

// ---------------------------------------------------------------- submitter: aggregate or not

/** A pending block this node could put in a range, chain order from the first pending one. */
export interface AggregateBlock {
  slot: number;
  /** L1 block by which its proof must have landed (slotTiming.deadline) */
  deadline: number;
  /** ms until this node has the block's own (L1-flavour) proof: 0 = it has it; undefined = it will not (not its block, or it names another recipient) */
  proofEtaMs: number | undefined;
}

export interface AggregateInput {
  head: number;
  /** ms per L1 block */
  blockMs: number;
  /** the pending blocks from the first one (whose parent is proven), chain order; blocks[0] is the one to submit now or not */
  blocks: readonly AggregateBlock[];
  /** most blocks one submission may cover (config aggregateMax; 1 disables aggregation) */
  aggregateMax: number;
  /** range sizes a range circuit exists for (prover/range.ts RANGE_SIZES) */
  sizes: readonly number[];
  /** estimated ms to prove a range of n blocks once every block's own proof exists (cost model: prover/range.ts rangeEstimateMs) */
  rangeMs: (n: number) => number;
  /** gas of one block submitted alone, and of one submission of a range of n blocks (measured: bench gas) */
  gasAlone: bigint;
  gasRange: (n: number) => bigint;
  /** wei per gas now */
  gasPriceWei: bigint;
  /** what is lost if blocks[0] misses its deadline (its submission reward + the deposit at stake, in wei-equivalent); it scales the margin */
  atStakeWei: bigint;
  /** L1 blocks kept for the submission tx itself (default 2) */
  submitBlocks?: number;
  /** the range estimate is multiplied by this before it is compared with the time left (default 1.5) */
  safety?: number;
}

export type AggregateWhy = 'disabled' | 'no-next-block' | 'not-mine' | 'no-saving' | 'would-miss-deadline' | 'fits';

export interface AggregateDecision {
  /** 'aggregate': wait for (or prove) the range of `n` blocks starting at blocks[0]; 'alone': submit blocks[0] alone now */
  action: 'aggregate' | 'alone';
  n: number;
  why: AggregateWhy;
  /** ms until the range proof is expected (aggregate), and the L1 block it must be ready by */
  readyInMs?: number;
  latestBlock?: number;
  /** gas and wei saved against submitting the n blocks alone */
  savedGas?: bigint;
  savedWei?: bigint;
}

/**
 * Submit the first pending block alone now, or wait to aggregate it with the next ones into one
 * range proof. Aggregates the largest range size n ≤ aggregateMax such that: blocks[0..n) are all
 * this node's (their own proofs known or expected, `proofEtaMs`); one range submission costs less
 * gas than n submissions alone; and the range proof is expected ready — the last block's own
 * proof, then the range proving time, times `safety` (× 2 when what is at stake exceeds 100×
 * the wei saved) — `submitBlocks` L1 blocks before blocks[0]'s deadline (the earliest of the
 * range). Otherwise 'alone'. The caller keeps blocks[0]'s own L1 proof as the fallback and asks
 * again every tick: once the range is no longer expected in time, the answer turns to 'alone'
 * while the fallback still lands before the deadline (it never lets a block pass its deadline to
 * save gas).
 */
export function aggregateDecision(i: AggregateInput): AggregateDecision {
  const sizes = [...i.sizes].filter((n) => n >= 2 && n <= i.aggregateMax).sort((a, b) => b - a);
  if (i.aggregateMax <= 1 || sizes.length === 0) return { action: 'alone', n: 1, why: 'disabled' };
  const submitBlocks = i.submitBlocks ?? 2;
  let why: AggregateWhy = 'no-next-block';
  for (const n of sizes) {
    const blocks = i.blocks.slice(0, n);
    if (blocks.length < n) continue;
    if (blocks.some((b) => b.proofEtaMs === undefined)) { why = 'not-mine'; continue; }
    const savedGas = BigInt(n) * i.gasAlone - i.gasRange(n);
    const savedWei = savedGas * i.gasPriceWei;
    if (savedGas <= 0n) { why = 'no-saving'; continue; }
    const cautious = savedWei > 0n && i.atStakeWei > 100n * savedWei;
    const safety = (i.safety ?? 1.5) * (cautious ? 2 : 1);
    const readyInMs = Math.max(...blocks.map((b) => b.proofEtaMs!)) + i.rangeMs(n);
    const readyBlock = i.head + Math.ceil((readyInMs * safety) / i.blockMs);
    const latestBlock = blocks[0].deadline - 1 - submitBlocks;
    if (readyBlock > latestBlock) { why = 'would-miss-deadline'; continue; }
    return { action: 'aggregate', n, why: 'fits', readyInMs, latestBlock, savedGas, savedWei };
  }
  return { action: 'alone', n: 1, why };
}

/**
 * Is it time to give up waiting for a range and land blocks[0]'s own proof: the tx would land
 * in head + 1, and only `submitBlocks` L1 blocks are left before its deadline.
 */
export function fallbackDue(i: { head: number; deadline: number; submitBlocks?: number }): boolean {
  return i.head + 1 >= i.deadline - 1 - (i.submitBlocks ?? 2);
}
