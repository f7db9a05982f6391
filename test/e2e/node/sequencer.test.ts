// The sequencer role on real parts (anvil with the protocol deployed, LevelDB, ChainSync following
// L1, real L2 txs), driven phase by phase: the test mines to each phase and ticks the role.
// No proofs: nothing here needs one.
//  - no acceptable quote and a block too big to self-prove in time: nothing is committed, the txs
//    go back to the mempool (ladder: pending) and the next slot's smaller block includes them;
//  - a slot lost to another sequencer's block: the txs it did not include come back;
//  - a slash: the txs of the slashed block come back and land in a later block.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorldState, signTx, txHash, type SignedTx } from '../../../circuits/l2/index.js';
import { ChainSync } from '../../../node/chain/index.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import type { Phase, SidecarClient } from '../../../node/l1/client.js';
import { createLogger } from '../../../node/log.js';
import { Mempool } from '../../../node/mempool/index.js';
import { MempoolKeeper } from '../../../node/mempool/keeper.js';
import { NodeMetrics } from '../../../node/metrics.js';
import { ProofBook, type NodeEvent, type RoleContext } from '../../../node/roles/context.js';
import { Sequencer, type SequencerOptions } from '../../../node/roles/sequencer.js';
import { Store } from '../../../node/storage/index.js';
import { useProtocol } from '../../helpers/protocol.js';

