// kill -9 a prover mid-tree and restart it: it finishes from the persisted proofs (issue 6).
// Real parts only: anvil, the protocol with the generated UltraHonk verifier of final_8 behind
// HonkVerifierRouter (INSECURE dev CRS), and `sidecar node` (prover + submitter roles, LevelDB
// data dir, one single-threaded prover worker) as a child process. A 33-tx block (plan:
// first_32 -> final_8, two 2^20 proofs) is proposed, revealed and committed to the node on L1.
// Once the node's first_32 proof is persisted (its 'proving 1/2' event, after the store write)
// and final_8 is proving, the process is SIGKILLed, then started again on the same data dir: it
// resumes the block, reuses first_32 from the store (counted in its metrics), proves only
// final_8, submits it, and L1 marks the block proven with the submitter's reward credited.
// Slow (~3-4 min on 2 cores: first_32, final_8, and the killed part of a final_8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Store } from '../../../node/storage/index.js';
import { rollupPlan } from '../../../prover/index.js';
import { makeL2 } from '../../helpers/l2.js';
import { SIDECAR_BIN, parseMetric, startNodeProcess, useNodeFiles, type NodeProcess } from '../../helpers/node-process.js';
import { useProtocol } from '../../helpers/protocol.js';

const E18 = 10n ** 18n;
const TXS = 33;
const l2 = await makeL2(4);
const genesis = l2.keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 1_000_000n }));
// a proving window of 3000 L1 blocks at 1 s per block: the deadline cannot pass during the test
const fx = await useProtocol({
  params: {
    genesisRoot: l2.genesisRoot, proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 3000, submissionBlocks: 8,
    earlyProofs: true, reorgWindow: 8, activationDelay: 1,
  },
  accounts: 3,
  honkCircuits: ['final_8'],
});
const [admin, seq] = fx.clients;
const proverKey = fx.wallets[2];
const { root, depFile, genesisFile } = useNodeFiles('sidecar-restart-prover-', fx.deployment, genesis);

function nodeArgs(dataDir: string): string[] {
  return [
    '--data-dir', dataDir, '--roles', 'prover,submitter', '--deployment-file', depFile, '--genesis', genesisFile,
    '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--prover-workers', '1', '--prover-threads', '1', '--dev-crs', 'true', '--confirmations', '1',
  ];
}
/** A per-circuit sample of a node's /metrics (0 when the series does not exist yet). */
const metric = (text: string, name: string, circuit: string) => parseMetric(text, name, { circuit }) ?? 0;
const nodeEnv = {
  SIDECAR_L1_RPC_URL: fx.anvil.rpcUrl, SIDECAR_L1_WS_URL: fx.anvil.wsUrl, SIDECAR_PRIVATE_KEY: proverKey.privateKey, SIDECAR_METRICS_PORT: '-1',
};

