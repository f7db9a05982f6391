// Outside marketplaces in the RFQ through the relay API (issue 17). Real parts: anvil with the
// protocol (stand-in L1 verifier; the proof itself is a real single_1 proof from bb.js), LevelDB,
// in-process nodes over libp2p on 127.0.0.1, HTTP servers on 127.0.0.1:
//  - S, the RFQ sequencer (no prover), configured with four relays: `good` = `sidecar relay` run
//    as a child process (the CLI), `stall` (takes the RFQ, never answers; a 60 s timeout, so only
//    the RFQ's close ends the wait), `forged` (answers at once with four forged quotes cheaper
//    than any honest one), `down` (nothing listens on its port from the start);
//  - P, a p2p prover (answers gossiped RFQs over quote/1, fee 0.5 token);
//  - RP, a prover + submitter node on no p2p mesh (nobody dials it: no inbound connectivity)
//    serving the `good` relay (registers, long-polls, posts signed quotes; fee 0.1 token).
// Block 1: S gets P's quote over p2p and RP's through the relay, picks RP's (cheapest valid),
// commits it in the commitment phase although `stall` never answered; the forged quotes are
// refused by the same checks as p2p quotes and counted per fault code; every quote's channel is
// in the log, the metrics, GET /market and the dashboard state. RP proves the block (real proof)
// and L1 marks it proven. Blocks 2 and 3 (no prover answers them: no commitment): the three bad
// relays are dropped after their second faulty RFQ (a log line with the reason) and get no third.
// The relays got the RFQ only after L1 had the reveal; an RFQ for a block not revealed on L1
// goes to no relay. One cluster for every case.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { WorldState, signTx } from '../../../circuits/l2/index.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import { proofEncoder } from '../../../node/cli/run-node.js';
import { SidecarNode } from '../../../node/node.js';
import { topicName } from '../../../node/p2p/index.js';
import { parseMetric, useNodeFiles } from '../../helpers/node-process.js';
import { waitFor } from '../../helpers/p2p.js';
import { useProtocol } from '../../helpers/protocol.js';
import { downRelayPort, lyingRelay, relayProcess, stallingRelay } from '../../helpers/relays.js';

const E18 = 10n ** 18n;
const keys = devnetL2Keys(4);
const genesis = devnetGenesis(keys, 1000n);
const fx = await useProtocol({
  accounts: 4,
  params: { genesisRoot: (await WorldState.create(genesis)).root(), proposalBlocks: 2, revealBlocks: 4, commitBlocks: 4, provingBlocks: 600, submissionBlocks: 8, earlyProofs: true, reorgWindow: 8, activationDelay: 1 },
});
const [, sClient, pClient, rpClient] = fx.clients;
const d = fx.deployment;
const domain = { chainId: BigInt(d.chainId), verifyingContract: d.sidecar };
const root = mkdtempSync(path.join(os.tmpdir(), 'sidecar-relay-market-'));
const { depFile } = useNodeFiles('sidecar-relay-market-files-', d, genesis);
const nodes: SidecarNode[] = [];

// S's log lines, to read what the operator reads
const sLines: Record<string, unknown>[] = [];
const sLog = pino({ level: 'info', base: undefined }, new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) sLines.push(JSON.parse(l)); cb(); } }));

const good = await relayProcess(['--deployment-file', depFile, '--name', 'good']);
const stall = await stallingRelay();
const forged = await lyingRelay(domain, fx.wallets[3].address);
const downUrl = `http://127.0.0.1:${await downRelayPort()}`;
after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await Promise.allSettled([good.stop(), stall.close(), forged.close()]);
  rmSync(root, { recursive: true, force: true });
});

