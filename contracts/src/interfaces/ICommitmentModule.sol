// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @notice Optional, upgradable rules for prover commitments (the seed's open question "an upgradable
/// commitment module referenced from a registry"). Off by default: Sidecar consults it only when it
/// was deployed with a non-zero `commitmentRegistry`; it then asks the registry for the current module
/// on every commitment, so the registry owner can upgrade the rules without redeploying Sidecar.
interface ICommitmentModule {
    /// @return ok false refuses the commitment (Sidecar reverts with `CommitmentRejected`).
    function checkCommitment(uint256 slot, address sequencer, address prover, uint256 deposit, bool proverFunded)
        external
        view
        returns (bool ok);
}

/// @notice The registry Sidecar reads the current commitment module from (address(0) = no extra rules).
interface ICommitmentRegistry {
    event CommitmentModuleSet(address indexed module);

    function commitmentModule() external view returns (address);
}
