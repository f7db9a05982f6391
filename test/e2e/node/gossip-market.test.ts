// Forged market messages are refused, never relayed, never acted on (issue 12, items 1 and 4).
// Real parts: anvil with the protocol (stand-in verifier), two in-process nodes over libp2p on
// 127.0.0.1 — R (a relay: no roles) and Q (answers RFQs with signed quotes; its capacity check
// always says it fits) connected to R only — and peers built from raw libp2p connected to R only:
// H, an honest listener counting what R forwards, and one attacker per forged message (each
// Reject costs its sender its standing, so one attacker per case keeps the cases apart).
// A sequencer wallet proposes and reveals a real block; then:
//  - RFQs that do not match L1 (another tip, a stranger's signature, no signature, another slot,
//    a deadline past the commitment phase, an unknown block) are Rejected / Ignored with their
//    codes, reach neither H nor Q, and Q signs no quote for them;
//  - the sequencer's genuine RFQ, relayed by a raw peer, reaches H and Q, and Q's quote goes point
//    to point to the node the RFQ names (R here, on quote/1), never on gossip (no node joins a quotes topic);
//  - a validly signed quote of an unfunded prover sent to R on quote/1 is refused (unfunded-prover), no blame;
//  - the genuine RFQ replayed after R's gossip seen-cache expired is Ignored (`duplicate`), not
//    relayed to a listener that never saw it;
//  - the blocks topic, which no node consumes, is not joined.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet, getBytes, type Signer } from 'ethers';
import { blockHash as l1BlockHash, signQuote, signRfq } from '../../../node/l1/block.js';
import { SidecarNode } from '../../../node/node.js';
import { decodeMessage, encodeMessage, fromHex, hex, messageId, quoteOf, topicName, type QuoteMsg, type RfqMsg } from '../../../node/p2p/index.js';
import { makeL2 } from '../../helpers/l2.js';
import { waitFor } from '../../helpers/p2p.js';
import { useProtocol } from '../../helpers/protocol.js';
import { rawPeer } from '../../helpers/raw-peer.js';

const E18 = 10n ** 18n;
const RFQ = topicName('rfq');
const l2 = await makeL2(4);
const genesis = l2.keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 1_000_000n }));
const fx = await useProtocol({
  params: { genesisRoot: l2.genesisRoot, proposalBlocks: 2, revealBlocks: 2, commitBlocks: 16, provingBlocks: 100, submissionBlocks: 8, reorgWindow: 8, activationDelay: 1 },
  accounts: 4,
});
const [admin, seq, qClient, rClient] = fx.clients;
const d = fx.deployment;
const root = mkdtempSync(path.join(os.tmpdir(), 'sidecar-gossip-market-'));
const nodes: SidecarNode[] = [];
after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  rmSync(root, { recursive: true, force: true });
});

const SEEN_TTL_MS = 1500;
const p2p = (bootstrap: string[]) => ({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, heartbeatMs: 100, ipColocationWeight: 0, seenTtlMs: SEEN_TTL_MS, connections: { maxPerIp: 48 } });
const R = await SidecarNode.start({ dataDir: path.join(root, 'R'), roles: [], client: rClient, genesis, pollMs: 100, confirmations: 1, p2p: p2p([]) });
nodes.push(R);
const Q = await SidecarNode.start({ dataDir: path.join(root, 'Q'), roles: [], client: qClient, genesis, pollMs: 100, confirmations: 1, p2p: p2p([R.p2p!.addrs[0]]) });
nodes.push(Q);
Q.market!.enableQuoting({ baseFee: E18 / 10n, deposit: d.config.minProverDeposit, fits: () => ({ ok: true, needMs: 0, haveMs: 1, active: 0, proveMs: 0 }) });
const sees = (n: SidecarNode, peer: string, topic: string) => n.p2p!.pubsub.getSubscribers(topic).map(String).includes(peer);
await waitFor(() => [RFQ].every((t) => sees(Q, R.p2p!.peerId, t) && sees(R, Q.p2p!.peerId, t)), 'the market mesh R-Q');
const atR = [{ addr: R.p2p!.addrs[0], peerId: R.p2p!.peerId }];
const H = await rawPeer(atR, ['rfq']);
const utf8 = new TextEncoder();
const served = (outcome: string) => R.p2p!.metrics.value(R.p2p!.metrics.reqresp, { protocol: 'quote/1', side: 'server', outcome });