let proposals = 0;
const p2p = (bootstrap: string[]) => ({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, heartbeatMs: 100, ipColocationWeight: 0, connections: { maxPerIp: 48 } });
const S = await SidecarNode.start({
  dataDir: path.join(root, 'S'), roles: ['sequencer'], client: sClient, genesis, pollMs: 100, confirmations: 1, log: sLog,
  api: { host: '127.0.0.1', port: 0 },
  sequencer: { tip: E18, rewardShareBps: 2000, maxTxs: 1, deposit: d.config.minProverDeposit, selfProve: false, policy: { mayPropose: () => proposals > 0 } },
  p2p: {
    ...p2p([]), rfq: true, relayScoring: { cooldownMs: 10 * 60_000 },
    relays: [
      { name: 'good', url: good.url, timeoutMs: 5000 },
      { name: 'stall', url: stall.url, timeoutMs: 60_000 },
      { name: 'forged', url: forged.url, timeoutMs: 3000 },
      { name: 'down', url: downUrl, timeoutMs: 1000 },
    ],
  },
});
nodes.push(S);
let pQuiet = false;
const P = await SidecarNode.start({ dataDir: path.join(root, 'P'), roles: [], client: pClient, genesis, pollMs: 100, confirmations: 1, p2p: p2p([S.p2p!.addrs[0]]) });
nodes.push(P);
P.market!.enableQuoting({ baseFee: E18 / 2n, deposit: d.config.minProverDeposit, fits: () => ({ ok: true, needMs: 0, haveMs: 1, active: 0, proveMs: 0 }), paused: () => (pQuiet ? 'told to stay quiet by the test' : undefined) });
const RP = await SidecarNode.start({
  dataDir: path.join(root, 'RP'), roles: ['prover', 'submitter'], client: rpClient, genesis, pollMs: 100, confirmations: 1,
  prover: { workers: 1, threads: 1, crs: { dev: true } }, encodeProof: proofEncoder(d, rpClient, { SIDECAR_DEV_VERIFIER_KEY: fx.deployer.privateKey }),
  p2p: { ...p2p([]), quote: { baseFee: E18 / 10n, deposit: d.config.minProverDeposit }, serveRelays: [good.url], relayPollWaitMs: 5000 },
});
nodes.push(RP);
await waitFor(() => S.p2p!.pubsub.getSubscribers(topicName('rfq')).map(String).includes(P.p2p!.peerId) && P.p2p!.pubsub.getSubscribers(topicName('rfq')).map(String).includes(S.p2p!.peerId), 'P and S in the RFQ mesh', 30_000);
await waitFor(() => RP.relayLink!.registered.get(good.url) === true, 'RP registered with the good relay', 30_000);
assert.equal(RP.p2p!.libp2p.getPeers().length, 0, 'RP is on no p2p mesh: its quotes can only come through the relay');

const metric = async (name: string, labels: Record<string, string>) => parseMetric(await S.metrics.text(), name, labels) ?? 0;
const rfqRecords = () => S.market!.history.filter((r) => r.kind === 'rfq');
let slot1 = 0;
let tx = 0;

/** One more block from S: a tx in, proposals allowed until S has a block past `n` RFQs. */
async function nextBlock(n: number): Promise<void> {
  await S.submitTx(signTx({ from: tx, to: (tx + 1) % 4, amount: 1n, nonce: 0 }, keys[tx].secretKey));
  tx++;
  proposals = 1;
  await waitFor(() => rfqRecords().length >= n, `S's RFQ #${n} closed`, 120_000);
  proposals = 0;
}

before(async () => {
  await fx.provider.send('evm_setIntervalMining', [1]);
});

