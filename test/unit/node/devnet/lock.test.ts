// One devnet per data dir (node/devnet/lock.ts): a live holder refuses a second run; a lock left
// by a killed run is taken over; release removes only this process's own lock.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEVNET_LOCK_FILE, DataDirLockedError, lockDataDir } from '../../../../node/devnet/lock.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lockFile = path.join(dir, DEVNET_LOCK_FILE);

test('a data dir held by a live process is refused, naming the pid; once it is gone the lock is taken over', async () => {
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60_000)'], { stdio: 'ignore' });
  after(() => { if (holder.exitCode === null) holder.kill('SIGKILL'); });
  writeFileSync(lockFile, `${holder.pid}\n`);
  assert.throws(() => lockDataDir(dir), (e: Error) => e instanceof DataDirLockedError && e.message.includes(`pid ${holder.pid}`) && /stop that one first/.test(e.message));
  assert.equal(readFileSync(lockFile, 'utf8').trim(), String(holder.pid), 'the live holder keeps its lock');
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  const release = lockDataDir(dir); // stale: its run was killed
  assert.equal(readFileSync(lockFile, 'utf8').trim(), String(process.pid));
  release();
  assert.ok(!existsSync(lockFile), 'released');
  release(); // idempotent
});

test('a damaged lock file is taken over; release leaves a lock that is not this process\'s alone', () => {
  writeFileSync(lockFile, 'garbage');
  const release = lockDataDir(dir);
  assert.equal(readFileSync(lockFile, 'utf8').trim(), String(process.pid));
  writeFileSync(lockFile, '999999999\n'); // someone else's by now
  release();
  assert.ok(existsSync(lockFile), 'not removed: not ours');
});
