// Real libp2p nodes on 127.0.0.1: gossip of every topic across 5 nodes, req/resp catch-up
// of a late joiner, a misbehaving peer that gets banned, and a restart keeping its peer id.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import {
  BlockSsz, ProofSsz, TOPIC_KINDS, encodeMessage, hex, topicName,
  type P2PNode, type StatusMsg, type TopicKind, type TopicMessages,
} from '../../../node/p2p/index.js';
import { Fixtures } from '../../helpers/p2p-fixtures.js';
import { useP2PCluster, waitFor } from '../../helpers/p2p.js';

type Inbox = { [K in TopicKind]: TopicMessages[K][] };
const inboxes = new Map<P2PNode, Inbox>();
const emptyInbox = (): Inbox => ({ txs: [], blocks: [], rfq: [], quotes: [], proofs: [] });
const status = (slot: bigint): StatusMsg => ({
  chainId: 31337n, contract: new Uint8Array(20).fill(0xab), headSlot: slot, headBlockHash: new Uint8Array(32), provenSlot: 0n,
});

describe('p2p network (5 real nodes on 127.0.0.1)', () => {
  const cluster = useP2PCluster();
  let fx: Fixtures;
  const blocks = new Map<string, TopicMessages['blocks']>();
  const proofs = new Map<string, TopicMessages['proofs']>();

  /** An honest node: subscribes to everything, stores blocks and proofs, serves them. */
  const honest = (dataDir?: string) => cluster.add({ dataDir, validation: fx.context() }, (n) => {
    const inbox = emptyInbox();
    inboxes.set(n, inbox);
    for (const k of TOPIC_KINDS) n.subscribe(k, (v) => { (inbox[k] as unknown[]).push(v); });
    n.subscribe('blocks', (b) => { blocks.set(hex(BlockSsz.hashTreeRoot(b)), b); });
    n.setProviders({
      block: (h) => [...blocks.values()].find((b) => fx.makeCanonical(b) === h),
      proof: (id) => proofs.get(id),
      status: () => status(120n),
    });
  });

  before(async () => {
    fx = await Fixtures.create();
    for (let i = 0; i < 5; i++) await honest();
    await cluster.waitForMesh();
  });

  it('delivers every message type published by one node to all the others', async () => {
    const nodes = cluster.running();
    const block = fx.block(120n);
    const hash = fx.makeCanonical(block);
    const sent: { [K in TopicKind]: TopicMessages[K] } = {
      txs: fx.tx(0, 1, 5n, 0),
      blocks: block,
      rfq: fx.rfq(120n, hash),
      quotes: await fx.quote(120n, hash),
      proofs: fx.proof(120n, hash, 1),
    };
    for (const [i, k] of TOPIC_KINDS.entries()) {
      const r = await nodes[i].publish(k, sent[k] as never);
      assert.ok(r.recipients >= 1, `${k} published to nobody`);
    }
    for (const [i, k] of TOPIC_KINDS.entries()) {
      const want = hex(encodeMessage(k, sent[k] as never));
      for (const [j, n] of nodes.entries()) {
        if (j === i) continue;
        await waitFor(() => inboxes.get(n)![k].some((m) => hex(encodeMessage(k, m as never)) === want), `${k} at node ${j}`);
      }
      assert.equal(inboxes.get(nodes[i])![k].length, 0, 'a publisher does not deliver its own message to itself');
    }
    // The status handshake ran on every connection.
    for (const n of nodes) await waitFor(() => n.peerStatus.size >= 4, 'status handshakes');
    assert.equal(nodes[0].peerStatus.get(nodes[1].peerId)?.headSlot, 120n);
    // Publishing the same content again is a duplicate: nobody gets it twice.
    await nodes[1].publish('txs', sent.txs);
    // A marker published after it on the same links: once it has arrived everywhere, so would have the duplicate.
    const marker = fx.tx(0, 1, 777n, 777);
    const markerHex = hex(encodeMessage('txs', marker));
    await nodes[1].publish('txs', marker);
    for (const [j, n] of nodes.entries()) {
      if (j !== 1) await waitFor(() => inboxes.get(n)!.txs.some((m) => hex(encodeMessage('txs', m as never)) === markerHex), `the marker tx at node ${j}`);
    }
    const original = hex(encodeMessage('txs', sent.txs as never));
    for (const [j, n] of nodes.entries()) {
      if (j !== 0) assert.equal(inboxes.get(n)!.txs.filter((m) => hex(encodeMessage('txs', m as never)) === original).length, 1, `duplicate tx at node ${j}`);
    }
  });

  it('lets a late joiner fetch a missed block and proof by request', async () => {
    const nodes = cluster.running();
    const block = fx.block(121n, 3);
    const hash = fx.makeCanonical(block);
    const proof = fx.proof(121n, hash, 2, 50_000, 0);
    proofs.set(hex(proof.id), proof);
    await nodes[0].publish('blocks', block);
    await nodes[0].publish('proofs', proof);
    await waitFor(() => inboxes.get(nodes[1])!.blocks.some((b) => b.slot === 121n), 'block 121 at node 1');

    const late = await honest();
    await waitFor(() => late.libp2p.getPeers().length >= 5, 'late joiner connected');
    assert.equal(inboxes.get(late)!.blocks.length, 0);
    const got = await late.fetchBlock(nodes[1].peerId, hash);
    assert.ok(got);
    assert.deepEqual(BlockSsz.serialize(got), BlockSsz.serialize(block));
    const p = await late.fetchProof(nodes[0].peerId, hex(proof.id));
    assert.ok(p);
    assert.deepEqual(ProofSsz.serialize(p), ProofSsz.serialize(proof));
    assert.equal(await late.fetchBlock(nodes[2].peerId, '0x' + '11'.repeat(32)), null);
    assert.equal(await late.fetchProof(nodes[2].peerId, '0x' + '22'.repeat(32)), null);
    assert.equal((await late.status(nodes[3].peerId)).headSlot, 120n);
  });

  it('rejects a misbehaving peer: nothing reaches the others, its score drops, it is banned', async () => {
    const honestNodes = cluster.running();
    // The misbehaver is a node like any other, but publishes raw bytes through gossipsub itself.
    const bad = await cluster.add({ validation: fx.context() }, (n) => { for (const k of TOPIC_KINDS) n.subscribe(k, () => {}); });
    await cluster.waitForMesh([...honestNodes, bad]);
    const sentBad = new Set<string>();
    const raw = (k: TopicKind, data: Uint8Array) => { sentBad.add(hex(data)); return bad.pubsub.publish(topicName(k), data); };
    try {
    const block = fx.block(130n);
    const hash = fx.makeCanonical(block);

    await raw('blocks', encodeMessage('blocks', fx.block(5n)));                             // stale slot (ignore)
    await raw('quotes', encodeMessage('quotes', await fx.quote(6n, hash)));                 // stale slot (ignore)
    const badBody = encodeMessage('txs', fx.tx(0, 1, 1n, 0));
    badBody[25] = 1;                                                                        // non-zero padding
    await raw('txs', badBody);                                                              // malformed
    await raw('blocks', new Uint8Array([1, 2, 3, 4, 5]));                                   // malformed
    await raw('txs', new Uint8Array(4096));                                                 // oversized
    await raw('rfq', new Uint8Array(1000));                                                 // oversized
    await raw('txs', encodeMessage('txs', fx.tx(0, 1, 1n, 7, fx.accounts[2])));             // signed by the wrong key
    await raw('quotes', encodeMessage('quotes', await fx.quote(130n, hash, Wallet.createRandom()))); // quote not signed by its prover

    for (const n of honestNodes) {
      await waitFor(() => n.isBanned(bad.peerId), `node ${n.peerId} bans the misbehaver`).catch(async (e) => {
        const rejects = await n.metrics.value(n.metrics.gossip, { outcome: 'reject' });
        throw new Error(`${(e as Error).message}; score ${n.score(bad.peerId)}, rejects ${rejects}, connected ${n.libp2p.getConnections(bad.libp2p.peerId).length}`);
      });
      await waitFor(() => n.libp2p.getConnections(bad.libp2p.peerId).length === 0, 'misbehaver disconnected');
      // banned by the node's own per-message tally as soon as the penalty crosses the threshold (before gossipsub's score catches up)
      assert.ok(await n.metrics.value(n.metrics.bans, { reason: 'invalid-messages' }) + await n.metrics.value(n.metrics.bans, { reason: 'low-score' }) >= 1, 'banned for its invalid messages');
    }
    const counted = async (n: P2PNode, outcome: string, code: string, topic: TopicKind) =>
      n.metrics.value(n.metrics.gossip, { outcome, code, topic: topicName(topic) });
    const n0 = honestNodes[0];
    assert.ok(await counted(n0, 'reject', 'malformed', 'txs') >= 1);
    // banned at its second invalid message: the rest were not even checked
    assert.ok(await counted(n0, 'reject', 'malformed', 'blocks') >= 1);
    let unchecked = 0;
    for (const k of TOPIC_KINDS) unchecked += await counted(n0, 'ignore', 'banned-peer', k);
    assert.ok(unchecked >= 1, 'messages after the ban are ignored unchecked');
    assert.ok(await counted(n0, 'ignore', 'stale-slot', 'blocks') >= 1);
    assert.ok(await n0.metrics.value(n0.metrics.bans, { reason: 'invalid-messages' }) + await n0.metrics.value(n0.metrics.bans, { reason: 'low-score' }) >= 1);
    // None of it reached a handler.
    for (const n of honestNodes) {
      for (const k of TOPIC_KINDS) for (const m of inboxes.get(n)![k]) assert.ok(!sentBad.has(hex(encodeMessage(k, m as never))), `a bad ${k} message was delivered`);
    }
    // A banned peer cannot come back.
    const refused0 = await n0.metrics.value(n0.metrics.connections, { event: 'refused-banned' });
    await bad.libp2p.dial(n0.libp2p.getMultiaddrs()[0]).catch(() => {});
    await waitFor(async () => (await n0.metrics.value(n0.metrics.connections, { event: 'refused-banned' })) > refused0, 'the gate refuses the banned peer');
    assert.equal(n0.libp2p.getConnections(bad.libp2p.peerId).length, 0, 'a banned peer is refused');
    // Everyone is alive: honest traffic still flows.
    await honestNodes[1].publish('blocks', block);
    await waitFor(() => honestNodes.every((n, i) => i === 1 || inboxes.get(n)!.blocks.some((b) => b.slot === 130n)), 'block 130 everywhere');
    } finally {
      await bad.stop();
    }
  });

  it('disconnects a peer of another network after the status handshake', async () => {
    const honestNodes = cluster.running();
    const other = await cluster.add({ validation: fx.context(), providers: { status: () => ({ ...status(120n), chainId: 1n }) } });
    try {
      // Whoever completes the handshake with it bans it; it bans them too, so a node that had not
      // reached it yet may never handshake: what must hold is that no honest node stays connected.
      // (the ban may land on either side first: `other` can finish every handshake, ban and drop the
      // honest nodes before theirs completes)
      const banned = () => honestNodes.some((n) => n.isBanned(other.peerId) || other.isBanned(n.peerId));
      await waitFor(banned, 'wrong-network ban', 30_000);
      await waitFor(() => honestNodes.every((n) => n.libp2p.getConnections(other.libp2p.peerId).length === 0), 'disconnected from every honest node');
      let bans = await other.metrics.value(other.metrics.bans, { reason: 'wrong-network' });
      for (const n of honestNodes) bans += await n.metrics.value(n.metrics.bans, { reason: 'wrong-network' });
      assert.ok(bans >= 1, 'the wrong-network ban is counted');
      for (const n of honestNodes.filter((x) => x.isBanned(other.peerId))) {
        const refusedBefore = await n.metrics.value(n.metrics.connections, { event: 'refused-banned' });
        const dialed = await other.libp2p.dial(n.libp2p.getMultiaddrs()[0]).then(() => true, () => false);
        // If `other` banned n too, its own gate refuses the dial; otherwise n's gate must refuse it.
        if (other.isBanned(n.peerId)) assert.equal(dialed, false, 'a dial to a peer it banned is refused locally');
        else await waitFor(async () => (await n.metrics.value(n.metrics.connections, { event: 'refused-banned' })) > refusedBefore, 'the gate refuses the banned peer');
        assert.equal(n.libp2p.getConnections(other.libp2p.peerId).length, 0, 'a banned peer is refused');
      }
    } finally {
      await other.stop();
    }
  });

  it('restarts with the same data dir: same peer id, rejoins the mesh', async () => {
    const dir = await cluster.dataDir();
    const first = await honest(dir);
    const id = first.peerId;
    await cluster.waitForMesh();
    await first.stop();
    const again = await honest(dir);
    assert.equal(again.peerId, id);
    await cluster.waitForMesh();
    const block = fx.block(140n);
    fx.makeCanonical(block);
    await again.publish('blocks', block);
    const others = cluster.running().filter((n) => n !== again);
    await waitFor(() => others.every((n) => inboxes.get(n)!.blocks.some((b) => b.slot === 140n)), 'block from the restarted node');
  });
});
