// The writes of one L1 event, staged so that the handler reads its own writes, then written in
// ONE LevelDB batch together with the cursor and an undo record (the old value of every key the
// batch changes), so that a crash at any moment leaves either all of it or none, and an L1
// reorg can restore exactly the state before the event.
import type { Batch, Repository } from '../storage/index.js';

interface Op { repo: Repository<unknown>; key: string; value: unknown; del: boolean }

export class WriteSet {
  private ops = new Map<string, Op>();

  private id(repo: Repository<unknown>, key: string): string { return `${repo.prefix}\u0000${key}`; }

  async get<V>(repo: Repository<V>, key: string): Promise<V | undefined> {
    const op = this.ops.get(this.id(repo as Repository<unknown>, key));
    if (op) return op.del ? undefined : (op.value as V);
    return repo.get(key);
  }

  put<V>(repo: Repository<V>, key: string, value: V): void {
    this.ops.set(this.id(repo as Repository<unknown>, key), { repo: repo as Repository<unknown>, key, value, del: false });
  }

  del<V>(repo: Repository<V>, key: string): void {
    this.ops.set(this.id(repo as Repository<unknown>, key), { repo: repo as Repository<unknown>, key, value: undefined, del: true });
  }

  /** Every entry of a (small) repository as this write set would leave it, in key order. */
  async entries<V>(repo: Repository<V>): Promise<[string, V][]> {
    const m = new Map<string, V>();
    for await (const [k, v] of repo.entries()) m.set(k, v);
    for (const op of this.ops.values()) {
      if (op.repo !== (repo as Repository<unknown>)) continue;
      if (op.del) m.delete(op.key);
      else m.set(op.key, op.value as V);
    }
    return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  get size(): number { return this.ops.size; }

  /**
   * Adds the staged writes to `batch`; with `journal`, returns the undo entries (the encoded old
   * value of each key, null when absent).
   */
  async addTo(batch: Batch, journal: boolean): Promise<{ prefix: string; key: string; old: Uint8Array | null }[]> {
    const undo: { prefix: string; key: string; old: Uint8Array | null }[] = [];
    for (const op of this.ops.values()) {
      if (journal) {
        const old = await op.repo.get(op.key);
        undo.push({ prefix: op.repo.prefix, key: op.key, old: old === undefined ? null : op.repo.codec.encode(old) });
      }
      if (op.del) batch.del(op.repo, op.key);
      else batch.put(op.repo, op.key, op.value);
    }
    return undo;
  }
}
