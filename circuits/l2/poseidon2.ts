// Poseidon2 over BN254 exactly as Barretenberg's sponge (bb.js `poseidon2Hash`), which the Noir
// library's `poseidon2_hash` (circuits/noir/lib) reimplements over std's permutation (Noir
// 1.0.0-beta.26 has no `Poseidon2::hash`; twin-tested in test/unit/circuits/noir-twin.test.ts).
// Computed by bb.js 5.0.0's BarretenbergSync (WASM). Call `initPoseidon2()` once per thread
// (worker threads included) before the sync functions.
import { BackendType, BarretenbergSync } from '@aztec/bb.js';
import { bytesToBigInt } from './field.js';

let bb: BarretenbergSync | undefined;
let pending: Promise<BarretenbergSync> | undefined;

export class Poseidon2NotReadyError extends Error {
  constructor() {
    super('Poseidon2 is not initialised in this thread: await initPoseidon2() first');
    this.name = 'Poseidon2NotReadyError';
  }
}

/**
 * This thread's synchronous bb.js, always the WASM one (no CRS needed for hashing, gate counts
 * and Solidity verifiers). Not bb.js' default: that is the native shared-memory module, whose
 * ring buffer aborts the whole process on a message as large as a 2^20 circuit's ACIR.
 */
export function barretenbergSync(): Promise<BarretenbergSync> {
  pending ??= BarretenbergSync.initSingleton({ backend: BackendType.Wasm });
  return pending;
}

export async function initPoseidon2(): Promise<void> {
  if (bb) return;
  bb = await barretenbergSync();
}

const fr = (x: bigint): Uint8Array => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');

/** Poseidon2 sponge of `inputs` (Noir lib `poseidon2_hash`, fixed length). */
export function poseidon2(inputs: readonly bigint[]): bigint {
  if (!bb) throw new Poseidon2NotReadyError();
  return bytesToBigInt(bb.poseidon2Hash({ inputs: inputs.map(fr) }).hash);
}

/** A Merkle node of the accounts tree: poseidon2([l, r]). */
export function hash2(l: bigint, r: bigint): bigint {
  return poseidon2([l, r]);
}
