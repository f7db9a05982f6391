// The node's mempool: signed L2 txs waiting for a block. A tx is admitted only when its sender
// is known, its Schnorr signature verifies and its nonce lies in the window after the sender's
// nonce on the pending state (counting the sender's txs already waiting); anything else is a
// typed MempoolError (the API maps it to HTTP 400). Bounded: a full pool refuses new txs.
// Txs of a block that never got committed (or was slashed / invalidated) come back with
// `requeue`, unless the pending tip says they are included since or no longer valid;
// `prune` evicts txs whose nonce a newer pending tip already used. With a `journal`
// (node/mempool/store.ts) every tx entering or leaving the pool is persisted, so a restart
// restores the waiting txs (MempoolKeeper.restore).
import {
  checkTxFields, txHash, verifyTxSignature, TxFormatError, type SignedTx, type WorldState,
} from '../../circuits/l2/index.js';
import type { MempoolJournalSink } from './store.js';

export type MempoolErrorCode = 'malformed' | 'unknown-account' | 'bad-signature' | 'stale-nonce' | 'nonce-too-far' | 'duplicate' | 'full';

export class MempoolError extends Error {
  constructor(readonly code: MempoolErrorCode, message: string) {
    super(message);
    this.name = 'MempoolError';
  }
}

export interface MempoolOptions {
  /** most txs held (default 4096) */
  maxSize?: number;
  /** a sender's tx nonce may be at most this far ahead of its pending-state nonce (default 64) */
  nonceWindow?: number;
  /** persists every tx entering and leaving the pool (MempoolJournal) */
  journal?: MempoolJournalSink;
}

interface Entry { hash: string; tx: SignedTx; addedAt: number }

/** Why `requeue` left a tx out. */
export type RequeueSkip = 'included' | 'unknown-account' | 'insufficient-balance' | 'duplicate';

const senderKey = (from: number, nonce: number): string => `${from}/${nonce}`;

export class Mempool {
  private readonly byHash = new Map<string, Entry>();
  /** sender/nonce → tx hash (one waiting tx per sender and nonce) */
  private readonly bySender = new Map<string, string>();
  private readonly maxSize: number;
  private readonly nonceWindow: number;
  private journal?: MempoolJournalSink;

  constructor(o: MempoolOptions = {}) {
    this.maxSize = o.maxSize ?? 4096;
    this.nonceWindow = o.nonceWindow ?? 64;
    this.journal = o.journal;
  }

  /** Persist from now on (the node attaches its store's journal before restoring). */
  attachJournal(j: MempoolJournalSink): void { this.journal = j; }

  get size(): number { return this.byHash.size; }
  has(hash: string): boolean { return this.byHash.has(hash.toLowerCase()); }
  /** The waiting txs' hashes (oldest first). */
  hashes(): string[] { return [...this.byHash.keys()]; }

  /**
   * Checks `tx` against `state` (the pending tip; only account reads, so a view such as
   * ChainSync.pendingAccount does, no state copy) and adds it; returns its hash.
   */
  add(tx: SignedTx, state: Pick<WorldState, 'account'>, now = Date.now()): string {
    const hash = this.check(tx, state);
    if (this.byHash.size >= this.maxSize) throw new MempoolError('full', `the mempool is full (${this.maxSize} txs); retry later`);
    this.insert(hash, tx, now);
    return hash;
  }

  /**
   * The admission checks of `add` without adding (gossip validation); returns the tx hash.
   * Throws MempoolError. `signatureChecked`: the caller verified the signature against the same
   * state's key already (p2p's structural check), so it is not verified twice.
   */
  check(tx: SignedTx, state: Pick<WorldState, 'account'>, o: { signatureChecked?: boolean } = {}): string {
    try {
      checkTxFields(tx.tx);
    } catch (e) {
      if (e instanceof TxFormatError) throw new MempoolError('malformed', e.message);
      throw e;
    }
    const hash = txHash(tx).toLowerCase();
    if (this.byHash.has(hash)) throw new MempoolError('duplicate', `tx ${hash} is already in the mempool`);
    const sender = state.account(tx.tx.from);
    if (!sender) throw new MempoolError('unknown-account', `unknown sender account ${tx.tx.from}`);
    if (!state.account(tx.tx.to)) throw new MempoolError('unknown-account', `unknown recipient account ${tx.tx.to}`);
    if (!o.signatureChecked && !verifyTxSignature(tx, sender.publicKey)) throw new MempoolError('bad-signature', `bad signature for sender account ${tx.tx.from}`);
    if (tx.tx.nonce < sender.nonce) throw new MempoolError('stale-nonce', `nonce ${tx.tx.nonce} of account ${tx.tx.from} is already used (next is ${sender.nonce})`);
    if (tx.tx.nonce >= sender.nonce + this.nonceWindow) {
      throw new MempoolError('nonce-too-far', `nonce ${tx.tx.nonce} of account ${tx.tx.from} is more than ${this.nonceWindow} ahead of its next nonce ${sender.nonce}`);
    }
    const other = this.bySender.get(senderKey(tx.tx.from, tx.tx.nonce));
    if (other) throw new MempoolError('duplicate', `account ${tx.tx.from} already has a tx with nonce ${tx.tx.nonce} waiting (${other})`);
    return hash;
  }

