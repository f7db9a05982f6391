import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeMetrics } from '../../../node/metrics.js';
import { P2PMetrics } from '../../../node/p2p/index.js';

describe('p2p metrics', () => {
  it("registers in the node's registry and shares its gossip outcome counter", async () => {
    const node = new NodeMetrics({ defaultMetrics: false });
    let depth = 3;
    const p2p = new P2PMetrics(node.registry, { queueDepths: () => ({ '/sidecar/1/txs/ssz': depth }), peers: () => 4 });
    assert.equal(p2p.gossip, node.gossip);
    p2p.gossip.inc({ topic: '/sidecar/1/txs/ssz', outcome: 'reject', code: 'malformed' });
    p2p.queueDropped.inc({ topic: '/sidecar/1/txs/ssz', policy: 'drop-oldest' });
    depth = 7;
    const text = await node.text();
    assert.match(text, /sidecar_gossip_messages_total\{topic="\/sidecar\/1\/txs\/ssz",outcome="reject",code="malformed"\} 1/);
    assert.match(text, /sidecar_p2p_queue_dropped_total\{topic="\/sidecar\/1\/txs\/ssz",policy="drop-oldest"\} 1/);
    assert.match(text, /sidecar_p2p_queue_depth\{topic="\/sidecar\/1\/txs\/ssz"\} 7/);
    assert.match(text, /sidecar_p2p_peers 4/);
    assert.equal(await p2p.value(p2p.gossip, { code: 'malformed' }), 1);
  });
});
