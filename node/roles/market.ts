// The proving market over libp2p (SPEC §5) and proof sharing:
//  - a sequencer broadcasts an RFQ for its revealed block, collects EIP-712 signed quotes until
//    the RFQ's deadline block, and picks the cheapest valid one (fee within its tip, deposit at
//    least the minimum and funded by the prover: balance and allowance checked on L1, valid long
//    enough to be committed);
//  - RFQs and quotes from the network are relayed and acted on only when they match L1
//    (node/roles/market-check.ts): an RFQ signed by the sequencer that revealed its block, with
//    that sequencer's escrowed tip, the minimum deposit at least and a deadline inside the
//    commitment phase; a quote whose prover can fund its deposit (balance, allowance; cached);
//  - a prover answers RFQs (only those that passed those checks) for blocks it can prove, priced from its measured proving time and
//    current load; a quote it could not meet before the deadline is not sent;
//  - final proofs are published on the proofs topic and taken from it into the proof book only
//    once verified (node/roles/proof-check.ts: canonical pending block, plan root id, L1's public
//    inputs, then bb in the verify thread behind a ValidationGate: per-peer budgets, best-scored
//    peers first). A proof that fails is Rejected (its sender penalised) and never forwarded; a
//    block this node already holds a verified proof of needs no other (Ignored, not forwarded).
import { MaxUint256, getAddress, getBytes, hexlify } from 'ethers';
import { rollupPlan } from '../../prover/index.js';
import type { BlockProof } from '../../prover/types.js';
import type { ChainNotice } from '../chain/index.js';
import type { Quote } from '../l1/block.js';
import { HandlerError, PROOF_KIND, ValidationGate, checkMessage, encodeMessage, ignore, reject, type P2PNode, type ProofMsg, type QuoteMsg, type RfqMsg, type ValidatorInfo, type Verdict } from '../p2p/index.js';
import type { KnownProof, RoleContext } from './context.js';
import { MarketCheck, rfqTerms } from './market-check.js';
import { acceptableQuotes, quoteFee, quoteRefusal } from './decisions.js';
import { proofRecipient, type FinalProofCheck } from './proof-check.js';
import { quoteMsgFromJson, rfqToJson, type RfqJson } from '../relay/api.js';
import { RELAY_FAULTS, askRelay, type RelayBook, type RelayFault } from '../relay/client.js';

export { acceptableQuotes, quoteFee, quoteRefusal } from './decisions.js';

const hex = (b: Uint8Array): string => hexlify(b).toLowerCase();
const utf8 = new TextEncoder();

/** Request/response protocol a prover sends its signed quote on, to the RFQ's sequencer only. */
export const QUOTE_PROTOCOL = 'quote/1';

export interface QuoteOptions {
  /** least fee quoted (token base units) */
  baseFee: bigint;
  /** deposit offered at least (the RFQ's deposit if larger) */
  deposit: bigint;
  /** can this prover finish one more block before `deadline` (ProverRole.fits with the measured block time) */
  fits: (deadline: number, head: number, txCount: number) => { ok: boolean; needMs: number; haveMs: number; active: number; proveMs: number };
  /** undefined: quoting; else why this prover takes on no block now (its circuit breaker) */
  paused?: (head: number) => string | undefined;
  /** the block's P&L (node/roles/pnl-tracker.ts): the least fee that breaks even, and the expected profit */
  price?: (q: { slot: number; blockHash: string; sequencer: string; tip: bigint; deposit: bigint; proveMs: number; active: number }) => Promise<{ minFee: bigint; expected: { profit: bigint } }>;
}

export type MarketRecord =
  | { kind: 'rfq'; slot: number; blockHash: string; tip: string; at: number; received: number; acceptable: number; winner?: string; fee?: string; channel?: string;
    /** quotes collected per channel (p2p, relay:<name>) */ channels?: Record<string, number>;
    /** the relays asked and how each did (ok, or its fault codes) */ relays?: Record<string, string> }
  | { kind: 'quote'; slot: number; blockHash: string; tip: string; at: number; fee?: string; declined?: string; /** where the quote went: p2p, or relay:<url> */ channel?: string };