const E18 = 10n ** 18n;
const keys = devnetL2Keys(4);
const genesis = devnetGenesis(keys, 1000n);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-seq-'));
const fx = await useProtocol({ accounts: 5, params: { genesisRoot: (await WorldState.create(genesis)).root(), provingBlocks: 4, submissionBlocks: 2 } });
const store = await Store.open(path.join(dir, 'db'));
const chain = await ChainSync.open({ store, client: fx.clients[0], genesis, log: createLogger('chain') });
await chain.start();
after(async () => {
  await chain.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Seq { seq: Sequencer; pool: Mempool; keeper: MempoolKeeper; events: NodeEvent[]; client: SidecarClient }

async function sequencer(wallet: number, o: Partial<SequencerOptions>): Promise<Seq> {
  const client = fx.clients[wallet];
  const events: NodeEvent[] = [];
  const ctx: RoleContext = {
    client, chain, config: await client.config(), address: fx.wallets[wallet].address, proofs: new ProofBook(),
    log: createLogger('sequencer', { wallet }), metrics: new NodeMetrics({ defaultMetrics: false }), emit: (e) => events.push(e),
  };
  const pool = new Mempool();
  const keeper = new MempoolKeeper(pool, ctx);
  chain.subscribe((n) => keeper.onNotice(n));
  const seq = new Sequencer(ctx, pool, { tip: 2n * E18, rewardShareBps: 5000, maxTxs: 8, deposit: 100n * E18, selfProve: false, ...o }, keeper);
  await seq.setup();
  return { seq, pool, keeper, events, client };
}

/** A quote by the prover wallet (4) for sequencer `seq`'s block: a prover-funded deposit. */
function quoteFrom(seq: number, prover = 4): NonNullable<SequencerOptions['chooseProver']> {
  return async (slot, blockHash) => {
    const t = await fx.clients[0].slotTiming(slot);
    const quote = { slot: BigInt(slot), blockHash, sequencer: fx.wallets[seq].address, prover: fx.wallets[prover].address, fee: 1n * E18, deposit: 100n * E18, proverFundsDeposit: true, validUntilBlock: BigInt(t.commitEnd - 1) };
    return { quote, signature: await fx.clients[prover].signQuote(quote) };
  };
}

/** Mine so that the next tx lands on the first block of `slot`'s phase, and tick every sequencer there. */
async function phase(slot: number, p: Phase, seqs: Seq[]): Promise<void> {
  const at = p === 'Proposal' ? 'proposalStart' : p === 'Reveal' ? 'revealStart' : 'commitStart';
  const t = await fx.clients[0].slotTiming(slot);
  await fx.mineTo(t[at] - 1);
  for (const s of seqs) {
    await s.seq.tick({ head: await fx.provider.getBlockNumber(), slot, phase: p });
    await s.keeper.idle();
  }
}

async function slot(n: number, seqs: Seq[]): Promise<void> {
  for (const p of ['Proposal', 'Reveal', 'Commitment'] as Phase[]) await phase(n, p, seqs);
}

async function nextSlot(): Promise<number> {
  return Number(await fx.clients[0].currentSlot()) + 1;
}

function tx(from: number, nonce: number, amount = 10n, to = (from + 1) % 4): SignedTx {
  return signTx({ from, to, amount, nonce }, keys[from].secretKey);
}

async function addAll(pool: Mempool, txs: SignedTx[]): Promise<void> {
  for (const t of txs) {
    pool.add(t, { account: (i) => chain.pendingAccount(i) });
    await chain.observeTx(txHash(t), 'pending');
  }
}

const nonce = (i: number) => chain.pendingAccount(i)!.nonce;
const status = async (t: SignedTx) => (await chain.txStatus(txHash(t)))?.status;

test('no acceptable quote, block too big to self-prove: nothing committed, txs back to pending; the next slot proposes a smaller block it proves itself', async () => {
  const a = await sequencer(1, {
    selfProve: true,
    chooseProver: async () => undefined, // the market has no quote
    canSelfProve: (_d, _h, n) => (n <= 2 ? undefined : `needs ~${n * 10} s for ${n} txs`),
    selfProvableTxs: () => 2,
  });
  const txs = [tx(0, 0), tx(0, 1), tx(1, 0), tx(2, 0), tx(3, 0)];
  await addAll(a.pool, txs);
  const s1 = await nextSlot();
  await slot(s1, [a]);
  assert.equal(a.seq.blocks.get(s1)!.txs.length, 5, 'with an RFQ the first block is full: the market may prove it');
  assert.match(a.seq.skipped.get(s1) ?? '', /not committing: needs ~50 s for 5 txs/);
  assert.equal(await fx.clients[0].blockStatus(s1), 'None', 'no deposit committed on a block it could not prove');
  assert.equal(await status(txs[0]), 'revealed');

  const s2 = s1 + 1;
  await phase(s2, 'Proposal', [a]);
  // reclaimed at the next slot's first tick, before building
  assert.deepEqual(a.seq.requeued.map((r) => [r.slot, r.reason, r.requeued.length]), [[s1, 'not-committed', 5]]);
  for (const t of txs.slice(2)) assert.ok(a.pool.has(txHash(t)), 'the txs the smaller block left out wait in the mempool');
  const own = a.seq.blocks.get(s2)!;
  assert.equal(own.txs.length, 2, 'a smaller block: what this node proves in time');
  assert.equal(own.limitedTo, 2);
  const proposed = a.events.find((e) => e.type === 'proposed' && e.slot === s2);
  assert.deepEqual(proposed && 'smaller' in proposed ? proposed.smaller : undefined, { txs: 2, reason: 'no acceptable quote last slot: self-proving' });
  assert.equal(await status(txs[2]), 'pending', 'ladder: back to pending');
  await phase(s2, 'Reveal', [a]);
  await phase(s2, 'Commitment', [a]);
  const committed = a.events.find((e) => e.type === 'committed' && e.slot === s2);
  assert.equal(committed && 'prover' in committed ? committed.prover : undefined, fx.wallets[1].address, 'self-proving');
  await chain.syncTo();
  const c = await chain.block(s2);
  assert.equal(c?.blockHash, own.blockHash);
  assert.deepEqual(c!.txHashes, own.hashes);
  for (const h of own.hashes) assert.equal((await chain.txStatus(h))?.status, 'committed');
  assert.equal(a.pool.size, 3);
});

test('a slot lost to another sequencer\'s block: the txs it did not include come back, those it included do not', async () => {
  const b = await sequencer(2, { chooseProver: quoteFrom(2) });
  const c = await sequencer(3, { chooseProver: quoteFrom(3) });
  await chain.syncTo();
  const shared = tx(1, nonce(1), 5n);
  const onlyMine = tx(2, nonce(2), 5n);
  const s = await nextSlot();
  // the seed hashes the block before the proposal phase: readable (eth_call) once a later block exists
  await fx.mineTo((await fx.clients[0].slotTiming(s)).proposalStart);
  // the lower score loses
  const deposit = 100n * E18;
  const [sb, sc] = await Promise.all([fx.clients[0].scoreOf(s, fx.wallets[2].address, deposit), fx.clients[0].scoreOf(s, fx.wallets[3].address, deposit)]);
  const [winner, loser] = sb > sc ? [b, c] : [c, b];
  await addAll(winner.pool, [shared]);
  await addAll(loser.pool, [shared, onlyMine]);
  await phase(s, 'Proposal', [loser, winner]);
  await phase(s, 'Reveal', [loser, winner]);
  await phase(s, 'Commitment', [loser, winner]); // the loser commits first, the winner takes the slot over
  await chain.syncTo();
  const lost = loser.seq.blocks.get(s)!;
  assert.equal(lost.stage, 'committed');
  assert.equal((await chain.block(s))?.blockHash, winner.seq.blocks.get(s)!.blockHash);
  assert.equal(await status(onlyMine), 'reorged', 'its block led the slot, then was displaced');

  await phase(s + 1, 'Proposal', [loser]);
  const r = loser.seq.requeued.find((x) => x.slot === s)!;
  assert.equal(r.reason, 'lost-slot');
  assert.deepEqual(r.requeued, [txHash(onlyMine)]);
  assert.deepEqual(r.skipped, [txHash(shared)], 'included in the winning block since');
  assert.equal(await status(shared), 'committed');
  // and the loser's next block includes it
  assert.deepEqual(loser.seq.blocks.get(s + 1)!.hashes, [txHash(onlyMine)]);
});

test('a slash: the slashed block\'s txs come back (reorged, then pending) and land in a later block', async () => {
  const d = await sequencer(1, { chooseProver: quoteFrom(1) });
  await chain.syncTo();
  const t = tx(3, nonce(3), 7n);
  await addAll(d.pool, [t]);
  const s = await nextSlot();
  await slot(s, [d]);
  await chain.syncTo();
  // other pending blocks (earlier tests) are slashed in order: slash from the oldest pending one
  for (const { slot: p } of await chain.pendingChain()) {
    const timing = await fx.clients[0].slotTiming(p);
    await fx.mineTo(timing.deadline);
    if ((await fx.clients[0].blockStatus(p)) === 'Pending') await fx.clients[0].slash(p);
  }
  await chain.syncTo();
  await d.keeper.idle();
  // the oldest pending block (test 1's) is slashed; ours, built on it, is invalidated with it
  assert.equal((await chain.block(s))?.status, 'invalidated');
  assert.ok(d.pool.has(txHash(t)), 'back in the mempool');
  const rec = await chain.txStatus(txHash(t));
  assert.equal(rec?.status, 'pending');
  assert.ok(rec?.at.reorged, 'it was reorged on the way');

  const next = await nextSlot();
  await slot(next, [d]);
  await chain.syncTo();
  assert.ok((await chain.block(next))?.txHashes.includes(txHash(t)), 'included in a later block');
  assert.equal(await status(t), 'committed');
  await chain.stop(); // before the fixture's anvil and provider go (its after hooks run first)
});
