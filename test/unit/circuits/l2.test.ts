// The TS L2 model on its own: encodings, signatures, the accounts tree, WorldState
// validation (typed errors for mempool checks) and snapshots.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccountsTree, G, TxFormatError, TxValidationError, WorldState, decodeSignedTx, decodeTxBody, encodeSignedTx,
  encodeTxBody, generateKeyPair, initPoseidon2, isOnCurve, mul, rootFromPath, schnorrSign, schnorrVerify, signTx,
  txHash, GRUMPKIN_ORDER, encodeWitnessData, decodeBlockTxs, type KeyPair,
} from '../../../circuits/l2/index.js';

let alice: KeyPair, bob: KeyPair;
before(async () => {
  await initPoseidon2();
  alice = generateKeyPair(new Uint8Array([1]));
  bob = generateKeyPair(new Uint8Array([2]));
});

test('tx body: 32 bytes big-endian per docs/design.md, round trip and typed errors', () => {
  const tx = { from: 0x01020304, to: 0x0a0b0c0d, amount: 0x1122334455667788n, nonce: 0xdeadbeef };
  const b = encodeTxBody(tx);
  assert.equal(Buffer.from(b).toString('hex'), '010203040a0b0c0d1122334455667788deadbeef' + '00'.repeat(12));
  assert.deepEqual(decodeTxBody(b), tx);
  assert.throws(() => decodeTxBody(b.subarray(0, 31)), (e: unknown) => e instanceof TxFormatError && e.code === 'bad-length');
  const padded = b.slice(); padded[25] = 1;
  assert.throws(() => decodeTxBody(padded), (e: unknown) => e instanceof TxFormatError && e.code === 'bad-padding');
  assert.throws(() => encodeTxBody({ ...tx, amount: 1n << 64n }), (e: unknown) => e instanceof TxFormatError && e.code === 'out-of-range');
  assert.throws(() => encodeTxBody({ ...tx, from: -1 }), TxFormatError);
  const s = signTx(tx, alice.secretKey);
  assert.deepEqual(decodeSignedTx(encodeSignedTx(s)), s);
  assert.match(txHash(s), /^0x[0-9a-f]{64}$/);
  const badSig = encodeSignedTx(s); badSig.fill(0xff, 64);
  assert.throws(() => decodeSignedTx(badSig), (e: unknown) => e instanceof TxFormatError && e.code === 'bad-signature-encoding');
});

test('Schnorr over Grumpkin: valid signatures verify, any change breaks them', () => {
  assert.ok(isOnCurve(G) && isOnCurve(alice.publicKey));
  assert.ok(mul(G, GRUMPKIN_ORDER).inf, 'G has order n');
  const sig = schnorrSign(alice.secretKey, 12345n);
  assert.ok(schnorrVerify(alice.publicKey, 12345n, sig));
  assert.ok(!schnorrVerify(alice.publicKey, 12346n, sig));
  assert.ok(!schnorrVerify(bob.publicKey, 12345n, sig));
  assert.ok(!schnorrVerify(alice.publicKey, 12345n, { ...sig, s: (sig.s + 1n) % GRUMPKIN_ORDER }));
  assert.deepEqual(schnorrSign(alice.secretKey, 12345n), sig, 'deterministic nonce');
});

test('accounts tree: paths verify against the root, updates change it, empty leaves are 0', () => {
  const t = new AccountsTree();
  const empty = t.root();
  t.set(5, 77n);
  t.set((1 << 20) - 1, 88n);
  assert.notEqual(t.root(), empty);
  assert.equal(rootFromPath(77n, 5, t.path(5)), t.root());
  assert.equal(rootFromPath(0n, 6, t.path(6)), t.root());
  assert.equal(rootFromPath(88n, (1 << 20) - 1, t.path((1 << 20) - 1)), t.root());
  t.set(5, 0n); t.set((1 << 20) - 1, 0n);
  assert.equal(t.root(), empty);
  assert.throws(() => t.path(1 << 20), RangeError);
});

