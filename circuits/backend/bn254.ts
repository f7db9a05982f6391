// Minimal BN254 curve arithmetic in BigInt for the INSECURE dev CRS (circuits/backend/crs.ts):
// G1 in Jacobian coordinates (y^2 = x^3 + 3), batch normalisation (Montgomery's trick), and
// one-off affine scalar multiplication on G2 over Fq2 = Fq[i]/(i^2 + 1). Not constant time,
// not for secrets: the dev CRS's tau is public by design.

/** BN254 base field modulus q. */
export const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** BN254 scalar field modulus r (order of G1 and G2). */
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const mod = (a: bigint, m = Q): bigint => {
  const x = a % m;
  return x < 0n ? x + m : x;
};

export function powMod(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

export const invQ = (a: bigint): bigint => {
  if (mod(a) === 0n) throw new RangeError('inverse of zero');
  return powMod(a, Q - 2n, Q);
};

/** Jacobian point (X, Y, Z) ↔ affine (X/Z², Y/Z³); Z = 0 is the point at infinity. */
export type Jac = { x: bigint; y: bigint; z: bigint };
export type Affine = { x: bigint; y: bigint };

export const G1: Affine = { x: 1n, y: 2n };

export const toJac = (p: Affine): Jac => ({ x: p.x, y: p.y, z: 1n });

/** dbl-2009-l (a = 0): 2M + 5S. */
export function jacDouble(p: Jac): Jac {
  if (p.z === 0n) return p;
  const A = (p.x * p.x) % Q;
  const B = (p.y * p.y) % Q;
  const C = (B * B) % Q;
  const xb = p.x + B;
  const D = mod(2n * ((xb * xb) % Q - A - C));
  const E = 3n * A;
  const F = (E * E) % Q;
  const x3 = mod(F - 2n * D);
  const y3 = mod(E * (D - x3) - 8n * C);
  const z3 = (2n * p.y * p.z) % Q;
  return { x: x3, y: y3, z: z3 };
}

/** add-2007-bl: 11M + 5S, with the doubling and infinity cases. */
export function jacAdd(p: Jac, q: Jac): Jac {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const z1z1 = (p.z * p.z) % Q;
  const z2z2 = (q.z * q.z) % Q;
  const u1 = (p.x * z2z2) % Q;
  const u2 = (q.x * z1z1) % Q;
  const s1 = (((p.y * q.z) % Q) * z2z2) % Q;
  const s2 = (((q.y * p.z) % Q) * z1z1) % Q;
  if (u1 === u2) return s1 === s2 ? jacDouble(p) : { x: 1n, y: 1n, z: 0n };
  const h = mod(u2 - u1);
  const i = (4n * h * h) % Q;
  const j = (h * i) % Q;
  const rr = mod(2n * (s2 - s1));
  const v = (u1 * i) % Q;
  const x3 = mod(rr * rr - j - 2n * v);
  const y3 = mod(rr * (v - x3) - 2n * ((s1 * j) % Q));
  const zs = p.z + q.z;
  const z3 = (mod(zs * zs - z1z1 - z2z2) * h) % Q;
  return { x: x3, y: y3, z: z3 };
}

/** k·P by double-and-add (k >= 0, most significant bit first). */
export function jacMul(p: Jac, k: bigint): Jac {
  let acc: Jac = { x: 1n, y: 1n, z: 0n };
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    acc = jacDouble(acc);
    if ((k >> i) & 1n) acc = jacAdd(acc, p);
  }
  return acc;
}

/** A multiplier for a fixed small scalar: a straight-line double/add chain (tau·P per call). */
export function smallMultiplier(k: bigint): (p: Jac) => Jac {
  if (k < 2n) throw new RangeError('the multiplier must be >= 2');
  const bits = k.toString(2);
  return (p: Jac) => {
    let acc = p;
    for (let i = 1; i < bits.length; i++) {
      acc = jacDouble(acc);
      if (bits[i] === '1') acc = jacAdd(acc, p);
    }
    return acc;
  };
}

/**
 * Affine coordinates of many Jacobian points with one inversion (Montgomery's trick):
 * 3 multiplications per point for the inverses, then 4 to scale X and Y.
 */
