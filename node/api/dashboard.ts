// The live dashboard on the node's HTTP API (no server of its own, nothing from a CDN):
//   GET /                        the page (node/api/dashboard/index.html, with its .css and .js)
//   GET /dashboard/:file         the page's static files
//   GET /dashboard/state         one JSON snapshot of everything the page shows (below)
//   GET /events                  server-sent events: tick (L1View), event (NodeEvent), chain
//                                (ChainNotice), tree and job (proof tree updates, node/api/tree.ts)
//   GET /proving/trees           the proof trees kept (summaries, newest first)
//   GET /proving/tree/:blockHash one block's proof tree: jobs, deps, state, where, times
// The snapshot: the slot timeline (recent slots' timing and phase, each block's stage through
// proposed → revealed → committed → proven / slashed / invalidated), the market (RFQs seen,
// quotes sent and received, winners and fees, win rate), this node's money (rewards credited by
// kind and withdrawn (`NodeMetrics.money`), gas used by its proof submissions, deposits at risk
// with their deadlines),
// peers with their gossip scores and remote prover agents with their leases.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SidecarNode } from '../node.js';
import type { SlotTiming } from '../l1/client.js';
import { PHASES } from '../l1/client.js';
import { padSlot } from '../chain/repos.js';
import { SseHub, type SseOptions } from './events.js';
import { HttpError, RawReply, type Route } from './server.js';
import { ProofTrees } from './tree.js';

const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dashboard');
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
};
const HASH = /^0x[0-9a-fA-F]{64}$/;
const RECENT_SLOTS = 12;

export type BlockStage = 'proposed' | 'revealed' | 'committed' | 'proven' | 'slashed' | 'invalidated';

export interface Dashboard {
  routes: Route[];
  events: SseHub;
  trees?: ProofTrees;
}

function serveFile(name: string): RawReply {
  const type = FILES[name];
  if (!type) throw new HttpError(404, 'NOT_FOUND', `no dashboard file ${JSON.stringify(name)}`);
  return new RawReply((res) => {
    readFile(path.join(ASSETS, name)).then(
      (body) => { res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'content-length': body.length }); res.end(body); },
      (e: Error) => { res.writeHead(500, { 'content-type': 'application/json' }); res.end(JSON.stringify({ error: { code: 'INTERNAL', message: e.message } })); },
    );
  });
}

/** The phase of a slot at L1 block `head` (the contract's `phaseOf`). */
export function phaseAt(t: SlotTiming, head: number): (typeof PHASES)[number] {
  if (head < t.proposalStart) return 'NotStarted';
  if (head < t.revealStart) return 'Proposal';
  if (head < t.commitStart) return 'Reveal';
  if (head < t.commitEnd) return 'Commitment';
  if (head < t.submissionStart) return 'Proving';
  if (head < t.deadline) return 'Submission';
  return 'Closed';
}

