// Garbage proofs on gossip cannot get an honest prover slashed (issue 18). Real parts: anvil, the
// protocol with the generated UltraHonk verifier of single_1 behind HonkVerifierRouter (INSECURE
// dev CRS), two in-process nodes over libp2p on 127.0.0.1 — P (prover + submitter) and S
// (submitter only, verifying with a verify thread of its own) — and peers built from raw libp2p:
// H, an honest listener connected to S only (it counts what S forwards), and attackers connected
// to S only. The attack: while P proves, attacker A0 publishes a "final proof" for the canonical
// block with a 1-byte proof, no public inputs and the job id anyone computes from the block
// hash; sybils flood S with junk proofs that carry the right public inputs (so only bb can tell),
// once when P starts and again the moment P publishes its real proof. Before the fix S took the
// garbage into its proof book, forwarded it to P, P's own proof was then refused by P's book, and
// both submitters sent the garbage to L1 over and over (InvalidProof) until the block was slashed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { proofEncoder } from '../../../node/cli/run-node.js';
import { SidecarNode } from '../../../node/node.js';
import { PROOF_KIND, decodeMessage, encodeMessage, fromHex, hex, topicName, type ProofMsg } from '../../../node/p2p/index.js';
import { rollupPlan } from '../../../prover/index.js';
import { makeL2 } from '../../helpers/l2.js';
import { useP2PCluster, waitFor } from '../../helpers/p2p.js';
import { useProtocol } from '../../helpers/protocol.js';
import { rawPeer, type RawPeer } from '../../helpers/raw-peer.js';

const E18 = 10n ** 18n;
const PROOFS = topicName('proofs');
const l2 = await makeL2(4);
const genesis = l2.keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 1_000_000n }));
const fx = await useProtocol({
  params: {
    genesisRoot: l2.genesisRoot, proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 600, submissionBlocks: 8,
    earlyProofs: true, reorgWindow: 8, activationDelay: 1,
  },
  accounts: 4,
  honkCircuits: ['single_1'],
});
const [admin, seq, pClient, sClient] = fx.clients;
const root = mkdtempSync(path.join(os.tmpdir(), 'sidecar-gossip-proofs-'));
const nodes: SidecarNode[] = [];
after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  rmSync(root, { recursive: true, force: true });
});

const p2p = (bootstrap: string[]) => ({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, heartbeatMs: 100, ipColocationWeight: 0, connections: { maxPerIp: 48 } });
const P = await SidecarNode.start({
  dataDir: path.join(root, 'P'), roles: ['prover', 'submitter'], client: pClient, genesis, pollMs: 100, confirmations: 1,
  prover: { workers: 1, threads: 1, crs: { dev: true } }, encodeProof: proofEncoder(fx.deployment, pClient, {}), p2p: p2p([]),
});
nodes.push(P);
const S = await SidecarNode.start({
  dataDir: path.join(root, 'S'), roles: ['submitter'], client: sClient, genesis, pollMs: 100, confirmations: 1,
  crs: { dev: true }, encodeProof: proofEncoder(fx.deployment, sClient, {}), p2p: p2p([P.p2p!.addrs[0]]),
});
nodes.push(S);
const sees = (n: SidecarNode, peer: string) => n.p2p!.pubsub.getSubscribers(PROOFS).map(String).includes(peer);
await waitFor(() => sees(P, S.p2p!.peerId) && sees(S, P.p2p!.peerId), 'the proofs topic mesh P-S');
const atS = [{ addr: S.p2p!.addrs[0], peerId: S.p2p!.peerId }];
const H = await rawPeer(atS, ['proofs']);
const A0 = await rawPeer(atS, ['proofs']);
const wave1: RawPeer[] = [];
const wave2: RawPeer[] = [];
for (let i = 0; i < 3; i++) wave1.push(await rawPeer(atS, ['proofs']));
for (let i = 0; i < 3; i++) wave2.push(await rawPeer(atS, ['proofs']));

const gossip = (n: SidecarNode, outcome: string, code = '') => n.p2p!.metrics.value(n.p2p!.metrics.gossip, { topic: PROOFS, outcome, code });
const invalidProofTxs = (n: SidecarNode) => n.metrics.l1Txs.get().then((m) => m.values.filter((v) => v.labels.outcome === 'InvalidProof').reduce((a, v) => a + v.value, 0));

let slot = 0n;
let blockHash = '';
let l1Inputs: string[] = [];

