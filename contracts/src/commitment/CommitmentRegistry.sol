// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ICommitmentRegistry} from "../interfaces/ICommitmentModule.sol";

/// @notice Registry of the current commitment module (seed open question: "an upgradable commitment
/// module referenced from a registry"). Sidecar deployed with this registry asks it on every prover
/// commitment, so the owner upgrades the commitment rules by pointing it at a new module.
contract CommitmentRegistry is ICommitmentRegistry, Ownable {
    address public commitmentModule;

    constructor(address owner_, address module_) Ownable(owner_) {
        commitmentModule = module_;
        emit CommitmentModuleSet(module_);
    }

    /// address(0) removes the extra rules.
    function setCommitmentModule(address module_) external onlyOwner {
        commitmentModule = module_;
        emit CommitmentModuleSet(module_);
    }
}
