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
import { LeaseRunner } from '../../../prover/agent.js';
import { Orchestrator, type JobEvent } from '../../../prover/orchestrator.js';
import { JobError } from '../../../prover/types.js';
import { TestLessor, WitnessExecutor, expectedRoot, outputOf, tinyArtifact, tinyPlan, tinyTask } from './tiny.js';

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
  await orch.drained();
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

// ---- leases to remote agents ------------------------------------------------------------

// the WitnessExecutor makes no proofs: there is nothing for bb.js to verify here (the e2e agent
// tests verify real proofs); tinyTask's check still refuses wrong public inputs
const noProofs = async () => true;
const ids = (jobs: { id: string }[] | string[]) => jobs.map((j) => (typeof j === 'string' ? j : j.id)).sort();

test('lease selection: a whole block when nothing of it runs here; the rest of a tree (a subtree) when a leaf does', async () => {
  const { file, circuit } = await tinyArtifact();
  const g = gate();
  const ex = new WitnessExecutor(1, circuit, g.hold);
  const lessor = new TestLessor(0);
  const orch = new Orchestrator({ executor: ex, ...quiet, lessor, verify: noProofs });
  const tree = tinyPlan(H(80), 'tree:4');
  const chain = tinyPlan(H(81), 'chain:3');
  const first = g.next();
  const pTree = orch.submit(tinyTask(tree, file));
  pTree.catch(() => {});
  const running = await first; // a leaf of the tree, here
  assert.equal(running, tree.jobs[0].id);
  const pChain = orch.submit(tinyTask(chain, file));
  pChain.catch(() => {});
  await orch.drained();
  assert.equal(lessor.offers.length, 0, 'no agent, no lease');
  lessor.free(); // an agent joins with one lease slot
  // the nearest-root leasable job: the chain's root (the tree's root waits on the running leaf)
  assert.equal(lessor.offers.length, 1);
  assert.equal(lessor.offers[0].root, chain.root);
  assert.deepEqual(lessor.offers[0].jobs, chain.jobs.map((j) => j.id), 'the whole chain, in dependency order');
  assert.equal(lessor.offers[0].known.size, 0);
  lessor.free();
  // then the tree's untouched half: m(l2, l3) with both leaves
  const [l0, l1, l2, l3, m01, m23] = tree.jobs;
  assert.equal(lessor.offers[1].root, m23.id);
  assert.deepEqual(ids(lessor.offers[1].jobs), ids([l2, l3, m23]));
  lessor.free();
  // then what is left that does not wait on the running leaf: l1 alone
  assert.deepEqual(lessor.offers[2].jobs, [l1.id]);
  lessor.free();
  assert.equal(lessor.offers.length, 3, 'm(l0, l1) and the root wait on a running job: not leasable');
  assert.deepEqual(orch.stats(), { waiting: 2, ready: 0, running: 1, leased: 7, blocks: 2 });
  assert.ok(!ex.started.includes(l1.id) && !ex.started.includes(m01.id));
  // a block without a spec is never leased
  const plain = tinyPlan(H(82), 'chain:1');
  const task = tinyTask(plain, file);
  delete task.spec;
  const pPlain = orch.submit(task);
  pPlain.catch(() => {});
  await orch.drained();
  assert.equal(lessor.offers.length, 3);
  await orch.close();
  assert.equal(lessor.cancelled.length, 3, 'closing cancels the leases with their blocks');
  assert.equal(orch.counters.leasesCancelled, 3);
  g.release(l0.id);
});

