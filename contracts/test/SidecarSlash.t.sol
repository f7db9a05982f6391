// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {Sidecar} from "../src/Sidecar.sol";

/// Slashing, the reorg of pending blocks built on the slashed one, and the chain's resumption.
contract SidecarSlashTest is SidecarBase {
    uint256 internal constant ODD_DEPOSIT = DEPOSIT + 3; // 4 invalidated blocks: 3 wei of dust

    /// slot 1 (seqA, deposit ODD_DEPOSIT) unproven; 2 (seqB), 3 (seqA), 4 (seqC, prover2-funded quote),
    /// 5 (seqA, commitment phase open) built on it. Ends at slot 1's deadline == slot 5's commitStart.
    function _buildChain() internal {
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b1 = _mkBlock(1, GENESIS_ROOT, 1, 2);
        _propose(seqA, b1, 1e18, 1000);
        _roll(1, ISidecar.Phase.Reveal);
        _reveal(seqA, b1);
        _roll(1, ISidecar.Phase.Commitment);
        _commit(seqA, 1, prover, ODD_DEPOSIT);
        _slot(2, seqB, 2e18, 2);
        _slot(3, seqA, 3e18, 3);
        _roll(4, ISidecar.Phase.Proposal);
        Blk memory b4 = _mkBlock(4, _headRoot(), 4, 1);
        _propose(seqC, b4, 4e18, 0);
        _roll(4, ISidecar.Phase.Reveal);
        _reveal(seqC, b4);
        _roll(4, ISidecar.Phase.Commitment);
        ISidecar.Quote memory q = _quote(4, b4.hash, prover2, 1e18, DEPOSIT, true, block.number);
        bytes memory sig = _signQuote(PROVER2_PK, q);
        vm.prank(seqC);
        sc.commitProverWithQuote(4, q, sig);
        _slot(5, seqA, 5e18, 5);
        assertEq(block.number, sc.slotTiming(1).deadline, "slot 1's deadline");
        assertEq(sc.chainState().pendingBlocks, 5);
    }

    function test_slash_reorgsDescendants_exactSplit() public {
        _buildChain();
        uint256 poolBefore = sc.rewardPool();
        // slot 5 joined the chain at slot 1's deadline (a chain already known to be failing): no share
        assertEq(sc.slotTiming(5).commitStart, sc.slotTiming(1).deadline);
        uint256 share = ODD_DEPOSIT / 3;
        uint256 dust = ODD_DEPOSIT - 3 * share;
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockInvalidated(5, seqA, 0);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockInvalidated(4, seqC, share);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockInvalidated(3, seqA, share);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockInvalidated(2, seqB, share);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockSlashed(1, prover, ODD_DEPOSIT, 4, 3, share, dust, 0);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.ChainRewound(0, 5);
        vm.prank(address(0x1234)); // anyone
        sc.slash(1);

        // tips back; deposits of invalidated blocks back to their depositors; equal shares per block
        assertEq(sc.creditOf(seqA), 1e18 + (3e18 + share + DEPOSIT) + (5e18 + DEPOSIT), "seqA: 2 blocks, one shares");
        assertEq(sc.creditOf(seqB), 2e18 + share + DEPOSIT, "seqB");
        assertEq(sc.creditOf(seqC), 4e18 + share, "seqC");
        assertEq(sc.creditOf(prover2), DEPOSIT, "prover-funded deposit back");
        assertEq(sc.creditOf(prover), 0, "slashed prover gets nothing");
        assertEq(sc.rewardPool(), poolBefore + dust, "rounding dust to the pool");
        assertEq(uint256(sc.blockStatus(1)), uint256(ISidecar.BlockStatus.Slashed));
        for (uint256 s = 2; s <= 5; ++s) {
            assertEq(uint256(sc.blockStatus(s)), uint256(ISidecar.BlockStatus.Invalidated), "invalidated");
        }
        ISidecar.ChainState memory cs = sc.chainState();
        assertEq(cs.headSlot, 0);
        assertEq(cs.lastProvenSlot, 0);
        assertEq(cs.pendingBlocks, 0);
        assertEq(cs.killedUpTo, 5);
        assertTrue(sc.isSlotVoid(5), "open slot void");
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");

        // invalidated blocks cannot be proven or slashed again
        _roll(5, ISidecar.Phase.Proving);
        bytes memory p2 = _signInputs(SIGNER_PK, new bytes32[](5)); // no inputs exist for it any more
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.BlockNotPending.selector, 2, ISidecar.BlockStatus.Invalidated)
        );
        sc.submitProofRange(2, 2, submitter, p2);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.BlockNotPending.selector, 1, ISidecar.BlockStatus.Slashed));
        sc.slash(1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotRefundable.selector, 5, seqA));
        sc.refundProposal(5, seqA);

        // the chain resumes from the last proven block (genesis) with slot 6
        Blk memory b6 = _slot(6, seqB, 0, 6);
        assertEq(b6.startRoot, GENESIS_ROOT, "resumes on the last proven root");
        assertEq(sc.getBlock(6).parentSlot, 0);
        _roll(6, ISidecar.Phase.Proving);
        _submit(6);
        assertEq(sc.chainState().lastProvenSlot, 6);
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation after resuming");
    }

    function test_slash_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoCanonicalBlock.selector, 1));
        sc.slash(1);
        _buildChain();
        vm.roll(block.number - 1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.DeadlineNotPassed.selector, sc.slotTiming(1).deadline));
        sc.slash(1);
        vm.roll(sc.slotTiming(2).deadline);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NotOldestPending.selector, 2, 1));
        sc.slash(2);
        sc.slash(1);
    }

    function test_slash_alone_depositToPool() public {
        _slot(1, seqA, 1e18, 1);
        uint256 poolBefore = sc.rewardPool();
        vm.roll(sc.slotTiming(1).deadline);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockSlashed(1, prover, DEPOSIT, 0, 0, 0, DEPOSIT, 0);
        sc.slash(1);
        assertEq(sc.rewardPool(), poolBefore + DEPOSIT, "no victims: the deposit joins the pool");
        assertEq(sc.creditOf(seqA), 1e18, "tip back to the sequencer");
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");
    }

    function test_slash_afterProofRefused() public {
        _slot(1, seqA, 0, 1);
        _roll(1, ISidecar.Phase.Proving);
        _submit(1);
        vm.roll(sc.slotTiming(1).deadline);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.BlockNotPending.selector, 1, ISidecar.BlockStatus.Proven));
        sc.slash(1);
    }

    /// A slash during a slot's proposal, reveal or commitment phase voids that slot.
    function test_slash_voidsOpenSlot_proposal() public {
        _slot(1, seqA, 0, 1);
        uint256 dl = sc.slotTiming(1).deadline; // 1066: slot 5 commitment
        vm.roll(dl + 4); // slot 6 proposal phase (1070)
        assertEq(sc.currentSlot(), 6);
        Blk memory b = _mkBlock(6, GENESIS_ROOT, 6, 1);
        _propose(seqB, b, 1e18, 0);
        sc.slash(1);
        assertEq(sc.chainState().killedUpTo, 6);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.SlotVoid.selector, 6));
        _propose(seqA, b, 1e18, 0);
        _roll(6, ISidecar.Phase.Reveal);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.SlotVoid.selector, 6));
        _reveal(seqB, b);
        sc.refundProposal(6, seqB); // void slot: refundable at once
        assertEq(sc.creditOf(seqB), 1e18);
    }

    function test_slash_voidsOpenSlot_commitment() public {
        _slot(1, seqA, 0, 1);
        // slot 5: seqB revealed, then slot 1 is slashed during slot 5's commitment phase
        _roll(5, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(5, _headRoot(), 5, 1);
        _propose(seqB, b, 0, 0);
        _roll(5, ISidecar.Phase.Reveal);
        _reveal(seqB, b);
        vm.roll(sc.slotTiming(1).deadline);
        assertEq(uint256(sc.phaseOf(5)), uint256(ISidecar.Phase.Commitment));
        sc.slash(1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.SlotVoid.selector, 5));
        _commit(seqB, 5, prover, DEPOSIT);
    }
}

