// A sidecar prover serving relays (config `proverRelays`): it registers with each relay,
// long-polls it for open RFQs (no inbound connection needed: the prover dials out, like a
// builder submitting to a mev-boost relay), runs the same L1 checks on each RFQ as on a gossiped
// one (Market.quoteForRelay: checkRfq, then the same priced quote, signed once per block
// whichever channels carry it) and posts the signed quote back. A relay that is down or refuses
// is retried with a backoff (1 s doubling to 30 s); nothing it answers can make this node sign
// a quote it would not sign for the same RFQ on gossip.
import { getAddress } from 'ethers';
import type { Logger } from '../log.js';
import type { Market } from '../roles/market.js';
import { OpenRfq, ProverRegistered, RfqFeed, issues, quoteMsgToJson, rfqMsgFromJson, type QuoteSubmission } from './api.js';

export interface ProverLinkOptions {
  /** long-poll wait asked of the relay (default 20 s) */
  pollWaitMs?: number;
  /** first retry delay after a failure (default 1 s; doubles up to 30 s) */
  retryMs?: number;
}

export class RelayProverLink {
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  readonly stats = { polls: 0, rfqs: 0, quotesPosted: 0, refused: 0, failures: 0 };
  /** per relay URL: registered with it now */
  readonly registered = new Map<string, boolean>();

  constructor(private readonly market: Market, private readonly address: string, private readonly urls: readonly string[], private readonly log: Logger, private readonly o: ProverLinkOptions = {}) {}

  start(): void {
    for (const url of this.urls) this.loops.push(this.run(url).catch((e) => this.log.warn({ err: e, relay: url }, 'relay link stopped')));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async call(url: string, path: string, init: RequestInit & { timeoutMs: number }): Promise<{ status: number; json: unknown }> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(init.timeoutMs)]);
    const res = await fetch(new URL(path.replace(/^\//, ''), url.endsWith('/') ? url : `${url}/`), { ...init, signal, headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json };
  }

  private async run(url: string): Promise<void> {
    const pollWaitMs = this.o.pollWaitMs ?? 20_000;
    let backoff = this.o.retryMs ?? 1000;
    let cursor = 0;
    const channel = `relay:${url}`;
    const prover = getAddress(this.address);
    while (!this.stopped) {
      try {
        if (!this.registered.get(url)) {
          const r = await this.call(url, '/v1/provers', { method: 'POST', body: JSON.stringify({ prover, name: 'sidecar' }), timeoutMs: 10_000 });
          if (r.status !== 200 || !ProverRegistered.safeParse(r.json).success) throw new Error(`registration: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 160)}`);
          this.registered.set(url, true);
          this.log.info({ relay: url, prover }, 'registered with the relay');
        }
        this.stats.polls++;
        const r = await this.call(url, `/v1/rfqs?prover=${prover}&after=${cursor}&waitMs=${pollWaitMs}`, { method: 'GET', timeoutMs: pollWaitMs + 10_000 });
        if (r.status === 403) { this.registered.set(url, false); continue; } // the relay forgot us (restarted): register again
        if (r.status !== 200) throw new Error(`poll: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 160)}`);
        const feed = RfqFeed.safeParse(r.json);
        if (!feed.success) throw new Error(`poll: not a v1 RFQ feed: ${issues(feed.error)}`);
        cursor = Math.max(cursor, feed.data.cursor);
        backoff = this.o.retryMs ?? 1000;
        for (const open of feed.data.rfqs) void this.answer(url, channel, open).catch((e) => this.log.warn({ err: e, relay: url }, 'answering a relay RFQ failed'));
      } catch (e) {
        if (this.stopped) return;
        this.stats.failures++;
        this.log.warn({ relay: url, err: (e as Error).message.slice(0, 200), retryMs: backoff }, 'relay unreachable or refusing; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(30_000, backoff * 2);
      }
    }
  }

  private async answer(url: string, channel: string, open: OpenRfq): Promise<void> {
    if (!OpenRfq.safeParse(open).success) return;
    this.stats.rfqs++;
    const rfq = rfqMsgFromJson(open.rfq);
    const res = await this.market.quoteForRelay(rfq, channel);
    if ('declined' in res) return;
    const body: QuoteSubmission = { rfqId: open.id, ...quoteMsgToJson(res.quote) };
    const r = await this.call(url, '/v1/quotes', { method: 'POST', body: JSON.stringify(body), timeoutMs: 10_000 });
    if (r.status !== 200) {
      this.stats.refused++;
      this.market.declined(rfq, channel, `the relay refused the quote: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      return;
    }
    this.stats.quotesPosted++;
    this.market.sent(rfq, res.quote, channel);
  }
}
