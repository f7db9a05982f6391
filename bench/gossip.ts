// `npm run bench -- gossip [--nodes 5] [--rounds 60] [--rounds-kib 150] [--heartbeat-ms 700]`
// Propagation latency of a 1 MiB and a 1 KiB message across N nodes on 127.0.0.1, through the
// project's p2p layer (node/p2p: SSZ proof messages, validation, content ids, queues) and
// through a bare libp2p + gossipsub setup (default options) in the same run. Rounds alternate
// between the two stacks; each round one node (rotating) publishes and the time until each
// other node's handler sees the message is one sample. Ends with one JSON line.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';
import { createLogger } from '../node/log.js';
import { P2PNode, PROOF_KIND, hex, topicName, type ProofMsg } from '../node/p2p/index.js';
import { Progress, log, printResult } from './lib/report.js';

const MIB = 1024 * 1024;
const KIB = 1024;

function opt(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${args[i + 1]}`);
  return v;
}

interface Stack {
  name: 'project' | 'bare';
  size: number;
  /** Publishes one fresh message of `size` bytes from node `from`; resolves when all others got it (ms each). */
  round(from: number, size: number): Promise<number[]>;
  stop(): Promise<void>;
}

async function waitAll(pending: Map<number, number>, count: number, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (pending.size < count) {
    if (Date.now() > deadline) throw new Error(`${what}: only ${pending.size}/${count} receivers within 15 s`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function projectStack(n: number, heartbeatMs: number): Promise<Stack> {
  const dirs: string[] = [];
  const nodes: P2PNode[] = [];
  let current = '';
  let t0 = 0;
  const seen = new Map<number, number>();
  const blockHash = '0x' + '42'.repeat(32);
  for (let i = 0; i < n; i++) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-bench-'));
    dirs.push(dataDir);
    const node = await P2PNode.create({
      dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], heartbeatMs,
      bootstrap: nodes.map((m) => m.addrs[0]),
      scoring: { ipColocationWeight: 0 },
      logger: createLogger('p2p', { bench: i }).child({}, { level: 'warn' }), // stdout carries only the result line
      validation: { isStaleSlot: () => false, blockStanding: (_s, h) => (h === blockHash ? 'canonical' : 'unknown') },
    });
    node.subscribe('proofs', (p) => { if (hex(p.id) === current) seen.set(i, performance.now() - t0); });
    await node.start();
    nodes.push(node);
  }
  await mesh(nodes.map((x) => x.pubsub), topicName('proofs'));
  let seq = 0;
  return {
    name: 'project', size: n,
    async round(from, size) {
      const id = randomBytes(32);
      const msg: ProofMsg = { kind: PROOF_KIND.segment, id, slot: 1n, blockHash: Buffer.from(blockHash.slice(2), 'hex'), segment: seq++ & 0xffff, proof: randomBytes(size), publicInputs: [] };
      seen.clear();
      current = hex(id);
      t0 = performance.now();
      await nodes[from].publish('proofs', msg);
      await waitAll(seen, n - 1, 'project');
      return [...seen.values()];
    },
    async stop() {
      await Promise.allSettled(nodes.map((x) => x.stop()));
      await Promise.allSettled(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

async function bareStack(n: number, heartbeatMs: number): Promise<Stack> {
  const topic = '/bench/bare';
  const nodes: Libp2p<{ pubsub: GossipSub }>[] = [];
  let t0 = 0;
  let current: Uint8Array | undefined;
  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const node = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
      services: { identify: identify(), pubsub: gossipsub({ heartbeatInterval: heartbeatMs, scoreParams: { IPColocationFactorWeight: 0 } }) },
    });
    node.services.pubsub.addEventListener('message', (e) => {
      if (e.detail.topic === topic && e.detail.data.length === current?.length && e.detail.data[0] === current[0] && Buffer.compare(e.detail.data.subarray(0, 32), current.subarray(0, 32)) === 0) {
        seen.set(i, performance.now() - t0);
      }
    });
    node.services.pubsub.subscribe(topic);
    for (const m of nodes) await node.dial(m.getMultiaddrs()[0]);
    nodes.push(node);
  }
  await mesh(nodes.map((x) => x.services.pubsub), topic);
  return {
    name: 'bare', size: n,
    async round(from, size) {
      const data = randomBytes(size);
      seen.clear();
      current = data;
      t0 = performance.now();
      await nodes[from].services.pubsub.publish(topic, data);
      await waitAll(seen, n - 1, 'bare');
      return [...seen.values()];
    },
    async stop() { await Promise.allSettled(nodes.map((x) => x.stop())); },
  };
}

/** Waits until every node sees all others subscribed to the topic. */
async function mesh(pubsubs: GossipSub[], topic: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!pubsubs.every((p) => p.getSubscribers(topic).length >= pubsubs.length - 1)) {
    if (Date.now() > deadline) throw new Error(`no full mesh on ${topic} within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 3 * 700)); // a few heartbeats so meshes settle (GRAFTs)
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const r2 = (x: number) => Math.round(x * 100) / 100;