/** A quote collected for an open RFQ, and the channel it came by: `p2p` (quote/1) or `relay:<name>`. */
export interface CollectedQuote { quote: Quote; signature: string; channel: string }

/** Why a quote was refused, as the relay fault it is when a relay sent it. */
function faultOf(code: string): RelayFault {
  switch (code) {
    case 'bad-signature': return RELAY_FAULTS.badSignature;
    case 'unknown-block': case 'wrong-slot': case 'no-rfq': return RELAY_FAULTS.wrongBlock;
    case 'unfunded-prover': return RELAY_FAULTS.unfundedProver;
    case 'oversized': case 'malformed': return RELAY_FAULTS.malformed;
    default: return code.startsWith('decode') || code.includes('ssz') ? RELAY_FAULTS.malformed : RELAY_FAULTS.wrongTerms;
  }
}

const HISTORY = 100;

export class Market {
  /** canonical block hash per slot, for the synchronous gossip pre-check of proofs */
  private readonly canonical = new Map<number, string>();
  private readonly quotes = new Map<string, CollectedQuote[]>();
  private relays?: { book: RelayBook; blockMs: () => number };
  /** prover side: the quote signed per block (one price, whichever channels it goes out on) */
  private readonly signed = new Map<string, Promise<QuoteMsg | undefined>>();
  private quoting?: QuoteOptions;
  private approved = false;
  /** Gossiped proof messages that passed every check, bb included (the handler takes only these). */
  private readonly verifiedMsgs = new WeakSet<ProofMsg>();
  /** RFQ messages that matched L1 (the prover answers only these). */
  private readonly checkedRfqs = new WeakSet<RfqMsg>();
  /** The RFQ and quote checks against L1. */
  readonly check: MarketCheck;
  /** The bb verifications of gossiped proofs wait here (bounded, per-peer budget, best score first). */
  readonly proofGate: ValidationGate;
  readonly stats = { rfqsSent: 0, rfqsSeen: 0, quotesReceived: 0, quotesSent: 0, quotesDeclined: 0, proofsShared: 0, proofsReceived: 0, proofsVerified: 0, proofsRefused: 0 };
  /** The last RFQs this node ran (sequencer: quotes received, the winner and its fee) and answered (prover: the quote or why not), newest last. */
  readonly history: MarketRecord[] = [];

  constructor(private readonly ctx: RoleContext, readonly p2p: P2PNode, private readonly proofCheck: FinalProofCheck) {
    this.proofGate = new ValidationGate({
      concurrency: 1, capacity: 16, perPeer: 2, score: (peer) => p2p.score(peer),
      onOutcome: (outcome) => ctx.metrics.proofGate.inc({ outcome }),
    });
    this.check = new MarketCheck(ctx.chain, ctx.client, ctx.config);
    p2p.addValidator('rfq', async (r) => {
      const v = await this.check.checkRfq(r);
      if (v.result === 'accept') this.checkedRfqs.add(r);
      return v;
    });
    // every market node subscribes to the RFQ topic, so that it relays them; quotes never go on gossip
    // (anyone could read and undercut them): a prover sends its quote to the RFQ's sequencer only, over
    // a noise-encrypted libp2p stream (QUOTE_PROTOCOL)
    p2p.subscribe('rfq', (r) => { if (this.quoting && this.checkedRfqs.has(r)) void this.onRfq(r).catch((e) => this.ctx.log.warn({ err: e }, 'answering an RFQ failed')); });
    p2p.addValidator('proofs', (p, info) => this.validateProof(p, info));
    p2p.subscribe('proofs', (p, info) => this.onProof(p, info.from));
  }

