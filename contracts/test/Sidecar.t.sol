// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {Sidecar} from "../src/Sidecar.sol";
import {TestToken} from "../src/TestToken.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// A minimal ERC-1271 contract prover: signatures by its owner are its signatures.
contract Wallet1271 {
    address internal immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function approve(TestToken t, address spender, uint256 amount) external {
        t.approve(spender, amount);
    }

    function isValidSignature(bytes32 hash, bytes calldata sig) external view returns (bytes4) {
        (address r, ECDSA.RecoverError e,) = ECDSA.tryRecover(hash, sig);
        return e == ECDSA.RecoverError.NoError && r == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}

/// The protocol's rules end to end: phases, canonical selection, quotes, proofs, payouts, refunds.
contract SidecarTest is SidecarBase {
    // ------------------------------------------------------------------ timing views

    function test_timing_views() public {
        assertEq(sc.slotPeriod(), 12);
        vm.roll(GENESIS - 1);
        assertEq(sc.currentSlot(), 0);
        assertEq(uint256(sc.phaseOf(1)), uint256(ISidecar.Phase.NotStarted), "before genesis");
        ISidecar.SlotTiming memory t = sc.slotTiming(3);
        assertEq(t.proposalStart, GENESIS + 24);
        assertEq(t.revealStart, GENESIS + 28);
        assertEq(t.commitStart, GENESIS + 32);
        assertEq(t.commitEnd, GENESIS + 36);
        assertEq(t.proofsFrom, GENESIS + 36);
        assertEq(t.submissionStart, GENESIS + 76);
        assertEq(t.deadline, GENESIS + 80);
        assertEq(t.seedBlock, GENESIS + 23);
        vm.roll(GENESIS + 35);
        (uint256 slot, ISidecar.Phase ph) = sc.currentPhase();
        assertEq(slot, 3);
        assertEq(uint256(ph), uint256(ISidecar.Phase.Commitment), "commit phase");
        vm.roll(GENESIS + 36);
        assertEq(sc.currentSlot(), 4);
        assertEq(uint256(sc.phaseOf(3)), uint256(ISidecar.Phase.Proving), "proving");
        vm.roll(GENESIS + 79);
        assertEq(uint256(sc.phaseOf(3)), uint256(ISidecar.Phase.Submission), "submission");
        vm.roll(GENESIS + 80);
        assertEq(uint256(sc.phaseOf(3)), uint256(ISidecar.Phase.Closed), "closed");
        assertEq(uint256(sc.phaseOf(0)), uint256(ISidecar.Phase.Closed), "genesis slot");
        assertEq(sc.slotTiming(0).proposalStart, 0);
        assertEq(uint256(sc.blockStatus(0)), uint256(ISidecar.BlockStatus.Proven), "genesis proven");
        assertEq(sc.getBlock(0).endRoot, GENESIS_ROOT);
    }

    function test_config_roundtrip() public view {
        ISidecar.Config memory c = sc.config();
        assertEq(c.token, address(token));
        assertEq(c.verifier, address(verifier));
        assertEq(sc.token(), address(token));
        assertEq(address(sc.verifier()), address(verifier));
        assertEq(uint256(c.genesisBlock), GENESIS);
        assertEq(c.genesisRoot, GENESIS_ROOT);
        assertEq(uint256(c.minProverDeposit), DEPOSIT);
        assertEq(uint256(c.reorgWindow), 8);
        assertTrue(c.earlyProofs, "early proofs");
        assertEq(c.commitmentRegistry, address(0));
        assertEq(uint256(c.depositRankCap), 0);
        assertEq(sc.rewardPool(), POOL);
    }

    // ------------------------------------------------------------------ happy path

    function test_happyPath_payouts() public {
        Blk memory b = _slot(1, seqA, 5e18, 1);
        assertEq(uint256(sc.blockStatus(1)), uint256(ISidecar.BlockStatus.Committed), "committed while phase open");
        _roll(1, ISidecar.Phase.Proving);
        assertEq(uint256(sc.blockStatus(1)), uint256(ISidecar.BlockStatus.Pending), "pending");
        ISidecar.BlockView memory bv = sc.getBlock(1);
        assertEq(bv.sequencer, seqA);
        assertEq(bv.blockHash, b.hash);
        assertEq(bv.startRoot, GENESIS_ROOT);
        assertEq(bv.endRoot, b.endRoot);
        assertEq(bv.txsCommitment, sc.computeTxsCommitment(b.txs));
        assertEq(bv.prover, prover);
        assertEq(bv.depositor, seqA);
        assertEq(bv.deposit, DEPOSIT);
        assertEq(bv.tip, 5e18);
        bytes32[] memory pi = sc.publicInputs(1, 1, submitter);
        assertEq(pi.length, 5, "4 per block + the recipient");
        assertEq(pi[0], bytes32(uint256(1)));
        assertEq(pi[1], GENESIS_ROOT);
        assertEq(pi[2], b.endRoot);
        assertEq(pi[3], sc.computeTxsCommitment(b.txs));
        assertEq(pi[4], bytes32(uint256(uint160(submitter))));

        uint256 seqBal = token.balanceOf(seqA);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockProven(1, prover, submitter, 5e18 + 20e18, 80e18, SUB_REWARD);
        _submit(1);
        assertEq(uint256(sc.blockStatus(1)), uint256(ISidecar.BlockStatus.Proven), "proven");
        assertEq(sc.creditOf(submitter), SUB_REWARD, "submission reward");
        assertEq(sc.creditOf(prover), 5e18 + 20e18, "tip + 20% of block reward");
        assertEq(sc.creditOf(seqA), 80e18 + DEPOSIT, "rest of block reward + deposit back");
        assertEq(sc.rewardPool(), POOL - BLOCK_REWARD - SUB_REWARD);
        ISidecar.ChainState memory cs = sc.chainState();
        assertEq(cs.lastProvenSlot, 1);
        assertEq(cs.headSlot, 1);
        assertEq(cs.pendingBlocks, 0);

        vm.prank(seqA);
        sc.withdraw(seqA);
        assertEq(token.balanceOf(seqA), seqBal + 80e18 + DEPOSIT, "withdrawn");
        assertEq(sc.creditOf(seqA), 0);
        vm.prank(prover);
        sc.withdraw(address(0xBEEF));
        assertEq(token.balanceOf(address(0xBEEF)), 25e18, "withdraw to another address");
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");
    }

    function test_pipelining_chainOfThree() public {
        Blk memory b1 = _slot(1, seqA, 1e18, 1);
        // Slot 2 proposes on slot 1's end state before slot 1 is proven.
        Blk memory b2 = _slot(2, seqB, 1e18, 2);
        assertEq(b2.startRoot, b1.endRoot, "slot 2 builds on slot 1");
        Blk memory b3 = _slot(3, seqC, 1e18, 3);
        assertEq(b3.startRoot, b2.endRoot);
        ISidecar.ChainState memory cs = sc.chainState();
        assertEq(cs.headSlot, 3);
        assertEq(cs.pendingBlocks, 3);
        assertEq(sc.getBlock(3).parentSlot, 2);
        assertEq(sc.getBlock(2).startRoot, b1.endRoot);

        _roll(3, ISidecar.Phase.Proving);
        bytes memory p2 = _proof(2);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ParentNotProven.selector, 2, 1));
        sc.submitProofRange(2, 2, submitter, p2);
        _submit(1);
        _submit(2);
        _submit(3);
        cs = sc.chainState();
        assertEq(cs.lastProvenSlot, 3);
        assertEq(cs.pendingBlocks, 0);
    }

    function test_emptySlotsAreSkipped() public {
        Blk memory b1 = _slot(1, seqA, 0, 1);
        // slots 2 and 3 get no block; slot 4 builds on slot 1
        Blk memory b4 = _slot(4, seqB, 0, 4);
        assertEq(b4.startRoot, b1.endRoot);
        assertEq(sc.getBlock(4).parentSlot, 1);
        assertEq(uint256(sc.blockStatus(2)), uint256(ISidecar.BlockStatus.None));
        _roll(4, ISidecar.Phase.Proving);
        _submit(1);
        _submit(4);
    }

    // ------------------------------------------------------------------ canonical selection

    function _threeWay(uint256 slot) internal returns (Blk memory a, Blk memory b, Blk memory c) {
        _roll(slot, ISidecar.Phase.Proposal);
        bytes32 root = _headRoot();
        a = _mkBlock(slot, root, 11, 2);
        b = _mkBlock(slot, root, 12, 2);
        c = _mkBlock(slot, root, 13, 2);
        _propose(seqA, a, 1e18, 1000);
        _propose(seqB, b, 2e18, 1000);
        _propose(seqC, c, 3e18, 1000);
        _roll(slot, ISidecar.Phase.Reveal);
        _reveal(seqA, a);
        _reveal(seqB, b);
        _reveal(seqC, c);
        _roll(slot, ISidecar.Phase.Commitment);
    }

    function _byRank(uint256 slot) internal view returns (address[3] memory s) {
        s = [seqA, seqB, seqC];
        for (uint256 i; i < 3; ++i) {
            for (uint256 j = i + 1; j < 3; ++j) {
                if (sc.rankOf(slot, s[j]) > sc.rankOf(slot, s[i])) (s[i], s[j]) = (s[j], s[i]);
            }
        }
    }

    function test_canonical_highestRankWins_anyCommitOrder() public {
        _threeWay(1);
        address[3] memory r = _byRank(1);
        // commit lowest first: the leader changes as better-ranked proposals commit
        _commit(r[2], 1, prover, DEPOSIT);
        assertEq(sc.canonicalSequencer(1), r[2]);
        _commit(r[0], 1, prover, DEPOSIT);
        assertEq(sc.canonicalSequencer(1), r[0]);
        _commit(r[1], 1, prover, DEPOSIT);
        assertEq(sc.canonicalSequencer(1), r[0], "a lower rank does not take over");
        assertEq(sc.scoreOf(1, r[0], 0), sc.rankOf(1, r[0]), "score = rank when the option is off");
        assertEq(sc.chainState().pendingBlocks, 1, "one block per slot");
    }

    function test_canonical_fallback_whenTopDoesNotCommit() public {
        (Blk memory a, Blk memory b, Blk memory c) = _threeWay(1);
        address[3] memory r = _byRank(1);
        _commit(r[1], 1, prover, DEPOSIT);
        _commit(r[2], 1, prover2, DEPOSIT);
        _roll(1, ISidecar.Phase.Proving);
        assertEq(sc.canonicalSequencer(1), r[1], "second-ranked wins when the top does not commit");
        bytes32 expected = r[1] == seqA ? a.hash : r[1] == seqB ? b.hash : c.hash;
        assertEq(sc.getBlock(1).blockHash, expected);

        // the others are refunded (pull): tip to the sequencer, deposit to its depositor
        uint256 tipTop = sc.getProposal(1, r[0]).tip;
        uint256 tipThird = sc.getProposal(1, r[2]).tip;
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.ProposalRefunded(1, r[0], tipTop, address(0), 0);
        sc.refundProposal(1, r[0]);
        sc.refundProposal(1, r[2]);
        assertEq(sc.creditOf(r[0]), tipTop);
        assertEq(sc.creditOf(r[2]), tipThird + DEPOSIT, "tip and sequencer-funded deposit back");
        assertFalse(sc.getProposal(1, r[0]).exists, "deleted");
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoProposal.selector, 1, r[0]));
        sc.refundProposal(1, r[0]);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotRefundable.selector, 1, r[1]));
        sc.refundProposal(1, r[1]);
        _submit(1);
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");
    }

    function test_refund_notBeforeCommitEnd_andUnrevealed() public {
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory a = _mkBlock(1, GENESIS_ROOT, 1, 1);
        _propose(seqA, a, 7e18, 0);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotRefundable.selector, 1, seqA));
        sc.refundProposal(1, seqA);
        _roll(1, ISidecar.Phase.Commitment);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotRefundable.selector, 1, seqA));
        sc.refundProposal(1, seqA);
        _roll(1, ISidecar.Phase.Proving);
        sc.refundProposal(1, seqA);
        assertEq(sc.creditOf(seqA), 7e18, "never revealed: tip back");
        assertEq(uint256(sc.blockStatus(1)), uint256(ISidecar.BlockStatus.None));
    }

    // ------------------------------------------------------------------ quotes

    function _revealed(uint256 slot, address seq, uint256 tip) internal returns (Blk memory b) {
        _roll(slot, ISidecar.Phase.Proposal);
        b = _mkBlock(slot, _headRoot(), slot, 2);
        _propose(seq, b, tip, 500);
        _roll(slot, ISidecar.Phase.Reveal);
        _reveal(seq, b);
        _roll(slot, ISidecar.Phase.Commitment);
    }

    function test_quote_proverFunded() public {
        Blk memory b = _revealed(1, seqA, 5e18);
        ISidecar.Quote memory q = _quote(1, b.hash, prover, 4e18, DEPOSIT + 1, true, block.number);
        bytes memory sig = _signQuote(PROVER_PK, q);
        uint256 pBal = token.balanceOf(prover);
        uint256 sBal = token.balanceOf(seqA);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.ProverCommitted(1, seqA, prover, DEPOSIT + 1, prover);
        vm.prank(seqA);
        sc.commitProverWithQuote(1, q, sig);
        assertEq(token.balanceOf(prover), pBal - DEPOSIT - 1, "deposit pulled from the prover");
        assertEq(token.balanceOf(seqA), sBal, "sequencer pays nothing");
        ISidecar.ProposalView memory pv = sc.getProposal(1, seqA);
        assertTrue(pv.proverFunded && pv.committed, "prover-funded");
        assertEq(sc.getBlock(1).depositor, prover);
        _roll(1, ISidecar.Phase.Proving);
        _submit(1);
        assertEq(sc.creditOf(prover), DEPOSIT + 1 + 5e18 + 5e18, "deposit back + tip + 5% share");
        assertEq(sc.creditOf(seqA), 95e18);
    }

    function test_quote_sequencerFunded() public {
        Blk memory b = _revealed(1, seqA, 5e18);
        ISidecar.Quote memory q = _quote(1, b.hash, prover, 5e18, DEPOSIT, false, block.number + 10);
        bytes memory sig = _signQuote(PROVER_PK, q);
        uint256 sBal = token.balanceOf(seqA);
        vm.prank(seqA);
        sc.commitProverWithQuote(1, q, sig);
        assertEq(token.balanceOf(seqA), sBal - DEPOSIT, "pulled from the sequencer");
        assertEq(sc.getBlock(1).depositor, seqA);
    }

    function test_quote_reverts() public {
        Blk memory b = _revealed(1, seqA, 5e18);
        ISidecar.Quote memory q = _quote(1, b.hash, prover, 5e18, DEPOSIT, true, block.number);
        bytes memory sig = _signQuote(PROVER_PK, q);

        ISidecar.Quote memory bad = _quote(2, b.hash, prover, 5e18, DEPOSIT, true, block.number);
        bytes memory badSig1 = _signQuote(PROVER_PK, bad);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.QuoteMismatch.selector, 2, b.hash));
        sc.commitProverWithQuote(1, bad, badSig1);

        bad = _quote(1, bytes32(uint256(1)), prover, 5e18, DEPOSIT, true, block.number);
        bytes memory badSig2 = _signQuote(PROVER_PK, bad);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.QuoteMismatch.selector, 1, bytes32(uint256(1))));
        sc.commitProverWithQuote(1, bad, badSig2);

        bad = _quote(1, b.hash, prover, 5e18 + 1, DEPOSIT, true, block.number);
        bytes memory badSig3 = _signQuote(PROVER_PK, bad);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.TipBelowFee.selector, 5e18, 5e18 + 1));
        sc.commitProverWithQuote(1, bad, badSig3);

        // signed by someone else than the named prover
        bytes memory otherSig = _signQuote(PROVER2_PK, q);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidQuoteSignature.selector, prover));
        sc.commitProverWithQuote(1, q, otherSig);

        // a signature over different terms
        ISidecar.Quote memory q2 = _quote(1, b.hash, prover, 5e18, DEPOSIT * 2, true, block.number);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidQuoteSignature.selector, prover));
        sc.commitProverWithQuote(1, q2, sig);

        // no proposal
        vm.prank(seqB);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoProposal.selector, 1, seqB));
        sc.commitProverWithQuote(1, q, sig);

        // deposit below minimum in the quote
        bad = _quote(1, b.hash, prover, 0, DEPOSIT - 1, true, block.number);
        bytes memory badSig4 = _signQuote(PROVER_PK, bad);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.DepositTooLow.selector, DEPOSIT - 1, DEPOSIT));
        sc.commitProverWithQuote(1, bad, badSig4);

        // expired
        vm.roll(block.number + 1);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.QuoteExpired.selector, block.number - 1));
        sc.commitProverWithQuote(1, q, sig);
    }

    function test_quote_contractProver_erc1271() public {
        Blk memory b = _revealed(1, seqA, 5e18);
        Wallet1271 wallet = new Wallet1271(prover2);
        token.mint(address(wallet), DEPOSIT);
        wallet.approve(token, address(sc), DEPOSIT);
        ISidecar.Quote memory q = _quote(1, b.hash, address(wallet), 0, DEPOSIT, true, block.number);
        bytes memory sig = _signQuote(PROVER2_PK, q); // the wallet's owner signs
        bytes memory wrong = _signQuote(PROVER_PK, q);
        vm.prank(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidQuoteSignature.selector, address(wallet)));
        sc.commitProverWithQuote(1, q, wrong);
        vm.prank(seqA);
        sc.commitProverWithQuote(1, q, sig);
        assertEq(token.balanceOf(address(wallet)), 0, "deposit pulled from the contract prover");
        assertEq(sc.getBlock(1).depositor, address(wallet));
    }

    function test_quote_proverWithoutAllowance_reverts() public {
        Blk memory b = _revealed(1, seqA, 5e18);
        vm.prank(prover);
        token.approve(address(sc), 0);
        ISidecar.Quote memory q = _quote(1, b.hash, prover, 0, DEPOSIT, true, block.number);
        bytes memory sig = _signQuote(PROVER_PK, q);
        vm.prank(seqA);
        vm.expectRevert();
        sc.commitProverWithQuote(1, q, sig);
        assertFalse(sc.getProposal(1, seqA).committed, "nothing committed");
    }

    // ------------------------------------------------------------------ proofs

    function test_submit_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoCanonicalBlock.selector, 1));
        sc.submitProofRange(1, 1, submitter, "");
        vm.expectRevert(ISidecar.ZeroRecipient.selector);
        sc.submitProofRange(1, 1, address(0), "");
        _slot(1, seqA, 1e18, 1);
        // commitment phase still open
        bytes memory proof = _proof(1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ProofTooEarly.selector, sc.slotTiming(1).commitEnd));
        sc.submitProofRange(1, 1, submitter, proof);
        _roll(1, ISidecar.Phase.Proving);
        // signed by a key that is not the verifier's signer
        bytes memory forged = _signInputs(PROVER_PK, _inputs(1, 1, submitter));
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidProof.selector, 1));
        sc.submitProofRange(1, 1, submitter, forged);
        // malformed: the verifier reverts, Sidecar reports an invalid proof
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidProof.selector, 1));
        sc.submitProofRange(1, 1, submitter, hex"1234");
        // a proof of other public inputs (a different block)
        bytes32[] memory other = _inputs(1, 1, submitter);
        other[2] = bytes32(uint256(other[2]) ^ 1);
        bytes memory wrongBlock = _signInputs(SIGNER_PK, other);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidProof.selector, 1));
        sc.submitProofRange(1, 1, submitter, wrongBlock);
        // the recipient is bound: the same proof naming another recipient is invalid
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidProof.selector, 1));
        sc.submitProofRange(1, 1, address(0xC0FFEE), proof);
        // first valid proof wins, a second one is refused
        _submit(1);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.BlockNotPending.selector, 1, ISidecar.BlockStatus.Proven)
        );
        sc.submitProofRange(1, 1, submitter, proof);
        assertEq(sc.creditOf(submitter), SUB_REWARD, "paid once");
    }

    function test_submit_copiedTransactionPaysTheNamedRecipient() public {
        _slot(1, seqA, 0, 1);
        _roll(1, ISidecar.Phase.Proving);
        bytes memory proof = _proof(1); // names `submitter`
        // a front-runner copies the pending calldata and lands it first: the reward still goes to `submitter`
        address copier = address(0xBAD);
        vm.prank(copier);
        sc.submitProofRange(1, 1, submitter, proof);
        assertEq(sc.creditOf(copier), 0, "the copier gains nothing");
        assertEq(sc.creditOf(submitter), SUB_REWARD, "the named recipient is paid");
    }

    function test_submit_tooLate() public {
        _slot(1, seqA, 0, 1);
        bytes memory proof = _proof(1);
        _roll(1, ISidecar.Phase.Closed);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ProofTooLate.selector, sc.slotTiming(1).deadline));
        sc.submitProofRange(1, 1, submitter, proof);
        vm.roll(block.number - 1);
        sc.submitProofRange(1, 1, submitter, proof); // last block before the deadline
    }

    function test_rewardPool_runsDry() public {
        // a fresh deployment with a pool smaller than one block's rewards
        sc = new Sidecar(_config());
        token.mint(deployer, 40e18);
        for (uint256 i; i < 7; ++i) {
            vm.prank(_actors()[i]);
            token.approve(address(sc), type(uint256).max);
        }
        vm.prank(deployer);
        sc.fundRewards(SUB_REWARD + 30e18);
        _stake(seqA);
        vm.roll(1010 + 12 * 10); // slot 11, the stake is active
        uint256 slot = sc.currentSlot() + 1;
        _slot(slot, seqA, 0, 1);
        _roll(slot, ISidecar.Phase.Proving);
        _submit(slot);
        assertEq(sc.creditOf(submitter), SUB_REWARD, "submission reward first");
        assertEq(sc.creditOf(prover), 6e18, "20% of the 30 left");
        assertEq(sc.creditOf(seqA), 24e18 + DEPOSIT);
        assertEq(sc.rewardPool(), 0);
    }

    // ------------------------------------------------------------------ withdraw

    function test_withdraw_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NothingToWithdraw.selector, seqA));
        vm.prank(seqA);
        sc.withdraw(seqA);
        vm.expectRevert(ISidecar.ZeroRecipient.selector);
        vm.prank(seqA);
        sc.withdraw(address(0));
    }

    // ------------------------------------------------------------------ views

    function test_getProposal_lifecycle() public {
        Blk memory b = _revealed(1, seqA, 3e18);
        ISidecar.ProposalView memory pv = sc.getProposal(1, seqA);
        assertTrue(pv.exists && pv.revealed && !pv.committed, "revealed");
        assertEq(pv.blockHash, b.hash);
        assertEq(pv.commitment, keccak256(abi.encode(b.hash, seqA)), "commitment recomputed after the reveal");
        assertEq(sc.proposalCommitment(b.hash, seqA), pv.commitment);
        assertEq(pv.endRoot, b.endRoot);
        assertEq(pv.txsCommitment, sc.computeTxsCommitment(b.txs));
        assertEq(uint256(pv.rewardShareBps), 500);
        assertEq(sc.computeBlockHash(1, b.startRoot, b.endRoot, b.txs, b.wd), b.hash);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.RangeNotCanonical.selector, 1, 1));
        sc.publicInputs(1, 1, submitter);
        ISidecar.BlockView memory none = sc.getBlock(1);
        assertEq(uint256(none.status), uint256(ISidecar.BlockStatus.None));
        assertEq(none.sequencer, address(0));
    }
}
