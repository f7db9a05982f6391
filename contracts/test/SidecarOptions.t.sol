// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {CommitmentRegistry} from "../src/commitment/CommitmentRegistry.sol";
import {ProverAllowlistModule} from "../src/commitment/ProverAllowlistModule.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// earlyProofs = false, reorgWindow = 2.
contract SidecarStrictTimingTest is SidecarBase {
    function _config() internal view override returns (ISidecar.Config memory c) {
        c = super._config();
        c.earlyProofs = false;
        c.reorgWindow = 2;
    }

    function test_noEarlyProofs() public {
        _slot(1, seqA, 0, 1);
        _roll(1, ISidecar.Phase.Proving);
        ISidecar.SlotTiming memory t = sc.slotTiming(1);
        assertEq(t.proofsFrom, t.submissionStart, "proofs only in the submission phase");
        bytes memory proof = _proof(1);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ProofTooEarly.selector, t.submissionStart));
        sc.submitProofRange(1, 1, submitter, proof);
        _roll(1, ISidecar.Phase.Submission);
        sc.submitProofRange(1, 1, submitter, proof);
    }

    function test_reorgWindowFull() public {
        _slot(1, seqA, 0, 1);
        _slot(2, seqB, 0, 2);
        _roll(3, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(3, _headRoot(), 3, 1);
        _propose(seqC, b, 0, 0);
        _roll(3, ISidecar.Phase.Reveal);
        _reveal(seqC, b);
        _roll(3, ISidecar.Phase.Commitment);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.ReorgWindowFull.selector, 2));
        _commit(seqC, 3, prover, DEPOSIT);
    }
}

/// The seed's open question: proverDeposit as a factor in rank (depositRankCap != 0).
contract SidecarDepositRankTest is SidecarBase {
    uint256 internal constant CAP = 4 * DEPOSIT;

    function _config() internal view override returns (ISidecar.Config memory c) {
        c = super._config();
        c.depositRankCap = uint96(CAP);
    }

    function test_depositRaisesScore_upToCap() public {
        _roll(1, ISidecar.Phase.Proposal);
        (address hi, address lo) = sc.rankOf(1, seqA) > sc.rankOf(1, seqB) ? (seqA, seqB) : (seqB, seqA);
        uint256 rHi = sc.rankOf(1, hi) >> 128;
        uint256 rLo = sc.rankOf(1, lo) >> 128;
        assertEq(sc.scoreOf(1, hi, DEPOSIT), rHi * DEPOSIT);
        assertEq(sc.scoreOf(1, hi, 10 * CAP), rHi * CAP, "capped");
        // the deposit the lower-ranked proposer needs to win (within the cap), if any
        uint256 need = rHi * DEPOSIT / rLo + 1;
        Blk memory bh = _mkBlock(1, GENESIS_ROOT, 1, 1);
        Blk memory bl = _mkBlock(1, GENESIS_ROOT, 2, 1);
        _propose(hi, bh, 0, 0);
        _propose(lo, bl, 0, 0);
        _roll(1, ISidecar.Phase.Reveal);
        _reveal(hi, bh);
        _reveal(lo, bl);
        _roll(1, ISidecar.Phase.Commitment);
        _commit(hi, 1, prover, DEPOSIT);
        if (need <= CAP) {
            _commit(lo, 1, prover, need);
            assertEq(sc.canonicalSequencer(1), lo, "a bigger deposit outranks a better rank");
        } else {
            _commit(lo, 1, prover, CAP);
            assertEq(sc.canonicalSequencer(1), hi, "the cap bounds what a deposit can buy");
        }
    }
}

/// The seed's open question: an upgradable commitment module referenced from a registry.
contract SidecarCommitmentModuleTest is SidecarBase {
    CommitmentRegistry internal registry;
    ProverAllowlistModule internal allowlist;

    function _config() internal view override returns (ISidecar.Config memory c) {
        c = super._config();
        c.commitmentRegistry = address(registry);
    }

    function setUp() public override {
        allowlist = new ProverAllowlistModule(deployer, 2 * DEPOSIT);
        registry = new CommitmentRegistry(deployer, address(allowlist));
        super.setUp();
    }

    function test_moduleRules_andUpgrade() public {
        assertEq(sc.config().commitmentRegistry, address(registry));
        _roll(1, ISidecar.Phase.Proposal);
        Blk memory b = _mkBlock(1, GENESIS_ROOT, 1, 1);
        _propose(seqA, b, 0, 0);
        _roll(1, ISidecar.Phase.Reveal);
        _reveal(seqA, b);
        _roll(1, ISidecar.Phase.Commitment);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.CommitmentRejected.selector, address(allowlist)));
        _commit(seqA, 1, prover, 2 * DEPOSIT);
        vm.prank(deployer);
        allowlist.setAllowed(prover, true);
        vm.expectRevert(abi.encodeWithSelector(ISidecar.CommitmentRejected.selector, address(allowlist)));
        _commit(seqA, 1, prover, DEPOSIT); // the module's own minimum
        // only the owner upgrades
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, seqA));
        vm.prank(seqA);
        registry.setCommitmentModule(address(0));
        // upgrade: a new module with a lower minimum takes effect at once
        ProverAllowlistModule next = new ProverAllowlistModule(deployer, DEPOSIT);
        vm.startPrank(deployer);
        next.setAllowed(prover, true);
        registry.setCommitmentModule(address(next));
        vm.stopPrank();
        _commit(seqA, 1, prover, DEPOSIT);
        assertEq(sc.canonicalSequencer(1), seqA);
    }

    function test_registryWithoutModule_allows() public {
        vm.prank(deployer);
        registry.setCommitmentModule(address(0));
        _slot(1, seqA, 0, 1);
        assertEq(sc.canonicalSequencer(1), seqA);
    }
}
