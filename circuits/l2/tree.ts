// The accounts tree: a sparse Poseidon2 Merkle tree of depth TREE_DEPTH. Empty leaves are 0;
// node = Poseidon2::hash([l, r], 2). Only non-empty nodes are stored.
import { MAX_ACCOUNTS, TREE_DEPTH } from './field.js';
import { hash2 } from './poseidon2.js';

let zeros: bigint[] | undefined;
/** zeros[k] = root of an empty subtree of height k. */
export function emptyRoots(): readonly bigint[] {
  if (!zeros) {
    const z = [0n];
    for (let k = 0; k < TREE_DEPTH; k++) z.push(hash2(z[k], z[k]));
    zeros = z;
  }
  return zeros;
}

export class AccountsTree {
  /** levels[k]: index -> node at height k (k = 0 leaves). */
  private levels: Map<number, bigint>[];

  constructor(levels?: Map<number, bigint>[]) {
    this.levels = levels ?? Array.from({ length: TREE_DEPTH + 1 }, () => new Map());
  }

  clone(): AccountsTree {
    return new AccountsTree(this.levels.map((m) => new Map(m)));
  }

  node(level: number, index: number): bigint {
    return this.levels[level].get(index) ?? emptyRoots()[level];
  }

  root(): bigint {
    return this.node(TREE_DEPTH, 0);
  }

  leaf(index: number): bigint {
    return this.node(0, index);
  }

  /** Siblings from the leaf up (path[0] is the leaf's sibling). */
  path(index: number): bigint[] {
    checkIndex(index);
    const out: bigint[] = [];
    let i = index;
    for (let k = 0; k < TREE_DEPTH; k++) {
      out.push(this.node(k, i ^ 1));
      i >>>= 1;
    }
    return out;
  }

  set(index: number, leaf: bigint): void {
    checkIndex(index);
    const z = emptyRoots();
    let i = index;
    let cur = leaf;
    for (let k = 0; k <= TREE_DEPTH; k++) {
      if (cur === z[k]) this.levels[k].delete(i);
      else this.levels[k].set(i, cur);
      if (k === TREE_DEPTH) break;
      const sib = this.node(k, i ^ 1);
      cur = i & 1 ? hash2(sib, cur) : hash2(cur, sib);
      i >>>= 1;
    }
  }
}

export function rootFromPath(leaf: bigint, index: number, path: readonly bigint[]): bigint {
  let cur = leaf;
  let i = index;
  for (const sib of path) {
    cur = i & 1 ? hash2(sib, cur) : hash2(cur, sib);
    i >>>= 1;
  }
  return cur;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_ACCOUNTS) {
    throw new RangeError(`account index ${index} out of range [0, ${MAX_ACCOUNTS})`);
  }
}
