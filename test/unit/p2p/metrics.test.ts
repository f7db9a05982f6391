import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeMetrics } from '../../../node/metrics.js';
import { P2PMetrics } from '../../../node/p2p/index.js';

describe('p2p metrics', () => {
  it("registers in the node's registry (as the node does) without a duplicate registration; /metrics text has both sets", async () => {
    const node = new NodeMetrics(); // with the default process metrics, as SidecarNode builds it
    let depth = 3;
    const p2p = new P2PMetrics(node.registry, { queueDepths: () => ({ '/sidecar/1/txs/ssz': depth }), peers: () => 4 });
    assert.equal(p2p.registry, node.registry);
    p2p.gossip.inc({ topic: '/sidecar/1/txs/ssz', outcome: 'reject', code: 'malformed' });
    p2p.queueDropped.inc({ topic: '/sidecar/1/txs/ssz', policy: 'drop-oldest' });
    node.proofsFinished.inc({ circuit: 'segment' });
    depth = 7;
    const text = await node.text();
    // the node's own metrics
    assert.match(text, /sidecar_proofs_finished_total\{circuit="segment"\} 1/);
    assert.match(text, /sidecar_process_cpu_seconds_total/);
    // the p2p layer's, in the same registry
    assert.match(text, /sidecar_gossip_messages_total\{topic="\/sidecar\/1\/txs\/ssz",outcome="reject",code="malformed"\} 1/);
    assert.match(text, /sidecar_p2p_queue_dropped_total\{topic="\/sidecar\/1\/txs\/ssz",policy="drop-oldest"\} 1/);
    assert.match(text, /sidecar_p2p_queue_depth\{topic="\/sidecar\/1\/txs\/ssz"\} 7/);
    assert.match(text, /sidecar_p2p_peers 4/);
    assert.equal(text.match(/^# TYPE sidecar_gossip_messages_total /gm)?.length, 1, 'one gossip outcome counter');
    assert.equal(await p2p.value(p2p.gossip, { code: 'malformed' }), 1);
  });

  it('a second p2p layer on the same registry is refused loudly (one owner per metric)', () => {
    const node = new NodeMetrics({ defaultMetrics: false });
    new P2PMetrics(node.registry);
    assert.throws(() => new P2PMetrics(node.registry), /already been registered/);
  });

  it('without a registry it keeps its own (standalone p2p hosts, benches)', async () => {
    const a = new P2PMetrics();
    const b = new P2PMetrics();
    assert.notEqual(a.registry, b.registry);
    a.gossip.inc({ topic: 't', outcome: 'accept', code: '' });
    assert.equal(await b.value(b.gossip, {}), 0);
  });
});
