// The Piscina prover pool proving the tiny fixture circuit for real (bb UltraHonk, the
// INSECURE dev CRS, a fraction of a second per proof): DAG plans over workers, every final
// proof verified with bb; a killed worker's job is retried; cancelling stops running
// jobs; a restart reuses persisted proofs; a failing witness is a clear error on its block.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../../node/storage/index.js';
import { JobStore } from '../../../prover/jobs.js';
import { Orchestrator } from '../../../prover/orchestrator.js';
import { ProverPool } from '../../../prover/pool.js';
import { JobError, type BlockProof } from '../../../prover/types.js';
import { expectedRoot, tinyArtifact, tinyPlan, tinyTask } from './tiny.js';

const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const crs = { dev: true };
const pool = new ProverPool({ workers: 2, threads: 1, crs });
after(() => pool.close());

/** Verified with bb.js and the circuit's vk, in a pool worker. */
async function verify(p: BlockProof): Promise<boolean> {
  const { file } = await tinyArtifact();
  return pool.verify({ name: 'tiny', artifact: file }, p.proof, p.publicInputs);
}

test('the pool proves several blocks (chain and binary tree) concurrently; final proofs verify', async () => {
  const { file } = await tinyArtifact();
  await pool.warm();
  const orch = new Orchestrator({ executor: pool, backoffMs: 10 });
  const workers = new Set<number>();
  orch.on('job:finished', (e) => workers.add(e.result.worker));
  const chain = tinyPlan(H(1), 'chain:3');
  const tree = tinyPlan(H(2), 'tree:4');
  const [a, b] = await Promise.all([orch.submit(tinyTask(chain, file, { deadline: 2 })), orch.submit(tinyTask(tree, file, { deadline: 1 }))]);
  assert.equal(BigInt(a.publicInputs[1]), expectedRoot(chain));
  assert.equal(BigInt(b.publicInputs[1]), expectedRoot(tree));
  assert.equal(a.proof.length, 6368, 'an evm-no-zk UltraHonk proof of the tiny circuit (bb 5.0.0: 199 fields, 8 pairing-point fields first)');
  assert.equal(await verify(a), true);
  assert.equal(await verify(b), true);
  const tampered = { ...a, publicInputs: [a.publicInputs[0], H(5)] };
  assert.equal(await verify(tampered), false, 'a changed public input does not verify');
  assert.equal(workers.size, 2, 'both workers proved');
  assert.equal(orch.counters.jobsFinished, chain.jobs.length + tree.jobs.length);
  await orch.close();
});

test('a worker killed mid-proof: its job is retried on a new thread and the block completes', async () => {
  const { file } = await tinyArtifact();
  // the retry waits out the backoff: by then every terminated thread is gone and replaced (with
  // 10 ms the retry could land on the idle thread still being terminated: a second crash)
  const orch = new Orchestrator({ executor: pool, backoffMs: 500 });
  const plan = tinyPlan(H(3), 'chain:2');
  let killed = false;
  orch.on('job:started', () => {
    if (killed) return;
    killed = true;
    // the job is on its way into a worker: kill the busy thread a moment later
    setTimeout(() => { for (const t of pool.workerThreads) void t.terminate(); }, 100);
  });
  const r = await orch.submit(tinyTask(plan, file));
  assert.equal(orch.counters.workerCrashes, 1);
  assert.equal(orch.counters.jobsRetried, 1);
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.equal(await verify(r), true);
  await orch.close();
});

test('cancelling a block aborts its running job and drops its queued ones; the pool keeps going', async () => {
  const { file } = await tinyArtifact();
  const orch = new Orchestrator({ executor: pool, backoffMs: 10 });
  const ac = new AbortController();
  const doomed = tinyPlan(H(4), 'chain:3');
  let started = 0;
  orch.on('job:started', () => { if (++started === 1) setTimeout(() => ac.abort('slashed'), 50); });
  await assert.rejects(orch.submit(tinyTask(doomed, file, { signal: ac.signal })), (e: unknown) => e instanceof JobError && e.code === 'cancelled' && /slashed/.test(e.message));
  assert.equal(orch.counters.jobsFinished, 0);
  assert.equal(orch.counters.jobsCancelled, 3);
  const next = tinyPlan(H(5), 'chain:1');
  const r = await orch.submit(tinyTask(next, file));
  assert.equal(started, 2, 'nothing of the cancelled block ran after the abort');
  assert.equal(await verify(r), true);
  await orch.close();
});

test('a witness that fails is a clear error on its job and block; other blocks are proven', async () => {
  const { file } = await tinyArtifact();
  const orch = new Orchestrator({ executor: pool, backoffMs: 10 });
  const bad = tinyPlan(H(6), 'chain:2');
  const good = tinyPlan(H(7), 'chain:2');
  const pBad = orch.submit(tinyTask(bad, file, { failJob: bad.jobs[0].id }));
  const pGood = orch.submit(tinyTask(good, file));
  await assert.rejects(pBad, (e: unknown) => {
    assert.ok(e instanceof JobError);
    assert.equal(e.code, 'witness');
    assert.equal(e.detail.jobId, bad.jobs[0].id);
    assert.match(e.message, /tiny: asked to fail/);
    return true;
  });
  assert.equal(await verify(await pGood), true);
  assert.equal(orch.counters.jobsRetried, 0, 'a failing witness is not retried');
  await orch.close();
});

test('restart: persisted proofs are reused (counted), nothing is proven twice, duplicates are free', async (t) => {
  const { file } = await tinyArtifact();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-pool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const plan = tinyPlan(H(8), 'tree:3');
  let first: BlockProof;
  {
    const store = await Store.open(dir);
    const orch = new Orchestrator({ executor: pool, store: new JobStore(store) });
    const p = orch.submit(tinyTask(plan, file));
    assert.equal(orch.submit(tinyTask(plan, file)), p, 'the same block twice is one run');
    first = await p;
    assert.equal(orch.counters.jobsStarted, plan.jobs.length);
    await orch.close();
    await store.close();
  }
  const store = await Store.open(dir);
  t.after(() => store.close());
  const orch = new Orchestrator({ executor: pool, store: new JobStore(store) });
  const again = await orch.submit(tinyTask(plan, file));
  assert.equal(orch.counters.jobsStarted, 0);
  assert.equal(orch.counters.jobsReusedFromStore, plan.jobs.length);
  assert.equal(again.reused, plan.jobs.length);
  assert.deepEqual(again.proof, first.proof);
  assert.equal(await verify(again), true, 'the proof read back from LevelDB verifies');
  await orch.close();
});
