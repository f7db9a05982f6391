// The orchestrator's scheduling and recovery logic over the real tiny circuit (executed with
// noir_js, in process, not proven: the pool tests prove for real). Each job's input is its
// deps' outputs, so the root's value checks that every job ran after its deps, on their
// real outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../../node/storage/index.js';
import { JobStore } from '../../../prover/jobs.js';
import { Orchestrator } from '../../../prover/orchestrator.js';
import { JobError } from '../../../prover/types.js';
import { WitnessExecutor, expectedRoot, outputOf, tinyArtifact, tinyPlan, tinyTask } from './tiny.js';

const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const quiet = { jobTimeoutMs: 60_000, backoffMs: 5 };

async function openStore(t: { after(f: () => unknown): void }, dir?: string) {
  const d = dir ?? mkdtempSync(path.join(os.tmpdir(), 'sidecar-prover-'));
  const store = await Store.open(d);
  t.after(async () => { await store.close(); if (!dir) rmSync(d, { recursive: true, force: true }); });
  return { dir: d, store, jobs: new JobStore(store) };
}

/** Resolvers for held jobs: the test releases them one by one. */
function gate() {
  const waiting = new Map<string, () => void>();
  const arrived: ((id: string) => void)[] = [];
  return {
    hold: (id: string) => new Promise<void>((r) => { waiting.set(id, r); arrived.shift()?.(id); }),
    release(id: string) { const r = waiting.get(id); assert.ok(r, `job ${id.slice(0, 8)} is not running`); waiting.delete(id); r(); },
    running: () => [...waiting.keys()],
    next: () => new Promise<string>((r) => arrived.push(r)),
  };
}

test('jobs start only when their deps are proven, on their outputs: chain and binary tree', async () => {
  const { file, circuit } = await tinyArtifact();
  const ex = new WitnessExecutor(2, circuit);
  const orch = new Orchestrator({ executor: ex, ...quiet });
  const starts = new Map<string, number>(), ends = new Map<string, number>();
  let tick = 0;
  orch.on('job:started', (e) => starts.set(e.jobId, tick++));
  orch.on('job:finished', (e) => ends.set(e.jobId, tick++));
  const chain = tinyPlan(H(1), 'chain:4');
  const tree = tinyPlan(H(2), 'tree:5');
  const [a, b] = await Promise.all([orch.submit(tinyTask(chain, file)), orch.submit(tinyTask(tree, file))]);
  assert.equal(BigInt(a.publicInputs[1]), expectedRoot(chain));
  assert.equal(BigInt(b.publicInputs[1]), expectedRoot(tree));
  for (const plan of [chain, tree]) {
    for (const j of plan.jobs) for (const d of j.deps) assert.ok(starts.get(j.id)! > ends.get(d)!, 'a job started before its dep finished');
  }
  assert.equal(ex.started.length, chain.jobs.length + tree.jobs.length);
  assert.equal(a.proven, 4);
  assert.equal(orch.counters.blocksDone, 2);
  // the tree's independent leaves ran two at a time
  const leaves = tree.jobs.filter((j) => j.deps.length === 0).map((j) => j.id);
  assert.ok(leaves.some((l) => starts.get(l)! < Math.min(...leaves.filter((x) => x !== l).map((x) => ends.get(x)!))), 'leaves overlap');
  await orch.close();
});

test('ready jobs go by block deadline, then nearest root; workers stay busy', async () => {
  const { file, circuit } = await tinyArtifact();
  const g = gate();
  const ex = new WitnessExecutor(1, circuit, g.hold);
  const orch = new Orchestrator({ executor: ex, ...quiet });
  const late = tinyPlan(H(10), 'chain:2');
  const soon = tinyPlan(H(11), 'chain:1');
  const mid = tinyPlan(H(12), 'chain:1');
  const first = g.next();
  const pLate = orch.submit(tinyTask(late, file, { deadline: 200 }));
  const running = await first; // late's first job, alone
  // two more blocks arrive while the only worker is busy
  const pSoon = orch.submit(tinyTask(soon, file, { deadline: 100 }));
  const pMid = orch.submit(tinyTask(mid, file, { deadline: 150 }));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(orch.stats().ready, 2);
  const order = [running];
  for (let i = 0; i < 3; i++) {
    const next = g.next();
    g.release(order[order.length - 1]);
    order.push(await next);
  }
  g.release(order[3]);
  await Promise.all([pLate, pSoon, pMid]);
  // late's second job was ready as soon as its first finished, but the sooner deadlines went first
  assert.deepEqual(order, [late.jobs[0].id, soon.jobs[0].id, mid.jobs[0].id, late.jobs[1].id]);
  // x arrives first and takes the idle worker; from then on the earlier deadline wins
  const ex2 = new WitnessExecutor(1, circuit);
  const orch2 = new Orchestrator({ executor: ex2, ...quiet });
  const x = tinyPlan(H(13), 'chain:2'), y = tinyPlan(H(14), 'tree:2');
  await Promise.all([orch2.submit(tinyTask(x, file, { deadline: 9 })), orch2.submit(tinyTask(y, file, { deadline: 5 }))]);
  assert.deepEqual(ex2.started, [x.jobs[0].id, ...y.jobs.map((j) => j.id), x.jobs[1].id]);
  await orch.close();
  await orch2.close();
});

