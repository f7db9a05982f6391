// The mempool's admission checks and block selection on a real L2 state (Grumpkin keys,
// Schnorr signatures, Poseidon2 accounts tree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorldState, generateKeyPair, signTx, txHash } from '../../../circuits/l2/index.js';
import { Mempool, MempoolError } from '../../../node/mempool/index.js';

const keys = Array.from({ length: 3 }, (_, i) => generateKeyPair(new Uint8Array([0x6d, i])));

async function state(): Promise<WorldState> {
  return WorldState.create(keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 100n })));
}

function refused(fn: () => unknown, code: string, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof MempoolError && e.code === code && msg.test(e.message));
}

test('admits a valid tx; refuses bad signature, unknown account, stale and far nonces, duplicates', async () => {
  const s = await state();
  const pool = new Mempool({ nonceWindow: 4 });
  const ok = signTx({ from: 0, to: 1, amount: 5n, nonce: 0 }, keys[0].secretKey);
  assert.equal(pool.add(ok, s), txHash(ok).toLowerCase());
  refused(() => pool.add(ok, s), 'duplicate', /already in the mempool/);
  const forged = signTx({ from: 1, to: 0, amount: 5n, nonce: 0 }, keys[2].secretKey);
  refused(() => pool.add(forged, s), 'bad-signature', /bad signature for sender account 1/);
  refused(() => pool.add(signTx({ from: 7, to: 0, amount: 1n, nonce: 0 }, keys[0].secretKey), s), 'unknown-account', /unknown sender account 7/);
  refused(() => pool.add(signTx({ from: 0, to: 9, amount: 1n, nonce: 1 }, keys[0].secretKey), s), 'unknown-account', /unknown recipient account 9/);
  refused(() => pool.add(signTx({ from: 1, to: 0, amount: 1n, nonce: 4 }, keys[1].secretKey), s), 'nonce-too-far', /more than 4 ahead/);
  refused(() => pool.add(signTx({ from: 0, to: 2, amount: 1n, nonce: 0 }, keys[0].secretKey), s), 'duplicate', /already has a tx with nonce 0/);
  // after a block uses nonce 0, a tx with nonce 0 is stale
  const after = s.clone();
  after.applyTx(ok);
  refused(() => new Mempool().add(signTx({ from: 0, to: 2, amount: 1n, nonce: 0 }, keys[0].secretKey), after), 'stale-nonce', /nonce 0 of account 0 is already used \(next is 1\)/);
  assert.equal(pool.size, 1, 'refusals lose nothing and add nothing');
});

test('select: applies txs in nonce order up to max, keeps gaps and overspends waiting, evicts stale ones', async () => {
  const s = await state();
  const pool = new Mempool();
  const t1 = signTx({ from: 0, to: 1, amount: 10n, nonce: 1 }, keys[0].secretKey);
  const t0 = signTx({ from: 0, to: 1, amount: 10n, nonce: 0 }, keys[0].secretKey);
  const gap = signTx({ from: 1, to: 2, amount: 1n, nonce: 2 }, keys[1].secretKey);
  const over = signTx({ from: 2, to: 0, amount: 1000n, nonce: 0 }, keys[2].secretKey);
  for (const t of [t1, t0, gap, over]) pool.add(t, s);
  assert.equal(pool.nextNonce(0, s), 2);
  const one = pool.select(s, 1);
  assert.deepEqual(one.hashes, [txHash(t0)]);
  const all = pool.select(s, 10);
  assert.deepEqual(all.hashes, [txHash(t0), txHash(t1)], 'the gap (nonce 2 of account 1) and the overspend wait');
  assert.equal(all.endState.account(0)!.balance, 80n);
  assert.equal(s.account(0)!.balance, 100n, 'the given state is not modified');
  pool.remove(all.hashes);
  // a state where account 2 already used nonce 0: its waiting tx is evicted as dropped
  const moved = s.clone();
  moved.applyTx(signTx({ from: 2, to: 0, amount: 1n, nonce: 0 }, keys[2].secretKey));
  const later = pool.select(moved, 10);
  assert.deepEqual(later.dropped, [txHash(over)]);
  assert.equal(pool.size, 1);
});

test('requeue: puts back a lost block\'s txs in block order; skips included, overspent, duplicate; ignores the size bound', async () => {
  const s = await state();
  const pool = new Mempool({ maxSize: 1 });
  // a block: 0 -> 1 (60), 1 -> 2 (150: only valid after the first), 2 -> 0 (1), 0 -> 1 (50: overspends account 0)
  const a = signTx({ from: 0, to: 1, amount: 60n, nonce: 0 }, keys[0].secretKey);
  const b = signTx({ from: 1, to: 2, amount: 150n, nonce: 0 }, keys[1].secretKey);
  const c = signTx({ from: 2, to: 0, amount: 1n, nonce: 0 }, keys[2].secretKey);
  const d = signTx({ from: 0, to: 1, amount: 50n, nonce: 1 }, keys[0].secretKey);
  // on the pending tip another block already used account 2's nonce 0
  const tip = s.clone();
  tip.applyTx(signTx({ from: 2, to: 1, amount: 5n, nonce: 0 }, keys[2].secretKey));
  const r = pool.requeue([a, b, c, d], tip);
  assert.deepEqual(r.requeued, [txHash(a), txHash(b)], 'b applies after a in block order, though account 1 alone has only 100');
  assert.deepEqual(r.skipped, [{ hash: txHash(c), code: 'included' }, { hash: txHash(d), code: 'insufficient-balance' }]);
  assert.equal(pool.size, 2, 'requeued txs are not refused by a full pool');
  assert.deepEqual(pool.select(tip, 10).hashes, [txHash(a), txHash(b)], 'and are selected again');
  // again: already waiting counts as requeued; another tx with the same sender and nonce wins
  const other = signTx({ from: 1, to: 0, amount: 1n, nonce: 1 }, keys[1].secretKey);
  const pool2 = new Mempool();
  pool2.add(other, tip);
  const again = pool2.requeue([signTx({ from: 1, to: 2, amount: 2n, nonce: 1 }, keys[1].secretKey)], tip);
  assert.equal(again.skipped[0].code, 'duplicate');
  assert.deepEqual(pool.requeue([a], tip).requeued, [txHash(a)]);
  assert.equal(pool.size, 2);
});

test('prune evicts txs whose nonce the pending tip used; check admits without adding', async () => {
  const s = await state();
  const pool = new Mempool();
  const t0 = signTx({ from: 0, to: 1, amount: 1n, nonce: 0 }, keys[0].secretKey);
  const t1 = signTx({ from: 0, to: 1, amount: 1n, nonce: 1 }, keys[0].secretKey);
  const u0 = signTx({ from: 1, to: 0, amount: 1n, nonce: 0 }, keys[1].secretKey);
  assert.equal(pool.check(t0, s), txHash(t0));
  assert.equal(pool.size, 0, 'check adds nothing');
  for (const t of [t0, t1, u0]) pool.add(t, s);
  refused(() => pool.check(t0, s), 'duplicate', /already in the mempool/);
  const forged = signTx({ from: 1, to: 0, amount: 5n, nonce: 3 }, keys[2].secretKey);
  assert.doesNotThrow(() => pool.check(forged, s, { signatureChecked: true }), 'a caller that checked the signature skips it');
  const tip = s.clone();
  tip.applyTx(t0);
  assert.deepEqual(pool.prune(tip), [txHash(t0)]);
  assert.deepEqual(pool.hashes(), [txHash(t1), txHash(u0)]);
  assert.equal(pool.nextNonce(0, tip), 2);
});
