// Starts real p2p nodes on 127.0.0.1 (random ports, temp data dirs) and always stops them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { P2PNode, TOPIC_KINDS, topicName, type P2POptions, type TopicKind } from '../../node/p2p/index.js';

export type NodeOptions = Partial<P2POptions>;

/** Test defaults: loopback, fast heartbeat, no IP-colocation penalty and a per-IP connection limit for a cluster (all peers share 127.0.0.1). */
export function testOptions(dataDir: string, extra: NodeOptions = {}): P2POptions {
  return {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    heartbeatMs: 100,
    ...extra,
    dataDir,
    scoring: { ipColocationWeight: 0, ...extra.scoring },
    // every peer of a loopback test shares 127.0.0.1
    connections: { maxPerIp: 48, ...extra.connections },
  };
}

/** Polls `cond` every 25 ms until true; throws after `timeoutMs` naming `what`. */
/** Resolves after `n` gossipsub heartbeats of `node` (bounded: rejects after `timeoutMs`). */
export function heartbeats(node: { pubsub: EventTarget }, n: number, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const done = (err?: Error) => { clearTimeout(t); node.pubsub.removeEventListener('gossipsub:heartbeat', on); if (err) reject(err); else resolve(); };
    const on = () => { if (++seen >= n) done(); };
    const t = setTimeout(() => done(new Error(`only ${seen} of ${n} gossipsub heartbeats within ${timeoutMs} ms`)), timeoutMs);
    node.pubsub.addEventListener('gossipsub:heartbeat', on);
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export class P2PCluster {
  readonly nodes: P2PNode[] = [];
  private dirs: string[] = [];

  /** A fresh data dir, removed by stop(). */
  async dataDir(): Promise<string> {
    const d = await mkdtemp(path.join(os.tmpdir(), 'sidecar-p2p-'));
    this.dirs.push(d);
    return d;
  }

  /**
   * Starts a node that dials every running node; `setup` runs before start (subscribe,
   * validators). Returns the started node.
   */
  async add(opts: NodeOptions = {}, setup?: (n: P2PNode) => void | Promise<void>): Promise<P2PNode> {
    const dataDir = opts.dataDir ?? await this.dataDir();
    const bootstrap = this.nodes.filter((n) => n.libp2p.status === 'started').map((n) => n.addrs[0]);
    const node = await P2PNode.create(testOptions(dataDir, { bootstrap, ...opts }));
    this.nodes.push(node);
    await setup?.(node);
    await node.start();
    return node;
  }

  /** Waits until every given node sees every other as a subscriber of each topic. */
  async waitForMesh(nodes: P2PNode[] = this.running(), kinds: readonly TopicKind[] = TOPIC_KINDS, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => nodes.every((n) => kinds.every((k) => {
      const subs = new Set(n.pubsub.getSubscribers(topicName(k)).map(String));
      return nodes.every((m) => m === n || subs.has(m.peerId));
    })), `a full mesh of ${nodes.length} nodes`, timeoutMs);
  }

  running(): P2PNode[] { return this.nodes.filter((n) => n.libp2p.status === 'started'); }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
    await Promise.allSettled(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** A cluster whose nodes and data dirs are removed after the suite. */
export function useP2PCluster(): P2PCluster {
  const c = new P2PCluster();
  after(() => c.stop());
  return c;
}
