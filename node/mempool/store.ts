// The mempool on disk: every waiting tx under `mempool.txs` (key: tx hash), written when it
// enters the pool and deleted when it leaves (included, dropped, evicted), so a restart (even
// kill -9) finds the txs that were admitted but not yet in a block. Writes are grouped: all
// changes made in one turn of the event loop go out in one LevelDB batch (`flush` resolves when
// the changes made so far are written), so admission does not wait on a write per tx.
// A value that does not decode is an `{ ok: false }` entry: restore skips it with a warning.
import { decodeSignedTx, encodeSignedTx, type SignedTx } from '../../circuits/l2/index.js';
import type { Logger } from '../log.js';
import type { Codec, Repository, Store } from '../storage/index.js';

export interface StoredTx { tx: SignedTx; addedAt: number }
export type StoredTxEntry = ({ ok: true } & StoredTx) | { ok: false; reason: string };

const VERSION = 1;
const HEADER = 9; // version byte ‖ addedAt (float64 BE)

/** version (1) ‖ addedAt ms (float64 BE) ‖ signed tx (body 32 ‖ signature 64). */
export const storedTxCodec: Codec<StoredTxEntry> = {
  name: 'mempool-tx-v1',
  encode(v) {
    if (!v.ok) throw new Error(`cannot store a corrupt mempool entry (${v.reason})`);
    const tx = encodeSignedTx(v.tx);
    const out = new Uint8Array(HEADER + tx.length);
    out[0] = VERSION;
    new DataView(out.buffer).setFloat64(1, v.addedAt);
    out.set(tx, HEADER);
    return out;
  },
  decode(b) {
    if (b.length < HEADER) return { ok: false, reason: `${b.length} bytes, shorter than the ${HEADER}-byte header` };
    if (b[0] !== VERSION) return { ok: false, reason: `unknown version ${b[0]}` };
    const addedAt = new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(1);
    if (!Number.isFinite(addedAt) || addedAt < 0) return { ok: false, reason: `bad admission time ${addedAt}` };
    try {
      return { ok: true, tx: decodeSignedTx(b.subarray(HEADER)), addedAt };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  },
};

export function mempoolRepo(store: Store): Repository<StoredTxEntry> {
  return store.repository('mempool.txs', storedTxCodec);
}

/** What the Mempool tells its journal. */
export interface MempoolJournalSink {
  put(hash: string, tx: SignedTx, addedAt: number): void;
  del(hash: string): void;
}

export class MempoolJournal implements MempoolJournalSink {
  readonly repo: Repository<StoredTxEntry>;
  /** hash → value to write (null: delete), in the batch not yet started */
  private ops = new Map<string, StoredTx | null>();
  private next?: Promise<void>;
  private tail: Promise<void> = Promise.resolve();
  /** batches and entries written (metrics, tests) */
  readonly stats = { batches: 0, writes: 0, failures: 0 };

  constructor(readonly store: Store, private readonly log: Logger) {
    this.repo = mempoolRepo(store);
  }

  put(hash: string, tx: SignedTx, addedAt: number): void {
    this.ops.set(hash, { tx, addedAt });
    void this.flush();
  }

  del(hash: string): void {
    this.ops.set(hash, null);
    void this.flush();
  }

  /** Resolves once every change made so far is written (never rejects: a failed write is logged). */
  flush(): Promise<void> {
    if (this.ops.size === 0) return this.tail;
    this.next ??= new Promise<void>((r) => setImmediate(r)).then(() => {
      this.next = undefined;
      const ops = this.ops;
      this.ops = new Map();
      this.tail = this.tail.then(() => this.write(ops));
      return this.tail;
    });
    return this.next;
  }

  private async write(ops: Map<string, StoredTx | null>): Promise<void> {
    if (!this.store.isOpen) return;
    const b = this.store.batch();
    for (const [h, v] of ops) {
      if (v) b.put(this.repo, h, { ok: true, ...v });
      else b.del(this.repo, h);
    }
    try {
      await b.write();
      this.stats.batches++;
      this.stats.writes += ops.size;
    } catch (e) {
      this.stats.failures++;
      this.log.warn({ err: e, txs: ops.size }, `persisting ${ops.size} mempool changes failed: ${(e as Error).message}`);
    }
  }
}
