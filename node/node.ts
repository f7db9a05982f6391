// The node's composition root: one LevelDB store, the L2 chain derived from L1 (ChainSync), the
// mempool, the prover pool, the roles the config asks for, and the HTTP API. A loop follows L1
// heads and runs each role's tick (a role's tick never overlaps itself; roles run side by side).
// Prometheus metrics: GET /metrics on the API, and on a port of its own with the `metrics` option.
// The work in flight survives a restart (kill -9 too): the mempool (`mempool.txs`, MempoolJournal)
// and the sequencer's own blocks (`sequencer.proposals`) are persisted and restored on start.
//
//   const node = await SidecarNode.start({ ... });
//   node.on('event', (e: NodeEvent) => ...);
//   await node.stop();   // stops roles, the prover pool, the chain follower, the API and metrics servers, closes LevelDB
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { decodeSignedTx, type GenesisAccount, type SignedTx } from '../circuits/l2/index.js';
import type { CrsSelection } from '../circuits/backend/crs.js';
import type { BackendChoice } from '../circuits/backend/binaries.js';
import { Prover } from '../prover/index.js';
import { startApiServer, type ApiServer } from './api/server.js';
import { healthRoutes, nodeRoutes } from './api/routes.js';
import type { HealthOptions, HealthSource } from './api/health.js';
import { ChainSync, type ChainNotice } from './chain/index.js';
import type { Role } from './config.js';
import { PHASES, type SidecarClient, type SidecarConfig } from './l1/client.js';
import { rootLogger, withComponent, type Logger } from './log.js';
import { Mempool, MempoolError } from './mempool/index.js';
import { TxGossip } from './mempool/gossip.js';
import { MempoolKeeper } from './mempool/keeper.js';
import { MempoolJournal } from './mempool/store.js';
import { splitTxs } from './l1/block.js';
import { P2PNode, PROOF_KIND, SeenMessages, fromHex, seenRepo, type P2POptions, type BlockMsg, type ProofMsg, type StatusMsg, type TopicKind } from './p2p/index.js';
import { FinalProofCheck } from './roles/proof-check.js';
import { ProofVerifier } from '../prover/verifier.js';
import { Market } from './roles/market.js';
import { RelayBook, type RelayEndpoint, type ScoreOptions } from './relay/client.js';
import { RelayProverLink } from './relay/prover-link.js';
import { NodeMetrics, trackChain } from './metrics.js';
import { ProofBook, Serial, type L1View, type NodeEvent, type RoleContext } from './roles/context.js';
import { ProverRole, type ProverFaultPlan } from './roles/prover.js';
import { ProvingBreaker } from './roles/breaker.js';
import type { CostModel } from '../circuits/plan.js';
import { PnlTracker } from './roles/pnl-tracker.js';
import type { PnlPrices } from './roles/pnl.js';
import { Sequencer, type SequencerOptions } from './roles/sequencer.js';
import { Submitter, type L1ProofEncoder, type SubmitterOptions } from './roles/submitter.js';
import { Aggregator } from './roles/aggregator.js';
import { Watcher } from './roles/watcher.js';
import { Store } from './storage/index.js';

