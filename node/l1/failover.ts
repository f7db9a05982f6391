// L1 RPC failover: one JSON-RPC provider over several http(s) URLs. Calls go to the current URL;
// a transport failure (refused, timeout, HTTP error) moves to the next one, logged once per
// switch, and the call is retried there; a JSON-RPC error answer (a revert, a bad nonce) is an
// answer, not a failure, so it never moves. After `retryPrimaryMs` on a backup, the first URL is
// tried again. Every method of ethers' JsonRpcProvider keeps working (it is one).
// A raw tx resent after a transport failure may already be in the first node's pool: the sender
// sees "already known" / "nonce too low" and reconciles by the tx hash (node/l1/sender.ts).
import { FetchRequest, JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from 'ethers';

export interface FailoverOptions {
  /** per-request timeout (default 10 s) */
  timeoutMs?: number;
  /** back to the first URL after this long on another one (default 60 s) */
  retryPrimaryMs?: number;
  pollingInterval?: number;
  /** told each time the provider moves to another URL */
  onSwitch?: (from: string, to: string, error: string) => void;
}

/** A URL without its credentials or path secrets (API keys often sit in the path): scheme://host[:port]. */
export function redactUrl(u: string): string {
  try {
    const x = new URL(u);
    return `${x.protocol}//${x.host}${x.pathname.length > 1 ? '/…' : ''}`;
  } catch {
    return '(bad url)';
  }
}

export class FailoverRpcProvider extends JsonRpcProvider {
  private current = 0;
  private since = Date.now();
  /** switches so far (for logs and tests) */
  switches = 0;

  constructor(readonly urls: readonly string[], chainId: number, private readonly fo: FailoverOptions = {}) {
    if (urls.length === 0) throw new Error('FailoverRpcProvider: at least one URL');
    super(urls[0], chainId, { staticNetwork: true, cacheTimeout: -1, pollingInterval: fo.pollingInterval ?? 250 });
  }

  /** The URL calls go to now. */
  get url(): string { return this.urls[this.current]; }

  override _getConnection(): FetchRequest {
    if (this.current !== 0 && Date.now() - this.since > (this.fo.retryPrimaryMs ?? 60_000)) this.move(0, 'retrying the first URL');
    const r = new FetchRequest(this.urls[this.current]);
    r.timeout = this.fo.timeoutMs ?? 10_000;
    return r;
  }

  private move(to: number, why: string): void {
    const from = this.urls[this.current];
    this.current = to;
    this.since = Date.now();
    this.switches++;
    this.fo.onSwitch?.(redactUrl(from), redactUrl(this.urls[to]), why);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    let last: unknown;
    for (let tries = 0; tries < this.urls.length; tries++) {
      const at = this.current;
      try {
        return await super._send(payload);
      } catch (e) {
        last = e;
        if (this.urls.length === 1) throw e;
        // another call may have moved already: only move from where this one failed
        if (this.current === at) this.move((at + 1) % this.urls.length, (e as Error).message.split('\n')[0].slice(0, 200));
      }
    }
    throw last;
  }
}
