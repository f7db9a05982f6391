// A block that needs two segments, proven for real with the INSECURE dev CRS: first_32 (txs
// 0..32, recursive flavour) then final_8 (tx 32, verifies the first proof, L1 flavour). The
// recursive step verifies and chains the roots; the final proof carries the block's L1 public
// inputs plus the 16 pairing-point fields and is accepted by its generated Solidity verifier on
// anvil; a final segment whose start root is not the previous end root cannot be proven.
// Costs two 2^20 proofs (~1.5-3 min each here) plus one-off vks (cached in .build/circuits/vk).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, ContractFactory, type InterfaceAbi } from 'ethers';
import { PAIRING_POINT_FIELDS, ProvingBackend, prevProofOf } from '../../../circuits/backend/prover.js';
import { generateVerifier, publicInputsHex } from '../../../circuits/backend/verifier.js';
import { blockWitness, costModelFrom, planBlock, segmentInputs } from '../../../circuits/plan.js';
import { WitnessError } from '../../../circuits/witness.js';
import { toHex } from '../../../circuits/l2/index.js';
import { compileContracts } from '../../../node/l1/compile.js';
import { devWallets, testProvider, useAnvil } from '../../helpers/anvil.js';
import { makeL2 } from '../../helpers/l2.js';

let backend: ProvingBackend | undefined;
after(() => backend?.destroy());

test('two segments: first_32 -> final_8 chain the roots; the final proof verifies in bb.js and on L1', { timeout: 30 * 60_000 }, async () => {
  backend = await ProvingBackend.create({ crs: { dev: true } });
  const first = await backend.circuit('first_32');
  const rec = await backend.circuit('rec_8');
  const fin = await backend.circuit('final_8'); // pins the first/rec vk hashes of this CRS
  const [vkFirst, vkRec] = [await backend.vk(first), await backend.vk(rec)];
  const vkHashes = { first: vkFirst.hash!, rec: vkRec.hash! };
  assert.deepEqual(fin.vkHashes && [fin.vkHashes.first, fin.vkHashes.rec], [toHex(vkHashes.first), toHex(vkHashes.rec)]);
  assert.equal(vkFirst.fields![0], BigInt(first.circuitSize), 'vk field 0 is the circuit size');

  const l2 = await makeL2(4);
  const l1Block = l2.buildBlock(5n, 33, l2.state.clone());
  const block = blockWitness(l2.state, 5n, l1Block.signed);
  const plan = planBlock({ blockHash: `0x${'22'.repeat(32)}`, slot: 5n, txCount: 33 }, costModelFrom([first, rec, fin]));
  assert.deepEqual(plan.jobs.map((j) => [j.circuit, j.txRange]), [['first_32', [0, 32]], ['final_8', [32, 33]]]);
  const [j0, j1] = plan.jobs;

  const s0 = segmentInputs(plan, j0, block, { vkHashes });
  const p0 = await backend.proveSegment(first, s0.inputs);
  assert.equal(p0.flavour, 'recursive');
  assert.deepEqual(p0.publicInputFields, s0.publicInputs, '[slot, startRoot, segment endRoot, acc]');
  assert.equal(await backend.verify(first, p0), true);
  const prevProof = prevProofOf(p0, vkFirst);
  assert.equal(prevProof.proof.length, 456);
  assert.equal(prevProof.vk.length, 128);

  const s1 = segmentInputs(plan, j1, block, { vkHashes, prevProof });
  assert.equal(s1.inputs.prev_end_root, toHex(p0.publicInputFields[2]), 'the final segment starts where the first ended');
  // a final segment that does not start at the previous end root cannot be proven
  await assert.rejects(
    backend.proveSegment(fin, { ...s1.inputs, segment_start_root: toHex(block.startRoot) }),
    (e: unknown) => e instanceof WitnessError && e.reason === 'start-root-mismatch',
  );

  const p1 = await backend.proveSegment(fin, s1.inputs);
  assert.equal(p1.flavour, 'l1');
  assert.equal(p1.publicInputFields.length, 4 + PAIRING_POINT_FIELDS);
  assert.deepEqual(p1.publicInputFields.slice(0, 4), [5n, block.startRoot, block.endRoot, block.txsCommitment], 'the L1 public inputs of the whole block');
  assert.equal(block.txsCommitment, l1Block.txsCommitment, 'the commitment L1 computes');
  assert.equal(await backend.verify(fin, p1), true);
  process.stdout.write(`# first_32 prove ${p0.ms} ms, final_8 prove ${p1.ms} ms, peak RSS ${(process.resourceUsage().maxRSS / 1e6).toFixed(2)} GB\n`);

  // the generated final_8 verifier accepts it on L1 with the 16 pairing-point fields as aux inputs
  const v = await generateVerifier(backend, 'final_8');
  const compiled = compileContracts({ includeProtocol: false, extraSources: { [v.unitName]: v.source } });
  const art = compiled.artifacts[`${v.unitName}:${v.contractName}`];
  const anvil = await useAnvil();
  const provider = testProvider(anvil.rpcUrl);
  const [deployer] = devWallets(provider, 1);
  const deployed = await new ContractFactory(art.abi as InterfaceAbi, art.bytecode, deployer).deploy();
  await deployed.waitForDeployment();
  const verifier = new Contract(await deployed.getAddress(), art.abi as InterfaceAbi, provider);
  const pis = publicInputsHex(p1);
  assert.equal(await verifier.verify(p1.proof, pis), true);
  process.stdout.write(`# gas: HonkVerifier_final_8.verify = ${await verifier.verify.estimateGas(p1.proof, pis)}\n`);
  const changed = [...pis];
  changed[1] = toHex(block.startRoot + 1n);
  await assert.rejects(verifier.verify(p1.proof, changed));
});
