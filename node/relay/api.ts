// The relay API, version 1 (HTTP + JSON), as zod schemas both sides validate with: the sequencer
// (node/relay/client.ts) and the reference relay (node/relay/server.ts, `sidecar relay`).
// docs/relay-api.json is the OpenAPI document of these schemas (node/relay/openapi.ts builds it;
// a unit test checks the committed file is what it builds). Wire types are plain JSON: integers
// as decimal strings (uint64 / uint256 ranges checked), byte strings as 0x-hex. The terms and
// signatures are the p2p ones (docs/design.md "Signed prover quotes"): the RFQ is the EIP-712
// `Rfq` signed by the block's revealer, a quote the EIP-712 `Quote` signed by its prover.
import { getAddress } from 'ethers';
import { z } from 'zod';
import type { Quote, Rfq } from '../l1/block.js';
import { fromHex, hex, type QuoteMsg, type RfqMsg } from '../p2p/index.js';

export const RELAY_API_VERSION = 'v1';

const U64_MAX = (1n << 64n) - 1n;
const U256_MAX = (1n << 256n) - 1n;
const uint = (max: bigint, what: string) => z.string().regex(/^(0|[1-9][0-9]{0,77})$/, `${what}: a decimal integer string`).refine((s) => BigInt(s) <= max, `${what}: out of range`);
export const Uint64 = uint(U64_MAX, 'uint64');
export const Uint256 = uint(U256_MAX, 'uint256');
export const Bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, '0x + 64 hex digits');
export const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, '0x + 40 hex digits');
export const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte signature: 0x + 130 hex digits');

/** A sequencer's signed request for quotes: the p2p RFQ's terms (EIP-712 `Rfq`) and signature. */
export const RfqJson = z.object({
  slot: Uint64,
  blockHash: Bytes32,
  tip: Uint256,
  deposit: Uint256,
  quoteDeadlineBlock: Uint64,
  peer: z.string().min(1).max(128),
  addrs: z.array(z.string().max(128)).max(4),
  signature: Signature,
}).strict();
export type RfqJson = z.infer<typeof RfqJson>;

/** A prover's quote: the EIP-712 `Quote` (signed by `prover`). */
export const QuoteJson = z.object({
  slot: Uint64,
  blockHash: Bytes32,
  sequencer: Address,
  prover: Address,
  fee: Uint256,
  deposit: Uint256,
  proverFundsDeposit: z.boolean(),
  validUntilBlock: Uint64,
}).strict();
export type QuoteJson = z.infer<typeof QuoteJson>;

export const SignedQuoteJson = z.object({ quote: QuoteJson, signature: Signature }).strict();
export type SignedQuoteJson = z.infer<typeof SignedQuoteJson>;

/** Most quotes one relay answer may carry (more is `malformed`). */
export const MAX_QUOTES_PER_ANSWER = 64;
/** Longest a relay holds a request (a sequencer's RFQ, a prover's poll), ms. */
export const MAX_WAIT_MS = 60_000;

/** POST /v1/rfqs (sequencer -> relay): collect quotes for this RFQ for `waitMs`, then answer. */
export const RfqRequest = z.object({ rfq: RfqJson, waitMs: z.int().min(0).max(MAX_WAIT_MS) }).strict();
export type RfqRequest = z.infer<typeof RfqRequest>;
export const RfqAnswer = z.object({ quotes: z.array(SignedQuoteJson).max(MAX_QUOTES_PER_ANSWER) }).strict();
export type RfqAnswer = z.infer<typeof RfqAnswer>;

/** POST /v1/provers (prover -> relay): register for the RFQ feed. */
export const ProverRegistration = z.object({ prover: Address, name: z.string().max(64).optional() }).strict();
export type ProverRegistration = z.infer<typeof ProverRegistration>;
export const ProverRegistered = z.object({ prover: Address, pollPath: z.string() }).strict();

/** GET /v1/rfqs?prover=&after=&waitMs= (prover -> relay, long poll): the open RFQs after `after`. */
export const RfqPoll = z.object({
  prover: Address,
  after: z.coerce.number().int().min(0).default(0),
  waitMs: z.coerce.number().int().min(0).max(MAX_WAIT_MS).default(25_000),
}).strict();
export const OpenRfq = z.object({ id: z.string().min(1).max(64), seq: z.int().min(1), rfq: RfqJson, closesInMs: z.int().min(0) }).strict();
export type OpenRfq = z.infer<typeof OpenRfq>;
export const RfqFeed = z.object({ rfqs: z.array(OpenRfq).max(256), cursor: z.int().min(0) }).strict();
export type RfqFeed = z.infer<typeof RfqFeed>;

