// The work in flight survives a restart (real anvil with the stand-in SignatureVerifier, LevelDB,
// a real SidecarNode stopped and started again on the same data directory; no proofs):
//  - a sequencer stopped after its propose and before its reveal reveals the same block in the
//    reveal phase after the restart (L1 shows it revealed), commits it, and prunes its record;
//  - the mempool: txs waiting before the stop wait again after it (ladder: pending); a persisted
//    tx that became invalid meanwhile is dropped (ladder: dropped); a corrupt entry is skipped.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorldState, signTx, txHash, type SignedTx } from '../../../circuits/l2/index.js';
import { padSlot } from '../../../node/chain/repos.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import type { SlotTiming } from '../../../node/l1/client.js';
import { createLogger } from '../../../node/log.js';
import { mempoolRepo } from '../../../node/mempool/store.js';
import type { NodeEvent } from '../../../node/roles/context.js';
import { sequencerProposalsRepo, type SequencerOptions } from '../../../node/roles/sequencer.js';
import { SidecarNode } from '../../../node/node.js';
import { Store } from '../../../node/storage/index.js';
import { useProtocol } from '../../helpers/protocol.js';

const E18 = 10n ** 18n;
const keys = devnetL2Keys(4);
const genesis = devnetGenesis(keys, 1000n);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-restart-seq-'));
const fx = await useProtocol({ accounts: 3, params: { genesisRoot: (await WorldState.create(genesis)).root(), provingBlocks: 8, submissionBlocks: 2 } });
const SEQ = 1;
const PROVER = 2;
let target = -1; // the one slot the sequencer proposes in
let node: SidecarNode | undefined;
after(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A quote by the prover wallet for the block (prover-funded deposit). */
const chooseProver: NonNullable<SequencerOptions['chooseProver']> = async (slot, blockHash) => {
  const t = await fx.clients[0].slotTiming(slot);
  const quote = { slot: BigInt(slot), blockHash, sequencer: fx.wallets[SEQ].address, prover: fx.wallets[PROVER].address, fee: 1n * E18, deposit: 100n * E18, proverFundsDeposit: true, validUntilBlock: BigInt(t.commitEnd - 1) };
  return { quote, signature: await fx.clients[PROVER].signQuote(quote) };
};

async function start(): Promise<SidecarNode> {
  return SidecarNode.start({
    dataDir: dir, roles: ['sequencer'], client: fx.clients[SEQ], genesis, pollMs: 50, log: createLogger('node', { test: 'restart' }),
    sequencer: { tip: 2n * E18, rewardShareBps: 5000, maxTxs: 8, deposit: 100n * E18, selfProve: false, policy: { mayPropose: (s) => s === target }, chooseProver },
  });
}

/** Bounded: mines one L1 block at a time (up to `until` of `slot`) until `pred` holds. */
async function drive(pred: () => boolean | Promise<boolean>, slot: number, until: keyof SlotTiming, what: string): Promise<void> {
  const last = (await fx.clients[0].slotTiming(slot))[until];
  for (let i = 0; i < 200; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 150));
    if (await pred()) return;
    if ((await fx.provider.getBlockNumber()) < last) await fx.mine();
  }
  assert.fail(`no ${what} by block ${last} of slot ${slot}`);
}

type BlockEvent = Extract<NodeEvent, { type: 'proposed' | 'revealed' | 'committed' }>;
const eventOf = (n: SidecarNode, type: BlockEvent['type'], slot: number) => n.events.find((e): e is BlockEvent & { at: number } => e.type === type && e.slot === slot);
const tx = (from: number, nonce: number, amount = 10n): SignedTx => signTx({ from, to: (from + 1) % 4, amount, nonce }, keys[from].secretKey);
const seqAddr = fx.wallets[SEQ].address;

test('a sequencer stopped between its propose and its reveal reveals the same block after a restart', async () => {
  node = await start();
  const n1 = node;
  // staked (first tick) and eligible for a slot two ahead
  target = Number(await fx.clients[0].currentSlot()) + 2;
  await drive(async () => (await fx.clients[0].stakeOf(seqAddr)).amount > 0n, target, 'proposalStart', 'stake');
  const t0 = tx(0, 0);
  assert.equal(await n1.submitTx(t0), txHash(t0));
  const timing = await fx.clients[0].slotTiming(target);
  await fx.mineTo(timing.proposalStart - 1);
  await drive(() => eventOf(n1, 'proposed', target) !== undefined, target, 'revealStart', 'proposal');
  const proposed = eventOf(n1, 'proposed', target) as BlockEvent;
  assert.equal(proposed.txs, 1);
  await n1.stop();
  node = undefined;
  const onL1 = await fx.clients[0].getProposal(target, seqAddr);
  assert.ok(onL1?.exists && !onL1.revealed, 'proposed, not revealed');
  assert.ok((await fx.provider.getBlockNumber()) < timing.revealStart, 'stopped before the reveal phase');

  node = await start();
  const n2 = node;
  const own = n2.sequencer!.blocks.get(target);
  assert.equal(own?.blockHash, proposed.blockHash, 'the own block is back from disk');
  assert.equal(own?.stage, 'proposed');
  assert.equal(n2.mempool.has(txHash(t0)), false, 'its tx is held by the block, not waiting in the mempool');
  await fx.mineTo(timing.revealStart - 1);
  await drive(() => eventOf(n2, 'revealed', target) !== undefined, target, 'commitStart', 'reveal');
  const revealed = eventOf(n2, 'revealed', target) as BlockEvent;
  assert.equal(revealed.blockHash, proposed.blockHash);
  assert.ok(revealed.l1Block >= timing.revealStart && revealed.l1Block < timing.commitStart, 'within the reveal phase');
  const p = await fx.clients[0].getProposal(target, seqAddr);
  assert.ok(p?.revealed, 'L1 shows it revealed');
  assert.equal(p!.blockHash.toLowerCase(), proposed.blockHash);
  // and it goes on: committed with the quote, then (next slot) settled and pruned from disk
  await drive(() => eventOf(n2, 'committed', target) !== undefined, target, 'commitEnd', 'commitment');
  await drive(async () => (await n2.chain.txStatus(txHash(t0)))?.status === 'committed', target, 'commitEnd', 'ladder: committed');
  const repo = sequencerProposalsRepo(n2.store);
  await drive(async () => (await repo.get(padSlot(target))) === undefined, target + 1, 'revealStart', 'pruned own block record');
  await drive(() => n2.chain.pendingAccount(0)!.nonce === 1, target + 1, 'revealStart', 'pending tip with the block');
});

