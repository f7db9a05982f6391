// node/storage against real LevelDB directories: typed repositories over prefixes, codecs,
// atomic batches, restart, and clear errors for a locked, corrupt or bad-value database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, StorageError, jsonCodec, bytesCodec, stringCodec } from '../../../node/storage/index.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'sidecar-store-'));

test('repositories under different prefixes are separate, typed and survive a restart', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let store = await Store.open(path.join(dir, 'db'));
  const jobs = store.repository<{ n: bigint; proof: Uint8Array; tags: string[] }>('jobs', jsonCodec());
  const raw = store.repository('raw', bytesCodec);
  const names = store.repository('names', stringCodec);
  await jobs.put('a', { n: 2n ** 200n + 1n, proof: new Uint8Array([1, 2, 255]), tags: ['x'] });
  await raw.put('a', new Uint8Array([9, 9]));
  await names.put('a', 'alice');
  assert.deepEqual(await jobs.get('a'), { n: 2n ** 200n + 1n, proof: new Uint8Array([1, 2, 255]), tags: ['x'] });
  assert.deepEqual(await raw.get('a'), new Uint8Array([9, 9]));
  assert.equal(await jobs.get('missing'), undefined);
  assert.equal(await jobs.count(), 1);
  assert.throws(() => store.repository('jobs', bytesCodec), /already open with codec json/);
  await store.close();

  store = await Store.open(path.join(dir, 'db'));
  const again = store.repository<{ n: bigint; proof: Uint8Array; tags: string[] }>('jobs', jsonCodec());
  assert.equal((await again.get('a'))?.n, 2n ** 200n + 1n);
  assert.equal(await store.repository('names', stringCodec).get('a'), 'alice');
  await store.close();
});

test('entries iterate in key order within a prefix; clear empties one repository only', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.after(() => store.close());
  const r = store.repository<number>('r', jsonCodec());
  const other = store.repository<number>('r2', jsonCodec());
  for (const k of ['b:2', 'a:1', 'b:1', 'c:1']) await r.put(k, k.length);
  await other.put('b:9', 1);
  assert.deepEqual((await collect(r.entries({ prefix: 'b:' }))).map(([k]) => k), ['b:1', 'b:2']);
  assert.deepEqual((await collect(r.entries())).map(([k]) => k), ['a:1', 'b:1', 'b:2', 'c:1']);
  await r.clear();
  assert.equal(await r.count(), 0);
  assert.equal(await other.get('b:9'), 1);
});

test('a batch over two repositories is all or nothing', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.after(() => store.close());
  const a = store.repository<number>('a', jsonCodec());
  const b = store.repository<string>('b', stringCodec);
  await a.put('gone', 1);
  await store.batch().put(a, 'x', 1).put(b, 'y', 'z').del(a, 'gone').write();
  assert.equal(await a.get('x'), 1);
  assert.equal(await b.get('y'), 'z');
  assert.equal(await a.get('gone'), undefined);
  // a value the codec cannot encode fails before anything is written
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => store.batch().put(a, 'x', 2).put(a, 'bad', cyclic as unknown as number));
  assert.equal(await a.get('x'), 1);
  await assert.rejects(a.put('', 1), (e: unknown) => e instanceof StorageError && e.code === 'bad-key');
});

test('a value that does not decode is a clear bad-value error naming the key', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.after(() => store.close());
  await store.repository('v', bytesCodec).put('k', new Uint8Array([0xff, 0xfe]));
  const store2 = store.repository<number>('v2', jsonCodec((v) => { if (typeof v !== 'number') throw new Error('not a number'); return v; }));
  await store2.put('n', 'x' as unknown as number);
  await assert.rejects(store2.get('n'), (e: unknown) => e instanceof StorageError && e.code === 'bad-value' && /v2\/n/.test(e.message) && /not a number/.test(e.message));
});

test('a directory held by another process is "in use by another sidecar process", not a stack trace', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'db');
  // another process opens the database and keeps it open until told to exit
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `import { Level } from 'level'; const d = new Level(${JSON.stringify(db)}); await d.open(); console.log('open'); process.stdin.on('data', async () => { await d.close(); process.exit(0); });`],
  { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => { if (child.exitCode === null) child.kill(); });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => { if (String(d).includes('open')) resolve(); });
    child.on('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
  await assert.rejects(Store.open(db), (e: unknown) => {
    assert.ok(e instanceof StorageError);
    assert.equal(e.code, 'locked');
    assert.match(e.message, new RegExp(`data directory ${db.replace(/[/.]/g, '\\$&')} is in use by another sidecar process`));
    return true;
  });
  child.stdin!.write('x');
  await new Promise((r) => child.once('exit', r));
  const s = await Store.open(db); // free again
  await s.close();
});

test('a corrupt database is a clear corrupt error', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = await Store.open(dir);
  await s.repository<number>('a', jsonCodec()).put('k', 1);
  await s.close();
  for (const f of readdirSync(dir)) if (f.startsWith('MANIFEST-')) writeFileSync(path.join(dir, f), 'garbage, not a LevelDB manifest');
  await assert.rejects(Store.open(dir), (e: unknown) => e instanceof StorageError && e.code === 'corrupt' && e.message.includes(dir));
});

test('using a closed store is a closed error', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = await Store.open(dir);
  const r = s.repository<number>('a', jsonCodec());
  await s.close();
  await assert.rejects(r.get('k'), (e: unknown) => e instanceof StorageError && e.code === 'closed');
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
