// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IVerifier} from "./IVerifier.sol";

/// @title Sidecar L1 protocol (SPEC §2, docs/design.md)
/// @notice Slots are numbered from 1. Slot n's proposal phase starts at
/// `genesisBlock + (n - 1) * slotPeriod` with `slotPeriod = proposalBlocks + revealBlocks + commitBlocks`,
/// so slot n+1 proposes while slot n is being proven (pipelining). Every interval below is
/// half-open `[start, end)` in L1 block numbers. Slot 0 is the genesis block: proven, endRoot =
/// `genesisRoot`. Use the views (`slotTiming`, `phaseOf`, `blockStatus`, ...) instead of recomputing.
interface ISidecar {
    // ------------------------------------------------------------------ types

    /// Deployment parameters (immutable).
    struct Config {
        address token; // ERC-20 for stakes, tips, deposits and rewards
        address verifier; // IVerifier of the final proof
        uint64 genesisBlock; // first block of slot 1's proposal phase (0 = the deploy block + 1)
        bytes32 genesisRoot; // L2 state root of slot 0
        uint32 proposalBlocks; // [4]
        uint32 revealBlocks; // [4]
        uint32 commitBlocks; // [4]
        uint32 provingBlocks; // [40] upper bound of the proving phase
        uint32 submissionBlocks; // [4]
        bool earlyProofs; // accept a proof from the end of the commitment phase (else from the submission phase)
        uint32 reorgWindow; // most pending (unproven) canonical blocks in the chain; a slash invalidates them all
        uint96 minStake; // sequencer stake to be eligible
        uint32 activationDelay; // blocks between staking and eligibility (>= 1, see `isEligible`)
        uint32 exitDelay; // blocks between `requestExit` and `withdrawStake`
        uint96 minProverDeposit;
        uint96 blockReward; // paid from the reward pool per proven block (prover share + sequencer rest)
        uint96 submissionReward; // paid from the reward pool, per block, to the recipient a valid proof names
        uint32 proverExclusiveBlocks; // from proofsFrom, only proofs naming the committed prover as recipient land
        uint16 slashBurnBps; // share of every slashed deposit that goes to the reward pool (never back to the chain's sequencers)
        uint16 slashBountyBps; // share of every slashed deposit credited to the caller of `slash`
        uint96 depositRankCap; // 0 = off; else score = (rank >> 128) * min(deposit, depositRankCap)
        address commitmentRegistry; // 0 = off; else ICommitmentRegistry consulted on each commitment
    }

    /// The phase slot `n` is in at the current block.
    enum Phase {
        NotStarted,
        Proposal,
        Reveal,
        Commitment,
        Proving, // canonical block fixed; proofs accepted here only when `earlyProofs`
        Submission,
        Closed // deadline passed (an unproven canonical block is slashable)
    }

    /// Status of slot n's block.
    enum BlockStatus {
        None, // no canonical block (yet, or never: no revealed proposal committed)
        Committed, // a committed proposal leads, the commitment phase is still open
        Pending, // canonical, waiting for its proof
        Proven,
        Slashed, // its deposit was slashed (no proof by the deadline)
        Invalidated // built on a slashed block: reorged out, tip and deposit returned
    }

    /// All phase boundaries of one slot (block numbers).
    struct SlotTiming {
        uint256 proposalStart;
        uint256 revealStart;
        uint256 commitStart;
        uint256 commitEnd; // = next slot's proposalStart; canonical block final from here
        uint256 proofsFrom; // first block a proof is accepted (commitEnd if earlyProofs, else submissionStart)
        uint256 submissionStart;
        uint256 deadline; // first block the block is slashable; proofs accepted before it
        uint256 seedBlock; // the L1 block whose hash seeds the slot's ranks (proposalStart - 1)
        uint256 exclusiveUntil; // until this block only a proof naming the committed prover lands (= proofsFrom: none)
    }

    struct Stake {
        uint96 amount;
        uint64 activeFrom; // first block the sequencer counts as staked
        uint64 exitableAt; // 0 = no exit requested; else first block `withdrawStake` works
    }

    /// One sequencer's proposal in a slot (at most one per sequencer per slot).
    struct ProposalView {
        bool exists;
        bytes32 commitment; // keccak256(abi.encode(blockHash, sequencer)), posted in `propose`
        bytes32 blockHash; // zero until revealed
        uint256 tip;
        uint16 rewardShareBps;
        bool revealed;
        bytes32 endRoot; // set by reveal
        bytes32 txsCommitment; // set by reveal
        bool committed;
        address prover;
        uint256 deposit;
        bool proverFunded; // deposit pulled from the prover (else from the sequencer)
    }

