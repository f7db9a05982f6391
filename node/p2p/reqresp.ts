// Request/response over libp2p streams: one request frame, one response frame, then both
// sides close. Frames are length-prefixed (u32 big-endian); a response frame starts with a
// status byte. Every protocol has a timeout, request and response size limits and a per-peer
// rate limit, so a remote peer can neither stall nor flood a handler. Any protocol (the
// built-in block/proof/status fetches, the prover's job farming) registers the same way:
// `registerProtocol(name, handler, limits)`.
import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import type { Logger } from '../log.js';
import type { P2PMetrics } from './metrics.js';

export const REQ_PROTOCOL_PREFIX = '/sidecar/req';
export const protocolId = (name: string): string => `${REQ_PROTOCOL_PREFIX}/${name}`;

export const STATUS = { ok: 0, notFound: 1, badRequest: 2, rateLimited: 3, serverError: 4, tooLarge: 5 } as const;
const STATUS_NAMES: Record<number, ReqRespCode> = { 1: 'not-found', 2: 'bad-request', 3: 'rate-limited', 4: 'server-error', 5: 'request-too-large' };

export type ReqRespCode =
  | 'not-found' | 'bad-request' | 'rate-limited' | 'server-error' | 'request-too-large' | 'response-too-large'
  | 'timeout' | 'bad-response' | 'unknown-protocol' | 'dial-failed' | 'stream-error';

export class ReqRespError extends Error {
  constructor(readonly code: ReqRespCode, message: string) {
    super(message);
    this.name = 'ReqRespError';
  }
}

/** Thrown by a handler to answer bad-request / not-found instead of server-error. */
export class HandlerError extends Error {
  constructor(readonly status: 'not-found' | 'bad-request', message: string) {
    super(message);
    this.name = 'HandlerError';
  }
}

export interface ProtocolLimits {
  /** Whole exchange, ms (both sides). */
  timeoutMs: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
  /** At most `requests` per `windowMs` from one peer; the rest get 'rate-limited'. */
  rateLimit: { requests: number; windowMs: number };
}

export const DEFAULT_LIMITS: ProtocolLimits = {
  timeoutMs: 10_000, maxRequestBytes: 1024, maxResponseBytes: 1024 * 1024, rateLimit: { requests: 50, windowMs: 10_000 },
};

/** A protocol handler: request bytes in, response bytes out, or null for not-found. */
export type ProtocolHandler = (request: Uint8Array, peer: PeerId) => Promise<Uint8Array | null> | Uint8Array | null;

/** Fixed-window per-peer counter; forgets idle peers so the map stays small. */
export class PeerRateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(private requests: number, private windowMs: number) {}
  allow(peer: string, now = Date.now()): boolean {
    let w = this.windows.get(peer);
    if (!w || now - w.start >= this.windowMs) {
      if (this.windows.size > 4096) for (const [k, v] of this.windows) if (now - v.start >= this.windowMs) this.windows.delete(k);
      w = { start: now, count: 0 };
      this.windows.set(peer, w);
    }
    w.count++;
    return w.count <= this.requests;
  }
}

function frame(payload: Uint8Array, status?: number): Uint8Array {
  const head = status === undefined ? 4 : 5;
  const out = new Uint8Array(head + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + (status === undefined ? 0 : 1));
  if (status !== undefined) out[4] = status;
  out.set(payload, head);
  return out;
}

/** Reads one length-prefixed frame; ReqRespError when it exceeds `max` or the stream ends early. */
export async function readFrame(stream: AsyncIterable<Uint8Array | { subarray(): Uint8Array }>, max: number, tooLarge: ReqRespCode): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let have = 0;
  let want = -1;
  for await (const c of stream) {
    const chunk = c instanceof Uint8Array ? c : c.subarray();
    chunks.push(chunk);
    have += chunk.length;
    if (want < 0 && have >= 4) {
      const all = concat(chunks, have);
      chunks.length = 0;
      chunks.push(all);
      want = new DataView(all.buffer, all.byteOffset, 4).getUint32(0);
      if (want > max) throw new ReqRespError(tooLarge, `frame of ${want} bytes exceeds the limit of ${max}`);
    }
    if (want >= 0 && have >= 4 + want) {
      if (have > 4 + want) throw new ReqRespError('bad-response', `${have - 4 - want} bytes after the frame`);
      return concat(chunks, have).subarray(4);
    }
  }
  throw new ReqRespError('stream-error', want < 0 ? 'stream ended before a frame' : `stream ended after ${have - 4} of ${want} bytes`);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

async function send(stream: Stream, data: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(data)) await stream.onDrain({ signal });
}

function withTimeout<T>(ms: number, what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      const err = new ReqRespError('timeout', `${what} timed out after ${ms} ms`);
      ctl.abort(err);
      rej(err);
    }, ms);
  });
  const work = run(ctl.signal);
  work.catch(() => {}); // its failure after a timeout is already reported as the timeout
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

interface Registered { handler: ProtocolHandler; limits: ProtocolLimits; limiter: PeerRateLimiter }

/** The req/resp layer of one libp2p host. */
export class ReqResp {
  private protocols = new Map<string, Registered>();

  constructor(private libp2p: Libp2p, private log: Logger, private metrics: P2PMetrics) {}

