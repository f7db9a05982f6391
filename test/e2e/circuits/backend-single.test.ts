// A real one-tx block proven end to end with the INSECURE dev CRS (single_1, 2^17: the cheapest
// circuit), verified by bb.js and by the generated Solidity verifier on a real anvil, directly
// and through HonkVerifierRouter; the same proof with one public input changed is rejected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Contract, ContractFactory, type InterfaceAbi } from 'ethers';
import { ProvingBackend, type SegmentProof } from '../../../circuits/backend/prover.js';
import { generateVerifier, publicInputsHex, routerProof, VERIFIER_TAGS } from '../../../circuits/backend/verifier.js';
import { blockWitness, costModelFrom, planBlock, segmentInputs } from '../../../circuits/plan.js';
import { WitnessError } from '../../../circuits/witness.js';
import type { CompiledCircuit } from '../../../circuits/build.js';
import { compileContracts, REPO_ROOT } from '../../../node/l1/compile.js';
import { devWallets, testProvider, useAnvil } from '../../helpers/anvil.js';
import { makeL2 } from '../../helpers/l2.js';
import { signTx } from '../../../circuits/l2/index.js';

let backend: ProvingBackend;
let circuit: CompiledCircuit;
let proof: SegmentProof;
let expected: bigint[];

before(async () => {
  backend = await ProvingBackend.create({ crs: { dev: true } });
  circuit = await backend.circuit('single_1');
});
after(() => backend?.destroy());

test('single_1: a one-tx block is proven and verified by bb.js; a changed public input is not', async () => {
  const l2 = await makeL2(2);
  const txs = [signTx({ from: 0, to: 1, amount: 5n, nonce: 0 }, l2.keys[0].secretKey)];
  const block = blockWitness(l2.state, 3n, txs);
  const plan = planBlock({ blockHash: `0x${'11'.repeat(32)}`, slot: 3n, txCount: 1 }, costModelFrom([circuit]));
  assert.deepEqual(plan.jobs.map((j) => j.circuit), ['single_1']);
  const s = segmentInputs(plan, plan.jobs[0], block);
  expected = s.publicInputs;
  proof = await backend.proveSegment(circuit, s.inputs);
  assert.equal(proof.flavour, 'l1');
  assert.equal(proof.crsId, 'insecure-dev-tau-3');
  assert.deepEqual(proof.publicInputFields, expected, 'public inputs = [slot, startRoot, endRoot, txsCommitment]');
  assert.equal(proof.proof.length, 440 * 32);
  assert.equal(await backend.verify(circuit, proof), true);
  const tampered = proof.publicInputs.slice();
  tampered[2 * 32 + 31] ^= 1; // endRoot
  assert.equal(await backend.verify(circuit, { ...proof, publicInputs: tampered }), false);

  // an overspending tx cannot be proven: the witness fails naming the tx
  const bad = [signTx({ from: 0, to: 1, amount: 10n ** 12n, nonce: 0 }, l2.keys[0].secretKey)];
  const badInputs = segmentInputs(plan, plan.jobs[0], blockWitness(l2.state, 3n, bad, { validate: false }));
  await assert.rejects(backend.proveSegment(circuit, badInputs.inputs), (e: unknown) => e instanceof WitnessError && e.reason === 'overspend' && e.txIndex === 0);
});

test('single_1: the generated Solidity verifier (dev G2) accepts it on anvil, directly and through the router', async () => {
  assert.ok(proof, 'needs the proof of the previous test');
  const v = await generateVerifier(backend, 'single_1');
  assert.match(v.source, /INSECURE/);
  const compiled = compileContracts({ includeProtocol: false, extraSources: { [v.unitName]: v.source } });
  const routerUnit = 'src/verifiers/HonkVerifierRouter.sol';
  const routerCompiled = compileContracts({
    includeProtocol: false,
    extraSources: {
      [routerUnit]: readFileSync(path.join(REPO_ROOT, 'contracts', routerUnit), 'utf8'),
      'src/interfaces/IVerifier.sol': readFileSync(path.join(REPO_ROOT, 'contracts/src/interfaces/IVerifier.sol'), 'utf8'),
    },
  });
  const va = compiled.artifacts[`${v.unitName}:${v.contractName}`];
  const ra = routerCompiled.artifacts[`${routerUnit}:HonkVerifierRouter`];

  const anvil = await useAnvil();
  const provider = testProvider(anvil.rpcUrl);
  const [deployer] = devWallets(provider, 1);
  const verifier = await new ContractFactory(va.abi as InterfaceAbi, va.bytecode, deployer).deploy();
  await verifier.waitForDeployment();
  const router = await new ContractFactory(ra.abi as InterfaceAbi, ra.bytecode, deployer).deploy([VERIFIER_TAGS.single_1], [await verifier.getAddress()]);
  await router.waitForDeployment();
  const direct = new Contract(await verifier.getAddress(), va.abi as InterfaceAbi, provider);
  const viaRouter = new Contract(await router.getAddress(), ra.abi as InterfaceAbi, provider);

  const pis = publicInputsHex(proof);
  assert.equal(await direct.verify(proof.proof, pis), true, 'generated verifier accepts the bb.js proof');
  assert.equal(await viaRouter.verify(routerProof(proof), pis), true, 'router accepts the tagged proof');
  const gas = await viaRouter.verify.estimateGas(routerProof(proof), pis);
  process.stdout.write(`# gas: router.verify(single_1) = ${gas} (eth_estimateGas, incl. 21k base + calldata)\n`);

  // one public input changed: rejected (the verifier reverts; the router returns false)
  const changed = [...pis];
  changed[2] = `0x${(BigInt(pis[2]) + 1n).toString(16).padStart(64, '0')}`;
  await assert.rejects(direct.verify(proof.proof, changed));
  assert.equal(await viaRouter.verify(routerProof(proof), changed), false);
  // an unknown tag, a missing proof, a truncated proof: false, never a revert
  const wrongTag = routerProof(proof);
  wrongTag[0] = VERIFIER_TAGS.final_8;
  assert.equal(await viaRouter.verify(wrongTag, pis), false);
  assert.equal(await viaRouter.verify('0x', pis), false);
  assert.equal(await viaRouter.verify(routerProof(proof).subarray(0, 1000), pis), false);
});
