// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ICommitmentModule} from "../interfaces/ICommitmentModule.sol";

/// @notice Example commitment module: only allow-listed provers, and optionally a higher minimum
/// deposit than Sidecar's own. Shows what an upgradable module can add; not used by default.
contract ProverAllowlistModule is ICommitmentModule, Ownable {
    mapping(address => bool) public allowed;
    uint256 public minDeposit;

    event ProverAllowed(address indexed prover, bool allowed);
    event MinDepositSet(uint256 minDeposit);

    constructor(address owner_, uint256 minDeposit_) Ownable(owner_) {
        minDeposit = minDeposit_;
        emit MinDepositSet(minDeposit_);
    }

    function setAllowed(address prover, bool ok) external onlyOwner {
        allowed[prover] = ok;
        emit ProverAllowed(prover, ok);
    }

    function setMinDeposit(uint256 minDeposit_) external onlyOwner {
        minDeposit = minDeposit_;
        emit MinDepositSet(minDeposit_);
    }

    function checkCommitment(uint256, address, address prover, uint256 deposit, bool) external view returns (bool) {
        return allowed[prover] && deposit >= minDeposit;
    }
}