const gossip = (topic: string, outcome: string, code = '') => R.p2p!.metrics.value(R.p2p!.metrics.gossip, { topic, outcome, code });
const rfqMsg = async (signer: Signer | typeof seq | undefined, over: Partial<Omit<RfqMsg, 'signature'>> & { blockHash?: Uint8Array }, base: Omit<RfqMsg, 'signature'>): Promise<Uint8Array> => {
  const m = { ...base, ...over };
  const dec = new TextDecoder();
  const terms = { slot: m.slot, blockHash: hex(m.blockHash), tip: m.tip, deposit: m.deposit, quoteDeadlineBlock: m.quoteDeadlineBlock, peer: dec.decode(m.peer), addrs: m.addrs.map((a) => dec.decode(a)) };
  let sig: Uint8Array = new Uint8Array(65);
  if (signer && 'signRfq' in signer) sig = getBytes(await signer.signRfq(terms));
  else if (signer) sig = getBytes(await signRfq(signer, d.chainId, d.sidecar, terms));
  return encodeMessage('rfq', { ...m, signature: sig });
};

let slot = 0n;
let genuine: Uint8Array = new Uint8Array(0);

test('RFQs that do not match L1 are refused with their codes, relayed to nobody, and get no quote; the revealer\'s RFQ is relayed and quoted', { timeout: 180_000 }, async () => {
  await seq.stake(1000n * E18);
  await fx.mine(2);
  slot = (await admin.currentSlot()) + 1n;
  const block = l2.buildBlock(slot, 1);
  await fx.nextTxAt(slot, 'proposalStart');
  await seq.propose(slot, block, 1n * E18, 2000);
  await fx.nextTxAt(slot, 'revealStart');
  await seq.reveal(block);
  const blockHash = l1BlockHash(block).toLowerCase();
  await waitFor(async () => Boolean((await R.chain.blockByHash(blockHash)) && (await Q.chain.blockByHash(blockHash))), 'R and Q see the revealed block', 30_000);
  const t = await admin.slotTiming(slot);
  // quotes for this RFQ go to R (its peer id and address are in the signed RFQ)
  const base = {
    slot, blockHash: fromHex(blockHash, 32), tip: 1n * E18, deposit: d.config.minProverDeposit, quoteDeadlineBlock: BigInt(t.commitEnd - 1),
    peer: utf8.encode(R.p2p!.peerId), addrs: [utf8.encode(R.p2p!.addrs[0])],
  };
  const stranger = Wallet.createRandom();

  const cases: { what: string; data: Uint8Array; outcome: 'reject' | 'ignore'; code: string }[] = [
    { what: 'a higher tip than the one escrowed', data: await rfqMsg(stranger, { tip: 5n * E18 }, base), outcome: 'reject', code: 'wrong-terms' },
    { what: 'the right terms signed by a stranger', data: await rfqMsg(stranger, {}, base), outcome: 'reject', code: 'bad-signature' },
    { what: 'the right terms, unsigned', data: await rfqMsg(undefined, {}, base), outcome: 'reject', code: 'bad-signature' },
    { what: 'the revealer\'s signature on another slot', data: await rfqMsg(seq, { slot: slot + 1n }, base), outcome: 'reject', code: 'wrong-slot' },
    { what: 'a deadline past the commitment phase', data: await rfqMsg(seq, { quoteDeadlineBlock: BigInt(t.commitEnd) }, base), outcome: 'reject', code: 'wrong-terms' },
    { what: 'below the minimum deposit', data: await rfqMsg(seq, { deposit: d.config.minProverDeposit - 1n }, base), outcome: 'reject', code: 'wrong-terms' },
    { what: 'a block nobody revealed', data: await rfqMsg(seq, { blockHash: new Uint8Array(32).fill(0x5a) }, base), outcome: 'ignore', code: 'unknown-block' },
  ];
  for (const c of cases) {
    const a = await rawPeer(atR, ['rfq']);
    const before = await gossip(RFQ, c.outcome, c.code);
    assert.ok(await a.publish('rfq', c.data) >= 1, `${c.what}: reached R`);
    await waitFor(async () => (await gossip(RFQ, c.outcome, c.code)) === before + 1, `R: ${c.what} -> ${c.outcome} ${c.code}`, 15_000);
  }
  assert.equal(await gossip(RFQ, 'accept'), 0, 'no forged RFQ accepted');
  assert.equal(H.received.get('rfq')!.length, 0, 'R relayed no forged RFQ');
  assert.equal(Q.market!.stats.quotesSent + Q.market!.stats.quotesDeclined, 0, 'Q never even considered a forged RFQ');

  // the sequencer's own RFQ, relayed by someone else: accepted, relayed, quoted
  genuine = await rfqMsg(seq, {}, base);
  const relay = await rawPeer(atR, ['rfq']);
  await relay.publish('rfq', genuine);
  await waitFor(() => H.received.get('rfq')!.length === 1, 'H got the genuine RFQ from R');
  assert.equal(hex(H.received.get('rfq')![0].data), hex(genuine));
  await waitFor(() => Q.market!.stats.quotesSent === 1, 'Q quoted the genuine RFQ', 30_000);
  assert.equal(Q.market!.stats.quotesSent, 1, 'one quote, for the genuine RFQ only');
  assert.equal(await served('ok'), 1, 'Q\'s quote reached R point to point (quote/1) and passed its checks (a funded prover)');
  assert.ok(!R.p2p!.topics.includes('quotes') && !Q.p2p!.topics.includes('quotes'), 'no node joins a quotes gossip topic: nobody can read and undercut a quote');
});

