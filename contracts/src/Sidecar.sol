// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ISidecar} from "./interfaces/ISidecar.sol";
import {IVerifier} from "./interfaces/IVerifier.sol";
import {ICommitmentModule, ICommitmentRegistry} from "./interfaces/ICommitmentModule.sol";

/// @title Sidecar: the L1 side of the Sidecar proving proposal (SPEC §2). See contracts/README.md
/// for the design choices (rank seed, slot timing, pending chain and reorg window, slash split).
contract Sidecar is ISidecar, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------ constants

    /// BN254 scalar field modulus (docs/design.md).
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant TX_TREE_DEPTH = 10;
    uint256 internal constant MAX_TXS = 1024;
    uint256 internal constant BPS = 10_000;
    /// Set in the stored txs commitment (always < r < 2^254) once a proposal is revealed.
    uint256 internal constant REVEALED = 1 << 255;
    /// Most blocks one proof may settle (bounds submitProofRange's walk and its public inputs).
    uint256 internal constant MAX_RANGE = 32;
    /// Most pending blocks a deployment may allow: `slash` walks them all in one transaction
    /// (~30k gas per invalidated block, contracts/README.md), so the worst case fits a block.
    uint256 internal constant MAX_REORG_WINDOW = 128;
    /// sha256 zero-subtree root z_10 (the root of an empty block's txs tree).
    bytes32 internal constant Z10 = 0xffff0ad7e659772f9534c195c815efc4014ef1e1daed4404c06385d11192e92b;

    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(uint256 slot,bytes32 blockHash,address prover,uint256 fee,uint256 deposit,bool proverFundsDeposit,uint256 validUntilBlock)"
    );

    uint8 internal constant ST_ACTIVE = 0;
    uint8 internal constant ST_PROVEN = 1;
    uint8 internal constant ST_SLASHED = 2;
    uint8 internal constant ST_INVALIDATED = 3;

    // ------------------------------------------------------------------ storage (packed)

    /// 3 words. Keyed by (slot, sequencer): at most one proposal per sequencer per slot.
    struct Proposal {
        uint96 tip;
        uint16 shareBps;
        bool exists;
        /// propose: the proposal commitment keccak256(abi.encode(blockHash, sequencer)); reveal
        /// replaces it with the plain block hash (the commitment is then recomputable from it).
        bytes32 hashWord;
        bytes32 endRoot; // reveal
        uint256 txsCommitment; // reveal: commitment | REVEALED
        address prover; // commit (non-zero = committed)
        uint88 deposit;
        bool proverFunded;
    }

    /// 1 word per slot.
    struct SlotData {
        address canonical; // leading proposal's sequencer (canonical once the commitment phase ends)
        uint40 parentSlot;
        uint8 status;
        uint40 linkedAt; // L1 block of the slot's first commitment (when it joined the pending chain)
    }

    /// 1 word: everything proofs, slashes and commitments touch together.
    struct Chain {
        uint40 lastProven;
        uint40 head;
        uint16 pending;
        uint40 killedUpTo;
        uint120 rewardPool;
    }

    struct StakeData {
        uint96 amount;
        uint64 activeFrom;
        uint64 exitableAt;
    }

    mapping(uint256 slot => mapping(address sequencer => Proposal)) internal _proposals;
    mapping(uint256 slot => SlotData) internal _slots;
    mapping(address => StakeData) internal _stakes;
    mapping(address => uint256) internal _credits;
    Chain internal _chain;

    // ------------------------------------------------------------------ immutables (the Config)

    IERC20 internal immutable TOKEN;
    IVerifier internal immutable VERIFIER;
    uint256 internal immutable GENESIS_BLOCK;
    bytes32 internal immutable GENESIS_ROOT;
    uint256 internal immutable PROPOSAL_BLOCKS;
    uint256 internal immutable REVEAL_BLOCKS;
    uint256 internal immutable COMMIT_BLOCKS;
    uint256 internal immutable PROVING_BLOCKS;
    uint256 internal immutable SUBMISSION_BLOCKS;
    uint256 internal immutable PERIOD;
    bool internal immutable EARLY_PROOFS;
    uint256 internal immutable REORG_WINDOW;
    uint256 internal immutable MIN_STAKE;
    uint256 internal immutable ACTIVATION_DELAY;
    uint256 internal immutable EXIT_DELAY;
    uint256 internal immutable MIN_PROVER_DEPOSIT;
    uint256 internal immutable BLOCK_REWARD;
    uint256 internal immutable SUBMISSION_REWARD;
    uint256 internal immutable PROVER_EXCLUSIVE_BLOCKS;
    uint256 internal immutable SLASH_BURN_BPS;
    uint256 internal immutable SLASH_BOUNTY_BPS;
    uint256 internal immutable DEPOSIT_RANK_CAP;
    address internal immutable COMMITMENT_REGISTRY;

    constructor(Config memory c) EIP712("Sidecar", "1") {
        if (c.token == address(0)) revert InvalidConfig("token is zero");
        if (c.verifier == address(0)) revert InvalidConfig("verifier is zero");
        if (c.proposalBlocks == 0 || c.revealBlocks == 0 || c.commitBlocks == 0) {
            revert InvalidConfig("proposal, reveal and commit phases need >= 1 block");
        }
        if (c.submissionBlocks == 0) revert InvalidConfig("submission phase needs >= 1 block");
        if (uint256(c.proverExclusiveBlocks) >= uint256(c.earlyProofs ? c.provingBlocks : 0) + c.submissionBlocks) {
            revert InvalidConfig("proverExclusiveBlocks must end before the deadline");
        }
        uint256 period = uint256(c.proposalBlocks) + c.revealBlocks + c.commitBlocks;
        // The rank seed is blockhash(proposalStart - 1), read until the commitment phase ends.
        if (period > 255) revert InvalidConfig("proposal + reveal + commit must be <= 255 blocks (blockhash)");
        if (c.reorgWindow == 0 || c.reorgWindow > MAX_REORG_WINDOW) {
            revert InvalidConfig("reorgWindow in 1..128 (a slash walks every pending block in one tx)");
        }
        if (uint256(c.slashBurnBps) + c.slashBountyBps > BPS) revert InvalidConfig("slashBurnBps + slashBountyBps > 10000");
        if (c.activationDelay == 0) revert InvalidConfig("activationDelay must be >= 1");
        uint256 genesis = c.genesisBlock == 0 ? block.number + 1 : c.genesisBlock;
        if (genesis < 2) revert InvalidConfig("genesisBlock must be >= 2");
        TOKEN = IERC20(c.token);
        VERIFIER = IVerifier(c.verifier);
        GENESIS_BLOCK = genesis;
        GENESIS_ROOT = c.genesisRoot;
        PROPOSAL_BLOCKS = c.proposalBlocks;
        REVEAL_BLOCKS = c.revealBlocks;
        COMMIT_BLOCKS = c.commitBlocks;
        PROVING_BLOCKS = c.provingBlocks;
        SUBMISSION_BLOCKS = c.submissionBlocks;
        PERIOD = period;
        EARLY_PROOFS = c.earlyProofs;
        REORG_WINDOW = c.reorgWindow;
        MIN_STAKE = c.minStake;
        ACTIVATION_DELAY = c.activationDelay;
        EXIT_DELAY = c.exitDelay;
        MIN_PROVER_DEPOSIT = c.minProverDeposit;
        BLOCK_REWARD = c.blockReward;
        SUBMISSION_REWARD = c.submissionReward;
        PROVER_EXCLUSIVE_BLOCKS = c.proverExclusiveBlocks;
        SLASH_BURN_BPS = c.slashBurnBps;
        SLASH_BOUNTY_BPS = c.slashBountyBps;
        DEPOSIT_RANK_CAP = c.depositRankCap;
        COMMITMENT_REGISTRY = c.commitmentRegistry;
    }

    // ------------------------------------------------------------------ staking and reward pool

    /// @inheritdoc ISidecar
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        StakeData memory s = _stakes[msg.sender];
        if (s.exitableAt != 0) revert ExitPending(msg.sender);
        uint256 total = uint256(s.amount) + amount;
        if (total > type(uint96).max) revert AmountTooLarge(amount);
        // Crossing the minimum (re)starts the activation delay: an address can never become eligible
        // for a slot whose seed was already known when it became staked.
        if (s.amount < MIN_STAKE || s.activeFrom == 0) s.activeFrom = uint64(block.number + ACTIVATION_DELAY);
        s.amount = uint96(total);
        _stakes[msg.sender] = s;
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        emit Staked(msg.sender, amount, total, s.activeFrom);
    }

    /// @inheritdoc ISidecar
    function requestExit() external {
        StakeData storage s = _stakes[msg.sender];
        if (s.amount == 0) revert NoStake(msg.sender);
        if (s.exitableAt != 0) revert ExitPending(msg.sender);
        uint256 at = block.number + EXIT_DELAY;
        s.exitableAt = uint64(at);
        emit ExitRequested(msg.sender, at);
    }

    /// @inheritdoc ISidecar
    function withdrawStake() external nonReentrant {
        StakeData memory s = _stakes[msg.sender];
        if (s.amount == 0) revert NoStake(msg.sender);
        if (s.exitableAt == 0) revert NoExitRequested(msg.sender);
        if (block.number < s.exitableAt) revert ExitDelayNotPassed(s.exitableAt);
        delete _stakes[msg.sender];
        TOKEN.safeTransfer(msg.sender, s.amount);
        emit StakeWithdrawn(msg.sender, s.amount);
    }

    /// @inheritdoc ISidecar
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Chain memory c = _chain;
        uint256 pool = uint256(c.rewardPool) + amount;
        if (pool > type(uint120).max) revert AmountTooLarge(amount);
        c.rewardPool = uint120(pool);
        _chain = c;
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        emit RewardsFunded(msg.sender, amount);
    }

    // ------------------------------------------------------------------ protocol

    /// @inheritdoc ISidecar
    function propose(uint256 slot, bytes32 commitment, uint256 tip, uint16 rewardShareBps) external nonReentrant {
        _requirePhase(slot, Phase.Proposal);
        if (slot <= _chain.killedUpTo) revert SlotVoid(slot);
        if (rewardShareBps > BPS) revert InvalidShareBps(rewardShareBps);
        if (tip > type(uint96).max) revert AmountTooLarge(tip);
        if (!_eligible(_stakes[msg.sender], slot)) revert NotEligible(msg.sender, slot);
        Proposal storage p = _proposals[slot][msg.sender];
        if (p.exists) revert AlreadyProposed(slot, msg.sender);
        p.tip = uint96(tip);
        p.shareBps = rewardShareBps;
        p.exists = true;
        p.hashWord = commitment;
        if (tip != 0) TOKEN.safeTransferFrom(msg.sender, address(this), tip);
        emit Proposed(slot, msg.sender, commitment, tip, rewardShareBps);
    }

    /// @inheritdoc ISidecar
    function reveal(uint256 slot, bytes32 startRoot, bytes32 endRoot, bytes calldata txs, bytes calldata witnessData)
        external
    {
        _requirePhase(slot, Phase.Reveal);
        Chain memory c = _chain;
        if (slot <= c.killedUpTo) revert SlotVoid(slot);
        Proposal storage p = _proposals[slot][msg.sender];
        if (!p.exists) revert NoProposal(slot, msg.sender);
        if (p.txsCommitment != 0) revert AlreadyRevealed(slot, msg.sender);
        (bytes32 h, uint256 txsC) = _hashBlock(slot, startRoot, endRoot, txs, witnessData);
        // The commitment binds the block to its proposer: a copied commitment or copied reveal data
        // fails for any other sender (docs/design.md, "Block").
        _requireCommitment(p.hashWord, h);
        _requireStartRoot(c.head, startRoot);
        p.hashWord = h;
        p.endRoot = endRoot;
        p.txsCommitment = txsC | REVEALED;
        emit Revealed(slot, msg.sender, h, startRoot, endRoot, bytes32(txsC), txs.length >> 5);
    }

    function _requireCommitment(bytes32 committed, bytes32 h) internal view {
        bytes32 mine = _proposalCommitment(h, msg.sender);
        if (mine != committed) revert BlockHashMismatch(committed, mine);
    }

    function _requireStartRoot(uint256 head, bytes32 startRoot) internal view {
        bytes32 expected = _endRootOf(head);
        if (startRoot != expected) revert StartRootMismatch(expected, startRoot);
    }

    function _hashBlock(uint256 slot, bytes32 startRoot, bytes32 endRoot, bytes calldata txs, bytes calldata witnessData)
        internal
        view
        returns (bytes32 h, uint256 txsC)
    {
        txsC = _txsCommitment(txs);
        h = keccak256(abi.encode(slot, startRoot, endRoot, txsC, keccak256(txs), keccak256(witnessData)));
    }

    /// @inheritdoc ISidecar
    function commitProver(uint256 slot, address prover, uint256 deposit) external nonReentrant {
        _commit(slot, _proposals[slot][msg.sender], prover, deposit, false);
    }

    /// @inheritdoc ISidecar
    function commitProverWithQuote(uint256 slot, Quote calldata quote, bytes calldata signature)
        external
        nonReentrant
    {
        Proposal storage p = _proposals[slot][msg.sender];
        if (!p.exists) revert NoProposal(slot, msg.sender);
        // revealed proposals hold the plain block hash (an unrevealed one fails in _commit)
        if (quote.slot != slot || quote.blockHash != p.hashWord) revert QuoteMismatch(quote.slot, quote.blockHash);
        if (block.number > quote.validUntilBlock) revert QuoteExpired(quote.validUntilBlock);
        if (p.tip < quote.fee) revert TipBelowFee(p.tip, quote.fee);
        if (!SignatureChecker.isValidSignatureNow(quote.prover, quoteDigest(quote), signature)) {
            revert InvalidQuoteSignature(quote.prover);
        }
        _commit(slot, p, quote.prover, quote.deposit, quote.proverFundsDeposit);
    }

    function _commit(uint256 slot, Proposal storage p, address prover, uint256 deposit, bool proverFunded) internal {
        _requirePhase(slot, Phase.Commitment);
        Chain memory c = _chain;
        if (slot <= c.killedUpTo) revert SlotVoid(slot);
        if (p.txsCommitment == 0) {
            // revealed implies proposed: read `exists` only to name the refusal
            if (!p.exists) revert NoProposal(slot, msg.sender);
            revert NotRevealed(slot, msg.sender);
        }
        if (p.prover != address(0)) revert AlreadyCommitted(slot, msg.sender);
        if (prover == address(0)) revert ZeroProver();
        if (deposit < MIN_PROVER_DEPOSIT) revert DepositTooLow(deposit, MIN_PROVER_DEPOSIT);
        if (deposit > type(uint88).max) revert AmountTooLarge(deposit);
        if (COMMITMENT_REGISTRY != address(0)) {
            address module = ICommitmentRegistry(COMMITMENT_REGISTRY).commitmentModule();
            if (
                module != address(0)
                    && !ICommitmentModule(module).checkCommitment(slot, msg.sender, prover, deposit, proverFunded)
            ) revert CommitmentRejected(module);
        }

        SlotData memory s = _slots[slot];
        if (s.canonical == address(0)) {
            // First commitment of the slot: it extends the pending chain.
            if (c.pending >= REORG_WINDOW) revert ReorgWindowFull(c.pending);
            s.canonical = msg.sender;
            s.parentSlot = c.head;
            s.linkedAt = uint40(block.number);
            _slots[slot] = s;
            c.head = uint40(slot);
            c.pending += 1;
            _chain = c;
            emit CanonicalUpdated(slot, msg.sender, s.parentSlot);
        } else {
            bytes32 seed = _seed(slot);
            // the leader's deposit only matters with the rank cap: skip its cold read otherwise
            uint256 leaderDeposit = DEPOSIT_RANK_CAP == 0 ? 0 : _proposals[slot][s.canonical].deposit;
            if (_score(seed, msg.sender, deposit) > _score(seed, s.canonical, leaderDeposit)) {
                _slots[slot].canonical = msg.sender;
                emit CanonicalUpdated(slot, msg.sender, s.parentSlot);
            }
        }
        p.prover = prover;
        p.deposit = uint88(deposit);
        p.proverFunded = proverFunded;
        address depositor = proverFunded ? prover : msg.sender;
        TOKEN.safeTransferFrom(depositor, address(this), deposit);
        emit ProverCommitted(slot, msg.sender, prover, deposit, depositor);
    }

    /// @inheritdoc ISidecar
    function refundProposal(uint256 slot, address sequencer) external {
        Proposal memory p = _proposals[slot][sequencer];
        if (!p.exists) revert NoProposal(slot, sequencer);
        // The canonical block is settled by submitProofRange or slash, never here. Others: once the
        // commitment phase is over (they can no longer lead), or at once in a void slot.
        if (_slots[slot].canonical == sequencer) revert NotRefundable(slot, sequencer);
        if (slot > _chain.killedUpTo && block.number < _proposalStart(slot) + PERIOD) {
            revert NotRefundable(slot, sequencer);
        }
        delete _proposals[slot][sequencer];
        if (p.tip != 0) _credits[sequencer] += p.tip;
        address depositor;
        if (p.prover != address(0)) {
            depositor = p.proverFunded ? p.prover : sequencer;
            _credits[depositor] += p.deposit;
        }
        emit ProposalRefunded(slot, sequencer, p.tip, depositor, p.deposit);
    }

    /// @inheritdoc ISidecar
    function submitProofRange(uint256 from, uint256 to, address recipient, bytes calldata proof) external {
        if (recipient == address(0)) revert ZeroRecipient();
        Chain memory c = _chain;
        // Cheap refusals first (a range whose first block is no longer pending costs no verifier run).
        SlotData memory s = _slots[from];
        if (s.canonical == address(0)) revert NoCanonicalBlock(from);
        if (s.status != ST_ACTIVE) revert BlockNotPending(from, _statusOf(from, s));
        if (s.parentSlot != c.lastProven) revert ParentNotProven(from, s.parentSlot);
        uint256[] memory slots = _range(from, to);
        _requireWindow(from, to, slots, recipient);
        bytes32[] memory inputs = _rangeInputs(slots, recipient);
        // The generated verifiers revert on many bad proofs: a revert is an invalid proof.
        bool ok;
        try VERIFIER.verify(proof, inputs) returns (bool result) {
            ok = result;
        } catch {}
        if (!ok) revert InvalidProof(from);
        for (uint256 i; i < slots.length; ++i) {
            uint256 slot = slots[i];
            SlotData memory b = _slots[slot];
            _settleProven(slot, b, c, _proposals[slot][b.canonical], recipient);
        }
        _chain = c;
    }

    /// The pending blocks from `from` to `to` in chain order, walked back from `to` along the parents
    /// (so the caller can neither skip nor repeat a block). Refused unless `to` is pending and the walk
    /// passes through `from` within MAX_RANGE blocks.
    function _range(uint256 from, uint256 to) internal view returns (uint256[] memory slots) {
        if (to < from) revert RangeNotCanonical(from, to);
        uint256[] memory back = new uint256[](MAX_RANGE);
        uint256 n;
        uint256 cur = to;
        while (true) {
            SlotData memory s = _slots[cur];
            if (s.canonical == address(0) || s.status != ST_ACTIVE || n == MAX_RANGE) revert RangeNotCanonical(from, to);
            back[n++] = cur;
            if (cur == from) break;
            cur = s.parentSlot;
            if (cur < from) revert RangeNotCanonical(from, to);
        }
        slots = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            slots[i] = back[n - 1 - i];
        }
    }

    /// [slot, startRoot, endRoot, txsCommitment] per block in chain order, then the reward recipient.
    function _rangeInputs(uint256[] memory slots, address recipient) internal view returns (bytes32[] memory inputs) {
        uint256 n = slots.length;
        inputs = new bytes32[](4 * n + 1);
        for (uint256 i; i < n; ++i) {
            uint256 slot = slots[i];
            SlotData memory s = _slots[slot];
            Proposal storage p = _proposals[slot][s.canonical];
            inputs[4 * i] = bytes32(slot);
            inputs[4 * i + 1] = _endRootOf(s.parentSlot);
            inputs[4 * i + 2] = p.endRoot;
            inputs[4 * i + 3] = bytes32(p.txsCommitment & ~REVEALED);
        }
        inputs[4 * n] = bytes32(uint256(uint160(recipient)));
    }

    /// `[proofsFrom(to), deadline(from))` (deadlines grow with the slot: the first block's is the
    /// earliest, the last block's window opens last), and each block still in its prover's exclusive
    /// window names that prover as the recipient.
    function _requireWindow(uint256 from, uint256 to, uint256[] memory slots, address recipient) internal view {
        uint256 deadline = _proposalStart(from) + PERIOD + PROVING_BLOCKS + SUBMISSION_BLOCKS;
        if (block.number >= deadline) revert ProofTooLate(deadline);
        uint256 opens = _proofsFrom(to);
        if (block.number < opens) revert ProofTooEarly(opens);
        if (PROVER_EXCLUSIVE_BLOCKS == 0) return;
        for (uint256 i; i < slots.length; ++i) {
            uint256 slot = slots[i];
            if (block.number < _proofsFrom(slot) + PROVER_EXCLUSIVE_BLOCKS) {
                // (slotTiming(slot).exclusiveUntil)
                address prover = _proposals[slot][_slots[slot].canonical].prover;
                if (recipient != prover) revert ExclusiveToProver(slot, prover);
            }
        }
    }

    function _proofsFrom(uint256 slot) internal view returns (uint256) {
        uint256 commitEnd = _proposalStart(slot) + PERIOD;
        return EARLY_PROOFS ? commitEnd : commitEnd + PROVING_BLOCKS;
    }

    /// Mark `slot` proven, advance `c` (the caller stores it) and credit everyone (reward recipient,
    /// prover, sequencer, depositor).
    function _settleProven(uint256 slot, SlotData memory s, Chain memory c, Proposal storage p, address recipient)
        internal
    {
        _slots[slot].status = ST_PROVEN;
        c.lastProven = uint40(slot);
        c.pending -= 1;
        uint256 pool = c.rewardPool;
        uint256 subReward = SUBMISSION_REWARD < pool ? SUBMISSION_REWARD : pool;
        pool -= subReward;
        uint256 blockReward = BLOCK_REWARD < pool ? BLOCK_REWARD : pool;
        c.rewardPool = uint120(pool - blockReward);

        uint256 share = blockReward * p.shareBps / BPS;
        address prover = p.prover;
        uint256 proverReward = p.tip + share;
        if (subReward != 0) _credits[recipient] += subReward;
        if (proverReward != 0) _credits[prover] += proverReward;
        if (blockReward != share) _credits[s.canonical] += blockReward - share;
        _credits[p.proverFunded ? prover : s.canonical] += p.deposit;
        emit BlockProven(slot, prover, recipient, proverReward, blockReward - share, subReward);
    }

    /// @inheritdoc ISidecar
    function slash(uint256 slot) external {
        SlotData memory s = _slots[slot];
        if (s.canonical == address(0)) revert NoCanonicalBlock(slot);
        if (s.status != ST_ACTIVE) revert BlockNotPending(slot, _statusOf(slot, s));
        uint256 deadline = _proposalStart(slot) + PERIOD + PROVING_BLOCKS + SUBMISSION_BLOCKS;
        if (block.number < deadline) revert DeadlineNotPassed(deadline);
        Chain memory c = _chain;
        if (s.parentSlot != c.lastProven) revert NotOldestPending(slot, _oldestPending(c));

        Proposal storage p = _proposals[slot][s.canonical];
        uint256 slashed = p.deposit;
        // The caller's bounty and the burn (to the reward pool) come off the top: whoever withholds a
        // block and owns every block built on it (with any number of addresses) still loses the burn.
        uint256 bounty = slashed * SLASH_BOUNTY_BPS / BPS;
        uint256 toPool = slashed * SLASH_BURN_BPS / BPS;
        // Every other pending block is a descendant of this one (the pending chain is linear). Only the
        // blocks that joined the chain before this block's deadline share the rest: one built on a chain
        // already known to be failing is reorged out without a victim's share.
        (uint256 n, uint256 k) = _countDescendants(c.head, slot, deadline);
        uint256 rest = slashed - bounty - toPool;
        uint256 share = k == 0 ? 0 : rest / k;
        toPool += rest - share * k;
        _invalidateDescendants(c.head, slot, deadline, share);
        _slots[slot].status = ST_SLASHED;
        if (p.tip != 0) _credits[s.canonical] += p.tip;
        if (bounty != 0) _credits[msg.sender] += bounty;

        uint256 pool = uint256(c.rewardPool) + toPool;
        // Saturate rather than revert: a full pool must not block a slash (tokens stay in the contract).
        c.rewardPool = pool > type(uint120).max ? type(uint120).max : uint120(pool);
        c.head = c.lastProven;
        c.pending = 0;
        uint256 now_ = _currentSlot();
        if (now_ > c.killedUpTo) c.killedUpTo = uint40(now_);
        _chain = c;
        emit BlockSlashed(slot, p.prover, slashed, n, k, share, toPool, bounty);
        emit ChainRewound(c.lastProven, c.killedUpTo);
    }

    /// The pending blocks above `slot` (n) and how many of them joined the chain before `deadline` (k).
    function _countDescendants(uint256 head, uint256 slot, uint256 deadline) internal view returns (uint256 n, uint256 k) {
        for (uint256 cur = head; cur != slot; ++n) {
            SlotData memory bs = _slots[cur];
            if (bs.linkedAt < deadline) ++k;
            cur = bs.parentSlot;
        }
    }

    /// Reorg out every pending block above `slot`: tip and deposit back, `share` to those that joined before `deadline`.
    function _invalidateDescendants(uint256 head, uint256 slot, uint256 deadline, uint256 share) internal {
        for (uint256 cur = head; cur != slot;) {
            SlotData storage bs = _slots[cur];
            address bseq = bs.canonical;
            Proposal storage bp = _proposals[cur][bseq];
            uint256 got = bs.linkedAt < deadline ? share : 0;
            bs.status = ST_INVALIDATED;
            _credits[bseq] += bp.tip + got;
            _credits[bp.proverFunded ? bp.prover : bseq] += bp.deposit;
            emit BlockInvalidated(cur, bseq, got);
            cur = bs.parentSlot;
        }
    }

    /// @inheritdoc ISidecar
    function withdraw(address to) external nonReentrant {
        if (to == address(0)) revert ZeroRecipient();
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        TOKEN.safeTransfer(to, amount);
        emit Withdrawn(msg.sender, to, amount);
    }

    // ------------------------------------------------------------------ views

    function config() external view returns (Config memory c) {
        c.token = address(TOKEN);
        c.verifier = address(VERIFIER);
        c.genesisBlock = uint64(GENESIS_BLOCK);
        c.genesisRoot = GENESIS_ROOT;
        c.proposalBlocks = uint32(PROPOSAL_BLOCKS);
        c.revealBlocks = uint32(REVEAL_BLOCKS);
        c.commitBlocks = uint32(COMMIT_BLOCKS);
        c.provingBlocks = uint32(PROVING_BLOCKS);
        c.submissionBlocks = uint32(SUBMISSION_BLOCKS);
        c.earlyProofs = EARLY_PROOFS;
        c.reorgWindow = uint32(REORG_WINDOW);
        c.minStake = uint96(MIN_STAKE);
        c.activationDelay = uint32(ACTIVATION_DELAY);
        c.exitDelay = uint32(EXIT_DELAY);
        c.minProverDeposit = uint96(MIN_PROVER_DEPOSIT);
        c.blockReward = uint96(BLOCK_REWARD);
        c.submissionReward = uint96(SUBMISSION_REWARD);
        c.proverExclusiveBlocks = uint32(PROVER_EXCLUSIVE_BLOCKS);
        c.slashBurnBps = uint16(SLASH_BURN_BPS);
        c.slashBountyBps = uint16(SLASH_BOUNTY_BPS);
        c.depositRankCap = uint96(DEPOSIT_RANK_CAP);
        c.commitmentRegistry = COMMITMENT_REGISTRY;
    }

    function token() external view returns (address) {
        return address(TOKEN);
    }

    function verifier() external view returns (IVerifier) {
        return VERIFIER;
    }

    function slotPeriod() external view returns (uint256) {
        return PERIOD;
    }

    function currentSlot() external view returns (uint256) {
        return _currentSlot();
    }

    function currentPhase() external view returns (uint256 slot, Phase phase) {
        slot = _currentSlot();
        phase = _phaseOf(slot);
    }

    function phaseOf(uint256 slot) external view returns (Phase) {
        return _phaseOf(slot);
    }

    function slotTiming(uint256 slot) external view returns (SlotTiming memory t) {
        if (slot == 0) return t;
        t.proposalStart = _proposalStart(slot);
        t.revealStart = t.proposalStart + PROPOSAL_BLOCKS;
        t.commitStart = t.revealStart + REVEAL_BLOCKS;
        t.commitEnd = t.commitStart + COMMIT_BLOCKS;
        t.submissionStart = t.commitEnd + PROVING_BLOCKS;
        t.proofsFrom = EARLY_PROOFS ? t.commitEnd : t.submissionStart;
        t.deadline = t.submissionStart + SUBMISSION_BLOCKS;
        t.seedBlock = t.proposalStart - 1;
        t.exclusiveUntil = t.proofsFrom + PROVER_EXCLUSIVE_BLOCKS;
    }

    function slotSeed(uint256 slot) external view returns (bytes32) {
        return _seed(slot);
    }

    function rankOf(uint256 slot, address sequencer) external view returns (uint256) {
        return uint256(keccak256(abi.encode(_seed(slot), sequencer)));
    }

    function scoreOf(uint256 slot, address sequencer, uint256 deposit) external view returns (uint256) {
        return _score(_seed(slot), sequencer, deposit);
    }

    function isEligible(address sequencer, uint256 slot) external view returns (bool) {
        return slot != 0 && _eligible(_stakes[sequencer], slot);
    }

    function blockStatus(uint256 slot) external view returns (BlockStatus) {
        return _statusOf(slot, _slots[slot]);
    }

    function canonicalSequencer(uint256 slot) external view returns (address) {
        return _slots[slot].canonical;
    }

    function getBlock(uint256 slot) external view returns (BlockView memory b) {
        SlotData memory s = _slots[slot];
        b.status = _statusOf(slot, s);
        if (slot == 0) {
            b.endRoot = GENESIS_ROOT;
            return b;
        }
        if (s.canonical == address(0)) return b;
        Proposal storage p = _proposals[slot][s.canonical];
        b.sequencer = s.canonical;
        b.parentSlot = s.parentSlot;
        b.blockHash = p.hashWord; // canonical implies revealed: the plain block hash
        b.startRoot = _endRootOf(s.parentSlot);
        b.endRoot = p.endRoot;
        b.txsCommitment = bytes32(p.txsCommitment & ~REVEALED);
        b.tip = p.tip;
        b.rewardShareBps = p.shareBps;
        b.prover = p.prover;
        b.deposit = p.deposit;
        b.depositor = p.proverFunded ? p.prover : s.canonical;
    }

    function getProposal(uint256 slot, address sequencer) external view returns (ProposalView memory v) {
        Proposal storage p = _proposals[slot][sequencer];
        v.exists = p.exists;
        v.tip = p.tip;
        v.rewardShareBps = p.shareBps;
        v.revealed = p.txsCommitment != 0;
        if (v.revealed) {
            v.blockHash = p.hashWord;
            v.commitment = _proposalCommitment(p.hashWord, sequencer);
        } else {
            v.commitment = p.hashWord;
        }
        v.endRoot = p.endRoot;
        v.txsCommitment = bytes32(p.txsCommitment & ~REVEALED);
        v.committed = p.prover != address(0);
        v.prover = p.prover;
        v.deposit = p.deposit;
        v.proverFunded = p.proverFunded;
    }

    function publicInputs(uint256 from, uint256 to, address recipient) external view returns (bytes32[] memory) {
        return _rangeInputs(_range(from, to), recipient);
    }

    function chainState() external view returns (ChainState memory st) {
        Chain memory c = _chain;
        st.lastProvenSlot = c.lastProven;
        st.headSlot = c.head;
        st.pendingBlocks = c.pending;
        st.killedUpTo = c.killedUpTo;
    }

    function isSlotVoid(uint256 slot) external view returns (bool) {
        return slot != 0 && slot <= _chain.killedUpTo && _slots[slot].status != ST_PROVEN;
    }

    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    function stakeOf(address sequencer) external view returns (Stake memory st) {
        StakeData memory s = _stakes[sequencer];
        st.amount = s.amount;
        st.activeFrom = s.activeFrom;
        st.exitableAt = s.exitableAt;
    }

    function rewardPool() external view returns (uint256) {
        return _chain.rewardPool;
    }

    function quoteDigest(Quote calldata q) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    QUOTE_TYPEHASH, q.slot, q.blockHash, q.prover, q.fee, q.deposit, q.proverFundsDeposit, q.validUntilBlock
                )
            )
        );
    }

    function proposalCommitment(bytes32 blockHash, address sequencer) external pure returns (bytes32) {
        return _proposalCommitment(blockHash, sequencer);
    }

    function computeTxsCommitment(bytes calldata txs) external view returns (bytes32) {
        return bytes32(_txsCommitment(txs));
    }

    function computeBlockHash(
        uint256 slot,
        bytes32 startRoot,
        bytes32 endRoot,
        bytes calldata txs,
        bytes calldata witnessData
    ) external view returns (bytes32) {
        (bytes32 h,) = _hashBlock(slot, startRoot, endRoot, txs, witnessData);
        return h;
    }

    // ------------------------------------------------------------------ internals

    function _proposalCommitment(bytes32 blockHash, address sequencer) internal pure returns (bytes32 c) {
        assembly ("memory-safe") {
            mstore(0x00, blockHash)
            mstore(0x20, and(sequencer, 0xffffffffffffffffffffffffffffffffffffffff))
            c := keccak256(0x00, 0x40)
        }
    }

    function _currentSlot() internal view returns (uint256) {
        return block.number < GENESIS_BLOCK ? 0 : (block.number - GENESIS_BLOCK) / PERIOD + 1;
    }

    function _proposalStart(uint256 slot) internal view returns (uint256) {
        return GENESIS_BLOCK + (slot - 1) * PERIOD;
    }

    function _phaseOf(uint256 slot) internal view returns (Phase) {
        if (slot == 0) return block.number < GENESIS_BLOCK ? Phase.NotStarted : Phase.Closed;
        if (slot > type(uint40).max) return Phase.NotStarted; // slots are uint40 in storage; no overflow below
        uint256 b = block.number;
        uint256 t = _proposalStart(slot);
        if (b < t) return Phase.NotStarted;
        if (b < (t += PROPOSAL_BLOCKS)) return Phase.Proposal;
        if (b < (t += REVEAL_BLOCKS)) return Phase.Reveal;
        if (b < (t += COMMIT_BLOCKS)) return Phase.Commitment;
        if (b < (t += PROVING_BLOCKS)) return Phase.Proving;
        if (b < t + SUBMISSION_BLOCKS) return Phase.Submission;
        return Phase.Closed;
    }

    function _requirePhase(uint256 slot, Phase expected) internal view {
        Phase actual = _phaseOf(slot);
        if (actual != expected) revert WrongPhase(slot, expected, actual);
    }

    function _eligible(StakeData memory s, uint256 slot) internal view returns (bool) {
        // activeFrom <= seedBlock (= proposalStart - 1): staked strictly before the seed block existed.
        return s.amount != 0 && s.amount >= MIN_STAKE && s.exitableAt == 0 && s.activeFrom < _proposalStart(slot);
    }

    /// keccak256(blockhash(proposalStart - 1), slot): fixed one block before the slot opens. 0-hash
    /// (unavailable: not mined yet or > 256 blocks ago) still yields a per-slot seed.
    function _seed(uint256 slot) internal view returns (bytes32) {
        if (slot == 0) return bytes32(0);
        return keccak256(abi.encode(blockhash(_proposalStart(slot) - 1), slot));
    }

    function _score(bytes32 seed, address sequencer, uint256 deposit) internal view returns (uint256) {
        uint256 r = uint256(keccak256(abi.encode(seed, sequencer)));
        if (DEPOSIT_RANK_CAP == 0) return r;
        return (r >> 128) * (deposit < DEPOSIT_RANK_CAP ? deposit : DEPOSIT_RANK_CAP);
    }

    function _endRootOf(uint256 slot) internal view returns (bytes32) {
        if (slot == 0) return GENESIS_ROOT;
        return _proposals[slot][_slots[slot].canonical].endRoot;
    }

    function _statusOf(uint256 slot, SlotData memory s) internal view returns (BlockStatus) {
        if (slot == 0) return BlockStatus.Proven;
        if (s.canonical == address(0)) return BlockStatus.None;
        if (s.status == ST_PROVEN) return BlockStatus.Proven;
        if (s.status == ST_SLASHED) return BlockStatus.Slashed;
        if (s.status == ST_INVALIDATED) return BlockStatus.Invalidated;
        return block.number < _proposalStart(slot) + PERIOD ? BlockStatus.Committed : BlockStatus.Pending;
    }

    function _oldestPending(Chain memory c) internal view returns (uint256 cur) {
        if (c.pending == 0) return 0;
        cur = c.head;
        while (_slots[cur].parentSlot != c.lastProven) cur = _slots[cur].parentSlot;
    }

    /// SHA-256 tree of depth 10 over sha256(body_i), padding leaves 0, root mod r (docs/design.md).
    function _txsCommitment(bytes calldata txs) internal view returns (uint256) {
        uint256 len = txs.length;
        if (len & 31 != 0) revert MalformedTxs(len);
        uint256 n = len >> 5;
        if (n > MAX_TXS) revert TooManyTxs(n);
        if (n == 0) return uint256(Z10) % R;
        uint256 root;
        assembly ("memory-safe") {
            function zero(d) -> z {
                switch d
                case 0 { z := 0 }
                case 1 { z := 0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b }
                case 2 { z := 0xdb56114e00fdd4c1f85c892bf35ac9a89289aaecb1ebd0a96cde606a748b5d71 }
                case 3 { z := 0xc78009fdf07fc56a11f122370658a353aaa542ed63e44c4bc15ff4cd105ab33c }
                case 4 { z := 0x536d98837f2dd165a55d5eeae91485954472d56f246df256bf3cae19352a123c }
                case 5 { z := 0x9efde052aa15429fae05bad4d0b1d7c64da64d03d7a1854a588c2cb8430c0d30 }
                case 6 { z := 0xd88ddfeed400a8755596b21942c1497e114c302e6118290f91e6772976041fa1 }
                case 7 { z := 0x87eb0ddba57e35f6d286673802a4af5975e22506c7cf4c64bb6be5ee11527f2c }
                case 8 { z := 0x26846476fd5fc54a5d43385167c95144f2643f533cc85bb9d16b782f8d7db193 }
                default { z := 0x506d86582d252405b840018792cad2bf1259f1ef5aa5f887e13cb2f0094f51e1 }
            }
            // Level buffer in free memory (not reserved: nothing else allocates while it is used).
            let buf := mload(0x40)
            let ok := 1
            // Leaves: sha256 of each 32-byte body, copied into buf first.
            calldatacopy(buf, txs.offset, len)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let at := add(buf, shl(5, i))
                ok := and(ok, staticcall(gas(), 2, at, 32, at, 32))
            }
            let m := n
            for { let d := 0 } lt(d, 10) { d := add(d, 1) } {
                if and(m, 1) {
                    mstore(add(buf, shl(5, m)), zero(d))
                    m := add(m, 1)
                }
                m := shr(1, m)
                for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                    ok := and(ok, staticcall(gas(), 2, add(buf, shl(6, j)), 64, add(buf, shl(5, j)), 32))
                }
            }
            if iszero(ok) { revert(0, 0) }
            root := mload(buf)
        }
        return root % R;
    }
}
