// The TS L2 model against its Noir twin: Poseidon2 (bb.js poseidon2Hash == the Noir library's
// sponge over std::hash::poseidon2_permutation, lengths 1..7 and the vk's 115), the accounts leaf,
// the SHA-256 txs tree (TS txsCommitment == Noir, the L1 client helper checks TS ==
// Solidity), and the segment carry. Executes a fixture circuit with noir_js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Noir } from '@noir-lang/noir_js';
import { noirCompile } from '../../../circuits/build.js';
import { paddingTx, type NoirTx } from '../../../circuits/witness.js';
import {
  R, TxsFrontier, digestHalves, digestWords, encodeTxBody, fromHex, generateKeyPair, initPoseidon2, poseidon2, hash2,
  toHex, txsCommitment, txsSubtreeRoot, accountLeaf, ZERO_ROOTS, bytesToBigInt, type Tx,
} from '../../../circuits/l2/index.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'l2_twin');

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
}

test('Poseidon2, account leaf, txs tree and carry: TS == Noir', async () => {
  await initPoseidon2();
  const { bytecode, abi } = await noirCompile('l2_twin', fixture);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const noir = new Noir({ bytecode, abi } as any);
  const next = rng(7);
  const field = () => (BigInt(next()) << 200n | BigInt(next()) << 100n | BigInt(next())) % R;
  const randomTx = (): Tx => ({ from: next(), to: next() >>> 3, amount: (BigInt(next()) << 32n) | BigInt(next()), nonce: next() });
  const asNoir = (tx: Tx): NoirTx => ({ ...paddingTx(), from: String(tx.from), to: String(tx.to), amount: tx.amount.toString(), nonce: String(tx.nonce) });

  for (const [nA, nB] of [[4, 2], [4, 1], [3, 0], [0, 0]] as const) {
    const five = Array.from({ length: 5 }, field);
    const pair = [field(), field()];
    const key = generateKeyPair(new Uint8Array([nA, nB]));
    const account = { publicKey: key.publicKey, balance: 0xffffffffffffffffn - BigInt(nA), nonce: 0xfffffff0 + nB };
    const txsA = Array.from({ length: 4 }, randomTx);
    const txsB = Array.from({ length: 2 }, randomTx);
    txsA[0] = { from: 0xffffffff, to: 0, amount: 0xffffffffffffffffn, nonce: 0xffffffff };
    const vkFirst = field(), vkRec = field();
    // an input frontier after a few segments of 4 and 2 txs (nA + nB selects how many)
    const fIn = new TxsFrontier();
    const digest = () => txsSubtreeRoot([encodeTxBody(randomTx())], 2);
    fIn.append(txsSubtreeRoot([encodeTxBody(randomTx())], 4), 4);
    for (let i = 0; i < nA + nB; i++) fIn.append(digest(), 2);
    const subIn = digest();
    const seven = Array.from({ length: 7 }, field);
    const vk = Array.from({ length: 115 }, field);

    const { returnValue } = await noir.execute({
      five: five.map(toHex), pair: pair.map(toHex),
      account: { pk_x: toHex(account.publicKey.x), pk_y: toHex(account.publicKey.y), balance: account.balance.toString(), nonce: String(account.nonce) },
      txs_a: txsA.map(asNoir), n_a: String(nA), txs_b: txsB.map(asNoir), n_b: String(nB),
      vk_first: toHex(vkFirst), vk_rec: toHex(vkRec),
      f_in: { nodes: fIn.nodes.map((n) => digestWords(n).map(String)), count: String(fIn.count) },
      sub_in: digestWords(subIn).map(String),
      seven: seven.map(toHex), vk: vk.map(toHex),
    });
    const out = (returnValue as string[]).map(fromHex);

    assert.equal(out[0], poseidon2(five), 'poseidon2_hash of 5 fields');
    assert.equal(out[1], poseidon2(pair), 'poseidon2_hash of 2 fields');
    assert.equal(out[2], hash2(pair[0], pair[1]), 'the tree node (single permutation) == poseidon2_hash([l, r])');
    assert.equal(out[3], accountLeaf(account), 'account leaf');

    const bodiesA = txsA.slice(0, nA).map(encodeTxBody);
    const bodiesB = txsB.slice(0, nB).map(encodeTxBody);
    const f = new TxsFrontier();
    f.append(txsSubtreeRoot(bodiesA, 4), 4);
    const carry = poseidon2([...f.nodes.flatMap((n) => digestHalves(n)), BigInt(f.count), vkFirst, vkRec]);
    assert.equal(out[4], carry, 'segment carry hash');
    // segments [4 | 2] give the design's commitment when the first is full or the second empty
    const expected = nA === 4 || nB === 0 ? txsCommitment([...bodiesA, ...bodiesB]) : undefined;
    const viaFrontier = bytesToBigInt(f.finalRoot(txsSubtreeRoot(bodiesB, 2), 2)) % R;
    assert.equal(out[5], viaFrontier, 'final root through the frontier');
    if (expected !== undefined) assert.equal(out[5], expected, `TS txsCommitment == Noir (${nA}+${nB} txs)`);
    assert.equal(out[6], txsCommitment(bodiesA), 'single-segment commitment');
    const fOut = fIn.clone();
    fOut.append(subIn, 2);
    assert.equal(out[7], poseidon2([...fOut.nodes.flatMap((n) => digestHalves(n)), BigInt(fOut.count), vkFirst, vkRec]), `append to an input frontier at ${fIn.count}`);
    assert.equal(out[8], bytesToBigInt(fIn.finalRoot(subIn, 2)) % R, `final root from an input frontier at ${fIn.count}`);
    // the Noir library's sponge over std::hash::poseidon2_permutation == bb.js poseidon2Hash
    for (const [i, n] of [[9, 1], [10, 3], [11, 4], [12, 6], [13, 7]] as const) assert.equal(out[i], poseidon2(seven.slice(0, n)), `poseidon2_hash of ${n} fields`);
    assert.equal(out[14], poseidon2(vk), 'vk_hash (115 fields) == bb.js poseidon2Hash');
  }
  // the empty block: z_10 mod r
  assert.equal(txsCommitment([]), bytesToBigInt(ZERO_ROOTS[10]) % R);
});
