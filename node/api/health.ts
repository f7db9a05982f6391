// The node's health and readiness (GET /health, GET /ready), for a supervisor or a load balancer:
// /health is 200 only when every check passes and 503 with the failing checks' reasons otherwise;
// /ready is 200 once the node can serve (started, L1 reached, the chain caught up once).
//   l1      the last L1 head poll succeeded, within `l1StaleMs`
//   sync    the chain follower is at most `maxSyncLagBlocks` L1 blocks behind the L1 head
//   p2p     (with p2p) at least one peer
//   prover  (with the prover role) the prover pool is open
export interface HealthCheck { name: string; ok: boolean; detail: string }
export interface HealthReport { ok: boolean; checks: HealthCheck[] }

/** What the checks read (SidecarNode satisfies it through `healthSource`). */
export interface HealthSource {
  /** ms epoch of the last successful L1 head poll (undefined: none yet) */
  l1OkAt(): number | undefined;
  /** the last L1 head poll error (undefined: the last poll succeeded) */
  l1Error(): string | undefined;
  /** the L1 head the node saw last */
  l1Head(): number | undefined;
  /** the last L1 block the chain follower has fully processed */
  syncedTo(): number;
  /** undefined: no p2p */
  peers?(): number;
  /** undefined: no prover role */
  proverOpen?(): boolean;
}

export interface HealthOptions {
  /** the sync check fails beyond this many L1 blocks behind (default 16) */
  maxSyncLagBlocks?: number;
  /** the l1 check fails when the last good head poll is older than this (default 15 s) */
  l1StaleMs?: number;
  now?: () => number;
}

export function checkHealth(s: HealthSource, o: HealthOptions = {}): HealthReport {
  const now = (o.now ?? Date.now)();
  const maxLag = o.maxSyncLagBlocks ?? 16;
  const stale = o.l1StaleMs ?? 15_000;
  const checks: HealthCheck[] = [];
  const okAt = s.l1OkAt();
  const err = s.l1Error();
  if (okAt === undefined) checks.push({ name: 'l1', ok: false, detail: `L1 not reached yet${err ? `: ${err}` : ''}` });
  else if (now - okAt > stale) checks.push({ name: 'l1', ok: false, detail: `no L1 head for ${Math.round((now - okAt) / 1000)} s${err ? `: ${err}` : ''}` });
  else checks.push({ name: 'l1', ok: true, detail: `head #${s.l1Head()} ${Math.round((now - okAt) / 1000)} s ago` });
  const head = s.l1Head();
  if (head === undefined) checks.push({ name: 'sync', ok: false, detail: 'no L1 head known' });
  else {
    const lag = Math.max(0, head - s.syncedTo());
    checks.push({ name: 'sync', ok: lag <= maxLag, detail: `${lag} L1 blocks behind (at most ${maxLag})` });
  }
  if (s.peers) {
    const n = s.peers();
    checks.push({ name: 'p2p', ok: n > 0, detail: n > 0 ? `${n} peers` : 'no peers' });
  }
  if (s.proverOpen) {
    const open = s.proverOpen();
    checks.push({ name: 'prover', ok: open, detail: open ? 'prover pool open' : 'prover pool closed' });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/** Ready: L1 reached and the chain follower within the sync bound once (it may fall behind later: /health says so). */
export function checkReady(s: HealthSource, o: HealthOptions = {}): HealthReport {
  const r = checkHealth(s, o);
  const checks = r.checks.filter((c) => c.name === 'l1' || c.name === 'sync');
  return { ok: checks.every((c) => c.ok), checks };
}
