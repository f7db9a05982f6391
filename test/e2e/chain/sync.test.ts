// ChainSync against a real anvil with the real Sidecar contract (stand-in SignatureVerifier) and
// real L2 blocks (signed Grumpkin transfers): a slot synced up the tx status ladder, a restart on
// the same LevelDB dir, invalid revealed blocks, a slash and its rollback, an L1 reorg, and a
// damaged stored value. The tests run in order on one chain (each syncs its own data dir).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { signTx, toHex, type SignedTx, type WorldState } from '../../../circuits/l2/index.js';
import { ChainSync } from '../../../node/chain/index.js';
import { makeL1Block, SidecarClient, type L1Block } from '../../../node/l1/client.js';
import { signatureProof } from '../../../node/l1/signature-verifier.js';
import { Store, StorageError, bytesCodec } from '../../../node/storage/index.js';
import { testProvider } from '../../helpers/anvil.js';
import { makeL2 } from '../../helpers/l2.js';
import { useProtocol } from '../../helpers/protocol.js';

const E18 = 10n ** 18n;
const params = {
  proposalBlocks: 4, revealBlocks: 4, commitBlocks: 4, provingBlocks: 16, submissionBlocks: 4,
  earlyProofs: true, reorgWindow: 8, minStake: 1000n * E18, activationDelay: 1, exitDelay: 16,
  minProverDeposit: 100n * E18, blockReward: 10n * E18, submissionReward: 1n * E18,
};
const FINALITY = 3;
const l2 = await makeL2(4);
const genesis = l2.keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 1_000_000n }));
const fx = await useProtocol({ params: { ...params, genesisRoot: l2.genesisRoot }, accounts: 6 });
const [admin, seqA, seqB, seqC, prover, submitter] = fx.clients;
const [, A, B, C, P] = await Promise.all(fx.clients.map((c) => c.address()));
for (const s of [seqA, seqB, seqC]) await s.stake(params.minStake);
await fx.mine(2);

const root = mkdtempSync(path.join(tmpdir(), 'sidecar-chain-'));
after(() => rmSync(root, { recursive: true, force: true }));
const reader = SidecarClient.connect({ deployment: fx.deployment, rpc: testProvider(fx.anvil.rpcUrl) });
const hex = (x: bigint) => toHex(x).toLowerCase();

async function openSync(name: string, o: { ws?: boolean; reorgDepth?: number } = {}) {
  const store = await Store.open(path.join(root, name));
  const sync = await ChainSync.open({ store, client: reader, genesis, finalityDepth: FINALITY, wsUrl: o.ws ? fx.anvil.wsUrl : undefined, reorgDepth: o.reorgDepth });
  await sync.start();
  return { store, sync, async close() { await sync.stop(); await store.close(); } };
}

async function nextSlot(): Promise<bigint> { return (await admin.currentSlot()) + 1n; }

/** propose + reveal + commit `block` by `seq`; mines to the end of the commitment phase. */
async function runSlot(seq: SidecarClient, block: L1Block, o: { commit?: boolean; finish?: boolean } = {}): Promise<void> {
  await fx.nextTxAt(block.slot, 'proposalStart');
  await seq.propose(block.slot, block, 1n * E18, 2000);
  await fx.nextTxAt(block.slot, 'revealStart');
  await seq.reveal(block);
  if (o.commit === false) return;
  await fx.nextTxAt(block.slot, 'commitStart');
  await seq.commitProver(block.slot, P, 100n * E18);
  if (o.finish !== false) await fx.nextTxAt(block.slot, 'commitEnd', 1);
}

async function prove(slot: bigint): Promise<void> {
  const proof = await signatureProof(fx.deployer, fx.deployment.verifier, fx.deployment.chainId, await admin.publicInputs(slot, slot, await submitter.address()));
  await submitter.submitProof(slot, proof);
}

const hashesOf = (b: { signed: SignedTx[] }, sync: ChainSync) => Promise.all(b.signed.map(async (s) => {
  const { txHash } = await import('../../../circuits/l2/index.js');
  return (await sync.txStatus(txHash(s)))!;
}));