test('a lease carries its deps\' results (known); an agent\'s results are used; a lease that ends early gives back only its unfinished jobs', async () => {
  const { file, circuit } = await tinyArtifact();
  const g = gate();
  const ex = new WitnessExecutor(1, circuit, g.hold);
  const agentEx = new WitnessExecutor(1, circuit);
  const runner = new LeaseRunner(agentEx);
  const lessor = new TestLessor(0, runner);
  const orch = new Orchestrator({ executor: ex, ...quiet, lessor, verify: noProofs });
  const fromAgents: string[] = [];
  orch.on('job:finished', (e: JobEvent) => { if (e.agent) fromAgents.push(e.jobId); });
  const a = tinyPlan(H(90), 'chain:3');
  const b = tinyPlan(H(91), 'chain:1');
  let next = g.next();
  const pA = orch.submit(tinyTask(a, file, { deadline: 5 }));
  assert.equal(await next, a.jobs[0].id);
  const pB = orch.submit(tinyTask(b, file, { deadline: 1 }));
  next = g.next();
  g.release(a.jobs[0].id);
  assert.equal(await next, b.jobs[0].id, 'the local worker takes the sooner block');
  lessor.free(); // now an agent: the rest of a (c1, c2) with c0's proof known
  assert.deepEqual(lessor.offers[0].jobs, [a.jobs[1].id, a.jobs[2].id]);
  assert.deepEqual([...lessor.offers[0].known.keys()], [a.jobs[0].id]);
  g.release(b.jobs[0].id);
  const [ra] = await Promise.all([pA, pB]);
  assert.equal(BigInt(ra.publicInputs[1]), expectedRoot(a));
  assert.deepEqual(fromAgents, [a.jobs[1].id, a.jobs[2].id]);
  assert.deepEqual(agentEx.started, [a.jobs[1].id, a.jobs[2].id], 'the agent proved only its lease');
  assert.equal(orch.counters.jobsFromAgents, 2);
  assert.equal(orch.counters.leasesDone, 1);
  assert.equal(runner.proven, 2);

  // a lease that ends after one result: the rest comes back, the received result is kept
  const gl = gate(), ga = gate();
  const ex2 = new WitnessExecutor(1, circuit, gl.hold);
  const agentEx2 = new WitnessExecutor(1, circuit, ga.hold);
  const runner2 = new LeaseRunner(agentEx2);
  const lessor2 = new TestLessor(0, runner2);
  const orch2 = new Orchestrator({ executor: ex2, ...quiet, lessor: lessor2, verify: noProofs });
  const busy = tinyPlan(H(93), 'chain:1');
  const c = tinyPlan(H(92), 'chain:3');
  let local = gl.next();
  const pBusy = orch2.submit(tinyTask(busy, file));
  assert.equal(await local, busy.root, 'the local worker is busy with another block');
  const pC = orch2.submit(tinyTask(c, file));
  await orch2.drained();
  let onAgent = ga.next();
  lessor2.free();
  assert.deepEqual(lessor2.offers[0].jobs, c.jobs.map((j) => j.id), 'the whole chain is leased');
  const gotFirst = new Promise<void>((r) => orch2.on('job:finished', (e: JobEvent) => { if (e.jobId === c.jobs[0].id) r(); }));
  const c0 = await onAgent;
  onAgent = ga.next();
  ga.release(c0); // the agent proves c0; the node receives it
  await gotFirst;
  assert.equal(await onAgent, c.jobs[1].id); // c1 running on the agent: now the agent goes silent
  lessor2.sinks.get(lessor2.offers[0].leaseId)!.end(new JobError('worker-crash', 'agent silent'));
  runner2.cancel(lessor2.offers[0].leaseId);
  assert.deepEqual(agentEx2.aborted, [c.jobs[1].id], 'the agent stopped the cancelled lease');
  local = gl.next();
  gl.release(busy.root);
  assert.equal(await local, c.jobs[1].id, 'the rest of the chain comes back to the local worker');
  local = gl.next();
  gl.release(c.jobs[1].id);
  assert.equal(await local, c.jobs[2].id);
  gl.release(c.jobs[2].id);
  const rc = await pC;
  await pBusy;
  assert.equal(BigInt(rc.publicInputs[1]), expectedRoot(c));
  assert.equal(orch2.counters.leasesReassigned, 1);
  assert.equal(orch2.counters.jobsFromAgents, 1);
  assert.ok(!ex2.started.includes(c.jobs[0].id), 'the result received from the agent is not proven again');
  assert.deepEqual(ex2.started, [busy.root, c.jobs[1].id, c.jobs[2].id]);
  await orch.close();
  await orch2.close();
  await runner.close();
  await runner2.close();
});

test('a result from an agent that fails the block\'s check is refused, counted, and the job is proven again', async () => {
  const { file, circuit } = await tinyArtifact();
  const agentEx = new WitnessExecutor(1, circuit);
  const bump = (x: string) => `0x${(BigInt(x) + 1n).toString(16).padStart(64, '0')}`;
  const runner = new LeaseRunner(agentEx, { tamper: (r) => ({ ...r, publicInputs: [r.publicInputs[0], bump(r.publicInputs[1])] }) });
  const lessor = new TestLessor(1, runner);
  const ex = new WitnessExecutor(0, circuit); // no local worker at first: the block goes to the agent
  const orch = new Orchestrator({ executor: ex, ...quiet, lessor, verify: noProofs });
  const plan = tinyPlan(H(95), 'chain:1');
  const ended = new Promise((r) => orch.on('lease:ended', r));
  const p = orch.submit(tinyTask(plan, file));
  await ended;
  assert.equal(orch.counters.badProofsFromAgents, 1);
  assert.equal(orch.counters.jobsFromAgents, 0);
  (ex as { capacity: number }).capacity = 1;
  orch.poke();
  const r = await p;
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.deepEqual(ex.started, [plan.root]);
  await orch.close();
  await runner.close();
});