    /// The canonical block of a slot, with everything a prover or watcher needs.
    struct BlockView {
        BlockStatus status;
        address sequencer;
        uint256 parentSlot;
        bytes32 blockHash;
        bytes32 startRoot; // endRoot of the parent block
        bytes32 endRoot;
        bytes32 txsCommitment;
        uint256 tip;
        uint16 rewardShareBps;
        address prover;
        uint256 deposit;
        address depositor; // who posted the deposit (gets it back)
    }

    struct ChainState {
        uint256 lastProvenSlot; // 0 = genesis
        uint256 headSlot; // latest block of the pending chain (the parent of the next slot's proposals)
        uint256 pendingBlocks; // unproven canonical blocks after lastProvenSlot (<= reorgWindow)
        uint256 killedUpTo; // slots <= this that were open during the last slash are void
    }

    /// EIP-712 `Quote(uint256 slot,bytes32 blockHash,address prover,uint256 fee,uint256 deposit,bool proverFundsDeposit,uint256 validUntilBlock)`,
    /// domain {name: "Sidecar", version: "1", chainId, verifyingContract}.
    struct Quote {
        uint256 slot;
        bytes32 blockHash;
        address prover;
        uint256 fee; // least tip the prover accepts: requires tip >= fee
        uint256 deposit;
        bool proverFundsDeposit; // true: the contract pulls `deposit` from `prover`
        uint256 validUntilBlock; // last block the quote may be committed in
    }

    // ------------------------------------------------------------------ events

    event Staked(address indexed sequencer, uint256 amount, uint256 total, uint256 activeFrom);
    event ExitRequested(address indexed sequencer, uint256 exitableAt);
    event StakeWithdrawn(address indexed sequencer, uint256 amount);
    event RewardsFunded(address indexed from, uint256 amount);
    /// `commitment = keccak256(abi.encode(blockHash, sequencer))`: the block hash stays private until
    /// the reveal (see `propose`).
    event Proposed(
        uint256 indexed slot, address indexed sequencer, bytes32 indexed commitment, uint256 tip, uint16 rewardShareBps
    );
    /// The block data (txs, witnessData) is in the reveal transaction's calldata.
    event Revealed(
        uint256 indexed slot,
        address indexed sequencer,
        bytes32 indexed blockHash,
        bytes32 startRoot,
        bytes32 endRoot,
        bytes32 txsCommitment,
        uint256 txCount
    );
    event ProverCommitted(
        uint256 indexed slot, address indexed sequencer, address indexed prover, uint256 deposit, address depositor
    );
    /// The leading (canonical once the commitment phase ends) proposal of `slot` changed.
    event CanonicalUpdated(uint256 indexed slot, address indexed sequencer, uint256 parentSlot);
    /// A non-canonical or void proposal's tip (and deposit, if committed) were credited back.
    event ProposalRefunded(
        uint256 indexed slot, address indexed sequencer, uint256 tip, address depositor, uint256 deposit
    );
    event BlockProven(
        uint256 indexed slot,
        address indexed prover,
        address indexed recipient, // named in the proof's public inputs: gets the submission reward
        uint256 proverReward,
        uint256 sequencerReward,
        uint256 submissionReward
    );
    /// Of `deposit`: `bounty` to the caller; `sharePerBlock` to the sequencer of each of the `sharedBlocks`
    /// invalidated blocks that joined the chain before the slashed block's deadline; `toPool` (the burn,
    /// the rounding dust, and the rest when no block shares) to the reward pool.
    event BlockSlashed(
        uint256 indexed slot,
        address indexed prover,
        uint256 deposit,
        uint256 invalidatedBlocks,
        uint256 sharedBlocks,
        uint256 sharePerBlock,
        uint256 toPool,
        uint256 bounty
    );
    event BlockInvalidated(uint256 indexed slot, address indexed sequencer, uint256 slashShare);
    /// After a slash: the chain resumes on `lastProvenSlot`; slots <= `killedUpTo` are void.
    event ChainRewound(uint256 lastProvenSlot, uint256 killedUpTo);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    // ------------------------------------------------------------------ errors

