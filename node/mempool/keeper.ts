// Keeps the mempool in step with the chain: txs of blocks that will not be (or are no longer) on
// the chain come back, txs a new pending tip already used leave, and each tx's status ladder says
// so (SPEC §3: back to `pending`, or `dropped`).
//  - a sequencer's own block that never got a prover committed, or lost its slot: the sequencer
//    calls `requeue` once the slot's commitment phase is over;
//  - slashed / invalidated blocks (any sequencer's): their txs come back when the chain has
//    rewound (the pending tip is the proven tip again), oldest slot first;
//  - a new canonical block: waiting txs whose nonce it used leave the pool;
//  - on start, the txs persisted by the MempoolJournal come back through the admission checks.
import { txHash, type SignedTx } from '../../circuits/l2/index.js';
import type { ChainNotice, ChainSync } from '../chain/index.js';
import type { Logger } from '../log.js';
import type { NodeMetrics } from '../metrics.js';
import { rank } from '../status/ladder.js';
import { MempoolError, type Mempool } from './index.js';
import type { MempoolJournal } from './store.js';

export interface KeeperContext { chain: ChainSync; log: Logger; metrics: NodeMetrics }

export class MempoolKeeper {
  /** slashed / invalidated blocks whose txs come back once the chain has rewound */
  private readonly removed = new Map<string, number>();
  private work: Promise<unknown> = Promise.resolve();

  constructor(readonly mempool: Mempool, private readonly ctx: KeeperContext) {}

  /** A tx entered the pool (API or gossip): its ladder says `pending` (not over a revealed block's status). */
  async admitted(hash: string): Promise<void> {
    const prev = await this.ctx.chain.txStatus(hash);
    if (prev && (prev.status === 'proposed' || prev.status === 'revealed')) return;
    await this.ctx.chain.observeTx(hash, 'pending');
  }

  /**
   * Puts `txs` (in block order) back into the pool against the pending tip; ladder: `pending`
   * for those back, `dropped` for those no longer valid (not for those included since).
   */
  async requeue(txs: readonly SignedTx[], reason: string, where: { slot?: number; blockHash?: string } = {}): Promise<{ requeued: string[]; skipped: { hash: string; code: string }[] }> {
    const { chain, log, metrics } = this.ctx;
    const r = this.mempool.requeue(txs, { account: (i) => chain.pendingAccount(i) });
    for (const h of r.requeued) await chain.observeTx(h, 'pending');
    for (const s of r.skipped) if (s.code !== 'included') await chain.observeTx(s.hash, 'dropped');
    metrics.mempoolRequeue.inc({ reason, outcome: 'requeued' }, r.requeued.length);
    for (const s of r.skipped) metrics.mempoolRequeue.inc({ reason, outcome: s.code });
    if (txs.length) log.info({ ...where, reason, requeued: r.requeued.length, skipped: r.skipped.length }, `${r.requeued.length} of ${txs.length} txs back in the mempool (${reason})`);
    return r;
  }

  /**
   * Restores the txs `journal` persisted (oldest first) through the admission checks against
   * the pending tip: a tx still valid waits again (ladder `pending`); one no longer valid (its
   * nonce used since, its sender's key or account gone) is dropped from the store (ladder
   * `dropped` unless it is in a block); a value that does not decode is skipped with a warning
   * and deleted. Never throws for a bad entry.
   */
  async restore(journal: MempoolJournal): Promise<{ restored: string[]; dropped: { hash: string; code: string }[]; corrupt: string[] }> {
    const { chain, log } = this.ctx;
    const restored: string[] = [];
    const dropped: { hash: string; code: string }[] = [];
    const corrupt: string[] = [];
    const found: { hash: string; tx: SignedTx; addedAt: number }[] = [];
    for await (const [key, e] of journal.repo.entries()) {
      const bad = !e.ok ? e.reason : txHash(e.tx).toLowerCase() !== key ? `it holds tx ${txHash(e.tx).toLowerCase()}` : undefined;
      if (bad !== undefined || !e.ok) {
        log.warn({ key }, `skipping corrupt mempool entry mempool.txs/${key}: ${bad}`);
        corrupt.push(key);
        journal.del(key);
        continue;
      }
      found.push({ hash: key, tx: e.tx, addedAt: e.addedAt });
    }
    found.sort((a, b) => a.addedAt - b.addedAt);
    const view = { account: (i: number) => chain.pendingAccount(i) };
    for (const f of found) {
      if (this.mempool.has(f.hash)) { restored.push(f.hash); continue; }
      try {
        this.mempool.add(f.tx, view, f.addedAt);
      } catch (e) {
        if (!(e instanceof MempoolError)) throw e;
        journal.del(f.hash);
        dropped.push({ hash: f.hash, code: e.code });
        continue;
      }
      restored.push(f.hash);
      await this.admitted(f.hash);
    }
    await this.evicted(dropped.map((d) => d.hash));
    await journal.flush();
    if (found.length || corrupt.length) log.info({ restored: restored.length, dropped: dropped.length, corrupt: corrupt.length }, `mempool restored: ${restored.length} txs waiting, ${dropped.length} no longer valid, ${corrupt.length} corrupt entries skipped`);
    return { restored, dropped, corrupt };
  }

  /** Chain notices (the node subscribes this); work runs in order, errors are logged. */
  onNotice(n: ChainNotice): void {
    if ((n.type === 'slashed' || n.type === 'invalidated') && n.blockHash) this.removed.set(n.blockHash.toLowerCase(), n.slot);
    else if (n.type === 'rewound') this.enqueue(() => this.requeueRemoved());
    else if (n.type === 'canonical') this.enqueue(() => this.prune());
  }

  /** Resolves when the work queued so far is done (tests, shutdown). */
  idle(): Promise<void> { return this.work.then(() => undefined); }

  private enqueue(fn: () => Promise<void>): void {
    this.work = this.work.then(fn).catch((e) => this.ctx.log.warn({ err: e }, `mempool upkeep failed: ${(e as Error).message}`));
  }

  private async requeueRemoved(): Promise<void> {
    const blocks = [...this.removed.entries()].sort((a, b) => a[1] - b[1]);
    this.removed.clear();
    for (const [hash, slot] of blocks) {
      const txs = await this.ctx.chain.blockTxs(hash);
      if (txs?.length) await this.requeue(txs, 'slashed', { slot, blockHash: hash });
    }
  }

  private async prune(): Promise<void> {
    await this.evicted(this.mempool.prune({ account: (i) => this.ctx.chain.pendingAccount(i) }));
  }

  /**
   * Txs the pool evicted because the pending tip used their nonce: `dropped` unless they are in
   * a block (then the chain has their status: a tx included by another sequencer is not dropped).
   */
  async evicted(hashes: readonly string[]): Promise<void> {
    const { chain } = this.ctx;
    for (const h of hashes) {
      const s = await chain.txStatus(h);
      if (!s || rank(s.status) <= rank('pending')) await chain.observeTx(h, 'dropped');
    }
  }
}
