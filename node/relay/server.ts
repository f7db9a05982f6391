// The reference relay (`sidecar relay`): provers register and long-poll it for open RFQs, post
// signed quotes back; a sequencer posts its signed RFQ and gets the quotes collected until the
// wait it asked for (or earlier, once every registered prover quoted). API v1: node/relay/api.ts,
// docs/relay-api.json; design: node/relay/README.md.
// It holds no L1 connection: it checks what a signature says (the RFQ recovers to a sequencer, a
// quote to its prover, and names that RFQ's block, slot and sequencer within its terms) and
// leaves the L1 checks (revealed block, escrowed tip, the prover's funding) to the sequencer,
// which runs them on every quote whatever the channel. It only ever sees an RFQ, which a
// sequencer sends once its block is revealed: it never learns a block hash before its reveal.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getAddress } from 'ethers';
import type { z } from 'zod';
import { quoteSigner, rfqSigner } from '../l1/block.js';
import type { Logger } from '../log.js';
import {
  MAX_QUOTES_PER_ANSWER, MAX_WAIT_MS, OpenRfq, ProverRegistration, QuoteSubmission, RELAY_API_VERSION, RfqPoll, RfqRequest, issues, quoteFromJson, rfqFromJson,
  type RelayError, type RelayStatus, type RfqJson, type SignedQuoteJson,
} from './api.js';

export interface RelayServerOptions {
  host?: string;
  /** 0 = a random port */
  port?: number;
  name?: string;
  /** the EIP-712 domain of the deployment's quotes and RFQs */
  domain: { chainId: bigint; verifyingContract: string };
  /** open RFQs held at most (default 64); more is `too-many` */
  maxOpenRfqs?: number;
  /** registered provers at most (default 256) */
  maxProvers?: number;
  /** a closed RFQ is remembered this long, so late quotes get `rfq-closed` (default 60 s) */
  closedTtlMs?: number;
  log?: Logger;
}

interface OpenEntry {
  id: string;
  seq: number;
  rfq: RfqJson;
  sequencer: string;
  closesAt: number;
  closed: boolean;
  quotes: Map<string, SignedQuoteJson>;
  /** provers registered when it opened: when all of them quoted, the answer goes early */
  expected: Set<string>;
  wake: Set<() => void>;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: RelayError['error']['code'], message: string) { super(message); }
}

const MAX_BODY = 16 * 1024;

export class RelayServer extends EventEmitter {
  private server?: http.Server;
  private seq = 0;
  private readonly rfqs = new Map<string, OpenEntry>();
  private readonly provers = new Map<string, { name?: string; registeredAt: number; lastPollAt: number }>();
  private readonly pollers = new Set<() => void>();
  private readonly o: Required<Omit<RelayServerOptions, 'log'>> & { log?: Logger };
  readonly stats = { rfqs: 0, quotes: 0, refused: 0 };
  url = '';

  constructor(o: RelayServerOptions) {
    super();
    this.o = { host: '127.0.0.1', port: 0, name: 'relay', maxOpenRfqs: 64, maxProvers: 256, closedTtlMs: 60_000, ...o };
  }

