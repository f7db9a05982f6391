// The Sidecar protocol on a real anvil through the typed client, with real L2 blocks (signed
// Grumpkin transfers applied to a WorldState; the contract's SHA-256 txs commitment and block
// hash are checked against the TS ones) and the stand-in SignatureVerifier.
// One anvil for the file; every test starts from the same snapshot (sequencers staked).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { toBeHex } from 'ethers';
import { L1Error, blockHash, proposalCommitment, quoteDigest, quoteSigner, type L1Block, type SidecarClient } from '../../../node/l1/client.js';
import { signatureProof } from '../../../node/l1/signature-verifier.js';
import { makeL2, type L2Fixture } from '../../helpers/l2.js';
import { useProtocol } from '../../helpers/protocol.js';

const E18 = 10n ** 18n;
const params = {
  proposalBlocks: 8, revealBlocks: 8, commitBlocks: 8, provingBlocks: 40, submissionBlocks: 8,
  earlyProofs: true, reorgWindow: 8, minStake: 1000n * E18, activationDelay: 1, exitDelay: 16,
  minProverDeposit: 100n * E18, blockReward: 10n * E18, submissionReward: 1n * E18,
  proverExclusiveBlocks: 0, // (the exclusive window has its own forge tests; here anyone may land a proof at once)
};
const l2Base = await makeL2(4);
const fx = await useProtocol({ params: { ...params, genesisRoot: l2Base.genesisRoot }, accounts: 8, fundRewards: 1000n * E18 });
const [admin, seqA, seqB, seqC, proverP, proverQ, submitter, anyone] = fx.clients;
const addr = await Promise.all(fx.clients.map((c) => c.address()));
const [, A, B, C, P, Q, S] = addr;
const chainId = fx.deployment.chainId;
for (const s of [seqA, seqB, seqC]) await s.stake(params.minStake);
await fx.mine(2);
const base = await fx.snapshot();

let l2: L2Fixture;
beforeEach(async () => { l2 = await makeL2(4); });
afterEach(async () => { await base(); });

const hex = (x: bigint) => toBeHex(x, 32);

/** The next slot whose proposal phase has not started. */
async function nextSlot(): Promise<bigint> {
  return (await admin.currentSlot()) + 1n;
}

/** A proof the stand-in verifier accepts for `slot`'s canonical block naming `by` (its sender) as the recipient (inputs from the contract). */
async function proofFor(slot: bigint, by = submitter): Promise<string> {
  return signatureProof(fx.deployer, fx.deployment.verifier, chainId, await admin.publicInputs(slot, slot, await by.address()));
}

