// `npm run bench -- flood [--count 10000] [--valid 2000] [--window-ms 4000] [--no-thread]`
// Event-loop lag of a node under a burst of gossip from an attacker peer, against a baseline
// without attack, in one run (issue 12). The measured node N is the project's P2PNode with the
// checks an honest node runs (tx signatures against known keys, quote EIP-712 signatures, a
// node validator over the L2 state: nonces; signatures in their thread, as the node runs it, or
// on the main thread with --no-thread); an honest peer H (also a P2PNode, same process)
// publishes a valid tx every 50 ms to N throughout. The attacker runs in a process of its own
// (bench/lib/flood-attacker.ts: raw libp2p, not the project's publisher) so its CPU is not N's.
// Phases, each with a fresh attacker peer and `perf_hooks.monitorEventLoopDelay` reset:
//  - baseline: honest traffic only, for `window-ms`;
//  - txs-bad-signature: `count` txs of known senders with random signatures (Rejected: banned);
//  - quotes-bad-signature: `count` quotes with random signatures (Rejected: banned);
//  - txs-valid-ignored: `valid` txs validly signed by the attacker's own account with nonces far
//    ahead (Ignored, so never banned: only the txs gate's per-peer budget bounds the work).
// Each attack phase lasts from "go" until the flood is sent and `window-ms` more. Figures: lag
// p50 / p99 / max (ms), honest txs delivered to N's handler during the phase, whether the
// attacker was disconnected, N's outcome counts. Target: p99 and max lag under 200 ms.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../node/log.js';
import { P2PNode, topicName, txStateChecks } from '../node/p2p/index.js';
import { Fixtures } from '../test/helpers/p2p-fixtures.js';
import type { Attack } from './lib/flood-attacker.js';
import { Progress, log, printResult } from './lib/report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function opt(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${args[i + 1]}`);
  return v;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

interface AttackerRun { sent: number; ms: number; disconnected: boolean }

/** Starts the attacker process; resolves `go` to launch the flood and `done` with its report. */
async function attacker(addr: string, attack: Attack, count: number): Promise<{ go: () => Promise<AttackerRun> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/lib/flood-attacker.ts'), JSON.stringify({ addr, attack, count })], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d) => { err += d; if (err.includes('ready\n')) resolve(); });
    void exited.then((c) => reject(new Error(`attacker exited (${c}) before it was ready: ${err.slice(-500)}`)));
  });
  return {
    go: async () => {
      child.stdin.write('go\n');
      const code = await exited;
      if (code !== 0) throw new Error(`attacker failed (${code}): ${err.slice(-500)}`);
      return JSON.parse(out.trim().split('\n').pop()!) as AttackerRun;
    },
  };
}

