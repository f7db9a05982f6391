// The node's libp2p host (SPEC §6): TCP + Noise + Yamux, identify, ping, bootstrap, a
// persistent peer key, gossipsub topics with validation before forwarding, bounded per-topic
// queues to the node's handlers, peer scoring with disconnect-and-ban, and req/resp. Hardened
// against hostile peers (issue 12): it joins only the topics asked for (`topics`); the expensive
// part of validation (signatures, in a thread of their own; the node's validators) waits in a per-topic ValidationGate
// (per-peer budgets, bounded, best score first); accepted messages are remembered beyond
// gossipsub's seen-cache (`seen`, node/p2p/seen.ts) so replays are not relayed again; connection
// limits and a peer manager that prunes the lowest-scored and redials reserved / known peers
// (node/p2p/peers.ts).
//
//   const p2p = await P2PNode.create({ dataDir, listen, bootstrap, validation, providers, registry });
//   p2p.subscribe('blocks', async (block, { from }) => { ... });
//   p2p.addValidator('blocks', (block) => known(block) ? ACCEPT : ignore('unknown-proposal'));
//   await p2p.start();
//   await p2p.publish('txs', signedTxMsg);
//   const block = await p2p.fetchBlock(peerId, hash);
//   await p2p.registerProtocol('prove_job/1', handler, { timeoutMs, maxResponseBytes, rateLimit });
import { createHash } from 'node:crypto';
import { bootstrap } from '@libp2p/bootstrap';
import { gossipsub, type GossipSub, type GossipsubMessage, type Message } from '@libp2p/gossipsub';
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerId } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { Registry } from 'prom-client';
import { bytesToBigInt, initPoseidon2, txsCommitment } from '../../circuits/l2/index.js';
import { blockHash } from '../l1/block.js';
import { createLogger, type Logger } from '../log.js';
import {
  BlockSsz, ProofSsz, StatusSsz, decodeSsz, encodeMessage, fromHex, hex,
  type BlockMsg, type ProofMsg, type StatusMsg, type TopicMessages,
} from './codec.js';
import { P2PMetrics } from './metrics.js';
import { loadOrCreatePeerKey } from './peer-key.js';
import { BoundedQueue } from './queue.js';
import { HandlerError, ReqResp, ReqRespError, type ProtocolHandler, type ProtocolLimits } from './reqresp.js';
import { TOPICS, TOPIC_KINDS, topicKindOf, topicName, type DropPolicy, type TopicKind } from './topics.js';
import { ValidationGate, type GateOptions } from './gate.js';
import { PeerManager, connectionOptions, type ConnectionOptions } from './peers.js';
import type { SeenMessages } from './seen.js';
import { SignatureThread } from './signatures.js';
import { checkDecoded, checkMessage, checkSignatures, ignore, reject, type ValidationContext, type Verdict } from './validation.js';

/** Context of a received message for validators: the peer it came from and its bytes. */
export interface ValidatorInfo { from: string; data: Uint8Array }
/** Context of a delivered message; msgId is the hex message id (as `publish` returns). */
export interface MessageInfo extends ValidatorInfo { msgId: string }

/**
 * A node-side (semantic) validator; runs after p2p's structural checks accepted the message.
 * Keep it fast (gossip waits for it): past `validatorTimeoutMs` the message is Ignored.
 * Byte fields of `value` are views into the received bytes: never mutate them.
 */
export type NodeValidator<K extends TopicKind> = (value: TopicMessages[K], info: ValidatorInfo) => Verdict | Promise<Verdict>;
export type MessageHandler<K extends TopicKind> = (value: TopicMessages[K], info: MessageInfo) => void | Promise<void>;

/** What this node serves to req/resp peers. Each may be set later with `setProviders`. */
export interface Providers {
  /** A block by its hash (0x-hex), or undefined when unknown. */
  block?: (hash: string) => Promise<BlockMsg | undefined> | BlockMsg | undefined;
  /** A proof by its id (0x-hex), or undefined when unknown. */
  proof?: (id: string) => Promise<ProofMsg | undefined> | ProofMsg | undefined;
  /** This node's status for the handshake. */
  status?: () => StatusMsg;
}

export interface ScoringOptions {
  /** Gossipsub score below which a peer is disconnected and banned (default -50). */
  disconnectThreshold: number;
  /** How long a banned peer is refused (default 10 min). */
  banMs: number;
  /** Per-topic weight of invalid (rejected) messages; the penalty is weight * count^2 (default -20). */
  invalidMessageWeight: number;
  /** Weight of IP colocation (several peers on one IP); 0 for loopback tests (default -5). */
  ipColocationWeight: number;
}

