// A sidecar process stops when the process that started it dies (node/cli/main.ts watchParent):
// killing `npm start` (or a supervisor) with SIGKILL must not leave a node holding its LevelDB.
// Real processes: a parent that is SIGKILLed, and a child running the CLI's watchdog with a
// SIGTERM handler standing in for the node's clean stop.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

const main = path.resolve(import.meta.dirname, '../../../node/cli/main.ts');

test('the CLI process gets SIGTERM (its clean stop) when its parent is killed with SIGKILL', { timeout: 120_000 }, async () => {
  const child = `
    import { watchParent } from ${JSON.stringify(main)};
    process.on('SIGTERM', () => { process.stdout.write('STOPPING\\n'); process.exit(0); });
    watchParent(100);
    process.stdout.write('CHILD ' + process.pid + '\\n');
    setInterval(() => undefined, 1000);
  `;
  const parent = `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ${JSON.stringify(child)}], { stdio: ['ignore', 'inherit', 'inherit'] });
    setInterval(() => undefined, 1000);
  `;
  const p = spawn(process.execPath, ['-e', parent], { stdio: ['ignore', 'pipe', 'inherit'] });
  let childPid: number | undefined;
  after(() => {
    if (p.exitCode === null) p.kill('SIGKILL');
    if (childPid) try { process.kill(childPid, 'SIGKILL'); } catch { /* gone */ }
  });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  for (let i = 0; i < 600 && childPid === undefined; i++) {
    const m = /CHILD (\d+)/.exec(out);
    if (m) childPid = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(childPid, `the child started: ${out}`);
  const alive = () => { try { process.kill(childPid!, 0); return true; } catch { return false; } };
  assert.ok(alive());
  p.kill('SIGKILL');
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(), false, 'the orphaned child stopped');
});
