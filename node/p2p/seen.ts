// The node's own record of gossip messages it accepted, kept for as long as a message can
// matter: gossipsub forgets a message id after its seen-cache TTL (2 min), so a captured valid
// message replayed later would be validated, accepted and forwarded again. Every accepted
// message of a topic with a slot (blocks, RFQs, quotes, proofs) is recorded here with its slot,
// in memory and in LevelDB (repository `p2p.seen`, key = message id hex), until the slot is
// stale for its topic (the node's `isStaleSlot`; from then on the stale-slot check refuses the
// message anyway), so a replay after the TTL, or after a restart, is Ignored (`duplicate`).
// Txs carry no slot: a replayed tx is caught by the mempool's duplicate / nonce checks instead.
// Bounded: at most `capacity` entries; past it, the lowest slots are forgotten first.
import type { Codec, Repository, Store } from '../storage/index.js';
import type { TopicKind } from './topics.js';
import { TOPIC_KINDS } from './topics.js';

export interface SeenEntry { kind: TopicKind; slot: bigint }

/** version (1) ‖ topic index (1) ‖ slot (u64 BE). */
export const seenCodec: Codec<SeenEntry> = {
  name: 'p2p-seen-v1',
  encode(v) {
    const out = new Uint8Array(10);
    out[0] = 1;
    out[1] = TOPIC_KINDS.indexOf(v.kind);
    new DataView(out.buffer).setBigUint64(2, v.slot);
    return out;
  },
  decode(b) {
    if (b.length !== 10 || b[0] !== 1) throw new Error(`not a p2p-seen-v1 value (${b.length} bytes, version ${b[0]})`);
    const kind = TOPIC_KINDS[b[1]];
    if (!kind) throw new Error(`unknown topic index ${b[1]}`);
    return { kind, slot: new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(2) };
  },
};

export function seenRepo(store: Store): Repository<SeenEntry> {
  return store.repository('p2p.seen', seenCodec);
}

export class SeenMessages {
  private readonly mem = new Map<string, SeenEntry>();
  private pending = new Map<string, SeenEntry | null>();
  private writing: Promise<void> = Promise.resolve();
  readonly stats = { writes: 0, failures: 0, pruned: 0, corrupt: 0 };

  private constructor(readonly repo: Repository<SeenEntry>, readonly capacity: number, private readonly onError: (e: unknown) => void) {}

  /** Loads what a previous run recorded (an undecodable entry is deleted, never fatal). */
  static async open(repo: Repository<SeenEntry>, opts: { capacity?: number; onError?: (e: unknown) => void } = {}): Promise<SeenMessages> {
    const s = new SeenMessages(repo, opts.capacity ?? 65_536, opts.onError ?? (() => {}));
    const bad: string[] = [];
    for await (const k of repo.sub.keys()) {
      try {
        const v = await repo.get(k);
        if (v) s.mem.set(k, v);
      } catch {
        bad.push(k);
      }
    }
    for (const k of bad) await repo.del(k).catch(() => undefined);
    s.stats.corrupt = bad.length;
    return s;
  }

  get size(): number { return this.mem.size; }

  has(msgId: string): boolean { return this.mem.has(msgId); }

  /** Records an accepted message (written in the background, grouped per event-loop turn). */
  add(msgId: string, kind: TopicKind, slot: bigint): void {
    if (this.mem.has(msgId)) return;
    this.mem.set(msgId, { kind, slot });
    this.queue(msgId, { kind, slot });
    if (this.mem.size > this.capacity) this.evictLowest(this.mem.size - this.capacity);
  }

  /** Forgets every entry whose slot is stale for its topic; returns how many. */
  prune(isStale: (slot: bigint, kind: TopicKind) => boolean): number {
    let n = 0;
    for (const [id, e] of this.mem) {
      if (isStale(e.slot, e.kind)) { this.mem.delete(id); this.queue(id, null); n++; }
    }
    this.stats.pruned += n;
    return n;
  }

  /** Resolves when everything recorded so far is on disk. */
  async flush(): Promise<void> {
    if (this.pending.size) this.schedule();
    await this.writing;
  }

  private evictLowest(n: number): void {
    const sorted = [...this.mem].sort((a, b) => (a[1].slot < b[1].slot ? -1 : a[1].slot > b[1].slot ? 1 : 0)).slice(0, n);
    for (const [id] of sorted) { this.mem.delete(id); this.queue(id, null); }
    this.stats.pruned += sorted.length;
  }

  private queue(id: string, v: SeenEntry | null): void {
    const first = this.pending.size === 0;
    this.pending.set(id, v);
    if (first) queueMicrotask(() => this.schedule());
  }

  private schedule(): void {
    if (!this.pending.size) return;
    const ops = this.pending;
    this.pending = new Map();
    this.writing = this.writing.then(async () => {
      const b = this.repo.store.batch();
      for (const [id, v] of ops) {
        if (v) b.put(this.repo, id, v);
        else b.del(this.repo, id);
      }
      try {
        await b.write();
        this.stats.writes += ops.size;
      } catch (e) {
        // the in-memory record still holds; only a restart would forget these
        this.stats.failures++;
        this.onError(e);
      }
    });
  }
}
