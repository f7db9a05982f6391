// Checks final proofs the way L1 will: the generated Solidity verifiers of their circuits
// (circuits/backend/verifier.ts, for the backend's CRS) behind HonkVerifierRouter, deployed
// on an anvil. For the prover's real-proof test and bench/prove (`verifiedOnL1`); the node
// itself submits through node/l1.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Contract, HDNodeWallet, JsonRpcProvider, type InterfaceAbi, type Signer } from 'ethers';
import type { CrsSelection } from '../circuits/backend/crs.js';
import { ProvingBackend } from '../circuits/backend/prover.js';
import { generateVerifier, routerProof, VERIFIER_TAGS, type L1Circuit } from '../circuits/backend/verifier.js';
import { DEFAULT_MNEMONIC, startAnvil, type Anvil } from '../node/l1/anvil.js';
import { compileContracts, REPO_ROOT } from '../node/l1/compile.js';
import { deployContract } from '../node/l1/deploy.js';
import type { BlockProof } from './types.js';

export interface L1Verifier {
  /** IVerifier.verify through the router: true/false (the router turns a revert into false). */
  verify(p: Pick<BlockProof, 'circuit' | 'proof' | 'publicInputs'>): Promise<boolean>;
  /**
   * Gas of the circuit's own generated verifier on the proof (eth_estimateGas: 21k + calldata
   * included; the verifier reverts on a bad proof, so the estimate is meaningful, unlike the router's).
   */
  verifierGas(p: Pick<BlockProof, 'circuit' | 'proof' | 'publicInputs'>): Promise<bigint>;
  close(): Promise<void>;
}

const hex32 = (x: string | bigint) => `0x${BigInt(x).toString(16).padStart(64, '0')}`;
const ROUTER_UNIT = 'src/verifiers/HonkVerifierRouter.sol';

/**
 * Generates the Solidity verifiers of `circuits` for the backend's CRS, compiles them with
 * HonkVerifierRouter (cached in .build) and deploys them and the router (the deployment's
 * IVerifier). Used by `sidecar devnet` and by `l1Verifier` below.
 */
export async function deployHonkRouter(
  signer: Signer, circuits: readonly string[], opts: { crs?: CrsSelection; backend?: ProvingBackend; log?: (m: string) => void } = {},
): Promise<{ address: string; abi: InterfaceAbi }> {
  const backend = opts.backend ?? await ProvingBackend.create({ crs: opts.crs });
  const vs = [];
  try {
    for (const c of new Set(circuits)) {
      if (!(c in VERIFIER_TAGS)) throw new Error(`${c} is not an L1 circuit`);
      vs.push(await generateVerifier(backend, c as L1Circuit));
    }
  } finally {
    if (!opts.backend) await backend.destroy();
  }
  const t0 = Date.now();
  const compiled = compileContracts({
    includeProtocol: false,
    extraSources: {
      ...Object.fromEntries(vs.map((v) => [v.unitName, v.source])),
      [ROUTER_UNIT]: readFileSync(path.join(REPO_ROOT, 'contracts', ROUTER_UNIT), 'utf8'),
      'src/interfaces/IVerifier.sol': readFileSync(path.join(REPO_ROOT, 'contracts/src/interfaces/IVerifier.sol'), 'utf8'),
    },
  });
  opts.log?.(`compiled ${vs.map((v) => v.contractName).join(', ')} + HonkVerifierRouter in ${((Date.now() - t0) / 1000).toFixed(1)} s${compiled.fromCache ? ' (cached)' : ''}`);
  const addrs: string[] = [];
  for (const v of vs) addrs.push((await deployContract(signer, compiled, `${v.unitName}:${v.contractName}`)).address);
  const name = `${ROUTER_UNIT}:HonkVerifierRouter`;
  const { address } = await deployContract(signer, compiled, name, [vs.map((v) => VERIFIER_TAGS[v.circuit]), addrs]);
  return { address, abi: compiled.artifacts[name].abi as InterfaceAbi };
}

/** Deploys the router over the verifiers of `circuits` on a fresh anvil (or `rpcUrl`). */
export async function l1Verifier(circuits: readonly string[], opts: { crs?: CrsSelection; rpcUrl?: string } = {}): Promise<L1Verifier> {
  const backend = await ProvingBackend.create({ crs: opts.crs });
  let anvil: Anvil | undefined;
  let provider: JsonRpcProvider | undefined;
  try {
    let rpcUrl = opts.rpcUrl;
    if (!rpcUrl) {
      anvil = await startAnvil();
      rpcUrl = anvil.rpcUrl;
    }
    provider = new JsonRpcProvider(rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true, pollingInterval: 50 });
    const wallet = HDNodeWallet.fromPhrase(DEFAULT_MNEMONIC, undefined, "m/44'/60'/0'/0/0").connect(provider);
    const router = await deployHonkRouter(wallet, circuits, { backend });
    const view = new Contract(router.address, router.abi, provider);
    const p = provider, a = anvil;
    return {
      async verify(proof) {
        const tagged = routerProof({ circuit: proof.circuit, proof: proof.proof, flavour: 'l1' });
        return (await view.verify(tagged, proof.publicInputs.map(hex32))) === true;
      },
      async verifierGas(proof) {
        const tag = VERIFIER_TAGS[proof.circuit as L1Circuit];
        if (!tag) throw new Error(`${proof.circuit} is not an L1 circuit`);
        const at = await view.verifierOf(tag) as string;
        const v = new Contract(at, ['function verify(bytes proof, bytes32[] publicInputs) view returns (bool)'], p);
        return v.verify.estimateGas(proof.proof, proof.publicInputs.map(hex32));
      },
      async close() {
        p.destroy();
        await a?.stop();
      },
    };
  } catch (e) {
    provider?.destroy();
    await anvil?.stop();
    throw e;
  } finally {
    await backend.destroy();
  }
}
