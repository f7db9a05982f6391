// L2 txs over gossip between real nodes (anvil + deployed protocol, LevelDB, ChainSync, libp2p on
// 127.0.0.1): a tx submitted to node A's API lands in B's and C's mempools (C hears it only
// through B) with its ladder at `pending` there, and no node publishes a tx it got from gossip.
// Bad txs from a raw peer are refused with a code and counted in /metrics: a bad signature is
// Rejected, a nonce too far ahead and a second tx for a waiting (sender, nonce) are Ignored.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hexlify } from 'ethers';
import { TX_BODY_BYTES, WorldState, encodeSignedTx, signTx, txHash, type SignedTx } from '../../../circuits/l2/index.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import { SidecarNode } from '../../../node/node.js';
import { topicName } from '../../../node/p2p/index.js';
import { heartbeats, useP2PCluster, waitFor } from '../../helpers/p2p.js';
import { useProtocol } from '../../helpers/protocol.js';

const keys = devnetL2Keys(3);
const genesis = devnetGenesis(keys, 1000n);
const fx = await useProtocol({ accounts: 4, params: { genesisRoot: (await WorldState.create(genesis)).root() } });
const root = mkdtempSync(path.join(os.tmpdir(), 'sidecar-gossip-txs-'));
const nodes: SidecarNode[] = [];
after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  rmSync(root, { recursive: true, force: true });
});

async function start(i: number, bootstrap: string[]): Promise<SidecarNode> {
  const n = await SidecarNode.start({
    dataDir: path.join(root, `n${i}`), roles: [], client: fx.clients[i + 1], genesis, pollMs: 100,
    api: { host: '127.0.0.1', port: 0 },
    p2p: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, heartbeatMs: 100, ipColocationWeight: 0, connections: { maxPerIp: 48 } },
  });
  nodes.push(n);
  return n;
}

const TXS = topicName('txs');
const a = await start(0, []);
const b = await start(1, [a.p2p!.addrs[0]]);
const c = await start(2, [b.p2p!.addrs[0]]);
const subscribed = (n: SidecarNode, peer: SidecarNode) => n.p2p!.pubsub.getSubscribers(TXS).map(String).includes(peer.p2p!.peerId);
await waitFor(() => subscribed(a, b) && subscribed(b, a) && subscribed(b, c) && subscribed(c, b), 'the txs topic mesh A-B-C');

async function gossipCount(n: SidecarNode, outcome: string, code = ''): Promise<number> {
  return n.p2p!.metrics.value(n.p2p!.metrics.gossip, { topic: TXS, outcome, code });
}

test('a tx submitted to A\'s API reaches B\'s and C\'s mempools over gossip, pending there; nobody re-publishes it', async () => {
  const t = signTx({ from: 0, to: 1, amount: 7n, nonce: 0 }, keys[0].secretKey);
  const res = await fetch(`${a.api!.url}/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tx: hexlify(encodeSignedTx(t)) }) });
  assert.equal(res.status, 200, await res.text());
  const h = txHash(t);
  await waitFor(() => b.mempool.has(h) && c.mempool.has(h), 'the tx in B\'s and C\'s mempools');
  assert.ok(!c.p2p!.libp2p.getPeers().map(String).includes(a.p2p!.peerId), 'C is not connected to A: B relayed it');
  // its ladder follows right after admission
  await waitFor(async () => (await b.chain.txStatus(h))?.status === 'pending' && (await c.chain.txStatus(h))?.status === 'pending', 'pending on B and C', 2000);
  // three heartbeats (IHAVE/IWANT gossip) later on every node: still one message, validated once by each receiver
  await Promise.all([a, b, c].map((n) => heartbeats(n.p2p!, 3)));
  assert.equal(await gossipCount(b, 'accept'), 1);
  assert.equal(await gossipCount(c, 'accept'), 1);
  assert.equal(await gossipCount(a, 'accept'), 0, 'it never came back to A');
  assert.deepEqual([a, b, c].map((n) => n.txGossip!.stats.published), [1, 0, 0], 'only the API node published it');
  assert.deepEqual([b, c].map((n) => n.txGossip!.stats.received), [1, 1]);
  // the same tx to B's API: a duplicate, refused
  const dup = await fetch(`${b.api!.url}/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tx: hexlify(encodeSignedTx(t)) }) });
  assert.equal(dup.status, 400);
  assert.equal(((await dup.json()) as { error: { code: string } }).error.code, 'DUPLICATE');
});

test('bad txs over gossip: bad signature Rejected, far nonce and same-nonce Ignored, each with its code in /metrics; none admitted', async () => {
  const cluster = useP2PCluster();
  // a raw peer: publishes without checking what it sends
  const raw = await cluster.add({ bootstrap: [a.p2p!.addrs[0]] });
  await waitFor(() => raw.pubsub.getSubscribers(TXS).map(String).includes(a.p2p!.peerId), 'the raw peer sees A on the txs topic');
  const send = (t: SignedTx) => {
    const e = encodeSignedTx(t);
    return raw.publish('txs', { body: e.subarray(0, TX_BODY_BYTES), signature: e.subarray(TX_BODY_BYTES) });
  };
  const before = a.mempool.size;
  const far = signTx({ from: 1, to: 0, amount: 1n, nonce: 500 }, keys[1].secretKey);
  const sameNonce = signTx({ from: 0, to: 2, amount: 9n, nonce: 0 }, keys[0].secretKey); // the first test's tx waits with (0, 0)
  const forged = signTx({ from: 2, to: 0, amount: 1n, nonce: 0 }, keys[1].secretKey);
  await send(far);
  await send(sameNonce);
  await send(forged);
  await waitFor(async () => (await gossipCount(a, 'reject', 'bad-signature')) === 1, 'A rejects the forged tx');
  const metrics = await (await fetch(`${a.api!.url}/metrics`)).text();
  const line = (outcome: string, code: string) => new RegExp(`^sidecar_gossip_messages_total\\{topic="${TXS}",outcome="${outcome}",code="${code}"\\} 1$`, 'm');
  assert.match(metrics, line('reject', 'bad-signature'));
  assert.match(metrics, line('ignore', 'nonce-too-far'));
  assert.match(metrics, line('ignore', 'duplicate'));
  assert.equal(a.mempool.size, before, 'nothing admitted');
  for (const t of [far, sameNonce, forged]) assert.equal(await a.chain.txStatus(txHash(t)), undefined);
  // not forwarded: B never saw them
  assert.equal(await gossipCount(b, 'reject', 'bad-signature'), 0);
  assert.equal(b.mempool.size, 1);
  await Promise.all(nodes.map((n) => n.stop())); // before the fixture's anvil and provider go (its after hooks run first)
});
