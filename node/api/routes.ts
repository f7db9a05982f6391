// The node's HTTP JSON API routes (served by server.ts):
//   GET  /status            node, roles, L1 head, slot and phase, chain heads, mempool size
//   GET  /slot              current slot and phase
//   GET  /peers             this node's peer id and addresses, its p2p peers and their head/proven slots
//   GET  /blocks            canonical blocks with statuses (?from=&limit=)
//   GET  /blocks/:slot      one slot's canonical block
//   GET  /proving           proving progress of the blocks in flight and the proofs known
//   GET  /pnl               the prover's P&L per block: expected at quote time, realised at settlement (roles/pnl.ts)
//   GET  /market           the market: RFQs run (quotes per channel: p2p or relay:<name>, the winner's channel), quotes sent, the relays' standing
//   GET  /txs/:hash         the status ladder of an L2 tx (SPEC §3)
//   GET  /health            200 when L1, sync, p2p and prover checks pass, else 503 with the reasons (health.ts)
//   GET  /ready             200 once L1 is reached and the chain caught up, else 503
//   POST /txs               {"tx": "0x<96 bytes: body ‖ signature>"} into the mempool, then to peers over gossip
//   GET  /, /events, /dashboard/*, /proving/tree/:blockHash   the live dashboard (node/api/dashboard.ts)
import { getBytes, isHexString } from 'ethers';
import { MempoolError } from '../mempool/index.js';
import type { SidecarNode } from '../node.js';
import { SIDECAR_VERSION } from '../version.js';
import { dashboard } from './dashboard.js';
import { checkHealth, checkReady, type HealthReport } from './health.js';
import { HttpError, Reply, type Route } from './server.js';

const HASH = /^0x[0-9a-fA-F]{64}$/;

function intParam(v: string | null, name: string, def: number, max: number): number {
  if (v === null || v === '') return def;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new HttpError(400, 'BAD_PARAM', `${name} must be a whole number in 0..${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** GET /health and GET /ready (also served on the metrics-only port). */
export function healthRoutes(node: SidecarNode): Route[] {
  const reply = (r: HealthReport) => new Reply(r.ok ? 200 : 503, { status: r.ok ? 'ok' : 'unhealthy', checks: r.checks });
  return [
    { method: 'GET', pattern: '/health', handler: () => reply(checkHealth(node.healthSource(), node.o.health)) },
    { method: 'GET', pattern: '/ready', handler: () => reply(checkReady(node.healthSource(), node.o.health)) },
  ];
}

export function nodeRoutes(node: SidecarNode): Route[] {
  return [
    ...healthRoutes(node),
    {
      method: 'GET', pattern: '/status', handler: async () => ({
        address: node.address, roles: node.o.roles, l1: node.view ?? null, chain: node.chain.head(),
        health: checkHealth(node.healthSource(), node.o.health), version: SIDECAR_VERSION, money: await node.metrics.money(),
        mempool: node.mempool.size, proving: node.proverRole?.progress().length ?? 0,
        sidecar: node.o.client.deployment.sidecar, chainId: String(node.o.client.deployment.chainId),
      }),
    },
    { method: 'GET', pattern: '/slot', handler: () => node.view ?? { head: null, slot: null, phase: null } },
    {
      method: 'GET', pattern: '/peers', handler: () => ({
        peerId: node.p2p?.peerId ?? null,
        addrs: node.p2p?.addrs ?? [],
        peers: (node.p2p?.libp2p.getPeers() ?? []).map((p) => {
          const id = p.toString();
          const st = node.p2p!.peerStatus.get(id);
          return { peerId: id, headSlot: st ? Number(st.headSlot) : undefined, provenSlot: st ? Number(st.provenSlot) : undefined };
        }),
      }),
    },
    {
      method: 'GET', pattern: '/blocks', handler: async (req) => {
        const head = node.chain.head().pending.slot;
        const limit = intParam(req.query.get('limit'), 'limit', 20, 500);
        const from = intParam(req.query.get('from'), 'from', Math.max(1, (node.view?.slot ?? head) - limit + 1), 1e12);
        const out = [];
        for (let s = from; s < from + limit; s++) {
          const b = await node.chain.block(s);
          if (b) out.push({ slot: s, blockHash: b.blockHash, status: b.status, sequencer: b.sequencer, prover: b.prover, parentSlot: b.parentSlot, txs: b.txHashes.length, finalized: b.finalized });
        }
        return { blocks: out };
      },
    },
    {
      method: 'GET', pattern: '/blocks/:slot', handler: async (req) => {
        const slot = intParam(req.params.slot, 'slot', 0, 1e12);
        const b = await node.chain.block(slot);
        if (!b) throw new HttpError(404, 'NOT_FOUND', `no canonical block at slot ${slot}`);
        const { revealed, ...rest } = b;
        return { ...rest, revealed: revealed ? { startRoot: revealed.startRoot, endRoot: revealed.endRoot, txsCommitment: revealed.txsCommitment, txCount: revealed.txCount, provable: revealed.provable } : undefined };
      },
    },
    {
      method: 'GET', pattern: '/proving', handler: () => ({
        active: node.proverRole?.progress() ?? [],
        finished: node.proverRole?.finished.slice(-50) ?? [],
        proofs: node.proofs.all().map((p) => ({ slot: p.slot, blockHash: p.blockHash, circuit: p.proof.circuit, source: p.source, knownAt: p.knownAt })),
      }),
    },
    {
      method: 'GET', pattern: '/market', handler: () => {
        const m = node.market;
        if (!m) return { market: null };
        return {
          stats: m.stats, buying: !!node.o.p2p?.rfq, quoting: m.isQuoting,
          relays: m.relayStatus(),
          servedRelays: node.o.p2p?.serveRelays?.map((url) => ({ url, registered: node.relayLink?.registered.get(url) ?? false })) ?? [],
          history: [...m.history].reverse(),
        };
      },
    },
    { method: 'GET', pattern: '/pnl', handler: () => ({ prices: node.pnl ? Object.fromEntries(Object.entries(node.pnl.prices).map(([k, v]) => [k, String(v)])) : null, blocks: node.pnl?.book.all() ?? [] }) },
    {
      method: 'GET', pattern: '/txs/:hash', handler: async (req) => {
        const h = req.params.hash;
        if (!HASH.test(h)) throw new HttpError(400, 'BAD_HASH', `a tx hash is 0x followed by 64 hex digits, got ${JSON.stringify(h.slice(0, 80))}`);
        const rec = await node.chain.txStatus(h);
        if (!rec) throw new HttpError(404, 'NOT_FOUND', `tx ${h} is not known to this node`);
        return rec;
      },
    },
    {
      method: 'POST', pattern: '/txs', handler: async (req) => {
        const body = req.body as { tx?: unknown } | null;
        if (typeof body !== 'object' || body === null || typeof body.tx !== 'string') {
          throw new HttpError(400, 'BAD_REQUEST', 'send {"tx": "0x…"}: the signed tx as hex (32-byte body ‖ 64-byte signature)');
        }
        if (!isHexString(body.tx)) throw new HttpError(400, 'BAD_REQUEST', 'tx must be 0x-prefixed hex');
        try {
          const hash = await node.submitTx(getBytes(body.tx));
          return { txHash: hash, status: 'pending' };
        } catch (e) {
          if (e instanceof MempoolError) throw new HttpError(e.code === 'full' ? 503 : 400, e.code.toUpperCase().replace(/-/g, '_'), e.message);
          throw e;
        }
      },
    },
    ...dashboard(node).routes,
  ];
}