export interface NodeOptions {
  dataDir: string;
  roles: readonly Role[];
  /** a client with this node's key */
  client: SidecarClient;
  genesis: readonly GenesisAccount[];
  /** WebSocket URL for L1 events (default: poll over the client's provider) */
  wsUrl?: string;
  sequencer?: Omit<SequencerOptions, 'chooseProver'> & Pick<SequencerOptions, 'chooseProver'>;
  prover?: { workers?: number; threads?: number; crs?: CrsSelection; backend?: BackendChoice; /** the planner's cost model (default circuits/plan.ts DEFAULT_COST_MODEL; `proverBenchFile` feeds it measured times) */ costModel?: CostModel; faults?: ProverFaultPlan; /** default: 3 faults in a row, 100 L1 blocks (node/roles/breaker.ts) */ breaker?: { threshold: number; cooldownBlocks: number }; /** P&L prices (node/roles/pnl.ts) */ prices?: PnlPrices };
  /** the CRS of this deployment's circuits, for verifying others' proofs on a node without the prover role (default: prover.crs) */
  crs?: CrsSelection;
  /** libp2p: gossip (RFQ, quotes, proofs) with other nodes */
  p2p?: {
    listen: string[];
    bootstrap?: string[];
    /** sequencer: buy proofs through the RFQ (falls back to self-proving when allowed) */
    rfq?: boolean;
    /** prover: answer RFQs; least fee quoted and deposit offered */
    quote?: { baseFee: bigint; deposit: bigint };
    /** sequencer: also send each RFQ to these relays (node/relay/; scoring: node/relay/client.ts RelayScore) */
    relays?: RelayEndpoint[];
    relayScoring?: ScoreOptions;
    /** prover (with `quote`): register with these relays and answer their RFQs (node/relay/prover-link.ts) */
    serveRelays?: string[];
    /** the prover's long-poll wait at a relay (default 20 s) */
    relayPollWaitMs?: number;
    /** gossipsub heartbeat (ms) and IP colocation scoring (0 on a loopback devnet) */
    heartbeatMs?: number;
    ipColocationWeight?: number;
    /** gossipsub's seen-cache TTL in ms (default 2 min; tests shorten it to replay past it) */
    seenTtlMs?: number;
    /** connection limits and the peer manager's targets (node/p2p/peers.ts) */
    connections?: P2POptions['connections'];
  };
  /** required with the submitter role */
  encodeProof?: L1ProofEncoder;
  /** submitter: resend of a stuck proof tx (default: after 3 L1 blocks, fee cap 200 gwei); aggregateMax:
   *  most of this node's consecutive blocks one range proof settles (default 1: never; needs the prover role) */
  submitter?: Omit<SubmitterOptions, 'aggregator'> & { aggregateMax?: number };
  withdrawTo?: string;
  /** HTTP API (port 0 = random; undefined = off); it also serves GET /metrics */
  api?: { host: string; port: number };
  /** Prometheus GET /metrics on its own port (0 = random; undefined = off) */
  metrics?: { host: string; port: number };
  /** L1 confirmations for `finalized` */
  confirmations?: number;
  /** ms between L1 head polls (default 250) */
  pollMs?: number;
  /** /health and /ready bounds (node/api/health.ts) */
  health?: HealthOptions;
  log?: Logger;
}

/** The gossip topics a node joins: txs (mempool), RFQs and quotes (market), final proofs (market). */
/** The gossip topics a node joins. Quotes are not among them: a prover sends its quote to the RFQ's sequencer only (market.ts, quote/1). */
export const NODE_TOPICS: readonly TopicKind[] = ['txs', 'rfq', 'proofs'];

export class SidecarNode extends EventEmitter {
  readonly mempool = new Mempool();
  readonly proofs = new ProofBook();
  readonly metrics = new NodeMetrics();
  sequencer?: Sequencer;
  proverRole?: ProverRole;
  /** the prover's circuit breaker (with the prover role) */
  breaker?: ProvingBreaker;
  /** the prover's per-block profit and loss (with the prover role) */
  pnl?: PnlTracker;
  submitter?: Submitter;
  aggregator?: Aggregator;
  watcher?: Watcher;
  api?: ApiServer;
  /** the Prometheus endpoint on its own port (`metrics` option) */
  metricsServer?: ApiServer;
  p2p?: P2PNode;
  /** gossip messages accepted, kept until their slot is stale (`p2p.seen`) */
  seen?: SeenMessages;
  market?: Market;
  /** the prover's link to the relays it serves (`p2p.serveRelays`) */
  relayLink?: RelayProverLink;
  /** requeues txs of blocks that will not be on the chain, prunes used ones (chain notices) */
  keeper!: MempoolKeeper;
  /** persists the mempool (`mempool.txs`) */
  journal!: MempoolJournal;
  /** txs over gossip (with p2p) */
  txGossip?: TxGossip;
  private onChainMetrics?: (n: ChainNotice) => void;
  view?: L1View;
  private headTimes: number[] = [];
  /** the last successful L1 head poll (ms epoch) and the last poll's error */
  private l1OkAt?: number;
  private l1Error?: string;
  readonly events: (NodeEvent & { at: number })[] = [];
  private prover?: Prover;
  /** verifies gossiped proofs when this node has no prover pool (started on first use) */
  private ownVerifier?: ProofVerifier;
  /** the checks a final proof from someone else must pass before the proof book takes it */
  proofCheck!: FinalProofCheck;
  private stopped = false;
  private loop?: Promise<void>;
  private unsubscribe?: () => void;
  private readonly serial = { sequencer: new Serial(), prover: new Serial(), submitter: new Serial(), watcher: new Serial() };
  readonly log: Logger;

