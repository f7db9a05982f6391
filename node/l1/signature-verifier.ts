// "Proofs" for the stand-in SignatureVerifier (contracts/src/verifiers/SignatureVerifier.sol):
// an EIP-191 signature by the configured signer over
//   keccak256(abi.encode(address(verifier), chainid, bytes32[] publicInputs)).
// DEVNET/TESTS ONLY: it proves nothing about the block; it stands in until the circuits'
// generated verifier is deployed.
import { AbiCoder, getBytes, keccak256, type Signer } from 'ethers';

export function signatureVerifierDigest(verifier: string, chainId: bigint | number, publicInputs: readonly string[]): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256', 'bytes32[]'], [verifier, BigInt(chainId), publicInputs]));
}

/** The 65-byte "proof" SignatureVerifier accepts for these public inputs (0x-hex). */
export async function signatureProof(signer: Signer, verifier: string, chainId: bigint | number, publicInputs: readonly string[]): Promise<string> {
  return signer.signMessage(getBytes(signatureVerifierDigest(verifier, chainId, publicInputs)));
}
