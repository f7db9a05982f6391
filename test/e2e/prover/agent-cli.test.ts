// `sidecar agent` as a real child process (node/cli/bin.js) against an in-test node on
// 127.0.0.1: it registers, takes the lease of a tiny-circuit block while the node's own
// worker is busy, proves it for real, logs progress, and stops cleanly on SIGINT. Bounded:
// every wait has a timeout and an `after` hook kills the child.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Prover } from '../../../prover/index.js';
import type { JobEvent } from '../../../prover/orchestrator.js';
import { useP2PCluster, waitFor } from '../../helpers/p2p.js';
import { SIDECAR_BIN } from '../../helpers/node-process.js';
import { expectedRoot, tinyArtifact, tinyPlan, tinyTask } from '../../unit/prover/tiny.js';

const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const TINY_TASKS = path.resolve(import.meta.dirname, '../../unit/prover/tiny.ts');
const cluster = useP2PCluster();

test('sidecar agent (a child process) proves a block the node leases to it, and stops on SIGINT', async () => {
  const { file } = await tinyArtifact();
  const node = await cluster.add();
  const prover = await Prover.start({ p2p: node, workers: 1, threads: 1, crs: { dev: true }, remote: { heartbeatMs: 200 } });
  after(() => prover.close());
  await prover.pool.warm();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-agent-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [
    SIDECAR_BIN, 'agent', '--node', node.addrs[0], '--workers', '1', '--threads', '1', '--dev-crs', '--data-dir', dir,
    '--listen', '/ip4/127.0.0.1/tcp/0', '--progress', '1', '--tasks', TINY_TASKS,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIDECAR_LOG_LEVEL: 'info' } });
  let output = '';
  let partial = '';
  const logs: Record<string, unknown>[] = [];
  const onData = (d: Buffer) => {
    output += d.toString();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try { logs.push(JSON.parse(line)); } catch { /* not a log line */ }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });

  const hub = prover.remote!;
  await waitFor(() => hub.agents.size === 1 || child.exitCode !== null, 'the agent process\'s hello', 120_000);
  assert.equal(hub.agents.size, 1, `the agent did not register: ${output.slice(-2000)}`);
  const orch = prover.orchestrator;
  const fromAgent: string[] = [];
  orch.on('job:finished', (e: JobEvent) => { if (e.agent) fromAgent.push(e.jobId); });
  const busy = tinyPlan(H(1), 'chain:1');
  const plan = tinyPlan(H(2), 'tree:2');
  const started = new Promise((r) => orch.once('job:started', r));
  const pBusy = orch.submit(tinyTask(busy, file));
  await started; // the node's worker is busy: the next block goes to the agent whole
  const [r] = await Promise.all([orch.submit(tinyTask(plan, file)), pBusy]);
  assert.equal(BigInt(r.publicInputs[1]), expectedRoot(plan));
  assert.deepEqual(fromAgent.sort(), plan.jobs.map((j) => j.id).sort(), 'the agent process proved the whole block');
  assert.equal(await prover.pool.verify({ name: 'tiny', artifact: file }, r.proof, r.publicInputs), true);
  await waitFor(() => logs.some((l) => l.msg === 'agent progress' && Number(l.proven) >= plan.jobs.length), 'a progress line with the proven jobs', 10_000);
  assert.ok(logs.some((l) => l.msg === 'prover agent started' && l.node === node.addrs[0]));
  child.kill('SIGINT');
  assert.equal(await exited, 0, output.slice(-2000));
});
