// The proof tree of a block in TypeScript: each node's public inputs as the Noir circuits
// compute them (base_* leaves, merge, block_root; noir/lib "proof tree of a block"), and the
// circuits' inputs. Twin-tested against the Noir execution (test/unit/circuits/tree.test.ts).
//
// A tree node (base or merge proof, recursive flavour) has 8 public inputs
// [slot, startRoot, endRoot, root_hi, root_lo, offset, height, mergeVkHash]: it covers the
// block's txs-tree leaves [offset, offset + 2^height) (offset aligned to 2^height), `root` is
// that SHA-256 subtree's root. A merge of (left, right) needs left.endRoot == right.startRoot,
// right.offset == left.offset + 2^left.height, left.offset aligned to 2^(left.height + 1) and
// right.height <= left.height (a lower right child is lifted with zero leaves: the block's last
// leaves). The block root is a merge with left.offset == 0 whose node is lifted to the whole
// tree (depth 10): sha256-wise exactly L1's txsCommitment (circuits/l2/commitment.ts); its
// public inputs are every L1 circuit's [slot, startRoot, endRoot, txsCommitment, recipient].
import { createHash } from 'node:crypto';
import type { InputMap } from '@noir-lang/noir_js';
import { R, TX_TREE_DEPTH, MAX_TXS_PER_BLOCK, bytesToBigInt, toHex } from './l2/field.js';
import { ZERO_ROOTS, digestHalves, digestWords, txsSubtreeRoot } from './l2/commitment.js';
import type { TxWitness } from './l2/state.js';
import { noirTxs } from './witness.js';

export const TREE_PUBLIC_INPUTS = 8;
const HONK_PROOF_FIELDS = 410;
const HONK_VK_FIELDS = 115;

export class TreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreeError';
  }
}

/** A base or merge node: what its proof's public inputs say. */
export interface TreeNode {
  slot: bigint;
  startRoot: bigint;
  endRoot: bigint;
  /** SHA-256 root of the subtree of leaves [offset, offset + 2^height). */
  root: Uint8Array;
  offset: number;
  height: number;
  mergeVkHash: bigint;
}

/** The block-level facts the tree is built from (plan.ts BlockWitness has them). */
export interface TreeBlock {
  slot: bigint;
  startRoot: bigint;
  bodies: readonly Uint8Array[];
  execution: { witnesses: readonly TxWitness[] };
}

const sha = (a: Uint8Array, b: Uint8Array) => new Uint8Array(createHash('sha256').update(a).update(b).digest());

/** lib `lift`: `d`, a subtree root at height `from`, lifted to height `to` with zero right siblings. */
export function lift(d: Uint8Array, from: number, to: number): Uint8Array {
  let cur = d;
  for (let k = from; k < to; k++) cur = sha(cur, ZERO_ROOTS[k]);
  return cur;
}

/** A node's 8 public inputs in circuit order. */
export function nodePublicInputs(n: TreeNode): bigint[] {
  const [hi, lo] = digestHalves(n.root);
  return [n.slot, n.startRoot, n.endRoot, hi, lo, BigInt(n.offset), BigInt(n.height), n.mergeVkHash];
}

/** The state root after the block's first `i` txs. */
function rootAfter(block: TreeBlock, i: number): bigint {
  return i === 0 ? block.startRoot : block.execution.witnesses[i - 1].rootAfter;
}

/** The leaf (base_<capacity>) over txs [a, b) of the block. */
export function baseNode(block: TreeBlock, range: readonly [number, number], capacity: number, mergeVkHash: bigint): TreeNode {
  const [a, b] = range;
  const height = Math.log2(capacity);
  if (!Number.isInteger(height) || height > TX_TREE_DEPTH) throw new TreeError(`base capacity ${capacity} is not a power of two <= ${MAX_TXS_PER_BLOCK}`);
  if (a % capacity !== 0) throw new TreeError(`base leaf at tx ${a} is not aligned to its capacity ${capacity}`);
  if (b < a || b - a > capacity || b > block.bodies.length) throw new TreeError(`base leaf [${a}, ${b}) does not fit ${capacity} txs of a block of ${block.bodies.length}`);
  return {
    slot: block.slot, startRoot: rootAfter(block, a), endRoot: rootAfter(block, b),
    root: txsSubtreeRoot(block.bodies.slice(a, b), capacity), offset: a, height, mergeVkHash,
  };
}

/** The checks of lib `merge_children`, with the same messages (what the circuit refuses). */
function checkAdjacent(left: TreeNode, right: TreeNode, mergeVkHash: bigint): void {
  if (left.slot !== right.slot) throw new TreeError('right child is from another slot');
  if (left.endRoot !== right.startRoot) throw new TreeError('children are not adjacent: left end root != right start root');
  if (left.mergeVkHash !== mergeVkHash || right.mergeVkHash !== mergeVkHash) throw new TreeError('a child names another merge circuit');
  if (left.height >= TX_TREE_DEPTH) throw new TreeError('left child is already the whole txs tree');
  if (right.height > left.height) throw new TreeError('right child is taller than the left child');
  const width = 2 ** left.height;
  if (left.offset % (2 * width) !== 0) throw new TreeError('left child is not aligned to the merged subtree');
  if (right.offset !== left.offset + width) throw new TreeError('children are not adjacent: right child does not start where the left one ends');
}

