// Follows a contract's events in order, surviving restarts: the caller persists the cursor
// (the last L1 block fully handled) and passes it back on start; the follower first catches
// up with eth_getLogs in bounded ranges from cursor+1 to the head, then follows new heads
// (eth_subscribe newHeads over WebSocket, or polling over HTTP), fetching each new range with
// eth_getLogs so nothing between two heads is ever missed. A log no ABI decodes (or whose
// handler throws) is reported through onError and skipped; the follower never crashes.
import { Interface, type Log, type LogDescription, type Provider } from 'ethers';

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

  constructor(private opts: FollowOptions) {
    this.cursor = opts.cursor ?? (opts.fromBlock ?? 0) - 1;
  }

  /** The last block fully handled. */
  get position(): number { return this.cursor; }

  /** Catch up to the current head, then follow new heads. Resolves once caught up. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const head = await this.opts.provider.getBlockNumber();
    await this.schedule(head);
    this.listener = (n: number) => { void this.schedule(n); };
    await this.opts.provider.on('block', this.listener);
  }

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
        // leave the cursor where it is: the next head retries this range
        this.report(new Error(`eth_getLogs ${from}..${to} failed: ${(e as Error).message}`));
        return;
      }
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of logs) {
        let ev: ContractEvent;
        try {
          ev = decodeEvent(this.opts.contracts, log);
        } catch (e) {
          this.report(e);
          continue;
        }
        try {
          await this.opts.onEvent(ev);
        } catch (e) {
          this.report(new Error(`handler for ${ev.name} at block ${ev.blockNumber} failed: ${(e as Error).message}`));
        }
      }
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