describe('Sidecar protocol on anvil (typed client)', { timeout: 300_000 }, () => {
  test('happy path: propose, reveal (txs commitment = TS), commit, prove, exact credits, withdraw everything', async () => {
    const slot = await nextSlot();
    const tip = 7n * E18;
    const deposit = 150n * E18;
    const share = 2500;
    const block = l2.buildBlock(slot, 5);
    assert.equal(BigInt(await admin.computeTxsCommitment(block.txs)), block.txsCommitment, 'contract SHA-256 tree = TS txsCommitment');
    assert.equal(await admin.contractBlockHash(block), blockHash(block), 'contract block hash = TS blockHash');

    await fx.nextTxAt(slot, 'proposalStart');
    const before = { A: await seqA.tokenBalance(A), sidecar: await admin.tokenBalance(fx.deployment.sidecar), pool: await admin.rewardPool() };
    await seqA.propose(slot, block, tip, share);
    assert.deepEqual(await admin.currentPhase(), { slot, phase: 'Proposal' });
    const sealed = await admin.getProposal(slot, A);
    assert.equal(sealed?.commitment, proposalCommitment(blockHash(block), A), 'propose posts keccak(blockHash, sequencer)');
    assert.equal(await admin.contractProposalCommitment(blockHash(block), A), sealed?.commitment, 'contract commitment = TS proposalCommitment');
    assert.equal(BigInt(sealed!.blockHash), 0n, 'the block hash stays private until the reveal');
    assert.equal(await admin.tokenBalance(fx.deployment.sidecar), before.sidecar + tip, 'tip escrowed');
    await fx.nextTxAt(slot, 'revealStart');
    await seqA.reveal(block);
    const prop = await admin.getProposal(slot, A);
    assert.ok(prop?.revealed);
    assert.equal(prop.blockHash, blockHash(block));
    assert.equal(prop.commitment, sealed?.commitment);
    assert.equal(BigInt(prop.txsCommitment), block.txsCommitment);
    assert.equal(BigInt(prop.endRoot), block.endRoot);
    await fx.nextTxAt(slot, 'commitStart');
    await seqA.commitProver(slot, P, deposit);
    assert.equal(await admin.blockStatus(slot), 'Committed');
    await fx.nextTxAt(slot, 'commitEnd');
    assert.equal(await admin.blockStatus(slot), 'Committed', 'views read the head block: the last commitment block');
    await fx.mine(1);
    assert.equal(await admin.blockStatus(slot), 'Pending');
    const canon = await admin.canonicalBlock(slot);
    assert.ok(canon);
    assert.equal(canon.sequencer, A);
    assert.equal(canon.prover, P);
    assert.equal(canon.depositor, A);
    assert.deepEqual(await admin.publicInputs(slot, slot, S), [hex(slot), hex(l2.genesisRoot), hex(block.endRoot), hex(block.txsCommitment), hex(BigInt(S))]);

    const sent = await submitter.submitProof(slot, await proofFor(slot, submitter));
    assert.ok(sent.gasUsed > 0n);
    assert.equal(await admin.blockStatus(slot), 'Proven');
    assert.equal((await admin.chainState()).lastProvenSlot, slot);
    const proverShare = (params.blockReward * BigInt(share)) / 10_000n;
    const expected = new Map([
      [P, tip + proverShare],
      [A, params.blockReward - proverShare + deposit],
      [S, params.submissionReward],
    ]);
    for (const [who, amount] of expected) assert.equal(await admin.creditOf(who), amount, `credit of ${who}`);
    assert.equal(await admin.rewardPool(), before.pool - params.blockReward - params.submissionReward);

    // withdraw every credited amount: balances move by exactly the credit, the contract keeps stakes + pool
    for (const [who, amount] of expected) {
      const c = fx.clients[addr.indexOf(who)];
      const bal = await c.tokenBalance(who);
      await c.withdraw();
      assert.equal(await c.tokenBalance(who), bal + amount);
      assert.equal(await admin.creditOf(who), 0n);
    }
    assert.equal(await admin.tokenBalance(fx.deployment.sidecar), 3n * params.minStake + (await admin.rewardPool()));
    await assert.rejects(proverP.withdraw(), (e: unknown) => e instanceof L1Error && e.code === 'NothingToWithdraw');
    assert.equal(await seqA.tokenBalance(A), before.A - tip - deposit + params.blockReward - proverShare + deposit);
  });

  test('prover-funded commitment with an EIP-712 quote; the deposit goes back to the prover; pipelined next block', async () => {
    const s1 = await nextSlot();
    const b1 = l2.buildBlock(s1, 2);
    await fx.nextTxAt(s1, 'proposalStart');
    await seqB.propose(s1, b1, 3n * E18, 1000);
    await fx.nextTxAt(s1, 'revealStart');
    await seqB.reveal(b1);
    await fx.nextTxAt(s1, 'commitStart');
    const t = await admin.slotTiming(s1);
    const quote = { slot: s1, blockHash: blockHash(b1), prover: Q, fee: 2n * E18, deposit: 120n * E18, proverFundsDeposit: true, validUntilBlock: BigInt(t.commitEnd - 1) };
    const sig = await proverQ.signQuote(quote);
    assert.equal(await admin.contractQuoteDigest(quote), quoteDigest(chainId, fx.deployment.sidecar, quote), 'TS EIP-712 digest = contract digest');
    assert.equal(quoteSigner(chainId, fx.deployment.sidecar, quote, sig), Q);
    // a quote for another block hash is refused with a readable error
    await assert.rejects(seqB.commitProverWithQuote(s1, { ...quote, blockHash: hex(1n) }, sig), (e: unknown) => e instanceof L1Error && e.code === 'QuoteMismatch');
    // a tampered fee breaks the signature
    await assert.rejects(seqB.commitProverWithQuote(s1, { ...quote, fee: 1n }, sig), (e: unknown) => e instanceof L1Error && e.code === 'InvalidQuoteSignature');
    const qBal = await proverQ.tokenBalance(Q);
    await seqB.commitProverWithQuote(s1, quote, sig);
    assert.equal(await proverQ.tokenBalance(Q), qBal - quote.deposit, 'deposit pulled from the prover');
    assert.equal((await admin.getBlock(s1)).depositor, Q);

    // slot s1+1 proposes on top of s1's end state while s1 is unproven (pipelining)
    const s2 = s1 + 1n;
    const b2 = l2.buildBlock(s2, 3);
    await fx.nextTxAt(s2, 'proposalStart');
    await seqC.propose(s2, b2, 1n * E18, 0);
    await fx.nextTxAt(s2, 'revealStart');
    await seqC.reveal(b2);
    await fx.nextTxAt(s2, 'commitStart');
    await seqC.commitProver(s2, P, 100n * E18);
    await fx.nextTxAt(s2, 'commitEnd');
    // s2's parent is not proven yet
    await assert.rejects(submitter.submitProof(s2, await proofFor(s2, submitter)), (e: unknown) => e instanceof L1Error && e.code === 'ParentNotProven' && /ParentNotProven\(slot=\d+, parentSlot=\d+\)/.test(e.message));
    await anyone.submitProof(s1, await proofFor(s1, anyone));
    await submitter.submitProof(s2, await proofFor(s2, submitter));
    assert.equal(await admin.blockStatus(s2), 'Proven');
    const share1 = (params.blockReward * 1000n) / 10_000n;
    assert.equal(await admin.creditOf(Q), 3n * E18 + share1 + quote.deposit, 'prover: tip + share + its deposit back');
    assert.equal(await admin.creditOf(B), params.blockReward - share1);
    assert.equal(await admin.creditOf(C), params.blockReward + 100n * E18, 'share 0: the sequencer gets the whole reward, and its deposit');
    assert.equal(await admin.creditOf(P), 1n * E18);
  });

  test('the top-ranked proposer does not commit: the next-ranked committed proposal wins; tips refunded', async () => {
    const slot = await nextSlot();
    // the seed is blockhash(proposalStart - 1): ranks are final once that block is mined
    await fx.nextTxAt(slot, 'proposalStart', 1);
    const seqs = [seqA, seqB, seqC];
    const ranks = await Promise.all(seqs.map(async (c) => ({ c, a: await c.address(), r: await admin.rankOf(slot, await c.address()) })));
    ranks.sort((x, y) => (x.r > y.r ? -1 : 1));
    const [top, second, third] = ranks;
    // all three propose different blocks on the same parent
    const blocks = new Map<string, L1Block>();
    const tips = new Map([[top.a, 5n * E18], [second.a, 4n * E18], [third.a, 3n * E18]]);
    for (const { c, a } of ranks) {
      const b = l2.buildBlock(slot, 1 + blocks.size, l2.state.clone());
      blocks.set(a, b);
      await c.propose(slot, b, tips.get(a)!, 5000);
    }
    await fx.nextTxAt(slot, 'revealStart');
    for (const { c, a } of ranks) await c.reveal(blocks.get(a)!);
    await fx.nextTxAt(slot, 'commitStart');
    await third.c.commitProver(slot, P, 100n * E18);
    assert.equal(await admin.canonicalSequencer(slot), third.a, 'the only committed proposal leads');
    await second.c.commitProver(slot, Q, 100n * E18);
    assert.equal(await admin.canonicalSequencer(slot), second.a, 'a higher-ranked commitment takes the lead');
    // refunds wait for the end of the commitment phase
    await assert.rejects(anyone.refundProposal(slot, top.a), (e: unknown) => e instanceof L1Error && e.code === 'NotRefundable');
    await fx.nextTxAt(slot, 'commitEnd', 1);
    const canon = await admin.canonicalBlock(slot);
    assert.equal(canon?.sequencer, second.a);
    assert.equal(canon?.blockHash, blockHash(blocks.get(second.a)!));
    assert.equal(canon?.status, 'Pending');
    // the top one never committed; the third committed but lost: tips (and deposit) credited back
    await anyone.refundProposal(slot, top.a);
    await anyone.refundProposal(slot, third.a);
    assert.equal(await admin.creditOf(top.a), tips.get(top.a));
    assert.equal(await admin.creditOf(third.a), tips.get(third.a)! + 100n * E18);
    await assert.rejects(anyone.refundProposal(slot, second.a), (e: unknown) => e instanceof L1Error && e.code === 'NotRefundable');
    await assert.rejects(anyone.refundProposal(slot, top.a), (e: unknown) => e instanceof L1Error && e.code === 'NoProposal');
    await submitter.submitProof(slot, await proofFor(slot, submitter));
    assert.equal(await admin.creditOf(Q), tips.get(second.a)! + params.blockReward / 2n);
  });

  test('a withheld proof is slashed: later blocks reorged out, deposit split exactly, chain resumes from the last proven block', async () => {
    const s1 = await nextSlot();
    const deposit1 = 101n * E18 + 1n; // odd: 1 wei of dust with two invalidated blocks
    const plan: [SidecarClient, string, bigint, bigint][] = [[seqA, A, 2n * E18, deposit1], [seqB, B, 3n * E18, 110n * E18], [seqC, C, 4n * E18, 120n * E18]];
    const blocks: L1Block[] = [];
    for (let i = 0; i < 3; i++) {
      const slot = s1 + BigInt(i);
      const [c, , tip, deposit] = plan[i];
      const b = l2.buildBlock(slot, 2);
      blocks.push(b);
      await fx.nextTxAt(slot, 'proposalStart');
      await c.propose(slot, b, tip, 3000);
      await fx.nextTxAt(slot, 'revealStart');
      await c.reveal(b);
      await fx.nextTxAt(slot, 'commitStart');
      await c.commitProver(slot, P, deposit);
    }
    assert.equal((await admin.chainState()).pendingBlocks, 3n);
    // too early to slash
    await assert.rejects(anyone.slash(s1), (e: unknown) => e instanceof L1Error && e.code === 'DeadlineNotPassed');
    await assert.rejects(anyone.slash(s1 + 1n), (e: unknown) => e instanceof L1Error && e.code === 'DeadlineNotPassed');
    const t1 = await admin.slotTiming(s1);
    await fx.nextTxAt(s1, 'deadline');
    await assert.rejects(submitter.submitProof(s1, await proofFor(s1, submitter)), (e: unknown) => e instanceof L1Error && e.code === 'ProofTooLate');
    const pool = await admin.rewardPool();
    const r = await anyone.slash(s1);
    assert.equal(r.blockNumber, t1.deadline, 'slashable from the deadline block on (refused calls were never mined)');
    assert.equal(await admin.blockStatus(s1), 'Slashed');
    assert.equal(await admin.blockStatus(s1 + 1n), 'Invalidated');
    assert.equal(await admin.blockStatus(s1 + 2n), 'Invalidated');
    const share = deposit1 / 2n;
    const dust = deposit1 - 2n * share;
    assert.equal(dust, 1n);
    assert.equal(await admin.creditOf(A), plan[0][2], 'slashed sequencer: its tip back, its deposit gone');
    assert.equal(await admin.creditOf(B), plan[1][2] + plan[1][3] + share, 'invalidated: tip + deposit + half the slash');
    assert.equal(await admin.creditOf(C), plan[2][2] + plan[2][3] + share);
    assert.equal(await admin.creditOf(P), 0n);
    assert.equal(await admin.rewardPool(), pool + dust, 'rounding dust goes to the reward pool');
    const st = await admin.chainState();
    assert.equal(st.lastProvenSlot, 0n);
    assert.equal(st.headSlot, 0n);
    assert.equal(st.pendingBlocks, 0n);
    assert.ok(st.killedUpTo >= s1 + 2n);
    await assert.rejects(submitter.submitProof(s1 + 1n, '0x'), (e: unknown) => e instanceof L1Error && e.code === 'BlockNotPending' && /status=Invalidated/.test(e.message));
    await assert.rejects(anyone.slash(s1), (e: unknown) => e instanceof L1Error && e.code === 'BlockNotPending' && /status=Slashed/.test(e.message));

    // the chain resumes from genesis: a block on the genesis root is accepted in the next live slot
    const resume = st.killedUpTo + 1n;
    const fresh = await makeL2(4);
    const b = fresh.buildBlock(resume, 1);
    await fx.nextTxAt(resume, 'proposalStart');
    await seqB.propose(resume, b, 1n, 0);
    await fx.nextTxAt(resume, 'revealStart');
    // the reorged-out chain's end state is no longer a valid parent
    const stale = { ...l2.buildBlock(resume, 1, l2.state.clone()) };
    await assert.rejects(seqB.reveal(stale), (e: unknown) => e instanceof L1Error && e.code === 'BlockHashMismatch');
    await seqB.reveal(b);
    await fx.nextTxAt(resume, 'commitStart');
    await seqB.commitProver(resume, P, 100n * E18);
    await fx.nextTxAt(resume, 'commitEnd');
    assert.equal((await admin.getBlock(resume)).startRoot, hex(fresh.genesisRoot));
    await submitter.submitProof(resume, await proofFor(resume, submitter));
    assert.equal(await admin.blockStatus(resume), 'Proven');

    // everyone withdraws every credit; afterwards the contract holds exactly stakes + pool
    for (const c of fx.clients) {
      const who = await c.address();
      const credit = await admin.creditOf(who);
      if (credit === 0n) continue;
      const bal = await c.tokenBalance(who);
      await c.withdraw();
      assert.equal(await c.tokenBalance(who), bal + credit);
    }
    assert.equal(await admin.tokenBalance(fx.deployment.sidecar), 3n * params.minStake + (await admin.rewardPool()));
  });

  test('double submission, a proof for the wrong block, a forged proof, too early: all refused with decoded errors', async () => {
    const slot = await nextSlot();
    const block = l2.buildBlock(slot, 3);
    await fx.nextTxAt(slot, 'proposalStart');
    await seqA.propose(slot, block, 1n * E18, 0);
    await fx.nextTxAt(slot, 'revealStart');
    await seqA.reveal(block);
    await fx.nextTxAt(slot, 'commitStart');
    await seqA.commitProver(slot, P, 100n * E18);
    // before the commitment phase ends no proof is accepted
    const early = await proofFor(slot);
    await assert.rejects(submitter.submitProof(slot, early), (e: unknown) => e instanceof L1Error && e.code === 'ProofTooEarly');
    await fx.nextTxAt(slot, 'commitEnd');
    // a proof of another block (wrong end root) for this slot
    const wrongInputs = [hex(slot), hex(l2.genesisRoot), hex(block.endRoot ^ 1n), hex(block.txsCommitment), hex(BigInt(S))];
    const wrong = await signatureProof(fx.deployer, fx.deployment.verifier, chainId, wrongInputs);
    await assert.rejects(submitter.submitProof(slot, wrong), (e: unknown) => e instanceof L1Error && e.code === 'InvalidProof' && e.details.stage === 'preflight');
    // the right inputs, signed by someone who is not the verifier's signer
    const forged = await signatureProof(fx.wallets[7], fx.deployment.verifier, chainId, await admin.publicInputs(slot, slot, S));
    await assert.rejects(submitter.submitProof(slot, forged), (e: unknown) => e instanceof L1Error && e.code === 'InvalidProof');
    // garbage (the verifier reverts): still InvalidProof, never a crash
    await assert.rejects(submitter.submitProof(slot, '0x1234'), (e: unknown) => e instanceof L1Error && e.code === 'InvalidProof');
    const good = await proofFor(slot);
    // the same proof naming another recipient is invalid: the recipient is bound by the proof
    await assert.rejects(anyone.submitProofRange(slot, slot, await anyone.address(), good), (e: unknown) => e instanceof L1Error && e.code === 'InvalidProof');
    // a copy of the submitter's transaction, sent by anyone, pays the recipient the proof names
    await anyone.submitProofRange(slot, slot, S, good);
    await assert.rejects(submitter.submitProof(slot, good), (e: unknown) => {
      assert.ok(e instanceof L1Error);
      assert.equal(e.code, 'BlockNotPending');
      assert.match(e.message, /submitProofRange reverted: BlockNotPending\(slot=\d+, status=Proven\)/);
      return true;
    });
    assert.equal(await admin.creditOf(S), params.submissionReward, 'the named recipient is paid, once');
    assert.equal(await admin.creditOf(await anyone.address()), 0n, 'the copier gains nothing');
  });

  test('custom errors decode with names, arguments and enum labels; the nonce survives a failed send', async () => {
    const slot = await nextSlot();
    await fx.nextTxAt(slot, 'revealStart');
    await assert.rejects(seqA.propose(slot, hex(5n), 0n, 0), (e: unknown) => {
      assert.ok(e instanceof L1Error);
      assert.equal(e.code, 'WrongPhase');
      assert.equal(e.message, `propose reverted: WrongPhase(slot=${slot}, expected=Proposal, actual=Reveal)`);
      assert.deepEqual(e.details.args, { slot, expected: 'Proposal', actual: 'Reveal' });
      return true;
    });
    await assert.rejects(anyone.propose(slot + 1n, hex(5n), 0n, 0), (e: unknown) => e instanceof L1Error && e.code === 'WrongPhase');
    await fx.nextTxAt(slot + 1n, 'proposalStart');
    await assert.rejects(anyone.propose(slot + 1n, hex(5n), 0n, 0), (e: unknown) => e instanceof L1Error && e.code === 'NotEligible');
    await assert.rejects(seqA.propose(slot + 1n, hex(5n), 0n, 10_001), (e: unknown) => e instanceof L1Error && e.code === 'InvalidShareBps');
    // a token error bubbling up through Sidecar (OpenZeppelin's custom error)
    await assert.rejects(anyone.stake(10n ** 27n), (e: unknown) => e instanceof L1Error && e.code === 'ERC20InsufficientBalance');
    // a send the node refuses (gas * price beyond the balance), then a normal one: no nonce gap
    await assert.rejects(seqA.propose(slot + 1n, hex(5n), 0n, 0, { maxFeePerGas: 10n ** 22n, maxPriorityFeePerGas: 1n }),
      (e: unknown) => e instanceof L1Error && e.code === 'insufficient-funds' && e.details.stage === 'send');
    const ok = await seqA.propose(slot + 1n, hex(5n), 0n, 0);
    assert.equal(ok.receipt?.status, 1);
    assert.equal((await admin.getProposal(slot + 1n, A))?.commitment, proposalCommitment(hex(5n), A));
    await assert.rejects(seqA.propose(slot + 1n, hex(6n), 0n, 0), (e: unknown) => e instanceof L1Error && e.code === 'AlreadyProposed');
    // staking exit through the client: refused before the delay, then the whole stake comes back
    await assert.rejects(seqC.withdrawStake(), (e: unknown) => e instanceof L1Error && e.code === 'NoExitRequested');
    const ex = await seqC.requestExit();
    const exitableAt = (await admin.stakeOf(C)).exitableAt;
    assert.equal(exitableAt, ex.blockNumber + params.exitDelay);
    await assert.rejects(seqC.withdrawStake(), (e: unknown) => e instanceof L1Error && e.code === 'ExitDelayNotPassed');
    assert.equal(await admin.isEligible(C, slot + 2n), false, 'an exiting sequencer is no longer eligible');
    await fx.mineTo(exitableAt - 1);
    const bal = await seqC.tokenBalance(C);
    await seqC.withdrawStake();
    assert.equal(await seqC.tokenBalance(C), bal + params.minStake);
    assert.equal((await admin.stakeOf(C)).amount, 0n);
  });

  test('events: catch-up from a persisted cursor after a restart, and across a dropped socket, sees every event once, in order', async (t) => {
    const all: string[] = [];
    let cursor = fx.deployment.deployBlock - 1;
    const errors: Error[] = [];
    const run1 = await admin.follow({ cursor, onEvent: (e) => { all.push(`${e.blockNumber}:${e.logIndex}:${e.name}`); }, onCursor: (b) => { cursor = b; }, onError: (e) => errors.push(e) });
    const slot = await nextSlot();
    const block = l2.buildBlock(slot, 1);
    await fx.nextTxAt(slot, 'proposalStart');
    const p = await seqA.propose(slot, block, 1n, 0);
    await run1.waitFor(p.blockNumber);
    await run1.stop(); // "crash": only the cursor survives
    const seenBefore = all.length;
    assert.ok(all.some((e) => e.endsWith(':Proposed')));
    await fx.nextTxAt(slot, 'revealStart');
    await seqA.reveal(block);
    await fx.nextTxAt(slot, 'commitStart');
    await seqA.commitProver(slot, P, 100n * E18);
    await fx.nextTxAt(slot, 'commitEnd');
    const last = await submitter.submitProof(slot, await proofFor(slot, submitter));
    const run2 = await admin.follow({ cursor, onEvent: (e) => { all.push(`${e.blockNumber}:${e.logIndex}:${e.name}`); }, onCursor: (b) => { cursor = b; }, onError: (e) => errors.push(e) });
    t.after(() => run2.stop()); // also on failure
    await run2.waitFor(last.blockNumber);
    const names = all.slice(seenBefore).map((e) => e.split(':')[2]);
    assert.deepEqual(names, ['Revealed', 'CanonicalUpdated', 'ProverCommitted', 'BlockProven']);
    assert.equal(errors.length, 0, errors.map((e) => e.message).join('; '));
    // the socket drops while running: reported, reconnected, nothing missed or repeated
    run2.socket!.close();
    const w = await seqA.withdraw();
    await run2.waitFor(w.blockNumber);
    assert.equal(run2.connections, 2);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /WebSocket ws:\/\/127\.0\.0\.1:\d+ closed; reconnecting from block \d+/);
    assert.equal(all[all.length - 1].split(':')[2], 'Withdrawn');
    await run2.stop();
    // exactly what eth_getLogs holds for the contract, once each, in order
    const logs = await fx.provider.getLogs({ address: fx.deployment.sidecar, fromBlock: fx.deployment.deployBlock, toBlock: w.blockNumber });
    assert.deepEqual(all, logs.map((l) => `${l.blockNumber}:${l.index}:${admin.events.parseLog(l)!.name}`));
  });
});