  private insert(hash: string, tx: SignedTx, addedAt: number): void {
    this.byHash.set(hash, { hash, tx, addedAt });
    this.bySender.set(senderKey(tx.tx.from, tx.tx.nonce), hash);
    this.journal?.put(hash, tx, addedAt);
  }

  private delete(hash: string): void {
    const e = this.byHash.get(hash);
    if (!e) return;
    this.byHash.delete(hash);
    this.journal?.del(hash);
    if (this.bySender.get(senderKey(e.tx.tx.from, e.tx.tx.nonce)) === hash) this.bySender.delete(senderKey(e.tx.tx.from, e.tx.tx.nonce));
  }

  /**
   * Puts back the txs of a block that will not be (or is no longer) on the chain, in block
   * order, checked against `state` (the pending tip) as if the block were applied there again:
   * a tx whose nonce is used is already included ('included'), a tx whose sender lacks the
   * balance at its turn is dropped ('insufficient-balance'), another tx waiting with the same
   * sender and nonce wins ('duplicate'). A tx already waiting counts as requeued. Signatures
   * are not checked again (these txs were checked when admitted or revealed), and the size
   * bound does not apply: txs that were admitted once are not lost to newer ones.
   */
  requeue(txs: readonly SignedTx[], state: Pick<WorldState, 'account'>, now = Date.now()): { requeued: string[]; skipped: { hash: string; code: RequeueSkip }[] } {
    const requeued: string[] = [];
    const skipped: { hash: string; code: RequeueSkip }[] = [];
    // balances and nonces as the block's txs apply in order on `state`
    const bal = new Map<number, bigint>();
    const nonce = new Map<number, number>();
    const balanceOf = (i: number) => bal.get(i) ?? state.account(i)!.balance;
    const nonceOf = (i: number) => nonce.get(i) ?? state.account(i)!.nonce;
    for (const tx of txs) {
      const { from, to, amount } = tx.tx;
      const hash = txHash(tx).toLowerCase();
      if (!state.account(from) || !state.account(to)) { skipped.push({ hash, code: 'unknown-account' }); continue; }
      if (tx.tx.nonce < nonceOf(from)) {
        if (this.byHash.has(hash)) this.delete(hash);
        skipped.push({ hash, code: 'included' });
        continue;
      }
      if (tx.tx.nonce === nonceOf(from)) {
        if (amount > balanceOf(from)) { skipped.push({ hash, code: 'insufficient-balance' }); continue; }
        bal.set(from, balanceOf(from) - amount);
        bal.set(to, balanceOf(to) + amount);
        nonce.set(from, tx.tx.nonce + 1);
      }
      if (this.byHash.has(hash)) { requeued.push(hash); continue; }
      if (this.bySender.has(senderKey(from, tx.tx.nonce))) { skipped.push({ hash, code: 'duplicate' }); continue; }
      this.insert(hash, tx, now);
      requeued.push(hash);
    }
    return { requeued, skipped };
  }

  /** Evicts txs whose nonce `state` (a newer pending tip) already used; returns their hashes. */
  prune(state: Pick<WorldState, 'account'>): string[] {
    const out: string[] = [];
    for (const e of [...this.byHash.values()]) {
      const a = state.account(e.tx.tx.from);
      if (!a || e.tx.tx.nonce < a.nonce) {
        this.delete(e.hash);
        out.push(e.hash);
      }
    }
    return out;
  }

  /**
   * Picks up to `max` txs that apply in order on a copy of `state` (oldest first, each sender's
   * nonces in sequence). Txs whose nonce is already used on `state` are evicted (returned in
   * `dropped`); txs not yet applicable stay. Picked txs stay in the pool until `remove`.
   */
  select(state: WorldState, max: number): { txs: SignedTx[]; hashes: string[]; dropped: string[]; endState: WorldState } {
    const work = state.clone();
    const txs: SignedTx[] = [];
    const hashes: string[] = [];
    const dropped: string[] = [];
    const waiting = [...this.byHash.values()].sort((a, b) => a.tx.tx.from - b.tx.tx.from || a.tx.tx.nonce - b.tx.tx.nonce || a.addedAt - b.addedAt);
    for (const e of waiting) {
      const acct = work.account(e.tx.tx.from);
      if (!acct || e.tx.tx.nonce < acct.nonce) {
        this.delete(e.hash);
        dropped.push(e.hash);
        continue;
      }
      if (txs.length >= max || e.tx.tx.nonce !== acct.nonce) continue;
      try {
        work.applyTx(e.tx, txs.length);
      } catch {
        continue; // e.g. overspend now: it may apply later
      }
      txs.push(e.tx);
      hashes.push(e.hash);
    }
    return { txs, hashes, dropped, endState: work };
  }

  remove(hashes: readonly string[]): void {
    for (const h of hashes) this.delete(h.toLowerCase());
  }

  /** The next free nonce of `account`: its pending-state nonce plus its waiting txs in sequence. */
  nextNonce(account: number, state: WorldState): number {
    let n = state.account(account)?.nonce ?? 0;
    while (this.bySender.has(senderKey(account, n))) n++;
    return n;
  }
}
