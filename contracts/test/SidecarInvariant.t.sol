// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Test, InvariantTest} from "./lib/Test.sol";
import {SidecarBase} from "./SidecarBase.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {Sidecar} from "../src/Sidecar.sol";
import {TestToken} from "../src/TestToken.sol";
import {SignatureVerifier} from "../src/verifiers/SignatureVerifier.sol";

/// Drives the protocol with any sequence of calls (mostly well-formed, so the chain actually
/// advances, proves, slashes and refunds) and tracks every proposal it made.
contract SidecarHandler is Test {
    Sidecar internal sc;
    TestToken internal token;
    SignatureVerifier internal verifier;
    uint256 internal signerPk;
    address[] public actors; // 0..2 sequencers, 3..4 provers, 5 submitter, 6 newcomer
    uint256[] internal proverPks;

    struct Tracked {
        uint256 slot;
        address seq;
    }

    Tracked[] public tracked;
    mapping(uint256 => mapping(address => bytes32[3])) internal blockData; // startRoot, endRoot, salt
    uint256 public calls;
    /// forge does not carry vm.roll from one invariant call to the next: the handler keeps the clock.
    uint256 public blockNow;
    uint256 public proven;
    uint256 public slashed;

    constructor(
        Sidecar sc_,
        TestToken token_,
        SignatureVerifier verifier_,
        uint256 signerPk_,
        address[] memory actors_,
        uint256[] memory proverPks_
    ) {
        sc = sc_;
        token = token_;
        verifier = verifier_;
        signerPk = signerPk_;
        actors = actors_;
        proverPks = proverPks_;
        blockNow = block.number;
    }

    modifier clock() {
        vm.roll(blockNow);
        calls++;
        _;
    }

    function trackedCount() external view returns (uint256) {
        return tracked.length;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function _seq(uint256 i) internal view returns (address) {
        return actors[i % 3];
    }

    function _txs(uint256 salt) internal pure returns (bytes memory txs, bytes memory wd) {
        uint256 n = salt % 4;
        txs = new bytes(n * 32);
        wd = new bytes(n * 64);
        for (uint256 i; i < n; ++i) {
            bytes32 body = keccak256(abi.encode(salt, i));
            assembly {
                mstore(add(add(txs, 32), mul(i, 32)), body)
            }
        }
    }

    /// The phase-appropriate protocol action for the sequencers in `mask` (keeps runs progressing).
    function step(uint8 mask, uint256 seed) external clock {
        (, ISidecar.Phase ph) = sc.currentPhase();
        for (uint256 i; i < 3; ++i) {
            if (mask & (1 << i) == 0) continue;
            if (ph == ISidecar.Phase.Proposal) _propose(i, seed % 5e18, uint16(seed % 10_001), seed >> i);
            else if (ph == ISidecar.Phase.Reveal) _reveal(i);
            else _commit(i, seed >> i, seed >> (i + 8), (seed >> 3) & 1 == 1, (seed >> 4) & 1 == 1);
        }
        if ((seed >> 5) & 3 == 0) _trySubmit(seed, (seed >> 7) & 15 == 0);
        blockNow += 1;
    }

    function advance(uint256 blocks) external clock {
        blockNow += bound(blocks, 1, 6);
        vm.roll(blockNow);
    }

    /// `mask` picks which of the three sequencers act (bit i = sequencer i), so calls progress.
    function propose(uint8 mask, uint256 tip, uint16 bps, uint256 salt) external clock {
        for (uint256 i; i < 3; ++i) {
            if (mask & (1 << i) != 0) _propose(i, tip, bps, uint256(keccak256(abi.encode(salt, i))));
        }
    }

    function _propose(uint256 seqI, uint256 tip, uint16 bps, uint256 salt) internal {
        (uint256 slot, ISidecar.Phase ph) = sc.currentPhase();
        address seq = _seq(seqI);
        if (ph != ISidecar.Phase.Proposal || sc.getProposal(slot, seq).exists) return;
        tip = bound(tip, 0, 50e18);
        bps = uint16(bound(bps, 0, 10_000));
        bytes32 startRoot = sc.getBlock(sc.chainState().headSlot).endRoot;
        bytes32 endRoot = keccak256(abi.encode(salt, "end"));
        (bytes memory txs, bytes memory wd) = _txs(salt);
        bytes32 h = keccak256(
            abi.encode(slot, startRoot, endRoot, sc.computeTxsCommitment(txs), keccak256(txs), keccak256(wd))
        );
        vm.prank(seq);
        try sc.propose(slot, keccak256(abi.encode(h, seq)), tip, bps) {
            tracked.push(Tracked(slot, seq));
            blockData[slot][seq] = [startRoot, endRoot, bytes32(salt)];
        } catch {}
    }

    function reveal(uint8 mask) external clock {
        for (uint256 i; i < 3; ++i) {
            if (mask & (1 << i) != 0) _reveal(i);
        }
    }

    function _reveal(uint256 seqI) internal {
        (uint256 slot, ISidecar.Phase ph) = sc.currentPhase();
        address seq = _seq(seqI);
        if (ph != ISidecar.Phase.Reveal) return;
        bytes32[3] memory d = blockData[slot][seq];
        (bytes memory txs, bytes memory wd) = _txs(uint256(d[2]));
        vm.prank(seq);
        try sc.reveal(slot, d[0], d[1], txs, wd) {} catch {}
    }

    function commit(uint8 mask, uint256 proverI, uint256 deposit, bool viaQuote, bool proverFunds) external clock {
        for (uint256 i; i < 3; ++i) {
            if (mask & (1 << i) != 0) _commit(i, proverI >> i, deposit >> i, viaQuote, proverFunds);
        }
    }

    function _commit(uint256 seqI, uint256 proverI, uint256 deposit, bool viaQuote, bool proverFunds) internal {
        (uint256 slot, ISidecar.Phase ph) = sc.currentPhase();
        if (ph != ISidecar.Phase.Commitment) return;
        address seq = _seq(seqI);
        uint256 pi = proverI % 2;
        address prover = actors[3 + pi];
        deposit = bound(deposit, sc.config().minProverDeposit, 3 * uint256(sc.config().minProverDeposit));
        if (!viaQuote) {
            vm.prank(seq);
            try sc.commitProver(slot, prover, deposit) {} catch {}
            return;
        }
        ISidecar.ProposalView memory p = sc.getProposal(slot, seq);
        ISidecar.Quote memory q = ISidecar.Quote(slot, p.blockHash, prover, p.tip, deposit, proverFunds, block.number);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(proverPks[pi], sc.quoteDigest(q));
        vm.prank(seq);
        try sc.commitProverWithQuote(slot, q, abi.encodePacked(r, s, v)) {} catch {}
    }

    function _oldestPending() internal view returns (uint256 cur, bool found) {
        ISidecar.ChainState memory c = sc.chainState();
        if (c.pendingBlocks == 0) return (0, false);
        cur = c.headSlot;
        while (sc.getBlock(cur).parentSlot != c.lastProvenSlot) cur = sc.getBlock(cur).parentSlot;
        return (cur, true);
    }

    function submit(uint256 actorI, bool corrupt) external clock {
        _trySubmit(actorI, corrupt);
    }

    /// A proof of the oldest pending block and up to 3 of its descendants (a range), naming the caller.
    function _trySubmit(uint256 actorI, bool corrupt) internal {
        (uint256 slot, bool found) = _oldestPending();
        if (!found) return;
        // the pending chain from the head back to `slot`; the range ends 0..3 blocks after `slot`
        uint256[] memory back = new uint256[](16);
        uint256 n;
        for (uint256 cur = sc.chainState().headSlot; cur != slot; cur = sc.getBlock(cur).parentSlot) back[n++] = cur;
        uint256 extra = (actorI >> 8) % 4;
        if (extra > n) extra = n;
        uint256 to = extra == 0 ? slot : back[n - extra];
        address who = actors[actorI % actors.length];
        bytes32[] memory inputs = sc.publicInputs(slot, to, who);
        if (corrupt) inputs[2] = bytes32(uint256(inputs[2]) ^ 1);
        bytes32 h = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", verifier.digest(inputs)));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerPk, h);
        vm.prank(who);
        try sc.submitProofRange(slot, to, who, abi.encodePacked(r, s, v)) {
            proven += extra + 1;
        } catch {}
    }

    function slash(uint256 actorI) external clock {
        (uint256 slot, bool found) = _oldestPending();
        if (!found) return;
        vm.prank(actors[actorI % actors.length]);
        try sc.slash(slot) {
            slashed++;
        } catch {}
    }

    function refund(uint256 i) external clock {
        if (tracked.length == 0) return;
        Tracked memory t = tracked[i % tracked.length];
        try sc.refundProposal(t.slot, t.seq) {} catch {}
    }

    function withdraw(uint256 actorI) external clock {
        address a = actors[actorI % actors.length];
        if (sc.creditOf(a) == 0) return;
        vm.prank(a);
        sc.withdraw(a);
    }

    function stakeNewcomer(uint256 amount) external clock {
        amount = bound(amount, 1, 200e18);
        vm.prank(actors[6]);
        try sc.stake(amount) {} catch {}
    }

    function exitNewcomer(bool finish) external clock {
        vm.prank(actors[6]);
        if (finish) {
            try sc.withdrawStake() {} catch {}
        } else {
            try sc.requestExit() {} catch {}
        }
    }

    function fund(uint256 amount) external clock {
        amount = bound(amount, 1, 1000e18);
        vm.prank(actors[5]);
        sc.fundRewards(amount);
    }
}

/// No token is created or lost across any sequence of calls: the contract's balance always equals
/// the reward pool + credits + stakes + open escrow (tips and deposits of unsettled proposals).
contract SidecarInvariantTest is SidecarBase, InvariantTest {
    SidecarHandler internal handler;

    /// The economics on: a burn and a bounty on every slash, the prover's exclusive window.
    function _config() internal view override returns (ISidecar.Config memory c) {
        c = super._config();
        c.slashBurnBps = 2500;
        c.slashBountyBps = 100;
        c.proverExclusiveBlocks = 2;
    }

    function setUp() public override {
        super.setUp();
        address[] memory a = new address[](7);
        a[0] = seqA;
        a[1] = seqB;
        a[2] = seqC;
        a[3] = prover;
        a[4] = prover2;
        a[5] = submitter;
        a[6] = address(0x6E6E);
        token.mint(a[6], START_BALANCE);
        vm.prank(a[6]);
        token.approve(address(sc), type(uint256).max);
        uint256[] memory pks = new uint256[](2);
        pks[0] = PROVER_PK;
        pks[1] = PROVER2_PK;
        handler = new SidecarHandler(sc, token, verifier, SIGNER_PK, a, pks);
        vm.roll(GENESIS);
        targetContract(address(handler));
        bytes4[] memory sel = new bytes4[](18);
        sel[0] = SidecarHandler.advance.selector;
        sel[1] = SidecarHandler.propose.selector;
        sel[2] = SidecarHandler.reveal.selector;
        sel[3] = SidecarHandler.commit.selector;
        sel[4] = SidecarHandler.submit.selector;
        sel[5] = SidecarHandler.slash.selector;
        sel[6] = SidecarHandler.refund.selector;
        sel[7] = SidecarHandler.withdraw.selector;
        sel[8] = SidecarHandler.stakeNewcomer.selector;
        sel[9] = SidecarHandler.exitNewcomer.selector;
        sel[10] = SidecarHandler.fund.selector;
        sel[11] = SidecarHandler.advance.selector; // time moves often
        sel[12] = SidecarHandler.advance.selector;
        sel[13] = SidecarHandler.step.selector; // and the protocol follows it
        sel[14] = SidecarHandler.step.selector;
        sel[15] = SidecarHandler.step.selector;
        sel[16] = SidecarHandler.step.selector;
        sel[17] = SidecarHandler.step.selector;
        targetSelector(FuzzSelector(address(handler), sel));
    }

    function _escrow() internal view returns (uint256 sum) {
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (uint256 slot, address seq) = handler.tracked(i);
            ISidecar.ProposalView memory p = sc.getProposal(slot, seq);
            if (!p.exists) continue;
            if (sc.canonicalSequencer(slot) == seq) {
                ISidecar.BlockStatus st = sc.blockStatus(slot);
                if (
                    st == ISidecar.BlockStatus.Proven || st == ISidecar.BlockStatus.Slashed
                        || st == ISidecar.BlockStatus.Invalidated
                ) continue; // settled: paid out as credits
            }
            sum += p.tip + p.deposit;
        }
    }

    function invariant_tokensConserved() public view {
        uint256 n = handler.actorCount();
        uint256 held = sc.rewardPool() + _escrow();
        for (uint256 i; i < n; ++i) {
            address a = handler.actors(i);
            held += sc.creditOf(a) + sc.stakeOf(a).amount;
        }
        held += sc.creditOf(deployer) + sc.stakeOf(deployer).amount;
        assertEq(token.balanceOf(address(sc)), held, "contract balance == pool + credits + stakes + escrow");
        uint256 supply = token.balanceOf(address(sc)) + token.balanceOf(deployer);
        for (uint256 i; i < n; ++i) {
            supply += token.balanceOf(handler.actors(i));
        }
        assertEq(token.totalSupply(), supply, "no token left the known holders");
    }

    function invariant_chainBounds() public view {
        ISidecar.ChainState memory c = sc.chainState();
        assertLe(c.pendingBlocks, sc.config().reorgWindow, "pending <= reorg window");
        assertLe(c.lastProvenSlot, c.headSlot, "proven prefix");
        if (c.pendingBlocks == 0) assertEq(c.headSlot, c.lastProvenSlot, "no pending: head is the last proven");
        assertEq(uint256(sc.blockStatus(c.lastProvenSlot)), uint256(ISidecar.BlockStatus.Proven), "last proven is proven");
    }

    /// After each run: let every deadline pass, slash what is unproven, refund every other
    /// proposal, withdraw every credit. Nothing may stay escrowed: the contract keeps exactly the
    /// reward pool and the stakes.
    function afterInvariant() public {
        vm.roll(handler.blockNow() + 200);
        ISidecar.ChainState memory c = sc.chainState();
        if (c.pendingBlocks != 0) {
            uint256 cur = c.headSlot;
            while (sc.getBlock(cur).parentSlot != c.lastProvenSlot) cur = sc.getBlock(cur).parentSlot;
            vm.prank(handler.actors(0)); // an actor, so its bounty is withdrawn below
            sc.slash(cur);
        }
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (uint256 slot, address seq) = handler.tracked(i);
            if (sc.getProposal(slot, seq).exists && sc.canonicalSequencer(slot) != seq) sc.refundProposal(slot, seq);
        }
        assertEq(_escrow(), 0, "nothing left in escrow");
        n = handler.actorCount();
        for (uint256 i; i < n; ++i) {
            address a = handler.actors(i);
            if (sc.creditOf(a) != 0) {
                vm.prank(a);
                sc.withdraw(a);
            }
        }
        uint256 stakes;
        for (uint256 i; i < n; ++i) {
            stakes += sc.stakeOf(handler.actors(i)).amount;
        }
        assertEq(token.balanceOf(address(sc)), sc.rewardPool() + stakes, "only the pool and the stakes remain");
    }
}
