// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {SignatureVerifier} from "../src/verifiers/SignatureVerifier.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// The txs commitment against vectors from circuits/l2/commitment.ts, and the stand-in verifier.
contract PrimitivesTest is SidecarBase {
    function _txs(uint256 n) internal pure returns (bytes memory txs) {
        txs = new bytes(n * 32);
        for (uint256 i; i < n; ++i) {
            bytes32 body = _body(i);
            assembly {
                mstore(add(add(txs, 32), mul(i, 32)), body)
            }
        }
    }

    /// Vectors: `npx tsx` over circuits/l2/commitment.ts txsCommitment, body i = _body(i).
    function test_txsCommitment_matchesTheCircuitsModel() public view {
        assertEq(sc.computeTxsCommitment(_txs(0)), 0x0e0982998061565efba36505408f35f2384b68777a4e112e6cf9b9ed6192e926);
        assertEq(sc.computeTxsCommitment(_txs(1)), 0x04270afb14b964e0c5813344f1887ad930782f4e5ca6db1a6c4e42230539a0d6);
        assertEq(sc.computeTxsCommitment(_txs(2)), 0x03cc7ad06d7ba237669551e74bc1adc5090f6703c0432532b3e0ea4a318401ed);
        assertEq(sc.computeTxsCommitment(_txs(3)), 0x01262c83ae55eebd969e29f8efabf9363bbfa054a47b0b30515164576a5a0512);
        assertEq(sc.computeTxsCommitment(_txs(5)), 0x0d587d84648a8e7af1a1a65bf88c8c570d2f8b4bfbbe120b38af7add96003cc4);
        assertEq(sc.computeTxsCommitment(_txs(1024)), 0x0fd0a48770fb18e3b53a6daf912a9f8feb2a3d578b3e74e8c0d97e88f10b170a);
    }

    /// Independent Solidity reference (plain sha256 over arrays) for random sizes.
    function _reference(bytes memory txs) internal pure returns (bytes32) {
        uint256 n = txs.length / 32;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 body;
            assembly {
                body := mload(add(add(txs, 32), mul(i, 32)))
            }
            level[i] = sha256(abi.encodePacked(body));
        }
        bytes32 z;
        for (uint256 d; d < 10; ++d) {
            bytes32[] memory next = new bytes32[]((level.length + 1) / 2);
            for (uint256 j; j < next.length; ++j) {
                next[j] = sha256(abi.encodePacked(level[2 * j], 2 * j + 1 < level.length ? level[2 * j + 1] : z));
            }
            level = next;
            z = sha256(abi.encodePacked(z, z));
        }
        bytes32 root = level.length == 0 ? z : level[0];
        return bytes32(uint256(root) % 21888242871839275222246405745257275088548364400416034343698204186575808495617);
    }

    function testFuzz_txsCommitment_reference(uint256 n) public view {
        n = bound(n, 0, 70);
        bytes memory txs = _txs(n);
        assertEq(sc.computeTxsCommitment(txs), _reference(txs), "tree");
    }

    function test_signatureVerifier() public {
        bytes32[] memory inputs = new bytes32[](4);
        inputs[0] = bytes32(uint256(1));
        inputs[3] = bytes32(uint256(4));
        bytes memory good = _signInputs(SIGNER_PK, inputs);
        assertTrue(verifier.verify(good, inputs), "signer over these inputs");
        assertFalse(verifier.verify(_signInputs(PROVER_PK, inputs), inputs), "another key");
        inputs[3] = bytes32(uint256(5));
        assertFalse(verifier.verify(good, inputs), "other inputs");
        // another verifier instance (same signer) does not accept this one's signatures
        SignatureVerifier other = new SignatureVerifier(signer);
        inputs[3] = bytes32(uint256(4));
        assertFalse(other.verify(good, inputs), "bound to the verifier address");
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 3));
        verifier.verify(hex"010203", inputs);
        vm.expectRevert(SignatureVerifier.ZeroSigner.selector);
        new SignatureVerifier(address(0));
    }
}
