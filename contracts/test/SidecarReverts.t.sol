// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {Vm} from "./lib/Test.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {Sidecar} from "../src/Sidecar.sol";

/// Every refusal of staking, propose, reveal, commitProver and the constructor.
contract SidecarRevertsTest is SidecarBase {
    // ------------------------------------------------------------------ staking

    function test_stake_lifecycle_and_reverts() public {
        address s = address(0x777);
        token.mint(s, 1000e18);
        vm.startPrank(s);
        token.approve(address(sc), type(uint256).max);
        vm.expectRevert(ISidecar.ZeroAmount.selector);
        sc.stake(0);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoStake.selector, s));
        sc.requestExit();
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoStake.selector, s));
        sc.withdrawStake();
        vm.expectRevert(abi.encodeWithSelector(ISidecar.AmountTooLarge.selector, uint256(type(uint96).max) + 1));
        sc.stake(uint256(type(uint96).max) + 1);
        sc.stake(STAKE / 2);
        ISidecar.Stake memory st = sc.stakeOf(s);
        assertEq(uint256(st.amount), STAKE / 2);
        assertEq(uint256(st.activeFrom), block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoExitRequested.selector, s));
        sc.withdrawStake();
        vm.stopPrank();
        assertFalse(sc.isEligible(s, 1), "below the minimum stake");

        // crossing the minimum restarts the activation delay
        vm.roll(1005);
        vm.prank(s);
        sc.stake(STAKE / 2);
        assertEq(uint256(sc.stakeOf(s).activeFrom), 1006);
        assertTrue(sc.isEligible(s, 1), "active before slot 1's seed block");
        // a top-up above the minimum keeps it
        vm.roll(1008);
        vm.prank(s);
        sc.stake(1);
        assertEq(uint256(sc.stakeOf(s).activeFrom), 1006);

        vm.prank(s);
        sc.requestExit();
        assertFalse(sc.isEligible(s, 1), "exiting: out of the set at once");
        vm.startPrank(s);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ExitPending.selector, s));
        sc.requestExit();
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ExitPending.selector, s));
        sc.stake(1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ExitDelayNotPassed.selector, 1018));
        sc.withdrawStake();
        vm.roll(1018);
        uint256 bal = token.balanceOf(s);
        sc.withdrawStake();
        vm.stopPrank();
        assertEq(token.balanceOf(s), bal + STAKE + 1);
        assertEq(uint256(sc.stakeOf(s).amount), 0);
    }

    function test_fundRewards_reverts() public {
        vm.prank(deployer);
        vm.expectRevert(ISidecar.ZeroAmount.selector);
        sc.fundRewards(0);
        uint256 tooMuch = uint256(type(uint120).max) - POOL + 1;
        vm.prank(deployer);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.AmountTooLarge.selector, tooMuch));
        sc.fundRewards(tooMuch);
        token.mint(deployer, 5);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.RewardsFunded(deployer, 5);
        vm.prank(deployer);
        sc.fundRewards(5);
        assertEq(sc.rewardPool(), POOL + 5);
    }

    function test_eligibility_seedBlock() public {
        address s = address(0x778);
        token.mint(s, STAKE);
        vm.prank(s);
        token.approve(address(sc), STAKE);
        // slot 1 opens at 1010, its seed is blockhash(1009): staking in 1008 makes activeFrom 1009
        vm.roll(1008);
        vm.prank(s);
        sc.stake(STAKE / 2);
        assertFalse(sc.isEligible(s, 1), "below the minimum");
        // reaching the minimum in the seed block itself (1009) is too late for slot 1
        vm.roll(1009);
        vm.prank(s);
        sc.stake(STAKE / 2);
        assertFalse(sc.isEligible(s, 1), "staked in the seed block: not eligible");
        assertTrue(sc.isEligible(s, 2), "eligible next slot");
        assertFalse(sc.isEligible(s, 0), "slot 0");
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotEligible.selector, s, 1));
        _propose(s, b, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotEligible.selector, address(0x999), 1));
        _propose(address(0x999), b, 0, 0);
    }

    function test_rank_seed_isFixedBeforeTheSlot() public {
        vm.roll(1009);
        vm.setBlockhash(1009, keccak256("seed A"));
        vm.roll(1010);
        uint256 r1 = sc.rankOf(1, seqA);
        assertEq(sc.slotSeed(1), keccak256(abi.encode(keccak256("seed A"), uint256(1))));
        assertEq(r1, uint256(keccak256(abi.encode(sc.slotSeed(1), seqA))));
        vm.roll(1013);
        assertEq(sc.rankOf(1, seqA), r1, "stable during the slot");
        assertTrue(sc.rankOf(1, seqA) != sc.rankOf(1, seqB), "per sequencer");
        assertEq(sc.slotSeed(0), bytes32(0));
    }

    // ------------------------------------------------------------------ propose

    function test_propose_reverts() public {
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 1);
        vm.roll(GENESIS - 1);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.WrongPhase.selector, 1, ISidecar.Phase.Proposal, ISidecar.Phase.NotStarted)
        );
        _propose(seqA, b, 0, 0);
        _roll(1, ISidecar.Phase.Proposal);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidShareBps.selector, 10_001));
        _propose(seqA, b, 0, 10_001);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.AmountTooLarge.selector, uint256(type(uint96).max) + 1));
        _propose(seqA, b, uint256(type(uint96).max) + 1, 0);
        _propose(seqA, b, 1, 10_000);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.AlreadyProposed.selector, 1, seqA));
        _propose(seqA, b, 1, 0);
        // tip without balance/allowance
        address poor = address(0x5050);
        token.mint(poor, STAKE);
        vm.startPrank(poor);
        token.approve(address(sc), STAKE);
        vm.roll(GENESIS - 5);
        sc.stake(STAKE);
        vm.stopPrank();
        _roll(1, ISidecar.Phase.Proposal);
        vm.expectRevert();
        _propose(poor, b, 1, 0);
        _roll(1, ISidecar.Phase.Reveal);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.WrongPhase.selector, 1, ISidecar.Phase.Proposal, ISidecar.Phase.Reveal)
        );
        _propose(seqB, b, 0, 0);
    }

    // ------------------------------------------------------------------ reveal

    function test_reveal_reverts() public {
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 3);
        Blk memory wrongStart = _mkBlock(1, bytes32(uint256(99)), 2, 1);
        _propose(seqA, b, 0, 0);
        _propose(seqB, wrongStart, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.WrongPhase.selector, 1, ISidecar.Phase.Reveal, ISidecar.Phase.Proposal)
        );
        _reveal(seqA, b);
        _roll(1, ISidecar.Phase.Reveal);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoProposal.selector, 1, seqC));
        _reveal(seqC, b);
        // data that does not match the commitment
        Blk memory tampered = _mkBlock(1, GENESIS_ROOT, 1, 3);
        tampered.endRoot = bytes32(uint256(1));
        vm.expectRevert(
            abi.encodeWithSelector(
                ISidecar.BlockHashMismatch.selector,
                _commitment(b.hash, seqA),
                _commitment(sc.computeBlockHash(1, b.startRoot, tampered.endRoot, b.txs, b.wd), seqA)
            )
        );
        _reveal(seqA, tampered);
        Blk memory otherWitness = _mkBlock(1, GENESIS_ROOT, 1, 3);
        otherWitness.wd = bytes.concat(otherWitness.wd, hex"00");
        vm.expectRevert();
        _reveal(seqA, otherWitness);
        // malformed tx bytes
        Blk memory m = _mkBlock(1, GENESIS_ROOT, 1, 3);
        m.txs = bytes.concat(m.txs, hex"01");
        vm.expectRevert(abi.encodeWithSelector(ISidecar.MalformedTxs.selector, 97));
        _reveal(seqA, m);
        m.txs = new bytes(1025 * 32);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.TooManyTxs.selector, 1025));
        _reveal(seqA, m);
        // a block built on another root than the chain head
        vm.expectRevert(abi.encodeWithSelector(ISidecar.StartRootMismatch.selector, GENESIS_ROOT, bytes32(uint256(99))));
        _reveal(seqB, wrongStart);
        _reveal(seqA, b);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.AlreadyRevealed.selector, 1, seqA));
        _reveal(seqA, b);
    }

    /// The attack the sealed commitment closes: B copies A's posted value and A's reveal calldata.
    function test_reveal_copiedProposalCannotStealTheBlock() public {
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 3);
        bytes32 cA = _commitment(b.hash, seqA);
        vm.recordLogs();
        _propose(seqA, b, 1e18, 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 posted;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == ISidecar.Proposed.selector) posted = logs[i].topics[3];
        }
        assertEq(posted, cA, "Proposed emits the sealed commitment");
        assertTrue(posted != b.hash, "not the block hash");
        assertEq(sc.getProposal(1, seqA).blockHash, bytes32(0), "block hash private until the reveal");
        assertEq(sc.getProposal(1, seqA).commitment, cA);

        // B copies A's commitment (all it can see in the proposal phase); C copies A's block hash
        // (should it leak off chain) but as a plain value, i.e. the commitment of another sequencer.
        vm.prank(seqB);
        sc.propose(1, posted, 0, 0);
        vm.prank(seqC);
        sc.propose(1, b.hash, 0, 0);

        _roll(1, ISidecar.Phase.Reveal);
        // B front-runs A's reveal with A's calldata: keccak(h, B) != keccak(h, A)
        vm.expectRevert(abi.encodeWithSelector(ISidecar.BlockHashMismatch.selector, cA, _commitment(b.hash, seqB)));
        _reveal(seqB, b);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.BlockHashMismatch.selector, b.hash, _commitment(b.hash, seqC))
        );
        _reveal(seqC, b);
        _reveal(seqA, b);
        // A's reveal makes h public, but keccak(h, B) is too late: the proposal phase is over, and
        // B's posted value cannot change.
        bytes32 cB = _commitment(b.hash, seqB);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.WrongPhase.selector, 1, ISidecar.Phase.Proposal, ISidecar.Phase.Reveal)
        );
        vm.prank(seqB);
        sc.propose(1, cB, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.BlockHashMismatch.selector, cA, cB));
        _reveal(seqB, b);

        _roll(1, ISidecar.Phase.Commitment);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotRevealed.selector, 1, seqB));
        _commit(seqB, 1, prover, DEPOSIT);
        _commit(seqA, 1, prover, DEPOSIT);
        assertEq(sc.canonicalSequencer(1), seqA, "A keeps its block");
        assertEq(sc.getBlock(1).blockHash, b.hash);
        assertTrue(!sc.getProposal(1, seqB).revealed && !sc.getProposal(1, seqC).revealed, "no copy revealed");
    }

    function test_reveal_emptyAndFullBlocks() public {
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory e = _mkBlock(1, GENESIS_ROOT, 1, 0);
        Blk memory f = _mkBlock(1, GENESIS_ROOT, 2, 1024);
        _propose(seqA, e, 0, 0);
        _propose(seqB, f, 0, 0);
        _roll(1, ISidecar.Phase.Reveal);
        _reveal(seqA, e);
        _reveal(seqB, f);
        assertTrue(sc.getProposal(1, seqB).revealed, "1024 txs");
    }

    // ------------------------------------------------------------------ commitProver

    function test_commit_reverts() public {
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 1);
        Blk memory c = _mkBlock(1, GENESIS_ROOT, 2, 1);
        _propose(seqA, b, 0, 0);
        _propose(seqB, c, 0, 0);
        _roll(1, ISidecar.Phase.Reveal);
        _reveal(seqA, b);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.WrongPhase.selector, 1, ISidecar.Phase.Commitment, ISidecar.Phase.Reveal)
        );
        _commit(seqA, 1, prover, DEPOSIT);
        _roll(1, ISidecar.Phase.Commitment);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoProposal.selector, 1, seqC));
        _commit(seqC, 1, prover, DEPOSIT);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotRevealed.selector, 1, seqB));
        _commit(seqB, 1, prover, DEPOSIT);
        vm.expectRevert(ISidecar.ZeroProver.selector);
        _commit(seqA, 1, address(0), DEPOSIT);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.DepositTooLow.selector, DEPOSIT - 1, DEPOSIT));
        _commit(seqA, 1, prover, DEPOSIT - 1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.AmountTooLarge.selector, uint256(type(uint88).max) + 1));
        _commit(seqA, 1, prover, uint256(type(uint88).max) + 1);
        _commit(seqA, 1, prover, DEPOSIT);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.AlreadyCommitted.selector, 1, seqA));
        _commit(seqA, 1, prover, DEPOSIT);
        _roll(1, ISidecar.Phase.Proving);
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.WrongPhase.selector, 1, ISidecar.Phase.Commitment, ISidecar.Phase.Proving)
        );
        _commit(seqB, 1, prover, DEPOSIT);
    }

    // ------------------------------------------------------------------ constructor

    function _expectBadConfig(ISidecar.Config memory c, string memory reason) internal {
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidConfig.selector, reason));
        new Sidecar(c);
    }

    function test_constructor_reverts() public {
        ISidecar.Config memory c = _config();
        c.token = address(0);
        _expectBadConfig(c, "token is zero");
        c = _config();
        c.verifier = address(0);
        _expectBadConfig(c, "verifier is zero");
        c = _config();
        c.revealBlocks = 0;
        _expectBadConfig(c, "proposal, reveal and commit phases need >= 1 block");
        c = _config();
        c.submissionBlocks = 0;
        _expectBadConfig(c, "submission phase needs >= 1 block");
        c = _config();
        c.proposalBlocks = 200;
        c.revealBlocks = 50;
        c.commitBlocks = 6;
        _expectBadConfig(c, "proposal + reveal + commit must be <= 255 blocks (blockhash)");
        c = _config();
        c.reorgWindow = 0;
        _expectBadConfig(c, "reorgWindow in 1..128 (a slash walks every pending block in one tx)");
        c.reorgWindow = 65536;
        _expectBadConfig(c, "reorgWindow in 1..128 (a slash walks every pending block in one tx)");
        c = _config();
        c.activationDelay = 0;
        _expectBadConfig(c, "activationDelay must be >= 1");
        c = _config();
        c.genesisBlock = 1;
        _expectBadConfig(c, "genesisBlock must be >= 2");
        c = _config();
        c.genesisBlock = 0;
        Sidecar d = new Sidecar(c);
        assertEq(uint256(d.config().genesisBlock), block.number + 1, "0 = next block");
    }
}