  /** Sync view for the proofs topic validator. */
  blockStanding(slot: bigint, blockHash: string): 'canonical' | 'not-canonical' | 'unknown' {
    const h = this.canonical.get(Number(slot));
    if (!h) return 'unknown';
    return h === blockHash.toLowerCase() ? 'canonical' : 'not-canonical';
  }

  async init(): Promise<void> {
    for (const { slot, blockHash } of await this.ctx.chain.pendingChain()) this.canonical.set(slot, blockHash.toLowerCase());
    await this.p2p.registerProtocol(QUOTE_PROTOCOL, (req) => this.serveQuote(req), { timeoutMs: 10_000, maxRequestBytes: 512, maxResponseBytes: 16, rateLimit: { requests: 30, windowMs: 10_000 } });
  }

  /**
   * A prover's quote, sent to this sequencer only: the gossip checks (size, decoding, expiry, EIP-712
   * signature by its prover) and the market's (a revealed block, a funded prover, naming this block's
   * sequencer); only then is it collected for an RFQ this node has open. Answers 1 (taken) or 0 (no RFQ open).
   */
  private async serveQuote(req: Uint8Array): Promise<Uint8Array> {
    const a = await this.admitQuote(req, 'p2p');
    if ('refused' in a) throw new HandlerError('bad-request', `quote refused: ${a.refused}${a.detail ? `: ${a.detail}` : ''}`);
    return Uint8Array.of(a.taken ? 1 : 0);
  }

  /**
   * The one path every quote takes, whatever its channel (p2p quote/1, or a relay's answer): the
   * message checks (size, decoding, expiry, EIP-712 signature by its prover), the market's L1
   * checks (node/roles/market-check.ts), then collected for the open RFQ of its block (taken:
   * false when none is open). Counted in sidecar_market_quotes_total{channel,outcome}.
   */
  async admitQuote(data: Uint8Array, channel: string): Promise<{ taken: boolean; quote: QuoteMsg } | { refused: string; detail?: string }> {
    const count = (outcome: string) => this.ctx.metrics.marketQuotes.inc({ channel, outcome });
    const checked = checkMessage('quotes', data, this.p2p.validationContext);
    if (checked.verdict.result !== 'accept' || !checked.value) {
      count('refused');
      return checked.verdict.result === 'accept' ? { refused: 'malformed', detail: 'undecodable' } : { refused: checked.verdict.code, detail: checked.verdict.detail };
    }
    const v = await this.check.checkQuote(checked.value);
    if (v.result !== 'accept') {
      count('refused');
      return { refused: v.code, detail: v.detail };
    }
    const taken = this.onQuote(checked.value, channel);
    count(taken ? 'collected' : 'late');
    return { taken, quote: checked.value };
  }

  /** Send RFQs to these relays too (node/relay/client.ts), with the p2p RFQ; `blockMs` estimates the time to the quote deadline. */
  useRelays(book: RelayBook, blockMs: () => number): void {
    this.relays = { book, blockMs };
    for (const r of book.relays) {
      this.ctx.metrics.relayScore.set({ relay: r.ep.name }, r.score.score);
      this.ctx.metrics.relayAdmitted.set({ relay: r.ep.name }, 1);
    }
  }

  /** The relays' standing, for the API and the dashboard. */
  relayStatus(): { name: string; url: string; timeoutMs: number; score: number; admitted: boolean; drops: number; droppedUntil?: number; lastFault?: { code: string; detail: string; at: number } }[] {
    return (this.relays?.book.relays ?? []).map((r) => ({
      name: r.ep.name, url: r.ep.url, timeoutMs: r.ep.timeoutMs, score: r.score.score, admitted: r.score.droppedUntil === 0 || Date.now() >= r.score.droppedUntil,
      drops: r.score.drops, droppedUntil: r.score.droppedUntil || undefined, lastFault: r.score.lastFault,
    }));
  }

