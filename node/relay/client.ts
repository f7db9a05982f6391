// The sequencer's side of the relay API (node/relay/api.ts): it posts its signed RFQ to every
// admitted relay, bounded by that relay's timeout and by the RFQ's close (the quote deadline),
// and keeps a score per relay. The quotes a relay returns go through the market's one quote path
// (node/roles/market.ts admitQuote: the same checks as a p2p quote on quote/1); what fails there
// is this relay's fault, counted with a code from RELAY_FAULTS.
//
// Scoring (RelayScore, pure, clock passed in): a relay starts at 0; an RFQ it answered in time
// with no fault +1 (at most +3); an RFQ with faults costs the weight of its worst fault once (50
// forged quotes in one answer cost as much as one: the answer is one lie). At `dropAt` (-4) it
// is dropped: no RFQ goes to it for a cooldown (60 s, doubling per drop, at most 30 min), then it
// is re-admitted on probation at dropAt + 1 (one more fault drops it again). A relay that is down
// at start is just a relay that times out or refuses connections: it is dropped the same way
// and tried again after its cooldown.
import type { Logger } from '../log.js';
import type { RelayEndpoint } from './spec.js';
import { MAX_QUOTES_PER_ANSWER, RfqAnswer, issues, type RfqJson, type SignedQuoteJson } from './api.js';

/** Every fault a relay is counted for (closed set: the `code` label of sidecar_relay_faults_total). */
export const RELAY_FAULTS = {
  /** no answer before its timeout or the RFQ's close */
  timeout: 'timeout',
  /** connection refused / reset / DNS: nothing answered */
  unreachable: 'unreachable',
  /** an HTTP status other than 200 */
  httpError: 'http-error',
  /** not JSON, not the schema, too many quotes, or a quote that does not encode */
  malformed: 'malformed',
  /** a quote not signed by its prover */
  badSignature: 'bad-signature',
  /** a quote for another block or slot than the RFQ's (or a block not revealed on L1) */
  wrongBlock: 'wrong-block',
  /** a quote naming another sequencer (useless to this one: the contract refuses it) */
  wrongSequencer: 'wrong-sequencer',
  /** a quote whose prover cannot fund its deposit (balance or allowance on L1), or does not fund it */
  unfundedProver: 'unfunded-prover',
  /** other terms the market refuses (deposit below the minimum, expired, ...) */
  wrongTerms: 'wrong-terms',
} as const;
export type RelayFault = (typeof RELAY_FAULTS)[keyof typeof RELAY_FAULTS];

const WEIGHT: Record<RelayFault, number> = {
  'timeout': 2, 'unreachable': 2, 'http-error': 2, 'malformed': 3, 'bad-signature': 3, 'wrong-block': 3, 'wrong-sequencer': 3, 'unfunded-prover': 1, 'wrong-terms': 2,
};

export type { RelayEndpoint } from './spec.js';

export interface ScoreOptions {
  /** dropped at or below (default -4) */
  dropAt?: number;
  /** best score (default 3) */
  max?: number;
  /** first cooldown after a drop (default 60 s), doubled per drop up to maxCooldownMs (default 30 min) */
  cooldownMs?: number;
  maxCooldownMs?: number;
}

/** One relay's standing: its score, whether it is admitted, and why it was dropped. */
export class RelayScore {
  score = 0;
  drops = 0;
  /** dropped until this time (ms epoch); 0 = admitted */
  droppedUntil = 0;
  lastFault?: { code: RelayFault; detail: string; at: number };
  private readonly o: Required<ScoreOptions>;

  constructor(o: ScoreOptions = {}) {
    this.o = { dropAt: -4, max: 3, cooldownMs: 60_000, maxCooldownMs: 30 * 60_000, ...o };
  }

  /** May an RFQ go to it now? A cooldown that ran out re-admits it on probation. */
  admitted(now: number): boolean {
    if (this.droppedUntil === 0) return true;
    if (now < this.droppedUntil) return false;
    this.droppedUntil = 0;
    this.score = this.o.dropAt + 1;
    return true;
  }

