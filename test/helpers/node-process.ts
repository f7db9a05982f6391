// `sidecar node` as a real child process (node/cli/bin.js), for tests that kill it: its pino JSON
// logs (stderr) parsed line by line, waited on with bounded polls, its Prometheus /metrics
// scraped; stopped with SIGINT (clean) or SIGKILL. An `after` hook kills whatever still runs.
//
//   const n = await startNodeProcess(['--data-dir', dir, '--roles', 'prover'], { SIDECAR_L1_RPC_URL: rpc });
//   await n.waitForLog((l) => l.event === 'proving', 300_000, 'a proving event');
//   const reused = await n.metric('sidecar_prover_events_total', { event: 'jobsReusedFromStore' });
//   await n.kill9();
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { GenesisAccount } from '../../circuits/l2/index.js';
import { writeGenesis } from '../../node/cli/genesis.js';
import { saveDeployment, type Deployment } from '../../node/l1/deploy.js';

export const SIDECAR_BIN = path.resolve(import.meta.dirname, '../../node/cli/bin.js');

export type LogLine = Record<string, unknown> & { msg?: string };

export interface NodeProcess {
  child: ChildProcess;
  /** every JSON log line so far */
  readonly logs: LogLine[];
  /** stdout + stderr so far (for assertion messages) */
  output(): string;
  /** the API base URL from the 'node started' line */
  api: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (from the start) matching `pred`; rejects on timeout or exit. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** The node's /metrics text. */
  metricsText(): Promise<string>;
  /** One sample of a metric (undefined when the series does not exist). */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  kill9(): Promise<void>;
  /** SIGINT; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * A temp dir (removed after the file's tests) holding what `sidecar node` needs besides its data
 * dir: the deployment file and the L2 genesis file. Call at the test file's top level.
 */
export function useNodeFiles(prefix: string, deployment: Deployment, genesis: readonly GenesisAccount[]): { root: string; depFile: string; genesisFile: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => rmSync(root, { recursive: true, force: true }));
  const depFile = path.join(root, 'deployment.json');
  saveDeployment(depFile, deployment);
  const genesisFile = path.join(root, 'genesis.json');
  writeGenesis(genesisFile, genesis);
  return { root, depFile, genesisFile };
}

/** Parses one sample out of a Prometheus text exposition. */
export function parseMetric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/**
 * Spawns `sidecar node <args>` with `env` on top of the test's environment and waits (bounded)
 * for its 'node started' line. The API must be on (`--api-port 0` is added unless given).
 */
export async function startNodeProcess(args: string[], env: NodeJS.ProcessEnv, opts: { startTimeoutMs?: number } = {}): Promise<NodeProcess> {
  const full = [SIDECAR_BIN, 'node', ...(args.includes('--api-port') ? [] : ['--api-port', '0']), ...args];
  const child = spawn(process.execPath, full, { env: { ...process.env, SIDECAR_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let raw = '';
  let buf = '';
  const logs: LogLine[] = [];
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve((exit = { code, signal }))));
  after(() => { if (!exit) child.kill('SIGKILL'); });
  child.stdout!.on('data', (d: Buffer) => { raw += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => {
    const s = d.toString();
    raw += s;
    buf += s;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.startsWith('{')) continue;
      try { logs.push(JSON.parse(line) as LogLine); } catch { /* not a log line */ }
    }
  });
  const output = () => raw.slice(-20_000);
  const waitForLog = async (pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> => {
    const until = Date.now() + timeoutMs;
    for (let seen = 0; ;) {
      for (; seen < logs.length; seen++) if (pred(logs[seen])) return logs[seen];
      if (exit) throw new Error(`the node exited (${exit.code ?? exit.signal}) before ${what}:\n${output()}`);
      if (Date.now() > until) throw new Error(`no ${what} within ${timeoutMs / 1000} s:\n${output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  let started: LogLine;
  try {
    started = await waitForLog((l) => l.msg === 'node started', opts.startTimeoutMs ?? 120_000, "'node started'");
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const api = String(started.api);
  const metricsText = async () => {
    const res = await fetch(`${api}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET ${api}/metrics: HTTP ${res.status}`);
    return res.text();
  };
  return {
    child, logs, output, api, exited, waitForLog, metricsText,
    metric: async (name, labels) => parseMetric(await metricsText(), name, labels),
    async kill9() {
      if (!exit) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!exit) child.kill('SIGINT');
      return (await exited).code;
    },
  };
}
