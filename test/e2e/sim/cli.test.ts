// `sidecar simulate` through the CLI (node/cli/main.ts -> node/sim/cli.ts): one JSON line on
// stdout with the figures, figures.json and a self-contained report.html in --out; a bad
// scenario is a usage error (exit 2) naming the field.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../../node/cli/main.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-simulate-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const o = { out: '', err: '' };
  return { o, io: { out: (s: string) => { o.out += s; }, err: (s: string) => { o.err += s; } } };
}

test('sidecar simulate: a JSON line of figures, figures.json and a self-contained HTML report', async () => {
  const cfg = path.join(dir, 'tiny-scenario.json');
  writeFileSync(cfg, JSON.stringify({
    name: 'tiny', slots: 4, protocol: { proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 10, submissionBlocks: 3 },
    sequencers: { count: 2, proposersPerSlot: 2, maxTxs: 8 }, provers: [{ name: 'p', count: 3, hardware: 'workstation' }],
  }));
  const out = path.join(dir, 'out');
  const { o, io: sink } = io();
  const code = await runCli(['simulate', '--config', cfg, '--seed', '4', '--out', out], sink);
  assert.equal(code, 0, o.err);
  const lines = o.out.trim().split('\n');
  assert.equal(lines.length, 1);
  const f = JSON.parse(lines[0]) as { liveness: number; provers: number; slots: number; seed: number };
  assert.equal(typeof f.liveness, 'number');
  assert.ok(f.liveness >= 0 && f.liveness <= 1);
  assert.equal(f.provers, 3);
  assert.equal(f.slots, 4);
  assert.equal(f.seed, 4);
  const full = JSON.parse(readFileSync(path.join(out, 'figures.json'), 'utf8')) as { livenessBySlot: number[] };
  assert.equal(full.livenessBySlot.length, 4);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /<svg /);
  assert.match(html, /Liveness over time/);
  assert.doesNotMatch(html, /<script|src="http|href="http/);
});

test('sidecar simulate: a bad scenario is a usage error naming the field', async () => {
  const cfg = path.join(dir, 'bad-scenario.json');
  writeFileSync(cfg, JSON.stringify({ name: 'bad', slots: 2, sequencers: { count: 1 }, provers: [{ name: 'p', count: 1, hardware: 'abacus' }] }));
  const { o, io: sink } = io();
  assert.equal(await runCli(['simulate', '--config', cfg], sink), 2);
  assert.match(o.err, /provers\.0\.hardware: unknown profile "abacus"/);
  assert.equal(await runCli(['simulate', '--config', cfg, '--sweep'], io().io), 2);
  assert.ok(!existsSync(path.join(dir, 'nope')));
});
