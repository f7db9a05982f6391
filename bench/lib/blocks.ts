// Rollup blocks of signed transfers for the benches (INSECURE dev keys from fixed seeds).
import type { SignedTx } from '../../circuits/l2/index.js';
import type { RollupBlock } from '../../prover/rollup.js';

/** The reward recipient the bench's final proofs name (no L1 here: any non-zero address). */
export const BENCH_RECIPIENT = '0x00000000000000000000000000000000000000b1';

/** B blocks of N transfers each, each on the state after the previous one. */
export async function makeBlocks(n: number, b: number): Promise<RollupBlock[]> {
  const l2 = await import('../../circuits/l2/index.js');
  const accounts = 8;
  const keys = Array.from({ length: accounts }, (_, i) => l2.generateKeyPair(new Uint8Array([0xbe, i])));
  const state = await l2.WorldState.create(keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 10n ** 12n })));
  const out: RollupBlock[] = [];
  for (let k = 0; k < b; k++) {
    const pre = state.clone();
    const txs: SignedTx[] = [];
    for (let i = 0; i < n; i++) {
      const from = (i + k) % accounts;
      const s = l2.signTx({ from, to: (from + 1 + (i % 3)) % accounts, amount: BigInt(1 + i), nonce: state.account(from)!.nonce }, keys[from].secretKey);
      state.applyTx(s, i);
      txs.push(s);
    }
    out.push({ blockHash: `0x${(0xb0 + k).toString(16).padStart(2, '0').repeat(32)}`, slot: BigInt(100 + k), preState: pre, txs, recipient: BENCH_RECIPIENT, deadline: k });
  }
  return out;
}
