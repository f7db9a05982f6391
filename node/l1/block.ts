// The L1 view of an L2 block (docs/design.md): its block hash, the proposal commitment posted in
// `propose` and checked by `reveal`, and the EIP-712 prover quote. This module is the ONE place that
// computes them; everything else imports these functions.
import { AbiCoder, concat, getBytes, hexlify, keccak256, TypedDataEncoder, verifyTypedData, type Signer } from 'ethers';
import { encodeTxBody, encodeWitnessData, txsCommitment, type SignedTx } from '../../circuits/l2/index.js';

const bytes32 = (x: bigint | string): string => (typeof x === 'bigint' ? '0x' + x.toString(16).padStart(64, '0') : hexlify(getBytes(x)));

/** A block as revealed on L1: txs = the concatenated 32-byte bodies, witnessData = signatures. */
export interface L1Block {
  slot: bigint;
  startRoot: bigint;
  endRoot: bigint;
  /** concatenated tx bodies (32 bytes each) */
  txs: Uint8Array;
  witnessData: Uint8Array;
  /** uint256(sha256 txs tree root) mod r, as the contract computes it from `txs` */
  txsCommitment: bigint;
}

/** Builds the L1 block from executed L2 txs (roots from WorldState.applyBlock). */
export function makeL1Block(slot: bigint | number, startRoot: bigint, endRoot: bigint, signedTxs: readonly SignedTx[]): L1Block {
  const bodies = signedTxs.map((t) => encodeTxBody(t.tx));
  return {
    slot: BigInt(slot), startRoot, endRoot,
    txs: bodies.length ? getBytes(concat(bodies)) : new Uint8Array(0),
    witnessData: encodeWitnessData(signedTxs),
    txsCommitment: txsCommitment(bodies),
  };
}

/** The bodies of `txs` (32 bytes each). */
export function splitTxs(txs: Uint8Array): Uint8Array[] {
  if (txs.length % 32 !== 0) throw new RangeError(`txs must be a multiple of 32 bytes, got ${txs.length}`);
  return Array.from({ length: txs.length / 32 }, (_, i) => txs.subarray(i * 32, (i + 1) * 32));
}

/**
 * blockHash = keccak256(abi.encode(slot, startRoot, endRoot, txsCommitment, keccak256(txs), keccak256(witnessData)))
 */
export function blockHash(b: Pick<L1Block, 'slot' | 'startRoot' | 'endRoot' | 'txsCommitment' | 'txs' | 'witnessData'>): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(
    ['uint256', 'bytes32', 'bytes32', 'bytes32', 'bytes32', 'bytes32'],
    [b.slot, bytes32(b.startRoot), bytes32(b.endRoot), bytes32(b.txsCommitment), keccak256(b.txs), keccak256(b.witnessData)],
  ));
}

/**
 * The value a sequencer posts in `propose` (and `Proposed` emits): `keccak256(abi.encode(blockHash, sequencer))`.
 * It binds the block to its proposer, so nobody else can reveal the same block (docs/design.md).
 */
export function proposalCommitment(blockHash: string, sequencer: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32', 'address'], [bytes32(blockHash), sequencer]));
}

// ---- EIP-712 prover quote ---------------------------------------------------------------

export interface Quote {
  slot: bigint;
  blockHash: string;
  /** the only sequencer that may commit with it (the contract checks msg.sender) */
  sequencer: string;
  prover: string;
  /** the least tip the prover accepts */
  fee: bigint;
  deposit: bigint;
  proverFundsDeposit: boolean;
  validUntilBlock: bigint;
}

export const QUOTE_TYPES = {
  Quote: [
    { name: 'slot', type: 'uint256' },
    { name: 'blockHash', type: 'bytes32' },
    { name: 'sequencer', type: 'address' },
    { name: 'prover', type: 'address' },
    { name: 'fee', type: 'uint256' },
    { name: 'deposit', type: 'uint256' },
    { name: 'proverFundsDeposit', type: 'bool' },
    { name: 'validUntilBlock', type: 'uint256' },
  ],
};

export function quoteDomain(chainId: bigint | number, sidecar: string) {
  return { name: 'Sidecar', version: '1', chainId: BigInt(chainId), verifyingContract: sidecar };
}

/** The prover signs its quote (65-byte signature, 0x-hex). */
export async function signQuote(signer: Signer, chainId: bigint | number, sidecar: string, q: Quote): Promise<string> {
  return signer.signTypedData(quoteDomain(chainId, sidecar), QUOTE_TYPES, { ...q });
}

/** The EIP-712 digest the contract recovers the signer from. */
export function quoteDigest(chainId: bigint | number, sidecar: string, q: Quote): string {
  return TypedDataEncoder.hash(quoteDomain(chainId, sidecar), QUOTE_TYPES, { ...q });
}

/** Address that signed `q` (checks off chain what the contract checks). */
export function quoteSigner(chainId: bigint | number, sidecar: string, q: Quote, signature: string): string {
  return verifyTypedData(quoteDomain(chainId, sidecar), QUOTE_TYPES, { ...q }, signature);
}

// ---- EIP-712 request for quotes (off chain only) -----------------------------------------

/** A sequencer's request for quotes on the block it revealed; signed by that sequencer's L1 key. */
export interface Rfq {
  slot: bigint;
  blockHash: string;
  /** the prover tip the sequencer escrowed in `propose` */
  tip: bigint;
  /** the deposit the prover must put up */
  deposit: bigint;
  /** last L1 block at which the sequencer reads quotes */
  quoteDeadlineBlock: bigint;
  /** where quotes go, point to point (never gossiped): the sequencer's libp2p peer id and listen addresses */
  peer: string;
  addrs: string[];
}

export const RFQ_TYPES = {
  Rfq: [
    { name: 'slot', type: 'uint256' },
    { name: 'blockHash', type: 'bytes32' },
    { name: 'tip', type: 'uint256' },
    { name: 'deposit', type: 'uint256' },
    { name: 'quoteDeadlineBlock', type: 'uint256' },
    { name: 'peer', type: 'string' },
    { name: 'addrs', type: 'string[]' },
  ],
};

/** The sequencer signs its RFQ (65-byte signature, 0x-hex), same domain as quotes. */
export async function signRfq(signer: Signer, chainId: bigint | number, sidecar: string, r: Rfq): Promise<string> {
  return signer.signTypedData(quoteDomain(chainId, sidecar), RFQ_TYPES, { ...r });
}

/** Address that signed the RFQ `r`. */
export function rfqSigner(chainId: bigint | number, sidecar: string, r: Rfq, signature: string): string {
  return verifyTypedData(quoteDomain(chainId, sidecar), RFQ_TYPES, { ...r }, signature);
}
