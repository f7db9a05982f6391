// A real one-tx block proven end to end with the INSECURE dev CRS (single_1, 2^17: the cheapest
// circuit), verified by bb (native or WASM, whichever the backend picked) and by the generated Solidity verifier (linked to its library) on a real anvil, directly,
// through HonkVerifierRouter and through Sidecar.submitProof (the router is the deployment's
// IVerifier); the same proof with one public input changed is rejected.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Contract, ContractFactory, MaxUint256, toBeHex, type InterfaceAbi, type JsonRpcProvider } from 'ethers';
import { ProvingBackend, type SegmentProof } from '../../../circuits/backend/prover.js';
import { generateVerifier, publicInputsHex, routerProof, VERIFIER_TAGS } from '../../../circuits/backend/verifier.js';
import { blockWitness, costModelFrom, planBlock, segmentInputs } from '../../../circuits/plan.js';
import { WitnessError } from '../../../circuits/witness.js';
import type { CompiledCircuit } from '../../../circuits/build.js';
import { signTx } from '../../../circuits/l2/index.js';
import { compileContracts, REPO_ROOT, type Artifact } from '../../../node/l1/compile.js';
import { deployContract, deployProtocol } from '../../../node/l1/deploy.js';
import { L1Error, SidecarClient } from '../../../node/l1/client.js';
import type { SlotTiming } from '../../../node/l1/client.js';
import { devWallets, mine, mineTo, testProvider, useAnvil } from '../../helpers/anvil.js';
import { makeL2, type L2Fixture } from '../../helpers/l2.js';

const E18 = 10n ** 18n;
const params = {
  proposalBlocks: 8, revealBlocks: 8, commitBlocks: 8, provingBlocks: 40, submissionBlocks: 8,
  earlyProofs: true, reorgWindow: 8, minStake: 1000n * E18, activationDelay: 1, exitDelay: 16,
  minProverDeposit: 100n * E18, blockReward: 10n * E18, submissionReward: 1n * E18,
  proverExclusiveBlocks: 0, // clients[3], not the committed prover, lands the proof
};

let backend: ProvingBackend;
let circuit: CompiledCircuit;
let l2: L2Fixture;
let provider: JsonRpcProvider;
let clients: SidecarClient[];
let verifierArt: Artifact;
let verifierAddr: string;
let routerArt: Artifact;
let routerAddr: string;
let slot: bigint;
let l1Block: ReturnType<L2Fixture["buildBlock"]>;
let proof: SegmentProof;

// setup at top level (not in a before hook): helpers register after() hooks that must belong to the file
{
  backend = await ProvingBackend.create({ crs: { dev: true } });
  circuit = await backend.circuit('single_1');
  l2 = await makeL2(2);

  // the generated verifier (dev G2) and the router, compiled (cached in .build/contracts) and deployed
  const v = await generateVerifier(backend, 'single_1');
  assert.match(v.source, /INSECURE/);
  const verifierCompiled = compileContracts({ includeProtocol: false, extraSources: { [v.unitName]: v.source } });
  verifierArt = verifierCompiled.artifacts[`${v.unitName}:${v.contractName}`];
  assert.ok(verifierArt.linkReferences, 'bb 5.0.0\'s verifier links a library');
  assert.ok((verifierArt.deployedBytecode.length - 2) / 2 <= 24_576, 'the verifier fits EIP-170 (anvil enforces it)');
  const routerUnit = 'src/verifiers/HonkVerifierRouter.sol';
  routerArt = compileContracts({
    includeProtocol: false,
    extraSources: {
      [routerUnit]: readFileSync(path.join(REPO_ROOT, 'contracts', routerUnit), 'utf8'),
      'src/interfaces/IVerifier.sol': readFileSync(path.join(REPO_ROOT, 'contracts/src/interfaces/IVerifier.sol'), 'utf8'),
    },
  }).artifacts[`${routerUnit}:HonkVerifierRouter`];
  const anvil = await useAnvil({ accounts: 4 });
  provider = testProvider(anvil.rpcUrl);
  const wallets = devWallets(provider, 4);
  const deployed = await deployContract(wallets[0], verifierCompiled, verifierArt.id);
  assert.deepEqual(Object.keys(deployed.libraries), [`${v.unitName}:RelationsLib_single_1`], 'deployContract deployed and linked the relations library');
  verifierAddr = deployed.address;
  const router = await new ContractFactory(routerArt.abi as InterfaceAbi, routerArt.bytecode, wallets[0]).deploy([VERIFIER_TAGS.single_1], [verifierAddr]);
  await router.waitForDeployment();
  routerAddr = await router.getAddress();

  // the protocol with the router as its IVerifier; one block proposed, revealed and committed
  const deployment = await deployProtocol({
    signer: wallets[0], params: { ...params, genesisRoot: l2.genesisRoot }, fundRewards: 100n * E18,
    verifier: { kind: 'address', address: routerAddr },
    mint: wallets.map((w) => ({ to: w.address, amount: 1_000_000n * E18 })),
  });
  const admin = SidecarClient.connect({ deployment, rpc: provider, signer: wallets[0], wsUrl: anvil.wsUrl });
  clients = wallets.map((w, i) => (i === 0 ? admin : admin.withSigner(w)));
  after(() => Promise.all(clients.map((c) => c.close())));
  await Promise.all(clients.map((c) => c.approve(MaxUint256)));
  const [, seq, prover] = clients;
  await seq.stake(params.minStake);
  await mine(provider, 2);
  slot = (await admin.currentSlot()) + 1n;
  l1Block = l2.buildBlock(slot, 1, l2.state.clone());
  const at = async (key: keyof SlotTiming) => mineTo(provider, (await admin.slotTiming(slot))[key] - 1);
  await at('proposalStart');
  await seq.propose(slot, l1Block, 2n * E18, 1000);
  await at('revealStart');
  await seq.reveal(l1Block);
  await at('commitStart');
  await seq.commitProver(slot, await prover.address(), params.minProverDeposit);
  await at('commitEnd');
  await mine(provider, 1);
  assert.equal(await admin.blockStatus(slot), 'Pending');
}
after(() => backend?.destroy());

