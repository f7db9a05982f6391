// Small typed repositories over LevelDB key prefixes (`level` 10 sublevels). One `Store` per
// data directory; each module asks it for a `Repository<V>` under its own prefix with a codec
// (JSON with bigint/bytes support, raw bytes, or its own), and writes several repositories
// atomically with `store.batch()`. Opening a directory another process holds, or a corrupt
// one, is a `StorageError` with a readable message, never a LevelDB stack trace.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';

export type StorageErrorCode = 'locked' | 'corrupt' | 'io' | 'closed' | 'bad-value' | 'bad-key';

export class StorageError extends Error {
  constructor(readonly code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** How a repository turns values into bytes and back. `decode` throws on bad data. */
export interface Codec<V> {
  name: string;
  encode(value: V): Uint8Array;
  decode(bytes: Uint8Array): V;
}

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON that round-trips bigint (`{"$n":"123"}`) and Uint8Array (`{"$b":"<base64>"}`).
 * Everything else as JSON does (no class instances, no undefined in arrays).
 */
export function jsonCodec<V>(validate?: (v: unknown) => V): Codec<V> {
  return {
    name: 'json',
    encode: (v) => te.encode(JSON.stringify(v, function (this: Record<string, unknown>, k, x) {
      const raw = this[k];
      if (typeof raw === 'bigint') return { $n: raw.toString() };
      if (raw instanceof Uint8Array) return { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
      return x;
    })),
    decode: (bytes) => {
      const v = JSON.parse(td.decode(bytes), (_k, x) => {
        if (x && typeof x === 'object' && !Array.isArray(x)) {
          const keys = Object.keys(x);
          if (keys.length === 1 && keys[0] === '$n' && typeof x.$n === 'string') return BigInt(x.$n);
          if (keys.length === 1 && keys[0] === '$b' && typeof x.$b === 'string') return new Uint8Array(Buffer.from(x.$b, 'base64'));
        }
        return x;
      });
      return validate ? validate(v) : (v as V);
    },
  };
}

/** Values stored as they are. */
export const bytesCodec: Codec<Uint8Array> = { name: 'bytes', encode: (v) => v, decode: (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };

/** UTF-8 strings. */
export const stringCodec: Codec<string> = { name: 'utf8', encode: (v) => te.encode(v), decode: (b) => td.decode(b) };

/** The part of a `level` sublevel the repositories use. */
interface Sub {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  del(key: string): Promise<void>;
  iterator(opts: { gte?: string; lt?: string; limit?: number }): AsyncIterable<[string, Uint8Array]> & { close(): Promise<void> };
  keys(): AsyncIterable<string>;
  clear(): Promise<void>;
}

/** A typed key/value collection under one key prefix. Keys are strings. */
export class Repository<V> {
  /** @internal */
  constructor(readonly store: Store, readonly prefix: string, readonly codec: Codec<V>, /** @internal */ readonly sub: Sub) {}

  private fail(op: string, key: string, e: unknown): never {
    throw this.store.wrap(e, `${op} ${this.prefix}/${key}`);
  }

  /** @internal */
  decodeAt(key: string, bytes: Uint8Array): V {
    try {
      return this.codec.decode(bytes);
    } catch (e) {
      throw new StorageError('bad-value', `stored value at ${this.prefix}/${key} in ${this.store.dir} does not decode as ${this.codec.name}: ${(e as Error).message}`, { cause: e });
    }
  }

  async get(key: string): Promise<V | undefined> {
    checkKey(key);
    let raw: Uint8Array | undefined;
    try {
      raw = await this.sub.get(key);
    } catch (e) {
      this.fail('get', key, e);
    }
    return raw === undefined ? undefined : this.decodeAt(key, raw);
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async put(key: string, value: V): Promise<void> {
    checkKey(key);
    const bytes = this.codec.encode(value);
    try {
      await this.sub.put(key, bytes);
    } catch (e) {
      this.fail('put', key, e);
    }
  }

  async del(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.sub.del(key);
    } catch (e) {
      this.fail('del', key, e);
    }
  }

  /** Entries in key order, optionally within [gte, lt) or under a key prefix. */
  async *entries(range: { gte?: string; lt?: string; prefix?: string; limit?: number } = {}): AsyncGenerator<[string, V]> {
    const opts: { gte?: string; lt?: string; limit?: number } = { limit: range.limit ?? -1 };
    if (range.prefix !== undefined) {
      opts.gte = range.prefix;
      opts.lt = range.prefix + '\uffff';
    }
    if (range.gte !== undefined) opts.gte = range.gte;
    if (range.lt !== undefined) opts.lt = range.lt;
    const it = this.sub.iterator(opts);
    try {
      for await (const [k, raw] of it) yield [k, this.decodeAt(k, raw)];
    } catch (e) {
      if (e instanceof StorageError) throw e;
      throw this.store.wrap(e, `iterate ${this.prefix}`);
    } finally {
      await it.close().catch(() => {});
    }
  }

  async values(range?: { gte?: string; lt?: string; prefix?: string; limit?: number }): Promise<V[]> {
    const out: V[] = [];
    for await (const [, v] of this.entries(range)) out.push(v);
    return out;
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.sub.keys()) n++;
    return n;
  }

  /** Deletes every entry of this repository. */
  async clear(): Promise<void> {
    try {
      await this.sub.clear();
    } catch (e) {
      throw this.store.wrap(e, `clear ${this.prefix}`);
    }
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new StorageError('bad-key', `a storage key must be a non-empty string, got ${JSON.stringify(key)}`);
}

/** Several writes over one or more repositories, applied all or nothing by `write()`. */
export class Batch {
  private ops: { type: 'put' | 'del'; sublevel: Sub; key: string; value?: Uint8Array }[] = [];
  constructor(private readonly store: Store) {}
  put<V>(repo: Repository<V>, key: string, value: V): this {
    checkKey(key);
    this.ops.push({ type: 'put', sublevel: repo.sub, key, value: repo.codec.encode(value) });
    return this;
  }
  del<V>(repo: Repository<V>, key: string): this {
    checkKey(key);
    this.ops.push({ type: 'del', sublevel: repo.sub, key });
    return this;
  }
  get length(): number {
    return this.ops.length;
  }
  async write(): Promise<void> {
    if (this.ops.length === 0) return;
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await this.store.db.batch(this.ops as any);
    } catch (e) {
      throw this.store.wrap(e, 'batch write');
    } finally {
      this.ops = [];
    }
  }
}

/** One LevelDB database in a directory; hands out repositories by prefix. */
export class Store {
  /** @internal */
  readonly db: Level<string, Uint8Array>;
  private readonly repos = new Map<string, Repository<unknown>>();

  private constructor(readonly dir: string) {
    this.db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  }

  /**
   * Opens (creating) the database at `dir`. Throws StorageError 'locked' when another
   * process has it open, 'corrupt' when LevelDB finds it damaged.
   */
  static async open(dir: string): Promise<Store> {
    const abs = path.resolve(dir);
    try {
      mkdirSync(path.dirname(abs), { recursive: true });
    } catch (e) {
      throw new StorageError('io', `cannot create the data directory ${path.dirname(abs)}: ${(e as Error).message}`, { cause: e });
    }
    const s = new Store(abs);
    try {
      await s.db.open();
    } catch (e) {
      throw s.wrap(e, 'open');
    }
    return s;
  }

  /** A repository under `prefix` (letters, digits, - _ . :). The same prefix twice must use the same codec. */
  repository<V>(prefix: string, codec: Codec<V>): Repository<V> {
    if (!/^[A-Za-z0-9_.:-]+$/.test(prefix)) throw new StorageError('bad-key', `repository prefix must be letters, digits, - _ . :, got ${JSON.stringify(prefix)}`);
    const existing = this.repos.get(prefix);
    if (existing) {
      if (existing.codec.name !== codec.name) throw new StorageError('bad-key', `repository ${prefix} is already open with codec ${existing.codec.name}, not ${codec.name}`);
      return existing as Repository<V>;
    }
    const sub = this.db.sublevel<string, Uint8Array>(prefix, { keyEncoding: 'utf8', valueEncoding: 'view' });
    const repo = new Repository<V>(this, prefix, codec, sub as unknown as Sub);
    this.repos.set(prefix, repo as Repository<unknown>);
    return repo;
  }

  batch(): Batch {
    return new Batch(this);
  }

  get isOpen(): boolean {
    return this.db.status === 'open';
  }

  async close(): Promise<void> {
    if (this.db.status === 'closed') return;
    await this.db.close();
  }

  /** @internal LevelDB errors as StorageError with the directory named. */
  wrap(e: unknown, what: string): StorageError {
    if (e instanceof StorageError) return e;
    const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    const codes = [err?.code, err?.cause?.code];
    const text = `${err?.message ?? e} ${err?.cause?.message ?? ''}`;
    if (codes.includes('LEVEL_LOCKED') || /lock .*(temporarily unavailable|held by process)/i.test(text)) {
      return new StorageError('locked', `data directory ${this.dir} is in use by another sidecar process (its LevelDB LOCK is held); stop that process or choose another --data-dir`, { cause: e });
    }
    if (codes.includes('LEVEL_CORRUPTION') || /corrupt/i.test(text)) {
      return new StorageError('corrupt', `database ${this.dir} is corrupt (${(err?.cause?.message ?? err?.message ?? '').trim()}); move it aside to start fresh`, { cause: e });
    }
    if (codes.includes('LEVEL_DATABASE_NOT_OPEN') && this.db.status !== 'opening') {
      return new StorageError('closed', `${what}: database ${this.dir} is not open (closed or failed to open)`, { cause: e });
    }
    return new StorageError('io', `${what} on ${this.dir} failed: ${(err?.cause?.message ?? err?.message ?? String(e)).trim()}`, { cause: e });
  }
}
