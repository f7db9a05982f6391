import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../../..');

test('logs go to stderr: stdout carries only the command\'s own JSON line', () => {
  const script = [
    "import { createLogger } from './node/log.ts';",
    "const log = createLogger('t');",
    "log.info({ n: 1 }, 'hello from the logger');",
    "log.warn('a warning');",
    "process.stdout.write(JSON.stringify({ result: 42 }) + '\\n');",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SIDECAR_LOG_LEVEL: 'info' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '{"result":42}\n');
  const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { component: string; msg: string; level: number });
  assert.deepEqual(lines.map((l) => [l.component, l.msg]), [['t', 'hello from the logger'], ['t', 'a warning']]);
});
