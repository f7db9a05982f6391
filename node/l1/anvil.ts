// Starts a real anvil (from @foundry-rs/anvil) on a free loopback port and stops it (SIGTERM:
// anvil writes its --state file on the way out).
// Used by `sidecar devnet` and by every test that needs a chain (test/helpers/anvil.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface AnvilOptions {
  /** seconds between blocks; undefined = mine on every tx (automine) */
  blockTime?: number;
  chainId?: number;
  accounts?: number;
  balanceEth?: number;
  mnemonic?: string;
  /** keep the chain in this file (anvil --state): loaded at start when it exists, written at exit
   *  (SIGTERM included) and every `stateIntervalSec`; its folder is created */
  statePath?: string;
  /** with statePath: also dump the state every this many seconds (anvil --state-interval), so a
   *  kill -9 loses at most that much of the chain */
  stateIntervalSec?: number;
  /** run anvil in a process group of its own, so a Ctrl-C in the terminal (SIGINT to the whole
   *  foreground group) does not kill it under the nodes still using it: the owner stops it last,
   *  with stop(). It is still sent SIGTERM if this process exits without stopping it. */
  ownProcessGroup?: boolean;
  /** extra CLI args (always added). EIP-170's code-size limit stays on: every contract we deploy fits. */
  args?: string[];
  /** how long to wait for anvil to print its port */
  startTimeoutMs?: number;
}

export interface Anvil {
  rpcUrl: string;
  wsUrl: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const DEFAULT_MNEMONIC = 'test test test test test test test test test test test junk';

export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@foundry-rs/anvil/package.json');
  return path.join(path.dirname(pkg), 'bin.mjs');
}

export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  if (opts.statePath !== undefined) mkdirSync(path.dirname(opts.statePath), { recursive: true });
  const args = [
    anvilBinary(),
    '--host', '127.0.0.1', '--port', '0',
    '--chain-id', String(opts.chainId ?? 31337),
    '--accounts', String(opts.accounts ?? 10),
    '--balance', String(opts.balanceEth ?? 10000),
    '--mnemonic', opts.mnemonic ?? DEFAULT_MNEMONIC,
    '--gas-limit', '100000000',
    ...(opts.blockTime !== undefined ? ['--block-time', String(opts.blockTime)] : []),
    ...(opts.statePath !== undefined ? ['--state', opts.statePath] : []),
    ...(opts.statePath !== undefined && opts.stateIntervalSec !== undefined ? ['--state-interval', String(opts.stateIntervalSec)] : []),
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownProcessGroup === true });
  // a detached anvil outlives this process unless told: SIGTERM at exit (it still writes its --state)
  const onExit = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); };
  if (opts.ownProcessGroup) {
    process.once('exit', onExit);
    child.once('exit', () => process.off('exit', onExit));
  }
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`anvil did not start within ${opts.startTimeoutMs ?? 30000} ms; output:\n${out}`));
    }, opts.startTimeoutMs ?? 30000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`anvil exited with ${code} before listening:\n${out}`)); });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
  // keep draining output so the pipe never fills up
  child.stdout!.resume();
  child.stderr!.resume();
  let stopped: Promise<void> | undefined;
  return {
    port,
    rpcUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    process: child,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => { clearTimeout(t); resolve(); });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}
