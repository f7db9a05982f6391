// Real rollup proofs through the node's prover (pool + orchestrator + job store), INSECURE dev
// CRS: two blocks proven concurrently by a pool of two workers, one of them needing two
// segments (first_32 -> final_8, two 2^20 proofs), the other one proof (single_1). Each final
// proof's public inputs are the block's [slot, startRoot, endRoot, txsCommitment], it verifies
// with bb (native where it runs), and with the generated Solidity verifier (through HonkVerifierRouter) on anvil.
// Slow (two 2^20 proofs): the only rollup-proof test of prover/.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockWitness } from '../../../circuits/plan.js';
import { Store } from '../../../node/storage/index.js';
import { Prover, rollupPlan } from '../../../prover/index.js';
import { l1Verifier } from '../../../prover/l1-verify.js';
import type { BlockProof } from '../../../prover/types.js';
import { TEST_RECIPIENT, makeL2 } from '../../helpers/l2.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-rollup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const proofs: { block: BlockProof; expected: bigint[] }[] = [];

test('two blocks, one of two segments, proven concurrently by the pool; final proofs verify with bb', async () => {
  const l2 = await makeL2(4);
  const pre = l2.state.clone();
  const big = l2.buildBlock(5n, 33); // 33 txs: first_32[0,32) -> final_8[32,33)
  const mid = l2.state.clone();
  const small = l2.buildBlock(6n, 1); // single_1
  const store = await Store.open(path.join(dir, 'db'));
  const prover = await Prover.start({ store, workers: 2, threads: 1, crs: { dev: true } });
  after(async () => { await prover.close(); await store.close(); });
  const bigBlock = { blockHash: `0x${'b1'.repeat(32)}`, slot: 5n, preState: pre, txs: big.signed, recipient: TEST_RECIPIENT, deadline: 10 };
  const smallBlock = { blockHash: `0x${'b2'.repeat(32)}`, slot: 6n, preState: mid, txs: small.signed, recipient: TEST_RECIPIENT, deadline: 11 };
  assert.deepEqual(rollupPlan(bigBlock).jobs.map((j) => `${j.circuit}[${j.txRange}]`), ['first_32[0,32]', 'final_8[32,33]']);
  assert.deepEqual(rollupPlan(smallBlock).jobs.map((j) => j.circuit), ['single_1']);
  const overlap: string[] = [];
  prover.orchestrator.on('job:started', (e) => overlap.push(`start ${e.circuit}`));
  prover.orchestrator.on('job:finished', (e) => overlap.push(`end ${e.circuit}`));
  const [a, b] = await Promise.all([prover.proveBlock(bigBlock), prover.proveBlock(smallBlock)]);
  // both blocks were in flight at once: single_1 started before first_32 ended
  assert.ok(overlap.indexOf('start single_1') < overlap.indexOf('end first_32'), overlap.join(', '));
  for (const [p, blk, pre] of [[a, big, bigBlock.preState], [b, small, smallBlock.preState]] as const) {
    const w = blockWitness(pre, p.slot, blk.signed);
    const expected = [w.slot, w.startRoot, w.endRoot, w.txsCommitment, BigInt(TEST_RECIPIENT)];
    assert.deepEqual(p.publicInputs.map(BigInt), expected, `${p.circuit}: [slot, startRoot, endRoot, txsCommitment, recipient]`);
    assert.equal(await prover.verify(p), true, `${p.circuit} verifies with bb`);
    const tampered = [...p.publicInputs];
    tampered[2] = `0x${(BigInt(tampered[2]) + 1n).toString(16).padStart(64, '0')}`;
    assert.equal(await prover.verify({ ...p, publicInputs: tampered }), false, `${p.circuit} with a changed endRoot does not verify`);
    proofs.push({ block: p, expected });
  }
  assert.equal(a.circuit, 'final_8');
  assert.equal(a.publicInputs.length, 5, 'exactly the L1 public inputs (the block\'s 4 and the recipient): bb 5.0.0 keeps the 8 pairing-point fields inside the proof');
  assert.equal(b.circuit, 'single_1');
  assert.equal(a.proven, 2);
  assert.equal(prover.orchestrator.counters.jobsFailed, 0);
});

test('the final proofs verify with the generated Solidity verifiers on anvil (HonkVerifierRouter)', async () => {
  assert.equal(proofs.length, 2, 'needs the proofs of the previous test');
  const l1 = await l1Verifier(proofs.map((p) => p.block.circuit), { crs: { dev: true } });
  after(() => l1.close());
  for (const { block } of proofs) {
    assert.equal(await l1.verify(block), true, `${block.circuit}: the L1 verifier accepts the pool's proof`);
    const changed = [...block.publicInputs];
    changed[3] = `0x${(BigInt(changed[3]) ^ 1n).toString(16).padStart(64, '0')}`;
    assert.equal(await l1.verify({ ...block, publicInputs: changed }), false, `${block.circuit}: a changed txsCommitment is rejected`);
  }
});
