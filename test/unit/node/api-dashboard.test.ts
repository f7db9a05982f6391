// The dashboard's API on a real node:http server: the page and its files with their content
// types; a block's proof tree (GET /proving/tree/:blockHash) following a real orchestrator over
// the tiny fixture circuit (executed with noir_js): jobs waiting, running, failed and retried,
// done, the block done; the same changes as server-sent events on GET /events (tree, job), with
// heartbeats; jobs leased to a remote agent (a real LeaseRunner, in process) show the agent; a
// client that goes away is removed, one that stops reading is dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SseHub } from '../../../node/api/events.js';
import { assetRoutes, treeRoutes } from '../../../node/api/dashboard.js';
import { startApiServer, type ApiServer } from '../../../node/api/server.js';
import { ProofTrees, type ProofTree, type TreeUpdate } from '../../../node/api/tree.js';
import { createLogger } from '../../../node/log.js';
import { LeaseRunner } from '../../../prover/agent.js';
import { Orchestrator } from '../../../prover/orchestrator.js';
import { TestLessor, WitnessExecutor, tinyArtifact, tinyPlan, tinyTask } from '../prover/tiny.js';
import { waitFor } from '../../helpers/p2p.js';

const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

/** Reads server-sent events from `url` (a plain http client, as EventSource reads them). */
function sse(url: string) {
  const frames: { event?: string; data?: string; comment?: string; retry?: string }[] = [];
  let buf = '';
  let res: http.IncomingMessage | undefined;
  const req = http.get(url, (r) => {
    res = r;
    r.setEncoding('utf8');
    r.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f: (typeof frames)[number] = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) f.comment = line.slice(1).trim();
          else if (line.startsWith('event: ')) f.event = line.slice(7);
          else if (line.startsWith('data: ')) f.data = line.slice(6);
          else if (line.startsWith('retry: ')) f.retry = line.slice(7);
        }
        frames.push(f);
      }
    });
    r.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  return {
    frames,
    get res() { return res; },
    events: (name: string) => frames.filter((f) => f.event === name).map((f) => JSON.parse(f.data!) as unknown),
    close: () => req.destroy(),
  };
}

async function serve(t: { after(f: () => unknown): void }, hub: SseHub, trees?: ProofTrees): Promise<ApiServer> {
  const api = await startApiServer({
    host: '127.0.0.1', port: 0, log: createLogger('test'),
    routes: [...assetRoutes(), { method: 'GET', pattern: '/events', handler: () => hub.reply(() => ({ hello: true })) }, ...treeRoutes(trees)],
  });
  t.after(() => { hub.close(); return api.close(); });
  return api;
}

