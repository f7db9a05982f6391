// Poseidon2 over BN254 exactly as Noir's std::hash::poseidon2::Poseidon2::hash, computed by
// Barretenberg's own implementation (bb.js BarretenbergSync). Call `initPoseidon2()` once per
// thread (worker threads included) before the sync functions.
import { BarretenbergSync, Fr } from '@aztec/bb.js';
import { bytesToBigInt } from './field.js';

let bb: BarretenbergSync | undefined;
let pending: Promise<BarretenbergSync> | undefined;

export class Poseidon2NotReadyError extends Error {
  constructor() {
    super('Poseidon2 is not initialised in this thread: await initPoseidon2() first');
    this.name = 'Poseidon2NotReadyError';
  }
}

export async function initPoseidon2(): Promise<void> {
  if (bb) return;
  pending ??= BarretenbergSync.initSingleton();
  bb = await pending;
}

/** Poseidon2::hash(inputs, inputs.length) */
export function poseidon2(inputs: readonly bigint[]): bigint {
  if (!bb) throw new Poseidon2NotReadyError();
  const out = bb.poseidon2Hash(inputs.map((x) => new Fr(x)));
  return bytesToBigInt(out.toBuffer());
}

/** A Merkle node of the accounts tree: Poseidon2::hash([l, r], 2). */
export function hash2(l: bigint, r: bigint): bigint {
  return poseidon2([l, r]);
}
