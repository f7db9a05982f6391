// The node's mempool: signed L2 txs waiting for a block. A tx is admitted only when its sender
// is known, its Schnorr signature verifies and its nonce lies in the window after the sender's
// nonce on the pending state (counting the sender's txs already waiting); anything else is a
// typed MempoolError (the API maps it to HTTP 400). Bounded: a full pool refuses new txs.
import {
  checkTxFields, txHash, verifyTxSignature, TxFormatError, type SignedTx, type WorldState,
} from '../../circuits/l2/index.js';

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
}

interface Entry { hash: string; tx: SignedTx; addedAt: number }

export class Mempool {
  private readonly byHash = new Map<string, Entry>();
  private readonly maxSize: number;
  private readonly nonceWindow: number;

  constructor(o: MempoolOptions = {}) {
    this.maxSize = o.maxSize ?? 4096;
    this.nonceWindow = o.nonceWindow ?? 64;
  }

  get size(): number { return this.byHash.size; }
  has(hash: string): boolean { return this.byHash.has(hash.toLowerCase()); }

  /**
   * Checks `tx` against `state` (the pending tip; only account reads, so a view such as
   * ChainSync.pendingAccount does, no state copy) and adds it; returns its hash.
   */
  add(tx: SignedTx, state: Pick<WorldState, 'account'>, now = Date.now()): string {
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
    if (!verifyTxSignature(tx, sender.publicKey)) throw new MempoolError('bad-signature', `bad signature for sender account ${tx.tx.from}`);
    if (tx.tx.nonce < sender.nonce) throw new MempoolError('stale-nonce', `nonce ${tx.tx.nonce} of account ${tx.tx.from} is already used (next is ${sender.nonce})`);
    if (tx.tx.nonce >= sender.nonce + this.nonceWindow) {
      throw new MempoolError('nonce-too-far', `nonce ${tx.tx.nonce} of account ${tx.tx.from} is more than ${this.nonceWindow} ahead of its next nonce ${sender.nonce}`);
    }
    for (const e of this.byHash.values()) {
      if (e.tx.tx.from === tx.tx.from && e.tx.tx.nonce === tx.tx.nonce) {
        throw new MempoolError('duplicate', `account ${tx.tx.from} already has a tx with nonce ${tx.tx.nonce} waiting (${e.hash})`);
      }
    }
    if (this.byHash.size >= this.maxSize) throw new MempoolError('full', `the mempool is full (${this.maxSize} txs); retry later`);
    this.byHash.set(hash, { hash, tx, addedAt: now });
    return hash;
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
        this.byHash.delete(e.hash);
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
    for (const h of hashes) this.byHash.delete(h.toLowerCase());
  }

  /** The next free nonce of `account`: its pending-state nonce plus its waiting txs in sequence. */
  nextNonce(account: number, state: WorldState): number {
    let n = state.account(account)?.nonce ?? 0;
    const mine = new Set([...this.byHash.values()].filter((e) => e.tx.tx.from === account).map((e) => e.tx.tx.nonce));
    while (mine.has(n)) n++;
    return n;
  }
}