async function measure(stacks: Stack[], size: number, rounds: number, label: string): Promise<Record<string, { p50Ms: number; p90Ms: number; p99Ms: number; samples: number }>> {
  const samples = new Map<string, number[]>(stacks.map((s) => [s.name, []]));
  const warmup = 3;
  const progress = new Progress(label, rounds + warmup);
  for (let r = 0; r < rounds + warmup; r++) {
    // Alternate the order too, so neither stack always runs right after the other's GC.
    const order = r % 2 === 0 ? stacks : [...stacks].reverse();
    for (const s of order) {
      const lat = await s.round(r % s.size, size);
      if (r >= warmup) samples.get(s.name)!.push(...lat);
      await new Promise((res) => setTimeout(res, 20));
    }
    progress.tick(r + 1);
  }
  return Object.fromEntries(stacks.map((s) => {
    const xs = samples.get(s.name)!;
    return [s.name, { p50Ms: r2(pct(xs, 50)), p90Ms: r2(pct(xs, 90)), p99Ms: r2(pct(xs, 99)), samples: xs.length }];
  }));
}

export async function main(args: string[]): Promise<void> {
  const n = opt(args, 'nodes', 5);
  const rounds = opt(args, 'rounds', 60);
  const roundsKib = opt(args, 'rounds-kib', 150);
  const heartbeatMs = opt(args, 'heartbeat-ms', 700);
  log(`starting ${n} project nodes and ${n} bare libp2p + gossipsub nodes on 127.0.0.1`);
  const stacks: Stack[] = [];
  try {
    stacks.push(await bareStack(n, heartbeatMs));
    stacks.push(await projectStack(n, heartbeatMs));
    const kib = await measure(stacks, KIB, roundsKib, '1 KiB');
    const mib = await measure(stacks, MIB, rounds, '1 MiB');
    const ratio = (m: typeof mib, k: 'p50Ms' | 'p99Ms') => r2(m.project[k] / m.bare[k]);
    log(`1 MiB: project p50 ${mib.project.p50Ms} ms p99 ${mib.project.p99Ms} ms; bare p50 ${mib.bare.p50Ms} ms p99 ${mib.bare.p99Ms} ms`);
    printResult({
      nodes: n,
      bytes: MIB,
      project: mib.project, bare: mib.bare, p99Ratio: ratio(mib, 'p99Ms'), p50Ratio: ratio(mib, 'p50Ms'),
      kib1: { bytes: KIB, project: kib.project, bare: kib.bare, p99Ratio: ratio(kib, 'p99Ms'), p50Ratio: ratio(kib, 'p50Ms') },
      rounds: { mib1: rounds, kib1: roundsKib }, heartbeatMs, loadAvg1m: r2(os.loadavg()[0]),
    });
  } finally {
    await Promise.allSettled(stacks.map((s) => s.stop()));
  }
}
