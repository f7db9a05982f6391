// The chain's repositories and write sets on a real LevelDB dir: a handler reads its own staged
// writes, the batch journals the old values exactly, and damaged values are StorageErrors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chainRepos, padSlot, WriteSet } from '../../../node/chain/index.js';
import { Store, StorageError, stringCodec } from '../../../node/storage/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'sidecar-chain-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));
const H = (n: number) => '0x' + n.toString(16).padStart(64, '0');

test('a write set reads its own writes, lists a repository as it would leave it, and journals old values', async () => {
  const store = await Store.open(path.join(root, 'ws'));
  try {
    const r = chainRepos(store);
    await r.pending.put(padSlot(3), H(3));
    await r.pending.put(padSlot(5), H(5));
    const ws = new WriteSet();
    ws.put(r.pending, padSlot(4), H(4));
    ws.del(r.pending, padSlot(3));
    assert.equal(await ws.get(r.pending, padSlot(3)), undefined, 'a staged delete hides the stored value');
    assert.equal(await ws.get(r.pending, padSlot(4)), H(4));
    assert.equal(await ws.get(r.pending, padSlot(5)), H(5), 'unstaged keys read through');
    assert.deepEqual(await ws.entries(r.pending), [[padSlot(4), H(4)], [padSlot(5), H(5)]]);
    assert.equal(await r.pending.get(padSlot(4)), undefined, 'nothing written before the batch');
    const batch = store.batch();
    const undo = await ws.addTo(batch, true);
    await batch.write();
    assert.deepEqual(undo.map((u) => [u.key, u.old === null ? null : new TextDecoder().decode(u.old)]), [[padSlot(4), null], [padSlot(3), JSON.stringify(H(3))]]);
    assert.deepEqual(await r.pending.values(), [H(4), H(5)]);
  } finally {
    await store.close();
  }
});

test('stored values are validated on read: a wrong shape is a StorageError naming the key', async () => {
  const store = await Store.open(path.join(root, 'bad'));
  try {
    // same prefixes, written raw
    await store.repository('chain.canonical', stringCodec).put(padSlot(7), JSON.stringify({ slot: 7, sequencer: 'nope' }));
    await store.repository('chain.txs', stringCodec).put(H(1), '{"txHash": 12');
  } finally {
    await store.close();
  }
  const again = await Store.open(path.join(root, 'bad'));
  try {
    const r = chainRepos(again);
    await assert.rejects(r.canonical.get(padSlot(7)), (e: unknown) => e instanceof StorageError && e.code === 'bad-value' && /chain\.canonical\/000000000007/.test(e.message) && /sequencer: expected an address/.test(e.message));
    await assert.rejects(r.txs.get(H(1)), (e: unknown) => e instanceof StorageError && e.code === 'bad-value' && /chain\.txs\//.test(e.message));
  } finally {
    await again.close();
  }
});
