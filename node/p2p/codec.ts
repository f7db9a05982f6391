// The one schema of every gossip and req/resp message: SSZ (@chainsafe/ssz). SSZ is
// deterministic (one encoding per value), every list has a declared maximum so a decoder never
// allocates beyond it, and decoding checks offsets and lengths, so a message has exactly one
// accepted encoding and its content hash (the gossip message id) identifies it.
import {
  BooleanType, ByteListType, ByteVectorType, ContainerType, ListCompositeType, UintBigintType, UintNumberType,
  type ValueOf,
} from '@chainsafe/ssz';
import { MAX_TXS_PER_BLOCK, SIGNATURE_BYTES, TX_BODY_BYTES } from '../../circuits/l2/index.js';
import type { TopicKind } from './topics.js';

const Bytes20 = new ByteVectorType(20);
const Bytes32 = new ByteVectorType(32);
const Uint8 = new UintNumberType(1);
const Uint16 = new UintNumberType(2);
const Uint64 = new UintBigintType(8);
const Uint256 = new UintBigintType(32);

export const MAX_PROOF_BYTES = 2 * 1024 * 1024;
export const MAX_PUBLIC_INPUTS = 64;

/** An L2 tx on the wire: body (32) ‖ Schnorr signature (64), as circuits/l2 `encodeSignedTx`. */
export const SignedTxSsz = new ContainerType({ body: new ByteVectorType(TX_BODY_BYTES), signature: new ByteVectorType(SIGNATURE_BYTES) });

/** A revealed block: txs are 32-byte bodies, witnessData their signatures in order (design.md). */
export const BlockSsz = new ContainerType({
  slot: Uint64,
  startRoot: Bytes32,
  endRoot: Bytes32,
  txs: new ListCompositeType(new ByteVectorType(TX_BODY_BYTES), MAX_TXS_PER_BLOCK),
  witnessData: new ByteListType(MAX_TXS_PER_BLOCK * SIGNATURE_BYTES),
});

/** A sequencer's request for quotes on its revealed block, signed by it (design.md). */
export const RfqSsz = new ContainerType({
  slot: Uint64,
  blockHash: Bytes32,
  /** Prover tip the sequencer offers (token base units). */
  tip: Uint256,
  /** Deposit the prover must put up (token base units). */
  deposit: Uint256,
  /** Last L1 block at which the sequencer reads quotes. */
  quoteDeadlineBlock: Uint64,
  /** The sequencer's libp2p peer id (UTF-8) and up to 4 listen multiaddrs: quotes go there point to point (quote/1), never on gossip. */
  peer: new ByteListType(128),
  addrs: new ListCompositeType(new ByteListType(128), 4),
  /** EIP-712 `Rfq` signature (node/l1 `signRfq`) by the sequencer that revealed the block. */
  signature: new ByteVectorType(65),
});

/** A signed prover quote: the EIP-712 `Quote` of design.md plus its 65-byte signature. */
export const QuoteSsz = new ContainerType({
  slot: Uint64,
  blockHash: Bytes32,
  sequencer: Bytes20,
  prover: Bytes20,
  fee: Uint256,
  deposit: Uint256,
  proverFundsDeposit: new BooleanType(),
  validUntilBlock: Uint64,
  signature: new ByteVectorType(65),
});

export const PROOF_KIND = { final: 0, segment: 1 } as const;

/** A completed proof: the block's final proof, or a segment proof of its plan. */
export const ProofSsz = new ContainerType({
  /** 0 = final (L1 flavour), 1 = segment. */
  kind: Uint8,
  /** The proof id: the proving job id (hash of its inputs, prover/). */
  id: Bytes32,
  slot: Uint64,
  blockHash: Bytes32,
  /** Segment index in the block's plan (0 for a final proof). */
  segment: Uint16,
  proof: new ByteListType(MAX_PROOF_BYTES),
  publicInputs: new ListCompositeType(Bytes32, MAX_PUBLIC_INPUTS),
});

/** Status handshake (req/resp). */
export const StatusSsz = new ContainerType({
  chainId: Uint64,
  /** The Sidecar contract address; peers on another deployment are not our network. */
  contract: Bytes20,
  headSlot: Uint64,
  headBlockHash: Bytes32,
  provenSlot: Uint64,
});

export type SignedTxMsg = ValueOf<typeof SignedTxSsz>;
export type BlockMsg = ValueOf<typeof BlockSsz>;
export type RfqMsg = ValueOf<typeof RfqSsz>;
export type QuoteMsg = ValueOf<typeof QuoteSsz>;
export type ProofMsg = ValueOf<typeof ProofSsz>;
export type StatusMsg = ValueOf<typeof StatusSsz>;

export interface TopicMessages {
  txs: SignedTxMsg;
  blocks: BlockMsg;
  rfq: RfqMsg;
  quotes: QuoteMsg;
  proofs: ProofMsg;
}

interface Codec<T> { serialize(v: T): Uint8Array; deserialize(b: Uint8Array, opts?: { reuseBytes?: boolean }): T }

export const TOPIC_CODECS: { [K in TopicKind]: Codec<TopicMessages[K]> } = {
  txs: SignedTxSsz, blocks: BlockSsz, rfq: RfqSsz, quotes: QuoteSsz, proofs: ProofSsz,
};

export class DecodeError extends Error {
  constructor(readonly code: 'malformed', message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Decodes bytes with an SSZ type; DecodeError when malformed. For the types here (uints,
 * booleans, byte vectors, bounded byte lists and lists of byte vectors) the SSZ decoder is
 * strict: offsets must be exact, booleans 0 or 1, sizes within bounds and multiples of the
 * element size; so every accepted byte string is the one encoding of its value.
 */
export function decodeSsz<T>(type: Codec<T>, bytes: Uint8Array, what: string): T {
  try {
    // Byte fields are views into `bytes` (no copy of a 1 MiB proof): received bytes are never mutated.
    return type.deserialize(bytes, { reuseBytes: true });
  } catch (e) {
    throw new DecodeError('malformed', `${what}: ${(e as Error).message}`);
  }
}

export function encodeMessage<K extends TopicKind>(kind: K, value: TopicMessages[K]): Uint8Array {
  return TOPIC_CODECS[kind].serialize(value);
}

export function decodeMessage<K extends TopicKind>(kind: K, bytes: Uint8Array): TopicMessages[K] {
  return decodeSsz(TOPIC_CODECS[kind], bytes, kind);
}

export const hex = (b: Uint8Array): string => '0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export function fromHex(s: string, bytes?: number): Uint8Array {
  const h = s.startsWith('0x') ? s.slice(2) : s;
  if (!/^([0-9a-fA-F]{2})*$/.test(h) || (bytes !== undefined && h.length !== bytes * 2)) {
    throw new RangeError(`expected ${bytes ?? 'an even number of'} hex bytes, got ${JSON.stringify(s.slice(0, 80))}`);
  }
  return new Uint8Array(Buffer.from(h, 'hex'));
}