/** The merge node over two adjacent children. */
export function mergeNode(left: TreeNode, right: TreeNode): TreeNode {
  checkAdjacent(left, right, left.mergeVkHash);
  return {
    slot: left.slot, startRoot: left.startRoot, endRoot: right.endRoot,
    root: sha(left.root, lift(right.root, right.height, left.height)),
    offset: left.offset, height: left.height + 1, mergeVkHash: left.mergeVkHash,
  };
}

/** The block root's public inputs [slot, startRoot, endRoot, txsCommitment, recipient] over two children. */
export function blockRootPublicInputs(left: TreeNode, right: TreeNode, mergeVkHash: bigint, recipient = 0n): bigint[] {
  if (left.offset !== 0) throw new TreeError('block root: the left child does not start at tx 0');
  checkAdjacent(left, right, mergeVkHash);
  const node = sha(left.root, lift(right.root, right.height, left.height));
  const commitment = bytesToBigInt(lift(node, left.height + 1, TX_TREE_DEPTH)) % R;
  return [left.slot, left.startRoot, right.endRoot, commitment, recipient];
}

// ---- circuit inputs ----------------------------------------------------------------------

/** A child's proof in the recursive flavour, as fields (prover/backend: prevProofOf). */
export interface ChildProof {
  proof: readonly (bigint | string)[];
  vk: readonly (bigint | string)[];
}

const fieldHex = (x: bigint | string) => (typeof x === 'bigint' ? toHex(x) : x);

export function baseInputs(block: TreeBlock, node: TreeNode, range: readonly [number, number], capacity: number): InputMap {
  const [hi, lo] = digestHalves(node.root);
  return {
    slot: toHex(node.slot), start_root: toHex(node.startRoot), end_root: toHex(node.endRoot),
    root_hi: toHex(hi), root_lo: toHex(lo), offset: String(node.offset), height: String(node.height),
    merge_vk_hash: toHex(node.mergeVkHash),
    txs: noirTxs(block.execution.witnesses.slice(range[0], range[1]), capacity), n_active: String(range[1] - range[0]),
  };
}

/** The Noir `Child` struct of a node and its proof. */
export function childInput(node: TreeNode, isMerge: boolean, p: ChildProof) {
  if (p.proof.length !== HONK_PROOF_FIELDS) throw new TreeError(`a child proof must be ${HONK_PROOF_FIELDS} fields, got ${p.proof.length}`);
  if (p.vk.length !== HONK_VK_FIELDS) throw new TreeError(`a child vk must be ${HONK_VK_FIELDS} fields, got ${p.vk.length}`);
  return {
    slot: toHex(node.slot), start_root: toHex(node.startRoot), end_root: toHex(node.endRoot),
    root: digestWords(node.root).map(String), offset: String(node.offset), height: String(node.height),
    merge_vk_hash: toHex(node.mergeVkHash), is_merge: isMerge,
    vk: p.vk.map(fieldHex), proof: p.proof.map(fieldHex),
  };
}

export interface ChildIn { node: TreeNode; isMerge: boolean; proof: ChildProof }

export function mergeInputs(left: ChildIn, right: ChildIn): { inputs: InputMap; node: TreeNode } {
  const node = mergeNode(left.node, right.node);
  const [hi, lo] = digestHalves(node.root);
  return {
    node,
    inputs: {
      slot: toHex(node.slot), start_root: toHex(node.startRoot), end_root: toHex(node.endRoot),
      root_hi: toHex(hi), root_lo: toHex(lo), offset: String(node.offset), height: String(node.height),
      merge_vk_hash: toHex(node.mergeVkHash),
      left: childInput(left.node, left.isMerge, left.proof), right: childInput(right.node, right.isMerge, right.proof),
    },
  };
}

/** `recipient`: the L1 reward recipient the block root names (its last public input; 0 names nobody and L1 refuses it). */
export function blockRootInputs(left: ChildIn, right: ChildIn, mergeVkHash: bigint, recipient = 0n): { inputs: InputMap; publicInputs: bigint[] } {
  const publicInputs = blockRootPublicInputs(left.node, right.node, mergeVkHash, recipient);
  const [slot, startRoot, endRoot, commitment] = publicInputs;
  return {
    publicInputs,
    inputs: {
      slot: toHex(slot), start_root: toHex(startRoot), end_root: toHex(endRoot), txs_commitment: toHex(commitment), recipient: toHex(recipient),
      left: childInput(left.node, left.isMerge, left.proof), right: childInput(right.node, right.isMerge, right.proof),
    },
  };
}
