// Grumpkin (y^2 = x^3 - 17 over the BN254 scalar field) and Schnorr signatures whose
// challenge is Poseidon2: the scheme circuits/noir/lib verifies (schnorr_ok).
//   sign:   k = H(sk, m) mod n, R = k*G, e = Poseidon2(R.x, P.x, P.y, m, DOMAIN), s = k + e*sk mod n
//   verify: R' = s*G - e*P, valid iff Poseidon2(R'.x, P.x, P.y, m, DOMAIN) == e
import { createHash, randomBytes } from 'node:crypto';
import { GRUMPKIN_ORDER as N, R as P, SIG_DOMAIN, bigIntToBytes32, bytesToBigInt, mod, modInv } from './field.js';
import { poseidon2 } from './poseidon2.js';

export interface Point { x: bigint; y: bigint; inf?: boolean }
export const G: Point = { x: 1n, y: 17631683881184975370165255887551781615748388533673675138860n };
const INF: Point = { x: 0n, y: 0n, inf: true };

export function isOnCurve(p: Point): boolean {
  if (p.inf) return false;
  if (p.x < 0n || p.x >= P || p.y < 0n || p.y >= P) return false;
  return mod(p.y * p.y - (p.x * p.x * p.x - 17n), P) === 0n;
}

// Jacobian coordinates (X, Y, Z): x = X/Z^2, y = Y/Z^3; a = 0.
type J = [bigint, bigint, bigint];
function jDouble([X, Y, Z]: J): J {
  if (Y === 0n || Z === 0n) return [0n, 1n, 0n];
  const A = (X * X) % P, B = (Y * Y) % P, C = (B * B) % P;
  const D = mod(2n * (mod((X + B) * (X + B), P) - A - C), P);
  const E = (3n * A) % P, F = (E * E) % P;
  const X3 = mod(F - 2n * D, P);
  const Y3 = mod(E * (D - X3) - 8n * C, P);
  const Z3 = mod(2n * Y * Z, P);
  return [X3, Y3, Z3];
}
function jAdd(p: J, q: J): J {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const [X1, Y1, Z1] = p, [X2, Y2, Z2] = q;
  const Z1Z1 = (Z1 * Z1) % P, Z2Z2 = (Z2 * Z2) % P;
  const U1 = (X1 * Z2Z2) % P, U2 = (X2 * Z1Z1) % P;
  const S1 = (Y1 * Z2 * Z2Z2) % P, S2 = (Y2 * Z1 * Z1Z1) % P;
  if (U1 === U2) return S1 === S2 ? jDouble(p) : [0n, 1n, 0n];
  const H = mod(U2 - U1, P), I = (4n * H * H) % P, Jv = (H * I) % P;
  const r = mod(2n * (S2 - S1), P), V = (U1 * I) % P;
  const X3 = mod(r * r - Jv - 2n * V, P);
  const Y3 = mod(r * (V - X3) - 2n * S1 * Jv, P);
  const Z3 = mod(((Z1 + Z2) * (Z1 + Z2) - Z1Z1 - Z2Z2) * H, P);
  return [X3, Y3, Z3];
}
function toJ(p: Point): J { return p.inf ? [0n, 1n, 0n] : [p.x, p.y, 1n]; }
function fromJ([X, Y, Z]: J): Point {
  if (Z === 0n) return INF;
  const zi = modInv(Z, P), zi2 = (zi * zi) % P;
  return { x: (X * zi2) % P, y: (Y * zi2 * zi) % P };
}

export function mul(p: Point, k: bigint): Point {
  let acc: J = [0n, 1n, 0n];
  const base = toJ(p);
  const e = mod(k, N);
  for (let i = BigInt(e.toString(2).length) - 1n; i >= 0n; i--) {
    acc = jDouble(acc);
    if ((e >> i) & 1n) acc = jAdd(acc, base);
  }
  return fromJ(acc);
}

export function add(p: Point, q: Point): Point { return fromJ(jAdd(toJ(p), toJ(q))); }
export function neg(p: Point): Point { return p.inf ? p : { x: p.x, y: mod(-p.y, P) }; }

export interface KeyPair { secretKey: bigint; publicKey: Point }
export interface Signature { e: bigint; s: bigint }

export function publicKeyOf(secretKey: bigint): Point {
  if (secretKey <= 0n || secretKey >= N) throw new RangeError('secret key out of range [1, n)');
  return mul(G, secretKey);
}

export function generateKeyPair(seed?: Uint8Array): KeyPair {
  const material = seed ? createHash('sha256').update('sidecar-grumpkin-key').update(seed).digest() : randomBytes(32);
  let sk = mod(bytesToBigInt(createHash('sha512').update(material).digest()), N);
  if (sk === 0n) sk = 1n;
  return { secretKey: sk, publicKey: publicKeyOf(sk) };
}

function challenge(rx: bigint, pk: Point, msg: bigint): bigint {
  return poseidon2([rx, pk.x, pk.y, msg, SIG_DOMAIN]);
}

export function schnorrSign(secretKey: bigint, msg: bigint): Signature {
  const pk = publicKeyOf(secretKey);
  const nonceSeed = createHash('sha512').update('sidecar-schnorr-nonce')
    .update(bigIntToBytes32(secretKey)).update(bigIntToBytes32(mod(msg))).digest();
  let k = mod(bytesToBigInt(nonceSeed), N);
  if (k === 0n) k = 1n;
  const r = mul(G, k);
  const e = challenge(r.x, pk, msg);
  const s = mod(k + e * secretKey, N);
  return { e, s };
}

export function schnorrVerify(pk: Point, msg: bigint, sig: Signature): boolean {
  if (!isOnCurve(pk)) return false;
  if (sig.e < 0n || sig.e >= P || sig.s < 0n || sig.s >= N) return false;
  const r = add(mul(G, sig.s), neg(mul(pk, sig.e)));
  if (r.inf) return false;
  return challenge(r.x, pk, msg) === sig.e;
}

/** s split into the 128-bit limbs EmbeddedCurveScalar { lo, hi } takes. */
export function scalarLimbs(s: bigint): { lo: bigint; hi: bigint } {
  return { lo: s & ((1n << 128n) - 1n), hi: s >> 128n };
}
