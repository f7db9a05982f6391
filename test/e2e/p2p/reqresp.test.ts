// Two real nodes on 127.0.0.1: req/resp limits (timeout, sizes, rate limit, failing handlers,
// bad responses) and the bounded gossip queue's drop policy under a slow handler.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ACCEPT, ReqRespError, hex, reject, type P2PNode, type TopicMessages } from '../../../node/p2p/index.js';
import { Fixtures } from '../../helpers/p2p-fixtures.js';
import { useP2PCluster, waitFor } from '../../helpers/p2p.js';

const code = (c: string) => (e: unknown) => e instanceof ReqRespError && e.code === c;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('p2p req/resp and queues (2 real nodes)', () => {
  const cluster = useP2PCluster();
  let fx: Fixtures;
  let a: P2PNode;
  let b: P2PNode;
  let release: () => void = () => {};
  const delivered: TopicMessages['txs'][] = [];
  const rfqs: { slot: bigint; msgId: string }[] = [];

  before(async () => {
    fx = await Fixtures.create();
    const wrong = fx.block(150n);
    a = await cluster.add({ validation: fx.context() }, (n) => { n.subscribe('txs', () => {}); n.subscribe('rfq', () => {}); });
    b = await cluster.add({ validation: fx.context(), queues: { txs: { capacity: 2 } }, validatorTimeoutMs: 200 }, async (n) => {
      n.addValidator('rfq', async (r) => {
        if (r.slot === 200n) throw new Error('validator bug');
        if (r.slot === 201n) await sleep(5000);
        return r.slot === 202n ? reject('unknown-proposal', 'no such proposal on L1') : ACCEPT;
      });
      n.subscribe('rfq', (r, info) => { rfqs.push({ slot: r.slot, msgId: info.msgId }); });
      await n.registerProtocol('echo/1', (req) => req, { maxRequestBytes: 16, maxResponseBytes: 64 });
      await n.registerProtocol('big/1', () => new Uint8Array(100), { maxResponseBytes: 64 });
      await n.registerProtocol('slow/1', async () => { await sleep(2000); return new Uint8Array(1); }, { timeoutMs: 3000 });
      await n.registerProtocol('limited/1', () => new Uint8Array([1]), { rateLimit: { requests: 2, windowMs: 60_000 } });
      await n.registerProtocol('throws/1', () => { throw new Error('handler bug'); });
      n.setProviders({ block: () => wrong });
      let first = true;
      n.subscribe('txs', async (tx) => {
        delivered.push(tx);
        if (first) { first = false; await new Promise<void>((r) => { release = r; }); }
        if (tx.body[15] === 13) throw new Error('handler failure on amount 13');
      });
    });
    await cluster.waitForMesh([a, b], ['txs', 'rfq']);
  });

  it('answers a registered protocol and enforces its size limits', async () => {
    assert.deepEqual(await a.request(b.peerId, 'echo/1', new Uint8Array([1, 2, 3])), new Uint8Array([1, 2, 3]));
    await assert.rejects(a.request(b.peerId, 'echo/1', new Uint8Array(17)), code('request-too-large'));
    await assert.rejects(a.request(b.peerId, 'big/1', new Uint8Array(0)), code('server-error'));
    await assert.rejects(a.request(b.peerId, 'echo/1', new Uint8Array(16), { maxResponseBytes: 8 }), code('response-too-large'));
  });

  it('times out a slow peer, rate-limits a chatty one, survives a failing handler', async () => {
    await assert.rejects(a.request(b.peerId, 'slow/1', new Uint8Array(0), { timeoutMs: 300 }), code('timeout'));
    const r = [];
    for (let i = 0; i < 3; i++) r.push(await a.request(b.peerId, 'limited/1', new Uint8Array(0)).catch((e: ReqRespError) => e.code));
    assert.deepEqual(r, [new Uint8Array([1]), new Uint8Array([1]), 'rate-limited']);
    await assert.rejects(a.request(b.peerId, 'throws/1', new Uint8Array(0)), code('server-error'));
    await assert.rejects(a.request(b.peerId, 'nope/1', new Uint8Array(0)), code('unknown-protocol'));
    assert.deepEqual(await a.request(b.peerId, 'echo/1', new Uint8Array([9])), new Uint8Array([9]), 'still serving');
    assert.ok(await b.metrics.value(b.metrics.reqresp, { protocol: 'limited/1', side: 'server', outcome: 'rate-limited' }) >= 1);
  });

  it("runs the node's validators after p2p's checks: custom codes, failures and slow validators are contained", async () => {
    const count = (outcome: string, code: string) => b.metrics.value(b.metrics.gossip, { topic: '/sidecar/1/rfq/ssz', outcome, code });
    for (const slot of [200n, 201n, 202n]) await a.publish('rfq', fx.rfq(slot, '0x' + '01'.repeat(32)));
    const ok = await a.publish('rfq', fx.rfq(203n, '0x' + '01'.repeat(32)));
    await waitFor(() => rfqs.length === 1, 'the good rfq');
    assert.deepEqual(rfqs, [{ slot: 203n, msgId: ok.msgId }]);
    await waitFor(async () => await count('ignore', 'validator-timeout') === 1, 'the slow validator times out');
    assert.equal(await count('ignore', 'validator-error'), 1);
    assert.equal(await count('reject', 'unknown-proposal'), 1);
    assert.equal(await count('accept', ''), 1);
  });

  it('refuses to publish what honest peers would reject', async () => {
    await assert.rejects(a.publish('txs', fx.tx(0, 1, 1n, 0, fx.accounts[1])), /refusing to publish an invalid txs message: bad-signature/);
    const b0 = fx.block(152n, 2);
    await assert.rejects(a.publish('blocks', { ...b0, witnessData: new Uint8Array(64) }), /malformed/);
  });

  it('refuses a fetched block that does not match the hash asked for', async () => {
    const asked = fx.makeCanonical(fx.block(151n));
    await assert.rejects(a.fetchBlock(b.peerId, asked), code('bad-response'));
    await assert.rejects(a.fetchBlock(b.peerId, '0x1234'), RangeError);
  });

  it('a full queue drops by its policy (txs: oldest) and counts it; handler errors are counted', async () => {
    const txs = Array.from({ length: 6 }, (_, i) => fx.tx(0, 1, BigInt(10 + i), i));
    await a.publish('txs', txs[0]);
    await waitFor(() => delivered.length === 1, 'the first tx reaches the blocked handler');
    for (const t of txs.slice(1)) await a.publish('txs', t);
    await waitFor(async () => await b.metrics.value(b.metrics.gossip, { topic: '/sidecar/1/txs/ssz', outcome: 'accept' }) >= 6, 'all 6 accepted');
    assert.equal(await b.metrics.value(b.metrics.queueDropped, { topic: '/sidecar/1/txs/ssz', policy: 'drop-oldest' }), 3);
    release();
    await waitFor(() => delivered.length === 3, 'the queue drains');
    assert.deepEqual(delivered.map((t) => hex(t.body)), [txs[0], txs[4], txs[5]].map((t) => hex(t.body)));
    // amount 13 (txs[3]) was dropped; send one that makes the handler throw, then a good one.
    await a.publish('txs', fx.tx(0, 1, 13n, 99));
    await a.publish('txs', fx.tx(0, 1, 20n, 100));
    await waitFor(() => delivered.length === 5, 'delivery continues after a handler error');
    assert.equal(await b.metrics.value(b.metrics.handlerErrors, {}), 1);
  });

  it('a ban disconnects and refuses a peer until it expires', async () => {
    a.ban(b.peerId, 'test', 400);
    await waitFor(() => a.libp2p.getConnections(b.libp2p.peerId).length === 0, 'disconnected');
    const refused = () => a.metrics.value(a.metrics.connections, { event: 'refused-banned' });
    const before = await refused();
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]).catch(() => {});
    await waitFor(async () => (await refused()) > before, 'the gate refuses the banned peer');
    assert.equal(a.libp2p.getConnections(b.libp2p.peerId).length, 0, 'refused while banned');
    await waitFor(() => !a.isBanned(b.peerId), 'the ban expires', 5000);
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]);
    await waitFor(() => a.libp2p.getConnections(b.libp2p.peerId).length > 0, 'reconnected after the ban');
    assert.deepEqual(await b.request(a.peerId, 'status/1', new Uint8Array(0)), null, 'a serves no status (no provider): not-found');
  });
});