test('a validly signed quote of an unfunded prover, sent point to point, is refused without blame', async () => {
  assert.ok(slot > 0n, 'runs after the first test');
  const t = await admin.slotTiming(slot);
  const poor = Wallet.createRandom();
  const blockHash = hex(decodeMessage('rfq', genuine).blockHash);
  const q = { slot, blockHash: fromHex(blockHash, 32), sequencer: fromHex(poor.address, 20), prover: fromHex(poor.address, 20), fee: E18 / 100n, deposit: d.config.minProverDeposit, proverFundsDeposit: true, validUntilBlock: BigInt(t.commitEnd - 1) };
  const msg: QuoteMsg = { ...q, signature: getBytes(await signQuote(poor, d.chainId, d.sidecar, quoteOf(q))) };
  const before = await served('bad-request');
  await assert.rejects(Q.p2p!.requestAt(R.p2p!.peerId, R.p2p!.addrs, 'quote/1', encodeMessage('quotes', msg)),
    (e: unknown) => (e as { code?: string }).code === 'bad-request');
  assert.equal(await served('bad-request'), before + 1, 'R refused it on quote/1 (unfunded-prover: its market check)');
  assert.equal(await R.market!.check.checkQuote(msg).then((v) => v.result === 'accept' ? 'accept' : v.code), 'unfunded-prover', 'the refusal is the funding check');
  assert.ok(!R.p2p!.isBanned(Q.p2p!.peerId), 'no blame: funding can change');
});

test('the genuine RFQ replayed after R\'s gossip seen-cache expired is Ignored as a duplicate and relayed to nobody', async () => {
  assert.ok(genuine.length > 0, 'runs after the first test');
  const id = Buffer.from(messageId(RFQ, genuine)).toString('hex');
  const seenCache = (R.p2p!.pubsub as unknown as { seenCache: { has(id: string): boolean } }).seenCache;
  await waitFor(() => !seenCache.has(id), 'R\'s gossipsub forgot the RFQ (seen-cache TTL)', 10 * SEEN_TTL_MS);
  assert.ok(R.seen!.has(id), 'R\'s own record still holds it (its slot is current)');
  const fresh = await rawPeer(atR, ['rfq']); // never saw it: it would count a relay
  const replayer = await rawPeer(atR, ['rfq']);
  const before = await gossip(RFQ, 'ignore', 'duplicate');
  assert.ok(await replayer.publish('rfq', genuine) >= 1, 'the replay reached R');
  await waitFor(async () => (await gossip(RFQ, 'ignore', 'duplicate')) === before + 1, 'R ignoring the replay');
  // R's verdict is final: a relay would have gone out with an Accept
  assert.equal(fresh.received.get('rfq')!.length, 0, 'R relayed nothing to a listener that never saw it');
  assert.equal(await gossip(RFQ, 'accept'), 1, 'accepted once, ever');
  assert.equal(Q.market!.stats.quotesSent, 1, 'Q did not quote again');
});

test('the blocks topic is not joined: subscriptions to it are not even tracked', async () => {
  const BLOCKS = topicName('blocks');
  assert.ok(!R.p2p!.pubsub.getTopics().includes(BLOCKS), 'R does not subscribe to blocks');
  assert.ok(!R.p2p!.topics.includes('blocks'));
  const b = await rawPeer(atR, ['blocks', 'rfq'], { waitFor: ['rfq'] });
  assert.ok(!R.p2p!.pubsub.getSubscribers(BLOCKS).map(String).includes(b.peerId), 'R ignores a peer\'s subscription to blocks');
  assert.equal(await b.publish('blocks', new Uint8Array(64)), 0, 'nobody to send a block to');
  assert.throws(() => R.p2p!.subscribe('blocks', () => {}), /does not join the blocks topic/);
  assert.equal(await R.p2p!.metrics.value(R.p2p!.metrics.gossip, { topic: BLOCKS }), 0, 'no blocks message validated');
});
