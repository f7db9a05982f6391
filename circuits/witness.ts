// Witness execution of the segment circuits (noir_js 1.0.0-beta.26 / ACVM in WASM). Works in
// any thread, worker threads included. Failing circuit asserts come back as WitnessError,
// naming the tx (its index in the block) when the failure is about one tx.
import { Noir, type InputMap } from '@noir-lang/noir_js';
import type { CompiledCircuit } from './build.js';
import { G, schnorrSign, scalarLimbs } from './l2/grumpkin.js';
import { TREE_DEPTH, toHex } from './l2/field.js';
import type { TxWitness } from './l2/state.js';
import { txMessage } from './l2/tx.js';

export type WitnessReason =
  | 'bad-signature' | 'wrong-nonce' | 'overspend' | 'unknown-account' | 'balance-overflow'
  | 'root-mismatch' | 'start-root-mismatch' | 'txs-commitment-mismatch' | 'bad-previous-proof'
  | 'not-adjacent' | 'other-slot' | 'bad-input' | 'constraint';

export class WitnessError extends Error {
  constructor(
    readonly circuit: string,
    readonly reason: WitnessReason,
    readonly detail: string,
    readonly txIndex?: number,
  ) {
    super(`witness for ${circuit} failed: ${detail}`);
    this.name = 'WitnessError';
  }
}

const REASONS: [RegExp, WitnessReason][] = [
  [/bad signature/, 'bad-signature'],
  [/wrong nonce/, 'wrong-nonce'],
  [/overspend/, 'overspend'],
  [/unknown (sender|recipient) account/, 'unknown-account'],
  [/overflows u64/, 'balance-overflow'],
  [/segment start root does not match/, 'start-root-mismatch'],
  [/end root does not match/, 'root-mismatch'],
  [/txs commitment does not match/, 'txs-commitment-mismatch'],
  [/previous proof|chain (does not start|names the wrong)|carried txs-tree state|child proof was not made by|names another merge circuit/, 'bad-previous-proof'],
  [/not adjacent|not aligned to the merged subtree|taller than the left|already the whole txs tree|does not start at tx 0/, 'not-adjacent'],
  [/from another slot/, 'other-slot'],
];

/** Turn a noir_js execution error into a WitnessError. */
export function toWitnessError(circuit: string, e: unknown): WitnessError {
  const raw = e instanceof Error ? e.message : String(e);
  const msg = raw.replace(/^Circuit execution failed:\s*/, '').trim();
  const tx = /tx (\d+): ([^\n]*)/.exec(msg);
  const detail = tx ? `tx ${tx[1]}: ${tx[2]}` : msg;
  const badInput = /Expected argument|value passed for parameter|does not match the specified type|cannot be parsed|Invalid (input|value)/i;
  const reason = REASONS.find(([re]) => re.test(detail))?.[1] ?? (badInput.test(msg) ? 'bad-input' : 'constraint');
  const short = detail.length > 400 ? `${detail.slice(0, 400)}...` : detail;
  return new WitnessError(circuit, reason, short, tx ? Number(tx[1]) : undefined);
}

const programs = new Map<string, Noir>();

function program(circuit: CompiledCircuit): Noir {
  const key = `${circuit.name}:${circuit.hash}`;
  let p = programs.get(key);
  if (!p) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    p = new Noir({ bytecode: circuit.bytecode, abi: circuit.abi } as any);
    programs.set(key, p);
  }
  return p;
}

export interface SegmentWitness {
  /** gzipped witness stack as bb.js' prove functions take it */
  witness: Uint8Array;
  circuit: string;
}

/** Execute `circuit` on `inputs`; throws WitnessError when a constraint fails. */
export async function executeSegment(circuit: CompiledCircuit, inputs: InputMap): Promise<SegmentWitness> {
  try {
    const { witness } = await program(circuit).execute(inputs);
    return { witness, circuit: circuit.name };
  } catch (e) {
    throw toWitnessError(circuit.name, e);
  }
}

// ---- Noir input encoding ---------------------------------------------------------------

type NoirAccount = { pk_x: string; pk_y: string; balance: string; nonce: string };
export type NoirTx = {
  from: string; to: string; amount: string; nonce: string;
  sig_e: string; sig_s_lo: string; sig_s_hi: string;
  sender: NoirAccount; sender_path: string[];
  recipient: NoirAccount; recipient_path: string[];
};

const acct = (a: TxWitness['sender']): NoirAccount => ({
  pk_x: toHex(a.publicKey.x), pk_y: toHex(a.publicKey.y), balance: a.balance.toString(), nonce: String(a.nonce),
});

/** A tx witness as the Noir `Tx` struct. */
export function noirTx(w: TxWitness): NoirTx {
  const { lo, hi } = scalarLimbs(w.sig.s);
  return {
    from: String(w.tx.from), to: String(w.tx.to), amount: w.tx.amount.toString(), nonce: String(w.tx.nonce),
    sig_e: toHex(w.sig.e), sig_s_lo: toHex(lo), sig_s_hi: toHex(hi),
    sender: acct(w.sender), sender_path: w.senderPath.map(toHex),
    recipient: acct(w.recipient), recipient_path: w.recipientPath.map(toHex),
  };
}

let padding: NoirTx | undefined;
/**
 * The filler for unused tx slots of a segment: never applied (the slot is inactive), but its
 * signature is a valid one by the key sk = 1 so the curve operations see real points.
 */
export function paddingTx(): NoirTx {
  if (!padding) {
    const tx = { from: 0, to: 0, amount: 0n, nonce: 0 };
    const sig = schnorrSign(1n, txMessage(tx));
    const zeroPath = Array.from({ length: TREE_DEPTH }, () => 0n);
    const account = { publicKey: G, balance: 0n, nonce: 0 };
    padding = noirTx({ tx, sig, sender: account, senderPath: zeroPath, recipient: account, recipientPath: zeroPath, rootBefore: 0n, rootAfter: 0n });
    // amount 0 and a zero body: the leaf of an inactive slot is bytes32(0) regardless
  }
  return padding;
}

/** `witnesses` padded with inactive slots up to `capacity`. */
export function noirTxs(witnesses: readonly TxWitness[], capacity: number): NoirTx[] {
  if (witnesses.length > capacity) throw new RangeError(`${witnesses.length} txs do not fit a segment of ${capacity}`);
  return [...witnesses.map(noirTx), ...Array.from({ length: capacity - witnesses.length }, () => paddingTx())];
}