  /**
   * The RFQ to every admitted relay, in parallel; each answer's quotes go through admitQuote like
   * p2p quotes. Bounded by each relay's timeout and by `closed` (the RFQ's close at its quote
   * deadline): never waited for past it. Each relay's faults are counted and scored; resolves with
   * each relay's outcome.
   */
  private async askRelays(rfq: RfqJson, slot: number, blockHash: string, deadlineMs: number, closed: AbortSignal): Promise<Record<string, string>> {
    const relays = this.relays!;
    const { metrics, log, address } = this.ctx;
    const out: Record<string, string> = {};
    await Promise.all(relays.book.admitted().map(async (r) => {
      const name = r.ep.name;
      const channel = `relay:${name}`;
      const faults: { code: RelayFault; detail: string }[] = [];
      const fault = (code: RelayFault, detail: string) => {
        faults.push({ code, detail });
        metrics.relayFaults.inc({ relay: name, code });
      };
      // the relay answers a little before the RFQ closes (its quotes still need their checks here)
      const waitMs = Math.max(0, Math.floor(Math.min(r.ep.timeoutMs, deadlineMs - Date.now()) - 500));
      try {
        const quotes = await askRelay(r.ep, rfq, waitMs, closed);
        for (const sq of quotes) {
          if (closed.aborted) break;
          // bound to this RFQ: its block and slot, this sequencer (else useless to it, whatever the relay claims)
          if (sq.quote.blockHash.toLowerCase() !== blockHash.toLowerCase() || Number(sq.quote.slot) !== slot) { fault(RELAY_FAULTS.wrongBlock, `a quote for slot ${sq.quote.slot} block ${sq.quote.blockHash}`); continue; }
          if (sq.quote.sequencer.toLowerCase() !== address.toLowerCase()) { fault(RELAY_FAULTS.wrongSequencer, `a quote naming sequencer ${sq.quote.sequencer}`); continue; }
          let bytes: Uint8Array;
          try {
            bytes = encodeMessage('quotes', quoteMsgFromJson(sq));
          } catch (e) {
            fault(RELAY_FAULTS.malformed, `a quote that does not encode: ${(e as Error).message.slice(0, 120)}`);
            continue;
          }
          const a = await this.admitQuote(bytes, channel);
          if ('refused' in a) {
            if (a.refused !== 'l1-unavailable') fault(faultOf(a.refused), `${a.refused}${a.detail ? `: ${a.detail.slice(0, 160)}` : ''} (prover ${sq.quote.prover})`);
          } else if (!a.taken && !closed.aborted) fault(RELAY_FAULTS.wrongBlock, 'a quote for no open RFQ');
        }
      } catch (e) {
        const code = (e as { code?: RelayFault }).code;
        fault(code && Object.values(RELAY_FAULTS).includes(code) ? code : RELAY_FAULTS.malformed, (e as Error).message.slice(0, 200));
      }
      const outcome = relays.book.record(r, faults);
      metrics.relayRequests.inc({ relay: name, outcome });
      metrics.relayScore.set({ relay: name }, r.score.score);
      metrics.relayAdmitted.set({ relay: name }, outcome === 'dropped' ? 0 : 1);
      out[channel] = faults.length ? [...new Set(faults.map((f) => f.code))].join(',') : 'ok';
      if (faults.length) log.warn({ slot, relay: name, faults: faults.slice(0, 5).map((f) => `${f.code}: ${f.detail}`), count: faults.length, score: r.score.score }, `relay ${name}: ${faults.length} fault(s) on this RFQ`);
    }));
    return out;
  }

  onNotice(n: ChainNotice): void {
    if (n.type === 'canonical' && n.blockHash) this.canonical.set(n.slot, n.blockHash.toLowerCase());
    if ((n.type === 'slashed' || n.type === 'invalidated') && this.canonical.get(n.slot) === n.blockHash?.toLowerCase()) this.canonical.delete(n.slot);
  }

  // ---------------------------------------------------------------- sequencer side