export interface P2POptions {
  /** Holds the persistent peer key (<dataDir>/p2p/peer-key). */
  dataDir: string;
  /** Listen multiaddrs (config p2pListen). */
  listen: string[];
  /** Multiaddrs with /p2p/<peer id> (config bootstrap). */
  bootstrap?: string[];
  validation?: ValidationContext;
  providers?: Providers;
  /** Per-topic queue overrides. */
  queues?: Partial<Record<TopicKind, { capacity?: number; policy?: DropPolicy }>>;
  scoring?: Partial<ScoringOptions>;
  /** A node validator that takes longer Ignores the message ('validator-timeout'; default 2000 ms). */
  validatorTimeoutMs?: number;
  /** Per-topic overrides of `validatorTimeoutMs` (default: proofs 60 s, as they wait for a bb verification). */
  validatorTimeouts?: Partial<Record<TopicKind, number>>;
  /**
   * The topics this node joins (subscribes, validates, relays); messages and subscriptions on any
   * other topic are dropped unread by gossipsub (`allowedTopics`). Default: every topic.
   */
  topics?: readonly TopicKind[];
  /** The node's own dedup of accepted messages, beyond gossipsub's seen-cache TTL (node/p2p/seen.ts). */
  seen?: SeenMessages;
  /** Gossipsub's seen-cache TTL, ms (default gossipsub's 2 min; tests shorten it to replay after it). */
  seenTtlMs?: number;
  /**
   * Per-topic ValidationGate in front of the expensive checks (signatures, the node's validators):
   * checks running at once, waiting at most, queued or running per peer (defaults: TOPIC_GATES).
   */
  gates?: Partial<Record<TopicKind, Partial<Pick<GateOptions, 'concurrency' | 'capacity' | 'perPeer'>>>>;
  /**
   * Check tx and quote signatures in a thread of their own (node/p2p/signatures.ts; the node turns
   * it on; default false: on the main thread, behind the gates). Started with the host when the
   * validation context has keys or a quote domain to check with.
   */
  signatureThread?: boolean;
  /** Connection limits and the peer manager's targets (node/p2p/peers.ts; defaults CONNECTION_DEFAULTS). */
  connections?: Partial<ConnectionOptions>;
  /** Gossipsub heartbeat, ms (default 700; tests use ~100). */
  heartbeatMs?: number;
  /** Registry of the node's metrics (node/metrics.ts `NodeMetrics.registry`). */
  registry?: Registry;
  logger?: Logger;
}

export const BLOCK_BY_HASH = 'block_by_hash/1';
export const PROOF_BY_ID = 'proof_by_id/1';
export const STATUS_PROTOCOL = 'status/1';

const HASH_REQUEST_BYTES = 32;

interface Queued { kind: TopicKind; value: unknown; info: MessageInfo }
/** Rejections of one peer not yet forgotten (decays like gossipsub's invalid-message counter). */
interface RejectTally { count: number; at: number }

/**
 * The gates in front of each topic's expensive checks. A tx or quote signature costs ~5 ms of CPU,
 * an RFQ's check L1 reads and a signature; honest traffic is far below these budgets (one RFQ per
 * revealed block, a few quotes per RFQ), so only a flood hits them, and its excess is Ignored
 * without any work ('peer-budget', 'queue-full').
 */
export const TOPIC_GATES: Record<TopicKind, Required<Pick<GateOptions, 'concurrency' | 'capacity' | 'perPeer'>>> = {
  txs: { concurrency: 2, capacity: 1024, perPeer: 128 },
  blocks: { concurrency: 1, capacity: 16, perPeer: 2 },
  rfq: { concurrency: 1, capacity: 32, perPeer: 4 },
  quotes: { concurrency: 2, capacity: 128, perPeer: 32 },
  proofs: { concurrency: 2, capacity: 32, perPeer: 4 },
};

/** Validator timeouts by topic unless set: a proof waits for a bb verification in the verify thread. */
const DEFAULT_VALIDATOR_TIMEOUTS: Partial<Record<TopicKind, number>> = { proofs: 60_000 };
/**
 * A peer whose messages of a topic overflow its gate budget by more than this many budgets (within
 * FLOOD_WINDOW_MS) is flooding: banned ('flood'). An honest relay stays within its budget: the
 * budgets are far above honest rates (TOPIC_GATES).
 */
const FLOOD_FACTOR = 2;
const FLOOD_WINDOW_MS = 10_000;
/** Per second, as the topics' invalidMessageDeliveriesDecay. */
const REJECT_DECAY = 0.99;
interface Stashed { value: unknown; from: string }

