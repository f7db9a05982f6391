// Follows a contract's events in order, surviving restarts: the caller persists the cursor
// (the last L1 block fully handled) and passes it back on start; the follower first catches
// up with eth_getLogs in bounded ranges from cursor+1 to the head, then follows new heads
// (eth_subscribe newHeads over WebSocket, or polling over HTTP), fetching each new range with
// eth_getLogs so nothing between two heads is ever missed. A log no ABI decodes (or whose
// handler throws) is reported through onError and skipped; the follower never crashes.
import { Interface, WebSocketProvider, type Log, type LogDescription, type Provider } from 'ethers';

export interface ContractEvent {
  name: string;
  args: Record<string, unknown>;
  /** positional args as decoded */
  values: readonly unknown[];
  address: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

export class EventDecodeError extends Error {
  constructor(message: string, readonly log: Log) {
    super(message);
    this.name = 'EventDecodeError';
  }
}

export interface FollowOptions {
  provider: Provider;
  /** contracts to follow, each with its ABI */
  contracts: { address: string; iface: Interface }[];
  /** last block already handled (the persisted cursor); start at fromBlock - 1 when undefined */
  cursor?: number;
  /** used when no cursor is stored (default 0) */
  fromBlock?: number;
  /** handle events in order; may be async (awaited before the next event) */
  onEvent(e: ContractEvent): void | Promise<void>;
  /** called after every fully handled range: persist it, pass it back as `cursor` after a restart */
  onCursor?(block: number): void | Promise<void>;
  /** malformed logs, handler failures, RPC failures (the range is retried on the next head) */
  onError?(e: Error): void;
  /** eth_getLogs range size (default 2000 blocks) */
  maxRange?: number;
  /** only hand out blocks this far below the head (default 0) */
  confirmations?: number;
  /** skip events at or before this position (already delivered by a previous follower) */
  skipThrough?: { blockNumber: number; logIndex: number };
}

export function decodeEvent(contracts: FollowOptions['contracts'], log: Log): ContractEvent {
  const c = contracts.find((x) => x.address.toLowerCase() === log.address.toLowerCase());
  if (!c) throw new EventDecodeError(`log from unknown address ${log.address} (block ${log.blockNumber}, index ${log.index})`, log);
  let d: LogDescription | null;
  try {
    d = c.iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch (e) {
    throw new EventDecodeError(`malformed log at block ${log.blockNumber} index ${log.index} (topic ${log.topics[0] ?? 'none'}): ${(e as Error).message}`, log);
  }
  if (!d) throw new EventDecodeError(`unknown event topic ${log.topics[0] ?? 'none'} at block ${log.blockNumber} index ${log.index}`, log);
  const args: Record<string, unknown> = {};
  d.fragment.inputs.forEach((p, i) => { args[p.name || String(i)] = d!.args[i]; });
  return {
    name: d.name, args, values: [...d.args], address: log.address, blockNumber: log.blockNumber,
    blockHash: log.blockHash, transactionHash: log.transactionHash, logIndex: log.index,
  };
}

export class EventFollower {
  private cursor: number;
  private running = false;
  private busy: Promise<void> = Promise.resolve();
  private pendingHead = -1;
  private listener?: (n: number) => void;
  private idleWaiters: { block: number; resolve: () => void }[] = [];
  private handling: Promise<void> = Promise.resolve();
  /** the last event handed to onEvent */
  lastEvent?: { blockNumber: number; logIndex: number };

  constructor(private opts: FollowOptions) {
    this.cursor = opts.cursor ?? (opts.fromBlock ?? 0) - 1;
    this.lastEvent = opts.skipThrough;
  }

  /** The last block fully handled. */
  get position(): number { return this.cursor; }

  /** Resolves when no onEvent call is running (a halted follower starts no new one). */
  idle(): Promise<void> { return this.handling; }

  /** Catch up to the current head, then follow new heads. Resolves once caught up. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const head = await this.opts.provider.getBlockNumber();
    await this.schedule(head);
    this.listener = (n: number) => { void this.schedule(n); };
    await this.opts.provider.on('block', this.listener);
  }

  /** Stop handling at once (synchronously); stop() still has to be awaited to unsubscribe. */
  halt(): void { this.running = false; }

  async stop(): Promise<void> {
    this.running = false;
    if (this.listener) {
      await this.opts.provider.off('block', this.listener);
      // ethers sends eth_unsubscribe without awaiting it; two round trips let its answer arrive
      // so a provider destroyed right after stop() leaves no cancelled request behind.
      const p = this.opts.provider as Provider & { send?: (m: string, a: unknown[]) => Promise<unknown> };
      await new Promise((r) => setImmediate(r));
      if (typeof p.send === 'function') {
        for (let i = 0; i < 2; i++) await p.send('eth_chainId', []).catch(() => undefined);
      }
    }
    this.listener = undefined;
    await this.busy;
  }

  /** Resolves when every block up to `block` has been handled (for tests and shutdown). */
  async waitFor(block: number): Promise<void> {
    if (this.cursor >= block) return;
    await new Promise<void>((resolve) => this.idleWaiters.push({ block, resolve }));
  }

  private schedule(head: number): Promise<void> {
    this.pendingHead = Math.max(this.pendingHead, head);
    this.busy = this.busy.then(() => this.catchUp()).catch((e) => this.report(e));
    return this.busy;
  }

  private report(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    try { this.opts.onError?.(err); } catch { /* an error handler that throws must not kill the follower */ }
  }

  private async catchUp(): Promise<void> {
    const target = this.pendingHead - (this.opts.confirmations ?? 0);
    const maxRange = this.opts.maxRange ?? 2000;
    while (this.running && this.cursor < target) {
      const from = this.cursor + 1;
      const to = Math.min(target, from + maxRange - 1);
      let logs: Log[];
      try {
        logs = await this.opts.provider.getLogs({ address: this.opts.contracts.map((c) => c.address), fromBlock: from, toBlock: to });
      } catch (e) {
        // leave the cursor where it is: the next head retries this range (a stopped follower's
        // provider is being torn down: nothing to report)
        if (this.running) this.report(new Error(`eth_getLogs ${from}..${to} failed: ${(e as Error).message}`));
        return;
      }
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of logs) {
        if (!this.running) return;
        const skip = this.opts.skipThrough;
        if (skip && (log.blockNumber < skip.blockNumber || (log.blockNumber === skip.blockNumber && log.index <= skip.logIndex))) continue;
        let ev: ContractEvent;
        try {
          ev = decodeEvent(this.opts.contracts, log);
        } catch (e) {
          this.report(e);
          this.lastEvent = { blockNumber: log.blockNumber, logIndex: log.index };
          continue;
        }
        const run = (async () => {
          try {
            await this.opts.onEvent(ev);
          } catch (e) {
            this.report(new Error(`handler for ${ev.name} at block ${ev.blockNumber} failed: ${(e as Error).message}`));
          }
        })();
        this.handling = run;
        await run;
        this.lastEvent = { blockNumber: log.blockNumber, logIndex: log.index };
      }
      if (!this.running) return;
      this.cursor = to;
      try {
        await this.opts.onCursor?.(to);
      } catch (e) {
        this.report(new Error(`onCursor(${to}) failed: ${(e as Error).message}`));
      }
      this.idleWaiters = this.idleWaiters.filter((w) => (w.block <= this.cursor ? (w.resolve(), false) : true));
    }
  }
}

// ---- WebSocket connection and a subscription that survives a dropped socket ---------------

interface WsLike {
  readyState: number;
  onerror: ((e: unknown) => void) | null;
  onclose: ((e: unknown) => void) | null;
  addEventListener?: (t: string, f: (e: unknown) => void) => void;
}

/**
 * Open an ethers WebSocketProvider and wait until it is connected (or fail within timeoutMs
 * with a clear error). Socket errors and closes are reported through `onDrop`, never thrown:
 * the 'ws' socket would otherwise kill the process with an unhandled 'error' event.
 */
export async function connectWebSocket(url: string, o: { chainId?: bigint | number; timeoutMs?: number; onDrop?: (reason: string) => void } = {}): Promise<WebSocketProvider> {
  const provider = new WebSocketProvider(url, o.chainId === undefined ? undefined : Number(o.chainId));
  const ws = provider.websocket as unknown as WsLike;
  let opened = false;
  let settle: ((err?: Error) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => { settle = (err) => (err ? reject(err) : resolve()); });
  ws.onerror = (e) => {
    const msg = (e as { message?: string; error?: Error })?.error?.message ?? (e as { message?: string })?.message ?? 'socket error';
    if (!opened) settle?.(new Error(`cannot connect to ${url}: ${msg}`));
    else o.onDrop?.(`WebSocket ${url} error: ${msg}`);
  };
  ws.onclose = () => {
    if (!opened) settle?.(new Error(`cannot connect to ${url}: closed`));
    else o.onDrop?.(`WebSocket ${url} closed`);
  };
  const timer = setTimeout(() => settle?.(new Error(`cannot connect to ${url} within ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000);
  const poll = setInterval(() => { if (ws.readyState === 1) settle?.(); }, 10);
  try {
    await ready;
    opened = true;
    // a round trip: ethers has finished its own start-up once a request is answered
    await provider.send('eth_chainId', []);
    return provider;
  } catch (e) {
    closeWebSocket(provider);
    throw e;
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
  }
}

/**
 * Close a WebSocketProvider's socket without destroy(): destroy() rejects every request still
 * in flight, including ethers' own un-awaited eth_subscribe/eth_unsubscribe (an unhandled
 * rejection); on a closed socket they simply never settle. Use after the provider's last use.
 */
export function closeWebSocket(provider: WebSocketProvider): void {
  try {
    (provider.websocket as unknown as { close(): void }).close();
  } catch { /* already closed */ }
}

export interface WsFollowOptions extends Omit<FollowOptions, 'provider'> {
  url: string;
  chainId?: bigint | number;
  /** first reconnect delay, doubled up to 30 s (default 500 ms) */
  reconnectMs?: number;
}

/**
 * Follow events over a WebSocket; when the socket drops, report it and reconnect with backoff,
 * resuming from the last handled block (so nothing is missed or repeated).
 */
export class WsEventSubscription {
  private follower?: EventFollower;
  private provider?: WebSocketProvider;
  private stopped = false;
  private cursor: number;
  private reconnectTimer?: NodeJS.Timeout;
  private delay: number;
  private skipThrough?: { blockNumber: number; logIndex: number };
  /** number of (re)connections made */
  connections = 0;

  constructor(private o: WsFollowOptions) {
    this.cursor = o.cursor ?? (o.fromBlock ?? 0) - 1;
    this.delay = o.reconnectMs ?? 500;
  }

  get position(): number { return this.follower?.position ?? this.cursor; }

  /** Connect and catch up; rejects if the first connection fails. */
  async start(): Promise<void> { await this.connect(); }

  private report(e: Error): void {
    try { this.o.onError?.(e); } catch { /* never let a handler kill the subscription */ }
  }

  private async connect(): Promise<void> {
    const provider = await connectWebSocket(this.o.url, { chainId: this.o.chainId, onDrop: (r) => this.dropped(provider, r) });
    if (this.stopped) { closeWebSocket(provider); return; }
    this.provider = provider;
    this.connections++;
    const follower = new EventFollower({
      ...this.o, provider, cursor: this.cursor, skipThrough: this.skipThrough,
      onCursor: async (b) => { this.cursor = b; await this.o.onCursor?.(b); },
    });
    this.follower = follower;
    await follower.start();
    this.delay = this.o.reconnectMs ?? 500;
  }

  private dropped(provider: WebSocketProvider, reason: string): void {
    if (this.stopped || provider !== this.provider) return;
    this.report(new Error(`${reason}; reconnecting from block ${this.position + 1}`));
    const old = this.follower;
    this.follower = undefined;
    this.provider = undefined;
    // The socket is gone: requests on it never settle, so the old provider is neither awaited
    // nor destroyed (destroying it would reject ethers' own un-awaited subscription requests).
    old?.halt();
    void (async () => {
      await old?.idle();
      if (old) {
        this.cursor = Math.max(this.cursor, old.position);
        this.skipThrough = old.lastEvent;
      }
      this.scheduleReconnect();
    })();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((e) => {
        this.report(e instanceof Error ? e : new Error(String(e)));
        this.delay = Math.min(this.delay * 2, 30_000);
        this.scheduleReconnect();
      });
    }, this.delay);
    // waiting to reconnect must not keep a finished process alive
    this.reconnectTimer.unref();
  }

  /** Resolves once every block up to `block` has been handled (across reconnects). */
  async waitFor(block: number, timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    while (this.position < block) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`events not caught up to block ${block} within ${timeoutMs} ms (at ${this.position})`);
      if (this.follower) await Promise.race([this.follower.waitFor(block), new Promise((r) => setTimeout(r, 100))]);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const f = this.follower;
    const p = this.provider;
    this.follower = undefined;
    this.provider = undefined;
    await f?.stop().catch(() => undefined);
    if (p) closeWebSocket(p);
  }

  /** For tests: the current socket (to simulate a drop). */
  get socket(): { close(): void } | undefined {
    return this.provider ? (this.provider.websocket as unknown as { close(): void }) : undefined;
  }
}
