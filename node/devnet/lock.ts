// One devnet per data dir: `<data dir>/devnet.lock` holds the pid of the run using it. A second
// run on the same dir is refused while that process lives (two anvils on one chain file would
// overwrite each other's chain); a lock left by a killed run (its pid is gone) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export const DEVNET_LOCK_FILE = 'devnet.lock';

/** The data dir is held by another live devnet. */
export class DataDirLockedError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(`${dir} is in use by another devnet (pid ${pid}, see ${path.join(dir, DEVNET_LOCK_FILE)}); stop that one first, or use another --data-dir`);
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `dir` (which must exist) for this process; returns its release (idempotent, also run at exit). */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, DEVNET_LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new DataDirLockedError(dir, pid);
      rmSync(file, { force: true }); // stale (its run was killed) or unreadable: take it over
      continue;
    }
    try { writeSync(fd, `${process.pid}\n`); } finally { closeSync(fd); }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      try {
        if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) rmSync(file, { force: true });
      } catch { /* already gone */ }
    };
    process.once('exit', release);
    return release;
  }
  throw new Error(`cannot take the lock ${file} (it keeps reappearing: another devnet is starting on ${dir}?)`);
}
