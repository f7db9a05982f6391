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

// ---- the segment-by-segment form the circuits use (lib: Frontier, frontier_append) -------

/** Root of the aligned subtree of `capacity` leaves holding `bodies` (rest padding). */
export function txsSubtreeRoot(bodies: readonly Uint8Array[], capacity: number): Uint8Array {
  if (bodies.length > capacity || capacity < 1 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`${bodies.length} txs in a subtree of ${capacity}`);
  }
  let level: Uint8Array[] = Array.from({ length: capacity }, (_, i) => (i < bodies.length ? sha(bodies[i]) : new Uint8Array(32)));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha(level[i], level[i + 1]));
    level = next;
  }
  return level[0];
}

/**
 * The txs-tree frontier exactly as the circuits carry it between segments (stale entries
 * included: the carry hash covers them).
 */
export class TxsFrontier {
  nodes: Uint8Array[] = Array.from({ length: TX_TREE_DEPTH }, () => new Uint8Array(32));
  count = 0;

  clone(): TxsFrontier {
    const f = new TxsFrontier();
    f.nodes = this.nodes.map((n) => n.slice());
    f.count = this.count;
    return f;
  }

  private static level(capacity: number): number {
    const l = Math.log2(capacity);
    if (!Number.isInteger(l) || l > TX_TREE_DEPTH) throw new RangeError(`segment capacity ${capacity} is not a power of two <= 1024`);
    return l;
  }

  private check(capacity: number): number {
    const l = TxsFrontier.level(capacity);
    if (this.count % capacity !== 0) throw new RangeError(`txs tree: position ${this.count} is not aligned to ${capacity}`);
    if (this.count + capacity > MAX_TXS_PER_BLOCK) throw new RangeError('block has more than 1024 txs');
    return l;
  }

  /** frontier_append::<capacity>(self, sub) */
  append(sub: Uint8Array, capacity: number): void {
    const l = this.check(capacity);
    const j = this.count >> l;
    let cur = sub;
    for (let k = l; k < TX_TREE_DEPTH; k++) {
      if (((j >> (k - l)) & 1) === 0) {
        this.nodes[k] = cur;
        break;
      }
      cur = sha(this.nodes[k], cur);
    }
    this.count += capacity;
  }

  /** final_txs_root::<capacity>(self, sub) */
  finalRoot(sub: Uint8Array, capacity: number): Uint8Array {
    const l = this.check(capacity);
    const j = this.count >> l;
    let cur = sub;
    for (let k = l; k < TX_TREE_DEPTH; k++) {
      cur = ((j >> (k - l)) & 1) === 1 ? sha(this.nodes[k], cur) : sha(cur, ZERO_ROOTS[k]);
    }
    return cur;
  }
}

/** A digest as 8 big-endian u32 words (the circuits' [u32; 8]). */
export function digestWords(d: Uint8Array): number[] {
  const v = new DataView(d.buffer, d.byteOffset, 32);
  return Array.from({ length: 8 }, (_, i) => v.getUint32(4 * i));
}

/** digest_halves: [high 128 bits, low 128 bits]. */
export function digestHalves(d: Uint8Array): [bigint, bigint] {
  return [bytesToBigInt(d.subarray(0, 16)), bytesToBigInt(d.subarray(16, 32))];
}
