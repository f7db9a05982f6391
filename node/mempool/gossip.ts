// L2 txs over gossip (`/sidecar/1/txs/ssz`, docs/design.md "Network"): a tx admitted through
// this node's API is published; a tx from gossip is validated before gossipsub forwards it
// (p2p's checks: size, encoding, the sender's Schnorr signature against the pending tip's key;
// then the mempool's admission checks: `stale-nonce` / `nonce-too-far` / `duplicate` /
// `unknown-account` Ignore, a malformed or badly signed tx Rejects) and then enters the mempool.
// A tx from gossip is never published again by this node: gossipsub alone relays it, and its
// message id (content hash) makes every copy one message.
import { TX_BODY_BYTES, decodeSignedTx, encodeSignedTx, type SignedTx } from '../../circuits/l2/index.js';
import type { ChainSync } from '../chain/index.js';
import type { Logger } from '../log.js';
import { ACCEPT, ignore, reject, type P2PNode, type Verdict } from '../p2p/index.js';
import { MempoolError, type Mempool } from './index.js';
import type { MempoolKeeper } from './keeper.js';

export class TxGossip {
  /** txs taken from gossip into the mempool, and published from this node */
  readonly stats = { received: 0, published: 0, refused: 0 };

  constructor(private readonly p2p: P2PNode, private readonly mempool: Mempool, private readonly keeper: MempoolKeeper, private readonly chain: ChainSync, private readonly log: Logger) {
    p2p.addValidator('txs', (_m, info) => this.validate(info.data));
    p2p.subscribe('txs', async (_m, info) => this.onTx(info.data));
  }

  private view() { return { account: (i: number) => this.chain.pendingAccount(i) }; }

  private validate(data: Uint8Array): Verdict {
    let tx: SignedTx;
    try {
      tx = decodeSignedTx(data);
    } catch (e) {
      return reject('malformed', (e as Error).message);
    }
    try {
      this.mempool.check(tx, this.view(), { signatureChecked: true });
      return ACCEPT;
    } catch (e) {
      if (!(e instanceof MempoolError)) throw e;
      // a peer may relay a tx that just became stale or that we hold: no blame
      return e.code === 'malformed' || e.code === 'bad-signature' ? reject(e.code, e.message) : ignore(e.code, e.message);
    }
  }

  private async onTx(data: Uint8Array): Promise<void> {
    const tx = decodeSignedTx(data);
    let hash: string;
    try {
      hash = this.mempool.add(tx, this.view());
    } catch (e) {
      if (!(e instanceof MempoolError)) throw e;
      this.stats.refused++; // changed since validation (e.g. a block used its nonce, or the pool is full)
      this.log.debug({ code: e.code }, `gossip tx not admitted: ${e.message}`);
      return;
    }
    this.stats.received++;
    await this.keeper.admitted(hash);
  }

  /** Publishes a tx this node admitted from its API (never one from gossip). */
  async publish(tx: SignedTx): Promise<number> {
    const b = encodeSignedTx(tx);
    const r = await this.p2p.publish('txs', { body: b.subarray(0, TX_BODY_BYTES), signature: b.subarray(TX_BODY_BYTES) });
    this.stats.published++;
    return r.recipients;
  }
}
