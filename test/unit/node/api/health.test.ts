// The /health and /ready checks (node/api/health.ts) over a node's readings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHealth, checkReady, type HealthSource } from '../../../../node/api/health.js';

const NOW = 1_000_000;
function src(o: Partial<{ okAt: number; err: string; head: number; synced: number; peers: number; prover: boolean }>): HealthSource {
  return {
    l1OkAt: () => o.okAt, l1Error: () => o.err, l1Head: () => o.head, syncedTo: () => o.synced ?? 0,
    peers: o.peers === undefined ? undefined : () => o.peers!, proverOpen: o.prover === undefined ? undefined : () => o.prover!,
  };
}
const failing = (r: ReturnType<typeof checkHealth>) => r.checks.filter((c) => !c.ok).map((c) => c.name);

test('healthy: L1 fresh, synced within the bound, peers, prover open', () => {
  const r = checkHealth(src({ okAt: NOW - 1000, head: 100, synced: 95, peers: 3, prover: true }), { now: () => NOW });
  assert.equal(r.ok, true);
  assert.deepEqual(r.checks.map((c) => c.name), ['l1', 'sync', 'p2p', 'prover']);
});

test('each failure is named with its reason; a stale L1 says for how long and the last error', () => {
  const r = checkHealth(src({ okAt: NOW - 40_000, err: 'connect ECONNREFUSED', head: 100, synced: 60, peers: 0, prover: false }), { now: () => NOW, maxSyncLagBlocks: 16 });
  assert.equal(r.ok, false);
  assert.deepEqual(failing(r), ['l1', 'sync', 'p2p', 'prover']);
  assert.equal(r.checks[0].detail, 'no L1 head for 40 s: connect ECONNREFUSED');
  assert.equal(r.checks[1].detail, '40 L1 blocks behind (at most 16)');
  const never = checkHealth(src({ err: 'bad gateway' }), { now: () => NOW });
  assert.deepEqual(failing(never), ['l1', 'sync']);
  assert.equal(never.checks[0].detail, 'L1 not reached yet: bad gateway');
});

test('ready ignores peers and the prover: L1 and sync only', () => {
  const s = src({ okAt: NOW, head: 10, synced: 10, peers: 0, prover: false });
  assert.equal(checkHealth(s, { now: () => NOW }).ok, false);
  const r = checkReady(s, { now: () => NOW });
  assert.equal(r.ok, true);
  assert.deepEqual(r.checks.map((c) => c.name), ['l1', 'sync']);
});
