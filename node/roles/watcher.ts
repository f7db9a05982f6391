// The watcher: slashes the oldest pending block once its deadline has passed (anyone may), and
// withdraws this node's credited rewards to the configured address.
import { slashDue } from './decisions.js';
import { l1Code, type L1View, type RoleContext } from './context.js';

export interface WatcherOptions {
  /** withdraw credits to this address (default: the node's own) */
  withdrawTo?: string;
  /** withdraw at most every this many L1 blocks (default 5) */
  withdrawEvery?: number;
}

export class Watcher {
  private slashing = new Set<number>();
  private lastWithdraw = -Infinity;
  /** total withdrawn by this node (token base units) */
  withdrawn = 0n;
  readonly slashed: number[] = [];

  constructor(private readonly ctx: RoleContext, private readonly o: WatcherOptions = {}) {}

  async tick(v: L1View): Promise<void> {
    await this.maybeSlash(v);
    if (v.head - this.lastWithdraw >= (this.o.withdrawEvery ?? 5)) await this.withdraw(v.head);
  }

  private async maybeSlash(v: L1View): Promise<void> {
    const { client, chain, log } = this.ctx;
    const pending = await chain.pendingChain();
    if (!pending.length) return;
    const oldest = pending[0].slot;
    if (this.slashing.has(oldest)) return;
    const t = await client.slotTiming(oldest);
    if (!slashDue({ head: v.head, deadline: t.deadline, pending: true })) return;
    if ((await client.blockStatus(oldest)) !== 'Pending') return;
    this.slashing.add(oldest);
    try {
      const sent = await client.slash(oldest);
      this.slashed.push(oldest);
      this.ctx.metrics.l1Txs.inc({ call: 'slash', outcome: 'ok' });
      this.ctx.emit({ type: 'slashed', slot: oldest, txHash: sent.hash });
      log.warn({ slot: oldest }, 'slashed an unproven block past its deadline');
    } catch (e) {
      this.slashing.delete(oldest);
      this.ctx.metrics.l1Txs.inc({ call: 'slash', outcome: l1Code(e) });
      if (l1Code(e) !== 'BlockNotPending') this.ctx.emit({ type: 'l1-error', role: 'watcher', call: 'slash', code: l1Code(e), message: (e as Error).message });
    }
  }

  private withdrawing: Promise<unknown> = Promise.resolve();

  /** Withdraws the whole credit now (if any; after any withdrawal in flight has landed); returns the amount. */
  withdraw(head?: number): Promise<bigint> {
    const p = this.withdrawing.then(() => this.withdrawNow(head));
    this.withdrawing = p.catch(() => undefined);
    return p;
  }

  private async withdrawNow(head?: number): Promise<bigint> {
    const { client, address } = this.ctx;
    this.lastWithdraw = head ?? (await client.blockNumber());
    const credit = await client.creditOf(address);
    if (credit === 0n) return 0n;
    const to = this.o.withdrawTo || address;
    try {
      await client.withdraw(to);
      this.withdrawn += credit;
      this.ctx.metrics.l1Txs.inc({ call: 'withdraw', outcome: 'ok' });
      this.ctx.metrics.rewardsWithdrawn.inc(Number(credit));
      this.ctx.emit({ type: 'withdrawn', amount: String(credit), to });
      return credit;
    } catch (e) {
      this.ctx.metrics.l1Txs.inc({ call: 'withdraw', outcome: l1Code(e) });
      if (l1Code(e) !== 'NothingToWithdraw') this.ctx.emit({ type: 'l1-error', role: 'watcher', call: 'withdraw', code: l1Code(e), message: (e as Error).message });
      return 0n;
    }
  }
}
