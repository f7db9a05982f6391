// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {Sidecar} from "../src/Sidecar.sol";

/// submitProofRange over several blocks: one verification settles each block as if proven alone.
contract SidecarRangeTest is SidecarBase {
    function test_range_settlesEveryBlock() public {
        Blk memory b1 = _slot(1, seqA, 1e18, 1);
        _slot(2, seqB, 2e18, 2);
        // slot 3 is empty: the range follows the parents, not the slot numbers
        Blk memory b4 = _slot(4, seqC, 3e18, 4);
        _roll(4, ISidecar.Phase.Proving);
        bytes32[] memory pi = sc.publicInputs(1, 4, submitter);
        assertEq(pi.length, 13, "3 blocks x 4 + recipient");
        assertEq(pi[0], bytes32(uint256(1)));
        assertEq(pi[1], GENESIS_ROOT);
        assertEq(pi[2], b1.endRoot);
        assertEq(pi[4], bytes32(uint256(2)));
        assertEq(pi[5], b1.endRoot, "block 2 starts where block 1 ends");
        assertEq(pi[8], bytes32(uint256(4)), "empty slot 3 skipped");
        assertEq(pi[10], b4.endRoot);
        assertEq(pi[12], bytes32(uint256(uint160(submitter))));

        bytes memory proof = _rangeProof(1, 4, submitter);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockProven(1, prover, submitter, 1e18 + 20e18, 80e18, SUB_REWARD);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockProven(2, prover, submitter, 2e18 + 20e18, 80e18, SUB_REWARD);
        vm.expectEmit(true, true, true, true, address(sc));
        emit ISidecar.BlockProven(4, prover, submitter, 3e18 + 20e18, 80e18, SUB_REWARD);
        sc.submitProofRange(1, 4, submitter, proof);
        for (uint256 s = 1; s <= 4; ++s) {
            if (s == 3) continue;
            assertEq(uint256(sc.blockStatus(s)), uint256(ISidecar.BlockStatus.Proven), "proven");
        }
        ISidecar.ChainState memory cs = sc.chainState();
        assertEq(cs.lastProvenSlot, 4);
        assertEq(cs.pendingBlocks, 0);
        assertEq(sc.creditOf(submitter), 3 * SUB_REWARD, "submission reward per block");
        assertEq(sc.creditOf(prover), 6e18 + 60e18, "tips + shares");
        assertEq(sc.creditOf(seqA), 80e18 + DEPOSIT);
        assertEq(sc.rewardPool(), POOL - 3 * (BLOCK_REWARD + SUB_REWARD));
        assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");
    }

    function test_range_prefixThenRest() public {
        _slot(1, seqA, 0, 1);
        _slot(2, seqB, 0, 2);
        _slot(3, seqC, 0, 3);
        _roll(3, ISidecar.Phase.Proving);
        // the rest of the chain cannot go first
        bytes memory rest = _rangeProof(2, 3, submitter);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ParentNotProven.selector, 2, 1));
        sc.submitProofRange(2, 3, submitter, rest);
        bytes memory first = _rangeProof(1, 1, submitter);
        sc.submitProofRange(1, 1, submitter, first);
        sc.submitProofRange(2, 3, submitter, rest);
        assertEq(sc.chainState().lastProvenSlot, 3);
        // a range whose first block is already proven is refused before the verifier runs
        vm.expectRevert(abi.encodeWithSelector(ISidecar.BlockNotPending.selector, 2, ISidecar.BlockStatus.Proven));
        sc.submitProofRange(2, 3, submitter, rest);
    }

    function test_range_refusesWhatIsNotTheChain() public {
        _slot(1, seqA, 0, 1);
        _slot(2, seqB, 0, 2);
        _slot(3, seqC, 0, 3);
        _roll(3, ISidecar.Phase.Proving);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.RangeNotCanonical.selector, 1, 0));
        sc.submitProofRange(1, 0, submitter, "");
        // `to` beyond the head (no canonical block)
        vm.expectRevert(abi.encodeWithSelector(ISidecar.RangeNotCanonical.selector, 1, 9));
        sc.submitProofRange(1, 9, submitter, "");
        // a proof that skips block 2 (inputs of blocks 1 and 3) or repeats block 1 is not the range's proof:
        // the contract builds the inputs from its own records
        bytes32[] memory all = sc.publicInputs(1, 3, submitter);
        bytes32[] memory skip = new bytes32[](9);
        bytes32[] memory rep = new bytes32[](13);
        for (uint256 i; i < 4; ++i) {
            skip[i] = all[i];
            skip[4 + i] = all[8 + i];
            rep[i] = all[i];
            rep[4 + i] = all[i];
            rep[8 + i] = all[4 + i];
        }
        skip[8] = all[12];
        rep[12] = all[12];
        bytes memory skipProof = _signInputs(SIGNER_PK, skip);
        bytes memory repProof = _signInputs(SIGNER_PK, rep);
        bytes memory whole = _rangeProof(1, 3, submitter);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidProof.selector, 1));
        sc.submitProofRange(1, 3, submitter, skipProof);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidProof.selector, 1));
        sc.submitProofRange(1, 3, submitter, repProof);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.InvalidProof.selector, 1));
        sc.submitProofRange(1, 2, submitter, whole); // a proof of 1..3 is not a proof of 1..2
        sc.submitProofRange(1, 3, submitter, whole);
    }

    function test_range_window() public {
        _slot(1, seqA, 0, 1);
        _slot(2, seqB, 0, 2);
        bytes memory proof = _rangeProof(1, 2, submitter);
        // block 1 may be proven, block 2's window has not opened yet
        _roll(1, ISidecar.Phase.Proving);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ProofTooEarly.selector, sc.slotTiming(2).proofsFrom));
        sc.submitProofRange(1, 2, submitter, proof);
        // past block 1's deadline the range is too late even though block 2 is still in time
        _roll(1, ISidecar.Phase.Closed);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ProofTooLate.selector, sc.slotTiming(1).deadline));
        sc.submitProofRange(1, 2, submitter, proof);
        vm.roll(block.number - 1);
        sc.submitProofRange(1, 2, submitter, proof);
        assertEq(sc.chainState().lastProvenSlot, 2);
    }

    function testFuzz_range_anyPrefixLength(uint256 len) public {
        len = bound(len, 1, 3);
        // (3 slots: block 1's deadline is 44 blocks after its commitment phase, 3.7 slot periods)
        for (uint256 s = 1; s <= 3; ++s) {
            _slot(s, s % 2 == 0 ? seqB : seqA, 0, s);
        }
        _roll(3, ISidecar.Phase.Proving);
        bytes memory proof = _rangeProof(1, len, submitter);
        sc.submitProofRange(1, len, submitter, proof);
        ISidecar.ChainState memory cs = sc.chainState();
        assertEq(cs.lastProvenSlot, len);
        assertEq(cs.pendingBlocks, 3 - len);
        assertEq(sc.creditOf(submitter), len * SUB_REWARD);
        if (len == 3) assertEq(token.balanceOf(address(sc)), _accounted(_actors()), "conservation");
    }
}