type Services = { pubsub: GossipSub; identify: unknown; ping: unknown };

export class P2PNode {
  readonly metrics: P2PMetrics;
  readonly log: Logger;
  readonly reqresp: ReqResp;
  /** Status each peer reported in the handshake. */
  readonly peerStatus = new Map<string, StatusMsg>();
  private readonly scoring: ScoringOptions;
  private readonly validators = new Map<TopicKind, NodeValidator<TopicKind>[]>();
  private readonly handlers = new Map<TopicKind, MessageHandler<TopicKind>[]>();
  private readonly queues = new Map<TopicKind, BoundedQueue<Queued>>();
  private readonly draining = new Set<TopicKind>();
  private readonly accepted = new WeakMap<Message, Stashed>();
  private readonly banned = new Map<string, { until: number; reason: string }>();
  private readonly rejects = new Map<string, RejectTally>();
  /** Messages over a gate budget, per peer and topic, in the current window. */
  private readonly overflows = new Map<string, { count: number; since: number }>();
  /** The gate in front of each joined topic's expensive checks. */
  readonly gates = new Map<TopicKind, ValidationGate>();
  /** The topics this node joins. */
  readonly topics: readonly TopicKind[];
  private lastPrune = 0;
  /** Connection limits, pruning, redials. */
  readonly peers: PeerManager;
  /** Where signatures are checked off the main thread (undefined: on it). */
  private readonly sigs?: SignatureThread;
  private providers: Providers;
  private started = false;
  private stopping = false;

  private constructor(readonly libp2p: Libp2p<Services>, private readonly opts: P2POptions, scoring: ScoringOptions, log: Logger, connections: ConnectionOptions) {
    this.log = log;
    this.scoring = scoring;
    this.providers = { ...opts.providers };
    this.metrics = new P2PMetrics(opts.registry, {
      queueDepths: () => Object.fromEntries([...this.queues].map(([k, q]) => [topicName(k), q.length])),
      peers: () => this.libp2p.getPeers().length,
    });
    this.reqresp = new ReqResp(libp2p, log.child({ sub: 'reqresp' }), this.metrics);
    this.peers = new PeerManager(libp2p, connections, { score: (p) => this.score(p), isBanned: (p) => this.isBanned(p), log: log.child({ sub: 'peers' }), metrics: this.metrics });
    this.topics = joinedTopics(opts.topics);
    if (opts.signatureThread) this.sigs = new SignatureThread(log);
    for (const kind of this.topics) {
      this.gates.set(kind, new ValidationGate({
        ...TOPIC_GATES[kind], ...opts.gates?.[kind], score: (peer) => this.score(peer),
        onOutcome: (outcome) => this.metrics.gate.inc({ topic: topicName(kind), outcome }),
      }));
    }
    for (const kind of TOPIC_KINDS) {
      const o = opts.queues?.[kind] ?? {};
      const policy = o.policy ?? TOPICS[kind].dropPolicy;
      this.queues.set(kind, new BoundedQueue<Queued>(o.capacity ?? TOPICS[kind].queueCapacity, policy, () => {
        this.metrics.queueDropped.inc({ topic: topicName(kind), policy });
      }));
    }
  }