    error InvalidConfig(string reason);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error ExitPending(address sequencer);
    error NoExitRequested(address sequencer);
    error ExitDelayNotPassed(uint256 exitableAt);
    error NoStake(address sequencer);
    error NotEligible(address sequencer, uint256 slot);
    error WrongPhase(uint256 slot, Phase expected, Phase actual);
    error SlotVoid(uint256 slot); // killed by a slash
    error AlreadyProposed(uint256 slot, address sequencer);
    error InvalidShareBps(uint256 bps);
    error NoProposal(uint256 slot, address sequencer);
    error AlreadyRevealed(uint256 slot, address sequencer);
    error NotRevealed(uint256 slot, address sequencer);
    error AlreadyCommitted(uint256 slot, address sequencer);
    error MalformedTxs(uint256 length);
    error TooManyTxs(uint256 count);
    /// `committed`: the proposal commitment posted in `propose`; `revealed`: keccak256(abi.encode(h, msg.sender))
    /// for the block hash `h` of the revealed data.
    error BlockHashMismatch(bytes32 committed, bytes32 revealed);
    error StartRootMismatch(bytes32 expected, bytes32 revealed);
    error ReorgWindowFull(uint256 pendingBlocks);
    error ZeroProver();
    error DepositTooLow(uint256 deposit, uint256 minimum);
    error QuoteMismatch(uint256 slot, bytes32 blockHash);
    error QuoteExpired(uint256 validUntilBlock);
    error InvalidQuoteSignature(address prover);
    error TipBelowFee(uint256 tip, uint256 fee);
    error CommitmentRejected(address module);
    error NotRefundable(uint256 slot, address sequencer);
    error NoCanonicalBlock(uint256 slot);
    error BlockNotPending(uint256 slot, BlockStatus status);
    error ParentNotProven(uint256 slot, uint256 parentSlot);
    error ProofTooEarly(uint256 proofsFrom);
    error ProofTooLate(uint256 deadline);
    error InvalidProof(uint256 slot);
    /// `to` is not pending, or the pending chain walked back from `to` does not reach `from` (at most 32 blocks).
    error RangeNotCanonical(uint256 from, uint256 to);
    /// `slot` is in its prover's exclusive window: only a proof naming `prover` as the recipient lands.
    error ExclusiveToProver(uint256 slot, address prover);
    error NotOldestPending(uint256 slot, uint256 oldestPendingSlot);
    error DeadlineNotPassed(uint256 deadline);
    error NothingToWithdraw(address account);
    error ZeroRecipient();

    // ------------------------------------------------------------------ staking and reward pool

    /// Pull `amount` from the caller into its sequencer stake. Crossing `minStake` (re)starts the
    /// activation delay.
    function stake(uint256 amount) external;
    /// Leave the sequencer set now (no more proposals); the stake is withdrawable after `exitDelay`.
    function requestExit() external;
    /// Transfer the whole stake back to the caller once `exitableAt` is reached.
    function withdrawStake() external;
    /// Pull `amount` from the caller into the reward pool (the deployer funds it; anyone may).
    function fundRewards(uint256 amount) external;

    // ------------------------------------------------------------------ protocol

    /// Proposal phase of `slot`; caller is an eligible staked sequencer. Escrows `tip`.
    /// `commitment = keccak256(abi.encode(blockHash, msg.sender))` (`proposalCommitment`), with
    /// `blockHash = keccak256(abi.encode(slot, startRoot, endRoot, txsCommitment, keccak256(txs), keccak256(witnessData)))`.
    /// Binding the sequencer means another sequencer can neither reuse the posted value nor compute
    /// its own commitment to the same block before the block hash is public (the reveal phase).
    function propose(uint256 slot, bytes32 commitment, uint256 tip, uint16 rewardShareBps) external;

    /// Reveal phase of `slot`, by the proposer. `txs` = 32-byte tx bodies concatenated (<= 1024);
    /// the contract computes txsCommitment (SHA-256 tree, depth 10, root mod r) and the block hash `h`,
    /// checks `keccak256(abi.encode(h, msg.sender))` against the proposal commitment and `startRoot` is the end root of the chain head.
    function reveal(
        uint256 slot,
        bytes32 startRoot,
        bytes32 endRoot,
        bytes calldata txs,
        bytes calldata witnessData
    ) external;

    /// Commitment phase, by a revealed proposer: sequencer-funded deposit (pulled from the caller),
    /// `prover` earns the tip and reward share.
    function commitProver(uint256 slot, address prover, uint256 deposit) external;