export function dashboard(node: SidecarNode, o: { sse?: SseOptions } = {}): Dashboard {
  const events = new SseHub(o.sse);
  const orch = node.proverRole?.prover.orchestrator;
  const trees = orch ? new ProofTrees(orch) : undefined;
  node.on('tick', (v) => events.publish('tick', v));
  node.on('event', (e) => events.publish('event', e));
  node.on('chain', (n) => events.publish('chain', n));
  trees?.on('update', (u: { kind: string }) => events.publish(u.kind, u));

  // slot timing is fixed by the contract's constants: read once per slot
  const timings = new Map<number, SlotTiming>();
  const timing = async (slot: number): Promise<SlotTiming> => {
    let t = timings.get(slot);
    if (!t) {
      t = await node.o.client.slotTiming(slot);
      timings.set(slot, t);
      if (timings.size > 512) timings.delete(timings.keys().next().value!);
    }
    return t;
  };
  const me = node.address.toLowerCase();

  async function slots(): Promise<unknown[]> {
    const v = node.view;
    if (!v) return [];
    const out = [];
    for (let s = v.slot; s >= Math.max(1, v.slot - RECENT_SLOTS + 1); s--) {
      const t = await timing(s);
      const b = await node.chain.block(s);
      let stage: BlockStage | undefined;
      if (b) {
        if (b.status !== 'pending') stage = b.status;
        else if (b.prover) stage = 'committed';
        else if (b.blockHash) stage = 'revealed';
        else stage = 'proposed';
      }
      out.push({
        slot: s, timing: t, phase: s === v.slot ? v.phase : phaseAt(t, v.head),
        block: b ? {
          blockHash: b.blockHash ?? null, stage, sequencer: b.sequencer, prover: b.prover ?? null, txs: b.txHashes.length,
          provable: b.provable, reason: b.reason, finalized: b.finalized, mine: { sequencer: b.sequencer.toLowerCase() === me, prover: b.prover?.toLowerCase() === me },
        } : null,
      });
    }
    return out;
  }

  async function market(): Promise<unknown> {
    const m = node.market;
    if (!m) return null;
    let quoted = 0, won = 0;
    const history = [];
    for (const r of m.history) {
      let outcome: string | undefined;
      if (r.kind === 'quote' && r.fee !== undefined) {
        quoted++;
        const b = await node.chain.block(r.slot);
        if (b?.blockHash === r.blockHash && b.prover) {
          outcome = b.prover.toLowerCase() === me ? 'won' : 'lost';
          if (outcome === 'won') won++;
        }
      }
      history.push({ ...r, outcome });
    }
    return { stats: m.stats, quoting: !!node.o.p2p?.quote, buying: !!node.o.p2p?.rfq, winRate: quoted ? won / quoted : null, quoted, won, history: history.reverse().slice(0, 30), relays: m.relayStatus() };
  }

  async function money(): Promise<unknown> {
    const m = await node.metrics.money();
    const deposits = [];
    const head = node.view?.head;
    for (const { slot } of await node.chain.pendingChain()) {
      const c = await node.chain.block(slot);
      if (!c || c.status !== 'pending') continue;
      const p = await node.chain.repos.proposals.get(`${padSlot(slot)}/${c.sequencer.toLowerCase()}`);
      if (p?.depositor?.toLowerCase() !== me || p.deposit === undefined) continue;
      const t = await timing(slot);
      const proven = node.proofs.has(slot, c.blockHash ?? '');
      deposits.push({ slot, blockHash: c.blockHash ?? null, amount: String(p.deposit), deadline: t.deadline, blocksLeft: head !== undefined ? t.deadline - head : null, proofKnown: proven });
    }
    let gasUsed = 0n;
    for (const e of node.events) if (e.type === 'submitted') gasUsed += BigInt(e.gasUsed);
    return {
      rewards: m.earned, withdrawn: node.watcher ? m.withdrawn : null, gasUsed: String(gasUsed),
      atRisk: String(deposits.reduce((a, d) => a + BigInt(d.amount), 0n)), deposits,
      // the prover's P&L per block (roles/pnl.ts) and its circuit breaker (roles/breaker.ts)
      pnl: node.pnl?.book.all().slice(-20) ?? null,
      breaker: node.breaker ? { state: node.breaker.state, reason: node.breaker.reason ?? null, faults: node.breaker.consecutive } : null,
    };
  }

  function peers(): unknown {
    const p2p = node.p2p;
    const hub = node.proverRole?.prover.remote;
    const leased = new Map<string, { blockHash: string; slot: number; jobs: number }[]>();
    for (const t of trees?.list() ?? []) {
      if (t.status !== 'proving') continue;
      const tree = trees!.get(t.blockHash)!;
      const by = new Map<string, number>();
      for (const j of tree.jobs) if (j.state === 'leased' && j.agent) by.set(j.agent, (by.get(j.agent) ?? 0) + 1);
      for (const [a, n] of by) leased.set(a, [...(leased.get(a) ?? []), { blockHash: t.blockHash, slot: t.slot, jobs: n }]);
    }
    return {
      peerId: p2p?.peerId ?? null,
      peers: (p2p?.libp2p.getPeers() ?? []).map((id) => {
        const s = id.toString();
        const st = p2p!.peerStatus.get(s);
        return { peerId: s, score: p2p!.score(s), headSlot: st ? Number(st.headSlot) : null, provenSlot: st ? Number(st.provenSlot) : null };
      }),
      agents: hub ? [...hub.agents.values()].map((a) => ({ peerId: a.peerId, workers: a.workers, free: a.free, leases: a.leases.size, leased: leased.get(a.peerId) ?? [] })) : null,
      agentCounters: hub?.counters ?? null,
    };
  }

  const routes: Route[] = [
    { method: 'GET', pattern: '/dashboard/state', handler: async () => ({
      at: Date.now(),
      node: { address: node.address, roles: node.o.roles, sidecar: node.o.client.deployment.sidecar, chainId: String(node.o.client.deployment.chainId) },
      l1: node.view ?? null, phases: PHASES, chain: node.chain.head(),
      slots: await slots(), trees: trees?.list() ?? [], proving: node.proverRole?.progress() ?? [],
      prover: orch ? { ...orch.stats(), counters: orch.counters } : null,
      market: await market(), money: await money(), network: peers(),
      events: node.events.slice(-40).reverse(),
    }) },
    ...assetRoutes(),
    { method: 'GET', pattern: '/events', handler: () => events.reply(() => ({ address: node.address, l1: node.view ?? null, at: Date.now() })) },
    ...treeRoutes(trees),
  ];
  return { routes, events, trees };
}

/** GET / (the page) and GET /dashboard/:file (its css and js). */
export function assetRoutes(): Route[] {
  return [
    { method: 'GET', pattern: '/', handler: () => serveFile('index.html') },
    { method: 'GET', pattern: '/dashboard/:file', handler: (req) => serveFile(req.params.file) },
  ];
}

/** GET /proving/trees and GET /proving/tree/:blockHash. */
export function treeRoutes(trees: ProofTrees | undefined): Route[] {
  return [
    { method: 'GET', pattern: '/proving/trees', handler: () => ({ trees: trees?.list() ?? [] }) },
    {
      method: 'GET', pattern: '/proving/tree/:blockHash', handler: (req) => {
        const h = req.params.blockHash;
        if (!HASH.test(h)) throw new HttpError(400, 'BAD_HASH', `a block hash is 0x followed by 64 hex digits, got ${JSON.stringify(h.slice(0, 80))}`);
        const t = trees?.get(h);
        if (!t) throw new HttpError(404, 'NOT_FOUND', `no proof tree of block ${h} here (this node proves only the blocks it is committed to; the last ones are kept)`);
        return t;
      },
    },
  ];
}
