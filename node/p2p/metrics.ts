// p2p metrics (prom-client), registered in the node's registry (node/metrics.ts) when given, so
// the node's /metrics shows them. This class is the one owner of the gossip outcome counter
// (`sidecar_gossip_messages_total`); the node's own metrics do not declare it.
import { Counter, Gauge, Registry } from 'prom-client';

export class P2PMetrics {
  readonly registry: Registry;
  /** Gossip validation outcomes: {topic, outcome: accept|ignore|reject, code}. */
  readonly gossip: Counter<'topic' | 'outcome' | 'code'>;
  /** Messages lost to a full queue: {topic, policy}. */
  readonly queueDropped: Counter<'topic' | 'policy'>;
  /** Node handler failures: {topic}. */
  readonly handlerErrors: Counter<'topic'>;
  /** Req/resp: {protocol, side: client|server, outcome}. */
  readonly reqresp: Counter<'protocol' | 'side' | 'outcome'>;
  /** Peers disconnected and refused for misbehaviour: {reason}. */
  readonly bans: Counter<'reason'>;
  /** The per-topic validation gates: {topic, outcome: run|peer-budget|queue-full}. */
  readonly gate: Counter<'topic' | 'outcome'>;
  /** Connection management: {event: refused-banned|refused-per-ip|pruned|redialed|redial-failed}. */
  readonly connections: Counter<'event'>;

  constructor(registry?: Registry, read: { queueDepths?: () => Record<string, number>; peers?: () => number } = {}) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.gossip = new Counter({ name: 'sidecar_gossip_messages_total', help: 'gossip validation outcomes', labelNames: ['topic', 'outcome', 'code'], registers });
    this.queueDropped = new Counter({ name: 'sidecar_p2p_queue_dropped_total', help: 'gossip messages dropped by a full per-topic queue', labelNames: ['topic', 'policy'], registers });
    this.handlerErrors = new Counter({ name: 'sidecar_p2p_handler_errors_total', help: 'node handler errors on delivered gossip', labelNames: ['topic'], registers });
    this.reqresp = new Counter({ name: 'sidecar_p2p_reqresp_total', help: 'request/response outcomes', labelNames: ['protocol', 'side', 'outcome'], registers });
    this.bans = new Counter({ name: 'sidecar_p2p_bans_total', help: 'peers disconnected and refused for a while', labelNames: ['reason'], registers });
    this.gate = new Counter({ name: 'sidecar_p2p_gate_total', help: 'gossip checks through the per-topic validation gates', labelNames: ['topic', 'outcome'], registers });
    this.connections = new Counter({ name: 'sidecar_p2p_connection_events_total', help: 'connection limits and the peer manager: refusals, prunes, redials', labelNames: ['event'], registers });
    new Gauge({
      name: 'sidecar_p2p_queue_depth', help: 'gossip messages waiting for the node per topic', labelNames: ['topic'], registers,
      collect() {
        this.reset();
        for (const [topic, n] of Object.entries(read.queueDepths?.() ?? {})) this.set({ topic }, n);
      },
    });
    new Gauge({
      name: 'sidecar_p2p_peers', help: 'connected peers', registers,
      collect() { this.set(read.peers?.() ?? 0); },
    });
  }

  /** Current value of a labelled counter (tests, status pages). */
  async value(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
    const m = await counter.get();
    return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  }
}
