// A block proven as a proof tree with real proofs (INSECURE dev CRS): 20 txs planned as
// base_8[0,8) base_8[8,16) base_8[16,20) -> merge[0,16) -> block_root (its right child a lower
// base leaf, lifted), proven through the node's prover (pool of two workers + orchestrator:
// leaves in parallel, the merge once both children exist). The block root's proof carries
// exactly L1's [slot, startRoot, endRoot, txsCommitment, recipient], verifies with bb and with its
// generated Solidity verifier behind HonkVerifierRouter on anvil; a changed public input is
// refused. Slow: three 2^18 and two 2^21 proofs (~3-4 min on 2 cores, more with cold vks).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_COST_MODEL, blockWitness } from '../../../circuits/plan.js';
import { Prover, rollupPlan } from '../../../prover/index.js';
import { l1Verifier } from '../../../prover/l1-verify.js';
import { TEST_RECIPIENT, makeL2 } from '../../helpers/l2.js';

const treeOnly = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => ['base', 'merge', 'root'].includes(c.kind)) };

test('a 20-tx block proven as a tree (3 base_8 -> merge -> block_root) through the pool; L1 verifies the block root', { timeout: 1_200_000 }, async () => {
  const l2 = await makeL2(4);
  const pre = l2.state.clone();
  const blk = l2.buildBlock(7n, 20);
  const block = { blockHash: `0x${'7e'.repeat(32)}`, slot: 7n, preState: pre, txs: blk.signed, recipient: TEST_RECIPIENT, deadline: 10 };
  const plan = rollupPlan(block, treeOnly);
  assert.deepEqual(plan.jobs.map((j) => `${j.circuit}[${j.txRange}]`), ['base_8[0,8]', 'base_8[8,16]', 'base_8[16,20]', 'merge[0,16]', 'block_root[0,20]']);
  const prover = await Prover.start({ workers: 2, threads: 1, crs: { dev: true }, costModel: treeOnly });
  after(() => prover.close());
  const order: string[] = [];
  prover.orchestrator.on('job:started', (e) => order.push(`start ${e.circuit}`));
  prover.orchestrator.on('job:finished', (e) => order.push(`end ${e.circuit}`));
  const p = await prover.proveBlock(block);
  assert.equal(p.circuit, 'block_root');
  assert.equal(p.proven, 5);
  assert.equal(prover.orchestrator.counters.jobsFailed, 0);
  // two leaves proved at once; the merge only after both its children
  assert.ok(order.indexOf('start base_8', order.indexOf('start base_8') + 1) < order.indexOf('end base_8'), order.join(', '));
  assert.ok(order.indexOf('start merge') > order.indexOf('end base_8'), order.join(', '));
  const w = blockWitness(pre, 7n, blk.signed);
  assert.deepEqual(p.publicInputs.map(BigInt), [w.slot, w.startRoot, w.endRoot, w.txsCommitment, BigInt(TEST_RECIPIENT)], 'exactly the L1 public inputs (the block\'s 4 and the recipient)');
  assert.equal(BigInt(p.publicInputs[3]), blk.txsCommitment, 'the txs commitment the contract computes at reveal');
  assert.equal(await prover.verify(p), true, 'the block root verifies with bb');

  const l1 = await l1Verifier(['block_root'], { crs: { dev: true } });
  after(() => l1.close());
  assert.equal(await l1.verify(p), true, 'HonkVerifier_block_root accepts it through the router');
  const gas = await l1.verifierGas(p);
  process.stdout.write(`# block_root L1 verification gas (eth_estimateGas, incl. 21k + calldata): ${gas}\n`);
  assert.ok(gas > 0n);
  const changed = [...p.publicInputs];
  changed[3] = `0x${(BigInt(changed[3]) ^ 1n).toString(16).padStart(64, '0')}`;
  assert.equal(await l1.verify({ ...p, publicInputs: changed }), false, 'a changed txsCommitment is refused on L1');
});
