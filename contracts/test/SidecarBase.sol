// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Test, Vm} from "./lib/Test.sol";
import {Sidecar} from "../src/Sidecar.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {TestToken} from "../src/TestToken.sol";
import {SignatureVerifier} from "../src/verifiers/SignatureVerifier.sol";

/// Shared fixture: a TestToken, the SignatureVerifier stand-in, a Sidecar with the seed's phase
/// lengths (4/4/4, proving 40, submission 4), three staked sequencers and two provers.
abstract contract SidecarBase is Test {
    TestToken internal token;
    SignatureVerifier internal verifier;
    Sidecar internal sc;

    uint256 internal constant SIGNER_PK = 0xA11CE;
    uint256 internal constant PROVER_PK = 0xB0B;
    uint256 internal constant PROVER2_PK = 0xC0FFEE;
    address internal signer;
    address internal prover;
    address internal prover2;
    address internal seqA = address(0xA0);
    address internal seqB = address(0xB0);
    address internal seqC = address(0xC0);
    address internal submitter = address(0x5B);
    address internal deployer = address(0xDE);

    bytes32 internal constant GENESIS_ROOT = bytes32(uint256(0x6e6e));
    uint256 internal constant GENESIS = 1010;
    uint256 internal constant STAKE = 100e18;
    uint256 internal constant DEPOSIT = 1000e18;
    uint256 internal constant BLOCK_REWARD = 100e18;
    uint256 internal constant SUB_REWARD = 10e18;
    uint256 internal constant POOL = 1_000_000e18;
    uint256 internal constant START_BALANCE = 1_000_000e18;

    struct Blk {
        uint256 slot;
        bytes32 startRoot;
        bytes32 endRoot;
        bytes txs;
        bytes wd;
        bytes32 hash;
    }

    function _config() internal view virtual returns (ISidecar.Config memory c) {
        c.token = address(token);
        c.verifier = address(verifier);
        c.genesisBlock = uint64(GENESIS);
        c.genesisRoot = GENESIS_ROOT;
        c.proposalBlocks = 4;
        c.revealBlocks = 4;
        c.commitBlocks = 4;
        c.provingBlocks = 40;
        c.submissionBlocks = 4;
        c.earlyProofs = true;
        c.reorgWindow = 8;
        c.minStake = uint96(STAKE);
        c.activationDelay = 1;
        c.exitDelay = 10;
        c.minProverDeposit = uint96(DEPOSIT);
        c.blockReward = uint96(BLOCK_REWARD);
        c.submissionReward = uint96(SUB_REWARD);
    }

    function _newToken() internal virtual returns (TestToken) {
        return new TestToken("Sidecar Test Token", "SCT");
    }

    function setUp() public virtual {
        vm.roll(1000);
        signer = vm.addr(SIGNER_PK);
        prover = vm.addr(PROVER_PK);
        prover2 = vm.addr(PROVER2_PK);
        token = _newToken();
        verifier = new SignatureVerifier(signer);
        sc = new Sidecar(_config());
        address[7] memory actors = [seqA, seqB, seqC, prover, prover2, submitter, deployer];
        for (uint256 i; i < actors.length; ++i) {
            token.mint(actors[i], START_BALANCE);
            vm.prank(actors[i]);
            token.approve(address(sc), type(uint256).max);
        }
        vm.prank(deployer);
        sc.fundRewards(POOL);
        _stake(seqA);
        _stake(seqB);
        _stake(seqC);
    }

    function _stake(address who) internal {
        vm.prank(who);
        sc.stake(STAKE);
    }

    // ---- time

    function _roll(uint256 slot, ISidecar.Phase phase) internal {
        ISidecar.SlotTiming memory t = sc.slotTiming(slot);
        uint256 b = phase == ISidecar.Phase.Proposal
            ? t.proposalStart
            : phase == ISidecar.Phase.Reveal
                ? t.revealStart
                : phase == ISidecar.Phase.Commitment
                    ? t.commitStart
                    : phase == ISidecar.Phase.Proving
                        ? t.commitEnd
                        : phase == ISidecar.Phase.Submission ? t.submissionStart : t.deadline;
        vm.roll(b);
        assertEq(uint256(sc.phaseOf(slot)), uint256(phase), "rolled into the phase");
    }

    // ---- blocks

    function _body(uint256 i) internal pure returns (bytes32) {
        return bytes32((uint256(i & 0xff) << 248) | (uint256((i >> 8) & 0xff) << 240) | (uint256(7) << 184) | 0x5a);
    }

    function _mkBlock(uint256 slot, bytes32 startRoot, uint256 salt, uint256 nTxs) internal view returns (Blk memory b) {
        b.slot = slot;
        b.startRoot = startRoot;
        b.endRoot = keccak256(abi.encode("end", slot, salt));
        b.txs = new bytes(nTxs * 32);
        b.wd = new bytes(nTxs * 64);
        for (uint256 i; i < nTxs; ++i) {
            bytes32 body = _body(i + salt * 7);
            bytes32 e = keccak256(abi.encode(i, salt));
            bytes32 s = keccak256(abi.encode(salt, i));
            bytes memory txs = b.txs;
            bytes memory wd = b.wd;
            assembly {
                mstore(add(add(txs, 32), mul(i, 32)), body)
                mstore(add(add(wd, 32), mul(i, 64)), e)
                mstore(add(add(wd, 64), mul(i, 64)), s)
            }
        }
        b.hash = keccak256(
            abi.encode(slot, startRoot, b.endRoot, sc.computeTxsCommitment(b.txs), keccak256(b.txs), keccak256(b.wd))
        );
    }

    function _headRoot() internal view returns (bytes32) {
        return sc.getBlock(sc.chainState().headSlot).endRoot;
    }

    function _propose(address seq, Blk memory b, uint256 tip, uint16 bps) internal {
        vm.prank(seq);
        sc.propose(b.slot, _commitment(b.hash, seq), tip, bps);
    }

    /// What `seq` posts in propose for block hash `h` (docs/design.md).
    function _commitment(bytes32 h, address seq) internal pure returns (bytes32) {
        return keccak256(abi.encode(h, seq));
    }

    function _reveal(address seq, Blk memory b) internal {
        vm.prank(seq);
        sc.reveal(b.slot, b.startRoot, b.endRoot, b.txs, b.wd);
    }

    function _commit(address seq, uint256 slot, address who, uint256 deposit) internal {
        vm.prank(seq);
        sc.commitProver(slot, who, deposit);
    }

    /// propose + reveal + commit (sequencer-funded, `prover`) for `seq` in `slot` on the chain head.
    function _slot(uint256 slot, address seq, uint256 tip, uint256 salt) internal returns (Blk memory b) {
        _roll(slot, ISidecar.Phase.Proposal);
        b = _mkBlock(slot, _headRoot(), salt, 3);
        _propose(seq, b, tip, 2000);
        _roll(slot, ISidecar.Phase.Reveal);
        _reveal(seq, b);
        _roll(slot, ISidecar.Phase.Commitment);
        _commit(seq, slot, prover, DEPOSIT);
    }

    // ---- proofs (SignatureVerifier: signature over the public inputs)

    function _signInputs(uint256 pk, bytes32[] memory inputs) internal view returns (bytes memory) {
        bytes32 d = verifier.digest(inputs);
        bytes32 h = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", d));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, h);
        return abi.encodePacked(r, s, v);
    }

    /// The inputs a proof of `from..to` naming `recipient` must have (read from the contract).
    function _inputs(uint256 from, uint256 to, address recipient) internal view returns (bytes32[] memory) {
        return sc.publicInputs(from, to, recipient);
    }

    function _proof(uint256 slot) internal view returns (bytes memory) {
        return _signInputs(SIGNER_PK, _inputs(slot, slot, submitter));
    }

    function _rangeProof(uint256 from, uint256 to, address recipient) internal view returns (bytes memory) {
        return _signInputs(SIGNER_PK, _inputs(from, to, recipient));
    }

    function _submit(uint256 slot) internal {
        bytes memory proof = _proof(slot);
        vm.prank(submitter);
        sc.submitProofRange(slot, slot, submitter, proof);
    }

    // ---- quotes

    function _quote(uint256 slot, bytes32 blockHash, address who, uint256 fee, uint256 deposit, bool funds, uint256 until)
        internal
        pure
        returns (ISidecar.Quote memory q)
    {
        q = ISidecar.Quote(slot, blockHash, who, fee, deposit, funds, until);
    }

    function _signQuote(uint256 pk, ISidecar.Quote memory q) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, sc.quoteDigest(q));
        return abi.encodePacked(r, s, v);
    }

    // ---- accounting

    /// Tokens the contract must hold: pool + credits of the known actors + stakes + open escrow.
    function _accounted(address[] memory actors) internal view returns (uint256 sum) {
        sum = sc.rewardPool();
        for (uint256 i; i < actors.length; ++i) {
            sum += sc.creditOf(actors[i]) + sc.stakeOf(actors[i]).amount;
        }
    }

    function _actors() internal view returns (address[] memory a) {
        a = new address[](7);
        a[0] = seqA;
        a[1] = seqB;
        a[2] = seqC;
        a[3] = prover;
        a[4] = prover2;
        a[5] = submitter;
        a[6] = deployer;
    }
}