test('sidecar node: a corrupt data directory is a clear error (exit 2, no stack trace)', { timeout: 120_000 }, async () => {
  const dir = path.join(root, 'corrupt');
  const db = path.join(dir, 'db');
  // a real LevelDB written by the node's store, then its MANIFEST overwritten
  mkdirSync(db, { recursive: true });
  const s = await Store.open(db);
  await s.close();
  for (const f of readdirSync(db)) if (f.startsWith('MANIFEST-')) writeFileSync(path.join(db, f), 'garbage, not a LevelDB manifest');
  const r = spawnSync(process.execPath, [SIDECAR_BIN, 'node', ...nodeArgs(dir), '--api-port', '-1'], { env: { ...process.env, ...nodeEnv }, encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`database ${db.replace(/[/.]/g, '\\$&')} is corrupt .*move it aside to start fresh`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('kill -9 a prover mid-tree (first_32 persisted, final_8 proving); the restarted node reuses first_32, proves final_8, and L1 verifies the block', { timeout: 900_000 }, async (t) => {
  const tStart = Date.now();
  const P = proverKey.address;
  // ---- a 33-tx block proposed, revealed and committed to the node's key (sequencer-funded deposit)
  await seq.stake(1000n * E18);
  await fx.mine(2);
  const slot = (await admin.currentSlot()) + 1n;
  const block = l2.buildBlock(slot, TXS);
  const plan = rollupPlan({ blockHash: `0x${'00'.repeat(32)}`, slot, txs: block.signed });
  assert.deepEqual(plan.jobs.map((j) => j.circuit), ['first_32', 'final_8'], 'the cheapest plan of two jobs');
  await fx.nextTxAt(slot, 'proposalStart');
  await seq.propose(slot, block, 1n * E18, 2000);
  await fx.nextTxAt(slot, 'revealStart');
  await seq.reveal(block);
  await fx.nextTxAt(slot, 'commitStart');
  await seq.commitProver(slot, P, fx.deployment.config.minProverDeposit);
  const timing = await admin.slotTiming(slot);
  await fx.mineTo(timing.commitEnd);
  assert.equal((await admin.getBlock(slot)).prover, P);
  assert.equal(await admin.creditOf(P), 0n);
  // from now on L1 moves by itself: 1 s blocks (the deadline is ~3000 s away)
  await fx.provider.send('evm_setIntervalMining', [1]);

  // ---- first run: wait until first_32's proof is persisted and final_8 is proving, then kill -9
  const dataDir = path.join(root, 'node');
  const first: NodeProcess = await startNodeProcess(nodeArgs(dataDir), nodeEnv);
  const slotN = Number(slot);
  const provingLine = (done: number) => (l: { event?: unknown; msg?: string }) => l.event === 'proving' && l.msg === `slot ${slotN}: proving ${done}/2 jobs`;
  await first.waitForLog(provingLine(0), 120_000, 'the node starting to prove the block');
  // 'proving 1/2' is emitted after the orchestrator persisted first_32's proof
  await first.waitForLog(provingLine(1), 480_000, "first_32's proof");
  const m1 = await first.metricsText();
  assert.equal(metric(m1, 'sidecar_proofs_finished_total', 'first_32'), 1, 'first run: first_32 proven once');
  assert.equal(metric(m1, 'sidecar_proofs_started_total', 'final_8'), 1, 'first run: final_8 started');
  assert.equal(metric(m1, 'sidecar_proofs_finished_total', 'final_8'), 0, 'first run: final_8 still proving');
  const first32Sec = metric(m1, 'sidecar_proof_seconds_sum', 'first_32');
  assert.equal(parseMetric(m1, 'sidecar_prover_jobs', { state: 'running' }), 1, 'first run: final_8 is running in the pool');
  await first.kill9(); // the whole process: main thread and prover worker
  assert.equal((await first.exited).signal, 'SIGKILL');
  assert.notEqual(await admin.blockStatus(slot), 'Proven', 'not proven before the restart');

  // ---- second run on the same data dir
  const tRestart = Date.now();
  const second = await startNodeProcess(nodeArgs(dataDir), nodeEnv);
  await second.waitForLog((l) => String(l.msg).startsWith('resuming a block whose proving was interrupted') && l.slot === slotN, 120_000, 'the resumed block');
  const proven = await second.waitForLog((l) => l.msg === 'block proven' && l.slot === slotN, 480_000, 'the block proven after the restart');
  assert.equal(proven.circuit, 'final_8');
  assert.equal(proven.reused, 1, 'first_32 came from the store');
  assert.equal(proven.jobs, 1, 'only final_8 was proven after the restart');
  // the submitter races it to L1 (the router's final_8 verifier checks it)
  let status = await admin.blockStatus(slot);
  for (let i = 0; i < 240 && status !== 'Proven'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    status = await admin.blockStatus(slot);
  }
  assert.equal(status, 'Proven', `the block is verified on L1:\n${second.output()}`);
  const tVerified = Date.now();

  const m2 = await second.metricsText();
  const counter = (name: string) => parseMetric(m2, 'sidecar_prover_events_total', { event: name });
  assert.equal(counter('jobsReusedFromStore'), 1, 'counted: first_32 reused from the store');
  assert.equal(counter('jobsFailed'), 0);
  assert.equal(metric(m2, 'sidecar_proofs_started_total', 'first_32'), 0, 'no second first_32 proof');
  assert.equal(metric(m2, 'sidecar_proofs_started_total', 'final_8'), 1);
  assert.equal(metric(m2, 'sidecar_proofs_finished_total', 'final_8'), 1);
  const final8Sec = metric(m2, 'sidecar_proof_seconds_sum', 'final_8');
  const api = (await (await fetch(`${second.api}/proving`)).json()) as { finished: { slot: number; circuit: string }[] };
  assert.deepEqual(api.finished.map((f) => [f.slot, f.circuit]), [[slotN, 'final_8']], 'the API shows the finished block');

  // ---- L1: proven by the node's proof tx, rewards credited to the node (submitter and prover)
  const ev = (await admin.sidecar.queryFilter(admin.sidecar.filters.BlockProven(), fx.deployment.deployBlock))
    .map((e) => (e as unknown as { args: { slot: bigint; prover: string; recipient: string; proverReward: bigint; submissionReward: bigint } }).args);
  assert.equal(ev.length, 1);
  assert.equal(ev[0].slot, slot);
  assert.equal(ev[0].prover, P);
  assert.equal(ev[0].recipient, P, 'the restarted node named itself in its proof (the reward recipient)');
  assert.equal(ev[0].submissionReward, fx.deployment.config.submissionReward);
  assert.ok(ev[0].submissionReward > 0n);
  assert.equal(await admin.creditOf(P), ev[0].proverReward + ev[0].submissionReward, 'submitter reward and prover reward credited');
  await second.waitForLog((l) => l.event === 'submitted', 30_000, 'the submitted event');

  assert.equal(await second.stop(), 0, 'a clean stop after the restart');
  const figures = {
    testMs: Date.now() - tStart, first32ProveSec: first32Sec, final8ProveSec: final8Sec, restartToVerifiedMs: tVerified - tRestart,
  };
  t.diagnostic(JSON.stringify(figures));
});
