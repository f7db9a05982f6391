// Remote prover agents over real libp2p nodes on 127.0.0.1, proving the tiny fixture circuit
// for real: the node leases a whole block to an agent while its own pool proves another; an
// agent that disconnects mid-subtree is dropped and the rest of its lease is reassigned (the
// results it already returned are not proven again); a proof from an agent that does not
// verify is refused, the agent dropped, and the job reproven. Every block completes with a
// proof that verifies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { P2PNode } from '../../../node/p2p/index.js';
import { ProverAgent, startAgent as startAgentRole } from '../../../prover/agent.js';
import { Prover } from '../../../prover/index.js';
import { Orchestrator, type JobEvent } from '../../../prover/orchestrator.js';
import { ProverPool } from '../../../prover/pool.js';
import { AgentHub } from '../../../prover/remote.js';
import type { BlockProof, JobResult } from '../../../prover/types.js';
import { testOptions, useP2PCluster, waitFor } from '../../helpers/p2p.js';
import { expectedRoot, tinyArtifact, tinyPlan, tinyTask } from '../../unit/prover/tiny.js';

const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const crs = { dev: true };
const cluster = useP2PCluster();
const nodePool = new ProverPool({ workers: 1, threads: 1, crs });
after(() => nodePool.close());

async function startNode() {
  const node = await cluster.add();
  const hub = new AgentHub(node, { heartbeatMs: 150, missLimit: 3, requestTimeoutMs: 1000 });
  await hub.listen();
  const orch = new Orchestrator({ executor: nodePool, backoffMs: 20, lessor: hub, verify: (c, p, pi) => nodePool.verify(c, p, pi) });
  return { node, hub, orch };
}

async function startAgent(node: P2PNode, tamper?: (r: JobResult) => JobResult) {
  const p2p = await P2PNode.create(testOptions(await cluster.dataDir(), { bootstrap: [node.addrs[0]] }));
  cluster.nodes.push(p2p);
  await p2p.start();
  const pool = new ProverPool({ workers: 1, threads: 1, crs });
  after(() => pool.close());
  await pool.warm();
  const agent = await ProverAgent.start(p2p, pool, { nodePeerId: node.peerId, tamper });
  after(() => agent.stop());
  return { p2p, pool, agent };
}

async function verify(p: BlockProof): Promise<boolean> {
  const { file } = await tinyArtifact();
  return nodePool.verify({ name: 'tiny', artifact: file }, p.proof, p.publicInputs);
}

/** Job ids the node proved itself (job:started is local only) and those it took from agents. */
function track(orch: Orchestrator) {
  const local: string[] = [], fromAgents: string[] = [];
  orch.on('job:started', (e: JobEvent) => local.push(e.jobId));
  orch.on('job:finished', (e: JobEvent) => { if (e.agent) fromAgents.push(e.jobId); });
  return { local, fromAgents };
}

test('a whole block is leased to an agent (`startAgent`, the `sidecar agent` role) while the node\'s pool proves another; both complete and verify', async () => {
  const { file } = await tinyArtifact();
  await nodePool.warm();
  const node = await cluster.add();
  const prover = await Prover.start({ p2p: node, workers: 1, threads: 1, crs, remote: { heartbeatMs: 150 } });
  after(() => prover.close());
  const p2p = await P2PNode.create(testOptions(await cluster.dataDir(), { bootstrap: [node.addrs[0]] }));
  cluster.nodes.push(p2p);
  await p2p.start();
  const { agent, stop } = await startAgentRole({ p2p, nodePeerId: node.peerId, workers: 1, threads: 1, crs });
  after(stop);
  const hub = prover.remote!;
  await waitFor(() => hub.agents.size === 1, 'the agent\'s hello');
  assert.equal(hub.free, 1, 'one lease slot per agent worker');
  const orch = prover.orchestrator;
  const seen = track(orch);
  const a = tinyPlan(H(1), 'chain:3');
  const b = tinyPlan(H(2), 'tree:4');
  const startedA = new Promise((r) => orch.once('job:started', r));
  const pA = orch.submit(tinyTask(a, file, { deadline: 1 }));
  await startedA; // the node's only worker proves a's first segment: nothing of a is leasable now
  const pB = orch.submit(tinyTask(b, file, { deadline: 2 }));
  const [ra, rb] = await Promise.all([pA, pB]);
  assert.equal(BigInt(ra.publicInputs[1]), expectedRoot(a));
  assert.equal(BigInt(rb.publicInputs[1]), expectedRoot(b));
  assert.deepEqual([...seen.fromAgents].filter((id) => b.jobs.some((j) => j.id === id)).sort(), b.jobs.map((j) => j.id).sort(), 'the agent proved all of b');
  assert.ok(b.jobs.every((j) => !seen.local.includes(j.id)), 'the node proved none of b');
  assert.equal(orch.counters.jobsFromAgents, agent.proven);
  assert.ok(orch.counters.leasesSent >= 1 && orch.counters.leasesDone >= 1);
  assert.equal(orch.counters.badProofsFromAgents, 0);
  assert.equal(await verify(ra), true);
  assert.equal(await verify(rb), true);
});

