// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IVerifier} from "../interfaces/IVerifier.sol";

/// @notice Stand-in IVerifier for L1 tests before the circuits land: a "proof" is a 65-byte ECDSA
/// signature (r ‖ s ‖ v) by the configured `signer` over the public inputs. It never accepts
/// everything: a wrong signer, wrong inputs, another chain or another verifier instance fail.
/// Signed message (EIP-191 personal_sign of a 32-byte digest, i.e. ethers `signMessage(getBytes(d))`):
///   d = keccak256(abi.encode(address(this), block.chainid, publicInputs))
/// Malformed signatures revert (like the bb.js HonkVerifier does on malformed proofs).
contract SignatureVerifier is IVerifier {
    address public immutable signer;

    error ZeroSigner();

    constructor(address signer_) {
        if (signer_ == address(0)) revert ZeroSigner();
        signer = signer_;
    }

    /// The 32-byte digest the signer signs with EIP-191 (before the "\x19Ethereum Signed Message:\n32" prefix).
    function digest(bytes32[] calldata publicInputs) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), block.chainid, publicInputs));
    }

    function verify(bytes calldata proof, bytes32[] calldata publicInputs) external view returns (bool) {
        bytes32 h = MessageHashUtils.toEthSignedMessageHash(digest(publicInputs));
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(h, proof);
        if (err != ECDSA.RecoverError.NoError) revert ECDSA.ECDSAInvalidSignatureLength(proof.length);
        return recovered == signer;
    }
}
