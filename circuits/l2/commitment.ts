// txsCommitment of docs/design.md: SHA-256 Merkle tree of depth 10 over the tx bodies
// (leaf = sha256(body), padding leaf = bytes32(0), node = sha256(l ‖ r)), root mod r.
import { createHash } from 'node:crypto';
import { MAX_TXS_PER_BLOCK, R, TX_TREE_DEPTH, bytesToBigInt } from './field.js';
import { TX_BODY_BYTES, TxFormatError } from './tx.js';

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** z_0 = 0, z_{k+1} = sha256(z_k ‖ z_k) for k < 10. */
export const ZERO_ROOTS: readonly Uint8Array[] = (() => {
  const z = [new Uint8Array(32)];
  for (let k = 0; k < TX_TREE_DEPTH; k++) z.push(sha(z[k], z[k]));
  return z;
})();

export function txsTreeRoot(bodies: readonly Uint8Array[]): Uint8Array {
  if (bodies.length > MAX_TXS_PER_BLOCK) throw new RangeError(`a block holds at most ${MAX_TXS_PER_BLOCK} txs, got ${bodies.length}`);
  let level: Uint8Array[] = bodies.map((b, i) => {
    if (b.length !== TX_BODY_BYTES) throw new TxFormatError('bad-length', `tx ${i}: body must be ${TX_BODY_BYTES} bytes`);
    return sha(b);
  });
  for (let k = 0; k < TX_TREE_DEPTH; k++) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha(level[i], i + 1 < level.length ? level[i + 1] : ZERO_ROOTS[k]));
    level = next;
  }
  return level.length === 0 ? ZERO_ROOTS[TX_TREE_DEPTH] : level[0];
}

/** uint256(txsTreeRoot(bodies)) mod r */
export function txsCommitment(bodies: readonly Uint8Array[]): bigint {
  return bytesToBigInt(txsTreeRoot(bodies)) % R;
}