export function batchNormalize(points: readonly Jac[]): Affine[] {
  const n = points.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    if (points[i].z === 0n) throw new RangeError('point at infinity in a CRS');
    prefix[i] = acc;
    acc = (acc * points[i].z) % Q;
  }
  let inv = invQ(acc);
  const out = new Array<Affine>(n);
  for (let i = n - 1; i >= 0; i--) {
    const zi = (inv * prefix[i]) % Q; // 1 / z_i
    inv = (inv * points[i].z) % Q;
    const zi2 = (zi * zi) % Q;
    out[i] = { x: (points[i].x * zi2) % Q, y: (((points[i].y * zi2) % Q) * zi) % Q };
  }
  return out;
}

export const onG1 = (p: Affine): boolean => mod(p.y * p.y - p.x * p.x * p.x - 3n) === 0n;

// ---- G2 over Fq2 (affine, one-off) -------------------------------------------------------

/** a = c0 + c1·i */
export type Fq2 = { c0: bigint; c1: bigint };
const f2 = (c0: bigint, c1: bigint): Fq2 => ({ c0: mod(c0), c1: mod(c1) });
const f2add = (a: Fq2, b: Fq2) => f2(a.c0 + b.c0, a.c1 + b.c1);
const f2sub = (a: Fq2, b: Fq2) => f2(a.c0 - b.c0, a.c1 - b.c1);
const f2mul = (a: Fq2, b: Fq2) => f2(a.c0 * b.c0 - a.c1 * b.c1, a.c0 * b.c1 + a.c1 * b.c0);
const f2inv = (a: Fq2) => {
  const d = invQ(a.c0 * a.c0 + a.c1 * a.c1);
  return f2(a.c0 * d, -a.c1 * d);
};
const f2eq = (a: Fq2, b: Fq2) => a.c0 === b.c0 && a.c1 === b.c1;

export type G2Affine = { x: Fq2; y: Fq2 } | null;

/** The G2 generator of EIP-197 / Barretenberg. */
export const G2: { x: Fq2; y: Fq2 } = {
  x: { c0: 10857046999023057135944570762232829481370756359578518086990519993285655852781n, c1: 11559732032986387107991004021392285783925812861821192530917403151452391805634n },
  y: { c0: 8495653923123431417604973247489272438418190587263600148770280649306958101930n, c1: 4082367875863433681332203403145435568316851327593401208105741076214120093531n },
};

function g2Add(p: G2Affine, q: G2Affine): G2Affine {
  if (!p) return q;
  if (!q) return p;
  let lambda: Fq2;
  if (f2eq(p.x, q.x)) {
    if (!f2eq(p.y, q.y)) return null;
    const x2 = f2mul(p.x, p.x);
    lambda = f2mul(f2add(f2add(x2, x2), x2), f2inv(f2add(p.y, p.y)));
  } else {
    lambda = f2mul(f2sub(q.y, p.y), f2inv(f2sub(q.x, p.x)));
  }
  const x = f2sub(f2sub(f2mul(lambda, lambda), p.x), q.x);
  return { x, y: f2sub(f2mul(lambda, f2sub(p.x, x)), p.y) };
}

export function g2Mul(p: G2Affine, k: bigint): G2Affine {
  let acc: G2Affine = null;
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    acc = g2Add(acc, acc);
    if ((k >> i) & 1n) acc = g2Add(acc, p);
  }
  return acc;
}

/** On the twist y^2 = x^3 + 3/(9 + i). */
export function onG2(p: { x: Fq2; y: Fq2 }): boolean {
  const b2 = f2mul(f2(3n, 0n), f2inv(f2(9n, 1n)));
  return f2eq(f2mul(p.y, p.y), f2add(f2mul(f2mul(p.x, p.x), p.x), b2));
}

// ---- encodings -------------------------------------------------------------------------

/** v as 32 bytes big-endian at `offset` (hex round trip: far faster than byte-wise BigInt shifts). */
export function writeU256(out: Buffer, offset: number, v: bigint): void {
  out.write(v.toString(16).padStart(64, '0'), offset, 32, 'hex');
}

export const hex32 = (v: bigint): string => `0x${v.toString(16).padStart(64, '0')}`;
