// Gossip validation: typed verdicts (Accept / Ignore / Reject + a code) and the structural
// checks p2p does itself before the node's own (semantic) validators run. Reject means the
// sender sent something no honest peer sends (it lowers the sender's gossipsub score);
// Ignore means "not useful to us now" (stale, unknown block) without blame.
import {
  TxFormatError, decodeBlockTxs, decodeSignedTx, decodeTxBody, verifyTxSignature, type Account, type Point, type SignedTx,
} from '../../circuits/l2/index.js';
import { quoteSigner, type Quote } from '../l1/block.js';
import { DecodeError, PROOF_KIND, decodeMessage, encodeMessage, hex, type TopicMessages } from './codec.js';
import { TOPICS, type TopicKind } from './topics.js';

/** Codes p2p itself assigns; node validators may return their own (kebab-case) codes. */
export type P2PErrorCode =
  | 'oversized' | 'malformed' | 'bad-signature' | 'unknown-account' | 'stale-slot'
  | 'expired' | 'unknown-block' | 'not-canonical-block' | 'bad-proof-kind' | 'no-quote-domain' | 'validator-error' | 'validator-timeout';
export type ErrorCode = P2PErrorCode | (string & {});

export type Verdict =
  | { result: 'accept' }
  | { result: 'ignore' | 'reject'; code: ErrorCode; detail?: string };

export const ACCEPT: Verdict = Object.freeze({ result: 'accept' });
export const ignore = (code: ErrorCode, detail?: string): Verdict => ({ result: 'ignore', code, detail });
export const reject = (code: ErrorCode, detail?: string): Verdict => ({ result: 'reject', code, detail });

/** Where a canonical block stands for this node, as far as it knows (from L1). */
export type BlockStanding = 'canonical' | 'not-canonical' | 'unknown';

/** EIP-712 domain of signed quotes (docs/design.md). */
export interface QuoteDomain { chainId: bigint | number; verifyingContract: string }

/** The quote of a quote message, as node/l1 signs and checks it. */
export function quoteOf(q: Omit<TopicMessages['quotes'], 'signature'>): Quote {
  return {
    slot: q.slot, blockHash: hex(q.blockHash), sequencer: hex(q.sequencer), prover: hex(q.prover), fee: q.fee, deposit: q.deposit,
    proverFundsDeposit: q.proverFundsDeposit, validUntilBlock: q.validUntilBlock,
  };
}

/** What the node tells p2p so it can run the cheap checks itself. All optional. */
export interface ValidationContext {
  /** True when a message about this slot is too old to matter (Ignore 'stale-slot'). */
  isStaleSlot?: (slot: bigint, kind: TopicKind) => boolean;
  /** The sender's Grumpkin public key of an L2 account, or undefined when unknown. */
  txPublicKey?: (account: number) => Point | undefined;
  /** The EIP-712 domain quotes are signed under; without it quotes cannot be verified and are ignored. */
  quoteDomain?: QuoteDomain;
  /** The current L1 block number (quotes past validUntilBlock are Ignored as 'expired'). */
  l1BlockNumber?: () => bigint | undefined;
  /** Cheap proof pre-check: where the proof's block stands. */
  blockStanding?: (slot: bigint, blockHash: string) => BlockStanding;
}

export interface Checked<K extends TopicKind> { verdict: Verdict; value?: TopicMessages[K]; signedTx?: SignedTx }

/** What `checkMessage` / `checkDecoded` leave out. */
export interface CheckOptions {
  /**
   * Verify signatures (tx Schnorr, quote EIP-712) here, synchronously (default true: a publisher
   * checks its own message). The host passes false and runs `checkSignatures` later, behind the
   * topic's ValidationGate (per-peer budgets), since a signature costs ~5 ms of CPU.
   */
  signatures?: boolean;
}

/** Size, decoding and the structural checks of one topic. */
export function checkMessage<K extends TopicKind>(kind: K, data: Uint8Array, ctx: ValidationContext, opts: CheckOptions = {}): Checked<K> {
  if (data.length > TOPICS[kind].maxBytes) {
    return { verdict: reject('oversized', `${data.length} bytes > ${TOPICS[kind].maxBytes}`) };
  }
  let value: TopicMessages[K];
  try {
    value = decodeMessage(kind, data);
  } catch (e) {
    if (e instanceof DecodeError) return { verdict: reject(e.code, e.message) };
    throw e;
  }
  return checkDecoded(kind, value, data, ctx, opts);
}

