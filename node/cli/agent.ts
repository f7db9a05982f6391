// `sidecar agent`: a remote prover agent. Starts a libp2p host that dials the node (its
// multiaddr with /p2p/<peer id>), a worker pool, and proves the leases the node hands it
// (whole blocks or the rest of a block's plan; prover/agent.ts, prover/remote.ts). Logs are
// structured (stderr); a progress line every `progressSec`. Stops on SIGINT/SIGTERM (or the
// given signal), cancelling its leases (the node reassigns them).
import path from 'node:path';
import type { BackendChoice } from '../../circuits/backend/binaries.js';
import { pathToFileURL } from 'node:url';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { createLogger, withComponent } from '../log.js';
import { P2PNode } from '../p2p/index.js';
import { startAgent } from '../../prover/agent.js';
import { taskKinds } from '../../prover/tasks.js';

export class AgentUsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export interface AgentCliOptions {
  /** The node's multiaddr with /p2p/<peer id>. */
  node: string;
  workers: number;
  threads: number;
  dataDir: string;
  listen: string;
  devCrs: boolean;
  /** Proving backend (default: $SIDECAR_PROVER_BACKEND, else auto = native bb where it runs). */
  backend?: BackendChoice;
  /** Modules to import first: they register extra task kinds (prover/tasks.ts; tests' fixture circuits). */
  tasks?: string[];
  progressSec?: number;
  /** Stop when aborted (tests); default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Called once the agent has registered with the node. */
  onReady?: (info: { peerId: string; node: string; workers: number }) => void;
}

/** The node's peer id from its multiaddr; a clear error when there is none or it is malformed. */
export function nodePeerIdOf(addr: string): string {
  let ma;
  try {
    ma = multiaddr(addr);
  } catch (e) {
    throw new AgentUsageError(`--node: not a multiaddr: ${JSON.stringify(addr)} (${(e as Error).message})`);
  }
  const id = ma.getComponents().find((c) => c.name === 'p2p')?.value;
  if (!id) throw new AgentUsageError(`--node: ${addr} has no /p2p/<peer id>: pass the node's full address, e.g. /ip4/10.0.0.5/tcp/40400/p2p/12D3KooW... (the node logs it at start, "p2p started")`);
  try {
    return peerIdFromString(id).toString();
  } catch (e) {
    throw new AgentUsageError(`--node: bad peer id ${JSON.stringify(id)}: ${(e as Error).message}`);
  }
}

export async function runAgent(o: AgentCliOptions): Promise<void> {
  const nodePeerId = nodePeerIdOf(o.node);
  if (!o.listen.startsWith('/')) throw new AgentUsageError(`--listen: a multiaddr starts with /, got ${JSON.stringify(o.listen)}`);
  for (const m of o.tasks ?? []) {
    try {
      await import(pathToFileURL(path.resolve(m)).href);
    } catch (e) {
      throw new AgentUsageError(`--tasks: cannot import ${m}: ${(e as Error).message}`);
    }
  }
  const log = createLogger('agent');
  const p2p = await P2PNode.create({ dataDir: o.dataDir, listen: [o.listen], bootstrap: [o.node], logger: withComponent(log, 'p2p') });
  await p2p.start();
  let stopAgent: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { agent, pool, stop } = await startAgent({ p2p, nodePeerId, workers: o.workers, threads: o.threads, crs: { dev: o.devCrs }, backend: o.backend });
    stopAgent = stop;
    log.info({ peerId: p2p.peerId, node: o.node, workers: pool.capacity, taskKinds: taskKinds(), crs: o.devCrs ? 'INSECURE dev CRS' : 'Aztec' }, 'prover agent started');
    o.onReady?.({ peerId: p2p.peerId, node: nodePeerId, workers: pool.capacity });
    const t0 = Date.now();
    timer = setInterval(() => {
      const s = agent.runner.stats();
      const connected = p2p.libp2p.getPeers().some((p) => p.toString() === nodePeerId);
      log.info({ connected, leases: s.leases, leasesRunning: s.running, proven: s.proven, uptimeSec: Math.round((Date.now() - t0) / 1000) }, 'agent progress');
    }, (o.progressSec ?? 10) * 1000);
    await new Promise<void>((resolve) => {
      const done = () => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
      if (o.signal) {
        if (o.signal.aborted) return done();
        o.signal.addEventListener('abort', done, { once: true });
      }
      process.on('SIGINT', done);
      process.on('SIGTERM', done);
    });
    log.info({ proven: agent.proven }, 'prover agent stopping');
  } finally {
    if (timer) clearInterval(timer);
    await stopAgent?.().catch(() => {});
    await p2p.stop().catch(() => {});
  }
}