  private constructor(readonly o: NodeOptions, readonly store: Store, readonly chain: ChainSync, readonly config: SidecarConfig, readonly address: string) {
    super();
    this.log = withComponent(o.log ?? rootLogger, 'node');
  }

  static async start(o: NodeOptions): Promise<SidecarNode> {
    const log = withComponent(o.log ?? rootLogger, 'node');
    const store = await Store.open(path.join(o.dataDir, 'db'));
    let node: SidecarNode | undefined;
    try {
      const chain = await ChainSync.open({ store, client: o.client, genesis: o.genesis, wsUrl: o.wsUrl, finalityDepth: o.confirmations, log: withComponent(log, 'chain') });
      const config = await o.client.config();
      const address = await o.client.address();
      node = new SidecarNode(o, store, chain, config, address);
      await node.init();
      return node;
    } catch (e) {
      if (node) await node.stop().catch(() => undefined);
      else await store.close().catch(() => undefined);
      throw e;
    }
  }

  private ctx(): RoleContext {
    return {
      client: this.o.client, chain: this.chain, config: this.config, address: this.address, proofs: this.proofs,
      log: this.log, metrics: this.metrics, emit: (e) => this.record(e),
    };
  }

  private record(e: NodeEvent): void {
    const ev = { ...e, at: Date.now() };
    this.events.push(ev);
    if (this.events.length > 2000) this.events.splice(0, this.events.length - 2000);
    this.emit('event', ev);
  }

