// A small real L2 for L1 tests: accounts with Grumpkin keys in a WorldState, blocks of signed
// transfers applied to it, turned into the L1 block (bodies, witnessData, txsCommitment) the
// contract checks in `reveal`.
import { WorldState, generateKeyPair, signTx, type KeyPair, type SignedTx } from '../../circuits/l2/index.js';
import { makeL1Block, type L1Block } from '../../node/l1/block.js';

export interface L2Fixture {
  keys: KeyPair[];
  /** the state after every block built so far (a block built on a fork: use fork()) */
  state: WorldState;
  genesisRoot: bigint;
  /** Build the next block of `count` transfers on `state` (advances it) for `slot`. */
  buildBlock(slot: bigint | number, count: number, on?: WorldState): L1Block & { signed: SignedTx[] };
}

export async function makeL2(accounts = 4, balance = 1_000_000n): Promise<L2Fixture> {
  const keys = Array.from({ length: accounts }, (_, i) => generateKeyPair(new Uint8Array([0x5c, i])));
  const state = await WorldState.create(keys.map((k, index) => ({ index, publicKey: k.publicKey, balance })));
  const genesisRoot = state.root();
  const fx: L2Fixture = {
    keys, state, genesisRoot,
    buildBlock(slot, count, on = fx.state) {
      const signed: SignedTx[] = [];
      const work = on.clone();
      for (let i = 0; i < count; i++) {
        const from = i % accounts;
        const to = (i + 1) % accounts;
        const nonce = work.account(from)!.nonce;
        const s = signTx({ from, to, amount: BigInt(1 + (i % 7)), nonce }, keys[from].secretKey);
        work.applyTx(s, i);
        signed.push(s);
      }
      const exec = on.applyBlock(signed);
      return { ...makeL1Block(slot, exec.startRoot, exec.endRoot, signed), signed };
    },
  };
  return fx;
}

/** The reward recipient test blocks' final proofs name (any non-zero 20-byte address; L1 tests use the sender's). */
export const TEST_RECIPIENT = '0x00000000000000000000000000000000000000a1';