describe('ChainSync on anvil', { timeout: 120_000 }, () => {
  let provenState: WorldState = l2.state.clone();
  let happySlot = 0n;

  test('a happy slot (followed over a WebSocket): synced block and state root, txs climb the ladder to verified and finalized', async () => {
    const node = await openSync('happy', { ws: true });
    try {
      const slot = await nextSlot();
      const block = l2.buildBlock(slot, 3);
      const { blockHash: l1BlockHash } = await import('../../../node/l1/client.js');
      const { txHash } = await import('../../../circuits/l2/index.js');
      await runSlot(seqA, block, { commit: false });
      await node.sync.noteProposed(Number(slot), l1BlockHash(block), block.signed.map((s) => txHash(s)));
      const proposedAt = (await node.sync.txStatus(txHash(block.signed[0])))?.at.proposed;
      assert.ok(proposedAt);
      await fx.nextTxAt(slot, 'commitStart');
      await seqA.commitProver(slot, P, 100n * E18);
      await fx.nextTxAt(slot, 'commitEnd', 1);
      await node.sync.syncTo();
      assert.equal((await node.sync.txStatus(txHash(block.signed[0])))?.at.proposed, proposedAt, 'proposed time kept');
      const b = await node.sync.block(Number(slot));
      assert.ok(b, 'canonical block synced');
      assert.equal(b.status, 'pending');
      assert.equal(b.provable, true);
      assert.equal(b.sequencer, A);
      assert.equal(b.revealed?.endRoot, hex(block.endRoot));
      assert.equal(b.txHashes.length, 3);
      // the proposal is stored under its sealed commitment (Proposed) and linked to its block by Revealed
      const { proposalCommitment } = await import('../../../node/l1/client.js');
      const prop = await node.sync.repos.proposals.get(`${String(slot).padStart(12, '0')}/${A.toLowerCase()}`);
      assert.equal(prop?.commitment, proposalCommitment(l1BlockHash(block), A).toLowerCase());
      assert.equal(prop?.blockHash, l1BlockHash(block).toLowerCase());
      assert.equal(b.blockHash, l1BlockHash(block).toLowerCase(), 'canonical block keyed by the plain block hash');
      const head = node.sync.head();
      assert.equal(head.pending.slot, Number(slot));
      assert.equal(head.pending.root, hex(block.endRoot), 'pending state root = the revealed end root');
      assert.equal(node.sync.pendingState().root(), block.endRoot);
      assert.equal(head.proven.slot, 0);
      assert.equal(head.proven.root, hex(l2.genesisRoot));
      assert.deepEqual(await node.sync.canProve(Number(slot), A), { ok: true, blockHash: b.blockHash });
      assert.equal((await node.sync.canProve(Number(slot), B)).ok, false);
      assert.equal((await node.sync.preState(Number(slot)))?.root(), l2.genesisRoot, "the prover's pre-state");
      for (const t of await hashesOf(block, node.sync)) assert.equal(t.status, 'committed');

      await node.sync.noteProofOnP2p(Number(slot));
      for (const t of await hashesOf(block, node.sync)) assert.equal(t.status, 'proof-on-p2p');
      await node.sync.notePublished(Number(slot));
      await prove(slot);
      await node.sync.syncTo();
      const p = await node.sync.block(Number(slot));
      assert.equal(p?.status, 'proven');
      assert.equal(p?.recipient, await submitter.address(), 'the recipient the proof named');
      assert.equal(node.sync.head().proven.root, hex(block.endRoot));
      assert.equal(node.sync.provenState().root(), block.endRoot);
      assert.deepEqual(await node.sync.provenChain(), [{ slot: Number(slot), blockHash: b.blockHash }]);
      assert.deepEqual(await node.sync.pendingChain(), []);
      for (const t of await hashesOf(block, node.sync)) {
        assert.equal(t.status, 'verified');
        for (const s of ['proposed', 'revealed', 'committed', 'proof-on-p2p', 'published', 'verified'] as const) assert.ok(t.at[s], `${s} time recorded`);
        assert.equal(t.slot, Number(slot));
      }
      await fx.mine(FINALITY);
      await node.sync.syncTo();
      for (const t of await hashesOf(block, node.sync)) assert.equal(t.status, 'finalized');
      assert.equal((await node.sync.block(Number(slot)))?.finalized, true);
      provenState = l2.state.clone();
      happySlot = slot;
    } finally {
      await node.close();
    }
  });

  test('restart: a fresh ChainSync on the same dir resumes from the cursor without re-applying', async () => {
    const node = await openSync('restart');
    const first = node.sync.stats.events;
    assert.ok(first > 0);
    const before = node.sync.head();
    await node.close();
    // slots happen while the node is down
    const slots: bigint[] = [];
    for (let i = 0; i < 2; i++) {
      const slot = await nextSlot();
      await runSlot(i ? seqB : seqA, l2.buildBlock(slot, 2));
      slots.push(slot);
      if (i === 0) await prove(slot);
    }
    provenState = l2.state.clone();
    const again = await openSync('restart');
    try {
      assert.equal(again.sync.stats.events, 9, 'only the 9 new events (2 × propose/reveal/commit/canonical + proven), nothing re-applied');
      assert.ok(again.sync.head().l1Block > before.l1Block);
      assert.equal(again.sync.head().pending.root, hex(l2.state.root()));
      assert.equal(again.sync.head().proven.slot, Number(slots[0]));
      assert.equal((await again.sync.block(Number(happySlot)))?.status, 'proven');
      assert.deepEqual((await again.sync.pendingChain()).map((x) => x.slot), [Number(slots[1])]);
      // a sync from scratch derives exactly the same
      const scratch = await openSync('restart-scratch');
      try {
        assert.deepEqual({ ...scratch.sync.head(), l1Block: 0 }, { ...again.sync.head(), l1Block: 0 });
      } finally {
        await scratch.close();
      }
      await prove(slots[1]);
      provenState = l2.state.clone();
    } finally {
      await again.close();
    }
  });

  test('the lead changes within the commitment phase: pending state rebuilt on the new leader, displaced txs reorged', async () => {
    const node = await openSync('lead');
    try {
      const slot = await nextSlot();
      await fx.nextTxAt(slot, 'proposalStart', 1); // ranks are fixed once the seed block is mined
      const [ra, rb] = [await admin.rankOf(slot, A), await admin.rankOf(slot, B)];
      const [low, high] = ra < rb ? [seqA, seqB] : [seqB, seqA];
      const highAddr = ra < rb ? B : A;
      const small = l2.buildBlock(slot, 1, l2.state.clone());
      const bigState = l2.state.clone();
      const big = l2.buildBlock(slot, 3, bigState); // shares its first tx with `small`
      await low.propose(slot, big, 1n, 0);
      await high.propose(slot, small, 1n, 0);
      await fx.nextTxAt(slot, 'revealStart');
      await low.reveal(big);
      await high.reveal(small);
      await fx.nextTxAt(slot, 'commitStart');
      await low.commitProver(slot, P, 100n * E18);
      await node.sync.syncTo();
      assert.equal(node.sync.head().pending.root, hex(big.endRoot), 'first leader applied');
      await high.commitProver(slot, P, 100n * E18);
      await fx.nextTxAt(slot, 'commitEnd', 1);
      await node.sync.syncTo();
      const b = await node.sync.block(Number(slot));
      assert.equal(b?.sequencer, highAddr);
      assert.equal(node.sync.head().pending.root, hex(small.endRoot), 'pending state rebuilt on the new leader');
      const [shared, ...displaced] = await hashesOf(big, node.sync);
      assert.equal(shared.status, 'committed', 'a tx in both blocks stays committed');
      for (const t of displaced) assert.equal(t.status, 'reorged');
      await prove(slot);
      await node.sync.syncTo();
      assert.equal(node.sync.head().proven.root, hex(small.endRoot));
      l2.state.applyBlock(small.signed);
      provenState = l2.state.clone();
    } finally {
      await node.close();
    }
  });

  test('invalid revealed blocks are flagged unprovable and never touch the state; the slash rolls the pending chain back', async () => {
    const node = await openSync('invalid');
    try {
      // slot a: a valid block on the proven tip
      const a = await nextSlot();
      const good = l2.buildBlock(a, 2);
      await runSlot(seqA, good, { finish: false });
      await node.sync.syncTo();
      assert.equal(node.sync.head().pending.root, hex(good.endRoot));

      // slot b: three revealed proposals on top of a, each invalid in its own way
      const b = a + 1n;
      const base = l2.state.clone();
      const valid = l2.buildBlock(b, 2, base.clone());
      const badRoot = makeL1Block(b, valid.startRoot, valid.endRoot ^ 1n, valid.signed);
      const n0 = base.account(0)!.nonce;
      const forged = signTx({ from: 0, to: 1, amount: 5n, nonce: n0 }, l2.keys[2].secretKey);
      const w1 = base.clone();
      const badSig = makeL1Block(b, w1.root(), w1.applyBlock([forged], { validate: false }).endRoot, [forged]);
      const skipped = signTx({ from: 1, to: 2, amount: 5n, nonce: base.account(1)!.nonce + 3 }, l2.keys[1].secretKey);
      const w2 = base.clone();
      const badNonce = makeL1Block(b, w2.root(), w2.applyBlock([skipped], { validate: false }).endRoot, [skipped]);
      await fx.nextTxAt(b, 'proposalStart');
      await seqA.propose(b, badRoot, 1n, 0);
      await seqB.propose(b, badSig, 1n, 0);
      await seqC.propose(b, badNonce, 1n, 0);
      await fx.nextTxAt(b, 'revealStart');
      await seqA.reveal(badRoot);
      await seqB.reveal(badSig);
      await seqC.reveal(badNonce);
      await node.sync.syncTo();
      const checks: [string, RegExp][] = [[A, /^bad-end-root/], [B, /^bad-signature/], [C, /^wrong-nonce/]];
      for (const [who, reason] of checks) {
        const cp = await node.sync.canProve(Number(b), who);
        assert.equal(cp.ok, false, `${who}'s block must not be committed on`);
        assert.match(cp.reason ?? '', reason);
      }
      assert.equal((await node.sync.revealedAt(Number(b))).length, 3);
      // the bad-root block becomes canonical anyway (its sequencer commits): the state stays at a's end
      await fx.nextTxAt(b, 'commitStart');
      await seqA.commitProver(b, P, 100n * E18);
      await fx.nextTxAt(b, 'commitEnd', 1);
      await node.sync.syncTo();
      const head = node.sync.head();
      assert.equal(head.pending.root, hex(good.endRoot), 'the pending state is untouched by the invalid block');
      assert.equal(head.pending.provable, false);
      assert.equal(head.pending.brokenAt, Number(b));
      assert.equal((await node.sync.block(Number(b)))?.provable, false);
      assert.equal(await node.sync.preState(Number(b)).then((s) => s?.root()), good.endRoot);

      // nobody proves a in time: slash a, b is invalidated, the chain resumes on the proven tip
      const goodTxs = await hashesOf(good, node.sync);
      assert.ok(goodTxs.every((t) => t.status === 'committed'));
      await fx.nextTxAt(a, 'deadline');
      await prover.slash(a);
      await node.sync.syncTo();
      assert.equal((await node.sync.block(Number(a)))?.status, 'slashed');
      assert.equal((await node.sync.block(Number(b)))?.status, 'invalidated');
      assert.deepEqual(await node.sync.pendingChain(), []);
      const h2 = node.sync.head();
      assert.equal(h2.pending.root, hex(provenState.root()), 'pending state restored to the proven tip');
      assert.equal(h2.pending.root, h2.proven.root);
      assert.equal(h2.pending.provable, true);
      assert.ok(h2.killedUpTo >= Number(b));
      for (const t of await hashesOf(good, node.sync)) assert.equal(t.status, 'reorged');
      assert.equal((await node.sync.canProve(Number(a), A)).ok, false, 'a void slot');
      l2.state = provenState.clone();
    } finally {
      await node.close();
    }
  });

  test('an L1 reorg (the cursor block replaced) rewinds the derived chain and derives it again', async () => {
    const node = await openSync('reorg');
    // a node that keeps 3 blocks of undo journal: this reorg is deeper, it derives everything again
    const shallow = await openSync('reorg-shallow', { reorgDepth: 3 });
    try {
      await node.sync.syncTo();
      const before = node.sync.head();
      const revert = await fx.snapshot();
      const slot = await nextSlot();
      const block = l2.buildBlock(slot, 2, l2.state.clone());
      const { txHash } = await import('../../../circuits/l2/index.js');
      // these txs were already in the slashed block of the previous test: their records must come back as they were
      const prior = await Promise.all(block.signed.map((s) => node.sync.txStatus(txHash(s))));
      await runSlot(seqB, block);
      await node.sync.syncTo();
      assert.equal(node.sync.head().pending.root, hex(block.endRoot));
      assert.equal((await node.sync.txStatus(txHash(block.signed[0])))?.slot, Number(slot));
      // the blocks with the slot are replaced by a longer chain without them
      await revert();
      await fx.mine(40);
      await node.sync.syncTo();
      const deadline = Date.now() + 10_000;
      while ((await node.sync.block(Number(slot))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await node.sync.syncTo();
      assert.equal(await node.sync.block(Number(slot)), undefined, 'the reorged-out block is gone');
      assert.equal(node.sync.head().pending.root, before.pending.root);
      assert.equal(node.sync.stats.reorgs, 1);
      assert.ok((await node.sync.txStatus(txHash(block.signed[0])))?.at.committed);
      assert.deepEqual(await Promise.all(block.signed.map((s) => node.sync.txStatus(txHash(s)))), prior, 'tx records restored');
      const until = Date.now() + 10_000;
      while (shallow.sync.stats.reorgs === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      await shallow.sync.syncTo();
      assert.equal(shallow.sync.stats.reorgs, 1);
      assert.deepEqual(shallow.sync.head(), node.sync.head(), 'the full re-derivation ends where the undo did');
      assert.equal(await shallow.sync.block(Number(slot)), undefined);
    } finally {
      await node.close();
      await shallow.close();
    }
  });

  test('malformed events and unusable calldata: logged and skipped, the block flagged, nothing else touched, never a throw', async () => {
    const store = await Store.open(path.join(root, 'malformed'));
    const sync = await ChainSync.open({ store, client: reader, genesis, fetchAttempts: 1 });
    try {
      const head = await fx.provider.getBlock('latest');
      const notRevealTx = (await seqC.approve(1n)).hash; // a real tx, but not a reveal
      const base = { address: fx.deployment.sidecar, blockNumber: head!.number, blockHash: head!.hash!, values: [] };
      const revealed = (slot: bigint, tx: string, logIndex: number) => ({
        ...base, name: 'Revealed', transactionHash: tx, logIndex,
        args: { slot, sequencer: C, blockHash: '0x' + slot.toString(16).padStart(64, 'a'), startRoot: hex(l2.genesisRoot), endRoot: hex(l2.genesisRoot), txsCommitment: '0x' + '00'.repeat(32), txCount: 1n },
      });
      const before = sync.head();
      await sync.ingest(revealed(900n, '0x' + '12'.repeat(32), 0)); // the tx does not exist
      await sync.ingest(revealed(901n, notRevealTx, 1));
      await sync.ingest({ ...base, name: 'BlockProven', transactionHash: notRevealTx, logIndex: 2, args: { slot: 12345n, prover: P, submitter: P, proverReward: 0n, sequencerReward: 0n, submissionReward: 0n } });
      await sync.ingest({ ...base, name: 'CanonicalUpdated', transactionHash: notRevealTx, logIndex: 3, args: { slot: 'x', sequencer: C, parentSlot: 0n } });
      await sync.ingest({ ...base, name: 'ChainRewound', transactionHash: notRevealTx, logIndex: 4, args: { lastProvenSlot: -1n, killedUpTo: 0n } });
      const unavailable = await sync.canProve(900, C);
      assert.equal(unavailable.ok, false);
      assert.match(unavailable.reason ?? '', /^data-unavailable: .*0x1212/);
      const notReveal = await sync.canProve(901, C);
      assert.equal(notReveal.ok, false);
      assert.match(notReveal.reason ?? '', /no reveal call for slot 901/);
      assert.equal(sync.stats.skipped, 3, 'BlockProven of an unknown slot, a non-uint slot, a negative slot: skipped');
      assert.deepEqual(sync.head().pending, before.pending);
      assert.deepEqual(sync.head().proven, before.proven);
      assert.deepEqual(await sync.pendingChain(), []);
      const cursor = await sync.repos.cursor.get('cursor');
      assert.deepEqual([cursor?.block, cursor?.logIndex], [head!.number, 4], 'the cursor moved past every event');
    } finally {
      await sync.stop();
      await store.close();
    }
  });

  test('a damaged stored value is a clear StorageError naming the key', async () => {
    const dir = path.join(root, 'happy');
    const raw = await Store.open(dir);
    await raw.repository('chain.state', bytesCodec).put('pending', new TextEncoder().encode('{"slot": "x"'));
    await raw.close();
    const store = await Store.open(dir);
    try {
      await assert.rejects(ChainSync.open({ store, client: reader, genesis }), (e: unknown) => {
        assert.ok(e instanceof StorageError);
        assert.equal(e.code, 'bad-value');
        assert.match(e.message, /chain\.state\/pending/);
        return true;
      });
    } finally {
      await store.close();
    }
  });

  test('wrong genesis accounts are refused with a clear error', async () => {
    const store = await Store.open(path.join(root, 'genesis'));
    try {
      await assert.rejects(ChainSync.open({ store, client: reader, genesis: genesis.slice(1) }), /genesis accounts give L2 root .* genesisRoot is/);
    } finally {
      await store.close();
    }
  });
});