  private async init(): Promise<void> {
    const roles = new Set(this.o.roles);
    const ctx = this.ctx();
    this.keeper = new MempoolKeeper(this.mempool, ctx);
    this.journal = new MempoolJournal(this.store, withComponent(this.log, 'mempool'));
    this.mempool.attachJournal(this.journal);
    this.onChainMetrics = trackChain(this.metrics, { chain: this.chain, client: this.o.client, address: this.address, log: this.log });
    this.metrics.beforeScrape(async () => { if (this.view) this.metrics.l1SyncLag.set(Math.max(0, this.view.head - this.chain.head().l1Block)); });
    // bb in the verify thread: the prover pool's, or one of this node's own when it has no prover
    this.proofCheck = new FinalProofCheck(this.chain, this.o.client, (circuit, proof, pi) => {
      if (this.prover) return this.prover.verify({ circuit, proof, publicInputs: [...pi] });
      this.ownVerifier ??= new ProofVerifier({ crs: this.o.crs ?? this.o.prover?.crs });
      return this.ownVerifier.verify({ name: circuit }, proof, pi);
    });
    if (this.o.p2p) {
      const d = this.o.client.deployment;
      let market: Market | undefined;
      const seen = this.seen = await SeenMessages.open(seenRepo(this.store), { onError: (e) => this.log.warn({ err: e }, 'writing the gossip dedup record failed') });
      this.p2p = await P2PNode.create({
        // the topics some role consumes (nobody uses gossiped blocks: they come from L1)
        topics: NODE_TOPICS, seen, signatureThread: true,
        dataDir: this.o.dataDir, listen: this.o.p2p.listen, bootstrap: this.o.p2p.bootstrap, logger: withComponent(this.log, 'p2p'),
        heartbeatMs: this.o.p2p.heartbeatMs, seenTtlMs: this.o.p2p.seenTtlMs, connections: this.o.p2p.connections, scoring: { ipColocationWeight: this.o.p2p.ipColocationWeight ?? -5 },
        registry: this.metrics.registry,
        validation: {
          quoteDomain: { chainId: d.chainId, verifyingContract: d.sidecar },
          l1BlockNumber: () => (this.view ? BigInt(this.view.head) : undefined),
          blockStanding: (slot, hash) => market?.blockStanding(slot, hash) ?? 'unknown',
          txPublicKey: (i) => this.chain.pendingAccount(i)?.publicKey,
          isStaleSlot: (slot, kind) => this.isStaleSlot(slot, kind),
        },
        providers: {
          status: () => this.p2pStatus(),
          block: (hash) => this.blockMsg(hash),
          proof: (id) => this.proofMsg(id),
        },
      });
      this.txGossip = new TxGossip(this.p2p, this.mempool, this.keeper, this.chain, withComponent(this.log, 'txs'));
      this.market = market = new Market(ctx, this.p2p, this.proofCheck);
      await market.init();
      if (this.o.p2p.relays?.length) market.useRelays(new RelayBook(this.o.p2p.relays, withComponent(this.log, 'relays'), this.o.p2p.relayScoring), () => this.blockMs());
    }
    if (roles.has('prover')) {
      const br = this.o.prover?.breaker ?? { threshold: 3, cooldownBlocks: 100 };
      this.breaker = new ProvingBreaker({
        ...br, log: withComponent(this.log, 'breaker'),
        onChange: (state) => this.metrics.breakerOpen.set(state === 'open' ? 1 : 0),
      });
      this.on('event', (e: NodeEvent) => {
        if (e.type === 'proved') this.breaker!.success(e.slot);
        else if (e.type === 'prove-failed' && e.cause === 'failed') this.breaker!.fault('failed', `slot ${e.slot}: ${e.reason.split('\n')[0].slice(0, 200)}`, this.view?.head ?? 0);
      });
      const defaults: PnlPrices = { costPerCoreHour: 10n ** 17n, tokensPerEth: 0n, capitalBpsPerYear: 500, slashRiskBps: 100 };
      this.pnl = new PnlTracker(ctx, this.o.prover?.prices ?? defaults, this.o.prover?.threads || 1, () => this.blockMs(),
        (hash) => this.proverRole?.finished.find((f) => f.blockHash === hash.toLowerCase())?.ms);
      // with p2p, remote agents (`sidecar agent`) may join and take leases
      this.prover = await Prover.start({ store: this.store, workers: this.o.prover?.workers, threads: this.o.prover?.threads, crs: this.o.prover?.crs, backend: this.o.prover?.backend, costModel: this.o.prover?.costModel, metrics: this.metrics, p2p: this.p2p });
      this.proverRole = new ProverRole(ctx, this.prover, {
        faults: this.o.prover?.faults,
        onProof: (p) => {
          this.proofCheck.learnSize(p.circuit, p.proof.length);
          if (this.market) void this.market.shareProof(p).catch((e) => this.log.warn({ err: e }, `sharing a proof failed: ${(e as Error).message}`));
        },
      });
      if (this.market && this.o.p2p?.quote) {
        const role = this.proverRole;
        this.market.enableQuoting({
          ...this.o.p2p.quote,
          fits: (deadline, head, txCount) => role.fits(deadline, head, this.blockMs(), txCount),
          paused: (head) => this.breaker?.refuses(head, role.active.size),
          price: (q) => this.pnl!.price(q),
        });
        if (this.o.p2p.serveRelays?.length) this.relayLink = new RelayProverLink(this.market, this.address, this.o.p2p.serveRelays, withComponent(this.log, 'relay-link'), { pollWaitMs: this.o.p2p.relayPollWaitMs });
      }
    }
    if (roles.has('sequencer')) {
      if (!this.o.sequencer) throw new Error('the sequencer role needs sequencer options');
      const so = this.o.sequencer;
      const market = this.market;
      const chooseProver = so.chooseProver ?? (market && this.o.p2p?.rfq ? (slot: number, hash: string, deadline: number) => market.requestQuote(slot, hash, so.tip, deadline) : undefined);
      // self-proving needs this node's prover: never commit a deposit on a block it cannot prove
      const role = this.proverRole;
      this.sequencer = new Sequencer(ctx, this.mempool, {
        ...so, chooseProver, selfProve: so.selfProve && roles.has('prover'),
        selfProvableTxs: so.selfProvableTxs ?? (role ? (deadline, head) => role.largestFitting(deadline, head, this.blockMs(), so.maxTxs) : undefined),
        canSelfProve: so.canSelfProve ?? (role ? (deadline, head, txCount) => {
          const paused = this.breaker?.refuses(head, role.active.size);
          if (paused) return paused;
          const f = role.fits(deadline, head, this.blockMs(), txCount);
          return f.ok ? undefined : `this node's prover cannot finish in time: needs ~${Math.round(f.needMs / 1000)} s (${f.active} blocks in flight), ~${Math.round(f.haveMs / 1000)} s left`;
        } : undefined),
      }, this.keeper, this.store);
    }
    if (roles.has('submitter')) {
      if (!this.o.encodeProof) throw new Error('the submitter role needs a proof encoder for this deployment\'s verifier');
      const aggregateMax = this.o.submitter?.aggregateMax ?? 1;
      const aggregator = aggregateMax > 1 && this.prover && this.proverRole
        ? new Aggregator(ctx, this.prover, this.proverRole, { aggregateMax, blockMs: () => this.blockMs() })
        : undefined;
      this.aggregator = aggregator;
      this.submitter = new Submitter(ctx, this.o.encodeProof, { ...this.o.submitter, aggregator });
    }
    if (roles.has('watcher')) this.watcher = new Watcher(ctx, { withdrawTo: this.o.withdrawTo });
    // a new final proof: race to submit it now, not at the next L1 head
    // (if a submitter tick is running, it runs again right after: a proof never waits for the next L1 head)
    this.proofs.on('proof', () => { if (this.submitter && this.view && !this.stopped) void this.serial.submitter.run(async () => { if (!this.stopped) await this.submitter!.tick(this.view!); }, (e) => this.log.warn({ err: e }, 'submitter failed'), true); });
    this.unsubscribe = this.chain.subscribe((n) => this.onNotice(n));
    await this.chain.start();
    // the work in flight before a restart: waiting txs, then own blocks (which take theirs back out)
    await this.keeper.restore(this.journal);
    await this.sequencer?.restore();
    await this.p2p?.start();
    this.relayLink?.start();
    if (this.o.api) {
      this.api = await startApiServer({ host: this.o.api.host, port: this.o.api.port, routes: nodeRoutes(this), log: withComponent(this.log, 'api'), metrics: () => this.metrics.text() });
    }
    if (this.o.metrics) {
      this.metricsServer = await startApiServer({ host: this.o.metrics.host, port: this.o.metrics.port, routes: healthRoutes(this), log: withComponent(this.log, 'metrics'), metrics: () => this.metrics.text() });
    }
    this.loop = this.run();
  }

