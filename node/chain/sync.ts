// ChainSync: the node's L2 chain, derived from the Sidecar contract's events on L1.
//
// It follows the events from a persisted cursor (catch-up with eth_getLogs, then live), fetches
// each reveal's calldata (txs + witnessData, decoded with the contract ABI, from the reveal tx or,
// for a reveal made through another contract, from its call trace), executes revealed blocks on
// the L2 WorldState, and keeps in LevelDB (node/chain/repos.ts): revealed blocks by hash and by
// slot, the canonical block per slot and its status, the pending chain and the proven chain
// apart, the world state at the proven tip and at the pending tip, and every tx's status ladder.
//
// State choice (measured in bench/chain-sync.ts): two snapshots, the proven tip and the pending
// tip, rewritten when they change; the pre-state of a pending block is a replay of the pending
// blocks before it on the proven tip (the pending chain is at most `reorgWindow` blocks), and a
// slash restores the pending tip from the proven one. No per-block snapshot.
//
// Crash safety: each event's effects, the cursor (L1 block + log index) and an undo record are
// one LevelDB batch. After `kill -9` a restart skips exactly the events already applied.
// L1 reorgs: every range's last block hash is stored; when the stored hash of the previous
// cursor block is no longer on chain, the undo records after the fork point are applied in
// reverse and the events are derived again from there (a fork deeper than the journal starts
// over from the deployment block).
import { Interface, type Provider } from 'ethers';
import {
  WorldState, decodeBlockTxs, fromHex, toHex, txHash, TxValidationError, TxFormatError,
  type Account, type GenesisAccount, type SignedTx,
} from '../../circuits/l2/index.js';
import { blockHash as computeBlockHash, splitTxs } from '../l1/block.js';
import type { SidecarClient } from '../l1/client.js';
import { EventFollower, WsEventSubscription, type ContractEvent } from '../l1/events.js';
import { createLogger, type Logger } from '../log.js';
import { observe, type TxStatus, type TxStatusRecord } from '../status/ladder.js';
import { StorageError, type Repository, type Store } from '../storage/index.js';
import {
  chainRepos, padSeq, padSlot,
  type CanonicalBlock, type ChainRepos, type ProposalRecord, type Cursor, type RevealedBlock, type StateRecord,
} from './repos.js';
import { WriteSet } from './writeset.js';

export type { CanonicalBlock, RevealedBlock, ProposalRecord, StateRecord, CanonicalStatus } from './repos.js';

export class ChainSyncError extends Error {
  constructor(readonly code: 'genesis-mismatch' | 'not-started' | 'stopped' | 'timeout' | 'fatal', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChainSyncError';
  }
}

/** A log whose arguments are not what the ABI promises (or inconsistent with the chain). */
export class ChainEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChainEventError';
  }
}

export type ChainNotice =
  | { type: 'revealed'; slot: number; sequencer: string; blockHash: string; provable: boolean; reason?: string }
  | { type: 'canonical'; slot: number; sequencer: string; blockHash?: string }
  | { type: 'proven' | 'slashed' | 'invalidated' | 'finalized'; slot: number; blockHash?: string }
  | { type: 'rewound'; lastProvenSlot: number }
  | { type: 'l1-reorg'; forkBlock: number | undefined };

export interface ChainSyncOptions {
  store: Store;
  /** the deployment's client (its provider is used unless `provider` is given) */
  client: SidecarClient;
  /** the L2 genesis accounts; their root must equal the contract's genesisRoot */
  genesis: readonly GenesisAccount[];
  /** follow over this provider (HTTP polling or WebSocket); default client.provider */
  provider?: Provider;
  /** follow over a WebSocket of its own that reconnects (instead of `provider`) */
  wsUrl?: string;
  /** L1 confirmations after which a proven block's txs are `finalized` (default 12) */
  finalityDepth?: number;
  /** L1 blocks of undo journal kept for reorgs (default 256) */
  reorgDepth?: number;
  /** eth_getLogs range (default 2000) */
  maxRange?: number;
  /** attempts to fetch a reveal's calldata before the block is marked unavailable (default 4) */
  fetchAttempts?: number;
  log?: Logger;
  now?: () => number;
}

export interface ChainHead {
  pending: { slot: number; blockHash?: string; root: string; provable: boolean; brokenAt?: number };
  proven: { slot: number; blockHash?: string; root: string };
  /** last L1 block fully handled */
  l1Block: number;
  killedUpTo: number;
  diverged?: string;
}

export interface CanProve { ok: boolean; reason?: string; blockHash?: string }

interface Follower { start(): Promise<void>; stop(): Promise<void>; readonly position: number }

/** What one event's handler stages besides repository writes. */
interface Ctx {
  ws: WriteSet;
  pending: WorldState;
  pendingRec: StateRecord;
  proven: WorldState;
  provenRec: StateRecord;
  pendingChanged: boolean;
  provenChanged: boolean;
  notices: ChainNotice[];
  now: number;
}

const ZERO32 = '0x' + '0'.repeat(64);

function asNumber(v: unknown, what: string): number {
  if (typeof v !== 'bigint' || v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ChainEventError(`${what}: expected a uint, got ${String(v)}`);
  return Number(v);
}
function asBigint(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n) throw new ChainEventError(`${what}: expected a uint, got ${String(v)}`);
  return v;
}
function asAddress(v: unknown, what: string): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new ChainEventError(`${what}: expected an address, got ${String(v)}`);
  return v;
}
function asHash(v: unknown, what: string): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw new ChainEventError(`${what}: expected bytes32, got ${String(v)}`);
  return v.toLowerCase();
}
const hex32 = (x: bigint): string => toHex(x).toLowerCase();
const seqKey = (slot: number, sequencer: string): string => `${padSlot(slot)}/${sequencer.toLowerCase()}`;

function stateRecord(s: WorldState, slot: number, blockHash?: string, brokenAt?: number): StateRecord {
  return { slot, blockHash, root: hex32(s.root()), brokenAt, accounts: s.toJSON().accounts };
}

