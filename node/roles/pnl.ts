// Profit and loss of a prover, per block: one function prices a block before quoting (expected)
// and after it settles (realised), so quotes, logs, the API (GET /pnl) and the metrics agree.
//   profit = tip + reward share [+ submission reward]
//            - proving cost   (proving time x cores x price per core-hour)
//            - L1 gas         (a proof submission at the current fee, priced in tokens)
//            - capital cost   (the deposit, locked until the proof lands, at a yearly rate)
//            - slash risk     (the deposit x this prover's recent fault rate; expected only)
// Amounts are token base units (bigint). Prices are settings (node/config.ts: proverCostPerCoreHour,
// proverTokensPerEth, proverCapitalBpsPerYear, proverSlashRiskBps).

export interface PnlPrices {
  /** token base units per core-hour of proving */
  costPerCoreHour: bigint;
  /** token base units per 1 ETH (prices L1 gas in tokens; 0: gas not counted) */
  tokensPerEth: bigint;
  /** yearly cost of the capital a deposit locks, in basis points */
  capitalBpsPerYear: number;
  /** probability of losing the deposit, in basis points (the prior; the fault rate once known) */
  slashRiskBps: number;
  /** gas of one proof submission (default 3,000,000: measured submitProof of the largest circuit) */
  submitGas?: bigint;
}

export interface BlockTerms {
  tip: bigint;
  /** block reward x the sequencer's reward share */
  share: bigint;
  /** the submission reward, when this node expects to submit the proof itself */
  submissionReward?: bigint;
  deposit: bigint;
  /** proving time (ms) and the cores it keeps busy */
  provingMs: number;
  cores: number;
  /** how long the deposit is locked (ms): commitment to proof on L1 */
  lockedMs: number;
  /** L1 fee per gas (wei) */
  gasPriceWei: bigint;
  /** gas actually spent (realised); default: one submission */
  gasUsed?: bigint;
}

export interface Pnl {
  revenue: bigint;
  provingCost: bigint;
  gasCost: bigint;
  capitalCost: bigint;
  slashRisk: bigint;
  profit: bigint;
}

const HOUR_MS = 3_600_000n;
const YEAR_MS = 365n * 24n * HOUR_MS;
const ETH = 10n ** 18n;

/** Expected (slash risk included) or realised (`slashed` known, risk 0) profit of one block. */
export function blockPnl(t: BlockTerms, p: PnlPrices, realised?: { slashed: boolean }): Pnl {
  const coreMs = BigInt(Math.max(0, Math.round(t.provingMs * t.cores)));
  const provingCost = (coreMs * p.costPerCoreHour) / HOUR_MS;
  const gas = t.gasUsed ?? p.submitGas ?? 3_000_000n;
  const gasCost = (gas * t.gasPriceWei * p.tokensPerEth) / ETH;
  const capitalCost = (t.deposit * BigInt(p.capitalBpsPerYear) * BigInt(Math.max(0, Math.round(t.lockedMs)))) / (10_000n * YEAR_MS);
  const slashRisk = realised ? 0n : (t.deposit * BigInt(p.slashRiskBps)) / 10_000n;
  const revenue = realised?.slashed ? -t.deposit : t.tip + t.share + (t.submissionReward ?? 0n);
  return { revenue, provingCost, gasCost, capitalCost, slashRisk, profit: revenue - provingCost - gasCost - capitalCost - slashRisk };
}

/** The least tip at which the block breaks even (expected profit 0): what a quote must ask at least. */
export function breakevenTip(t: Omit<BlockTerms, 'tip'>, p: PnlPrices): bigint {
  const zero = blockPnl({ ...t, tip: 0n }, p);
  return zero.profit >= 0n ? 0n : -zero.profit;
}

/**
 * The terms a prover prices an RFQ with (all but the tip): `active` blocks already in flight
 * make this one wait, so its proving time and the deposit's lock grow by that factor; the lock
 * adds two L1 blocks (commitment to proof on L1).
 */
export function quoteTerms(q: { share: bigint; deposit: bigint; proveMs: number; active: number; cores: number; blockMs: number; gasPriceWei: bigint }): Omit<BlockTerms, 'tip'> {
  const provingMs = q.proveMs * (q.active + 1);
  return { share: q.share, deposit: q.deposit, provingMs, cores: q.cores, lockedMs: provingMs + 2 * q.blockMs, gasPriceWei: q.gasPriceWei };
}

/** Token amounts for JSON (decimal strings). */
export function pnlJson(x: Pnl): Record<keyof Pnl, string> {
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, String(v)])) as Record<keyof Pnl, string>;
}

export interface PnlEntry {
  slot: number;
  blockHash: string;
  expected?: Record<keyof Pnl, string>;
  realised?: Record<keyof Pnl, string> & { outcome: 'proven' | 'slashed' };
}

/** The node's per-block P&L records (the last `limit` blocks), for GET /pnl and the logs. */
export class PnlBook {
  private readonly entries = new Map<string, PnlEntry>();
  constructor(private readonly limit = 200) {}

  private entry(slot: number, blockHash: string): PnlEntry {
    const k = blockHash.toLowerCase();
    let e = this.entries.get(k);
    if (!e) {
      e = { slot, blockHash: k };
      this.entries.set(k, e);
      while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    }
    return e;
  }

  expected(slot: number, blockHash: string, x: Pnl): void { this.entry(slot, blockHash).expected = pnlJson(x); }
  realised(slot: number, blockHash: string, x: Pnl, outcome: 'proven' | 'slashed'): void { this.entry(slot, blockHash).realised = { ...pnlJson(x), outcome }; }
  get(blockHash: string): PnlEntry | undefined { return this.entries.get(blockHash.toLowerCase()); }
  all(): PnlEntry[] { return [...this.entries.values()].sort((a, b) => a.slot - b.slot); }
}