  /**
   * Gossip about a slot that can no longer matter: a proof of a slot at or below the proven tip;
   * an RFQ, quote or block of a slot whose commitment phase is over (before the current slot).
   */
  private isStaleSlot(slot: bigint, kind: TopicKind): boolean {
    if (kind === 'proofs') return slot <= BigInt(this.chain.head().proven.slot);
    if (kind === 'txs' || !this.view) return false;
    return slot < BigInt(this.view.slot);
  }

  /** This node's side of the `status/1` handshake: its chain and contract, pending head, proven tip. */
  private p2pStatus(): StatusMsg {
    const h = this.chain.head();
    const d = this.o.client.deployment;
    return {
      chainId: BigInt(d.chainId), contract: fromHex(d.sidecar, 20), headSlot: BigInt(h.pending.slot),
      headBlockHash: h.pending.blockHash ? fromHex(h.pending.blockHash, 32) : new Uint8Array(32), provenSlot: BigInt(h.proven.slot),
    };
  }

  /** `block_by_hash`: a revealed block as L1 holds its data (the requester checks the hash). */
  private async blockMsg(hash: string): Promise<BlockMsg | undefined> {
    const r = await this.chain.blockByHash(hash);
    if (!r) return undefined;
    return {
      slot: BigInt(r.slot), startRoot: fromHex(r.startRoot, 32), endRoot: fromHex(r.endRoot, 32),
      txs: splitTxs(r.txs), witnessData: r.witnessData,
    };
  }

  /** `proof_by_id`: a final proof of the proof book (verified) by its root job id. */
  private proofMsg(id: string): ProofMsg | undefined {
    const k = this.proofs.byRootJob(id);
    if (!k) return undefined;
    return {
      kind: PROOF_KIND.final, id: fromHex(k.proof.rootJob, 32), slot: BigInt(k.slot), blockHash: fromHex(k.blockHash, 32), segment: 0,
      proof: k.proof.proof, publicInputs: k.proof.publicInputs.map((x) => fromHex(BigInt(x).toString(16).padStart(64, '0'), 32)),
    };
  }

  /** Measured wall time of an L1 block (ms; 1000 until measured). */
  blockMs(): number {
    const t = this.headTimes;
    return t.length < 2 ? 1000 : (t[t.length - 1] - t[0]) / (t.length - 1);
  }

  private onNotice(n: ChainNotice): void {
    if (n.type === 'slashed' && this.breaker) {
      // a block this node was the prover of: a fault of its proving
      void this.chain.block(n.slot).then((c) => {
        if (c?.prover?.toLowerCase() === this.address.toLowerCase()) this.breaker!.fault('slashed', `slot ${n.slot} slashed`, this.view?.head ?? 0);
      }, () => undefined);
    }
    this.keeper.onNotice(n);
    this.pnl?.onNotice(n);
    this.onChainMetrics?.(n);
    this.market?.onNotice(n);
    this.proverRole?.onNotice(n);
    this.emit('chain', n);
  }

