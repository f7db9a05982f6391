// A burst from misbehaving peers does not split the network (issue 12, item 2). Three honest
// nodes A, B, C on 127.0.0.1 (full mesh, the checks of an honest node: tx signatures against known
// keys, quote signatures, a node validator over nonces) and attackers built from raw libp2p,
// connected to A only, each sending its whole burst at once:
//  - 10,000 txs of known senders with random signatures, and 10,000 quotes with random
//    signatures: Rejected, each sender banned at its second and disconnected, the rest unread;
//  - validly signed txs with nonces far ahead (Ignored, never a ban): the txs gate's per-peer
//    budget drops most of them unchecked.
// Afterwards the honest links A-B, A-C, B-C are all up, and an honest tx crosses the mesh.
// And a peer whose messages only ever overflow its gate budget (each Ignored after a slow check,
// never Rejected) is banned for flooding once it is more than two budgets over.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeTxBody } from '../../../circuits/l2/index.js';
import { P2PNode, encodeMessage, fromHex, ignore, topicName, txStateChecks } from '../../../node/p2p/index.js';
import { Fixtures } from '../../helpers/p2p-fixtures.js';
import { useP2PCluster, waitFor } from '../../helpers/p2p.js';
import { rawPeer, type RawPeer } from '../../helpers/raw-peer.js';

const fx = await Fixtures.create();
const cluster = useP2PCluster();
const TXS = topicName('txs');
const QUOTES = topicName('quotes');
const state = txStateChecks((i) => (fx.accounts[i] ? { publicKey: fx.accounts[i].publicKey, balance: 10n ** 9n, nonce: 0 } : undefined));
const got = new Map<string, Set<string>>();
const setup = (n: P2PNode) => {
  got.set(n.peerId, new Set());
  n.addValidator('txs', state.validator);
  n.subscribe('txs', (_t, info) => { got.get(n.peerId)!.add(info.msgId); });
  n.subscribe('quotes', () => {});
};
// signatures in their own thread, as a node runs them
const opts = { validation: { ...fx.context(), txPublicKey: state.txPublicKey }, signatureThread: true };
const connected = (n: P2PNode, m: P2PNode) => n.libp2p.getPeers().map(String).includes(m.peerId);
const gossip = (n: P2PNode, topic: string, outcome: string, code?: string) => n.metrics.value(n.metrics.gossip, { topic, outcome, ...(code !== undefined ? { code } : {}) });

/** Publishes every message at once; resolves with how many reached at least one peer. */
async function burst(p: RawPeer, kind: 'txs' | 'quotes', msgs: Uint8Array[]): Promise<number> {
  const r = await Promise.all(msgs.map((m) => p.publish(kind, m).catch(() => 0)));
  return r.filter((x) => x > 0).length;
}

