// Failures surface as typed, readable errors: the worker's mapping of backend and witness
// errors to job error codes, and the orchestrator's handling of each (out of memory fails the
// block at once, naming it; the rest of the pool keeps going).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendError, classifyBackendError } from '../../../circuits/backend/prover.js';
import { WitnessError } from '../../../circuits/witness.js';
import { Orchestrator } from '../../../prover/orchestrator.js';
import { JobError } from '../../../prover/types.js';
import { errorReply } from '../../../prover/worker.js';
import { WitnessExecutor, expectedRoot, tinyArtifact, tinyPlan, tinyTask } from './tiny.js';

test('worker error mapping: witness (naming the tx), out of memory, CRS, backend', () => {
  const w = errorReply(new WitnessError('final_8', 'overspend', 'tx 43: overspend (amount exceeds balance)', 43));
  assert.deepEqual(w.error, { code: 'witness', message: 'witness for final_8 failed: tx 43: overspend (amount exceeds balance)', txIndex: 43, reason: 'overspend' });
  assert.equal(errorReply(new WitnessError('single_1', 'bad-input', 'Expected argument')).error?.code, 'bad-input');
  const oom = errorReply(classifyBackendError('rec_8', new Error('RuntimeError: bad_alloc')));
  assert.equal(oom.error?.code, 'out-of-memory');
  assert.match(oom.error!.message, /rec_8: out of memory in the prover/);
  assert.equal(errorReply(new BackendError('crs', 'single_1', 'could not load the CRS')).error?.code, 'bad-input');
  assert.equal(errorReply(new BackendError('backend', 'single_1', 'unreachable')).error?.code, 'prove');
  assert.equal(new JobError('out-of-memory', 'x').retryable, false);
  assert.equal(new JobError('witness', 'x').retryable, false);
  assert.equal(new JobError('worker-crash', 'x').retryable, true);
});

test('out of memory fails its block at once with a clear error; other blocks are proven', async () => {
  const { file, circuit } = await tinyArtifact();
  const ex = new WitnessExecutor(1, circuit);
  const orch = new Orchestrator({ executor: ex, backoffMs: 5 });
  const big = tinyPlan(`0x${'0e'.repeat(32)}`, 'chain:2');
  const ok = tinyPlan(`0x${'0f'.repeat(32)}`, 'chain:2');
  ex.failNext = { code: 'out-of-memory', times: 1 };
  const pBig = orch.submit(tinyTask(big, file, { deadline: 1 }));
  const pOk = orch.submit(tinyTask(ok, file, { deadline: 2 }));
  await assert.rejects(pBig, (e: unknown) => e instanceof JobError && e.code === 'out-of-memory' && e.message.includes(`block ${big.blockHash}`) && e.detail.jobId === big.jobs[0].id);
  assert.equal(BigInt((await pOk).publicInputs[1]), expectedRoot(ok));
  assert.equal(orch.counters.jobsRetried, 0, 'out of memory is not retried (it would fail again)');
  await orch.close();
});