  /**
   * Broadcast an RFQ (and send it to the configured relays), wait until `quoteDeadlineBlock`,
   * return the cheapest acceptable quote and its channel. Relays never hold it past the deadline.
   */
  async requestQuote(slot: number, blockHash: string, tip: bigint, quoteDeadlineBlock: number): Promise<CollectedQuote | undefined> {
    const { client, config, log } = this.ctx;
    const key = `${slot}/${blockHash.toLowerCase()}`;
    this.quotes.set(key, []);
    // quotes come back point to point: to this node's peer id and listen addresses, signed into the RFQ
    // (a relay cannot redirect them)
    const addrs = this.p2p.addrs.slice(0, 4);
    const terms = { slot: BigInt(slot), blockHash: blockHash.toLowerCase(), tip, deposit: config.minProverDeposit, quoteDeadlineBlock: BigInt(quoteDeadlineBlock), peer: this.p2p.peerId, addrs };
    // signed with this sequencer's key: peers relay only an RFQ its block's revealer signed
    const signature = await client.signRfq(terms);
    const closed = new AbortController();
    let relayRun: Promise<Record<string, string>> | undefined;
    if (this.relays?.book.relays.length) {
      // a relay learns the block hash only from this RFQ: sent once L1 has the reveal, never before
      const p = await client.getProposal(slot, this.ctx.address).catch(() => undefined);
      if (p?.revealed && p.blockHash.toLowerCase() === blockHash.toLowerCase()) {
        const head = await client.blockNumber();
        const deadlineMs = Math.floor(Date.now() + Math.max(0, quoteDeadlineBlock - head) * this.relays.blockMs());
        relayRun = this.askRelays(rfqToJson(terms, signature), slot, blockHash, deadlineMs, closed.signal).catch((e) => {
          log.warn({ err: e, slot }, 'asking the relays failed');
          return {};
        });
      } else {
        log.warn({ slot, blockHash }, 'the block is not revealed on L1 (as this node reads it): the RFQ goes to no relay');
      }
    }
    const rfq: RfqMsg = { ...terms, blockHash: getBytes(blockHash), peer: utf8.encode(terms.peer), addrs: addrs.map((a) => utf8.encode(a)), signature: getBytes(signature) };
    const sent = await this.p2p.publish('rfq', rfq);
    this.stats.rfqsSent++;
    log.info({ slot, blockHash, recipients: sent.recipients, relays: this.relays?.book.relays.length ?? 0, quoteDeadlineBlock }, 'RFQ sent');
    const until = Date.now() + 30_000;
    while ((await client.blockNumber()) < quoteDeadlineBlock && Date.now() < until) await new Promise((r) => setTimeout(r, 150));
    await new Promise((r) => setTimeout(r, 300)); // quotes signed at the deadline block are still in flight
    const got = this.quotes.get(key) ?? [];
    this.quotes.delete(key);
    closed.abort(); // a relay still not answered is a timeout: the commitment never waits for it
    // the relays' outcomes are settled by now, bar the checks of an answer that came at the last moment
    let relays = relayRun ? await Promise.race([relayRun, new Promise<undefined>((r) => { setTimeout(() => r(undefined), 200); })]) : undefined;
    const now = await client.blockNumber();
    const terms2 = { sequencer: this.ctx.address, tip, minDeposit: config.minProverDeposit, head: now };
    // the deposit pull would fail without the prover's balance and allowance (read from L1 for the quotes whose terms pass)
    const funded = new Set<CollectedQuote>();
    for (const q of got) {
      // another sequencer's quote (the contract refuses it), or terms the commitment would fail on
      if (quoteRefusal(q.quote, terms2)) continue;
      const [bal, allowance] = await Promise.all([client.tokenBalance(q.quote.prover), client.allowance(q.quote.prover)]);
      if (bal >= q.quote.deposit && allowance >= q.quote.deposit) funded.add(q);
    }
    const ok = acceptableQuotes(got, terms2, (q) => funded.has(q));
    const channels: Record<string, number> = {};
    for (const q of got) channels[q.channel] = (channels[q.channel] ?? 0) + 1;
    const best = ok[0];
    if (best) this.ctx.metrics.marketWins.inc({ channel: best.channel });
    log.info({ slot, received: got.length, acceptable: ok.length, best: best && String(best.quote.fee), channel: best?.channel, prover: best?.quote.prover, channels, relays }, 'RFQ closed');
    const record: MarketRecord = { kind: 'rfq', slot, blockHash: blockHash.toLowerCase(), tip: String(tip), at: Date.now(), received: got.length, acceptable: ok.length, winner: best?.quote.prover, fee: best && String(best.quote.fee), channel: best?.channel, channels, relays };
    this.note(record);
    if (relayRun && !relays) void relayRun.then((r) => { relays = r; record.relays = r; });
    return best;
  }