export class ChainSync {
  readonly repos: ChainRepos;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly iface: Interface;
  private readonly provider: Provider;
  private readonly sidecar: string;
  private readonly byPrefix: Map<string, Repository<unknown>>;
  private follower?: Follower;
  private pendingWs!: WorldState;
  private pendingRec!: StateRecord;
  private provenWs!: WorldState;
  private provenRec!: StateRecord;
  private cursor!: Cursor;
  private killedUpTo = 0;
  private diverged?: string;
  private lock: Promise<unknown> = Promise.resolve();
  private listeners = new Set<(n: ChainNotice) => void>();
  private skipThrough?: { block: number; logIndex: number };
  private rewinding = false;
  private running = false;
  private fatal?: Error;
  private waiters: { block: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  /**
   * End states of recently executed blocks (block hash → state after it), so that a block's txs
   * are executed once: at reveal (validated), then reused when it extends the pending tip and when
   * it is proven. States here are never mutated (every apply works on a clone).
   */
  private endStates = new Map<string, WorldState>();
  /** events applied since open (for tests and figures) */
  stats = { events: 0, blocks: 0, txs: 0, skipped: 0, reorgs: 0 };

  private constructor(private readonly o: ChainSyncOptions) {
    this.repos = chainRepos(o.store);
    this.byPrefix = new Map(Object.values(this.repos).map((r) => [(r as Repository<unknown>).prefix, r as Repository<unknown>]));
    this.log = o.log ?? createLogger('chain');
    this.now = o.now ?? Date.now;
    this.iface = o.client.events;
    this.provider = o.provider ?? o.client.provider;
    this.sidecar = o.client.deployment.sidecar.toLowerCase();
  }

  /**
   * Opens the chain over `store`: loads the persisted states and cursor, or writes genesis on a
   * fresh store. Throws ChainSyncError('genesis-mismatch') when the genesis accounts do not give
   * the contract's genesisRoot, StorageError when a stored value is damaged.
   */
  static async open(o: ChainSyncOptions): Promise<ChainSync> {
    const s = new ChainSync(o);
    await s.load();
    return s;
  }

  private async load(): Promise<void> {
    const genesisRoot = this.o.client.deployment.config.genesisRoot.toLowerCase();
    const proven = await this.repos.state.get('proven');
    if (!proven) {
      const g = await WorldState.create(this.o.genesis);
      if (hex32(g.root()) !== genesisRoot) {
        throw new ChainSyncError('genesis-mismatch', `the genesis accounts give L2 root ${hex32(g.root())}, but the Sidecar contract's genesisRoot is ${genesisRoot}: wrong genesis file or wrong deployment`);
      }
      const rec = stateRecord(g, 0);
      const b = this.o.store.batch();
      b.put(this.repos.state, 'proven', rec);
      b.put(this.repos.state, 'pending', rec);
      b.put(this.repos.cursor, 'cursor', { block: this.o.client.deployment.deployBlock - 1, blockHash: '', logIndex: -1, complete: true, seq: 0 });
      await b.write();
    }
    const pending = await this.repos.state.get('pending');
    const provenRec = (await this.repos.state.get('proven'))!;
    if (!pending) throw new StorageError('bad-value', `chain state in ${this.o.store.dir}: the proven state exists but the pending state is missing`);
    this.provenRec = provenRec;
    this.pendingRec = pending;
    this.provenWs = await this.stateFrom(provenRec, 'proven');
    // the same state twice (fresh, or nothing pending): build the accounts tree once
    const same = pending.root === provenRec.root && pending.accounts.length === provenRec.accounts.length
      && JSON.stringify(pending.accounts) === JSON.stringify(provenRec.accounts);
    this.pendingWs = same ? this.provenWs.clone() : await this.stateFrom(pending, 'pending');
    const c = await this.repos.cursor.get('cursor');
    if (!c) throw new StorageError('bad-value', `chain state in ${this.o.store.dir}: the L1 cursor is missing`);
    this.cursor = c;
    const meta = await this.repos.meta.get('meta');
    this.killedUpTo = meta?.killedUpTo ?? 0;
    this.diverged = meta?.diverged;
  }

  private async stateFrom(rec: StateRecord, key: string): Promise<WorldState> {
    const s = await WorldState.fromJSON({ accounts: rec.accounts });
    if (hex32(s.root()) !== rec.root) {
      throw new StorageError('bad-value', `stored value at chain.state/${key} in ${this.o.store.dir}: its accounts give root ${hex32(s.root())}, not the stored root ${rec.root}`);
    }
    return s;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Checks the cursor against L1 (rewinding after a reorg), catches up, then follows live. */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.fatal) throw this.fatal;
    this.running = true;
    if (this.cursor.blockHash && this.cursor.block >= 0) {
      const h = (await this.provider.getBlock(this.cursor.block))?.hash?.toLowerCase();
      if (h !== this.cursor.blockHash) await this.rewind();
    }
    await this.startFollower();
  }

  private async startFollower(): Promise<void> {
    const c = this.cursor;
    // a partially applied block: re-read it and skip what is already applied
    this.skipThrough = c.complete ? undefined : { block: c.block, logIndex: c.logIndex };
    const followCursor = c.complete ? c.block : c.block - 1;
    const common = {
      contracts: [{ address: this.o.client.deployment.sidecar, iface: this.iface }],
      cursor: followCursor,
      maxRange: this.o.maxRange,
      onEvent: (e: ContractEvent) => this.ingest(e),
      onCursor: (b: number) => this.onCursor(b),
      onError: (e: Error) => this.log.error({ err: e }, `L1 events: ${e.message}`),
    };
    this.follower = this.o.wsUrl
      ? new WsEventSubscription({ ...common, url: this.o.wsUrl, chainId: this.o.client.deployment.chainId })
      : new EventFollower({ ...common, provider: this.provider });
    await this.follower.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    const f = this.follower;
    this.follower = undefined;
    await f?.stop();
    await this.exclusive(async () => undefined);
    for (const w of this.waiters.splice(0)) w.reject(new ChainSyncError('stopped', `chain sync stopped before L1 block ${w.block}`));
  }