  async start(): Promise<string> {
    const server = this.server = http.createServer((req, res) => { void this.handle(req, res); });
    server.requestTimeout = MAX_WAIT_MS + 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => { server.off('error', reject); resolve(); });
    });
    const a = server.address() as AddressInfo;
    this.url = `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    this.o.log?.info({ url: this.url, name: this.o.name }, 'relay listening');
    return this.url;
  }

  async stop(): Promise<void> {
    for (const e of this.rfqs.values()) this.close(e);
    for (const w of this.pollers) w();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  status(): RelayStatus {
    return {
      api: RELAY_API_VERSION, name: this.o.name, chainId: String(this.o.domain.chainId), verifyingContract: getAddress(this.o.domain.verifyingContract),
      provers: this.provers.size, openRfqs: [...this.rfqs.values()].filter((e) => !e.closed).length, rfqs: this.stats.rfqs, quotes: this.stats.quotes,
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://relay');
    const route = `${req.method} ${url.pathname}`;
    try {
      let out: unknown;
      if (route === 'GET /v1/status') out = this.status();
      else if (route === 'POST /v1/provers') out = this.register(parse(ProverRegistration, await body(req)));
      else if (route === 'GET /v1/rfqs') out = await this.poll(parse(RfqPoll, Object.fromEntries(url.searchParams)), req);
      else if (route === 'POST /v1/rfqs') out = await this.openRfq(parse(RfqRequest, await body(req)), req);
      else if (route === 'POST /v1/quotes') out = this.submit(parse(QuoteSubmission, await body(req)));
      else throw new HttpError(404, 'not-found', `no route ${route} (API ${RELAY_API_VERSION}: docs/relay-api.json)`);
      send(res, 200, out);
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.code !== 'not-found') this.stats.refused++;
        this.o.log?.info({ route, code: e.code, detail: e.message.slice(0, 200) }, 'relay request refused');
        send(res, e.status, { error: { code: e.code, message: e.message.slice(0, 500) } } satisfies RelayError);
      } else {
        this.o.log?.warn({ err: e, route }, 'relay request failed');
        send(res, 400, { error: { code: 'bad-request', message: (e as Error).message.slice(0, 500) } } satisfies RelayError);
      }
    }
  }

  private register(r: z.infer<typeof ProverRegistration>): unknown {
    const key = r.prover.toLowerCase();
    if (!this.provers.has(key) && this.provers.size >= this.o.maxProvers) throw new HttpError(429, 'too-many', `${this.o.maxProvers} provers registered already`);
    const now = Date.now();
    this.provers.set(key, { name: r.name, registeredAt: this.provers.get(key)?.registeredAt ?? now, lastPollAt: now });
    this.o.log?.info({ prover: getAddress(key), name: r.name }, 'prover registered');
    this.emit('prover', getAddress(key));
    return { prover: getAddress(key), pollPath: `/v1/rfqs?prover=${getAddress(key)}` };
  }

  /** Long poll: the open RFQs after `after` this prover has not quoted yet; waits for one up to `waitMs`. */
  private async poll(p: z.infer<typeof RfqPoll>, req: http.IncomingMessage): Promise<unknown> {
    const key = p.prover.toLowerCase();
    const prover = this.provers.get(key);
    if (!prover) throw new HttpError(403, 'unknown-prover', `prover ${p.prover} is not registered (POST /v1/provers)`);
    const ready = (): OpenRfq[] => {
      const now = Date.now();
      return [...this.rfqs.values()].filter((e) => !e.closed && e.seq > p.after && !e.quotes.has(key))
        .map((e) => ({ id: e.id, seq: e.seq, rfq: e.rfq, closesInMs: Math.max(0, e.closesAt - now) }));
    };
    let got = ready();
    if (got.length === 0 && p.waitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(t); this.pollers.delete(done); req.off('close', done); resolve(); };
        const t = setTimeout(done, p.waitMs);
        this.pollers.add(done);
        req.on('close', done);
      });
      got = ready();
    }
    prover.lastPollAt = Date.now();
    return { rfqs: got, cursor: got.reduce((m, e) => Math.max(m, e.seq), p.after) };
  }

  /** A sequencer's RFQ: signature checked, open for `waitMs`, answered with the quotes collected. */
  private async openRfq(r: z.infer<typeof RfqRequest>, req: http.IncomingMessage): Promise<unknown> {
    const { terms, signature } = rfqFromJson(r.rfq);
    let sequencer: string;
    try {
      sequencer = rfqSigner(this.o.domain.chainId, this.o.domain.verifyingContract, terms, signature);
    } catch (e) {
      throw new HttpError(400, 'bad-signature', `RFQ signature: ${(e as Error).message.slice(0, 160)}`);
    }
    // the same RFQ twice (a retry) joins the first one
    let e = [...this.rfqs.values()].find((x) => x.rfq.signature === r.rfq.signature.toLowerCase());
    if (!e) {
      const open = [...this.rfqs.values()].filter((x) => !x.closed).length;
      if (open >= this.o.maxOpenRfqs) throw new HttpError(429, 'too-many', `${open} RFQs open`);
      const seq = ++this.seq;
      e = {
        id: String(seq), seq, rfq: { ...r.rfq, blockHash: r.rfq.blockHash.toLowerCase(), signature: r.rfq.signature.toLowerCase() }, sequencer: sequencer.toLowerCase(),
        closesAt: Date.now() + r.waitMs, closed: false, quotes: new Map(), expected: new Set(this.provers.keys()), wake: new Set(),
      };
      this.rfqs.set(e.id, e);
      this.stats.rfqs++;
      this.o.log?.info({ id: e.id, slot: Number(terms.slot), blockHash: terms.blockHash, sequencer: getAddress(sequencer), waitMs: r.waitMs, provers: e.expected.size }, 'RFQ opened');
      this.emit('rfq', { id: e.id, rfq: e.rfq, sequencer: getAddress(sequencer) });
      for (const w of [...this.pollers]) w();
      const entry = e;
      setTimeout(() => this.close(entry), r.waitMs).unref();
    }
    const entry = e;
    if (!entry.closed && !this.allQuoted(entry)) {
      await new Promise<void>((resolve) => {
        const done = () => { entry.wake.delete(done); req.off('close', done); resolve(); };
        entry.wake.add(done);
        req.on('close', done);
      });
    }
    const quotes = [...entry.quotes.values()].slice(0, MAX_QUOTES_PER_ANSWER);
    this.o.log?.info({ id: entry.id, slot: Number(entry.rfq.slot), quotes: quotes.length }, 'RFQ answered');
    return { quotes };
  }

  private allQuoted(e: OpenEntry): boolean {
    return e.expected.size > 0 && [...e.expected].every((p) => e.quotes.has(p));
  }

  private close(e: OpenEntry): void {
    if (e.closed) return;
    e.closed = true;
    for (const w of [...e.wake]) w();
    setTimeout(() => this.rfqs.delete(e.id), this.o.closedTtlMs).unref();
  }

  /** A prover's quote: for an open RFQ, from a registered prover, signed by it, within the RFQ's terms. */
  private submit(s: z.infer<typeof QuoteSubmission>): unknown {
    const e = this.rfqs.get(s.rfqId);
    if (!e) throw new HttpError(404, 'unknown-rfq', `no RFQ ${s.rfqId}`);
    if (e.closed) throw new HttpError(409, 'rfq-closed', `RFQ ${s.rfqId} closed`);
    const key = s.quote.prover.toLowerCase();
    if (!this.provers.has(key)) throw new HttpError(403, 'unknown-prover', `prover ${s.quote.prover} is not registered`);
    const q = quoteFromJson(s.quote);
    const why = q.slot !== BigInt(e.rfq.slot) ? 'another slot'
      : q.blockHash !== e.rfq.blockHash ? 'another block'
        : q.sequencer.toLowerCase() !== e.sequencer ? `names sequencer ${q.sequencer}, the RFQ's signer is ${getAddress(e.sequencer)}`
          : q.fee > BigInt(e.rfq.tip) ? 'fee above the tip'
            : q.deposit < BigInt(e.rfq.deposit) ? 'deposit below the RFQ\'s'
              : !q.proverFundsDeposit ? 'not prover-funded' : undefined;
    if (why) throw new HttpError(400, 'wrong-terms', `quote outside RFQ ${e.id}'s terms: ${why}`);
    let signer: string;
    try {
      signer = quoteSigner(this.o.domain.chainId, this.o.domain.verifyingContract, q, s.signature);
    } catch (err) {
      throw new HttpError(400, 'bad-signature', `quote signature: ${(err as Error).message.slice(0, 160)}`);
    }
    if (signer.toLowerCase() !== key) throw new HttpError(400, 'bad-signature', `quote signed by ${signer}, not by prover ${s.quote.prover}`);
    e.quotes.set(key, { quote: s.quote, signature: s.signature.toLowerCase() });
    this.stats.quotes++;
    this.o.log?.info({ id: e.id, slot: Number(q.slot), prover: getAddress(key), fee: String(q.fee) }, 'quote taken');
    this.emit('quote', { id: e.id, prover: getAddress(key), fee: q.fee });
    if (this.allQuoted(e)) for (const w of [...e.wake]) w();
    return { accepted: true };
  }
}

function parse<T extends z.ZodType>(schema: T, v: unknown): z.output<T> {
  const r = schema.safeParse(v);
  if (!r.success) throw new HttpError(400, 'bad-request', issues(r.error));
  return r.data;
}

async function body(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new HttpError(413 as number, 'bad-request', `body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new HttpError(400, 'bad-request', `not JSON: ${(e as Error).message.slice(0, 120)}`);
  }
}

function send(res: http.ServerResponse, status: number, v: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(v);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