  /** One RFQ's outcome: its faults (empty: a good answer). Returns 'dropped' when this outcome dropped it. */
  record(faults: readonly { code: RelayFault; detail: string }[], now: number): 'ok' | 'fault' | 'dropped' {
    if (faults.length === 0) {
      this.score = Math.min(this.o.max, this.score + 1);
      return 'ok';
    }
    const worst = faults.reduce((a, b) => (WEIGHT[b.code] > WEIGHT[a.code] ? b : a));
    this.lastFault = { ...worst, at: now };
    this.score -= WEIGHT[worst.code];
    if (this.score > this.o.dropAt) return 'fault';
    this.drops++;
    this.droppedUntil = now + Math.min(this.o.maxCooldownMs, this.o.cooldownMs * 2 ** (this.drops - 1));
    return 'dropped';
  }
}

export class RelayCallError extends Error {
  constructor(readonly code: RelayFault, message: string) { super(message); }
}

const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * POST /v1/rfqs: the relay's quotes for `rfq`, or a RelayCallError (timeout, unreachable,
 * http-error, malformed). `signal` is the RFQ's close; the relay's own timeout runs from now.
 */
export async function askRelay(ep: RelayEndpoint, rfq: RfqJson, waitMs: number, signal: AbortSignal): Promise<SignedQuoteJson[]> {
  const timeout = AbortSignal.timeout(ep.timeoutMs);
  const all = AbortSignal.any([timeout, signal]);
  let res: Response;
  try {
    res = await fetch(new URL('v1/rfqs', ep.url.endsWith('/') ? ep.url : `${ep.url}/`), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rfq, waitMs }), signal: all,
    });
  } catch (e) {
    if (all.aborted) throw new RelayCallError('timeout', signal.aborted ? 'no answer before the RFQ closed' : `no answer within ${ep.timeoutMs} ms`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new RelayCallError('unreachable', `${cause?.code ?? ''} ${cause?.message ?? (e as Error).message}`.trim().slice(0, 200));
  }
  let text: string;
  try {
    text = await readCapped(res, MAX_ANSWER_BYTES);
  } catch (e) {
    if (all.aborted) throw new RelayCallError('timeout', 'the answer did not finish in time');
    throw new RelayCallError((e as Error).message.startsWith('answer over') ? 'malformed' : 'unreachable', (e as Error).message.slice(0, 200));
  }
  if (res.status !== 200) throw new RelayCallError('http-error', `HTTP ${res.status}: ${text.slice(0, 160)}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RelayCallError('malformed', `not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const r = RfqAnswer.safeParse(json);
  if (!r.success) throw new RelayCallError('malformed', `not a v1 RFQ answer (at most ${MAX_QUOTES_PER_ANSWER} quotes): ${issues(r.error)}`);
  return r.data.quotes;
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`answer over ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The relays a sequencer is configured with, and their standing. */
export class RelayBook {
  readonly relays: { ep: RelayEndpoint; score: RelayScore }[];

  constructor(endpoints: readonly RelayEndpoint[], private readonly log: Logger, scoring: ScoreOptions = {}, private readonly now: () => number = Date.now) {
    this.relays = endpoints.map((ep) => ({ ep, score: new RelayScore(scoring) }));
  }

  /** The relays an RFQ goes to now (a cooldown that ran out re-admits its relay; logged). */
  admitted(): { ep: RelayEndpoint; score: RelayScore }[] {
    const t = this.now();
    return this.relays.filter((r) => {
      const was = r.score.droppedUntil !== 0;
      const ok = r.score.admitted(t);
      if (was && ok) this.log.info({ relay: r.ep.name, score: r.score.score }, `relay ${r.ep.name} re-admitted on probation after its cooldown (one more fault drops it again)`);
      return ok;
    });
  }

  /** Record one RFQ's outcome for a relay; logs the drop and why. */
  record(r: { ep: RelayEndpoint; score: RelayScore }, faults: readonly { code: RelayFault; detail: string }[]): 'ok' | 'fault' | 'dropped' {
    const out = r.score.record(faults, this.now());
    if (out === 'dropped') {
      const f = r.score.lastFault!;
      this.log.warn({ relay: r.ep.name, url: r.ep.url, score: r.score.score, code: f.code, detail: f.detail, drops: r.score.drops, readmitAt: new Date(r.score.droppedUntil).toISOString() },
        `relay ${r.ep.name} dropped: ${f.code} (${f.detail}); score ${r.score.score}; no RFQs to it until its cooldown ends`);
    } else if (out === 'fault') {
      this.log.info({ relay: r.ep.name, score: r.score.score, faults: faults.map((f) => f.code) }, `relay ${r.ep.name} scored down`);
    }
    return out;
  }
}