test('a garbage final proof and floods of junk from raw peers are refused, never forwarded; the prover\'s real proof lands and the block is proven', { timeout: 600_000 }, async () => {
  // ---- a 1-tx block proposed, revealed and committed to P (sequencer-funded deposit)
  await seq.stake(1000n * E18);
  await fx.mine(2);
  slot = (await admin.currentSlot()) + 1n;
  const block = l2.buildBlock(slot, 1);
  await fx.nextTxAt(slot, 'proposalStart');
  await seq.propose(slot, block, 1n * E18, 2000);
  await fx.nextTxAt(slot, 'revealStart');
  await seq.reveal(block);
  await fx.nextTxAt(slot, 'commitStart');
  await seq.commitProver(slot, P.address, fx.deployment.config.minProverDeposit);
  await fx.mineTo((await admin.slotTiming(slot)).commitEnd);
  await fx.provider.send('evm_setIntervalMining', [1]);
  const got = await admin.getBlock(slot);
  blockHash = got.blockHash.toLowerCase();
  // P's proof names P as its recipient: the honest final proof's inputs and its plan's root id
  l1Inputs = await admin.publicInputs(slot, slot, P.address);
  const plan = rollupPlan({ blockHash, slot, txs: new Array(1), recipient: P.address });
  const rootId = plan.jobs.find((j) => j.id === plan.root)!.id;
  await waitFor(async () => (await S.chain.block(Number(slot)))?.prover?.toLowerCase() === P.address.toLowerCase(), 'S sees the commitment', 30_000);
  await waitFor(() => P.events.some((e) => e.type === 'proving' && e.slot === Number(slot)), 'P proving the block', 60_000);

  const msg = (proof: Uint8Array, publicInputs: string[]): Uint8Array => encodeMessage('proofs', {
    kind: PROOF_KIND.final, id: fromHex(rootId, 32), slot, blockHash: fromHex(blockHash, 32), segment: 0,
    proof, publicInputs: publicInputs.map((x) => fromHex(x, 32)),
  } satisfies ProofMsg);
  // junk that binds the right block: only bb can tell (the size of a real single_1 proof is not known to S yet)
  const junk = () => msg(randomBytes(440 * 32), l1Inputs);
  const flood = (peers: RawPeer[], n: number) => Promise.all(peers.map(async (a) => {
    for (let i = 0; i < n && a.connectedTo(S.p2p!.peerId); i++) await a.publish('proofs', junk()).catch(() => 0);
  }));

  // ---- the attack of the issue, then junk with the right public inputs, then a flood
  assert.ok(await A0.publish('proofs', msg(new Uint8Array([7]), [])) >= 1, 'A0 reached S');
  await waitFor(async () => (await gossip(S, 'reject', 'wrong-public-inputs')) === 1, 'S rejecting the 1-byte proof');
  await A0.publish('proofs', junk());
  await waitFor(() => S.p2p!.isBanned(A0.peerId), 'S banning A0 after its second invalid proof', 60_000);
  assert.equal(await gossip(S, 'reject', 'invalid-proof'), 1, 'bb refused A0\'s junk');
  await flood(wave1, 100);
  // the second wave floods S the moment P publishes its real proof
  let second: Promise<unknown> | undefined;
  P.on('event', (e) => { if (e.type === 'proved' && e.slot === Number(slot)) second = flood(wave2, 100); });

  // ---- the real proof: S verifies and takes it, forwards it to H, and the block is proven on L1
  await waitFor(async () => (await admin.blockStatus(slot)) === 'Proven', 'the block proven on L1', 420_000);
  await second;
  await waitFor(() => S.market!.stats.proofsVerified === 1, 'S verified P\'s proof', 60_000);
  assert.equal(S.market!.stats.proofsReceived, 1, 'S\'s proof book took exactly one proof from gossip: P\'s');
  assert.equal(P.market!.stats.proofsReceived, 0, 'P took nothing from gossip: its own proof is the one it holds');
  await waitFor(() => H.received.get('proofs')!.length >= 1, 'H got the forwarded proof', 30_000);
  const forwarded = H.received.get('proofs')!.map((m) => decodeMessage('proofs', m.data));
  assert.equal(forwarded.length, 1, 'S forwarded one proof message to H and no junk');
  assert.deepEqual(forwarded[0].publicInputs.map(hex), l1Inputs.map((x) => x.toLowerCase()));
  assert.ok(forwarded[0].proof.length > 1000, 'the real proof');

  // every attacker that got a verification is banned; none got more than its budget of two
  for (const a of wave1) assert.ok(S.p2p!.isBanned(a.peerId), `wave-1 sybil ${a.peerId} banned`);
  const refusedByBb = await gossip(S, 'reject', 'invalid-proof');
  assert.ok(refusedByBb <= 2 * (1 + wave1.length + wave2.length), `bb ran on at most two junk proofs per attacker (${refusedByBb})`);
  const unchecked = (await gossip(S, 'ignore', 'peer-budget')) + (await gossip(S, 'ignore', 'banned-peer')) + (await gossip(S, 'ignore', 'have-proof')) + (await gossip(S, 'ignore', 'queue-full'));
  // the rest never got a bb run: dropped by the gates, or never read (a flood's sender is banned
  // once it overflows its budget, issue 12)
  assert.ok(unchecked > refusedByBb, `more of the flood was dropped unchecked (${unchecked}) than checked by bb (${refusedByBb})`);
  assert.equal(await gossip(S, 'accept'), 1);

  // nobody sent a bad proof to L1
  assert.equal(await invalidProofTxs(S), 0, 'S never sent an invalid proof');
  assert.equal(await invalidProofTxs(P), 0, 'P never sent an invalid proof');
  assert.equal(S.submitter!.refusedCount + P.submitter!.refusedCount, 0);
  const ev = (await admin.sidecar.queryFilter(admin.sidecar.filters.BlockProven(), fx.deployment.deployBlock))
    .map((e) => (e as unknown as { args: { slot: bigint; prover: string } }).args);
  assert.deepEqual(ev.map((e) => [e.slot, e.prover]), [[slot, P.address]]);
});