test('mempool txs survive a restart; one invalid since is dropped, a corrupt entry is skipped', async () => {
  const n1 = node!;
  const waiting = [tx(1, 0, 3n), tx(2, 0, 4n), tx(1, 1, 5n)];
  for (const t of waiting) await n1.submitTx(t);
  await n1.stop();
  node = undefined;
  // while it is down: a tx it persisted earlier that the chain has made stale (account 0's
  // nonce 0 is used by the committed block), and a damaged entry
  const stale = tx(0, 0, 77n);
  const store = await Store.open(path.join(dir, 'db'));
  try {
    const repo = mempoolRepo(store);
    assert.deepEqual((await repo.values()).map((e) => e.ok && txHash(e.tx)).sort(), waiting.map((t) => txHash(t)).sort(), 'what the node persisted');
    await repo.put(txHash(stale).toLowerCase(), { ok: true, tx: stale, addedAt: Date.now() });
    await store.db.sublevel<string, Uint8Array>('mempool.txs', { keyEncoding: 'utf8', valueEncoding: 'view' }).put('0xdamaged', new Uint8Array([1, 2, 3]));
  } finally {
    await store.close();
  }

  node = await start();
  const n2 = node;
  assert.deepEqual(n2.mempool.hashes().sort(), waiting.map((t) => txHash(t).toLowerCase()).sort(), 'the same txs wait');
  for (const t of waiting) assert.equal((await n2.chain.txStatus(txHash(t)))?.status, 'pending');
  assert.equal((await n2.chain.txStatus(txHash(stale)))?.status, 'dropped', 'invalid since: dropped, not restored');
  const repo = mempoolRepo(n2.store);
  await n2.journal.flush();
  assert.equal(await repo.get('0xdamaged'), undefined, 'the corrupt entry is gone');
  assert.equal(await repo.get(txHash(stale).toLowerCase()), undefined);
  assert.equal(await repo.count(), waiting.length);
  // and they still work: the pool's next nonce for account 1 counts both restored txs
  assert.equal(n2.mempool.nextNonce(1, n2.chain.pendingState()), 2);
});

test('an own block whose reveal phase passed while the node was down gives its txs back to the mempool', async () => {
  const n1 = node!;
  const waiting = n1.mempool.hashes();
  target = Number(await fx.clients[0].currentSlot()) + 1;
  const timing = await fx.clients[0].slotTiming(target);
  await fx.mineTo(timing.proposalStart - 1);
  await drive(() => eventOf(n1, 'proposed', target) !== undefined, target, 'revealStart', 'proposal');
  assert.equal(eventOf(n1, 'proposed', target)!.txs, waiting.length);
  await n1.stop();
  node = undefined;
  await fx.mineTo(timing.commitStart + 1); // the reveal phase is over

  node = await start();
  const n2 = node;
  assert.equal(n2.mempool.size, 0, 'held by the restored block until it is settled');
  await fx.mineTo((await fx.clients[0].slotTiming(target + 1)).proposalStart - 1);
  await drive(() => n2.sequencer!.requeued.some((r) => r.slot === target), target + 1, 'revealStart', 'requeue');
  const r = n2.sequencer!.requeued.find((x) => x.slot === target)!;
  assert.equal(r.reason, 'not-committed');
  assert.deepEqual([...r.requeued].sort(), [...waiting].sort());
  assert.deepEqual(n2.mempool.hashes().sort(), [...waiting].sort());
  for (const h of waiting) assert.equal((await n2.chain.txStatus(h))?.status, 'pending');
  assert.equal((await fx.clients[0].getProposal(target, seqAddr))?.revealed, false);
  await drive(async () => (await sequencerProposalsRepo(n2.store).get(padSlot(target))) === undefined, target + 1, 'revealStart', 'pruned own block record');
  await n2.stop(); // before the fixture's anvil goes
  node = undefined;
});