  private async run(): Promise<void> {
    let last = -1;
    let failing = '';
    const pollMs = this.o.pollMs ?? 250;
    while (!this.stopped) {
      let wait = pollMs;
      try {
        const head = await this.o.client.blockNumber();
        if (head !== last) {
          if (last >= 0 && head === last + 1) {
            this.headTimes.push(Date.now());
            if (this.headTimes.length > 10) this.headTimes.shift();
          }
          last = head;
          const { slot, phase } = await this.o.client.currentPhase();
          const v: L1View = { head, slot: Number(slot), phase };
          this.view = v;
          this.metrics.slot.set(v.slot);
          this.metrics.phase.set(PHASES.indexOf(phase));
          this.metrics.queueDepth.set({ queue: 'mempool' }, this.mempool.size);
          this.emit('tick', v);
          this.tick(v);
        }
        this.l1OkAt = Date.now();
        this.l1Error = undefined;
        failing = '';
      } catch (e) {
        // log each distinct failure once, and back off while L1 is unreachable
        const msg = (e as Error).message;
        this.l1Error = msg;
        this.metrics.l1Errors.inc({ call: 'head' });
        if (!this.stopped && msg !== failing) this.log.warn({ err: e }, `L1 head poll failed: ${msg}`);
        failing = msg;
        wait = Math.max(pollMs, 2000);
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** What /health and /ready check (node/api/health.ts). */
  healthSource(): HealthSource {
    return {
      l1OkAt: () => this.l1OkAt,
      l1Error: () => this.l1Error,
      l1Head: () => this.view?.head,
      syncedTo: () => this.chain.head().l1Block,
      peers: this.p2p ? () => this.p2p!.libp2p.getPeers().length : undefined,
      proverOpen: this.prover ? () => this.prover!.pool.open : undefined,
      breaker: this.breaker ? () => ({ state: this.breaker!.state, reason: this.breaker!.reason }) : undefined,
    };
  }

  private tick(v: L1View): void {
    const onError = (role: string) => (e: unknown) => { if (!this.stopped) this.log.warn({ err: e, role }, `${role} tick failed: ${(e as Error).message}`); };
    if (this.sequencer) void this.serial.sequencer.run(() => this.sequencer!.tick(v), onError('sequencer'));
    if (this.proverRole) void this.serial.prover.run(() => this.proverRole!.tick(v), onError('prover'));
    if (this.submitter) void this.serial.submitter.run(() => this.submitter!.tick(v), onError('submitter'));
    if (this.watcher) void this.serial.watcher.run(() => this.watcher!.tick(v), onError('watcher'));
  }

  /** Admits a signed L2 tx (checked against the pending state); returns its hash. Throws MempoolError. */
  async submitTx(tx: SignedTx | Uint8Array): Promise<string> {
    let signed: SignedTx;
    try {
      signed = tx instanceof Uint8Array ? decodeSignedTx(tx) : tx;
    } catch (e) {
      throw new MempoolError('malformed', (e as Error).message);
    }
    const hash = this.mempool.add(signed, { account: (i) => this.chain.pendingAccount(i) });
    await this.journal.flush(); // on disk before the caller hears it was accepted (grouped with concurrent admissions)
    await this.keeper.admitted(hash);
    // to the other nodes' mempools (a publish failure leaves the tx here, in this node's pool)
    if (this.txGossip) await this.txGossip.publish(signed).catch((e) => this.log.warn({ err: e, tx: hash }, `publishing tx ${hash} failed: ${(e as Error).message}`));
    return hash;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    await this.loop?.catch(() => undefined);
    await this.relayLink?.stop();
    await this.api?.close().catch(() => undefined);
    await this.metricsServer?.close().catch(() => undefined);
    await this.p2p?.stop().catch(() => undefined);
    for (const a of this.proverRole?.active.values() ?? []) a.ctrl.abort();
    await this.prover?.close().catch((e) => this.log.warn({ err: e }, 'prover pool close failed'));
    await this.ownVerifier?.close().catch(() => undefined);
    await this.chain.stop().catch(() => undefined);
    await this.keeper?.idle();
    await this.journal?.flush();
    await this.seen?.flush().catch(() => undefined);
    await this.store.close().catch(() => undefined);
  }
}