  private note(r: MarketRecord): void {
    this.history.push(r);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
  }

  private onQuote(q: QuoteMsg, channel: string): boolean {
    const key = `${Number(q.slot)}/${hex(q.blockHash)}`;
    const list = this.quotes.get(key);
    if (!list) return false;
    this.stats.quotesReceived++;
    list.push({
      quote: { slot: q.slot, blockHash: hex(q.blockHash), sequencer: getAddress(hexlify(q.sequencer)), prover: getAddress(hexlify(q.prover)), fee: q.fee, deposit: q.deposit, proverFundsDeposit: q.proverFundsDeposit, validUntilBlock: q.validUntilBlock },
      signature: hexlify(q.signature), channel,
    });
    return true;
  }

  // ---------------------------------------------------------------- prover side

  /** Answer RFQs with signed quotes (prover-funded deposits). */
  enableQuoting(o: QuoteOptions): void {
    this.quoting = o;
  }

  /** Is this node answering RFQs (a prover with quoting on)? */
  get isQuoting(): boolean { return this.quoting !== undefined; }

  /** An RFQ from gossip (it passed checkRfq): the quote to the RFQ's sequencer, point to point. */
  private async onRfq(r: RfqMsg): Promise<void> {
    const msg = await this.quoteFor(r, 'p2p');
    if (!msg) return;
    const { log } = this.ctx;
    const slot = Number(r.slot);
    const blockHash = hex(r.blockHash);
    // to the RFQ's sequencer only (its peer id and addresses are in the RFQ it signed), never on gossip
    const { peer, addrs } = rfqTerms(r);
    let answer: Uint8Array | null;
    try {
      answer = await this.p2p.requestAt(peer, addrs, QUOTE_PROTOCOL, encodeMessage('quotes', msg));
    } catch (e) {
      return this.declined(r, 'p2p', `the quote could not be delivered to the sequencer's node ${peer}: ${(e as Error).message.slice(0, 160)}`);
    }
    if (!answer || answer[0] !== 1) log.info({ slot, blockHash, peer }, 'quote delivered, but the sequencer has no RFQ open for it (closed already?)');
    this.sent(r, msg, 'p2p');
  }

  /**
   * An RFQ from a relay (node/relay/prover-link.ts): the same L1 checks as a gossiped RFQ
   * (checkRfq), then the same quote; undefined when this node declines (noted, logged).
   */
  async quoteForRelay(r: RfqMsg, channel: string): Promise<{ quote: QuoteMsg } | { declined: string }> {
    if (!this.quoting) return { declined: 'not quoting' };
    const v = await this.check.checkRfq(r);
    if (v.result !== 'accept') {
      const why = `the RFQ does not match L1: ${v.code}${v.detail ? ` (${v.detail})` : ''}`;
      this.declined(r, channel, why);
      return { declined: why };
    }
    const msg = await this.quoteFor(r, channel);
    return msg ? { quote: msg } : { declined: 'declined (see the node log)' };
  }

