// A real rollup block (single_1, 2^17, INSECURE dev CRS) proven by a remote agent: the node's
// only worker is busy with a block that cannot leave (no spec), so the rollup block is leased
// whole; the agent rebuilds the task from its 'rollup' spec (pre-state + txs over the wire),
// proves it, and the node verifies the proof with bb.js and checks its public inputs before
// using it. The one real rollup proof of the agent tests (~10 s).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { blockWitness } from '../../../circuits/plan.js';
import { P2PNode } from '../../../node/p2p/index.js';
import { startAgent } from '../../../prover/agent.js';
import { Prover } from '../../../prover/index.js';
import type { JobEvent } from '../../../prover/orchestrator.js';
import { TEST_RECIPIENT, makeL2 } from '../../helpers/l2.js';
import { testOptions, useP2PCluster, waitFor } from '../../helpers/p2p.js';
import { tinyArtifact, tinyPlan, tinyTask } from '../../unit/prover/tiny.js';

const crs = { dev: true };
const cluster = useP2PCluster();

test('a rollup block leased to an agent is proven there from its spec, verified and checked by the node', async () => {
  const { file } = await tinyArtifact();
  const node = await cluster.add();
  const prover = await Prover.start({ p2p: node, workers: 1, threads: 1, crs, remote: { heartbeatMs: 250 } });
  after(() => prover.close());
  const p2p = await P2PNode.create(testOptions(await cluster.dataDir(), { bootstrap: [node.addrs[0]] }));
  cluster.nodes.push(p2p);
  await p2p.start();
  const { agent, stop } = await startAgent({ p2p, nodePeerId: node.peerId, workers: 1, threads: 1, crs });
  after(stop);
  await waitFor(() => prover.remote!.agents.size === 1, 'the agent\'s hello', 30_000);
  const orch = prover.orchestrator;
  const fromAgent: string[] = [];
  orch.on('job:finished', (e: JobEvent) => { if (e.agent) fromAgent.push(e.circuit); });
  // the node's worker: busy with a block that never leaves (no spec)
  const local = tinyTask(tinyPlan(`0x${'ee'.repeat(32)}`, 'chain:4'), file);
  delete local.spec;
  const started = new Promise((r) => orch.once('job:started', r));
  const pLocal = orch.submit(local);
  await started;
  const l2 = await makeL2(4);
  const pre = l2.state.clone();
  const built = l2.buildBlock(9n, 1);
  const [p] = await Promise.all([prover.proveBlock({ blockHash: `0x${'a9'.repeat(32)}`, slot: 9n, preState: pre, txs: built.signed, recipient: TEST_RECIPIENT }), pLocal]);
  assert.equal(p.circuit, 'single_1');
  assert.deepEqual(fromAgent, ['single_1'], 'the agent proved the rollup block');
  assert.equal(agent.proven, 1);
  assert.equal(orch.counters.jobsFromAgents, 1);
  assert.equal(orch.counters.badProofsFromAgents, 0);
  const w = blockWitness(pre, 9n, built.signed);
  assert.deepEqual(p.publicInputs.slice(0, 4).map(BigInt), [w.slot, w.startRoot, w.endRoot, w.txsCommitment]);
  assert.equal(await prover.verify(p), true);
});
