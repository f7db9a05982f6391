// The node's HTTP JSON API and Prometheus endpoint on node:http. Routes are plain
// functions; every failure is a JSON `{error: {code, message}}` with a proper status, a
// body over the limit or with bad JSON is refused, and no handler error escapes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

export class HttpError extends Error {
  constructor(public readonly status: number, public readonly code: string, message: string) {
    super(message);
  }
}

/** A handler's answer with a status other than 200 (e.g. 503 from /health); the body is sent as JSON. */
export class Reply {
  constructor(public readonly status: number, public readonly body: unknown) {}
}

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}
export type Handler = (req: Request) => Promise<unknown> | unknown;

/** A handler's answer that writes the response itself (static files, server-sent events) instead of JSON. */
export class RawReply {
  constructor(readonly write: (res: http.ServerResponse, req: http.IncomingMessage) => void) {}
}
export interface Route { method: 'GET' | 'POST'; pattern: string; handler: Handler }

const MAX_BODY = 256 * 1024;

function compile(pattern: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const re = pattern.replace(/:(\w+)/g, (_m, n: string) => { names.push(n); return '([^/]+)'; });
  return { re: new RegExp(`^${re}/?$`), names };
}

export interface ApiServer { url: string; port: number; close(): Promise<void> }

export async function startApiServer(opts: {
  host: string; port: number; routes: Route[]; log: Logger;
  /** served as text/plain at GET /metrics when given */
  metrics?: () => Promise<string>;
}): Promise<ApiServer> {
  const routes = opts.routes.map((r) => ({ ...r, ...compile(r.pattern) }));
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err) => {
      opts.log.error({ err }, 'api handler crashed');
      if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (opts.metrics && method === 'GET' && url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(await opts.metrics());
      return;
    }
    let matchedPath = false;
    for (const r of routes) {
      const m = r.re.exec(url.pathname);
      if (!m) continue;
      matchedPath = true;
      if (r.method !== method) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      try {
        const body = method === 'POST' ? await readJson(req) : undefined;
        const out = await r.handler({ method, path: url.pathname, params, query: url.searchParams, body });
        if (out instanceof RawReply) out.write(res, req);
        else if (out instanceof Reply) send(res, out.status, out.body);
        else send(res, 200, out);
      } catch (e) {
        if (e instanceof HttpError) send(res, e.status, { error: { code: e.code, message: e.message } });
        else {
          opts.log.error({ err: e, path: url.pathname }, 'api request failed');
          send(res, 500, { error: { code: 'INTERNAL', message: (e as Error).message ?? 'internal error' } });
        }
      }
      return;
    }
    if (matchedPath) send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} not allowed on ${url.pathname}` } });
    else send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${opts.host}:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('application/json')) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'BODY_TOO_LARGE', `body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new HttpError(400, 'BAD_JSON', `body is not valid JSON: ${(e as Error).message}`);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}
