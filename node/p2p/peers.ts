// Connection limits and the peer manager (issue 12).
//  - libp2p's connection manager caps the total (`maxConnections`, above which it refuses inbound
//    connections), the inbound connections still being upgraded (`maxPendingInbound`) and the
//    rate of new inbound connections per host (`inboundPerSecond`);
//  - the connection gater caps the connections from one IP (`maxPerIp`) once the peer's id is
//    known (after Noise), so that reserved peers are never refused for it;
//  - reserved peers (the bootstrap list and `reserved`) are tagged in the peer store (libp2p's
//    own pruner closes them last) and never pruned here;
//  - the peer manager keeps between `targetPeers` and `maxPeers` peers: above `maxPeers` it
//    disconnects the lowest-scored (gossipsub score) non-reserved peers, which keeps slots free
//    below `maxConnections` for new honest peers; below `targetPeers` it dials reserved peers,
//    then known peers (ones it was connected to and did not ban), each with an exponential
//    backoff per peer (`redialMinMs` doubling up to `redialMaxMs`), so after a flood or a restart
//    of its peers a node reconnects on its own.
import type { Libp2p, MultiaddrConnection, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../log.js';
import type { P2PMetrics } from './metrics.js';

export interface ConnectionOptions {
  /** libp2p: connections at most; inbound ones beyond are refused (default 64) */
  maxConnections: number;
  /** connections from one IP at most, reserved peers exempt (default 8; a loopback test cluster needs more) */
  maxPerIp: number;
  /** libp2p: inbound connections being upgraded at once (default 16) */
  maxPendingInbound: number;
  /** libp2p: new inbound connections per second from one host (default 5) */
  inboundPerSecond: number;
  /** the peer manager dials while it has fewer peers (default 8) */
  targetPeers: number;
  /** the peer manager prunes the lowest-scored non-reserved peers above this (default 48, below maxConnections) */
  maxPeers: number;
  /** peers never pruned nor refused for the per-IP limit: multiaddrs with /p2p/<id>, or peer ids (the bootstrap list is added) */
  reserved: string[];
  /** first redial delay of a peer, doubled per failure (default 1 s) */
  redialMinMs: number;
  /** longest redial delay (default 60 s) */
  redialMaxMs: number;
  /** how often the peer manager looks (default 1 s) */
  intervalMs: number;
}

export const CONNECTION_DEFAULTS: ConnectionOptions = {
  maxConnections: 64, maxPerIp: 8, maxPendingInbound: 16, inboundPerSecond: 5,
  targetPeers: 8, maxPeers: 48, reserved: [], redialMinMs: 1000, redialMaxMs: 60_000, intervalMs: 1000,
};

/** Peer-store tag of reserved peers (libp2p's pruner closes the lowest tag values first). */
export const RESERVED_TAG = 'sidecar-reserved';

export function connectionOptions(o: Partial<ConnectionOptions> = {}, bootstrap: readonly string[] = []): ConnectionOptions {
  const c: ConnectionOptions = { ...CONNECTION_DEFAULTS, ...o, reserved: [...(o.reserved ?? []), ...bootstrap] };
  for (const k of ['maxConnections', 'maxPerIp', 'maxPendingInbound', 'inboundPerSecond', 'targetPeers', 'maxPeers', 'redialMinMs', 'redialMaxMs', 'intervalMs'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new RangeError(`connections.${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.maxPeers >= c.maxConnections) throw new RangeError(`connections.maxPeers (${c.maxPeers}) must be below maxConnections (${c.maxConnections}): the slots between are for new peers`);
  if (c.targetPeers > c.maxPeers) throw new RangeError(`connections.targetPeers (${c.targetPeers}) must not exceed maxPeers (${c.maxPeers})`);
  return c;
}

/** The IP (or host) of a multiaddr, e.g. 127.0.0.1 of /ip4/127.0.0.1/tcp/4001. */
export function hostOf(ma: Multiaddr): string | undefined {
  return /^\/(?:ip4|ip6|dns4|dns6|dns)\/([^/]+)/.exec(ma.toString())?.[1];
}

interface Known { addrs: Multiaddr[]; reserved: boolean; failures: number; nextDialAt: number; dialing: boolean }

export class PeerManager {
  private readonly known = new Map<string, Known>();
  private readonly reservedIds = new Set<string>();
  private timer?: NodeJS.Timeout;
  private stopped = true;
  readonly stats = { pruned: 0, redials: 0, redialFailures: 0, refusedPerIp: 0 };

  constructor(
    private readonly libp2p: Libp2p,
    readonly o: ConnectionOptions,
    private readonly deps: { score: (peer: string) => number; isBanned: (peer: string) => boolean; log: Logger; metrics: P2PMetrics },
  ) {
    for (const r of o.reserved) {
      let id: string | undefined;
      let addr: Multiaddr | undefined;
      if (r.startsWith('/')) {
        addr = multiaddr(r);
        id = addr.getComponents().find((c) => c.name === 'p2p')?.value;
        if (!id) throw new RangeError(`reserved peer ${r} has no /p2p/<peer id>`);
      } else id = peerIdFromString(r).toString();
      this.reservedIds.add(id);
      const k = this.known.get(id) ?? { addrs: [], reserved: true, failures: 0, nextDialAt: 0, dialing: false };
      if (addr) k.addrs.push(addr);
      this.known.set(id, k);
    }
  }

  isReserved(peer: string): boolean { return this.reservedIds.has(peer); }

  /** Connection gater: refuse an inbound connection over the per-IP limit (reserved peers exempt). */
  denyInbound(peer: PeerId, conn: MultiaddrConnection): boolean {
    const id = peer.toString();
    if (this.isReserved(id)) return false;
    const host = hostOf(conn.remoteAddr);
    if (!host) return false;
    let n = 0;
    for (const c of this.libp2p.getConnections()) if (c.status === 'open' && hostOf(c.remoteAddr) === host && !this.isReserved(c.remotePeer.toString())) n++;
    if (n < this.o.maxPerIp) return false;
    this.stats.refusedPerIp++;
    this.deps.metrics.connections.inc({ event: 'refused-per-ip' });
    this.deps.log.debug({ peer: id, host, open: n }, 'inbound connection refused: too many from this IP');
    return true;
  }

  async start(): Promise<void> {
    this.stopped = false;
    for (const id of this.reservedIds) {
      await this.libp2p.peerStore.merge(peerIdFromString(id), { tags: { [RESERVED_TAG]: { value: 100 } } }).catch(() => undefined);
    }
    // a peer we were connected to is known: redial it (with backoff) when we are short of peers
    this.libp2p.addEventListener('peer:connect', this.onConnect);
    this.timer = setInterval(() => void this.tick().catch((e) => this.deps.log.warn({ err: e }, 'peer manager tick failed')), this.o.intervalMs);
    this.timer.unref?.();
    void this.tick().catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.libp2p.removeEventListener('peer:connect', this.onConnect);
  }

  private readonly onConnect = (e: CustomEvent<PeerId>): void => {
    const id = e.detail.toString();
    const k = this.known.get(id);
    if (k) { k.failures = 0; k.nextDialAt = 0; return; }
    this.known.set(id, { addrs: [], reserved: false, failures: 0, nextDialAt: 0, dialing: false });
    // bounded: forget the oldest non-reserved known peers
    if (this.known.size > 4 * this.o.maxConnections) {
      for (const [p, v] of this.known) {
        if (!v.reserved && !this.connected(p)) { this.known.delete(p); break; }
      }
    }
  };

  private connected(peer: string): boolean {
    return this.libp2p.getConnections(peerIdFromString(peer)).some((c) => c.status === 'open');
  }

  /** One look: prune above maxPeers, dial below targetPeers. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const peers = this.libp2p.getPeers().map(String);
    if (peers.length > this.o.maxPeers) {
      const victims = peers.filter((p) => !this.isReserved(p)).sort((a, b) => this.deps.score(a) - this.deps.score(b)).slice(0, peers.length - this.o.maxPeers);
      for (const p of victims) {
        this.stats.pruned++;
        this.deps.metrics.connections.inc({ event: 'pruned' });
        this.deps.log.info({ peer: p, score: this.deps.score(p) }, 'pruning the lowest-scored peer (over maxPeers)');
        await this.libp2p.hangUp(peerIdFromString(p)).catch(() => undefined);
      }
      return;
    }
    const now = Date.now();
    const missingReserved = [...this.reservedIds].filter((p) => !peers.includes(p));
    if (peers.length >= this.o.targetPeers && missingReserved.length === 0) return;
    // reserved first, then the known peers with the fewest failures
    const candidates = [...this.known].filter(([p, k]) => !peers.includes(p) && !k.dialing && k.nextDialAt <= now && !this.deps.isBanned(p) && p !== this.libp2p.peerId.toString())
      .sort((a, b) => Number(b[1].reserved) - Number(a[1].reserved) || a[1].failures - b[1].failures);
    const room = Math.max(this.o.targetPeers - peers.length, missingReserved.length);
    await Promise.all(candidates.slice(0, room).map(([p, k]) => this.redial(p, k)));
  }

  private async redial(peer: string, k: Known): Promise<void> {
    k.dialing = true;
    this.stats.redials++;
    try {
      if (k.addrs.length) await this.libp2p.peerStore.merge(peerIdFromString(peer), { multiaddrs: k.addrs }).catch(() => undefined);
      await this.libp2p.dial(peerIdFromString(peer), { signal: AbortSignal.timeout(10_000) });
      k.failures = 0;
      k.nextDialAt = 0;
      this.deps.metrics.connections.inc({ event: 'redialed' });
      this.deps.log.info({ peer, reserved: k.reserved }, 'redialed a peer');
    } catch (e) {
      k.failures++;
      this.stats.redialFailures++;
      const delay = Math.min(this.o.redialMaxMs, this.o.redialMinMs * 2 ** (k.failures - 1));
      k.nextDialAt = Date.now() + delay;
      this.deps.metrics.connections.inc({ event: 'redial-failed' });
      this.deps.log.debug({ peer, failures: k.failures, retryInMs: delay, err: (e as Error).message }, 'redial failed');
    } finally {
      k.dialing = false;
    }
  }
}
