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
