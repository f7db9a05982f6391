// The node's own gossip dedup (node/p2p/seen.ts) on a real LevelDB: what it recorded survives a
// restart, entries go once their slot is stale, it stays bounded (lowest slots go first), and a
// damaged value is dropped on open instead of failing the node.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SeenMessages, seenCodec, seenRepo } from '../../../node/p2p/index.js';
import { Store } from '../../../node/storage/index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sidecar-seen-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('codec round-trips and refuses damaged values', () => {
  assert.deepEqual(seenCodec.decode(seenCodec.encode({ kind: 'proofs', slot: 12345678901n })), { kind: 'proofs', slot: 12345678901n });
  assert.throws(() => seenCodec.decode(new Uint8Array(3)), /not a p2p-seen-v1 value/);
  const bad = seenCodec.encode({ kind: 'rfq', slot: 1n });
  bad[1] = 99;
  assert.throws(() => seenCodec.decode(bad), /unknown topic index 99/);
});

test('recorded messages survive a restart; stale ones are pruned, from disk too', async () => {
  const dir = path.join(root, 'restart');
  let store = await Store.open(dir);
  let seen = await SeenMessages.open(seenRepo(store));
  seen.add('aa', 'rfq', 5n);
  seen.add('bb', 'proofs', 7n);
  seen.add('aa', 'rfq', 5n); // once
  assert.equal(seen.size, 2);
  await seen.flush();
  await store.close();

  store = await Store.open(dir);
  seen = await SeenMessages.open(seenRepo(store));
  assert.ok(seen.has('aa') && seen.has('bb'), 'both back after the restart');
  assert.ok(!seen.has('cc'));
  assert.equal(seen.prune((slot, kind) => kind === 'rfq' && slot < 6n), 1);
  assert.ok(!seen.has('aa') && seen.has('bb'));
  await seen.flush();
  await store.close();

  store = await Store.open(dir);
  seen = await SeenMessages.open(seenRepo(store));
  assert.deepEqual([seen.has('aa'), seen.has('bb')], [false, true], 'the prune reached the disk');
  await store.close();
});

test('bounded: past its capacity the lowest slots are forgotten first', async () => {
  const store = await Store.open(path.join(root, 'bounded'));
  const seen = await SeenMessages.open(seenRepo(store), { capacity: 3 });
  for (const [id, slot] of [['s9', 9n], ['s1', 1n], ['s5', 5n], ['s7', 7n], ['s2', 2n]] as const) seen.add(id, 'quotes', slot);
  assert.equal(seen.size, 3);
  assert.deepEqual(['s9', 's1', 's5', 's7', 's2'].filter((id) => seen.has(id)), ['s9', 's5', 's7']);
  await seen.flush();
  assert.equal(await seenRepo(store).count(), 3);
  await store.close();
});

test('a damaged stored value is dropped on open, the rest load', async () => {
  const store = await Store.open(path.join(root, 'damaged'));
  const repo = seenRepo(store);
  await repo.put('good', { kind: 'rfq', slot: 3n });
  await repo.sub.put('bad', new Uint8Array([7, 7]));
  const seen = await SeenMessages.open(repo);
  assert.ok(seen.has('good') && !seen.has('bad'));
  assert.equal(seen.stats.corrupt, 1);
  assert.equal(await repo.get('bad'), undefined, 'deleted');
  await store.close();
});