  /** Resolves once every L1 block up to `block` is applied (default: the current head). */
  async syncTo(block?: number, timeoutMs = 30_000): Promise<void> {
    const target = block ?? (await this.provider.getBlockNumber());
    if (this.fatal) throw this.fatal;
    if (this.cursor.complete && this.cursor.block >= target) return;
    if (!this.running) throw new ChainSyncError('not-started', 'chain sync is not running');
    await new Promise<void>((resolve, reject) => {
      const w = { block: target, resolve, reject };
      this.waiters.push(w);
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new ChainSyncError('timeout', `chain sync did not reach L1 block ${target} within ${timeoutMs} ms (at ${this.cursor.block})`));
      }, timeoutMs);
      const done = w.resolve;
      w.resolve = () => { clearTimeout(t); done(); };
      const fail = w.reject;
      w.reject = (e) => { clearTimeout(t); fail(e); };
    });
  }

  /** Chain notices (after they are durably written). Returns the unsubscribe function. */
  subscribe(fn: (n: ChainNotice) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn);
    this.lock = p.catch(() => undefined);
    return p;
  }

  private setFatal(e: Error): void {
    if (this.fatal) return;
    this.fatal = new ChainSyncError('fatal', `chain sync stopped: ${e.message}`, { cause: e });
    this.log.fatal({ err: e }, 'chain sync stopped: storage failure');
    for (const w of this.waiters.splice(0)) w.reject(this.fatal);
    void this.stop().catch(() => undefined);
  }

  // ------------------------------------------------------------------ event handling

  /**
   * Applies one decoded Sidecar event (the follower calls this in L1 order; replay tools may too).
   * An event whose arguments or calldata are unusable is logged and skipped (the cursor moves past
   * it). It never throws: a storage failure stops the sync (syncTo/start then reject with it).
   */
  async ingest(ev: ContractEvent): Promise<void> {
    if (this.rewinding || this.fatal) return;
    const s = this.skipThrough;
    if (s && (ev.blockNumber < s.block || (ev.blockNumber === s.block && ev.logIndex <= s.logIndex))) return;
    // fetch calldata outside the lock (RPC), apply inside it
    const reveal = ev.name === 'Revealed' ? await this.fetchReveal(ev) : undefined;
    await this.exclusive(async () => {
      if (this.rewinding || this.fatal) return;
      let ctx = this.ctx();
      try {
        await this.apply(ev, ctx, reveal);
      } catch (e) {
        if (e instanceof StorageError) { this.setFatal(e); return; }
        this.stats.skipped++;
        this.log.error({ err: e, event: ev.name, l1Block: ev.blockNumber, logIndex: ev.logIndex, tx: ev.transactionHash }, `skipped ${ev.name} at L1 block ${ev.blockNumber} (log ${ev.logIndex}): ${(e as Error).message}`);
        ctx = this.ctx(); // none of its effects; the cursor still moves past it
      }
      await this.commit(ctx, { block: ev.blockNumber, blockHash: ev.blockHash.toLowerCase(), logIndex: ev.logIndex, complete: false });
      this.stats.events++;
    });
  }

  private async onCursor(block: number): Promise<void> {
    if (this.rewinding || this.fatal) return;
    let hash: string | undefined;
    let prevOk = true;
    try {
      hash = (await this.provider.getBlock(block))?.hash?.toLowerCase();
      const prev = this.cursor;
      if (prev.blockHash && prev.block >= 0 && prev.block < block) {
        const now = prev.block === block ? hash : (await this.provider.getBlock(prev.block))?.hash?.toLowerCase();
        prevOk = now === prev.blockHash;
      }
    } catch (e) {
      this.log.warn({ err: e }, `cannot read L1 block ${block}: ${(e as Error).message}; cursor not advanced`);
      return;
    }
    if (!prevOk || !hash) {
      this.log.warn({ l1Block: this.cursor.block }, `L1 reorg: block ${this.cursor.block} is no longer ${this.cursor.blockHash}; rewinding`);
      setImmediate(() => { void this.reorg(); });
      this.rewinding = true;
      return;
    }
    await this.exclusive(async () => {
      if (this.rewinding || this.fatal) return;
      const ctx = this.ctx();
      try {
        await this.finalize(ctx, block);
        await this.prune(ctx, block);
      } catch (e) {
        if (e instanceof StorageError) { this.setFatal(e); return; }
        throw e;
      }
      await this.commit(ctx, { block, blockHash: hash!, logIndex: -1, complete: true });
      this.skipThrough = undefined;
      for (const w of this.waiters.filter((x) => x.block <= block)) w.resolve();
      this.waiters = this.waiters.filter((x) => x.block > block);
    });
  }

  private ctx(): Ctx {
    return {
      ws: new WriteSet(), pending: this.pendingWs, pendingRec: this.pendingRec, proven: this.provenWs, provenRec: this.provenRec,
      pendingChanged: false, provenChanged: false, notices: [], now: this.now(),
    };
  }

  /** One atomic batch: the event's writes, its undo record, the cursor and the L1 block hash. */
  private async commit(ctx: Ctx, c: Omit<Cursor, 'seq'>): Promise<void> {
    try {
      if (ctx.pendingChanged) ctx.ws.put(this.repos.state, 'pending', ctx.pendingRec);
      if (ctx.provenChanged) ctx.ws.put(this.repos.state, 'proven', ctx.provenRec);
      const batch = this.o.store.batch();
      const undo = await ctx.ws.addTo(batch, true);
      let seq = this.cursor.seq;
      if (undo.length) {
        seq++;
        batch.put(this.repos.undo, padSeq(seq), { seq, block: c.block, entries: undo });
      }
      const cursor: Cursor = { ...c, seq };
      batch.put(this.repos.cursor, 'cursor', cursor);
      batch.put(this.repos.l1Hashes, padSlot(c.block), c.blockHash);
      await batch.write();
      this.cursor = cursor;
    } catch (e) {
      this.setFatal(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (ctx.pendingChanged) { this.pendingWs = ctx.pending; this.pendingRec = ctx.pendingRec; }
    if (ctx.provenChanged) { this.provenWs = ctx.proven; this.provenRec = ctx.provenRec; }
    for (const n of ctx.notices) {
      for (const l of this.listeners) {
        try { l(n); } catch (e) { this.log.error({ err: e }, `chain notice listener failed: ${(e as Error).message}`); }
      }
    }
  }

  private async apply(ev: ContractEvent, ctx: Ctx, reveal?: RevealData): Promise<void> {
    const a = ev.args;
    switch (ev.name) {
      case 'Proposed': {
        const slot = asNumber(a.slot, 'Proposed.slot');
        const sequencer = asAddress(a.sequencer, 'Proposed.sequencer');
        ctx.ws.put(this.repos.proposals, seqKey(slot, sequencer), {
          slot, sequencer, commitment: asHash(a.commitment, 'Proposed.commitment'), tip: asBigint(a.tip, 'Proposed.tip'),
          rewardShareBps: asNumber(a.rewardShareBps, 'Proposed.rewardShareBps'), l1Block: ev.blockNumber,
        });
        return;
      }
      case 'Revealed': return this.onRevealed(ev, ctx, reveal!);
      case 'ProverCommitted': {
        const slot = asNumber(a.slot, 'ProverCommitted.slot');
        const sequencer = asAddress(a.sequencer, 'ProverCommitted.sequencer');
        const p = await ctx.ws.get(this.repos.proposals, seqKey(slot, sequencer));
        if (!p) throw new ChainEventError(`ProverCommitted for slot ${slot} by ${sequencer} without a known proposal`);
        ctx.ws.put(this.repos.proposals, seqKey(slot, sequencer), {
          ...p, prover: asAddress(a.prover, 'ProverCommitted.prover'), deposit: asBigint(a.deposit, 'ProverCommitted.deposit'),
          depositor: asAddress(a.depositor, 'ProverCommitted.depositor'),
        });
        // the canonical record (if this is it) learns its prover
        const c = await ctx.ws.get(this.repos.canonical, padSlot(slot));
        if (c && c.sequencer.toLowerCase() === sequencer.toLowerCase()) ctx.ws.put(this.repos.canonical, padSlot(slot), { ...c, prover: a.prover as string });
        return;
      }
      case 'CanonicalUpdated': return this.onCanonical(ev, ctx);
      case 'BlockProven': return this.onProven(ev, ctx);
      case 'BlockSlashed': return this.onRemoved(ev, ctx, 'slashed');
      case 'BlockInvalidated': return this.onRemoved(ev, ctx, 'invalidated');
      case 'ChainRewound': return this.onRewound(ev, ctx);
      default: return; // staking, refunds, withdrawals: not part of the L2 chain
    }
  }

  private async markTxs(ctx: Ctx, hashes: readonly string[], status: TxStatus, where: { slot?: number; blockHash?: string } = {}): Promise<void> {
    for (const h of hashes) {
      const prev = await ctx.ws.get(this.repos.txs, h);
      const next = observe(prev, h, status, ctx.now, where);
      if (next !== prev) ctx.ws.put(this.repos.txs, h, next);
    }
  }

  private async onRevealed(ev: ContractEvent, ctx: Ctx, data: RevealData): Promise<void> {
    const a = ev.args;
    const slot = asNumber(a.slot, 'Revealed.slot');
    const sequencer = asAddress(a.sequencer, 'Revealed.sequencer');
    const hash = asHash(a.blockHash, 'Revealed.blockHash');
    const startRoot = asHash(a.startRoot, 'Revealed.startRoot');
    const endRoot = asHash(a.endRoot, 'Revealed.endRoot');
    const txsCommitment = asHash(a.txsCommitment, 'Revealed.txsCommitment');
    const txCount = asNumber(a.txCount, 'Revealed.txCount');
    let provable = true;
    let reason: string | undefined;
    let signed: SignedTx[] = [];
    let txs: Uint8Array = new Uint8Array(0);
    let witnessData: Uint8Array = new Uint8Array(0);
    if ('error' in data) {
      provable = false;
      reason = `data-unavailable: ${data.error}`;
    } else {
      txs = data.txs;
      witnessData = data.witnessData;
      try {
        signed = decodeBlockTxs(splitTxs(txs), witnessData);
        if (signed.length !== txCount) throw new TxFormatError('bad-length', `calldata holds ${signed.length} txs, the event says ${txCount}`);
      } catch (e) {
        signed = [];
        provable = false;
        reason = `malformed: ${(e as Error).message}`;
      }
    }
    if (provable) {
      const exec = this.executeOnPending(ctx, hash, startRoot, endRoot, signed);
      provable = exec.ok;
      reason = exec.reason;
    }
    const txHashes = signed.map((t) => txHash(t));
    const rec: RevealedBlock = {
      slot, sequencer, blockHash: hash, startRoot, endRoot, txsCommitment, txCount, txs, witnessData, txHashes,
      provable, reason, l1Block: ev.blockNumber, l1Tx: ev.transactionHash.toLowerCase(),
    };
    ctx.ws.put(this.repos.revealed, hash, rec);
    ctx.ws.put(this.repos.revealedBySlot, seqKey(slot, sequencer), hash);
    // link the proposal (known by its sealed commitment) to the block it revealed
    const proposal = await ctx.ws.get(this.repos.proposals, seqKey(slot, sequencer));
    if (proposal) ctx.ws.put(this.repos.proposals, seqKey(slot, sequencer), { ...proposal, blockHash: hash });
    await this.markTxs(ctx, txHashes, 'revealed', { slot, blockHash: hash });
    this.stats.blocks++;
    this.stats.txs += txHashes.length;
    if (!provable) this.log.warn({ slot, sequencer, blockHash: hash, reason }, `revealed block of slot ${slot} by ${sequencer} is unprovable: ${reason}`);
    ctx.notices.push({ type: 'revealed', slot, sequencer, blockHash: hash, provable, reason });
  }

  /** Would `signed` applied on the pending tip give `endRoot`? (never changes the pending state) */
  private executeOnPending(ctx: Ctx, hash: string, startRoot: string, endRoot: string, signed: SignedTx[]): { ok: boolean; reason?: string } {
    if (ctx.pendingRec.brokenAt !== undefined) return { ok: false, reason: `parent-unprovable: pending block of slot ${ctx.pendingRec.brokenAt} cannot be executed` };
    if (startRoot !== ctx.pendingRec.root) return { ok: false, reason: `start-root-mismatch: block starts at ${startRoot}, the pending tip (slot ${ctx.pendingRec.slot}) is ${ctx.pendingRec.root}` };
    try {
      const work = ctx.pending.clone();
      const r = work.applyBlock(signed);
      if (hex32(r.endRoot) !== endRoot) return { ok: false, reason: `bad-end-root: executing the txs gives ${hex32(r.endRoot)}, the block says ${endRoot}` };
      this.remember(hash, work);
      return { ok: true };
    } catch (e) {
      if (e instanceof TxValidationError) return { ok: false, reason: `${e.code}: ${e.message}` };
      throw e;
    }
  }

  private async onCanonical(ev: ContractEvent, ctx: Ctx): Promise<void> {
    const a = ev.args;
    const slot = asNumber(a.slot, 'CanonicalUpdated.slot');
    const sequencer = asAddress(a.sequencer, 'CanonicalUpdated.sequencer');
    const parentSlot = asNumber(a.parentSlot, 'CanonicalUpdated.parentSlot');
    const key = padSlot(slot);
    const prev = await ctx.ws.get(this.repos.canonical, key);
    const hash = await ctx.ws.get(this.repos.revealedBySlot, seqKey(slot, sequencer));
    const block = hash ? await ctx.ws.get(this.repos.revealed, hash) : undefined;
    const proposal = await ctx.ws.get(this.repos.proposals, seqKey(slot, sequencer));
    const rec: CanonicalBlock = {
      slot, sequencer, blockHash: hash ?? proposal?.blockHash, parentSlot, status: 'pending', finalized: false,
      provable: block?.provable ?? false, reason: block ? block.reason : 'no revealed data for this block',
      txHashes: block?.txHashes ?? [], l1Block: ev.blockNumber, prover: proposal?.prover,
    };
    ctx.ws.put(this.repos.canonical, key, rec);
    ctx.ws.put(this.repos.pending, key, rec.blockHash ?? ZERO32);
    if (prev && prev.blockHash !== rec.blockHash) {
      // the lead changed within the commitment phase: the displaced block's txs fall back
      const keep = new Set(rec.txHashes);
      await this.markTxs(ctx, prev.txHashes.filter((h) => !keep.has(h)), 'reorged');
      await this.rebuildPending(ctx);
    } else if (!prev) {
      await this.extendPending(ctx, rec, block);
    }
    await this.markTxs(ctx, rec.txHashes, 'committed', { slot, blockHash: rec.blockHash });
    ctx.notices.push({ type: 'canonical', slot, sequencer, blockHash: rec.blockHash });
  }

  /** Applies a new canonical block onto the pending tip, or marks the pending chain broken there. */
  private async extendPending(ctx: Ctx, rec: CanonicalBlock, block: RevealedBlock | undefined): Promise<void> {
    if (ctx.pendingRec.brokenAt !== undefined) return;
    const next = block && rec.parentSlot === ctx.pendingRec.slot ? this.applyStored(ctx.pending, block) : undefined;
    ctx.pendingChanged = true;
    if (next) {
      ctx.pending = next;
      ctx.pendingRec = stateRecord(next, rec.slot, rec.blockHash);
    } else {
      ctx.pendingRec = { ...ctx.pendingRec, brokenAt: rec.slot };
    }
  }

  private remember(hash: string, state: WorldState): void {
    this.endStates.delete(hash);
    this.endStates.set(hash, state);
    while (this.endStates.size > 32) this.endStates.delete(this.endStates.keys().next().value!);
  }

  /**
   * `base` + the block's txs (a new state; `base` is not changed), or undefined when it cannot be
   * applied or ends elsewhere. The block was validated on this same start root when revealed, so
   * this reuses that result, or replays without re-checking signatures and checks the end root.
   */
  private applyStored(base: WorldState, block: RevealedBlock): WorldState | undefined {
    if (!block.provable || hex32(base.root()) !== block.startRoot) return undefined;
    const cached = this.endStates.get(block.blockHash);
    if (cached && hex32(cached.root()) === block.endRoot) return cached;
    try {
      const work = base.clone();
      const r = work.applyBlock(decodeBlockTxs(splitTxs(block.txs), block.witnessData), { validate: false });
      if (hex32(r.endRoot) !== block.endRoot) return undefined;
      this.remember(block.blockHash, work);
      return work;
    } catch (e) {
      if (e instanceof TxValidationError || e instanceof TxFormatError) return undefined;
      throw e;
    }
  }

  /** pending tip = proven tip + every pending block in order (stopping at the first that fails). */
  private async rebuildPending(ctx: Ctx): Promise<void> {
    let state = ctx.proven;
    let rec: StateRecord = { ...ctx.provenRec, brokenAt: undefined };
    for (const [key, hash] of await ctx.ws.entries(this.repos.pending)) {
      const slot = Number(key);
      const block = await ctx.ws.get(this.repos.revealed, hash);
      const next = block ? this.applyStored(state, block) : undefined;
      if (!next) { rec = { ...rec, brokenAt: slot }; break; }
      state = next;
      rec = stateRecord(next, slot, hash);
    }
    ctx.pending = state === ctx.proven ? ctx.proven.clone() : state;
    ctx.pendingRec = rec;
    ctx.pendingChanged = true;
  }

  private async onProven(ev: ContractEvent, ctx: Ctx): Promise<void> {
    const a = ev.args;
    const slot = asNumber(a.slot, 'BlockProven.slot');
    const key = padSlot(slot);
    const c = await ctx.ws.get(this.repos.canonical, key);
    if (!c) throw new ChainEventError(`BlockProven for slot ${slot}, which has no canonical block here`);
    ctx.ws.put(this.repos.canonical, key, {
      ...c, status: 'proven', provenAtL1: ev.blockNumber, statusAtL1: ev.blockNumber,
      prover: asAddress(a.prover, 'BlockProven.prover'), recipient: asAddress(a.recipient, 'BlockProven.recipient'),
    });
    ctx.ws.del(this.repos.pending, key);
    ctx.ws.put(this.repos.proven, key, c.blockHash ?? ZERO32);
    ctx.ws.put(this.repos.finality, key, ev.blockNumber);
    const block = c.blockHash ? await ctx.ws.get(this.repos.revealed, c.blockHash) : undefined;
    const next = block && c.parentSlot === ctx.provenRec.slot ? this.applyStored(ctx.proven, block) : undefined;
    if (next) {
      ctx.proven = next;
      ctx.provenRec = stateRecord(next, slot, c.blockHash);
    } else {
      // L1 verified a proof of a block this node cannot execute: the derived state is wrong
      const msg = `slot ${slot} was proven on L1 but this node cannot derive its end state (${block ? block.reason ?? 'parent mismatch' : 'no revealed data'})`;
      this.diverged = msg;
      ctx.ws.put(this.repos.meta, 'meta', { killedUpTo: this.killedUpTo, diverged: msg });
      this.log.error({ slot }, msg);
      ctx.provenRec = { ...ctx.provenRec, slot, blockHash: c.blockHash };
    }
    ctx.provenChanged = true;
    if (ctx.pendingRec.brokenAt !== undefined && ctx.pendingRec.brokenAt <= slot) await this.rebuildPending(ctx);
    await this.markTxs(ctx, c.txHashes, 'verified', { slot, blockHash: c.blockHash });
    ctx.notices.push({ type: 'proven', slot, blockHash: c.blockHash });
  }

  private async onRemoved(ev: ContractEvent, ctx: Ctx, status: 'slashed' | 'invalidated'): Promise<void> {
    const slot = asNumber(ev.args.slot, `${ev.name}.slot`);
    const key = padSlot(slot);
    const c = await ctx.ws.get(this.repos.canonical, key);
    if (!c) throw new ChainEventError(`${ev.name} for slot ${slot}, which has no canonical block here`);
    ctx.ws.put(this.repos.canonical, key, { ...c, status, statusAtL1: ev.blockNumber });
    ctx.ws.del(this.repos.pending, key);
    await this.markTxs(ctx, c.txHashes, 'reorged');
    ctx.notices.push({ type: status, slot, blockHash: c.blockHash });
  }

  private async onRewound(ev: ContractEvent, ctx: Ctx): Promise<void> {
    const lastProvenSlot = asNumber(ev.args.lastProvenSlot, 'ChainRewound.lastProvenSlot');
    const killedUpTo = asNumber(ev.args.killedUpTo, 'ChainRewound.killedUpTo');
    for (const [key] of await ctx.ws.entries(this.repos.pending)) ctx.ws.del(this.repos.pending, key);
    if (lastProvenSlot !== ctx.provenRec.slot) this.log.error({ lastProvenSlot, provenSlot: ctx.provenRec.slot }, `ChainRewound to slot ${lastProvenSlot}, but this node's proven tip is slot ${ctx.provenRec.slot}`);
    ctx.pending = ctx.proven.clone();
    ctx.pendingRec = { ...ctx.provenRec, brokenAt: undefined };
    ctx.pendingChanged = true;
    this.killedUpTo = Math.max(this.killedUpTo, killedUpTo);
    ctx.ws.put(this.repos.meta, 'meta', { killedUpTo: this.killedUpTo, diverged: this.diverged });
    ctx.notices.push({ type: 'rewound', lastProvenSlot });
  }

  /** Proven blocks `finalityDepth` L1 blocks deep: block and txs `finalized`. */
  private async finalize(ctx: Ctx, block: number): Promise<void> {
    const depth = this.o.finalityDepth ?? 12;
    for (const [key, at] of await ctx.ws.entries(this.repos.finality)) {
      if (at + depth > block) continue;
      ctx.ws.del(this.repos.finality, key);
      const c = await ctx.ws.get(this.repos.canonical, key);
      if (!c || c.status !== 'proven') continue;
      ctx.ws.put(this.repos.canonical, key, { ...c, finalized: true });
      await this.markTxs(ctx, c.txHashes, 'finalized');
      ctx.notices.push({ type: 'finalized', slot: c.slot, blockHash: c.blockHash });
    }
  }

  /** Drops undo records and L1 hashes older than the reorg depth. */
  private async prune(ctx: Ctx, block: number): Promise<void> {
    const limit = block - (this.o.reorgDepth ?? 256);
    if (limit <= 0) return;
    const batch = this.o.store.batch();
    for await (const [k, u] of this.repos.undo.entries()) {
      if (u.block >= limit) break;
      batch.del(this.repos.undo, k);
    }
    for await (const [k] of this.repos.l1Hashes.entries({ lt: padSlot(limit) })) batch.del(this.repos.l1Hashes, k);
    if (batch.length) await batch.write(); // history only: losing it in a crash just re-prunes
    void ctx;
  }

  // ------------------------------------------------------------------ reveal calldata

  private async fetchReveal(ev: ContractEvent): Promise<RevealData> {
    const attempts = this.o.fetchAttempts ?? 4;
    let last = '';
    for (let i = 0; i < attempts; i++) {
      try {
        return await this.findRevealCall(ev);
      } catch (e) {
        last = (e as Error).message;
        if (i + 1 < attempts) await new Promise((r) => setTimeout(r, 100 * 2 ** i));
      }
    }
    this.log.error({ tx: ev.transactionHash }, `cannot fetch the reveal calldata of tx ${ev.transactionHash}: ${last}`);
    return { error: `cannot fetch calldata of ${ev.transactionHash}: ${last}` };
  }

  /** Throws on RPC failures (retried); returns {error} when the data is there but unusable. */
  private async findRevealCall(ev: ContractEvent): Promise<RevealData> {
    const tx = await this.provider.getTransaction(ev.transactionHash);
    if (!tx) throw new Error(`transaction ${ev.transactionHash} not found`);
    const inputs: string[] = [];
    if (tx.to?.toLowerCase() === this.sidecar) inputs.push(tx.data);
    else {
      // a reveal made through another contract: find the call in the trace
      const send = (this.provider as unknown as { send?: (m: string, p: unknown[]) => Promise<unknown> }).send;
      if (typeof send !== 'function') return { error: `reveal tx ${ev.transactionHash} does not call the Sidecar contract and the provider cannot trace it` };
      const trace = await send.call(this.provider, 'debug_traceTransaction', [ev.transactionHash, { tracer: 'callTracer' }]);
      const walk = (c: { to?: string; input?: string; calls?: unknown[] } | undefined): void => {
        if (!c) return;
        if (c.to?.toLowerCase() === this.sidecar && typeof c.input === 'string') inputs.push(c.input);
        for (const x of c.calls ?? []) walk(x as typeof c);
      };
      walk(trace as { to?: string; input?: string; calls?: unknown[] });
    }
    const slot = ev.args.slot as bigint;
    const want = String(ev.args.blockHash).toLowerCase();
    for (const data of inputs) {
      let parsed;
      try { parsed = this.iface.parseTransaction({ data }); } catch { continue; }
      if (!parsed || parsed.name !== 'reveal' || parsed.args[0] !== slot) continue;
      const txs = new Uint8Array(Buffer.from((parsed.args[3] as string).slice(2), 'hex'));
      const witnessData = new Uint8Array(Buffer.from((parsed.args[4] as string).slice(2), 'hex'));
      let h: string;
      try {
        h = computeBlockHash({
          slot, startRoot: fromHex(parsed.args[1] as string), endRoot: fromHex(parsed.args[2] as string), txs, witnessData,
          txsCommitment: fromHex(String(ev.args.txsCommitment)),
        });
      } catch { continue; }
      if (h.toLowerCase() === want) return { txs, witnessData };
    }
    return { error: `no reveal call for slot ${slot} with block hash ${want} in tx ${ev.transactionHash}` };
  }

  // ------------------------------------------------------------------ L1 reorgs

  private async reorg(): Promise<void> {
    this.rewinding = true;
    this.stats.reorgs++;
    try {
      const f = this.follower;
      this.follower = undefined;
      await f?.stop();
      await this.rewind();
      if (this.running) await this.startFollower();
    } catch (e) {
      if (e instanceof StorageError) this.setFatal(e);
      else {
        this.log.error({ err: e }, `L1 reorg handling failed: ${(e as Error).message}; retrying`);
        this.rewinding = false;
        setTimeout(() => { if (this.running && !this.follower) void this.reorg(); }, 1000);
      }
    }
  }

  /** Undo everything derived from L1 blocks after the fork point; then the follower re-derives. */
  private async rewind(): Promise<void> {
    this.rewinding = true;
    await this.exclusive(async () => {
      let fork: { block: number; hash: string } | undefined;
      const stored: [string, string][] = [];
      for await (const e of this.repos.l1Hashes.entries()) stored.push(e);
      for (const [k, h] of stored.reverse()) {
        const b = Number(k);
        const now = (await this.provider.getBlock(b))?.hash?.toLowerCase();
        if (now === h) { fork = { block: b, hash: h }; break; }
      }
      const batch = this.o.store.batch();
      if (!fork) {
        this.log.warn('L1 reorg deeper than the undo journal: deriving the chain again from the deployment block');
        // the state and the cursor last: a crash midway finds the old cursor, sees the reorg again and clears again
        const last = [this.repos.state, this.repos.cursor] as Repository<unknown>[];
        for (const r of Object.values(this.repos) as Repository<unknown>[]) if (!last.includes(r)) await r.clear();
        for (const r of last) await r.clear();
        await this.load();
      } else {
        const undos: [string, { block: number; entries: { prefix: string; key: string; old: Uint8Array | null }[] }][] = [];
        for await (const e of this.repos.undo.entries()) if (e[1].block > fork.block) undos.push(e);
        const restored = new Map<string, { repo: Repository<unknown>; key: string; old: Uint8Array | null }>();
        for (const [k, u] of undos.reverse()) {
          for (const e of u.entries) {
            const repo = this.byPrefix.get(e.prefix);
            if (!repo) throw new StorageError('bad-value', `undo record chain.undo/${k} names unknown repository ${e.prefix}`);
            restored.set(`${e.prefix}\u0000${e.key}`, { repo, key: e.key, old: e.old }); // the oldest value wins
          }
          batch.del(this.repos.undo, k);
        }
        for (const r of restored.values()) {
          if (r.old === null) batch.del(r.repo, r.key);
          else batch.put(r.repo, r.key, r.repo.codec.decode(r.old));
        }
        for (const [k] of stored) if (Number(k) > fork.block) batch.del(this.repos.l1Hashes, k);
        batch.put(this.repos.cursor, 'cursor', { block: fork.block, blockHash: fork.hash, logIndex: -1, complete: true, seq: this.cursor.seq });
        await batch.write();
        await this.load();
      }
      this.log.warn({ forkBlock: fork?.block }, `L1 reorg: rewound to L1 block ${fork?.block ?? 'deployment'}`);
      for (const l of this.listeners) { try { l({ type: 'l1-reorg', forkBlock: fork?.block }); } catch { /* listener errors never stop a rewind */ } }
    });
    this.rewinding = false;
  }

  // ------------------------------------------------------------------ queries

  head(): ChainHead {
    return {
      pending: { slot: this.pendingRec.slot, blockHash: this.pendingRec.blockHash, root: this.pendingRec.root, provable: this.pendingRec.brokenAt === undefined, brokenAt: this.pendingRec.brokenAt },
      proven: { slot: this.provenRec.slot, blockHash: this.provenRec.blockHash, root: this.provenRec.root },
      l1Block: this.cursor.complete ? this.cursor.block : this.cursor.block - 1,
      killedUpTo: this.killedUpTo,
      diverged: this.diverged,
    };
  }

  /** The canonical block of `slot` with its status and revealed data. */
  async block(slot: number): Promise<(CanonicalBlock & { revealed?: RevealedBlock }) | undefined> {
    const c = await this.repos.canonical.get(padSlot(slot));
    if (!c) return undefined;
    return { ...c, revealed: c.blockHash ? await this.repos.revealed.get(c.blockHash) : undefined };
  }

  /** A revealed block by hash, with its canonical record if it is (or was) canonical. */
  async blockByHash(hash: string): Promise<(RevealedBlock & { canonical?: CanonicalBlock }) | undefined> {
    const r = await this.repos.revealed.get(hash.toLowerCase());
    if (!r) return undefined;
    const c = await this.repos.canonical.get(padSlot(r.slot));
    return { ...r, canonical: c && c.blockHash === r.blockHash ? c : undefined };
  }

  /** The proposal of `sequencer` in `slot` as L1 posted it (tip, commitment, reveal), if any. */
  async proposal(slot: number, sequencer: string): Promise<ProposalRecord | undefined> {
    return this.repos.proposals.get(seqKey(slot, sequencer));
  }

  /** Every revealed proposal of `slot`. */
  async revealedAt(slot: number): Promise<RevealedBlock[]> {
    const out: RevealedBlock[] = [];
    for (const h of await this.repos.revealedBySlot.values({ prefix: `${padSlot(slot)}/` })) {
      const r = await this.repos.revealed.get(h);
      if (r) out.push(r);
    }
    return out;
  }

  /** The signed txs of a revealed block. */
  async blockTxs(hash: string): Promise<SignedTx[] | undefined> {
    const r = await this.repos.revealed.get(hash.toLowerCase());
    if (!r || !r.provable) return undefined;
    return decodeBlockTxs(splitTxs(r.txs), r.witnessData);
  }

  async txStatus(hash: string): Promise<TxStatusRecord | undefined> {
    return this.repos.txs.get(hash.toLowerCase());
  }

  /** The pending chain (slot → block hash), oldest first. */
  async pendingChain(): Promise<{ slot: number; blockHash: string }[]> {
    const out: { slot: number; blockHash: string }[] = [];
    for await (const [k, h] of this.repos.pending.entries()) out.push({ slot: Number(k), blockHash: h });
    return out;
  }

  async provenChain(): Promise<{ slot: number; blockHash: string }[]> {
    const out: { slot: number; blockHash: string }[] = [];
    for await (const [k, h] of this.repos.proven.entries()) out.push({ slot: Number(k), blockHash: h });
    return out;
  }

  /** How many canonical blocks up to `uptoSlot` (included) have `prover` as their committed prover,
   *  whatever became of them: the block's ordinal among that prover's commitments, the same after
   *  any restart (a devnet fault plan keys on it). */
  async committedTo(prover: string, uptoSlot: number): Promise<number> {
    const p = prover.toLowerCase();
    let n = 0;
    for await (const [, c] of this.repos.canonical.entries({ lt: padSlot(uptoSlot + 1) })) {
      if (c.prover?.toLowerCase() === p) n++;
    }
    return n;
  }

  /** One account at the pending tip, without copying the state (mempool checks). */
  pendingAccount(index: number): Account | undefined { return this.pendingWs.account(index); }

  /** A copy of the world state at the pending tip (build the next block on it). */
  pendingState(): WorldState { return this.pendingWs.clone(); }

  /** A copy of the world state at the proven tip. */
  provenState(): WorldState { return this.provenWs.clone(); }

  /**
   * The world state before the canonical block of `slot` (the prover's pre-state): the proven tip
   * plus the pending blocks before it. Undefined when `slot` is not a pending or proven-tip child,
   * or a block before it cannot be executed.
   */
  async preState(slot: number): Promise<WorldState | undefined> {
    const c = await this.repos.canonical.get(padSlot(slot));
    if (!c || c.status !== 'pending') return undefined;
    return this.exclusive(async () => {
      let state = this.provenWs.clone();
      if (c.parentSlot === this.provenRec.slot) return state;
      for (const { slot: s, blockHash } of await this.pendingChain()) {
        if (s >= slot) break;
        const b = await this.repos.revealed.get(blockHash);
        const next = b ? this.applyStored(state, b) : undefined;
        if (!next) return undefined;
        state = next;
        if (s === c.parentSlot) return state;
      }
      return undefined;
    });
  }

  /**
   * Can this node prove `sequencer`'s revealed block of `slot`? A sequencer must not commit a
   * deposit (and a prover must not quote) when not ok.
   */
  async canProve(slot: number, sequencer: string): Promise<CanProve> {
    const hash = await this.repos.revealedBySlot.get(seqKey(slot, sequencer));
    if (!hash) return { ok: false, reason: `no revealed block of slot ${slot} by ${sequencer}` };
    const r = await this.repos.revealed.get(hash);
    if (!r) return { ok: false, reason: `revealed block ${hash} is missing`, blockHash: hash };
    if (!r.provable) return { ok: false, reason: r.reason, blockHash: hash };
    if (slot <= this.killedUpTo) return { ok: false, reason: `slot ${slot} is void (chain rewound past it)`, blockHash: hash };
    return { ok: true, blockHash: hash };
  }

  // ------------------------------------------------------------------ hooks the roles call

  /** A final proof of `slot`'s canonical block was seen on the L2 p2p network. */
  noteProofOnP2p(slot: number): Promise<void> { return this.noteBlock(slot, 'proof-on-p2p'); }

  /** A proof tx for `slot` was sent to L1. */
  notePublished(slot: number): Promise<void> { return this.noteBlock(slot, 'published'); }

  private noteBlock(slot: number, status: 'proof-on-p2p' | 'published'): Promise<void> {
    return this.exclusive(async () => {
      const c = await this.repos.canonical.get(padSlot(slot));
      if (!c || c.status === 'slashed' || c.status === 'invalidated') return;
      const now = this.now();
      const ws = new WriteSet();
      const field = status === 'published' ? 'publishedAt' : 'proofOnP2pAt';
      if (c[field] === undefined) ws.put(this.repos.canonical, padSlot(slot), { ...c, [field]: now });
      const ctx = { ...this.ctx(), ws, now };
      await this.markTxs(ctx, c.txHashes, status, { slot, blockHash: c.blockHash });
      const batch = this.o.store.batch();
      await ws.addTo(batch, false);
      await batch.write();
    });
  }

  /**
   * The sequencer's own proposal landed on L1 (`Proposed` carries only the block hash, so the
   * node that built the block says which txs it holds); others see them from `revealed` on.
   */
  noteProposed(slot: number, blockHash: string, txHashes: readonly string[]): Promise<void> {
    return this.exclusive(async () => {
      const ctx = this.ctx();
      await this.markTxs(ctx, txHashes.map((h) => h.toLowerCase()), 'proposed', { slot, blockHash: blockHash.toLowerCase() });
      const batch = this.o.store.batch();
      await ctx.ws.addTo(batch, false);
      await batch.write();
    });
  }

  /** Mempool observations (`executed`, `pending`, `dropped`) of txs not yet on L1. */
  observeTx(hash: string, status: 'executed' | 'pending' | 'dropped'): Promise<void> {
    return this.exclusive(async () => {
      const h = hash.toLowerCase();
      const prev = await this.repos.txs.get(h);
      const next = observe(prev, h, status, this.now());
      if (next !== prev) await this.repos.txs.put(h, next);
    });
  }
}

type RevealData = { txs: Uint8Array; witnessData: Uint8Array } | { error: string };