test('nearest-root first within a deadline: a block close to done finishes first', async () => {
  const { file, circuit } = await tinyArtifact();
  const ex = new WitnessExecutor(1, circuit);
  const orch = new Orchestrator({ executor: ex, ...quiet });
  const long = tinyPlan(H(20), 'chain:3');
  const short = tinyPlan(H(21), 'chain:1');
  await Promise.all([orch.submit(tinyTask(long, file, { deadline: 1 })), orch.submit(tinyTask(short, file, { deadline: 1 }))]);
  // short's only job is 0 steps from its root; long's first is 2
  assert.equal(ex.started[0], short.jobs[0].id);
  await orch.close();
});

test('a failed attempt is retried with backoff; a witness failure fails its block only, naming the job', async () => {
  const { file, circuit } = await tinyArtifact();
  const ex = new WitnessExecutor(2, circuit);
  ex.failNext = { code: 'worker-crash', times: 2 };
  const orch = new Orchestrator({ executor: ex, ...quiet, maxAttempts: 3 });
  const failures: { willRetry: boolean; error: JobError }[] = [];
  orch.on('job:failed', (e) => failures.push(e));
  const ok = tinyPlan(H(30), 'chain:2');
  const bad = tinyPlan(H(31), 'chain:3');
  const pBad = orch.submit(tinyTask(bad, file, { failJob: bad.jobs[1].id }));
  const pOk = orch.submit(tinyTask(ok, file));
  await assert.rejects(pBad, (e: unknown) => {
    assert.ok(e instanceof JobError);
    assert.equal(e.code, 'witness');
    assert.equal(e.detail.jobId, bad.jobs[1].id);
    assert.match(e.message, new RegExp(`block ${bad.blockHash}.*tiny: asked to fail`));
    return true;
  });
  const r = await pOk;
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(ok));
  assert.equal(orch.counters.workerCrashes, 2);
  assert.equal(orch.counters.jobsRetried, 2);
  assert.equal(failures.filter((f) => f.willRetry).length, 2);
  assert.equal(failures.filter((f) => !f.willRetry && f.error.code === 'witness').length, 1, 'a witness failure is not retried');
  assert.ok(!ex.started.includes(bad.jobs[2].id), 'the failed job\'s dependents never ran');
  assert.equal(orch.counters.blocksFailed, 1);
  await orch.close();
});

test('attempts are bounded: a job that keeps failing fails its block after maxAttempts', async () => {
  const { file, circuit } = await tinyArtifact();
  const ex = new WitnessExecutor(1, circuit);
  ex.failNext = { code: 'prove', times: 99 };
  const orch = new Orchestrator({ executor: ex, ...quiet, maxAttempts: 3 });
  await assert.rejects(orch.submit(tinyTask(tinyPlan(H(32), 'chain:1'), file)), (e: unknown) => e instanceof JobError && e.code === 'prove');
  assert.equal(ex.started.length, 3);
  await orch.close();
});

test('a job over its timeout is aborted and retried', async () => {
  const { file, circuit } = await tinyArtifact();
  let first = true;
  const ex = new WitnessExecutor(1, circuit, () => (first ? ((first = false), new Promise(() => {})) : Promise.resolve()));
  const orch = new Orchestrator({ executor: ex, jobTimeoutMs: 100, backoffMs: 5 });
  const plan = tinyPlan(H(33), 'chain:1');
  const r = await orch.submit(tinyTask(plan, file));
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.equal(orch.counters.jobsTimedOut, 1);
  assert.deepEqual(ex.aborted, [plan.jobs[0].id]);
  await orch.close();
});

