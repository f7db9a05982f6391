// Checks final proofs the way L1 will: the generated Solidity verifiers of their circuits
// (circuits/backend/verifier.ts, for the backend's CRS) behind HonkVerifierRouter, deployed
// on an anvil. For the prover's real-proof test and bench/prove (`verifiedOnL1`); the node
// itself submits through node/l1.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Contract, ContractFactory, HDNodeWallet, JsonRpcProvider, type InterfaceAbi } from 'ethers';
import type { CrsSelection } from '../circuits/backend/crs.js';
import { ProvingBackend } from '../circuits/backend/prover.js';
import { generateVerifier, routerProof, VERIFIER_TAGS, type L1Circuit } from '../circuits/backend/verifier.js';
import { DEFAULT_MNEMONIC, startAnvil, type Anvil } from '../node/l1/anvil.js';
import { compileContracts, REPO_ROOT } from '../node/l1/compile.js';
import type { BlockProof } from './types.js';

export interface L1Verifier {
  /** IVerifier.verify through the router: true/false (the router turns a revert into false). */
  verify(p: Pick<BlockProof, 'circuit' | 'proof' | 'publicInputs'>): Promise<boolean>;
  close(): Promise<void>;
}

const hex32 = (x: string | bigint) => `0x${BigInt(x).toString(16).padStart(64, '0')}`;

/** Deploys the router over the verifiers of `circuits` on a fresh anvil (or `rpcUrl`). */
export async function l1Verifier(circuits: readonly string[], opts: { crs?: CrsSelection; rpcUrl?: string } = {}): Promise<L1Verifier> {
  const backend = await ProvingBackend.create({ crs: opts.crs });
  let anvil: Anvil | undefined;
  let provider: JsonRpcProvider | undefined;
  try {
    const vs = [];
    for (const c of new Set(circuits)) {
      if (!(c in VERIFIER_TAGS)) throw new Error(`${c} is not an L1 circuit`);
      vs.push(await generateVerifier(backend, c as L1Circuit));
    }
    const routerUnit = 'src/verifiers/HonkVerifierRouter.sol';
    const compiled = compileContracts({
      includeProtocol: false,
      extraSources: {
        ...Object.fromEntries(vs.map((v) => [v.unitName, v.source])),
        [routerUnit]: readFileSync(path.join(REPO_ROOT, 'contracts', routerUnit), 'utf8'),
        'src/interfaces/IVerifier.sol': readFileSync(path.join(REPO_ROOT, 'contracts/src/interfaces/IVerifier.sol'), 'utf8'),
      },
    });
    let rpcUrl = opts.rpcUrl;
    if (!rpcUrl) {
      anvil = await startAnvil();
      rpcUrl = anvil.rpcUrl;
    }
    provider = new JsonRpcProvider(rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true, pollingInterval: 50 });
    const wallet = HDNodeWallet.fromPhrase(DEFAULT_MNEMONIC, undefined, "m/44'/60'/0'/0/0").connect(provider);
    const addrs: string[] = [];
    for (const v of vs) {
      const art = compiled.artifacts[`${v.unitName}:${v.contractName}`];
      const c = await new ContractFactory(art.abi as InterfaceAbi, art.bytecode, wallet).deploy();
      await c.waitForDeployment();
      addrs.push(await c.getAddress());
    }
    const ra = compiled.artifacts[`${routerUnit}:HonkVerifierRouter`];
    const router = await new ContractFactory(ra.abi as InterfaceAbi, ra.bytecode, wallet).deploy(vs.map((v) => VERIFIER_TAGS[v.circuit]), addrs);
    await router.waitForDeployment();
    const view = new Contract(await router.getAddress(), ra.abi as InterfaceAbi, provider);
    const p = provider, a = anvil;
    return {
      async verify(proof) {
        const tagged = routerProof({ circuit: proof.circuit, proof: proof.proof, flavour: 'l1' });
        return (await view.verify(tagged, proof.publicInputs.map(hex32))) === true;
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
