// Prometheus metrics of the node (prom-client), served on /metrics by node/api/server.ts.
// Components update these. Other layers register their own metrics in this registry (the node
// passes `registry` to them), each metric with one owner: node/p2p/metrics.ts owns the gossip
// outcomes (`sidecar_gossip_messages_total`) and the p2p queue, peer and req/resp metrics.
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

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
  readonly queueDepth = new Gauge({ name: 'sidecar_queue_depth', help: 'items waiting per queue', labelNames: ['queue'], registers: [this.registry] });
  readonly l1Txs = new Counter({ name: 'sidecar_l1_txs_total', help: 'L1 transactions by call and outcome', labelNames: ['call', 'outcome'], registers: [this.registry] });
  readonly rewardsEarned = new Gauge({ name: 'sidecar_rewards_earned_tokens', help: 'rewards credited to this node on L1 (token base units, as float)', labelNames: ['kind'], registers: [this.registry] });
  readonly depositsAtRisk = new Gauge({ name: 'sidecar_deposits_at_risk_tokens', help: 'deposits of unproven committed blocks this node is the prover of (token base units, as float)', registers: [this.registry] });
  readonly blocks = new Gauge({ name: 'sidecar_blocks', help: 'known blocks by status', labelNames: ['status'], registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'sidecar_' });
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

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
