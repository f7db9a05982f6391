// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @notice The proof verifier Sidecar calls. Same signature as the UltraHonk verifier bb.js 0.82.2
/// generates (`HonkVerifier`). That verifier REVERTS on many malformed or wrong proofs instead of
/// returning false: Sidecar calls it inside try/catch and treats a revert as an invalid proof.
interface IVerifier { function verify(bytes calldata proof, bytes32[] calldata publicInputs) external view returns (bool); }
