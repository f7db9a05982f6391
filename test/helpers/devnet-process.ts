// `sidecar devnet` as a real child process in a process group of its own, for tests that kill
// it as a user would (kill -9 of the whole group, as a terminal's job control does): its live
// lines (stderr) waited on with bounded polls, its JSON result line (stdout) parsed, and the
// anvil it started found by port. An `after` hook kills whatever still runs.
//
//   const d = startDevnetProcess(['--data-dir', dir, '--slots', '4']);
//   await d.waitForLine(/\[B\] slot \d+: proposed/, 300_000, "B's proposal");
//   await d.killGroup();
//   await waitPortClosed(d.anvilPort!, 15_000); // the anvil guard stopped it
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after } from 'node:test';
import type { DevnetResult } from '../../node/cli/devnet.js';
import { SIDECAR_BIN } from './node-process.js';

export interface DevnetProcess {
  child: ChildProcess;
  /** stderr lines so far */
  readonly lines: string[];
  /** the last lines (for assertion messages) */
  tail(n?: number): string;
  /** anvil's port, once the devnet printed it */
  readonly anvilPort?: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first line (from the start) matching `re`; rejects on timeout or exit. */
  waitForLine(re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray>;
  /** SIGKILL to the devnet's whole process group; resolves once it exited. */
  killGroup(): Promise<void>;
  /** Waits (bounded) for the run to end; returns its exit code and the JSON result line. */
  result(timeoutMs: number): Promise<{ code: number | null; result?: DevnetResult }>;
}

export function startDevnetProcess(args: string[], env: NodeJS.ProcessEnv = {}): DevnetProcess {
  const child = spawn(process.execPath, [SIDECAR_BIN, 'devnet', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve((exit = { code, signal }))));
  const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
  after(() => { if (!exit) killGroup(); });
  const lines: string[] = [];
  let stdout = '';
  let buf = '';
  let anvilPort: number | undefined;
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      const m = /devnet: anvil on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) anvilPort = Number(m[1]);
    }
  });
  const tail = (n = 60) => lines.slice(-n).join('\n');
  return {
    child, lines, tail, exited,
    get anvilPort() { return anvilPort; },
    async waitForLine(re, timeoutMs, what) {
      const until = Date.now() + timeoutMs;
      for (let seen = 0; ;) {
        for (; seen < lines.length; seen++) {
          const m = re.exec(lines[seen]);
          if (m) return m;
        }
        if (exit) throw new Error(`the devnet exited (${exit.code ?? exit.signal}) before ${what}:\n${tail()}`);
        if (Date.now() > until) throw new Error(`no ${what} within ${timeoutMs / 1000} s:\n${tail()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async killGroup() {
      if (!exit) killGroup();
      await exited;
    },
    async result(timeoutMs) {
      const t = setTimeout(killGroup, timeoutMs);
      const { code } = await exited;
      clearTimeout(t);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      return { code, result: line ? (JSON.parse(line) as DevnetResult) : undefined };
    },
  };
}

/** Resolves once nothing accepts connections on 127.0.0.1:`port` (bounded: throws after `timeoutMs`). */
export async function waitPortClosed(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (!open) return;
    if (Date.now() > until) throw new Error(`127.0.0.1:${port} still accepts connections after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