describe('p2p under a burst of 10,000 messages (real nodes on 127.0.0.1)', () => {
  it('bans and disconnects the flood\'s senders, keeps every honest link, and honest txs still cross', { timeout: 180_000 }, async () => {
    const A = await cluster.add(opts, setup);
    const B = await cluster.add(opts, setup);
    const C = await cluster.add(opts, setup);
    await cluster.waitForMesh([A, B, C], ['txs', 'quotes']);
    const at = [{ addr: A.addrs[0], peerId: A.peerId }];
    const badTxs = await rawPeer(at, ['txs']);
    const badQuotes = await rawPeer(at, ['quotes']);
    const ignored = await rawPeer(at, ['txs']);

    const txJunk = Array.from({ length: 10_000 }, (_, i) => encodeMessage('txs', {
      body: encodeTxBody({ from: i % 4, to: (i + 1) % 4, amount: BigInt(i + 1), nonce: i % 50 }), signature: randomBytes(64),
    }));
    const quoteJunk = Array.from({ length: 10_000 }, () => encodeMessage('quotes', {
      slot: 200n, blockHash: randomBytes(32), sequencer: fromHex(fx.prover.address, 20), prover: fromHex(fx.prover.address, 20), fee: 1n, deposit: 1n, proverFundsDeposit: true, validUntilBlock: 500n, signature: randomBytes(65),
    }));
    const farAhead = Array.from({ length: 300 }, (_, i) => encodeMessage('txs', fx.tx(3, 0, 1n, 10_000 + i)));

    const sent = await Promise.all([burst(badTxs, 'txs', txJunk), burst(badQuotes, 'quotes', quoteJunk), burst(ignored, 'txs', farAhead)]);
    assert.ok(sent[0] > 0 && sent[1] > 0 && sent[2] > 0, `every burst reached A (${sent.join(', ')})`);

    // the rejected floods' senders: banned and disconnected
    for (const p of [badTxs, badQuotes]) {
      await waitFor(() => A.isBanned(p.peerId), 'A banning a flood sender', 30_000);
      await waitFor(() => !p.connectedTo(A.peerId), 'the flood sender disconnected', 30_000);
    }
    await waitFor(async () => (await gossip(A, TXS, 'ignore', 'nonce-too-far')) + (await gossip(A, TXS, 'ignore', 'peer-budget')) >= 300, 'A done with the far-ahead txs', 60_000);
    // a Reject is work done: at most two per banned sender; the rest were never even checked
    assert.ok((await gossip(A, TXS, 'reject')) <= 2, 'at most two rejected txs');
    assert.ok((await gossip(A, QUOTES, 'reject')) <= 2, 'at most two rejected quotes');
    assert.ok((await gossip(A, TXS, 'ignore', 'peer-budget')) > 0, 'the txs gate dropped some of the far-ahead flood unchecked');
    assert.ok(!A.isBanned(ignored.peerId), 'Ignored messages are no ground for a ban');
    assert.equal(await gossip(B, TXS, 'accept') + await gossip(C, TXS, 'accept'), 0, 'nothing of the floods reached B or C');

    // every honest link survived
    assert.ok(connected(A, B) && connected(A, C) && connected(B, C), 'A-B, A-C, B-C are up');
    // and honest traffic crosses: C publishes, A and B deliver it
    const { msgId } = await C.publish('txs', fx.tx(0, 1, 7n, 1));
    await waitFor(() => got.get(A.peerId)!.has(msgId) && got.get(B.peerId)!.has(msgId), 'C\'s tx delivered by A and B', 30_000);
  });

  it('a peer that overflows its gate budget far over (messages Ignored after a slow check) is banned for flooding; the honest link stays', { timeout: 120_000 }, async () => {
    // every RFQ costs D a 20 ms check that ends in Ignore: no Reject, so only the flood rule can stop the sender
    const slow = (n: P2PNode) => n.addValidator('rfq', async () => { await new Promise((r) => setTimeout(r, 20)); return ignore('busy'); });
    const D = await cluster.add({ bootstrap: [] }, (n) => { slow(n); n.subscribe('rfq', () => {}); });
    const E = await cluster.add({ bootstrap: [D.addrs[0]] }, (n) => n.subscribe('rfq', () => {}));
    await cluster.waitForMesh([D, E], ['rfq']);
    const flooder = await rawPeer([{ addr: D.addrs[0], peerId: D.peerId }], ['rfq']);
    const rfqs = Array.from({ length: 2000 }, (_, i) => encodeMessage('rfq', { ...fx.rfq(200n + BigInt(i), `0x${'11'.repeat(32)}`) }));
    await Promise.all(rfqs.map((m) => flooder.publish('rfq', m).catch(() => 0)));
    await waitFor(() => D.isBanned(flooder.peerId), 'D banning the flooder', 30_000);
    await waitFor(() => !flooder.connectedTo(D.peerId), 'the flooder disconnected');
    assert.equal(await D.metrics.value(D.metrics.bans, { reason: 'flood' }), 1);
    assert.equal(await gossip(D, topicName('rfq'), 'reject'), 0, 'nothing was invalid: the flood alone got it banned');
    assert.ok(connected(D, E), 'the honest link D-E is up');
  });
});
