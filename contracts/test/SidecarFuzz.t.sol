// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";

/// Fuzzed amounts and timings.
contract SidecarFuzzTest is SidecarBase {
    function testFuzz_payouts(uint256 tip, uint16 bps, uint256 deposit) public {
        tip = bound(tip, 0, type(uint96).max);
        bps = uint16(bound(bps, 0, 10_000));
        deposit = bound(deposit, DEPOSIT, type(uint88).max);
        token.mint(seqA, tip + deposit);
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 2);
        _propose(seqA, b, tip, bps);
        _roll(1, ISidecar.Phase.Reveal);
        _reveal(seqA, b);
        _roll(1, ISidecar.Phase.Commitment);
        _commit(seqA, 1, prover, deposit);
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()) + tip + deposit, "escrowed");
        _roll(1, ISidecar.Phase.Proving);
        _submit(1);
        uint256 share = BLOCK_REWARD * bps / 10_000;
        assertEq(sc.creditOf(prover), tip + share, "prover");
        assertEq(sc.creditOf(seqA), BLOCK_REWARD - share + deposit, "sequencer");
        assertEq(sc.creditOf(submitter), SUB_REWARD, "submitter");
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");
    }

    function testFuzz_phaseBoundaries(uint256 slot, uint256 offset) public {
        slot = bound(slot, 1, 1_000_000);
        offset = bound(offset, 0, 80);
        uint256 start = GENESIS + (slot - 1) * 12;
        vm.roll(start + offset);
        ISidecar.Phase expected = offset < 4
            ? ISidecar.Phase.Proposal
            : offset < 8
                ? ISidecar.Phase.Reveal
                : offset < 12
                    ? ISidecar.Phase.Commitment
                    : offset < 52 ? ISidecar.Phase.Proving : offset < 56 ? ISidecar.Phase.Submission : ISidecar.Phase.Closed;
        assertEq(uint256(sc.phaseOf(slot)), uint256(expected), "phase");
        assertEq(sc.currentSlot(), slot + offset / 12, "current slot");
        (uint256 cur, ISidecar.Phase ph) = sc.currentPhase();
        assertEq(cur, sc.currentSlot());
        assertTrue(
            ph == ISidecar.Phase.Proposal || ph == ISidecar.Phase.Reveal || ph == ISidecar.Phase.Commitment,
            "the current slot is always proposing, revealing or committing"
        );
        assertEq(sc.phaseOf(slot + 1) == ISidecar.Phase.NotStarted, offset < 12, "next slot opens at commitEnd");
    }

    function testFuzz_anySlotNumber_isACleanRefusal(uint256 slot) public {
        vm.roll(GENESIS + 100);
        vm.assume(slot > sc.currentSlot());
        assertEq(uint256(sc.phaseOf(slot)), uint256(ISidecar.Phase.NotStarted), "future slot");
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.WrongPhase.selector, slot, ISidecar.Phase.Proposal, ISidecar.Phase.NotStarted)
        );
        vm.prank(seqA);
        sc.propose(slot, bytes32(0), 0, 0);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoCanonicalBlock.selector, slot));
        sc.submitProofRange(slot, slot, submitter, "");
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoCanonicalBlock.selector, slot));
        sc.slash(slot);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.NoProposal.selector, slot, seqA));
        sc.refundProposal(slot, seqA);
    }

    function testFuzz_proposeOnlyInItsPhase(uint256 offset) public {
        offset = bound(offset, 0, 30);
        vm.roll(GENESIS + offset);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 1);
        ISidecar.Phase ph = sc.phaseOf(1);
        if (ph != ISidecar.Phase.Proposal) {
            vm.expectRevert(abi.encodeWithSelector(ISidecar.WrongPhase.selector, 1, ISidecar.Phase.Proposal, ph));
        }
        _propose(seqA, b, 1, 0);
    }

    function testFuzz_proofWindow(uint256 offset) public {
        _slot(1, seqA, 0, 1);
        ISidecar.SlotTiming memory t = sc.slotTiming(1);
        offset = bound(offset, 0, 60);
        bytes memory proof = _proof(1);
        vm.roll(t.commitStart + offset);
        if (block.number < t.proofsFrom) {
            vm.expectRevert(abi.encodeWithSelector(ISidecar.ProofTooEarly.selector, t.proofsFrom));
        } else if (block.number >= t.deadline) {
            vm.expectRevert(abi.encodeWithSelector(ISidecar.ProofTooLate.selector, t.deadline));
        }
        sc.submitProofRange(1, 1, submitter, proof);
    }

    /// Slash split: shares + dust == deposit for any deposit and any number of descendants.
    function testFuzz_slashSplit(uint256 deposit, uint256 descendants) public {
        deposit = bound(deposit, DEPOSIT, type(uint88).max);
        descendants = bound(descendants, 0, 4);
        token.mint(seqA, deposit);
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 1);
        _propose(seqA, b, 0, 0);
        _roll(1, ISidecar.Phase.Reveal);
        _reveal(seqA, b);
        _roll(1, ISidecar.Phase.Commitment);
        _commit(seqA, 1, prover, deposit);
        for (uint256 i; i < descendants; ++i) {
            _slot(2 + i, i % 2 == 0 ? seqB : seqC, 0, 2 + i);
        }
        uint256 pool = sc.rewardPool();
        vm.roll(sc.slotTiming(1).deadline);
        sc.slash(1);
        // a descendant shares only if it joined the chain (its commitment) before slot 1's deadline
        uint256 deadline = sc.slotTiming(1).deadline;
        uint256 k;
        for (uint256 i; i < descendants; ++i) {
            if (sc.slotTiming(2 + i).commitStart < deadline) ++k;
        }
        uint256 share = k == 0 ? 0 : deposit / k;
        uint256 dust = deposit - share * k;
        assertLe(dust, k == 0 ? deposit : k - 1, "dust < number of sharing blocks");
        assertEq(sc.rewardPool(), pool + dust, "dust to the pool");
        uint256 toB;
        uint256 toC;
        for (uint256 i; i < descendants; ++i) {
            uint256 got = sc.slotTiming(2 + i).commitStart < deadline ? share : 0;
            if (i % 2 == 0) toB += got + DEPOSIT;
            else toC += got + DEPOSIT;
        }
        assertEq(sc.creditOf(seqB), toB, "seqB shares");
        assertEq(sc.creditOf(seqC), toC, "seqC shares");
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");
    }
}