  /** After a quote went out on `channel` (p2p, relay:<url>). */
  sent(r: RfqMsg, msg: QuoteMsg, channel: string): void {
    this.stats.quotesSent++;
    this.note({ kind: 'quote', slot: Number(r.slot), blockHash: hex(r.blockHash), tip: String(r.tip), at: Date.now(), fee: String(msg.fee), channel });
    this.ctx.log.info({ slot: Number(r.slot), blockHash: hex(r.blockHash), fee: String(msg.fee), channel }, 'quote sent');
  }

  declined(r: RfqMsg, channel: string, why: string): void {
    this.stats.quotesDeclined++;
    this.note({ kind: 'quote', slot: Number(r.slot), blockHash: hex(r.blockHash), tip: String(r.tip), at: Date.now(), declined: why, channel });
    this.ctx.log.info({ slot: Number(r.slot), blockHash: hex(r.blockHash), channel }, `no quote: ${why}`);
  }

  /** The signed quote for an RFQ's block: priced once per block, whichever channels ask (p2p, relays). */
  private quoteFor(r: RfqMsg, channel: string): Promise<QuoteMsg | undefined> {
    const key = `${Number(r.slot)}/${hex(r.blockHash)}/${r.tip}/${r.deposit}`;
    let p = this.signed.get(key);
    if (!p) {
      p = this.priceQuote(r).then((res) => {
        if (typeof res === 'string') { this.declined(r, channel, res); this.signed.delete(key); return undefined; }
        return res;
      }, (e) => { this.signed.delete(key); throw e; });
      this.signed.set(key, p);
      while (this.signed.size > 64) this.signed.delete(this.signed.keys().next().value!);
    }
    return p;
  }

  /** The prover's quote for an RFQ that passed checkRfq, or why not. */
  private async priceQuote(r: RfqMsg): Promise<QuoteMsg | string> {
    const o = this.quoting!;
    const { client, chain, log, address } = this.ctx;
    const slot = Number(r.slot);
    const blockHash = hex(r.blockHash);
    this.stats.rfqsSeen++;
    await chain.syncTo(undefined, 5000).catch(() => undefined);
    const b = await chain.blockByHash(blockHash);
    if (!b || b.slot !== slot) return 'block not revealed here';
    if (!b.provable) return `block cannot be proven: ${b.reason}`;
    const timing = await client.slotTiming(slot);
    const head = await client.blockNumber();
    const paused = o.paused?.(head);
    if (paused) return paused;
    const fit = o.fits(timing.deadline, head, b.txCount);
    const active = fit.active;
    const proveMs = fit.proveMs;
    if (!fit.ok) return `cannot prove in time: need ~${Math.round(fit.needMs / 1000)} s (${active} blocks in flight), have ~${Math.round(fit.haveMs / 1000)} s`;
    const deposit = r.deposit > o.deposit ? r.deposit : o.deposit;
    if ((await client.tokenBalance(address)) < deposit) return 'not enough tokens for the deposit';
    if (!this.approved) { await client.ensureAllowance(MaxUint256 / 2n); this.approved = true; }
    // priced from load (each block already in flight adds the base fee again) and never below
    // break-even (the same P&L function the node settles with): node/roles/decisions.ts
    const priced = await o.price?.({ slot, blockHash, sequencer: b.sequencer, tip: r.tip, deposit, proveMs, active });
    const fee = quoteFee(o.baseFee, active, priced?.minFee);
    if (fee > r.tip) return `fee ${fee} above the offered tip ${r.tip}${priced ? ` (break-even ${priced.minFee}, expected profit ${priced.expected.profit})` : ''}`;
    // bound to the block's sequencer (the RFQ's signer): no other sequencer can commit with it
    const quote: Quote = { slot: r.slot, blockHash, sequencer: getAddress(b.sequencer), prover: address, fee, deposit, proverFundsDeposit: true, validUntilBlock: BigInt(timing.commitEnd - 1) };
    const signature = await client.signQuote(quote);
    log.info({ slot, blockHash, fee: String(fee), active, proveMs: Math.round(proveMs), expectedProfit: priced ? String(priced.expected.profit) : undefined }, 'quote signed');
    return { ...quote, blockHash: getBytes(blockHash), sequencer: getBytes(quote.sequencer), prover: getBytes(address), signature: getBytes(signature) };
  }

