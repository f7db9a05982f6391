// The sequencer's own-block records (`sequencer.proposals`) on a real LevelDB: an own block
// round-trips (the L1 block is rebuilt and checked against its hash), a record whose txs do not
// make its block hash is refused, and a damaged value reads as { corrupt } instead of throwing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorldState, generateKeyPair, signTx, txHash } from '../../../../circuits/l2/index.js';
import { padSlot } from '../../../../node/chain/repos.js';
import { blockHash, makeL1Block } from '../../../../node/l1/block.js';
import { ownBlockFromRecord, ownBlockToRecord, sequencerProposalsRepo, type OwnBlock } from '../../../../node/roles/sequencer.js';
import { Store, jsonCodec } from '../../../../node/storage/index.js';

const keys = Array.from({ length: 2 }, (_, i) => generateKeyPair(new Uint8Array([0x5e, i])));
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-seq-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function ownBlock(): Promise<OwnBlock> {
  const state = await WorldState.create(keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 100n })));
  const txs = [signTx({ from: 0, to: 1, amount: 5n, nonce: 0 }, keys[0].secretKey), signTx({ from: 1, to: 0, amount: 2n, nonce: 0 }, keys[1].secretKey)];
  const start = state.root();
  state.applyBlock(txs);
  const block = makeL1Block(42, start, state.root(), txs);
  return { slot: 42, block, blockHash: blockHash(block).toLowerCase(), txs, hashes: txs.map((t) => txHash(t).toLowerCase()), stage: 'revealed', held: true, slotSeenAt: 123, prover: '0x' + '11'.repeat(20), limitedTo: 2 };
}

test('own block records round-trip through LevelDB; the L1 block is rebuilt to the same hash', async () => {
  const own = await ownBlock();
  const store = await Store.open(path.join(dir, 'db'));
  try {
    const repo = sequencerProposalsRepo(store);
    await repo.put(padSlot(own.slot), ownBlockToRecord(own));
    await repo.put(padSlot(43), ownBlockToRecord({ ...own, slot: 43 }, 'proposing'));
    const rec = await repo.get(padSlot(own.slot));
    assert.ok(rec && !('corrupt' in rec));
    const back = ownBlockFromRecord(rec);
    assert.deepEqual(back, own);
    // 'proposing' (written before the propose tx was sent) comes back as 'proposed': reveal it
    const p = await repo.get(padSlot(43));
    assert.ok(p && !('corrupt' in p) && p.stage === 'proposing');
    assert.throws(() => ownBlockFromRecord(p), /make block 0x[0-9a-f]{64}, not the recorded/, 'slot 43 changes the block hash');
    assert.equal(ownBlockFromRecord({ ...p, slot: 42 }).stage, 'proposed');
    // a record whose txs were tampered with
    const swapped = { ...ownBlockToRecord(own), txs: ownBlockToRecord(own).txs.reverse() };
    assert.throws(() => ownBlockFromRecord(swapped), /not the recorded/);
  } finally {
    await store.close();
  }
});

test('a damaged own block record reads as { corrupt } naming the problem, never throws', async () => {
  const store = await Store.open(path.join(dir, 'db2'));
  try {
    const repo = sequencerProposalsRepo(store);
    const raw = store.db.sublevel<string, Uint8Array>('sequencer.proposals', { keyEncoding: 'utf8', valueEncoding: 'view' });
    await raw.put(padSlot(1), new Uint8Array([0xff, 0x00]));
    await raw.put(padSlot(2), jsonCodec().encode({ slot: 2, blockHash: 'nope' }));
    await repo.put(padSlot(3), ownBlockToRecord(await ownBlock()));
    const all = [];
    for await (const [k, v] of repo.entries()) all.push([k, 'corrupt' in v ? v.corrupt : v.stage]);
    assert.equal(all.length, 3);
    assert.match(String(all[0][1]), /./);
    assert.match(String(all[1][1]), /blockHash/);
    assert.equal(all[2][1], 'revealed');
    assert.throws(() => repo.codec.encode({ corrupt: 'x' }), /cannot store a corrupt own block record/);
  } finally {
    await store.close();
  }
});
