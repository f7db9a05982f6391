#!/usr/bin/env node
// Runs anvil as a child and makes it die with its owner: `node anvil-guard.mjs <ownerPid> <anvil
// binary> [args...]`. The guard polls the owner (every 250 ms); when the owner is gone (killed
// with SIGKILL included, which no exit hook sees), it stops anvil (SIGTERM, SIGKILL after 3 s) and
// exits. SIGTERM / SIGINT to the guard are passed on to anvil. anvil's output goes through the
// guard's stdout / stderr; the guard exits with anvil's code. Plain JS (no tsx): it must start in
// milliseconds and survive whatever happens to the owner's loader.
import { spawn } from 'node:child_process';

const [ownerArg, binary, ...args] = process.argv.slice(2);
const owner = Number(ownerArg);
if (!Number.isInteger(owner) || owner <= 0 || !binary) {
  process.stderr.write('usage: anvil-guard.mjs <ownerPid> <anvil binary> [args...]\n');
  process.exit(2);
}
const child = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 3000).unref();
}
function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}
const timer = setInterval(() => {
  if (!alive(owner) || process.ppid !== owner) {
    process.stderr.write(`anvil-guard: owner process ${owner} is gone; stopping anvil (pid ${child.pid})\n`);
    stop('SIGTERM');
  }
}, 250);
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
child.on('error', (e) => { process.stderr.write(`anvil-guard: cannot start ${binary}: ${e.message}\n`); process.exit(127); });
child.on('exit', (code, signal) => {
  clearInterval(timer);
  process.exit(code ?? (signal ? 128 + 15 : 1));
});
