// What makes a final proof from someone else (a gossip peer) worth anything: it is the final
// proof of a block that is canonical and still pending here, under the id of that block's plan
// root (so the circuit, hence the vk, comes from our own plan, never from the sender's word), it
// binds exactly the public inputs L1 will check for the slot (read from the contract, cached
// per block), and bb verifies it. Cheap checks first; the bb verification last, in the verify
// thread. The prover role checks its own proofs against the same L1 inputs (`bindsBlock`).
import { rollupPlan } from '../../prover/index.js';
import type { ChainSync } from '../chain/index.js';
import type { SidecarClient } from '../l1/client.js';
import { ACCEPT, ignore, reject, type Verdict } from '../p2p/index.js';

/** bb verification of a proof of one of our circuits (the verify thread). */
export type ProofVerifyFn = (circuit: string, proof: Uint8Array, publicInputs: readonly string[]) => Promise<boolean>;

/** A claimed final proof, as it comes off the wire. */
export interface ClaimedProof {
  slot: number;
  blockHash: string;
  /** 0x-hex job id */
  id: string;
  proof: Uint8Array;
  publicInputs: readonly string[];
}

/** The cheap checks passed: which of our circuits and jobs it must be. */
export type Prechecked = { verdict: Verdict; circuit?: string; rootJob?: string };

/**
 * A final proof's public inputs are exactly what L1 builds for a one-block range (docs/design.md):
 * slot, start root, end root, txs commitment, then the reward recipient the proof names.
 */
export const L1_PUBLIC_INPUTS = 5;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** The reward recipient a final proof names (its 5th public input), undefined when it is not a non-zero 20-byte address. */
export function proofRecipient(publicInputs: readonly string[]): string | undefined {
  if (publicInputs.length !== L1_PUBLIC_INPUTS) return undefined;
  let r: bigint;
  try { r = BigInt(publicInputs[4]); } catch { return undefined; }
  if (r === 0n || r >= 1n << 160n) return undefined;
  return `0x${r.toString(16).padStart(40, '0')}`;
}

export class FinalProofCheck {
  private readonly l1Inputs = new Map<string, Promise<bigint[]>>();
  /** Proof size of each circuit, learned from the first proof of it that verified (UltraHonk proofs of one circuit have one size). */
  private readonly proofBytes = new Map<string, number>();

  constructor(private readonly chain: ChainSync, private readonly client: SidecarClient, private readonly verifyFn: ProofVerifyFn) {}

  /**
   * The public inputs L1 checks for `slot` naming `recipient`: the block's four from the contract
   * (`publicInputs`, read once per block and cached; a failed read is not cached), then the recipient,
   * last as in the contract's layout. Per block, not per recipient: a flood of proofs naming ever new
   * recipients costs no extra L1 read.
   */
  async expectedInputs(slot: number, blockHash: string, recipient: string): Promise<bigint[]> {
    const key = `${slot}/${blockHash.toLowerCase()}`;
    let p = this.l1Inputs.get(key);
    if (!p) {
      p = this.client.publicInputs(slot, slot, ZERO_ADDRESS).then((xs) => xs.slice(0, L1_PUBLIC_INPUTS - 1).map((x) => BigInt(x)));
      this.l1Inputs.set(key, p);
      p.catch(() => this.l1Inputs.delete(key));
      // bounded: a few blocks are pending at a time
      if (this.l1Inputs.size > 256) this.l1Inputs.delete(this.l1Inputs.keys().next().value!);
    }
    return [...(await p), BigInt(recipient)];
  }

  /** Undefined when `publicInputs` are exactly the L1 inputs of the slot's block and a recipient, else why not. */
  async bindsBlock(slot: number, blockHash: string, publicInputs: readonly string[]): Promise<string | undefined> {
    const recipient = proofRecipient(publicInputs);
    if (!recipient) return `${publicInputs.length} public inputs, L1 expects ${L1_PUBLIC_INPUTS} ending with a non-zero recipient address`;
    const expected = await this.expectedInputs(slot, blockHash, recipient);
    if (expected.length !== L1_PUBLIC_INPUTS) return `L1 gave ${expected.length} inputs for one block, this node expects ${L1_PUBLIC_INPUTS}`;
    const got = publicInputs.map((x) => BigInt(x));
    if (got.some((g, i) => g !== expected[i])) return `binds [${got.join(', ')}], L1 expects [${expected.join(', ')}]`;
    return undefined;
  }

  /** Everything but the bb verification: the block, the job id, the public inputs. */
  async precheck(c: ClaimedProof): Promise<Prechecked> {
    const cb = await this.chain.block(c.slot);
    if (!cb || cb.blockHash?.toLowerCase() !== c.blockHash.toLowerCase()) return { verdict: ignore('not-canonical-block', `slot ${c.slot}`) };
    if (cb.status !== 'pending') return { verdict: ignore('stale-slot', `slot ${c.slot} is ${cb.status}`) };
    const r = cb.revealed;
    if (!r || !r.provable) return { verdict: ignore('unknown-block', `block ${c.blockHash} is not revealed (or not provable) here`) };
    const recipient = proofRecipient(c.publicInputs);
    if (!recipient) return { verdict: reject('wrong-public-inputs', `${c.publicInputs.length} public inputs, the last must be a non-zero recipient address`) };
    const plan = rollupPlan({ blockHash: r.blockHash, slot: BigInt(c.slot), txs: new Array(r.txCount), recipient });
    const root = plan.jobs.find((j) => j.id === plan.root)!;
    if (`0x${root.id.toLowerCase().replace(/^0x/, '')}` !== c.id.toLowerCase()) {
      return { verdict: reject('wrong-proof-id', `id ${c.id} is not the root job of block ${c.blockHash}'s plan`) };
    }
    let why: string | undefined;
    try {
      why = await this.bindsBlock(c.slot, c.blockHash, c.publicInputs);
    } catch (e) {
      return { verdict: ignore('l1-unavailable', `reading the slot's public inputs: ${(e as Error).message.slice(0, 120)}`) };
    }
    if (why) return { verdict: reject('wrong-public-inputs', why) };
    const size = this.proofBytes.get(root.circuit);
    if (c.proof.length % 32 !== 0 || (size !== undefined && c.proof.length !== size)) {
      return { verdict: reject('wrong-proof-size', `${c.proof.length} bytes${size !== undefined ? `, a ${root.circuit} proof has ${size}` : ', not whole fields'}`) };
    }
    return { verdict: ACCEPT, circuit: root.circuit, rootJob: root.id };
  }

  /** bb verifies the proof with our vk of `circuit`. A proof that cannot be verified at all (malformed bytes) is invalid. */
  async verify(circuit: string, proof: Uint8Array, publicInputs: readonly string[]): Promise<Verdict> {
    let ok: boolean;
    try {
      ok = await this.verifyFn(circuit, proof, publicInputs);
    } catch (e) {
      const code = (e as { code?: string }).code;
      // the verifier itself is gone (shutting down): nobody's fault
      if (code === 'cancelled' || code === 'worker-crash') return ignore('validator-error', (e as Error).message.slice(0, 120));
      return reject('invalid-proof', `bb could not verify it: ${(e as Error).message.slice(0, 120)}`);
    }
    if (!ok) return reject('invalid-proof', `bb rejects this ${circuit} proof`);
    this.learnSize(circuit, proof.length);
    return ACCEPT;
  }

  /** A proof of `circuit` that verified (ours or a peer's) fixes the size every other one must have. */
  learnSize(circuit: string, bytes: number): void {
    if (!this.proofBytes.has(circuit)) this.proofBytes.set(circuit, bytes);
  }
}
