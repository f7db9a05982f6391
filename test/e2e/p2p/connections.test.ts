// Connection limits and the peer manager (issue 12, items 2 and 3) with real libp2p nodes on
// 127.0.0.1 and peers built from raw libp2p: the per-IP limit refuses the connection over it but
// never a reserved peer; above maxPeers the lowest-scored peer is pruned, never a reserved one;
// a node whose bootstrap peer went away redials it with backoff and is connected again once it
// is back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { multiaddr } from '@multiformats/multiaddr';
import { P2PNode } from '../../../node/p2p/index.js';
import { Fixtures } from '../../helpers/p2p-fixtures.js';
import { testOptions, useP2PCluster, waitFor } from '../../helpers/p2p.js';
import { rawPeer } from '../../helpers/raw-peer.js';

const fx = await Fixtures.create();
const cluster = useP2PCluster();
const connected = (n: P2PNode, peer: string) => n.libp2p.getPeers().map(String).includes(peer);

/** Dials `to` until it holds, riding out libp2p's inbound rate limit per host. */
async function dialUntil(from: P2PNode, to: P2PNode): Promise<void> {
  await waitFor(async () => {
    await from.libp2p.dial(multiaddr(to.addrs[0])).catch(() => undefined);
    return connected(to, from.peerId);
  }, `${from.peerId} connected to ${to.peerId}`, 15_000);
}

describe('p2p connection limits and the peer manager (real nodes on 127.0.0.1)', () => {
  it('refuses connections over the per-IP limit, never a reserved peer', { timeout: 90_000 }, async () => {
    const reserved = await P2PNode.create(testOptions(await cluster.dataDir()));
    cluster.nodes.push(reserved);
    const s = await cluster.add({ bootstrap: [], connections: { maxPerIp: 3, targetPeers: 1, maxPeers: 10, maxConnections: 16, reserved: [reserved.peerId] } });
    s.subscribe('txs', () => {});
    const at = [{ addr: s.addrs[0], peerId: s.peerId }];
    const three = [];
    for (let i = 0; i < 3; i++) three.push(await rawPeer(at, ['txs']));
    const before = await s.metrics.value(s.metrics.connections, { event: 'refused-per-ip' });
    const fourth = await rawPeer(at, ['txs'], { waitFor: [], dialAttempts: 1 }).catch(() => undefined);
    await waitFor(async () => (await s.metrics.value(s.metrics.connections, { event: 'refused-per-ip' })) > before, 'the fourth connection from 127.0.0.1 refused');
    if (fourth) await waitFor(() => !connected(s, fourth.peerId), 'the fourth peer not connected');
    for (const p of three) assert.ok(connected(s, p.peerId), 'the first three stay');
    // the reserved peer comes from the same IP, over the limit, and is let in
    await reserved.start();
    await dialUntil(reserved, s);
    assert.ok(connected(s, reserved.peerId));
  });

  it('above maxPeers prunes the lowest-scored peer first, never a reserved one', { timeout: 90_000 }, async () => {
    const keep = await P2PNode.create(testOptions(await cluster.dataDir()));
    cluster.nodes.push(keep);
    const s = await cluster.add({ bootstrap: [], connections: { maxPeers: 3, targetPeers: 1, maxConnections: 12, reserved: [keep.peerId] } });
    s.subscribe('txs', () => {});
    const at = [{ addr: s.addrs[0], peerId: s.peerId }];
    const bad = await rawPeer(at, ['txs']);
    const good = [await rawPeer(at, ['txs'])];
    // one invalid message: a score of -20, not yet a ban
    await bad.publish('txs', new Uint8Array(96).fill(0xff));
    await waitFor(() => s.score(bad.peerId) < 0, 'the bad peer\'s score falls');
    assert.ok(!s.isBanned(bad.peerId));
    good.push(await rawPeer(at, ['txs']));
    await keep.start();
    await dialUntil(keep, s);
    // four peers, maxPeers 3: the lowest-scored goes
    await waitFor(() => !connected(s, bad.peerId), 'the lowest-scored peer pruned');
    assert.ok(connected(s, keep.peerId), 'the reserved peer stays');
    for (const g of good) assert.ok(connected(s, g.peerId), 'the better-scored peers stay');
    assert.ok(s.peers.stats.pruned >= 1);
    assert.ok((await s.metrics.value(s.metrics.connections, { event: 'pruned' })) >= 1);
  });

  it('redials a bootstrap peer that went away, with backoff, until it is back', { timeout: 120_000 }, async () => {
    const bDir = await cluster.dataDir();
    const b = await cluster.add({ dataDir: bDir, bootstrap: [] });
    const addr = b.addrs[0];
    const port = /\/tcp\/(\d+)\//.exec(addr)![1];
    const a = await cluster.add({ bootstrap: [addr], connections: { redialMinMs: 200, redialMaxMs: 2000, intervalMs: 100 } });
    await waitFor(() => connected(a, b.peerId), 'A connected to its bootstrap peer');
    await b.stop();
    await waitFor(() => !connected(a, b.peerId), 'B gone');
    await waitFor(() => a.peers.stats.redialFailures >= 2, 'A redials and fails while B is down', 30_000);
    // B back, same key and port
    const b2 = await P2PNode.create(testOptions(bDir, { listen: [`/ip4/127.0.0.1/tcp/${port}`], bootstrap: [] }));
    cluster.nodes.push(b2);
    await b2.start();
    assert.equal(b2.peerId, b.peerId);
    await waitFor(() => connected(a, b2.peerId), 'A redialed B', 30_000);
    assert.ok((await a.metrics.value(a.metrics.connections, { event: 'redialed' })) >= 1);
    // and a message crosses the restored link
    let got = 0;
    b2.subscribe('txs', () => { got++; });
    a.subscribe('txs', () => {});
    await cluster.waitForMesh([a, b2], ['txs']);
    await a.publish('txs', fx.tx(0, 1, 5n, 0));
    await waitFor(() => got === 1, 'B got A\'s tx over the restored link');
  });
});


