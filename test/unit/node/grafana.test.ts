// docs/grafana-dashboard.json only charts metrics the node exports (names checked against
// NodeMetrics' registry), so a renamed metric cannot leave an empty panel behind.
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
  const missing = [...names].filter((n) => !registry.getSingleMetric(n) && !registry.getSingleMetric(n.replace(/_(bucket|sum|count)$/, '')));
  assert.deepEqual(missing, []);
});