test('an agent that disconnects mid-subtree is dropped; the rest of its lease is reassigned, what it returned is not proven again', async () => {
  const { file } = await tinyArtifact();
  const { node, hub, orch } = await startNode();
  const { p2p, agent } = await startAgent(node);
  await waitFor(() => hub.agents.size === 1, 'the agent\'s hello');
  const seen = track(orch);
  const busy = tinyPlan(H(3), 'chain:1');
  const plan = tinyPlan(H(4), 'chain:3');
  orch.on('job:finished', (e: JobEvent) => {
    // the first proof from the agent reached the node: the agent disappears (killed, network gone)
    if (e.agent && e.jobId === plan.jobs[0].id) void p2p.stop();
  });
  const startedBusy = new Promise((r) => orch.once('job:started', r));
  const pBusy = orch.submit(tinyTask(busy, file));
  await startedBusy;
  const p = orch.submit(tinyTask(plan, file));
  const [r] = await Promise.all([p, pBusy]);
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.ok(seen.fromAgents.includes(plan.jobs[0].id));
  assert.ok(!seen.local.includes(plan.jobs[0].id), 'the result received from the agent was not proven again');
  assert.ok(seen.local.includes(plan.root), 'the rest was proven by the node');
  assert.ok(agent.proven >= 1);
  assert.equal(orch.counters.leasesReassigned, 1);
  assert.equal(hub.counters.agentsDropped, 1);
  assert.equal(hub.agents.size, 0);
  assert.equal(r.proven, plan.jobs.length, 'every job proven once (by the agent or the node)');
  const inPlan = (ids: string[]) => ids.filter((id) => plan.jobs.some((j) => j.id === id));
  assert.equal(inPlan(seen.local).length + inPlan(seen.fromAgents).length, plan.jobs.length, 'no job of the block proven twice');
  assert.equal(new Set(inPlan(seen.local)).size, inPlan(seen.local).length);
  assert.equal(await verify(r), true);
  await orch.close();
});

test('a proof from an agent that does not verify is refused (counted), the agent dropped, the job proven again', async () => {
  const { file } = await tinyArtifact();
  const { node, hub, orch } = await startNode();
  const bump = (x: string) => `0x${(BigInt(x) + 1n).toString(16).padStart(64, '0')}`;
  const { agent } = await startAgent(node, (r) => ({ ...r, publicInputs: [r.publicInputs[0], bump(r.publicInputs[1])] }));
  await waitFor(() => hub.agents.size === 1, 'the agent\'s hello');
  const seen = track(orch);
  const busy = tinyPlan(H(5), 'chain:1');
  const plan = tinyPlan(H(6), 'chain:1');
  const startedBusy = new Promise((r) => orch.once('job:started', r));
  const pBusy = orch.submit(tinyTask(busy, file));
  await startedBusy;
  const [r] = await Promise.all([orch.submit(tinyTask(plan, file)), pBusy]);
  assert.equal(agent.proven, 1);
  assert.equal(orch.counters.badProofsFromAgents, 1);
  assert.equal(orch.counters.jobsFromAgents, 0);
  assert.equal(hub.counters.agentsDropped, 1, 'an agent that lies is dropped');
  assert.ok(seen.local.includes(plan.root), 'the job was proven again by the node');
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.equal(await verify(r), true);
  await agent.hello(1).then(() => assert.fail('a banned agent\'s hello is refused'), (e: Error) => assert.match(e.message, /could not register/));
  assert.ok(hub.counters.agentsRefused >= 1);
  await orch.close();
});
