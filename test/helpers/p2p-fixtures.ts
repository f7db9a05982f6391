// Valid (and deliberately invalid) messages of every gossip topic, for p2p tests and benches.
import { Wallet, type Signer } from 'ethers';
import {
  encodeSignature, encodeTxBody, generateKeyPair, initPoseidon2, signTx, type KeyPair, type Point,
} from '../../circuits/l2/index.js';
import { signQuote } from '../../node/l1/block.js';
import {
  PROOF_KIND, blockMsgHash, fromHex, hex, quoteOf,
  type BlockMsg, type ProofMsg, type QuoteMsg, type RfqMsg, type SignedTxMsg, type ValidationContext,
} from '../../node/p2p/index.js';

export const CHAIN_ID = 31337n;
export const SIDECAR = '0x' + 'ab'.repeat(20);
/** Slots below this are stale in the fixtures' validation context. */
export const STALE_BEFORE = 100n;

const b32 = (n: bigint | number) => fromHex(BigInt(n).toString(16).padStart(64, '0'), 32);

export class Fixtures {
  readonly accounts: KeyPair[] = [];
  readonly prover = Wallet.createRandom();
  readonly canonical = new Set<string>();

  static async create(nAccounts = 4): Promise<Fixtures> {
    await initPoseidon2();
    const f = new Fixtures();
    for (let i = 0; i < nAccounts; i++) f.accounts.push(generateKeyPair(new Uint8Array([i + 1])));
    return f;
  }

  /** What every honest node checks with (known accounts, quote domain, staleness, canonical blocks). */
  context(): ValidationContext {
    return {
      txPublicKey: (a: number): Point | undefined => this.accounts[a]?.publicKey,
      quoteDomain: { chainId: CHAIN_ID, verifyingContract: SIDECAR },
      isStaleSlot: (slot) => slot < STALE_BEFORE,
      l1BlockNumber: () => 10n,
      blockStanding: (_slot, hash) => (this.canonical.has(hash) ? 'canonical' : 'unknown'),
    };
  }

  tx(from: number, to: number, amount: bigint, nonce: number, signer = this.accounts[from]): SignedTxMsg {
    const s = signTx({ from, to, amount, nonce }, signer.secretKey);
    return { body: encodeTxBody(s.tx), signature: encodeSignature(s.sig) };
  }

  block(slot: bigint, nTxs = 2): BlockMsg {
    const txs = Array.from({ length: nTxs }, (_, i) => this.tx(i % this.accounts.length, (i + 1) % this.accounts.length, 1n, Number(slot) + i));
    const witnessData = new Uint8Array(nTxs * 64);
    txs.forEach((t, i) => witnessData.set(t.signature, i * 64));
    return { slot, startRoot: b32(slot * 2n + 1n), endRoot: b32(slot * 2n + 2n), txs: txs.map((t) => t.body), witnessData };
  }

  /** Marks a block canonical (what L1 would say) and returns its hash. */
  makeCanonical(b: BlockMsg): string {
    const h = blockMsgHash(b);
    this.canonical.add(h);
    return h;
  }

  rfq(slot: bigint, blockHash: string): RfqMsg {
    return { slot, blockHash: fromHex(blockHash, 32), tip: 10n ** 18n, deposit: 100n * 10n ** 18n, quoteDeadlineBlock: 1000n, peer: new TextEncoder().encode('12D3KooWTestSequencer'), addrs: [new TextEncoder().encode('/ip4/127.0.0.1/tcp/1')], signature: new Uint8Array(65) };
  }

  async quote(slot: bigint, blockHash: string, signer: Signer = this.prover): Promise<QuoteMsg> {
    const q = {
      slot, blockHash: fromHex(blockHash, 32), sequencer: fromHex(this.prover.address, 20), prover: fromHex(this.prover.address, 20), fee: 10n ** 17n,
      deposit: 100n * 10n ** 18n, proverFundsDeposit: true, validUntilBlock: 500n,
    };
    const sig = await signQuote(signer, CHAIN_ID, SIDECAR, quoteOf(q));
    return { ...q, signature: fromHex(sig, 65) };
  }

  proof(slot: bigint, blockHash: string, id: number, bytes = 1024, kind: number = PROOF_KIND.segment): ProofMsg {
    const proof = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) proof[i] = (i * 31 + id) & 0xff;
    return { kind, id: b32(0xdead0000 + id), slot, blockHash: fromHex(blockHash, 32), segment: id & 0xffff, proof, publicInputs: [b32(slot)] };
  }
}

export { hex };
