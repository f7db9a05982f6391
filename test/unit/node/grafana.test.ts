// docs/grafana-dashboard.json only charts metrics the node exports (names checked against
// NodeMetrics' registry and the prover's and p2p layer's declarations), so a renamed metric cannot leave an empty panel behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NodeMetrics } from '../../../node/metrics.js';

test('every metric in the Grafana dashboard is one the node registers', () => {
  const d = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../docs/grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const registry = new NodeMetrics({ defaultMetrics: false }).registry;
  const names = new Set<string>();
  for (const p of d.panels) for (const t of p.targets) for (const m of t.expr.matchAll(/\bsidecar_[a-z0-9_]+/g)) names.add(m[0]);
  assert.ok(names.size >= 10, `the dashboard charts the node's metrics (${names.size})`);
  // the prover and p2p layers register theirs on the node's registry when they start: their names as declared
  const declared = new Set(['prover/index.ts', 'node/p2p/metrics.ts'].flatMap((f) => [...readFileSync(path.resolve(import.meta.dirname, '../../..', f), 'utf8').matchAll(/'(sidecar_[a-z0-9_]+)'/g)].map((m) => m[1])));
  const known = (n: string) => registry.getSingleMetric(n) !== undefined || declared.has(n);
  const missing = [...names].filter((n) => !known(n) && !known(n.replace(/_(bucket|sum|count)$/, '')));
  assert.deepEqual(missing, []);
});
