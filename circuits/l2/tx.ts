// L2 transfers: the 32-byte body of docs/design.md, the signed message, signatures on the
// wire (64 bytes: e ‖ s, big-endian) and typed decoding errors.
import { createHash } from 'node:crypto';
import { GRUMPKIN_ORDER, R, U32_MAX, U64_MAX, bigIntToBytes32, bytesToBigInt } from './field.js';
import { schnorrSign, schnorrVerify, type Point, type Signature } from './grumpkin.js';

export interface Tx {
  from: number;
  to: number;
  amount: bigint;
  /** The sender's nonce before the tx. */
  nonce: number;
}

export interface SignedTx { tx: Tx; sig: Signature }

export const TX_BODY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

export type TxFormatCode = 'bad-length' | 'bad-padding' | 'out-of-range' | 'bad-signature-encoding';

export class TxFormatError extends Error {
  constructor(readonly code: TxFormatCode, message: string) {
    super(message);
    this.name = 'TxFormatError';
  }
}

export function checkTxFields(tx: Tx): void {
  for (const k of ['from', 'to', 'nonce'] as const) {
    const v = tx[k];
    if (!Number.isInteger(v) || v < 0 || BigInt(v) > U32_MAX) throw new TxFormatError('out-of-range', `tx.${k} must be a u32, got ${v}`);
  }
  if (typeof tx.amount !== 'bigint' || tx.amount < 0n || tx.amount > U64_MAX) {
    throw new TxFormatError('out-of-range', `tx.amount must be a u64, got ${String(tx.amount)}`);
  }
}

/** The 32-byte body: from u32 ‖ to u32 ‖ amount u64 ‖ nonce u32 ‖ 12 zero bytes, big-endian. */
export function encodeTxBody(tx: Tx): Uint8Array {
  checkTxFields(tx);
  const b = new Uint8Array(TX_BODY_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, tx.from);
  v.setUint32(4, tx.to);
  v.setBigUint64(8, tx.amount);
  v.setUint32(16, tx.nonce);
  return b;
}

export function decodeTxBody(body: Uint8Array): Tx {
  if (body.length !== TX_BODY_BYTES) throw new TxFormatError('bad-length', `tx body must be ${TX_BODY_BYTES} bytes, got ${body.length}`);
  for (let i = 20; i < 32; i++) {
    if (body[i] !== 0) throw new TxFormatError('bad-padding', `tx body bytes 20..31 must be zero (byte ${i} is ${body[i]})`);
  }
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const tx = { from: v.getUint32(0), to: v.getUint32(4), amount: v.getBigUint64(8), nonce: v.getUint32(16) };
  checkTxFields(tx);
  return tx;
}

/** The signed message: body bytes 0..19 as one integer (body_message in the Noir lib). */
export function txMessage(tx: Tx): bigint {
  checkTxFields(tx);
  return (BigInt(tx.from) << 128n) | (BigInt(tx.to) << 96n) | (tx.amount << 32n) | BigInt(tx.nonce);
}

export function signTx(tx: Tx, secretKey: bigint): SignedTx {
  return { tx, sig: schnorrSign(secretKey, txMessage(tx)) };
}

export function verifyTxSignature(signed: SignedTx, publicKey: Point): boolean {
  return schnorrVerify(publicKey, txMessage(signed.tx), signed.sig);
}

export function encodeSignature(sig: Signature): Uint8Array {
  const out = new Uint8Array(SIGNATURE_BYTES);
  out.set(bigIntToBytes32(sig.e), 0);
  out.set(bigIntToBytes32(sig.s), 32);
  return out;
}

export function decodeSignature(b: Uint8Array): Signature {
  if (b.length !== SIGNATURE_BYTES) throw new TxFormatError('bad-signature-encoding', `signature must be ${SIGNATURE_BYTES} bytes, got ${b.length}`);
  const e = bytesToBigInt(b.subarray(0, 32));
  const s = bytesToBigInt(b.subarray(32, 64));
  if (e >= R) throw new TxFormatError('bad-signature-encoding', 'signature e is not a field element');
  if (s >= GRUMPKIN_ORDER) throw new TxFormatError('bad-signature-encoding', 'signature s is not below the Grumpkin order');
  return { e, s };
}

/** A signed tx on the wire: body (32) ‖ signature (64). */
export function encodeSignedTx(s: SignedTx): Uint8Array {
  const out = new Uint8Array(TX_BODY_BYTES + SIGNATURE_BYTES);
  out.set(encodeTxBody(s.tx), 0);
  out.set(encodeSignature(s.sig), TX_BODY_BYTES);
  return out;
}

export function decodeSignedTx(b: Uint8Array): SignedTx {
  if (b.length !== TX_BODY_BYTES + SIGNATURE_BYTES) {
    throw new TxFormatError('bad-length', `signed tx must be ${TX_BODY_BYTES + SIGNATURE_BYTES} bytes, got ${b.length}`);
  }
  return { tx: decodeTxBody(b.subarray(0, TX_BODY_BYTES)), sig: decodeSignature(b.subarray(TX_BODY_BYTES)) };
}

/** The L2 tx hash (status ladder, mempool ids): sha256(body ‖ signature), 0x-hex. */
export function txHash(s: SignedTx): string {
  return '0x' + createHash('sha256').update(encodeSignedTx(s)).digest('hex');
}

// ---- a block's txs as revealed on L1 -----------------------------------------------------

/** A block's `witnessData`: the txs' signatures in tx order, 64 bytes each (docs/design.md). */
export function encodeWitnessData(txs: readonly SignedTx[]): Uint8Array {
  const out = new Uint8Array(txs.length * SIGNATURE_BYTES);
  txs.forEach((t, i) => out.set(encodeSignature(t.sig), i * SIGNATURE_BYTES));
  return out;
}

/** The revealed txs (32-byte bodies) and witnessData back into signed txs, with typed errors. */
export function decodeBlockTxs(bodies: readonly Uint8Array[], witnessData: Uint8Array): SignedTx[] {
  if (witnessData.length !== bodies.length * SIGNATURE_BYTES) {
    throw new TxFormatError('bad-length', `witnessData must hold ${bodies.length} signatures of ${SIGNATURE_BYTES} bytes (${bodies.length * SIGNATURE_BYTES} bytes), got ${witnessData.length}`);
  }
  return bodies.map((b, i) => {
    try {
      return { tx: decodeTxBody(b), sig: decodeSignature(witnessData.subarray(i * SIGNATURE_BYTES, (i + 1) * SIGNATURE_BYTES)) };
    } catch (e) {
      if (e instanceof TxFormatError) throw new TxFormatError(e.code, `tx ${i}: ${e.message}`);
      throw e;
    }
  });
}