/// proverExclusiveBlocks = 4: the committed prover's proof lands first; anyone's after the window.
contract SidecarExclusiveTest is SidecarBase {
    function _config() internal view override returns (ISidecar.Config memory c) {
        c = super._config();
        c.proverExclusiveBlocks = 4;
    }

    function test_exclusiveWindow() public {
        _slot(1, seqA, 0, 1);
        _roll(1, ISidecar.Phase.Proving);
        // another prover's proof naming itself waits for the window to end
        bytes memory theirs = _rangeProof(1, 1, submitter);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ExclusiveToProver.selector, 1, prover));
        sc.submitProofRange(1, 1, submitter, theirs);
        // the committed prover's proof lands at once, whoever sends it
        bytes memory its = _rangeProof(1, 1, prover);
        uint256 snap = vm.snapshotState();
        vm.prank(submitter);
        sc.submitProofRange(1, 1, prover, its);
        assertEq(sc.creditOf(prover), SUB_REWARD + 20e18, "the prover named itself: it gets the submission reward");
        assertEq(sc.creditOf(submitter), 0);
        vm.revertToState(snap);
        // after the window anyone may land a proof naming itself (a block is never lost to an absent prover)
        assertEq(sc.slotTiming(1).exclusiveUntil, sc.slotTiming(1).proofsFrom + 4);
        vm.roll(sc.slotTiming(1).exclusiveUntil);
        sc.submitProofRange(1, 1, submitter, theirs);
        assertEq(sc.creditOf(submitter), SUB_REWARD);
    }

    function test_exclusiveWindow_mustEndBeforeTheDeadline() public {
        ISidecar.Config memory c = _config();
        c.earlyProofs = false; // proofs only in the 4-block submission phase
        vm.expectRevert(
            abi.encodeWithSelector(ISidecar.InvalidConfig.selector, "proverExclusiveBlocks must end before the deadline")
        );
        new Sidecar(c);
    }
}
