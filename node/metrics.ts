// Prometheus metrics of the node (prom-client), served on /metrics by node/api/server.ts.
// Components update these. Other layers register their own metrics in this registry (the node
// passes `registry` to them), each metric with one owner: node/p2p/metrics.ts owns the gossip
// outcomes (`sidecar_gossip_messages_total`) and the p2p queue, peer and req/resp metrics.
import type { EventLog } from 'ethers';
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { ChainNotice, ChainSync } from './chain/index.js';
import { padSlot } from './chain/repos.js';
import type { SidecarClient } from './l1/client.js';
import type { Logger } from './log.js';
import { SIDECAR_VERSION } from './version.js';

export class NodeMetrics {
  readonly registry = new Registry();
  readonly slot = new Gauge({ name: 'sidecar_l1_slot', help: 'current L2 slot on L1', registers: [this.registry] });
  readonly phase = new Gauge({ name: 'sidecar_l1_phase', help: 'current phase of the current slot (contract enum value)', registers: [this.registry] });
  readonly proofsStarted = new Counter({ name: 'sidecar_proofs_started_total', help: 'proving jobs started', labelNames: ['circuit'], registers: [this.registry] });
  readonly proofsFinished = new Counter({ name: 'sidecar_proofs_finished_total', help: 'proving jobs finished', labelNames: ['circuit'], registers: [this.registry] });
  readonly proofsFailed = new Counter({ name: 'sidecar_proofs_failed_total', help: 'proving jobs failed', labelNames: ['circuit', 'code'], registers: [this.registry] });
  readonly proofSeconds = new Histogram({
    name: 'sidecar_proof_seconds', help: 'proving time per job', labelNames: ['circuit'],
    buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320, 640], registers: [this.registry],
  });
  readonly proverBackend = new Gauge({ name: 'sidecar_prover_backend', help: 'proving backend the prover workers run (1 for the one in use: native bb or wasm)', labelNames: ['backend'], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'sidecar_queue_depth', help: 'items waiting per queue', labelNames: ['queue'], registers: [this.registry] });
  readonly l1Txs = new Counter({ name: 'sidecar_l1_txs_total', help: 'L1 transactions by call and outcome', labelNames: ['call', 'outcome'], registers: [this.registry] });
  /** kinds: prover, sequencer, submission, slash-share (credited since start, `trackChain`) */
  readonly rewardsEarned = new Counter({ name: 'sidecar_rewards_earned_tokens_total', help: 'rewards credited to this node on L1 since this process started, by kind (prover, sequencer, submission, slash-share) (token base units, as float)', labelNames: ['kind'], registers: [this.registry] });
  readonly rewardsWithdrawn = new Counter({ name: 'sidecar_rewards_withdrawn_tokens_total', help: 'credited rewards this node withdrew since this process started (token base units, as float)', registers: [this.registry] });
  readonly l1Errors = new Counter({ name: 'sidecar_l1_errors_total', help: 'failed L1 reads by call (head: the head poll)', labelNames: ['call'], registers: [this.registry] });
  /** set at scrape time (`trackSync`) */
  readonly l1SyncLag = new Gauge({ name: 'sidecar_l1_sync_lag_blocks', help: 'L1 blocks between the L1 head and the last one the chain follower processed', registers: [this.registry] });
  readonly pnlRevenue = new Counter({ name: 'sidecar_pnl_revenue_tokens_total', help: 'realised revenue of the blocks this node proved (tip + reward share + submission reward; token base units, as float)', registers: [this.registry] });
  readonly pnlCost = new Counter({ name: 'sidecar_pnl_cost_tokens_total', help: 'realised costs of the blocks this node proved, by kind (proving, gas, capital, slashed; token base units, as float)', labelNames: ['kind'], registers: [this.registry] });
  readonly breakerOpen = new Gauge({ name: 'sidecar_prover_breaker_open', help: '1 while the prover\'s circuit breaker is open (no quotes, no self-proving), else 0', registers: [this.registry] });
  readonly buildInfo = new Gauge({ name: 'sidecar_build_info', help: 'always 1; the labels say which sidecar and Node.js run', labelNames: ['version', 'nodejs'], registers: [this.registry] });
  /** set at scrape time from the chain (`trackChain`) */
  readonly depositsAtRisk = new Gauge({ name: 'sidecar_deposits_at_risk_tokens', help: 'deposits this node put up (depositor) on committed blocks not proven yet (token base units, as float)', registers: [this.registry] });
  /** set at scrape time from the chain (`trackChain`) */
  readonly blocks = new Gauge({ name: 'sidecar_blocks', help: 'canonical blocks known to this node by status (pending, proven, slashed, invalidated)', labelNames: ['status'], registers: [this.registry] });
  readonly mempoolRequeue = new Counter({ name: 'sidecar_mempool_requeue_total', help: 'txs of uncommitted, lost or slashed blocks put back into the mempool (outcome requeued) or left out (included, insufficient-balance, duplicate, unknown-account)', labelNames: ['reason', 'outcome'], registers: [this.registry] });
  readonly proofGate = new Counter({ name: 'sidecar_gossip_proof_gate_total', help: 'gossiped proofs at the verification gate: run (verified), peer-budget (sender over its budget: ignored unchecked), queue-full (evicted or refused)', labelNames: ['outcome'], registers: [this.registry] });
  readonly proofVerifySeconds = new Histogram({
    name: 'sidecar_gossip_proof_verify_seconds', help: 'bb verification of a gossiped final proof (verify thread), by verdict', labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [this.registry],
  });
  readonly marketQuotes = new Counter({ name: 'sidecar_market_quotes_total', help: 'quotes a sequencer received for its RFQs, by channel (p2p, relay:<name>) and outcome (collected, refused: failed the market\'s checks, late: no RFQ open)', labelNames: ['channel', 'outcome'], registers: [this.registry] });
  readonly marketWins = new Counter({ name: 'sidecar_market_quotes_won_total', help: 'RFQs closed with a winning quote, by the winner\'s channel (p2p, relay:<name>)', labelNames: ['channel'], registers: [this.registry] });
  readonly relayRequests = new Counter({ name: 'sidecar_relay_requests_total', help: 'RFQs sent to a relay, by relay and outcome (ok: answered in time with no fault; fault; dropped: this one dropped it)', labelNames: ['relay', 'outcome'], registers: [this.registry] });
  readonly relayFaults = new Counter({ name: 'sidecar_relay_faults_total', help: 'relay faults by relay and code (timeout, unreachable, http-error, malformed, bad-signature, wrong-block, wrong-sequencer, unfunded-prover, wrong-terms)', labelNames: ['relay', 'code'], registers: [this.registry] });
  readonly relayScore = new Gauge({ name: 'sidecar_relay_score', help: 'a relay\'s score (node/relay/client.ts RelayScore: dropped at -4)', labelNames: ['relay'], registers: [this.registry] });
  readonly relayAdmitted = new Gauge({ name: 'sidecar_relay_admitted', help: '1 while RFQs go to this relay, 0 while it is dropped (its cooldown)', labelNames: ['relay'], registers: [this.registry] });
  readonly refusedProofs = new Counter({ name: 'sidecar_submitter_refused_proofs_total', help: 'final proofs L1 refused (InvalidProof); their bytes are never sent again', registers: [this.registry] });
  readonly proofsAtRisk = new Gauge({ name: 'sidecar_submitter_proofs_at_risk', help: 'blocks whose final proof this node holds but that are not proven on L1 within warnBlocks of their deadline (L1 congestion or a stuck submission)', registers: [this.registry] });
  private scrapeHooks: (() => Promise<void>)[] = [];

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'sidecar_' });
    this.buildInfo.set({ version: SIDECAR_VERSION, nodejs: process.version }, 1);
  }

  /** Registers a gauge whose value is read at scrape time (e.g. a queue's length). */
  gaugeFrom(name: string, help: string, read: () => Array<{ labels?: Record<string, string>; value: number }>, labelNames: string[] = []): void {
    new Gauge({
      name, help, labelNames, registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, value } of read()) labels ? this.set(labels, value) : this.set(value);
      },
    });
  }

  /** Registers a counter whose totals are read at scrape time from monotonic counts kept elsewhere (e.g. the orchestrator's). */
  counterFrom(name: string, help: string, read: () => Array<{ labels?: Record<string, string>; value: number }>, labelNames: string[] = []): void {
    new Counter({
      name, help, labelNames, registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, value } of read()) labels ? this.inc(labels, value) : this.inc(value);
      },
    });
  }

  /** Runs `fn` before every scrape (values read from storage at scrape time; a failure keeps the last values). */
  beforeScrape(fn: () => Promise<void>): void {
    this.scrapeHooks.push(fn);
  }

  /** Runs the scrape hooks (the values read from storage) without rendering. */
  async refresh(): Promise<void> {
    await Promise.all(this.scrapeHooks.map((f) => f().catch(() => undefined)));
  }

  async text(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }

  /** This node's money as the metrics hold it (token base units as decimal strings). */
  async money(): Promise<{ earned: Record<string, string>; withdrawn: string; depositsAtRisk: string }> {
    await this.refresh();
    const earned: Record<string, string> = {};
    for (const v of (await this.rewardsEarned.get()).values) earned[String(v.labels.kind)] = BigInt(Math.round(v.value)).toString();
    const one = async (m: Counter | Gauge) => BigInt(Math.round((await m.get()).values[0]?.value ?? 0)).toString();
    return { earned, withdrawn: await one(this.rewardsWithdrawn), depositsAtRisk: await one(this.depositsAtRisk) };
  }
}

