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

function runLogger(format: string): { status: number | null; stdout: string; stderr: string } {
  const script = [
    "import { createLogger } from './node/log.ts';",
    "const log = createLogger('p2p', { node: 'B', sub: 'peers' });",
    "log.info({ peers: 3, addr: '/ip4/127.0.0.1/tcp/1' }, 'connected');",
    "log.error({ err: new TypeError('bad frame') }, 'stream failed');",
  ].join('\n');
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SIDECAR_LOG_LEVEL: 'info', SIDECAR_LOG_FORMAT: format, NO_COLOR: '1' },
  });
}

test('SIDECAR_LOG_FORMAT=pretty: one readable line per event with the node label, component and fields', () => {
  const r = runLogger('pretty');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0], /^\d\d:\d\d:\d\d\.\d{3} INFO  \[B\] p2p\[peers\] connected peers=3 addr=\/ip4\/127\.0\.0\.1\/tcp\/1$/);
  assert.match(lines[1], /^\d\d:\d\d:\d\d\.\d{3} ERROR \[B\] p2p\[peers\] stream failed err="TypeError: bad frame"$/);
  assert.doesNotMatch(r.stderr, /\x1b\[/, 'no colours when stderr is not a terminal');
});

test('SIDECAR_LOG_FORMAT=json and auto off a terminal: JSON lines with the same fields', () => {
  for (const format of ['json', 'auto']) {
    const r = runLogger(format);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l.node, l.component, l.sub, l.msg]), [['B', 'p2p', 'peers', 'connected'], ['B', 'p2p', 'peers', 'stream failed']], format);
    assert.equal(lines[0].peers, 3);
    assert.equal((lines[1].err as { message: string }).message, 'bad frame');
  }
});

test('a component\'s sub-component has one component key and keeps the base bindings (the devnet\'s node label)', () => {
  const script = [
    "import { pino } from 'pino';",
    "import { createLogger, withComponent } from './node/log.ts';",
    "const devnet = pino({ base: undefined }, pino.destination(2)).child({ node: 'A' });",
    "const node = withComponent(devnet, 'node');",
    "withComponent(node, 'p2p').info('from p2p');",
    "withComponent(withComponent(createLogger('agent'), 'p2p'), 'orchestrator', { lease: 1 }).info('from the orchestrator');",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SIDECAR_LOG_LEVEL: 'info', SIDECAR_LOG_FORMAT: 'json' },
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  for (const l of lines) assert.equal(l.match(/"component":/g)?.length, 1, `one component key: ${l}`);
  assert.deepEqual(JSON.parse(lines[0]), { level: 30, node: 'A', component: 'p2p', msg: 'from p2p', time: JSON.parse(lines[0]).time });
  assert.equal(JSON.parse(lines[1]).component, 'orchestrator');
  assert.equal(JSON.parse(lines[1]).lease, 1);
});
