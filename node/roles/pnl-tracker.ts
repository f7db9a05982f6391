// The prover's P&L over time (node/roles/pnl.ts is the function): prices each RFQ before the
// quote (the least fee that breaks even, the expected profit at the offered tip) and settles each
// of its blocks once L1 does (BlockProven: the credits and, when this node submitted, the gas it
// paid; BlockSlashed: the deposit lost). Logged, kept for GET /pnl, counted in the metrics.
import type { EventLog } from 'ethers';
import type { ChainNotice } from '../chain/index.js';
import type { RoleContext } from './context.js';
import { PnlBook, blockPnl, breakevenTip, quoteTerms, type Pnl, type PnlPrices } from './pnl.js';

export interface PriceQuery { slot: number; blockHash: string; sequencer: string; tip: bigint; deposit: bigint; proveMs: number; active: number }

export class PnlTracker {
  readonly book = new PnlBook();
  private readonly settled = new Set<string>();

  constructor(
    private readonly ctx: RoleContext,
    readonly prices: PnlPrices,
    /** cores one block's proof keeps busy */
    private readonly cores: number,
    /** ms per L1 block (measured) */
    private readonly blockMs: () => number,
    /** this node's proving time of a block it proved (ms), if known */
    private readonly provedMs: (blockHash: string) => number | undefined,
  ) {}

  private async gasPrice(): Promise<bigint> {
    const f = await this.ctx.client.provider.getFeeData();
    return f.gasPrice ?? f.maxFeePerGas ?? 0n;
  }

  /** Before a quote: the least fee that breaks even and the expected P&L at the offered tip. */
  async price(q: PriceQuery): Promise<{ minFee: bigint; expected: Pnl }> {
    const { client, config } = this.ctx;
    const p = await client.getProposal(q.slot, q.sequencer);
    const share = (config.blockReward * BigInt(p?.rewardShareBps ?? 0)) / 10_000n;
    const terms = quoteTerms({ share, deposit: q.deposit, proveMs: q.proveMs, active: q.active, cores: this.cores, blockMs: this.blockMs(), gasPriceWei: await this.gasPrice() });
    const expected = blockPnl({ ...terms, tip: p?.tip ?? q.tip }, this.prices);
    this.book.expected(q.slot, q.blockHash, expected);
    return { minFee: breakevenTip(terms, this.prices), expected };
  }

  /** Chain notices: settle this prover's blocks. */
  onNotice(n: ChainNotice): void {
    if (n.type !== 'proven' && n.type !== 'slashed') return;
    void this.settle(n.type, n.slot).catch((e) => this.ctx.log.warn({ err: e, slot: n.slot }, `P&L of slot ${n.slot} not settled: ${(e as Error).message}`));
  }

  private async settle(kind: 'proven' | 'slashed', slot: number): Promise<void> {
    const { chain, client, address, log, metrics } = this.ctx;
    const me = address.toLowerCase();
    const c = await chain.block(slot);
    if (!c?.blockHash || c.prover?.toLowerCase() !== me) return;
    const key = `${kind}/${c.blockHash}`;
    if (this.settled.has(key)) return;
    this.settled.add(key);
    const prop = await client.getProposal(slot, c.sequencer);
    const deposit = prop?.deposit ?? 0n;
    const at = kind === 'proven' ? c.provenAtL1 : c.statusAtL1;
    const lockedMs = at !== undefined ? Math.max(0, at - c.l1Block) * this.blockMs() : 0;
    const terms = { tip: 0n, share: 0n, deposit, provingMs: this.provedMs(c.blockHash) ?? 0, cores: this.cores, lockedMs, gasPriceWei: 0n, gasUsed: 0n };
    if (kind === 'proven' && at !== undefined) {
      const sc = client.sidecar;
      for (const l of await sc.queryFilter(sc.filters.BlockProven(slot), at, at)) {
        const a = (l as EventLog).args;
        terms.tip = BigInt(a.proverReward); // tip + reward share, as credited
        if (String(a.recipient).toLowerCase() === me) {
          (terms as { submissionReward?: bigint }).submissionReward = BigInt(a.submissionReward);
          const r = await client.provider.getTransactionReceipt((l as EventLog).transactionHash);
          if (r) { terms.gasUsed = r.gasUsed; terms.gasPriceWei = r.gasPrice; }
        }
      }
    }
    const x = blockPnl(terms, this.prices, { slashed: kind === 'slashed' });
    this.book.realised(slot, c.blockHash, x, kind);
    if (x.revenue > 0n) metrics.pnlRevenue.inc(Number(x.revenue));
    for (const [k, v] of [['proving', x.provingCost], ['gas', x.gasCost], ['capital', x.capitalCost], ['slashed', x.revenue < 0n ? -x.revenue : 0n]] as const) {
      if (v > 0n) metrics.pnlCost.inc({ kind: k }, Number(v));
    }
    const exp = this.book.get(c.blockHash)?.expected?.profit;
    log.info({ slot, blockHash: c.blockHash, outcome: kind, profit: String(x.profit), expected: exp }, `slot ${slot} settled (${kind}): realised profit ${x.profit}${exp !== undefined ? ` (expected ${exp})` : ''} token units`);
  }
}