/** What `trackChain` reads: the node's chain, its L1 client and its address. */
export interface ChainMetricsSource {
  chain: ChainSync;
  client: SidecarClient;
  address: string;
  log?: Logger;
}

/**
 * The chain's metrics: blocks by status and deposits at risk (read from the chain's storage at
 * scrape time), and rewards credited to this node (from the `BlockProven` / `BlockInvalidated`
 * logs of each proven / invalidated block, once per block). Returns the chain notice handler.
 */
export function trackChain(m: NodeMetrics, s: ChainMetricsSource): (n: ChainNotice) => void {
  const me = s.address.toLowerCase();
  m.beforeScrape(async () => {
    const counts: Record<string, number> = { pending: 0, proven: 0, slashed: 0, invalidated: 0 };
    for (const c of await s.chain.repos.canonical.values()) counts[c.status] = (counts[c.status] ?? 0) + 1;
    for (const [status, n] of Object.entries(counts)) m.blocks.set({ status }, n);
    let atRisk = 0n;
    for (const { slot } of await s.chain.pendingChain()) {
      const c = await s.chain.block(slot);
      if (!c || c.status !== 'pending') continue;
      const p = await s.chain.repos.proposals.get(`${padSlot(slot)}/${c.sequencer.toLowerCase()}`);
      if (p?.depositor?.toLowerCase() === me && p.deposit !== undefined) atRisk += p.deposit;
    }
    m.depositsAtRisk.set(Number(atRisk));
  });
  const seen = new Set<string>();
  const credit = async (n: ChainNotice & { slot: number }): Promise<void> => {
    const c = await s.chain.block(n.slot);
    const at = n.type === 'proven' ? c?.provenAtL1 : c?.statusAtL1;
    if (!c || at === undefined) return;
    const key = `${n.type}/${n.slot}/${c.blockHash}`;
    if (seen.has(key)) return;
    seen.add(key);
    const sc = s.client.sidecar;
    if (n.type === 'proven') {
      for (const l of await sc.queryFilter(sc.filters.BlockProven(n.slot), at, at)) {
        const a = (l as EventLog).args;
        if (String(a.prover).toLowerCase() === me) m.rewardsEarned.inc({ kind: 'prover' }, Number(a.proverReward));
        if (String(a.recipient).toLowerCase() === me) m.rewardsEarned.inc({ kind: 'submission' }, Number(a.submissionReward));
        if (c.sequencer.toLowerCase() === me) m.rewardsEarned.inc({ kind: 'sequencer' }, Number(a.sequencerReward));
      }
    } else {
      for (const l of await sc.queryFilter(sc.filters.BlockInvalidated(n.slot), at, at)) {
        const a = (l as EventLog).args;
        if (String(a.sequencer).toLowerCase() === me) m.rewardsEarned.inc({ kind: 'slash-share' }, Number(a.slashShare));
      }
    }
  };
  return (n) => {
    if (n.type !== 'proven' && n.type !== 'invalidated') return;
    void credit(n).catch((e) => s.log?.warn({ err: e, slot: n.slot }, `reading the rewards of slot ${n.slot} failed: ${(e as Error).message}`));
  };
}