/// slashBurnBps = 5000, slashBountyBps = 100: a withholder that owns the whole chain on top of its
/// block still loses the burn; the slasher is paid.
contract SidecarSlashEconomicsTest is SidecarBase {
    function _config() internal view override returns (ISidecar.Config memory c) {
        c = super._config();
        c.slashBurnBps = 5000;
        c.slashBountyBps = 100;
    }

    /// seqA withholds slot 1 (its own deposit) and proposes every block on top of it (slots 2, 3).
    function test_withholderOwningTheChainLosesTheBurn() public {
        uint256 start = token.balanceOf(seqA);
        _slot(1, seqA, 0, 1);
        _slot(2, seqA, 0, 2);
        _slot(3, seqA, 0, 3);
        uint256 poolBefore = sc.rewardPool();
        vm.roll(sc.slotTiming(1).deadline);
        address slasher = address(0x5145);
        uint256 bounty = DEPOSIT / 100;
        uint256 burn = DEPOSIT / 2;
        uint256 share = (DEPOSIT - bounty - burn) / 2;
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockSlashed(1, prover, DEPOSIT, 2, 2, share, burn + (DEPOSIT - bounty - burn - 2 * share), bounty);
        vm.prank(slasher);
        sc.slash(1);
        assertEq(sc.creditOf(slasher), bounty, "the caller's bounty");
        assertEq(sc.rewardPool(), poolBefore + burn, "the burn joins the reward pool");
        vm.prank(seqA);
        sc.withdraw(seqA);
        // its own deposit came back only in part: the free reorg costs it the burn and the bounty
        assertEq(start - token.balanceOf(seqA), burn + bounty, "the withholder loses burn + bounty");
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()) + bounty, "conservation (+ the slasher's credit)");
    }

    function test_slashShares_mustNotExceedTheDeposit() public {
        ISidecar.Config memory c = _config();
        c.slashBountyBps = 5001;
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidConfig.selector, "slashBurnBps + slashBountyBps > 10000"));
        new Sidecar(c);
    }

    function test_reorgWindow_boundedSoASlashFitsABlock() public {
        ISidecar.Config memory c = _config();
        c.reorgWindow = 129;
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.InvalidConfig.selector, "reorgWindow in 1..128 (a slash walks every pending block in one tx)")
        );
        new Sidecar(c);
    }
}
