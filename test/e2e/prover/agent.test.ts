// Remote prover agents over real libp2p nodes on 127.0.0.1, proving the tiny fixture circuit
// for real: the node hands jobs to its local pool and to an agent alike; an agent that goes
// silent mid-job is dropped and its job reassigned; a proof from an agent that does not
// verify is refused and the job reproven; every block completes with a verifying proof.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { P2PNode } from '../../../node/p2p/index.js';
import { ProverAgent, startAgent as startAgentRole } from '../../../prover/agent.js';
import { Prover } from '../../../prover/index.js';
import { Orchestrator } from '../../../prover/orchestrator.js';
import { ProverPool } from '../../../prover/pool.js';
import { MultiExecutor } from '../../../prover/remote.js';
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
  const multi = new MultiExecutor(nodePool, node, { heartbeatMs: 150, missLimit: 3, requestTimeoutMs: 1000 });
  await multi.listen();
  const orch = new Orchestrator({ executor: multi, backoffMs: 20 });
  return { node, multi, orch };
}

async function startAgent(node: P2PNode, tamper?: (r: JobResult) => JobResult) {
  const p2p = await P2PNode.create(testOptions(await cluster.dataDir(), { bootstrap: [node.addrs[0]] }));
  cluster.nodes.push(p2p);
  await p2p.start();
  const pool = new ProverPool({ workers: 1, threads: 1, crs });
  after(() => pool.close());
  await pool.warm();
  const agent = await ProverAgent.start(p2p, pool, { nodePeerId: node.peerId, tamper });
  return { p2p, pool, agent };
}

async function verify(p: BlockProof): Promise<boolean> {
  const { file } = await tinyArtifact();
  return nodePool.verify({ name: 'tiny', artifact: file }, p.proof, p.publicInputs);
}

test('the node (Prover with p2p) proves a block with its pool and an agent (startAgent) together; the agent\'s proofs are verified first', async () => {
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
  const multi = prover.remote!;
  await waitFor(() => multi.agents.size === 1, 'the agent\'s hello');
  assert.equal(multi.capacity, 2);
  const plan = tinyPlan(H(1), 'tree:4');
  const r = await prover.orchestrator.submit(tinyTask(plan, file));
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.ok(agent.proven >= 1, 'the agent proved some jobs');
  assert.equal(multi.counters.proofsFromAgents, agent.proven);
  assert.equal(multi.counters.badProofsFromAgents, 0);
  assert.equal(await verify(r), true);
});

test('an agent that goes silent mid-job is dropped; its job is reassigned and the block completes', async () => {
  const { file } = await tinyArtifact();
  const { node, multi, orch } = await startNode();
  const { p2p, agent } = await startAgent(node);
  await waitFor(() => multi.agents.size === 1, 'the agent\'s hello');
  const plan = tinyPlan(H(2), 'tree:4');
  const p = orch.submit(tinyTask(plan, file));
  await waitFor(() => agent.jobs.size > 0, 'a job on the agent');
  await p2p.stop(); // the agent disappears (process killed, network gone)
  const r = await p;
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.equal(multi.counters.agentsDropped, 1);
  assert.equal(multi.agents.size, 0);
  assert.ok(orch.counters.workerCrashes >= 1, 'the agent\'s job failed as a crash and was retried');
  assert.equal(await verify(r), true);
  await orch.close();
});

test('a proof from an agent that does not verify is refused; the job is proven again', async () => {
  const { file } = await tinyArtifact();
  const { node, multi, orch } = await startNode();
  const bump = (x: string) => `0x${(BigInt(x) + 1n).toString(16).padStart(64, '0')}`;
  const { agent } = await startAgent(node, (r) => ({ ...r, publicInputs: [r.publicInputs[0], bump(r.publicInputs[1])] }));
  await waitFor(() => multi.agents.size === 1, 'the agent\'s hello');
  const plan = tinyPlan(H(3), 'tree:2');
  const r = await orch.submit(tinyTask(plan, file));
  assert.ok(agent.proven >= 1);
  assert.equal(multi.counters.badProofsFromAgents, 1);
  assert.equal(multi.counters.proofsFromAgents, 0);
  assert.equal(multi.counters.agentsDropped, 1, 'an agent that lies is dropped');
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.equal(await verify(r), true);
  await orch.close();
});
