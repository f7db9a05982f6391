// Starts a real anvil (from @foundry-rs/anvil) on a free loopback port and stops it.
// Used by `sidecar devnet` and by every test that needs a chain (test/helpers/anvil.ts).
//
// A chain kept on disk (`statePath`) is written by this process, never by anvil itself: every
// `stateIntervalSec` and at stop() the state is read over RPC (anvil_dumpState) and saved
// atomically (temporary file, fsync, rename; the previous good copy kept as `<file>.prev`), so a
// kill at any moment leaves a complete file that is at most a few seconds old; it is loaded at
// start with --load-state (the previous copy if the file does not parse). anvil runs under
// node/l1/anvil-guard.mjs, which stops it when this process dies (SIGKILL included): an orphaned
// anvil can neither keep mining nor overwrite a later run's chain.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface AnvilOptions {
  /** seconds between blocks; undefined = mine on every tx (automine) */
  blockTime?: number;
  chainId?: number;
  accounts?: number;
  balanceEth?: number;
  mnemonic?: string;
  /** keep the chain in this file: loaded at start when it exists, saved atomically by stop() and
   *  every `stateIntervalSec` (see the header); its folder is created */
  statePath?: string;
  /** with statePath: also save the state every this many seconds, so a kill -9 loses at most
   *  that much of the chain */
  stateIntervalSec?: number;
  /** run anvil in a process group of its own, so a Ctrl-C in the terminal (SIGINT to the whole
   *  foreground group) does not kill it under the nodes still using it: the owner stops it last,
   *  with stop(). It is still sent SIGTERM if this process exits without stopping it, and its
   *  guard stops it if this process is killed. */
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
  /** with statePath: save the chain now (atomic; see the header) */
  saveState(): Promise<void>;
  stop(): Promise<void>;
}

/** A saved chain that cannot be loaded (both the file and its previous copy are damaged). */
export class AnvilStateError extends Error {
  constructor(message: string) { super(message); this.name = 'AnvilStateError'; }
}

export const DEFAULT_MNEMONIC = 'test test test test test test test test test test test junk';


/** The platform's anvil executable (run directly, so the guard's signals reach anvil itself). */
export function anvilExecutable(): string {
  const require = createRequire(import.meta.url);
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${name}`);
  } catch {
    throw new Error(`no anvil executable for ${process.platform}/${process.arch}: @foundry-rs/anvil-${process.platform}-${arch} is not installed (npm ci installs the one for this platform)`);
  }
}

export const ANVIL_GUARD = path.join(import.meta.dirname, 'anvil-guard.mjs');

/** The previous good copy of a saved chain. */
export function previousStatePath(statePath: string): string {
  return `${statePath}.prev`;
}

/**
 * Which saved chain to load: `statePath` if it parses, else its previous copy (with a warning
 * through `warn`); undefined when neither exists. Both damaged: AnvilStateError.
 */
export function pickStateFile(statePath: string, warn: (msg: string) => void = () => undefined): string | undefined {
  const candidates = [statePath, previousStatePath(statePath)].filter((f) => existsSync(f));
  if (candidates.length === 0) return undefined;
  const errors: string[] = [];
  for (const f of candidates) {
    try {
      const j = JSON.parse(readFileSync(f, 'utf8')) as { block?: unknown };
      if (typeof j !== 'object' || j === null || j.block === undefined) throw new Error('not an anvil state (no "block")');
      if (f !== statePath) warn(`anvil state ${statePath} is damaged (${errors[0]}); loading the previous copy ${f} (the chain goes back a few seconds more)`);
      return f;
    } catch (e) {
      errors.push(`${f}: ${(e as Error).message}`);
    }
  }
  throw new AnvilStateError(`the saved chain cannot be loaded: ${errors.join('; ')}`);
}

/** Writes `data` to `file` atomically: `<file>.tmp`, fsync, the old file renamed to `<file>.prev`, rename. */
export function writeFileAtomic(file: string, data: Uint8Array, keepPrevious = true): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (keepPrevious && existsSync(file)) renameSync(file, previousStatePath(file));
  renameSync(tmp, file);
  try {
    const dfd = openSync(path.dirname(file), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* a directory fsync is best effort (not supported everywhere) */ }
}

export async function startAnvil(opts: AnvilOptions = {}, warn: (msg: string) => void = () => undefined): Promise<Anvil> {
  const load = opts.statePath === undefined ? undefined : pickStateFile(opts.statePath, warn);
  if (opts.statePath !== undefined) mkdirSync(path.dirname(opts.statePath), { recursive: true });
  const args = [
    ANVIL_GUARD, String(process.pid), anvilExecutable(),
    '--host', '127.0.0.1', '--port', '0',
    '--chain-id', String(opts.chainId ?? 31337),
    '--accounts', String(opts.accounts ?? 10),
    '--balance', String(opts.balanceEth ?? 10000),
    '--mnemonic', opts.mnemonic ?? DEFAULT_MNEMONIC,
    '--gas-limit', '100000000',
    ...(opts.blockTime !== undefined ? ['--block-time', String(opts.blockTime)] : []),
    ...(load !== undefined ? ['--load-state', load] : []),
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownProcessGroup === true });
  // a detached guard outlives a clean exit unless told (it sees a crash by itself): SIGTERM at exit
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
  const rpcUrl = `http://127.0.0.1:${port}`;
  let saving: Promise<void> | undefined;
  const saveState = (): Promise<void> => {
    if (opts.statePath === undefined) return Promise.resolve();
    const file = opts.statePath;
    // one save at a time; a call during a save waits for it and saves again
    const run = async () => {
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_dumpState', params: [] }), signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { result?: string; error?: { message: string } };
      if (typeof body.result !== 'string') throw new Error(`anvil_dumpState failed: ${body.error?.message ?? res.status}`);
      // the dump is gzipped JSON, the format --load-state reads; check it before it replaces a good copy
      const json = gunzipSync(Buffer.from(body.result.slice(2), 'hex'));
      JSON.parse(json.toString('utf8'));
      writeFileAtomic(file, json);
    };
    const next = (saving ?? Promise.resolve()).catch(() => undefined).then(run);
    saving = next;
    return next;
  };
  let timer: NodeJS.Timeout | undefined;
  if (opts.statePath !== undefined && opts.stateIntervalSec !== undefined) {
    timer = setInterval(() => { saveState().catch((e: Error) => warn(`saving the anvil state failed (the next save retries): ${e.message}`)); }, opts.stateIntervalSec * 1000);
    timer.unref();
  }
  let stopped: Promise<void> | undefined;
  return {
    port,
    rpcUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    process: child,
    saveState,
    stop() {
      stopped ??= (async () => {
        if (timer) clearInterval(timer);
        if (child.exitCode !== null || child.signalCode !== null) return;
        await saveState().catch((e: Error) => warn(`saving the anvil state at stop failed (the last periodic save is kept): ${e.message}`));
        await new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => { clearTimeout(t); resolve(); });
          child.kill('SIGTERM');
        });
      })();
      return stopped;
    },
  };
}
