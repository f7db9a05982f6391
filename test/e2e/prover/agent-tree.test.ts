// A subtree of a real proof tree leased to a remote agent (INSECURE dev CRS): a 32-tx block
// planned as 4 base_8 leaves -> merge[0,16), merge[16,32) -> block_root. The node (one worker)
// is proving the first leaf when the agent joins, so the best leasable unit is the right
// subtree {base_8[16,24), base_8[24,32), merge[16,32)} (nearest the root with every dep
// leasable): the agent rebuilds the rollup task from its spec (pre-state, txs, the tree's vk
// hashes), proves the subtree, and the node verifies each returned proof with bb and checks its
// public inputs and vk hash before its block root uses the agent's merge proof. Slow: four
// 2^18 and three 2^21 proofs, two of them at once (~5-8 min on 2 cores).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_COST_MODEL, blockWitness } from '../../../circuits/plan.js';
import { P2PNode } from '../../../node/p2p/index.js';
import { startAgent } from '../../../prover/agent.js';
import { Prover, rollupPlan } from '../../../prover/index.js';
import type { JobEvent, LeaseEvent } from '../../../prover/orchestrator.js';
import { TEST_RECIPIENT, makeL2 } from '../../helpers/l2.js';
import { testOptions, useP2PCluster, waitFor } from '../../helpers/p2p.js';

const crs = { dev: true };
const cluster = useP2PCluster();
const base8Tree = { ...DEFAULT_COST_MODEL, circuits: DEFAULT_COST_MODEL.circuits.filter((c) => ['base_8', 'merge', 'block_root'].includes(c.name)) };

test('a subtree (two leaves and their merge) leased to an agent; the node verifies it and finishes the block root', { timeout: 1_500_000 }, async () => {
  const node = await cluster.add();
  const prover = await Prover.start({ p2p: node, workers: 1, threads: 1, crs, costModel: base8Tree, remote: { heartbeatMs: 250 } });
  after(() => prover.close());
  const orch = prover.orchestrator;
  const l2 = await makeL2(4);
  const pre = l2.state.clone();
  const built = l2.buildBlock(21n, 32);
  const block = { blockHash: `0x${'a7'.repeat(32)}`, slot: 21n, preState: pre, txs: built.signed, recipient: TEST_RECIPIENT, deadline: 50 };
  const plan = rollupPlan(block, base8Tree);
  assert.deepEqual(plan.jobs.map((j) => `${j.circuit}[${j.txRange}]`),
    ['base_8[0,8]', 'base_8[8,16]', 'base_8[16,24]', 'base_8[24,32]', 'merge[0,16]', 'merge[16,32]', 'block_root[0,32]']);
  const leases: LeaseEvent[] = [];
  orch.on('lease:started', (e: LeaseEvent) => leases.push(e));
  const fromAgent: string[] = [];
  orch.on('job:finished', (e: JobEvent) => { if (e.agent) fromAgent.push(`${e.circuit}:${e.jobId}`); });
  // the node's one worker takes the first leaf; then the agent joins
  const started = new Promise<JobEvent>((r) => orch.once('job:started', r));
  const proving = prover.proveBlock(block);
  assert.equal((await started).jobId, plan.jobs[0].id);

  const p2p = await P2PNode.create(testOptions(await cluster.dataDir(), { bootstrap: [node.addrs[0]] }));
  cluster.nodes.push(p2p);
  await p2p.start();
  const { agent, stop } = await startAgent({ p2p, nodePeerId: node.peerId, workers: 1, threads: 1, crs });
  after(stop);
  await waitFor(() => prover.remote!.agents.size === 1, 'the agent\'s hello', 60_000);

  const p = await proving;
  const right = plan.jobs[5];
  assert.ok(leases.length >= 1, 'the agent got a lease');
  assert.equal(leases[0].root, right.id, 'the lease is the right subtree, rooted at merge[16,32)');
  assert.deepEqual(new Set(leases[0].jobs), new Set([plan.jobs[2].id, plan.jobs[3].id, right.id]), 'with its two leaves');
  assert.ok(fromAgent.includes(`merge:${right.id}`), `the agent proved the right merge (${fromAgent.join(', ')})`);
  assert.equal(agent.proven, 3);
  assert.equal(orch.counters.jobsFromAgents, 3);
  assert.equal(orch.counters.badProofsFromAgents, 0);
  assert.equal(p.circuit, 'block_root');
  const w = blockWitness(pre, 21n, built.signed);
  assert.deepEqual(p.publicInputs.map(BigInt), [w.slot, w.startRoot, w.endRoot, w.txsCommitment, BigInt(TEST_RECIPIENT)]);
  assert.equal(await prover.verify(p), true, 'the block root over the node\'s and the agent\'s merges verifies');
});