  /** Builds the host (not started). Loads or creates the peer key in `dataDir`. */
  static async create(opts: P2POptions): Promise<P2PNode> {
    const log = opts.logger ?? createLogger('p2p');
    const { key, created } = await loadOrCreatePeerKey(opts.dataDir);
    const scoring: ScoringOptions = { disconnectThreshold: -50, banMs: 10 * 60_000, invalidMessageWeight: -20, ipColocationWeight: -5, ...opts.scoring };
    // The gater consults the ban list, which lives on the P2PNode created below.
    let self: P2PNode | undefined;
    const isBanned = (peer: PeerId) => self?.isBanned(peer.toString()) ?? false;
    const connections = connectionOptions(opts.connections, opts.bootstrap);
    const joined = joinedTopics(opts.topics);
    const topics = Object.fromEntries(joined.map((k) => [topicName(k), {
      topicWeight: 1,
      timeInMeshWeight: 0.01, timeInMeshQuantum: 1000, timeInMeshCap: 100,
      firstMessageDeliveriesWeight: 1, firstMessageDeliveriesDecay: 0.9, firstMessageDeliveriesCap: 20,
      // Quiet topics are normal here (one block a slot): no penalty for few deliveries.
      meshMessageDeliveriesWeight: 0, meshMessageDeliveriesDecay: 0.5, meshMessageDeliveriesCap: 1,
      meshMessageDeliveriesThreshold: 1, meshMessageDeliveriesWindow: 10, meshMessageDeliveriesActivation: 5000,
      meshFailurePenaltyWeight: 0, meshFailurePenaltyDecay: 0.5,
      invalidMessageDeliveriesWeight: scoring.invalidMessageWeight, invalidMessageDeliveriesDecay: 0.99,
    }]));
    const libp2p = await createLibp2p({
      privateKey: key,
      addresses: { listen: opts.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: opts.bootstrap?.length ? [bootstrap({ list: opts.bootstrap })] : [],
      connectionManager: {
        maxConnections: connections.maxConnections,
        maxIncomingPendingConnections: connections.maxPendingInbound,
        inboundConnectionThreshold: connections.inboundPerSecond,
      },
      connectionGater: {
        denyDialPeer: isBanned,
        denyInboundEncryptedConnection: (peer, conn) => {
          if (isBanned(peer)) {
            self?.metrics.connections.inc({ event: 'refused-banned' });
            return true;
          }
          return self?.peers.denyInbound(peer, conn) ?? false;
        },
        denyOutboundEncryptedConnection: isBanned,
      },
      start: false,
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m) => messageId(m.topic, m.data),
          msgIdToStrFn: (id) => Buffer.from(id).toString('hex'),
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          heartbeatInterval: opts.heartbeatMs ?? 700,
          allowedTopics: joined.map((k) => topicName(k)),
          ...(opts.seenTtlMs !== undefined ? { seenTTL: opts.seenTtlMs } : {}),
          scoreParams: {
            topics,
            IPColocationFactorWeight: scoring.ipColocationWeight,
            behaviourPenaltyWeight: -10, behaviourPenaltyDecay: 0.9,
            decayInterval: 1000, decayToZero: 0.01, retainScore: scoring.banMs,
          },
          scoreThresholds: {
            gossipThreshold: -10, publishThreshold: -40, graylistThreshold: -80,
            acceptPXThreshold: 100, opportunisticGraftThreshold: 1,
          },
        }),
      },
    });
    self = new P2PNode(libp2p as unknown as Libp2p<Services>, opts, scoring, log, connections);
    log.info({ peerId: libp2p.peerId.toString(), created }, created ? 'created a new peer key' : 'loaded the peer key');
    return self;
  }

  get peerId(): string { return this.libp2p.peerId.toString(); }
  get pubsub(): GossipSub { return this.libp2p.services.pubsub; }
  /** Listen addresses with /p2p/<peer id>, for others' bootstrap lists. */
  get addrs(): string[] { return this.libp2p.getMultiaddrs().map((a) => a.toString()); }

  setProviders(p: Providers): void { this.providers = { ...this.providers, ...p }; }

  /** Adds a semantic validator to a topic; validators run in order after p2p's own checks. */
  addValidator<K extends TopicKind>(kind: K, fn: NodeValidator<K>): void {
    this.requireJoined(kind);
    const list = this.validators.get(kind) ?? [];
    list.push(fn as unknown as NodeValidator<TopicKind>);
    this.validators.set(kind, list);
  }

  /** Receives accepted messages of a topic, in order, through the topic's bounded queue. */
  subscribe<K extends TopicKind>(kind: K, handler: MessageHandler<K>): void {
    this.requireJoined(kind);
    const list = this.handlers.get(kind) ?? [];
    list.push(handler as unknown as MessageHandler<TopicKind>);
    this.handlers.set(kind, list);
    if (this.started) this.pubsub.subscribe(topicName(kind));
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.opts.validation?.txPublicKey) await initPoseidon2();
    for (const kind of this.topics) {
      this.pubsub.topicValidators.set(topicName(kind), (peer, msg) => this.validate(kind, peer, msg));
    }
    this.pubsub.addEventListener('gossipsub:message', (e) => this.onMessage(e.detail));
    this.pubsub.addEventListener('gossipsub:heartbeat', () => this.enforceScores());
    this.libp2p.addEventListener('peer:connect', (e) => { void this.handshake(e.detail); });
    this.libp2p.addEventListener('peer:disconnect', (e) => { this.peerStatus.delete(e.detail.toString()); });
    await this.libp2p.start();
    this.started = true;
    for (const kind of this.handlers.keys()) this.pubsub.subscribe(topicName(kind));
    await this.registerBuiltins();
    await this.peers.start();
    const v = this.opts.validation;
    if (this.sigs && (v?.txPublicKey || v?.quoteDomain)) void this.sigs.warm().catch((e) => { if (this.started && !this.stopping) this.log.warn({ err: e }, 'starting the signature thread failed'); });
    this.log.info({ peerId: this.peerId, addrs: this.addrs }, 'p2p started');
    for (const a of this.opts.bootstrap ?? []) {
      this.libp2p.dial(multiaddr(a)).catch((e) => this.log.warn({ addr: a, err: (e as Error).message }, 'bootstrap dial failed'));
    }
  }

  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    this.peers.stop();
    for (const q of this.queues.values()) q.clear();
    await this.reqresp.unregisterAll();
    await this.libp2p.stop();
    await this.sigs?.close().catch(() => undefined);
    this.started = false;
    this.stopping = false;
    this.log.info({ peerId: this.peerId }, 'p2p stopped');
  }

  /**
   * Encodes, checks (size, structure) and publishes a message. Returns how many peers it was
   * sent to; throws when the message would be rejected by honest peers.
   */
  async publish<K extends TopicKind>(kind: K, value: TopicMessages[K]): Promise<{ recipients: number; msgId: string }> {
    this.requireJoined(kind);
    const data = encodeMessage(kind, value);
    const { verdict } = checkDecoded(kind, value, data, { ...this.opts.validation, isStaleSlot: undefined, l1BlockNumber: undefined, blockStanding: () => 'canonical' });
    if (verdict.result === 'reject') throw new Error(`refusing to publish an invalid ${kind} message: ${verdict.code}${verdict.detail ? ` (${verdict.detail})` : ''}`);
    const r = await this.pubsub.publish(topicName(kind), data);
    const msgId = Buffer.from(messageId(topicName(kind), data)).toString('hex');
    // our own message, replayed to us later, is no news either
    const slot = slotOf(kind, value);
    if (this.opts.seen && slot !== undefined) this.opts.seen.add(msgId, kind, slot);
    return { recipients: r.recipients.length, msgId };
  }

  private requireJoined(kind: TopicKind): void {
    if (!this.topics.includes(kind)) throw new Error(`this node does not join the ${kind} topic (joined: ${this.topics.join(', ')})`);
  }

  // ---- req/resp -------------------------------------------------------------------------

  /** Registers a request/response protocol, e.g. `registerProtocol('prove_job/1', handler, limits)`. */
  registerProtocol(name: string, handler: ProtocolHandler, limits: Partial<ProtocolLimits> = {}): Promise<void> {
    return this.reqresp.registerProtocol(name, handler, limits);
  }

  request(peer: string | PeerId, name: string, body: Uint8Array, opts?: { timeoutMs?: number; maxResponseBytes?: number }): Promise<Uint8Array | null> {
    return this.reqresp.request(typeof peer === 'string' ? peerIdFromString(peer) : peer, name, body, opts);
  }

  /**
   * A request to a peer this node may not be connected to: its addresses (e.g. from a signed RFQ) are
   * added to the peer store first, so the dial can reach it directly. A banned peer is never dialled.
   */
  async requestAt(peer: string, addrs: readonly string[], name: string, body: Uint8Array, opts?: { timeoutMs?: number; maxResponseBytes?: number }): Promise<Uint8Array | null> {
    if (this.isBanned(peer)) throw new ReqRespError('dial-failed', `${name} to ${peer}: the peer is banned`);
    const id = peerIdFromString(peer);
    const mas = addrs.flatMap((a) => { try { return [multiaddr(a)]; } catch { return []; } });
    if (mas.length) await this.libp2p.peerStore.merge(id, { multiaddrs: mas }).catch((e) => this.log.debug({ peer, err: (e as Error).message }, 'peer store merge failed'));
    return this.reqresp.request(id, name, body, opts);
  }

  /** The context gossip validation runs with (the market reuses it for point-to-point quotes). */
  get validationContext(): ValidationContext { return this.opts.validation ?? {}; }

  /** Fetches a block by its hash from one peer; null when the peer does not have it. */
  async fetchBlock(peer: string | PeerId, hash: string): Promise<BlockMsg | null> {
    const r = await this.request(peer, BLOCK_BY_HASH, fromHex(hash, 32));
    if (r === null) return null;
    const b = decodeResponse(BlockSsz, r, 'block');
    const got = blockMsgHash(b);
    if (got.toLowerCase() !== hash.toLowerCase()) throw new ReqRespError('bad-response', `asked for block ${hash}, got ${got}`);
    return b;
  }

  /** Fetches a proof by its id from one peer; null when the peer does not have it. */
  async fetchProof(peer: string | PeerId, id: string): Promise<ProofMsg | null> {
    const r = await this.request(peer, PROOF_BY_ID, fromHex(id, 32));
    if (r === null) return null;
    const p = decodeResponse(ProofSsz, r, 'proof');
    if (hex(p.id) !== id.toLowerCase()) throw new ReqRespError('bad-response', `asked for proof ${id}, got ${hex(p.id)}`);
    return p;
  }

  /** Asks a peer for its status (the handshake does this on every connection). */
  async status(peer: string | PeerId): Promise<StatusMsg> {
    const r = await this.request(peer, STATUS_PROTOCOL, new Uint8Array(0));
    if (r === null) throw new ReqRespError('not-found', 'peer serves no status');
    return decodeResponse(StatusSsz, r, 'status');
  }

  private async registerBuiltins(): Promise<void> {
    const byHash = (what: string, get: (h: string) => Promise<Uint8Array | null>): ProtocolHandler => async (req) => {
      if (req.length !== HASH_REQUEST_BYTES) throw new HandlerError('bad-request', `${what} request must be ${HASH_REQUEST_BYTES} bytes`);
      return get(hex(req));
    };
    await this.registerProtocol(BLOCK_BY_HASH, byHash('block', async (h) => {
      const b = await this.providers.block?.(h);
      return b ? BlockSsz.serialize(b) : null;
    }), { timeoutMs: 10_000, maxRequestBytes: HASH_REQUEST_BYTES, maxResponseBytes: TOPICS.blocks.maxBytes, rateLimit: { requests: 64, windowMs: 10_000 } });
    await this.registerProtocol(PROOF_BY_ID, byHash('proof', async (id) => {
      const p = await this.providers.proof?.(id);
      return p ? ProofSsz.serialize(p) : null;
    }), { timeoutMs: 20_000, maxRequestBytes: HASH_REQUEST_BYTES, maxResponseBytes: TOPICS.proofs.maxBytes, rateLimit: { requests: 32, windowMs: 10_000 } });
    await this.registerProtocol(STATUS_PROTOCOL, (req) => {
      if (req.length !== 0) throw new HandlerError('bad-request', 'status request is empty');
      const s = this.providers.status?.();
      return s ? StatusSsz.serialize(s) : null;
    }, { timeoutMs: 5_000, maxRequestBytes: 0, maxResponseBytes: 256, rateLimit: { requests: 10, windowMs: 10_000 } });
  }

  /** On connect: ask the peer's status; a peer of another chain or contract is disconnected. */
  private async handshake(peer: PeerId): Promise<void> {
    const mine = this.providers.status?.();
    if (!mine || this.stopping) return;
    try {
      const theirs = await this.status(peer);
      this.peerStatus.set(peer.toString(), theirs);
      if (theirs.chainId !== mine.chainId || hex(theirs.contract) !== hex(mine.contract)) {
        this.log.info({ peer: peer.toString(), chainId: String(theirs.chainId), contract: hex(theirs.contract) }, 'peer is on another network; disconnecting');
        this.ban(peer.toString(), 'wrong-network', 60_000);
      }
    } catch (e) {
      this.log.debug({ peer: peer.toString(), err: (e as Error).message }, 'status handshake failed');
    }
  }

  // ---- gossip validation and delivery -----------------------------------------------------

  private async validate(kind: TopicKind, peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const from = peer.toString();
    let verdict: Verdict;
    try {
      if (this.isBanned(from)) {
        // messages of a batch already read from a peer banned meanwhile: no work on them. Ignore,
        // not Reject: a copy of the same message from an honest peer must not be blamed.
        verdict = ignore('banned-peer', 'sender is banned');
      } else if (topicKindOf(msg.topic) !== kind) verdict = reject('malformed', `unexpected topic ${msg.topic}`);
      else if (this.gates.get(kind)!.overBudget(from)) {
        // nothing of it can run now: not even decoded
        verdict = ignore('peer-budget', 'this peer\'s checks fill its budget');
        this.metrics.gate.inc({ topic: topicName(kind), outcome: 'peer-budget' });
      } else {
        // cheap first: size, decoding, structure, staleness (no signature yet)
        const ctx = this.opts.validation ?? {};
        const checked = checkMessage(kind, msg.data, ctx, { signatures: false });
        verdict = checked.verdict;
        const slot = slotOf(kind, checked.value);
        const id = this.opts.seen && slot !== undefined ? Buffer.from(messageId(msg.topic, msg.data)).toString('hex') : '';
        if (verdict.result === 'accept' && id && this.opts.seen!.has(id)) {
          // accepted before, and gossipsub's seen-cache forgot it (TTL or restart): a replay
          verdict = ignore('duplicate', 'accepted before (node dedup, beyond the gossip seen-cache)');
        }
        if (verdict.result === 'accept') {
          const value = checked.value as TopicMessages[TopicKind];
          // the expensive part waits in the topic's gate: bounded, per-peer budget, best score first
          verdict = await this.gates.get(kind)!.submit(from, async () => {
            if (this.isBanned(from)) return ignore('banned-peer', 'sender was banned while this message waited');
            let v = this.sigs ? await this.sigs.check(kind, value, ctx) : checkSignatures(kind, value, ctx);
            const info: ValidatorInfo = { from, data: msg.data };
            for (const fn of this.validators.get(kind) ?? []) {
              if (v.result !== 'accept') break;
              v = await this.runValidator(kind, fn, value, info);
            }
            // banned while this check ran (another of its messages was the second invalid one): the
            // ban is the penalty; counting this one too would only blur the per-message tally
            if (v.result === 'reject' && this.isBanned(from)) return ignore('banned-peer', `sender was banned while this message was checked (${v.code})`);
            return v;
          });
          if (verdict.result === 'accept') {
            this.accepted.set(msg, { value: checked.value, from });
            if (id) this.opts.seen!.add(id, kind, slot!);
          }
        }
      }
    } catch (e) {
      this.log.error({ topic: msg.topic, from, err: e }, 'gossip validator failed; ignoring the message');
      verdict = ignore('validator-error', (e as Error).message);
    }
    const code = verdict.result === 'accept' ? '' : verdict.code;
    if (code === 'peer-budget') this.overflow(kind, from);
    this.metrics.gossip.inc({ topic: topicName(kind), outcome: verdict.result, code });
    if (verdict.result === 'accept') return TopicValidatorResult.Accept;
    this.log.debug({ topic: topicName(kind), from, outcome: verdict.result, code, detail: verdict.detail }, 'gossip message not accepted');
    if (verdict.result === 'ignore') return TopicValidatorResult.Ignore;
    this.penalise(from);
    return TopicValidatorResult.Reject;
  }

  /**
   * One more rejected message of `peer`, counted now, message by message: gossipsub applies its
   * own penalty only after the validator returns, and validates the messages of one RPC batch
   * concurrently, so without this tally a batch of junk would all be checked before its sender's
   * score fell. The tally uses the topics' weight (weight * count^2) and decay.
   */
  private penalise(peer: string): void {
    const now = Date.now();
    const t = this.rejects.get(peer);
    const count = (t ? t.count * REJECT_DECAY ** ((now - t.at) / 1000) : 0) + 1;
    this.rejects.set(peer, { count, at: now });
    if (this.scoring.invalidMessageWeight * count * count < this.scoring.disconnectThreshold) this.ban(peer, 'invalid-messages');
    // gossipsub's own score (the penalty lands right after we return)
    else setTimeout(() => this.enforceScore(peer), 0);
  }

  /** One more message of `peer` over its gate budget on `kind`; far over it is a flood (banned). */
  private overflow(kind: TopicKind, peer: string): void {
    const key = `${kind}\u0000${peer}`;
    const now = Date.now();
    let o = this.overflows.get(key);
    if (!o || now - o.since > FLOOD_WINDOW_MS) { o = { count: 0, since: now }; this.overflows.set(key, o); }
    o.count++;
    if (o.count > FLOOD_FACTOR * this.gates.get(kind)!.budget) {
      this.overflows.delete(key);
      this.ban(peer, 'flood');
    }
  }

  private async runValidator(kind: TopicKind, v: NodeValidator<TopicKind>, value: TopicMessages[TopicKind], info: ValidatorInfo): Promise<Verdict> {
    const r = v(value, info);
    if (!(r instanceof Promise)) return r;
    const ms = this.opts.validatorTimeouts?.[kind] ?? DEFAULT_VALIDATOR_TIMEOUTS[kind] ?? this.opts.validatorTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Verdict>((res) => { timer = setTimeout(() => res(ignore('validator-timeout', `no verdict within ${ms} ms`)), ms); });
    r.catch(() => {}); // a late failure after the timeout is moot
    try {
      return await Promise.race([r, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private onMessage({ msg, msgId, propagationSource }: GossipsubMessage): void {
    const kind = topicKindOf(msg.topic);
    const stash = this.accepted.get(msg);
    if (!kind || !stash || !this.handlers.get(kind)?.length) return;
    this.accepted.delete(msg);
    this.queues.get(kind)!.push({ kind, value: stash.value, info: { from: propagationSource.toString(), msgId, data: msg.data } });
    // Drain after gossipsub has forwarded the message (it forwards right after this event).
    if (!this.draining.has(kind)) {
      this.draining.add(kind);
      queueMicrotask(() => void this.drain(kind));
    }
  }

  private async drain(kind: TopicKind): Promise<void> {
    const q = this.queues.get(kind)!;
    try {
      for (let item = q.shift(); item; item = q.shift()) {
        for (const h of this.handlers.get(kind) ?? []) {
          try {
            await h(item.value as TopicMessages[TopicKind], item.info);
          } catch (e) {
            this.metrics.handlerErrors.inc({ topic: topicName(kind) });
            this.log.error({ topic: topicName(kind), from: item.info.from, err: e }, 'gossip handler failed');
          }
        }
      }
    } finally {
      this.draining.delete(kind);
    }
  }

  // ---- scoring, bans -------------------------------------------------------------------

  score(peer: string): number { return (this.pubsub as unknown as { getScore(p: string): number }).getScore(peer); }

  isBanned(peer: string): boolean {
    const b = this.banned.get(peer);
    if (!b) return false;
    if (Date.now() < b.until) return true;
    this.banned.delete(peer);
    return false;
  }

  /** Disconnects a peer and refuses it (dials both ways) for `ms`. */
  ban(peer: string, reason: string, ms = this.scoring.banMs): void {
    if (this.isBanned(peer)) return;
    this.banned.set(peer, { until: Date.now() + ms, reason });
    this.metrics.bans.inc({ reason });
    this.log.warn({ peer, reason, ms }, 'banning peer');
    this.libp2p.hangUp(peerIdFromString(peer)).catch((e) => this.log.debug({ peer, err: (e as Error).message }, 'hang up failed'));
  }

  private enforceScore(peer: string): void {
    if (!this.started || this.isBanned(peer)) return;
    const s = this.score(peer);
    if (s < this.scoring.disconnectThreshold) this.ban(peer, 'low-score');
  }

  private enforceScores(): void {
    for (const p of this.libp2p.getPeers()) this.enforceScore(p.toString());
    const now = Date.now();
    const isStale = this.opts.validation?.isStaleSlot;
    if (this.opts.seen && isStale && now - this.lastPrune > 5000) {
      this.lastPrune = now;
      this.opts.seen.prune(isStale);
    }
    for (const [p, b] of this.banned) if (now >= b.until) this.banned.delete(p);
    // a tally decayed below one message is forgotten (bounded by the peers that misbehaved lately)
    for (const [p, t] of this.rejects) if (t.count * REJECT_DECAY ** ((now - t.at) / 1000) < 0.5) this.rejects.delete(p);
    for (const [k, o] of this.overflows) if (now - o.since > FLOOD_WINDOW_MS) this.overflows.delete(k);
  }
}

function joinedTopics(topics: readonly TopicKind[] | undefined): readonly TopicKind[] {
  const t = topics ?? TOPIC_KINDS;
  for (const k of t) if (!TOPIC_KINDS.includes(k)) throw new RangeError(`unknown topic ${JSON.stringify(k)} (topics: ${TOPIC_KINDS.join(', ')})`);
  return TOPIC_KINDS.filter((k) => t.includes(k));
}

/** The slot a message is about (undefined for txs, which have none). */
function slotOf(kind: TopicKind, value: unknown): bigint | undefined {
  if (kind === 'txs' || !value) return undefined;
  return (value as { slot: bigint }).slot;
}

/** Gossip message id: sha256(topic ‖ 0x00 ‖ data)[0..20]; equal content = same id = dropped as duplicate. */
export function messageId(topic: string, data: Uint8Array): Uint8Array {
  return createHash('sha256').update(topic).update(new Uint8Array([0])).update(data).digest().subarray(0, 20);
}

function decodeResponse<T>(type: { serialize(v: T): Uint8Array; deserialize(b: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  try {
    return decodeSsz(type, bytes, what);
  } catch (e) {
    throw new ReqRespError('bad-response', (e as Error).message);
  }
}

/** The block hash (node/l1 `blockHash`, design.md) of a block message. */
export function blockMsgHash(b: BlockMsg): string {
  const txs = new Uint8Array(b.txs.length * 32);
  b.txs.forEach((t, i) => txs.set(t, i * 32));
  return blockHash({
    slot: b.slot, startRoot: bytesToBigInt(b.startRoot), endRoot: bytesToBigInt(b.endRoot),
    txsCommitment: txsCommitment(b.txs), txs, witnessData: b.witnessData,
  });
}