  async registerProtocol(name: string, handler: ProtocolHandler, limits: Partial<ProtocolLimits> = {}): Promise<void> {
    if (!/^[a-z0-9_\-]+\/\d+$/.test(name)) throw new RangeError(`protocol name must look like "block_by_hash/1", got ${JSON.stringify(name)}`);
    if (this.protocols.has(name)) throw new Error(`protocol ${name} is already registered`);
    const l: ProtocolLimits = { ...DEFAULT_LIMITS, ...limits, rateLimit: { ...DEFAULT_LIMITS.rateLimit, ...limits.rateLimit } };
    this.protocols.set(name, { handler, limits: l, limiter: new PeerRateLimiter(l.rateLimit.requests, l.rateLimit.windowMs) });
    await this.libp2p.handle(protocolId(name), (stream, connection) => {
      // The handler never throws: every failure is answered, logged and counted.
      void this.serve(name, stream, connection.remotePeer);
    }, { maxInboundStreams: 64, maxOutboundStreams: 64 });
  }

  async unregisterAll(): Promise<void> {
    for (const name of this.protocols.keys()) await this.libp2p.unhandle(protocolId(name)).catch(() => {});
    this.protocols.clear();
  }

  names(): string[] { return [...this.protocols.keys()]; }

  private async serve(name: string, stream: Stream, peer: PeerId): Promise<void> {
    const p = this.protocols.get(name)!;
    const count = (outcome: string) => this.metrics.reqresp.inc({ protocol: name, side: 'server', outcome });
    try {
      await withTimeout(p.limits.timeoutMs, `serving ${name}`, async (signal) => {
        if (!p.limiter.allow(peer.toString())) {
          count('rate-limited');
          await send(stream, frame(new Uint8Array(0), STATUS.rateLimited), signal);
          await stream.close({ signal });
          return;
        }
        let request: Uint8Array;
        try {
          request = await readFrame(stream, p.limits.maxRequestBytes, 'request-too-large');
        } catch (e) {
          const code = e instanceof ReqRespError ? e.code : 'stream-error';
          count(code);
          if (code === 'request-too-large') await send(stream, frame(new Uint8Array(0), STATUS.tooLarge), signal);
          stream.abort(e as Error);
          return;
        }
        let status: number = STATUS.ok;
        let body: Uint8Array = new Uint8Array(0);
        try {
          const r = await p.handler(request, peer);
          if (r === null) status = STATUS.notFound;
          else if (r.length > p.limits.maxResponseBytes) {
            this.log.error({ protocol: name, bytes: r.length, max: p.limits.maxResponseBytes }, 'handler response exceeds the protocol limit');
            status = STATUS.serverError;
          } else body = r;
        } catch (e) {
          if (e instanceof HandlerError) status = e.status === 'not-found' ? STATUS.notFound : STATUS.badRequest;
          else {
            status = STATUS.serverError;
            this.log.error({ protocol: name, peer: peer.toString(), err: e }, 'req/resp handler failed');
          }
        }
        count(status === STATUS.ok ? 'ok' : STATUS_NAMES[status]);
        await send(stream, frame(body, status), signal);
        await stream.close({ signal });
      });
    } catch (e) {
      if (e instanceof ReqRespError && e.code === 'timeout') count('timeout');
      else count('stream-error');
      this.log.debug({ protocol: name, peer: peer.toString(), err: e }, 'req/resp serve failed');
      stream.abort(e as Error);
    }
  }

  /** Sends one request; resolves with the response bytes, null for not-found, or throws ReqRespError. */
  async request(peer: PeerId, name: string, request: Uint8Array, opts: { timeoutMs?: number; maxResponseBytes?: number } = {}): Promise<Uint8Array | null> {
    const p = this.protocols.get(name);
    const timeoutMs = opts.timeoutMs ?? p?.limits.timeoutMs ?? DEFAULT_LIMITS.timeoutMs;
    const max = opts.maxResponseBytes ?? p?.limits.maxResponseBytes ?? DEFAULT_LIMITS.maxResponseBytes;
    const count = (outcome: string) => this.metrics.reqresp.inc({ protocol: name, side: 'client', outcome });
    let stream: Stream | undefined;
    try {
      const res = await withTimeout(timeoutMs, `${name} request to ${peer}`, async (signal) => {
        try {
          stream = await this.libp2p.dialProtocol(peer, protocolId(name), { signal });
        } catch (e) {
          const unsupported = /protocol|negotiat/i.test((e as Error).message) && !/dial/i.test((e as Error).message);
          throw new ReqRespError(unsupported ? 'unknown-protocol' : 'dial-failed', `${name} to ${peer}: ${(e as Error).message}`);
        }
        const reading = readFrame(stream, max + 1, 'response-too-large');
        reading.catch(() => {});
        await send(stream, frame(request), signal);
        await stream.close({ signal });
        const resp = await reading;
        if (resp.length < 1) throw new ReqRespError('bad-response', 'empty response frame');
        return resp;
      });
      const status = res[0];
      if (status === STATUS.ok) { count('ok'); return new Uint8Array(res.buffer, res.byteOffset + 1, res.length - 1); }
      if (status === STATUS.notFound) { count('not-found'); return null; }
      const code = STATUS_NAMES[status] ?? 'bad-response';
      throw new ReqRespError(code, `${name} to ${peer}: peer answered ${code}`);
    } catch (e) {
      const err = e instanceof ReqRespError ? e : new ReqRespError('stream-error', `${name} to ${peer}: ${(e as Error).message}`);
      if (err.code !== 'not-found') count(err.code);
      stream?.abort(err);
      throw err;
    }
  }
}