test('block 1: quotes from p2p and the relay; the relay\'s prover is the cheapest valid and is committed in phase; stalled, forged and down relays counted', { timeout: 300_000 }, async () => {
  await nextBlock(1);
  const rec = rfqRecords()[0];
  assert.equal(rec.kind, 'rfq');
  slot1 = rec.slot;
  assert.deepEqual(rec.channels, { 'p2p': 1, 'relay:good': 1 }, `one quote per honest channel: ${JSON.stringify(rec)}`);
  assert.equal(rec.acceptable, 2, 'the forged ones never got in');
  assert.equal(rec.channel, 'relay:good');
  assert.equal(rec.winner?.toLowerCase(), RP.address.toLowerCase(), 'RP, the cheapest valid quote');
  // committed in the commitment phase with RP's quote (L1 refuses a commitment outside it)
  await waitFor(async () => (await sClient.getBlock(slot1)).prover.toLowerCase() === RP.address.toLowerCase(), 'L1: RP committed for block 1', 60_000);
  await waitFor(() => S.events.some((e) => e.type === 'committed' && e.slot === slot1), 'S\'s committed event', 30_000);
  const committed = S.events.find((e) => e.type === 'committed' && e.slot === slot1);
  assert.ok(committed && committed.type === 'committed');
  const t = await sClient.slotTiming(slot1);
  assert.ok(committed.l1Block >= t.commitStart && committed.l1Block < t.commitEnd, `commitment at L1 block ${committed.l1Block}, phase ${t.commitStart}..${t.commitEnd - 1}`);
  assert.equal(stall.received.length, 1, 'the stalling relay got the RFQ and never answered');

  // the relays learnt the block hash from the RFQ only, sent after L1 had the reveal
  const revealed = S.events.find((e) => e.type === 'revealed' && e.slot === slot1)!;
  assert.ok(stall.receivedAt[0] >= revealed.at && forged.receivedAt[0] >= revealed.at, 'no relay got the RFQ before S saw its reveal mined');
  assert.equal(stall.received[0].blockHash, (await sClient.getBlock(slot1)).blockHash.toLowerCase());

  // counted: per channel, per relay, per fault code
  assert.equal(await metric('sidecar_market_quotes_total', { channel: 'relay:good', outcome: 'collected' }), 1);
  assert.equal(await metric('sidecar_market_quotes_total', { channel: 'p2p', outcome: 'collected' }), 1);
  assert.equal(await metric('sidecar_market_quotes_total', { channel: 'relay:forged', outcome: 'refused' }), 2, 'bad signature and unfunded prover: refused by the one quote path');
  assert.equal(await metric('sidecar_market_quotes_won_total', { channel: 'relay:good' }), 1);
  for (const code of ['bad-signature', 'unfunded-prover', 'wrong-block', 'wrong-sequencer']) assert.equal(await metric('sidecar_relay_faults_total', { relay: 'forged', code }), 1, `forged: ${code}`);
  await waitFor(async () => (await metric('sidecar_relay_faults_total', { relay: 'stall', code: 'timeout' })) === 1, 'the stall relay counted as a timeout');
  assert.equal(await metric('sidecar_relay_faults_total', { relay: 'down', code: 'unreachable' }), 1);
  assert.equal(await metric('sidecar_relay_requests_total', { relay: 'good', outcome: 'ok' }), 1);
  assert.ok(sLines.some((l) => l.msg === 'RFQ closed' && l.channel === 'relay:good' && (l.channels as Record<string, number>)['p2p'] === 1), 'the RFQ closed line names the winner\'s channel');
  const stallFault = sLines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('relay stall:'));
  assert.match(String((stallFault?.faults as string[] | undefined)?.[0]), /timeout: no answer before the RFQ closed/, 'the RFQ\'s close, not the 60 s timeout, ended the wait');

  // the operator's view: node API and dashboard state
  const m = await (await fetch(`${S.api!.url}/market`)).json() as { relays: { name: string; score: number; admitted: boolean }[]; history: { kind: string; channel?: string; channels?: Record<string, number> }[] };
  assert.equal(m.history.find((r) => r.kind === 'rfq')?.channel, 'relay:good');
  assert.deepEqual(m.relays.map((r) => [r.name, r.score, r.admitted]), [['good', 1, true], ['stall', -2, true], ['forged', -3, true], ['down', -2, true]]);
  const dash = await (await fetch(`${S.api!.url}/dashboard/state`)).json() as { market: { history: { channel?: string }[]; relays: unknown[] } };
  assert.equal(dash.market.history[0].channel, 'relay:good');
  assert.equal(dash.market.relays.length, 4);
  const rpMarket = RP.market!.history.find((r) => r.kind === 'quote' && r.slot === slot1 && r.fee !== undefined);
  assert.equal(rpMarket?.kind === 'quote' && rpMarket.channel, `relay:${good.url}`, 'RP notes where its quote went');
});

