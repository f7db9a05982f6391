// Server-sent events (GET /events, text/event-stream) for the dashboard: each message is
// `event: <name>` + `data: <JSON>`; a comment line every `heartbeatMs` keeps proxies and the
// browser from timing the stream out. Each client has a bounded buffer: while its socket does
// not drain, messages queue up to `maxBuffered` bytes; past that the client is disconnected
// (the browser's EventSource reconnects and the page reloads its state). A client that goes
// away is removed at once, and the heartbeat runs only while some client is connected.
import type http from 'node:http';
import { RawReply } from './server.js';

export interface SseOptions {
  /** ms between heartbeat comments (default 15 s) */
  heartbeatMs?: number;
  /** bytes queued per client while its socket is full, before it is dropped (default 1 MiB) */
  maxBuffered?: number;
  /** ms the browser waits before reconnecting (the stream's `retry:`; default 2 s) */
  retryMs?: number;
}

interface Client {
  res: http.ServerResponse;
  queue: string[];
  queued: number;
  blocked: boolean;
}

export class SseHub {
  private readonly clients = new Set<Client>();
  private timer?: NodeJS.Timeout;
  private readonly heartbeatMs: number;
  private readonly maxBuffered: number;
  private readonly retryMs: number;
  readonly stats = { connected: 0, disconnected: 0, dropped: 0, sent: 0 };

  constructor(o: SseOptions = {}) {
    this.heartbeatMs = o.heartbeatMs ?? 15_000;
    this.maxBuffered = o.maxBuffered ?? 1024 * 1024;
    this.retryMs = o.retryMs ?? 2000;
  }

  get size(): number {
    return this.clients.size;
  }

  /** The route's answer: holds the response open as an event stream. `hello` is sent first. */
  reply(hello?: () => unknown): RawReply {
    return new RawReply((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      const c: Client = { res, queue: [], queued: 0, blocked: false };
      this.clients.add(c);
      this.stats.connected++;
      res.on('close', () => this.remove(c, false));
      res.on('error', () => this.remove(c, false));
      res.on('drain', () => this.drain(c));
      this.write(c, `retry: ${this.retryMs}\n\n`);
      if (hello) this.write(c, frame('hello', hello()));
      this.timer ??= setInterval(() => { for (const k of this.clients) this.write(k, ': heartbeat\n\n'); }, this.heartbeatMs).unref();
    });
  }

  /** Sends an event to every client. */
  publish(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const f = frame(event, data);
    for (const c of this.clients) this.write(c, f);
    this.stats.sent++;
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    for (const c of [...this.clients]) { c.res.end(); this.remove(c, false); }
  }

  private write(c: Client, text: string): void {
    if (c.blocked) {
      c.queue.push(text);
      c.queued += Buffer.byteLength(text);
      if (c.queued > this.maxBuffered) this.remove(c, true);
      return;
    }
    if (!c.res.write(text)) c.blocked = true;
  }

  private drain(c: Client): void {
    c.blocked = false;
    while (c.queue.length && !c.blocked) {
      const t = c.queue.shift()!;
      c.queued -= Buffer.byteLength(t);
      if (!c.res.write(t)) c.blocked = true;
    }
  }

  private remove(c: Client, dropped: boolean): void {
    if (!this.clients.delete(c)) return;
    c.queue = [];
    c.queued = 0;
    if (dropped) {
      this.stats.dropped++;
      c.res.destroy();
    } else this.stats.disconnected++;
    if (this.clients.size === 0 && this.timer) { clearInterval(this.timer); this.timer = undefined; }
  }
}

function frame(event: string, data: unknown): string {
  const json = JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return `event: ${event}\ndata: ${json}\n\n`;
}
