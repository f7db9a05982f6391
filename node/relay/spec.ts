// A relay as the config names it (no imports: node/config.ts loads this, and the CLI's --help
// must not load libp2p or ethers).

export interface RelayEndpoint {
  /** the `relay:<name>` channel label: [a-z0-9_-], unique */
  name: string;
  /** base URL; the API is under /v1 */
  url: string;
  /** longest the sequencer waits for its answer (ms), also capped by the RFQ's close */
  timeoutMs: number;
}

export const DEFAULT_RELAY_TIMEOUT_MS = 3000;

/** `name=url` or `name=url;timeoutMs` (the config's string form) as an endpoint; throws a clear error. */
export function parseRelaySpec(s: string, defaultTimeoutMs = DEFAULT_RELAY_TIMEOUT_MS): RelayEndpoint {
  const m = /^([a-z0-9_-]{1,32})=([^;\s]+)(?:;(\d{1,6}))?$/.exec(s.trim());
  if (!m) throw new Error(`a relay is name=url or name=url;timeoutMs (name: a-z 0-9 _ -, at most 32), got ${JSON.stringify(s)}`);
  let url: URL;
  try {
    url = new URL(m[2]);
  } catch {
    throw new Error(`relay ${m[1]}: not a URL: ${JSON.stringify(m[2])}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`relay ${m[1]}: expected an http(s) URL, got ${JSON.stringify(m[2])}`);
  const timeoutMs = m[3] === undefined ? defaultTimeoutMs : Number(m[3]);
  if (timeoutMs < 100 || timeoutMs > 60_000) throw new Error(`relay ${m[1]}: timeout must be 100..60000 ms, got ${timeoutMs}`);
  return { name: m[1], url: m[2], timeoutMs };
}
