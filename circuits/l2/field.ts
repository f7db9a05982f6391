// BN254 scalar field (the Noir Field, the base field of Grumpkin) and the Grumpkin group
// order (the BN254 base field). docs/design.md pins r.
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** Order of the Grumpkin group (= the BN254 base field modulus): signature scalars live here. */
export const GRUMPKIN_ORDER = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** Depth of the accounts tree: 2^20 accounts. Mirrors TREE_DEPTH in circuits/noir/lib. */
export const TREE_DEPTH = 20;
export const MAX_ACCOUNTS = 1 << TREE_DEPTH;
/** Depth of the SHA-256 txs tree (docs/design.md). */
export const TX_TREE_DEPTH = 10;
export const MAX_TXS_PER_BLOCK = 1 << TX_TREE_DEPTH;
/** Domain tag in every signed tx message ("sidecar-tx-v1"). Mirrors SIG_DOMAIN. */
export const SIG_DOMAIN = 0x736964656361722d74782d7631n;

export const U32_MAX = 0xffffffffn;
export const U64_MAX = 0xffffffffffffffffn;

export function mod(a: bigint, m: bigint = R): bigint {
  const x = a % m;
  return x < 0n ? x + m : x;
}

export function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * x) % m;
    x = (x * x) % m;
    e >>= 1n;
  }
  return r;
}

export function modInv(a: bigint, m: bigint = R): bigint {
  if (mod(a, m) === 0n) throw new RangeError('modInv of zero');
  return modPow(a, m - 2n, m);
}

/** A field element as the 0x-prefixed 64-hex-digit string noir_js and bb.js accept. */
export function toHex(x: bigint): string {
  return '0x' + x.toString(16).padStart(64, '0');
}

export function fromHex(s: string): bigint {
  return BigInt(s.startsWith('0x') ? s : '0x' + s);
}

export function bytesToBigInt(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

export function bigIntToBytes32(x: bigint): Uint8Array {
  if (x < 0n || x >= 1n << 256n) throw new RangeError('value does not fit in 32 bytes');
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function isField(x: bigint): boolean {
  return x >= 0n && x < R;
}