test('the page and its files are served with their content types, offline (no external URL)', async (t) => {
  const api = await serve(t, new SseHub());
  const page = await fetch(`${api.url}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await page.text();
  assert.match(html, /<script src="\/dashboard\/dashboard.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/dashboard\/dashboard.css">/);
  const js = await fetch(`${api.url}/dashboard/dashboard.js`);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  const jsText = await js.text();
  assert.match(jsText, /new EventSource\('\/events'\)/);
  const css = await fetch(`${api.url}/dashboard/dashboard.css`);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const cssText = await css.text();
  for (const text of [html, jsText, cssText]) assert.doesNotMatch(text, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'nothing loaded from elsewhere');
  const missing = await fetch(`${api.url}/dashboard/..%2Fserver.ts`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
});

test('a block\'s proof tree follows the orchestrator (running, retried, done) on GET /proving/tree and as server-sent events', async (t) => {
  const { file, circuit } = await tinyArtifact();
  const held = new Map<string, () => void>();
  const ex = new WitnessExecutor(1, circuit, (id) => new Promise<void>((r) => held.set(id, r)));
  const orch = new Orchestrator({ executor: ex, jobTimeoutMs: 60_000, backoffMs: 5 });
  t.after(() => orch.close());
  const trees = new ProofTrees(orch);
  t.after(() => trees.close());
  const hub = new SseHub({ heartbeatMs: 50 });
  trees.on('update', (u: TreeUpdate) => hub.publish(u.kind, u));
  const api = await serve(t, hub, trees);
  const client = sse(`${api.url}/events`);
  t.after(() => client.close());
  await waitFor(() => client.frames.some((f) => f.event === 'hello'), 'the hello event');
  assert.equal(client.res?.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(client.frames[0].retry, '2000', 'the reconnect delay first');
  await waitFor(() => client.frames.some((f) => f.comment === 'heartbeat'), 'a heartbeat');

  const plan = tinyPlan(H(7), 'chain:3');
  const tree = async () => {
    const r = await fetch(`${api.url}/proving/tree/${plan.blockHash}`);
    assert.equal(r.status, 200);
    return (await r.json()) as ProofTree;
  };
  ex.failNext = { code: 'worker-crash', times: 1 };
  const done = orch.submit(tinyTask(plan, file));
  const [first, second, root] = plan.jobs.map((j) => j.id);
  assert.equal(plan.root, root);

  // the first job runs, its dependents wait
  await waitFor(() => held.has(first), 'the first job running');
  let tr = await tree();
  assert.equal(tr.status, 'proving');
  assert.equal(tr.slot, Number(plan.slot));
  assert.deepEqual(tr.jobs.map((j) => j.id), [first, second, root], 'dependency order, root last');
  assert.deepEqual(tr.jobs.map((j) => j.state), ['running', 'waiting', 'waiting']);
  assert.equal(tr.jobs[0].where, 'local');
  assert.equal(tr.jobs[0].attempts, 1);
  assert.deepEqual(tr.jobs[1].deps, [first]);

  // its first attempt fails (injected worker crash) and is retried
  held.get(first)!();
  held.delete(first);
  await waitFor(() => held.has(first), 'the first job\'s second attempt');
  tr = await tree();
  assert.equal(tr.jobs[0].state, 'running');
  assert.equal(tr.jobs[0].attempts, 2);
  assert.equal(tr.jobs[0].failures, 1);
  assert.match(tr.jobs[0].lastError!, /injected worker-crash/);

  for (const id of [first, second, root]) {
    await waitFor(() => held.has(id), `job ${id.slice(0, 8)} running`);
    held.get(id)!();
    held.delete(id);
  }
  await done;
  await waitFor(async () => (await tree()).status === 'done', 'the tree done');
  tr = await tree();
  assert.deepEqual(tr.jobs.map((j) => j.state), ['done', 'done', 'done']);
  for (const j of tr.jobs) {
    assert.ok(j.startedAt! <= j.endedAt!, 'times in order');
    assert.equal(typeof j.ms, 'number');
  }
  assert.ok(tr.endedAt! >= tr.startedAt);

  // the same story as events: the tree, each job's changes in order, the tree done
  await waitFor(() => client.events('tree').length >= 2, 'the tree events');
  const treeEvents = client.events('tree') as Extract<TreeUpdate, { kind: 'tree' }>[];
  assert.deepEqual(treeEvents.map((e) => [e.tree.blockHash, e.tree.status]), [[plan.blockHash, 'proving'], [plan.blockHash, 'done']]);
  assert.deepEqual(treeEvents[1].tree, { ...treeEvents[1].tree, jobs: 3, done: 3, running: 0, failures: 1 });
  const jobEvents = client.events('job') as Extract<TreeUpdate, { kind: 'job' }>[];
  assert.deepEqual(jobEvents.filter((e) => e.job.id === first).map((e) => e.job.state), ['running', 'retrying', 'running', 'done']);
  assert.deepEqual(jobEvents.filter((e) => e.job.id === root).map((e) => e.job.state), ['running', 'done']);

  const list = (await (await fetch(`${api.url}/proving/trees`)).json()) as { trees: { blockHash: string; status: string }[] };
  assert.deepEqual(list.trees.map((x) => [x.blockHash, x.status]), [[plan.blockHash, 'done']]);
  assert.equal((await fetch(`${api.url}/proving/tree/${H(8)}`)).status, 404);
  assert.equal((await fetch(`${api.url}/proving/tree/0x12`)).status, 400);

  // a client that goes away is removed
  assert.equal(hub.size, 1);
  client.close();
  await waitFor(() => hub.size === 0, 'the closed client removed');
  assert.equal(hub.stats.disconnected, 1);
});

test('jobs leased to a remote agent show which agent, leased then done; the local block shows the local pool', async (t) => {
  const { file, circuit } = await tinyArtifact();
  const local = new Map<string, () => void>(), remote = new Map<string, () => void>();
  const ex = new WitnessExecutor(1, circuit, (id) => new Promise<void>((r) => local.set(id, r)));
  const agentEx = new WitnessExecutor(1, circuit, (id) => new Promise<void>((r) => remote.set(id, r)));
  const lessor = new TestLessor(0, new LeaseRunner(agentEx));
  // the WitnessExecutor makes no proofs: nothing for bb.js to verify (tinyTask's check still runs)
  const orch = new Orchestrator({ executor: ex, jobTimeoutMs: 60_000, backoffMs: 5, lessor, verify: async () => true });
  t.after(() => orch.close());
  const trees = new ProofTrees(orch);
  t.after(() => trees.close());
  const api = await serve(t, new SseHub(), trees);
  const tree = async (hash: string) => (await (await fetch(`${api.url}/proving/tree/${hash}`)).json()) as ProofTree;
  const a = tinyPlan(H(20), 'chain:1');
  const b = tinyPlan(H(21), 'chain:2');
  const pa = orch.submit(tinyTask(a, file));
  await waitFor(() => local.has(a.jobs[0].id), 'block a running here');
  const pb = orch.submit(tinyTask(b, file)); // the local pool is full: b waits
  lessor.free(); // an agent with one lease slot joins: b goes to it whole
  await waitFor(() => remote.has(b.jobs[0].id), 'block b\'s first job on the agent');
  let tb = await tree(b.blockHash);
  assert.deepEqual(tb.jobs.map((j) => [j.state, j.where, j.agent]), [['leased', 'agent', 'in-process'], ['leased', 'agent', 'in-process']]);
  remote.get(b.jobs[0].id)!();
  await waitFor(() => remote.has(b.jobs[1].id), 'block b\'s second job on the agent');
  remote.get(b.jobs[1].id)!();
  local.get(a.jobs[0].id)!();
  await Promise.all([pa, pb]);
  tb = await tree(b.blockHash);
  assert.equal(tb.status, 'done');
  assert.deepEqual(tb.jobs.map((j) => [j.state, j.where, j.agent]), [['done', 'agent', 'in-process'], ['done', 'agent', 'in-process']]);
  for (const j of tb.jobs) assert.equal(typeof j.ms, 'number', 'the lease\'s time per job');
  const ta = await tree(a.blockHash);
  assert.deepEqual(ta.jobs.map((j) => [j.state, j.where, j.agent]), [['done', 'local', undefined]]);
});

test('a client that stops reading is dropped once its buffer is full; the others keep theirs', async (t) => {
  const hub = new SseHub({ maxBuffered: 1024 * 1024, heartbeatMs: 60_000 });
  const api = await serve(t, hub);
  const reader = sse(`${api.url}/events`);
  t.after(() => reader.close());
  // a client whose socket is never read: the kernel buffers fill, then the hub's
  let stalled: http.IncomingMessage | undefined;
  const req = http.get(`${api.url}/events`, (r) => { stalled = r; r.pause(); });
  req.on('error', () => undefined);
  t.after(() => req.destroy());
  await waitFor(() => hub.size === 2 && stalled !== undefined && reader.frames.length > 0, 'two clients');
  const big = 'x'.repeat(16 * 1024);
  let sent = 0;
  // bounded: kernel socket buffers on loopback are a few MB at most
  while (hub.stats.dropped === 0 && sent < 4000) {
    hub.publish('event', { n: sent++, big });
    await new Promise((r) => setTimeout(r, 1)); // the reading client reads meanwhile
  }
  assert.equal(hub.stats.dropped, 1, `the stalled client dropped (after ${sent} events)`);
  assert.equal(hub.size, 1);
  await waitFor(() => reader.events('event').length === sent, 'every event at the reading client');
  assert.deepEqual(reader.events('event').map((e) => (e as { n: number }).n), Array.from({ length: sent }, (_, i) => i), 'in order, none lost');
});
