// `sidecar agent` and the agent role of `sidecar node`: bad flags are refused with one clear
// line and exit code 2, before anything starts (no p2p host, no prover pool).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../../node/cli/main.js';
import { nodePeerIdOf } from '../../../node/cli/agent.js';

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(args, { out: () => {}, err: (s) => { err += s; } });
  assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
  return { code, err };
}

const PEER = '12D3KooWEiqSG8zAahkSjSCpKS3mFSEwib4vvtUfjynj1Vsn5Efd';

test('sidecar agent: --node is required and must carry /p2p/<peer id>; bad numbers are named; exit 2', async () => {
  const none = await cli(['agent']);
  assert.equal(none.code, 2);
  assert.match(none.err, /required option '--node <multiaddr>' not specified/);
  const noPeer = await cli(['agent', '--node', '/ip4/127.0.0.1/tcp/40400']);
  assert.equal(noPeer.code, 2);
  assert.match(noPeer.err, /--node: \/ip4\/127\.0\.0\.1\/tcp\/40400 has no \/p2p\/<peer id>/);
  const garbage = await cli(['agent', '--node', 'localhost:40400']);
  assert.equal(garbage.code, 2);
  assert.match(garbage.err, /--node: not a multiaddr: "localhost:40400"/);
  const badPeer = await cli(['agent', '--node', '/ip4/127.0.0.1/tcp/40400/p2p/QmNotAPeer']);
  assert.equal(badPeer.code, 2);
  assert.match(badPeer.err, /--node: /);
  const workers = await cli(['agent', '--node', `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, '--workers', '-1']);
  assert.equal(workers.code, 2);
  assert.match(workers.err, /--workers must be in 0\.\.256, got -1/);
  const threads = await cli(['agent', '--node', `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, '--threads', 'many']);
  assert.equal(threads.code, 2);
  assert.match(threads.err, /--threads must be a whole number, got "many"/);
  const listen = await cli(['agent', '--node', `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, '--listen', '0.0.0.0:1']);
  assert.equal(listen.code, 2);
  assert.match(listen.err, /--listen: a multiaddr starts with \//);
  const tasks = await cli(['agent', '--node', `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, '--tasks', '/no/such/module.ts']);
  assert.equal(tasks.code, 2);
  assert.match(tasks.err, /--tasks: cannot import \/no\/such\/module\.ts/);
  assert.equal(nodePeerIdOf(`/ip4/127.0.0.1/tcp/1/p2p/${PEER}`), PEER);
});

test('sidecar node --roles agent: runs alone, and needs the node in --bootstrap; exit 2', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-cli-agent-'));
  try {
    const mixed = await cli(['node', '--roles', 'agent,prover', '--data-dir', dir]);
    assert.equal(mixed.code, 2);
    assert.match(mixed.err, /the agent role runs alone \(roles: agent,prover\)/);
    const alone = await cli(['node', '--roles', 'agent', '--data-dir', dir]);
    assert.equal(alone.code, 2);
    assert.match(alone.err, /the agent role needs the node to prove for: --bootstrap/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