    /// Commitment phase, by a revealed proposer, with the prover's EIP-712-signed quote (EOA or
    /// ERC-1271 prover). If `quote.proverFundsDeposit` the deposit is pulled from `quote.prover`,
    /// else from the caller.
    function commitProverWithQuote(uint256 slot, Quote calldata quote, bytes calldata signature) external;

    /// Credit back a proposal that is not (and can no longer become) canonical: after the slot's
    /// commitment phase, or any time once its slot is void. Anyone may call; credits go to the
    /// sequencer (tip) and the depositor (deposit).
    function refundProposal(uint256 slot, address sequencer) external;

    /// Anyone: prove the consecutive pending blocks `from..to` of the canonical chain with one proof
    /// (`from == to`: one block). `from`'s parent must be the last proven block. Public inputs (built
    /// here from the contract's own records, never from calldata): [slot, startRoot, endRoot,
    /// txsCommitment] per block in chain order, then `recipient` (see `publicInputs`). Accepted in
    /// `[proofsFrom(to), deadline(from))`; a block still in its prover's exclusive window
    /// (`proverExclusiveBlocks` from its `proofsFrom`) needs `recipient == its prover`. Each block is
    /// settled as if proven alone: `recipient` the submission reward (per block); prover tip +
    /// rewardShareBps of the block reward; sequencer the rest; depositor its deposit. Copying a pending
    /// submission gains nothing: the reward goes to the recipient the proof names.
    function submitProofRange(uint256 from, uint256 to, address recipient, bytes calldata proof) external;

    /// Anyone, from `deadline` on, for the oldest pending block: slash its deposit, invalidate every
    /// pending block built on it (tips and deposits credited back, deposit split equally per
    /// invalidated block among their sequencers, dust to the reward pool), void every slot open now,
    /// resume from the last proven block.
    function slash(uint256 slot) external;

    /// Transfer the caller's whole credit to `to`.
    function withdraw(address to) external;

    // ------------------------------------------------------------------ views

    function config() external view returns (Config memory);
    function token() external view returns (address);
    function verifier() external view returns (IVerifier);
    function slotPeriod() external view returns (uint256);
    /// The slot whose proposal/reveal/commitment phases contain the current block (0 before genesis).
    function currentSlot() external view returns (uint256);
    /// (currentSlot, its phase).
    function currentPhase() external view returns (uint256 slot, Phase phase);
    function phaseOf(uint256 slot) external view returns (Phase);
    function slotTiming(uint256 slot) external view returns (SlotTiming memory);
    function slotSeed(uint256 slot) external view returns (bytes32);
    /// keccak256(abi.encode(slotSeed(slot), sequencer)); higher wins.
    function rankOf(uint256 slot, address sequencer) external view returns (uint256);
    /// The score canonical selection compares (= rank unless `depositRankCap` is set).
    function scoreOf(uint256 slot, address sequencer, uint256 deposit) external view returns (uint256);
    function isEligible(address sequencer, uint256 slot) external view returns (bool);
    function blockStatus(uint256 slot) external view returns (BlockStatus);
    /// Leading/canonical proposer of `slot` (address(0) if none).
    function canonicalSequencer(uint256 slot) external view returns (address);
    function getBlock(uint256 slot) external view returns (BlockView memory);
    function getProposal(uint256 slot, address sequencer) external view returns (ProposalView memory);
    /// The public inputs a proof of the pending blocks `from..to` naming `recipient` must have
    /// (reverts `RangeNotCanonical` like `submitProofRange`).
    function publicInputs(uint256 from, uint256 to, address recipient) external view returns (bytes32[] memory);
    function chainState() external view returns (ChainState memory);
    function isSlotVoid(uint256 slot) external view returns (bool);
    function creditOf(address account) external view returns (uint256);
    function stakeOf(address sequencer) external view returns (Stake memory);
    function rewardPool() external view returns (uint256);
    function quoteDigest(Quote calldata quote) external view returns (bytes32);
    /// keccak256(abi.encode(blockHash, sequencer)): what `sequencer` posts in `propose`.
    function proposalCommitment(bytes32 blockHash, address sequencer) external pure returns (bytes32);
    function computeTxsCommitment(bytes calldata txs) external view returns (bytes32);
    function computeBlockHash(
        uint256 slot,
        bytes32 startRoot,
        bytes32 endRoot,
        bytes calldata txs,
        bytes calldata witnessData
    ) external view returns (bytes32);
}