  // ---------------------------------------------------------------- proofs

  /** Share a final proof this node made. */
  async shareProof(p: BlockProof): Promise<void> {
    const r = await this.p2p.publish('proofs', {
      kind: PROOF_KIND.final, id: getBytes(`0x${p.rootJob.replace(/^0x/, '')}`), slot: p.slot, blockHash: getBytes(p.blockHash), segment: 0,
      proof: p.proof, publicInputs: p.publicInputs.map((x) => getBytes(x)),
    });
    this.stats.proofsShared++;
    this.ctx.log.info({ slot: Number(p.slot), recipients: r.recipients }, 'final proof shared');
  }

  /** Gossip validation of a proof message: cheap checks, then bb in the verify thread (through the gate). */
  private async validateProof(p: ProofMsg, info: ValidatorInfo): Promise<Verdict> {
    // honest nodes share final proofs only (a segment proof is of no use to anyone else)
    if (p.kind !== PROOF_KIND.final) return reject('unexpected-proof-kind', `kind ${p.kind}`);
    const slot = Number(p.slot);
    const blockHash = hex(p.blockHash);
    if (this.ctx.proofs.has(slot, blockHash)) return ignore('have-proof', `slot ${slot}: a verified proof is already known here`);
    const claimed = { slot, blockHash, id: hex(p.id), proof: p.proof, publicInputs: p.publicInputs.map(hex) };
    const pre = await this.proofCheck.precheck(claimed);
    if (pre.verdict.result !== 'accept') return pre.verdict;
    return this.proofGate.submit(info.from, async () => {
      // another copy may have been verified while this one waited
      if (this.ctx.proofs.has(slot, blockHash)) return ignore('have-proof', `slot ${slot}: verified meanwhile`);
      const t0 = performance.now();
      const v = await this.proofCheck.verify(pre.circuit!, claimed.proof, claimed.publicInputs);
      this.ctx.metrics.proofVerifySeconds.observe({ outcome: v.result }, (performance.now() - t0) / 1000);
      if (v.result === 'accept') {
        this.stats.proofsVerified++;
        this.verifiedMsgs.add(p);
      } else if (v.result === 'reject') {
        this.stats.proofsRefused++;
        this.ctx.log.warn({ slot, blockHash, from: info.from, code: v.code, detail: v.detail }, 'refused a gossiped final proof');
      }
      return v;
    });
  }

  /** A proof message that passed validation: into the proof book (where the node's own proof still wins). */
  private async onProof(p: ProofMsg, from: string): Promise<void> {
    if (!this.verifiedMsgs.has(p)) return; // only what this node verified itself
    const { chain } = this.ctx;
    const slot = Number(p.slot);
    const blockHash = hex(p.blockHash);
    const rootJob = hex(p.id).replace(/^0x/, '');
    const c = await chain.block(slot);
    const r = c?.revealed;
    if (!r || r.blockHash !== blockHash) return;
    const recipient = proofRecipient(p.publicInputs.map(hex));
    if (!recipient) return;
    const root = rollupPlan({ blockHash, slot: p.slot, txs: new Array(r.txCount), recipient }).jobs.find((j) => j.id === rootJob);
    if (!root) return;
    this.stats.proofsReceived++;
    const known: KnownProof = {
      slot, blockHash, source: 'p2p', from, knownAt: Date.now(),
      proof: { blockHash, slot: p.slot, rootJob, circuit: root.circuit, proof: new Uint8Array(p.proof), publicInputs: p.publicInputs.map(hex), proven: 0, reused: 0, elapsedMs: 0 },
    };
    if (this.ctx.proofs.add(known)) await chain.noteProofOnP2p(slot).catch(() => undefined);
  }
}
