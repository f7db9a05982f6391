// Relays for tests, each a real HTTP server on 127.0.0.1 speaking (or abusing) the relay API v1
// (node/relay/api.ts): the reference relay (node/relay/server.ts), one that takes the RFQ and never
// answers, one that answers at once with forged quotes, and the URL of a relay that is down (a
// port nothing listens on). Every RFQ they get is recorded with the L1 state at that moment.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Wallet, getAddress } from 'ethers';
import { rfqSigner, signQuote, type Quote } from '../../node/l1/block.js';
import { RfqRequest, quoteToJson, rfqFromJson, type RfqJson, type SignedQuoteJson } from '../../node/relay/api.js';
import { RelayServer } from '../../node/relay/server.js';
import { createLogger } from '../../node/log.js';

export interface Domain { chainId: bigint; verifyingContract: string }

export interface TestRelay {
  url: string;
  /** the RFQs it received, in order, and when (ms epoch) */
  received: RfqJson[];
  receivedAt: number[];
  close(): Promise<void>;
}

async function listen(server: http.Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: http.Server): () => Promise<void> {
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** The reference relay (what `sidecar relay` runs) on a random port. */
export async function referenceRelay(domain: Domain, name = 'good', port = 0): Promise<RelayServer> {
  const r = new RelayServer({ domain, name, port, log: createLogger('test-relay', { relay: name }) });
  await r.start();
  return r;
}

/** Takes every RFQ and never answers (the sequencer's timeout and the RFQ's close must end the wait). */
export async function stallingRelay(): Promise<TestRelay & { open: number }> {
  const received: RfqJson[] = [];
  const receivedAt: number[] = [];
  const state = { open: 0 };
  const server = http.createServer((req, res) => {
    const at = Date.now();
    void readJson(req).then((b) => {
      const r = RfqRequest.safeParse(b);
      if (r.success) { received.push(r.data.rfq); receivedAt.push(at); }
      state.open++;
      res.on('close', () => { state.open--; });
      // never answers
    }, () => { res.writeHead(400).end(); });
  });
  const url = await listen(server);
  return { url, received, receivedAt, close: closer(server), get open() { return state.open; } };
}

/**
 * Answers every RFQ at once with forged quotes, each cheaper than any honest one (fee 1), each
 * failing one check: signed by a stranger in a funded prover's name (bad-signature), validly
 * signed by an unfunded key (unfunded-prover), for another block (wrong-block), naming another
 * sequencer (wrong-sequencer).
 */
export async function lyingRelay(domain: Domain, fundedProver: string): Promise<TestRelay> {
  const received: RfqJson[] = [];
  const receivedAt: number[] = [];
  const stranger = new Wallet(Wallet.createRandom().privateKey);
  const server = http.createServer((req, res) => {
    const at = Date.now();
    void (async () => {
      const r = RfqRequest.parse(await readJson(req));
      received.push(r.rfq);
      receivedAt.push(at);
      const { terms, signature } = rfqFromJson(r.rfq);
      const sequencer = getAddress(rfqSigner(domain.chainId, domain.verifyingContract, terms, signature));
      const base: Quote = { slot: terms.slot, blockHash: terms.blockHash, sequencer, prover: stranger.address, fee: 1n, deposit: terms.deposit, proverFundsDeposit: true, validUntilBlock: terms.quoteDeadlineBlock + 10n };
      const signed = async (q: Quote, by: Wallet): Promise<SignedQuoteJson> => ({ quote: quoteToJson(q), signature: await signQuote(by, domain.chainId, domain.verifyingContract, q) });
      const quotes = [
        await signed({ ...base, prover: getAddress(fundedProver) }, stranger),
        await signed(base, stranger),
        await signed({ ...base, blockHash: `0x${'5a'.repeat(32)}` }, stranger),
        await signed({ ...base, sequencer: stranger.address }, stranger),
      ];
      const text = JSON.stringify({ quotes });
      res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    })().catch((e: Error) => { res.writeHead(400).end(JSON.stringify({ error: { code: 'bad-request', message: e.message } })); });
  });
  const url = await listen(server);
  return { url, received, receivedAt, close: closer(server) };
}

/** A free port on 127.0.0.1 with nothing listening on it (a relay that is down). */
export async function downRelayPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `sidecar relay` as a child process (the CLI a relay operator runs), on a random port; its URL from its stdout line. */
export async function relayProcess(args: string[]): Promise<{ url: string; output: () => string; stop: () => Promise<number | null> }> {
  const bin = new URL('../../node/cli/bin.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'relay', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIDECAR_LOG_FORMAT: 'json', SIDECAR_LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout.on('data', (d) => { out += String(d); });
  child.stderr.on('data', (d) => { out += String(d); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sidecar relay did not start in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]); }
    };
    child.stdout.on('data', check);
    void exited.then((code) => { clearTimeout(t); reject(new Error(`sidecar relay exited (${code}):\n${out}`)); });
  });
  return {
    url, output: () => out,
    stop: async () => { child.kill('SIGTERM'); return exited; },
  };
}
