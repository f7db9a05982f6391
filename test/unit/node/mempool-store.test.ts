// The mempool's persistence (node/mempool/store.ts) on a real LevelDB: the stored-tx codec
// round-trips and reports damaged values instead of throwing; the journal writes the pool's
// changes grouped in one batch per event-loop turn and follows the pool (in, out, in again).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorldState, encodeSignedTx, generateKeyPair, initPoseidon2, signTx, txHash } from '../../../circuits/l2/index.js';
import { createLogger } from '../../../node/log.js';
import { Mempool } from '../../../node/mempool/index.js';
import { MempoolJournal, mempoolRepo, storedTxCodec } from '../../../node/mempool/store.js';
import { Store } from '../../../node/storage/index.js';

await initPoseidon2();
const keys = Array.from({ length: 3 }, (_, i) => generateKeyPair(new Uint8Array([0x6e, i])));
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-mempool-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('stored tx codec: round-trips tx and admission time; damaged values decode as { ok: false } with a reason', () => {
  const tx = signTx({ from: 0, to: 1, amount: 123n, nonce: 7 }, keys[0].secretKey);
  const bytes = storedTxCodec.encode({ ok: true, tx, addedAt: 1_700_000_000_123 });
  assert.equal(bytes.length, 9 + 96);
  const back = storedTxCodec.decode(bytes);
  assert.ok(back.ok);
  assert.equal(back.addedAt, 1_700_000_000_123);
  assert.deepEqual(encodeSignedTx(back.tx), encodeSignedTx(tx));
  assert.equal(txHash(back.tx), txHash(tx));

  const bad = (b: Uint8Array, re: RegExp) => {
    const d = storedTxCodec.decode(b);
    assert.ok(!d.ok && re.test(d.reason), `expected ${re}, got ${JSON.stringify(d)}`);
  };
  bad(new Uint8Array([1, 2]), /shorter than the 9-byte header/);
  bad(Uint8Array.of(9, ...bytes.subarray(1)), /unknown version 9/);
  bad(bytes.subarray(0, bytes.length - 1), /signed tx must be 96 bytes, got 95/);
  const nan = bytes.slice();
  new DataView(nan.buffer).setFloat64(1, Number.NaN);
  bad(nan, /bad admission time/);
  assert.throws(() => storedTxCodec.encode({ ok: false, reason: 'x' }), /cannot store a corrupt mempool entry/);
});

test('journal: the pool\'s adds and removals reach LevelDB in one batch per turn; flush waits for them', async () => {
  const store = await Store.open(path.join(dir, 'db'));
  try {
    const journal = new MempoolJournal(store, createLogger('test'));
    const pool = new Mempool({ journal });
    const state = await WorldState.create(keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 100n })));
    const txs = Array.from({ length: 20 }, (_, i) => signTx({ from: i % 3, to: (i + 1) % 3, amount: 1n, nonce: Math.floor(i / 3) }, keys[i % 3].secretKey));
    for (const t of txs) pool.add(t, state, 1000);
    await journal.flush();
    assert.deepEqual(journal.stats, { batches: 1, writes: 20, failures: 0 }, 'twenty admissions in one turn: one batch');
    const repo = mempoolRepo(store);
    assert.equal(await repo.count(), 20);
    const one = await repo.get(txHash(txs[4]).toLowerCase());
    assert.ok(one?.ok && one.addedAt === 1000 && txHash(one.tx) === txHash(txs[4]));

    // out (block selection and removal, a prune) and in again (requeue): the store follows
    pool.remove(txs.slice(0, 5).map((t) => txHash(t)));
    pool.requeue([txs[0]], state);
    const moved = state.clone();
    moved.applyTx(txs[2]); // account 2's nonce 0 used on a newer tip
    pool.prune(moved);
    await journal.flush();
    const stored = new Set((await repo.values()).map((e) => (e.ok ? txHash(e.tx).toLowerCase() : 'corrupt')));
    assert.deepEqual([...stored].sort(), pool.hashes().sort());
    assert.equal(stored.size, 20 - 5 + 1 - 0, 'txs[2] left with the removal already');
    assert.equal(journal.stats.batches, 2);
    await journal.flush(); // nothing pending: resolves without a write
    assert.equal(journal.stats.batches, 2);
  } finally {
    await store.close();
  }
});