test('WorldState: mempool validation names the problem; applyBlock is all or nothing', async () => {
  const s = await WorldState.create([{ index: 0, publicKey: alice.publicKey, balance: 100n }, { index: 9, publicKey: bob.publicKey, balance: 0n }]);
  const root0 = s.root();
  const code = (f: () => unknown) => { try { f(); return 'ok'; } catch (e) { assert.ok(e instanceof TxValidationError); return e.code; } };
  const ok = signTx({ from: 0, to: 9, amount: 60n, nonce: 0 }, alice.secretKey);
  assert.equal(code(() => s.validateTx(ok)), 'ok');
  assert.equal(code(() => s.validateTx(signTx({ from: 0, to: 9, amount: 101n, nonce: 0 }, alice.secretKey))), 'overspend');
  assert.equal(code(() => s.validateTx(signTx({ from: 0, to: 9, amount: 1n, nonce: 1 }, alice.secretKey))), 'wrong-nonce');
  assert.equal(code(() => s.validateTx(signTx({ from: 0, to: 9, amount: 1n, nonce: 0 }, bob.secretKey))), 'bad-signature');
  assert.equal(code(() => s.validateTx(signTx({ from: 3, to: 9, amount: 1n, nonce: 0 }, alice.secretKey))), 'unknown-account');
  assert.equal(code(() => s.validateTx(signTx({ from: 0, to: 1 << 20, amount: 1n, nonce: 0 }, alice.secretKey))), 'unknown-account');

  // second tx overspends after the first: nothing applied, error names tx 1
  const second = signTx({ from: 0, to: 9, amount: 60n, nonce: 1 }, alice.secretKey);
  assert.throws(() => s.applyBlock([ok, second]), (e: unknown) => e instanceof TxValidationError && e.txIndex === 1 && /tx 1: overspend/.test(e.message));
  assert.equal(s.root(), root0);
  assert.equal(s.account(0)!.balance, 100n);

  const self = signTx({ from: 9, to: 9, amount: 60n, nonce: 0 }, bob.secretKey);
  const ex = s.applyBlock([ok, self]);
  assert.equal(ex.startRoot, root0);
  assert.equal(ex.endRoot, s.root());
  assert.deepEqual([s.account(0)!.balance, s.account(0)!.nonce, s.account(9)!.balance, s.account(9)!.nonce], [40n, 1, 60n, 1]);
  assert.equal(ex.witnesses[1].rootBefore, ex.witnesses[0].rootAfter);

  const restored = await WorldState.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
  assert.equal(restored.root(), s.root());
  const c = s.clone();
  c.applyBlock([signTx({ from: 0, to: 9, amount: 1n, nonce: 1 }, alice.secretKey)]);
  assert.notEqual(c.root(), s.root(), 'clones are independent');
});

test('a block revealed on L1: bodies + witnessData round trip, with typed errors', () => {
  const txs = [signTx({ from: 0, to: 9, amount: 1n, nonce: 0 }, alice.secretKey), signTx({ from: 9, to: 0, amount: 2n, nonce: 0 }, bob.secretKey)];
  const wd = encodeWitnessData(txs);
  assert.equal(wd.length, 128);
  assert.deepEqual(decodeBlockTxs(txs.map((t) => encodeTxBody(t.tx)), wd), txs);
  assert.throws(() => decodeBlockTxs(txs.map((t) => encodeTxBody(t.tx)), wd.subarray(0, 64)), (e: unknown) => e instanceof TxFormatError && e.code === 'bad-length');
  const badBody = encodeTxBody(txs[1].tx); badBody[31] = 1;
  assert.throws(() => decodeBlockTxs([encodeTxBody(txs[0].tx), badBody], wd), (e: unknown) => e instanceof TxFormatError && /^tx 1: /.test(e.message));
});