test('cancelling a block (AbortSignal) stops its running and queued jobs; other blocks go on', async () => {
  const { file, circuit } = await tinyArtifact();
  const g = gate();
  const ex = new WitnessExecutor(2, circuit, g.hold);
  const orch = new Orchestrator({ executor: ex, ...quiet });
  const doomed = tinyPlan(H(40), 'chain:3');
  const other = tinyPlan(H(41), 'chain:2');
  const ac = new AbortController();
  const arrivals = [g.next(), g.next()];
  const pDoomed = orch.submit(tinyTask(doomed, file, { signal: ac.signal }));
  const pOther = orch.submit(tinyTask(other, file));
  const running = await Promise.all(arrivals);
  assert.ok(running.includes(doomed.jobs[0].id) && running.includes(other.jobs[0].id));
  ac.abort('reorg');
  await assert.rejects(pDoomed, (e: unknown) => e instanceof JobError && e.code === 'cancelled' && /reorg/.test(e.message));
  assert.deepEqual(ex.aborted, [doomed.jobs[0].id], 'the running job was aborted');
  const next = g.next();
  g.release(other.jobs[0].id);
  g.release(await next);
  await pOther;
  assert.ok(!ex.started.includes(doomed.jobs[1].id) && !ex.started.includes(doomed.jobs[2].id), 'queued jobs never started');
  assert.equal(orch.counters.blocksCancelled, 1);
  assert.equal(orch.counters.jobsCancelled, 3);
  assert.equal(orch.stats().blocks, 0);
  await orch.close();
});

test('duplicates are free: the same block twice is one run, and an already-proven job is not proven again', async (t) => {
  const { file, circuit } = await tinyArtifact();
  const { jobs } = await openStore(t);
  const ex = new WitnessExecutor(2, circuit);
  const orch = new Orchestrator({ executor: ex, store: jobs, ...quiet });
  const plan = tinyPlan(H(50), 'tree:4');
  const p1 = orch.submit(tinyTask(plan, file));
  const p2 = orch.submit(tinyTask(plan, file));
  assert.equal(p1, p2);
  await p1;
  assert.equal(ex.started.length, plan.jobs.length);
  const again = await orch.submit(tinyTask(plan, file)); // after it finished: from the store
  assert.equal(ex.started.length, plan.jobs.length, 'nothing proven twice');
  assert.equal(again.reused, plan.jobs.length);
  assert.equal(again.proven, 0);
  assert.equal(BigInt(again.publicInputs[1]), expectedRoot(plan));
  await orch.close();
});

test('restart: finished proofs are reused from the store (counted), unfinished jobs rerun', async (t) => {
  const { file, circuit } = await tinyArtifact();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-prover-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const plan = tinyPlan(H(60), 'chain:4');
  {
    const store = await Store.open(dir);
    const g = gate();
    const ex = new WitnessExecutor(1, circuit, g.hold);
    const orch = new Orchestrator({ executor: ex, store: new JobStore(store), ...quiet });
    const p = orch.submit(tinyTask(plan, file));
    p.catch(() => {});
    const done = new Promise<void>((r) => { let n = 0; orch.on('job:finished', () => { if (++n === 2) r(); }); });
    g.release(await g.next());
    g.release(await g.next());
    await done;
    await g.next(); // the third job is running: the "crash" comes now
    assert.deepEqual((await new JobStore(store).unfinishedBlocks()).map((b) => b.blockHash), [plan.blockHash]);
    await orch.close();
    await store.close();
  }
  const store = await Store.open(dir);
  t.after(() => store.close());
  const js = new JobStore(store);
  const unfinished = await js.unfinishedBlocks();
  assert.equal(unfinished.length, 1, 'the node learns which block to resubmit');
  assert.equal(unfinished[0].slot, plan.slot);
  const ex = new WitnessExecutor(1, circuit);
  const orch = new Orchestrator({ executor: ex, store: js, ...quiet });
  const r = await orch.submit(tinyTask(unfinished[0].plan, file));
  assert.equal(orch.counters.jobsReusedFromStore, 2);
  assert.deepEqual(ex.started, plan.jobs.slice(2).map((j) => j.id), 'only unfinished jobs rerun');
  assert.equal(r.reused, 2);
  assert.equal(r.proven, 2);
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.equal((await js.getBlock(plan.blockHash))?.status, 'done');
  const rec = await js.getJob(plan.jobs[2].id);
  assert.equal(rec?.status, 'done');
  assert.equal(rec?.attempts, 2, 'the interrupted attempt is counted');
  assert.equal(outputOf((await js.getResult(plan.root))!), expectedRoot(plan));
  await orch.close();
});

test('a bad plan is a clear error', async () => {
  const { circuit, file } = await tinyArtifact();
  const orch = new Orchestrator({ executor: new WitnessExecutor(1, circuit), ...quiet });
  const plan = tinyPlan(H(70), 'chain:2');
  plan.jobs[0].deps = [plan.jobs[1].id];
  await assert.rejects(orch.submit(tinyTask(plan, file)), /bad plan: plan has a cycle/);
  const p2 = tinyPlan(H(71), 'chain:1');
  p2.root = 'nope';
  await assert.rejects(orch.submit(tinyTask(p2, file)), /plan root nope is not one of its jobs/);
  await orch.close();
});