/** The checks after decoding (`data` is the value's encoding); a publisher runs these on its own value. */
export function checkDecoded<K extends TopicKind>(kind: K, value: TopicMessages[K], data: Uint8Array, ctx: ValidationContext, opts: CheckOptions = {}): Checked<K> {
  const signatures = opts.signatures ?? true;
  if (data.length > TOPICS[kind].maxBytes) {
    return { verdict: reject('oversized', `${data.length} bytes > ${TOPICS[kind].maxBytes}`) };
  }
  const stale = (slot: bigint) => ctx.isStaleSlot?.(slot, kind) ?? false;
  switch (kind) {
    case 'txs': {
      let signed: SignedTx;
      try {
        signed = decodeSignedTx(data);
      } catch (e) {
        if (e instanceof TxFormatError) return { verdict: reject('malformed', e.message) };
        throw e;
      }
      if (ctx.txPublicKey) {
        const pk = ctx.txPublicKey(signed.tx.from);
        if (!pk) return { verdict: ignore('unknown-account', `account ${signed.tx.from}`) };
        if (signatures && !verifyTxSignature(signed, pk)) return { verdict: reject('bad-signature', `tx from account ${signed.tx.from}`) };
      }
      return { verdict: ACCEPT, value, signedTx: signed };
    }
    case 'blocks': {
      const b = value as TopicMessages['blocks'];
      try {
        decodeBlockTxs(b.txs, b.witnessData);
      } catch (e) {
        if (e instanceof TxFormatError) return { verdict: reject('malformed', e.message) };
        throw e;
      }
      if (stale(b.slot)) return { verdict: ignore('stale-slot', `slot ${b.slot}`) };
      return { verdict: ACCEPT, value };
    }
    case 'rfq': {
      const r = value as TopicMessages['rfq'];
      if (stale(r.slot)) return { verdict: ignore('stale-slot', `slot ${r.slot}`) };
      const now = ctx.l1BlockNumber?.();
      if (now !== undefined && r.quoteDeadlineBlock < now) return { verdict: ignore('expired', `deadline ${r.quoteDeadlineBlock} < ${now}`) };
      return { verdict: ACCEPT, value };
    }
    case 'quotes': {
      const q = value as TopicMessages['quotes'];
      if (stale(q.slot)) return { verdict: ignore('stale-slot', `slot ${q.slot}`) };
      const now = ctx.l1BlockNumber?.();
      if (now !== undefined && q.validUntilBlock < now) return { verdict: ignore('expired', `validUntilBlock ${q.validUntilBlock} < ${now}`) };
      if (!ctx.quoteDomain) return { verdict: ignore('no-quote-domain', 'this node has no EIP-712 domain to verify quotes') };
      if (signatures) {
        const v = checkQuoteSignature(q, ctx.quoteDomain);
        if (v.result !== 'accept') return { verdict: v };
      }
      return { verdict: ACCEPT, value };
    }
    case 'proofs': {
      const p = value as TopicMessages['proofs'];
      if (p.kind !== PROOF_KIND.final && p.kind !== PROOF_KIND.segment) return { verdict: reject('bad-proof-kind', `kind ${p.kind}`) };
      if (p.proof.length === 0) return { verdict: reject('malformed', 'empty proof') };
      if (stale(p.slot)) return { verdict: ignore('stale-slot', `slot ${p.slot}`) };
      const standing = ctx.blockStanding?.(p.slot, hex(p.blockHash)) ?? 'unknown';
      if (standing === 'unknown') return { verdict: ignore('unknown-block', `slot ${p.slot} block ${hex(p.blockHash)}`) };
      if (standing === 'not-canonical') return { verdict: ignore('not-canonical-block', `slot ${p.slot} block ${hex(p.blockHash)}`) };
      return { verdict: ACCEPT, value };
    }
  }
  return { verdict: reject('malformed', `unknown topic ${kind}`) };
}

function checkQuoteSignature(q: TopicMessages['quotes'], d: QuoteDomain): Verdict {
  let signer: string;
  try {
    signer = quoteSigner(d.chainId, d.verifyingContract, quoteOf(q), hex(q.signature));
  } catch (e) {
    return reject('bad-signature', `quote signature: ${(e as Error).message.slice(0, 120)}`);
  }
  if (signer.toLowerCase() !== hex(q.prover)) return reject('bad-signature', `quote signed by ${signer}, not by prover ${hex(q.prover)}`);
  return ACCEPT;
}

/**
 * The signature checks `checkDecoded(..., { signatures: false })` left out, on a value that passed
 * it: a tx's Schnorr signature against its sender's key, a quote's EIP-712 signer against its
 * prover. Other topics have none at this layer (an RFQ's signer is checked by the market, which
 * knows who revealed the block).
 */
export function checkSignatures<K extends TopicKind>(kind: K, value: TopicMessages[K], ctx: ValidationContext): Verdict {
  if (kind === 'txs' && ctx.txPublicKey) {
    const signed = decodeSignedTx(encodeMessage('txs', value as TopicMessages['txs']));
    const pk = ctx.txPublicKey(signed.tx.from);
    if (!pk) return ignore('unknown-account', `account ${signed.tx.from}`);
    if (!verifyTxSignature(signed, pk)) return reject('bad-signature', `tx from account ${signed.tx.from}`);
  }
  if (kind === 'quotes') {
    if (!ctx.quoteDomain) return ignore('no-quote-domain', 'this node has no EIP-712 domain to verify quotes');
    return checkQuoteSignature(value as TopicMessages['quotes'], ctx.quoteDomain);
  }
  return ACCEPT;
}

/**
 * Wires the node's L2 state into tx gossip: `txPublicKey` for the signature check, and a node
 * validator that Ignores txs whose nonce is already used ('stale-nonce') or too far ahead of the
 * account's nonce ('nonce-too-far'), so the mempool only carries txs that can still apply.
 */
export function txStateChecks(account: (index: number) => Account | undefined, maxNonceAhead = 64): {
  txPublicKey: (index: number) => Point | undefined;
  validator: (tx: TopicMessages['txs']) => Verdict;
} {
  return {
    txPublicKey: (i) => account(i)?.publicKey,
    validator: (m) => {
      const tx = decodeTxBody(m.body);
      const a = account(tx.from);
      if (!a) return ignore('unknown-account', `account ${tx.from}`);
      if (tx.nonce < a.nonce) return ignore('stale-nonce', `nonce ${tx.nonce} < ${a.nonce}`);
      if (tx.nonce > a.nonce + maxNonceAhead) return ignore('nonce-too-far', `nonce ${tx.nonce} > ${a.nonce} + ${maxNonceAhead}`);
      return ACCEPT;
    },
  };
}
