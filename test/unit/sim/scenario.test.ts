// Scenario files of `sidecar simulate` (node/sim/scenario.ts): every example validates; bad input
// gets one clear line per problem naming the field; sweeps expand to the grid's product.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ScenarioError, loadScenario, parseScenario, sweepPoints, withPath } from '../../../node/sim/scenario.js';

const dir = path.resolve(import.meta.dirname, '../../../node/sim');
const minimal = { name: 't', slots: 3, sequencers: { count: 2 }, provers: [{ name: 'p', count: 2, hardware: 'laptop' }] };

test('every example scenario (node/sim/*scenario*.json) validates', () => {
  const files = readdirSync(dir).filter((f) => /scenario.*\.json$/.test(f));
  assert.ok(files.length >= 7, `examples: ${files.join(', ')}`);
  for (const f of files) {
    const s = loadScenario(path.join(dir, f));
    assert.ok(s.slots > 0 && s.sequencers.count > 0, f);
  }
});

test('defaults fill in; the hardware profiles are known', () => {
  const s = parseScenario(minimal);
  assert.equal(s.protocol.provingBlocks, 40);
  assert.equal(s.provers[0].baseFee, 0.05);
  assert.ok(s.hardware.laptop && s.hardware.server);
});

test('bad scenarios: one line per problem, naming the field', () => {
  const bad = (x: unknown, re: RegExp) => assert.throws(() => parseScenario(x, 'scenario x.json'), (e: Error) => e instanceof ScenarioError && re.test(e.message));
  bad({ ...minimal, slots: 0 }, /slots: .*>=1|slots: Too small/i);
  bad({ ...minimal, provers: [{ name: 'p', count: 1, hardware: 'quantum' }] }, /provers\.0\.hardware: unknown profile "quantum"/);
  bad({ ...minimal, sequencers: { count: 2, bogus: 1 } }, /sequencers: .*bogus/i);
  bad({ ...minimal, protocol: { proposalBlocks: 200, revealBlocks: 50, commitBlocks: 10 } }, /<= 255/);
  bad({ ...minimal, sweep: { grid: { 'protocol.nope': [1] } } }, /sweep\.grid\.protocol\.nope: no such scenario field/);
  assert.throws(() => loadScenario('/nonexistent/x.json'), /cannot read scenario/);
});

test('sweep points: the product of the grid, each re-validated', () => {
  const s = parseScenario({ ...minimal, sweep: { grid: { 'protocol.provingBlocks': [10, 20], 'protocol.earlyProofs': [true, false] }, seeds: [1] } });
  const pts = sweepPoints(s);
  assert.equal(pts.length, 4);
  assert.deepEqual(pts.map((p) => [p.scenario.protocol.provingBlocks, p.scenario.protocol.earlyProofs]), [[10, true], [10, false], [20, true], [20, false]]);
  assert.throws(() => withPath(s, 'slots', -1), ScenarioError);
});