test('a proof for a slot already proven is Ignored as stale, unchecked', async () => {
  assert.ok(slot > 0n, 'runs after the first test');
  await waitFor(() => S.chain.head().proven.slot >= Number(slot), 'S following L1 to the proven block', 30_000);
  const before = await gossip(S, 'ignore', 'stale-slot');
  const late = await rawPeer(atS, ['proofs']);
  await late.publish('proofs', encodeMessage('proofs', {
    kind: PROOF_KIND.final, id: new Uint8Array(32).fill(1), slot, blockHash: fromHex(blockHash, 32), segment: 0,
    proof: randomBytes(64), publicInputs: l1Inputs.map((x) => fromHex(x, 32)),
  }));
  await waitFor(async () => (await gossip(S, 'ignore', 'stale-slot')) === before + 1, 'the stale proof ignored');
  assert.ok(!S.p2p!.isBanned(late.peerId), 'no blame for a late proof');
});

test('a burst of invalid messages: the sender is banned after its second, the rest are not even checked', async () => {
  const burst = await rawPeer(atS, ['proofs']);
  const rejectsBefore = await gossip(S, 'reject', 'malformed');
  // 40 structurally invalid proof messages in one go (not SSZ)
  await Promise.all(Array.from({ length: 40 }, (_, i) => burst.publish('proofs', new Uint8Array([0xff, i, 1, 2, 3])).catch(() => 0)));
  await waitFor(() => S.p2p!.isBanned(burst.peerId), 'the burst sender banned');
  await waitFor(() => !burst.connectedTo(S.p2p!.peerId), 'the burst sender disconnected');
  assert.equal((await gossip(S, 'reject', 'malformed')) - rejectsBefore, 2, 'the penalty applies message by message: the ban came at the second');
});

test('status/1 handshake, block_by_hash and proof_by_id are served; a peer of another deployment is disconnected', async () => {
  assert.ok(S.p2p!.peerStatus.get(P.p2p!.peerId), 'S holds P\'s status from the handshake at connect');
  const st = await S.p2p!.status(P.p2p!.peerId);
  assert.equal(st.chainId, BigInt(fx.deployment.chainId));
  assert.equal(hex(st.contract), fx.deployment.sidecar.toLowerCase());
  assert.ok(st.provenSlot >= slot, 'P reports the block proven');
  const b = await S.p2p!.fetchBlock(P.p2p!.peerId, blockHash);
  assert.ok(b, 'P serves the revealed block by hash');
  assert.equal(b.slot, slot);
  // proofs are served from the proof book (pending blocks' verified proofs); an unknown id is not found
  assert.equal(await S.p2p!.fetchProof(P.p2p!.peerId, `0x${'ab'.repeat(32)}`), null);
  // another deployment's node
  const cluster = useP2PCluster();
  const other = await cluster.add({ bootstrap: [S.p2p!.addrs[0]], providers: { status: () => ({ ...st, contract: new Uint8Array(20).fill(0xee) }) } });
  await waitFor(() => S.p2p!.isBanned(other.peerId) || other.isBanned(S.p2p!.peerId), 'the wrong-network peer refused');
  await waitFor(() => !S.p2p!.libp2p.getPeers().map(String).includes(other.peerId), 'the wrong-network peer disconnected');
});