export async function main(args: string[]): Promise<void> {
  const count = opt(args, 'count', 10_000);
  const valid = opt(args, 'valid', 2000);
  const windowMs = opt(args, 'window-ms', 4000);
  const fx = await Fixtures.create();
  const dirs: string[] = [];
  const nodes: P2PNode[] = [];
  const quiet = (name: string) => createLogger('p2p', { bench: name }).child({}, { level: 'error' }); // stdout carries only the result line
  try {
    // honest nonces grow without bound here: the state check only stops the attacker's far ones
    const nState = txStateChecks((i) => (fx.accounts[i] ? { publicKey: fx.accounts[i].publicKey, balance: 10n ** 9n, nonce: 0 } : undefined), 100_000);
    const dir = async () => { const d = await mkdtemp(path.join(os.tmpdir(), 'sidecar-bench-flood-')); dirs.push(d); return d; };
    const N = await P2PNode.create({
      dataDir: await dir(), listen: ['/ip4/127.0.0.1/tcp/0'], heartbeatMs: 700, scoring: { ipColocationWeight: 0 },
      topics: ['txs', 'quotes'], logger: quiet('N'), signatureThread: !args.includes('--no-thread'),
      validation: { ...fx.context(), txPublicKey: nState.txPublicKey },
    });
    nodes.push(N);
    N.addValidator('txs', nState.validator);
    let honestGot = 0;
    N.subscribe('txs', (t, info) => { if (info.from === H.peerId) honestGot++; void t; });
    N.subscribe('quotes', () => {});
    await N.start();
    const H = await P2PNode.create({
      dataDir: await dir(), listen: ['/ip4/127.0.0.1/tcp/0'], heartbeatMs: 700, scoring: { ipColocationWeight: 0 },
      topics: ['txs', 'quotes'], bootstrap: [N.addrs[0]], logger: quiet('H'), validation: fx.context(),
    });
    nodes.push(H);
    H.subscribe('txs', () => {});
    await H.start();
    const until = Date.now() + 15_000;
    while (!N.pubsub.getSubscribers(topicName('txs')).map(String).includes(H.peerId) || !H.pubsub.getSubscribers(topicName('txs')).map(String).includes(N.peerId)) {
      if (Date.now() > until) throw new Error('H and N never met on the txs topic');
      await new Promise((r) => setTimeout(r, 25));
    }
    // honest traffic all along: one valid tx every 50 ms (pre-signed: signing costs ~5 ms of this process' CPU)
    log('signing the honest traffic');
    const honest = Array.from({ length: 2000 }, (_, i) => fx.tx(i % 3, (i + 1) % 3, 1n, Math.floor(i / 3)));
    let next = 0;
    const ticker = setInterval(() => { if (next < honest.length) void H.publish('txs', honest[next++]).catch(() => undefined); }, 50);

    const phases: Record<string, unknown> = {};
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const measure = () => ({ p50LagMs: r1(h.percentile(50) / 1e6), p99LagMs: r1(h.percentile(99) / 1e6), maxLagMs: r1(h.max / 1e6) });
    const outcomes = async () => {
      const m = await N.metrics.gossip.get();
      return Object.fromEntries(m.values.filter((v) => v.value > 0).map((v) => [`${v.labels.topic}:${v.labels.outcome}${v.labels.code ? `:${v.labels.code}` : ''}`, v.value]));
    };
    const attacks: [Attack, number][] = [['txs-bad-signature', count], ['quotes-bad-signature', count], ['txs-valid-ignored', valid]];
    const progress = new Progress('flood', attacks.length + 1);
    // baseline (after the signature thread is up: the first honest tx delivered)
    const up = Date.now() + 30_000;
    while (honestGot === 0 && Date.now() < up) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    h.reset();
    let got0 = honestGot;
    await new Promise((r) => setTimeout(r, windowMs));
    phases.baseline = { ...measure(), honestDelivered: honestGot - got0, windowMs };
    progress.tick(1, 'baseline');
    let done = 1;
    for (const [attack, n] of attacks) {
      log(`${attack}: the attacker builds ${n} messages`);
      const a = await attacker(N.addrs[0], attack, n);
      h.reset();
      got0 = honestGot;
      const before = await outcomes();
      const t0 = Date.now();
      const run = await a.go();
      await new Promise((r) => setTimeout(r, windowMs));
      const after = await outcomes();
      const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
      phases[attack] = { ...measure(), honestDelivered: honestGot - got0, phaseMs: Date.now() - t0, attacker: { messages: n, ...run }, outcomes: delta, honestLinkUp: N.libp2p.getPeers().map(String).includes(H.peerId) };
      progress.tick(++done, attack);
    }
    clearInterval(ticker);
    h.disable();
    const worst = Math.max(...attacks.map(([a]) => (phases[a] as { maxLagMs: number }).maxLagMs));
    const worstP99 = Math.max(...attacks.map(([a]) => (phases[a] as { p99LagMs: number }).p99LagMs));
    log(`baseline p99 ${(phases.baseline as { p99LagMs: number }).p99LagMs} ms; worst attack p99 ${worstP99} ms, max ${worst} ms`);
    printResult({
      count, valid, windowMs, signatureThread: !args.includes('--no-thread'), phases,
      worstAttackP99LagMs: worstP99, worstAttackMaxLagMs: worst,
      p99VsBaseline: r1(worstP99 / Math.max(0.1, (phases.baseline as { p99LagMs: number }).p99LagMs)),
      targetLagMs: 200, targetMet: worst < 200, loadAvg1m: r1(os.loadavg()[0]), node: process.version,
    });
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await Promise.allSettled(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