test('blocks 2 and 3: the stalled, forged and down relays are dropped after their second faulty RFQ and get no third', { timeout: 300_000 }, async () => {
  assert.ok(slot1 > 0, 'runs after block 1');
  pQuiet = true;
  await RP.relayLink!.stop(); // nobody answers: no commitment, no second proof to make
  await nextBlock(2);
  for (const r of ['stall', 'forged', 'down']) {
    await waitFor(async () => (await metric('sidecar_relay_admitted', { relay: r })) === 0, `${r} dropped`, 30_000);
    const line = sLines.find((l) => typeof l.msg === 'string' && l.msg.startsWith(`relay ${r} dropped:`));
    assert.ok(line, `a log line says why ${r} was dropped`);
    assert.ok(typeof line.code === 'string' && typeof line.readmitAt === 'string');
  }
  assert.equal(await metric('sidecar_relay_admitted', { relay: 'good' }), 1, 'an empty answer in time is no fault');
  await nextBlock(3);
  assert.equal(stall.received.length, 2, 'no third RFQ to the dropped stalling relay');
  assert.equal(forged.received.length, 2, 'no third RFQ to the dropped lying relay');
  assert.equal(await metric('sidecar_relay_requests_total', { relay: 'down', outcome: 'dropped' }), 1);
  assert.equal(await metric('sidecar_relay_requests_total', { relay: 'down', outcome: 'fault' }), 1, 'two RFQs to the down relay, none after');
  assert.equal(await metric('sidecar_relay_requests_total', { relay: 'good', outcome: 'ok' }), 3);
  assert.equal(await metric('sidecar_relay_faults_total', { relay: 'good' }), 0, 'the good relay never faulted (its answers fit the schema, every RFQ fits its schema)');
  const rec = rfqRecords();
  assert.deepEqual(Object.keys(rec[2].kind === 'rfq' ? rec[2].relays ?? {} : {}), ['relay:good']);
});

test('an RFQ for a block not revealed on L1 goes to no relay', { timeout: 60_000 }, async () => {
  const asked = stall.received.length + forged.received.length;
  const head = await sClient.blockNumber();
  const got = await S.market!.requestQuote(slot1 + 50, `0x${'77'.repeat(32)}`, E18, head + 1);
  assert.equal(got, undefined);
  assert.equal(stall.received.length + forged.received.length, asked, 'no relay learnt the hash');
  assert.ok(sLines.some((l) => typeof l.msg === 'string' && l.msg.includes('the RFQ goes to no relay')));
});

test('the relay\'s prover proves block 1 (a real single_1 proof) and L1 marks it proven', { timeout: 600_000 }, async () => {
  assert.ok(slot1 > 0, 'runs after block 1');
  await waitFor(async () => (await sClient.blockStatus(slot1)) === 'Proven', 'block 1 proven on L1', 540_000);
  assert.ok(RP.events.some((e) => e.type === 'proved' && e.slot === slot1 && e.circuit === 'single_1'), 'RP proved it itself');
  const st = await (await fetch(`${good.url}/v1/status`)).json() as { rfqs: number; quotes: number; provers: number };
  assert.equal(st.provers, 1);
  assert.equal(st.rfqs, 3, 'the good relay got every RFQ of a revealed block');
  assert.equal(st.quotes, 1, 'one quote, RP\'s for block 1');
});