/** POST /v1/quotes (prover -> relay): a signed quote for an open RFQ. */
export const QuoteSubmission = z.object({ rfqId: z.string().min(1).max(64), quote: QuoteJson, signature: Signature }).strict();
export type QuoteSubmission = z.infer<typeof QuoteSubmission>;
export const QuoteAccepted = z.object({ accepted: z.literal(true) }).strict();

/** GET /v1/status */
export const RelayStatus = z.object({
  api: z.literal(RELAY_API_VERSION), name: z.string(), chainId: z.string(), verifyingContract: Address,
  provers: z.int().min(0), openRfqs: z.int().min(0), rfqs: z.int().min(0), quotes: z.int().min(0),
}).strict();
export type RelayStatus = z.infer<typeof RelayStatus>;

/** Every error code a relay answers with (closed set). */
export const RELAY_ERROR_CODES = ['bad-request', 'bad-signature', 'wrong-terms', 'unknown-prover', 'unknown-rfq', 'rfq-closed', 'too-many', 'not-found'] as const;
export const RelayError = z.object({ error: z.object({ code: z.enum(RELAY_ERROR_CODES), message: z.string().max(500) }).strict() }).strict();
export type RelayError = z.infer<typeof RelayError>;

// ---------------------------------------------------------------- conversions

const utf8 = new TextEncoder();

export function rfqToJson(terms: Rfq, signature: string): RfqJson {
  return {
    slot: String(terms.slot), blockHash: terms.blockHash.toLowerCase(), tip: String(terms.tip), deposit: String(terms.deposit),
    quoteDeadlineBlock: String(terms.quoteDeadlineBlock), peer: terms.peer, addrs: [...terms.addrs], signature: signature.toLowerCase(),
  };
}

/** The RFQ's signed terms and signature (what `rfqSigner` takes). */
export function rfqFromJson(r: RfqJson): { terms: Rfq; signature: string } {
  return {
    terms: { slot: BigInt(r.slot), blockHash: r.blockHash.toLowerCase(), tip: BigInt(r.tip), deposit: BigInt(r.deposit), quoteDeadlineBlock: BigInt(r.quoteDeadlineBlock), peer: r.peer, addrs: [...r.addrs] },
    signature: r.signature.toLowerCase(),
  };
}

/** The RFQ as the p2p message the market checks (node/roles/market-check.ts checkRfq). */
export function rfqMsgFromJson(r: RfqJson): RfqMsg {
  return {
    slot: BigInt(r.slot), blockHash: fromHex(r.blockHash, 32), tip: BigInt(r.tip), deposit: BigInt(r.deposit), quoteDeadlineBlock: BigInt(r.quoteDeadlineBlock),
    peer: utf8.encode(r.peer), addrs: r.addrs.map((a) => utf8.encode(a)), signature: fromHex(r.signature, 65),
  };
}

export function quoteToJson(q: Quote): QuoteJson {
  return {
    slot: String(q.slot), blockHash: q.blockHash.toLowerCase(), sequencer: getAddress(q.sequencer), prover: getAddress(q.prover), fee: String(q.fee), deposit: String(q.deposit),
    proverFundsDeposit: q.proverFundsDeposit, validUntilBlock: String(q.validUntilBlock),
  };
}

export function quoteFromJson(q: QuoteJson): Quote {
  return {
    slot: BigInt(q.slot), blockHash: q.blockHash.toLowerCase(), sequencer: getAddress(q.sequencer.toLowerCase()), prover: getAddress(q.prover.toLowerCase()), fee: BigInt(q.fee), deposit: BigInt(q.deposit),
    proverFundsDeposit: q.proverFundsDeposit, validUntilBlock: BigInt(q.validUntilBlock),
  };
}

/** The quote as the p2p message (the bytes `quote/1` carries), so both channels take one path. */
export function quoteMsgFromJson(s: SignedQuoteJson): QuoteMsg {
  const q = s.quote;
  return {
    slot: BigInt(q.slot), blockHash: fromHex(q.blockHash, 32), sequencer: fromHex(q.sequencer, 20), prover: fromHex(q.prover, 20), fee: BigInt(q.fee), deposit: BigInt(q.deposit),
    proverFundsDeposit: q.proverFundsDeposit, validUntilBlock: BigInt(q.validUntilBlock), signature: fromHex(s.signature, 65),
  };
}

export function quoteMsgToJson(m: QuoteMsg): SignedQuoteJson {
  return {
    quote: {
      slot: String(m.slot), blockHash: hex(m.blockHash), sequencer: getAddress(hex(m.sequencer)), prover: getAddress(hex(m.prover)), fee: String(m.fee), deposit: String(m.deposit),
      proverFundsDeposit: m.proverFundsDeposit, validUntilBlock: String(m.validUntilBlock),
    },
    signature: hex(m.signature),
  };
}

/** A zod error as one line (for a 400 answer or a fault's log line). */
export function issues(e: z.ZodError): string {
  return e.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ').slice(0, 400);
}