test('single_1: the L1 block is proven and verified by bb.js; a changed public input is not; a bad tx cannot be proven', async () => {
  const block = blockWitness(l2.state, slot, l1Block.signed);
  assert.equal(block.txsCommitment, l1Block.txsCommitment);
  const plan = planBlock({ blockHash: `0x${'11'.repeat(32)}`, slot, txCount: 1 }, costModelFrom([circuit]));
  assert.deepEqual(plan.jobs.map((j) => j.circuit), ['single_1']);
  // the proof names its reward recipient: the client that lands it below
  const recipient = await clients[3].address();
  proof = await backend.proveSegment(circuit, segmentInputs(plan, plan.jobs[0], block, { recipient: BigInt(recipient) }).inputs);
  assert.equal(proof.flavour, 'l1');
  assert.equal(proof.crsId, 'insecure-dev-tau-3');
  assert.deepEqual(proof.publicInputFields, [slot, l2.genesisRoot, l1Block.endRoot, l1Block.txsCommitment, BigInt(recipient)]);
  assert.deepEqual(publicInputsHex(proof), await clients[0].publicInputs(slot, slot, recipient), 'the contract builds the same public inputs');
  assert.equal(proof.proof.length % 32, 0);
  assert.ok(proof.proof.length > 8 * 32, 'the 8 pairing-point fields are in the proof, not in the public inputs');
  assert.equal(await backend.verify(circuit, proof), true);
  const tampered = proof.publicInputs.slice();
  tampered[2 * 32 + 31] ^= 1; // endRoot
  assert.equal(await backend.verify(circuit, { ...proof, publicInputs: tampered }), false);

  // an overspending tx cannot be proven: the witness fails naming the tx
  const bad = [signTx({ from: 0, to: 1, amount: 10n ** 12n, nonce: 0 }, l2.keys[0].secretKey)];
  const badInputs = segmentInputs(plan, plan.jobs[0], blockWitness(l2.state, slot, bad, { validate: false }));
  await assert.rejects(backend.proveSegment(circuit, badInputs.inputs), (e: unknown) => e instanceof WitnessError && e.reason === 'overspend' && e.txIndex === 0);
});

test('single_1: the generated verifier and the router accept it on anvil; a changed public input is rejected', async () => {
  assert.ok(proof, 'needs the proof of the previous test');
  const direct = new Contract(verifierAddr, verifierArt.abi as InterfaceAbi, provider);
  const viaRouter = new Contract(routerAddr, routerArt.abi as InterfaceAbi, provider);
  const pis = publicInputsHex(proof);
  assert.equal(await direct.verify(proof.proof, pis), true, 'generated verifier accepts the bb.js proof');
  assert.equal(await viaRouter.verify(routerProof(proof), pis), true, 'router accepts the tagged proof');
  // (no estimateGas through the router: it turns an out-of-gas verifier into `false`, so the estimate is meaningless)
  process.stdout.write(`# gas: HonkVerifier_single_1.verify = ${await direct.verify.estimateGas(proof.proof, pis)} (eth_estimateGas, incl. 21k + calldata)\n`);

  const changed = [...pis];
  changed[2] = toBeHex(BigInt(pis[2]) + 1n, 32);
  await assert.rejects(direct.verify(proof.proof, changed), 'the generated verifier reverts');
  assert.equal(await viaRouter.verify(routerProof(proof), changed), false, 'the router returns false');
  const wrongTag = routerProof(proof);
  wrongTag[0] = VERIFIER_TAGS.final_8;
  assert.equal(await viaRouter.verify(wrongTag, pis), false, 'unknown tag');
  assert.equal(await viaRouter.verify('0x', pis), false, 'empty proof');
  assert.equal(await viaRouter.verify(routerProof(proof).subarray(0, 1000), pis), false, 'truncated proof');
});

test('single_1: Sidecar.submitProofRange accepts the real proof (router as IVerifier) and refuses a tampered one', async () => {
  assert.ok(proof, 'needs the proof of the first test');
  const submitter = clients[3];
  const flipped = routerProof(proof);
  flipped[100] ^= 1;
  await assert.rejects(submitter.submitProof(slot, flipped), (e: unknown) => e instanceof L1Error && e.code === 'InvalidProof');
  // the proof names clients[3]: sent by clients[2] naming itself it is another statement, refused
  await assert.rejects(clients[2].submitProof(slot, routerProof(proof)), (e: unknown) => e instanceof L1Error && e.code === 'InvalidProof');
  const sent = await submitter.submitProof(slot, routerProof(proof));
  process.stdout.write(`# gas: Sidecar.submitProofRange(single_1 via router) = ${sent.gasUsed}\n`);
  assert.equal(await clients[0].blockStatus(slot), 'Proven');
});
