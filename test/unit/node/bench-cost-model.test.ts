// `proverBenchFile` (SIDECAR_PROVER_BENCH_FILE): the node's cost model from a bench result. A
// good file gives the planner this machine's measured times (what quotes and "fits in time"
// use); a bad one stops the node with one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../node/config.js';
import { loadBenchCostModel } from '../../../node/cli/run-node.js';
import { planBlock } from '../../../circuits/plan.js';
import { benchResultFixture } from '../../helpers/bench.js';

test('proverBenchFile: default unset, from env or flag', () => {
  assert.equal(loadConfig({ env: {} }).proverBenchFile, '');
  assert.equal(loadConfig({ env: { SIDECAR_PROVER_BENCH_FILE: '/x/result.json' } }).proverBenchFile, '/x/result.json');
  assert.equal(loadConfig({ env: {}, flags: { proverBenchFile: 'r.json' } }).proverBenchFile, 'r.json');
});

test('loadBenchCostModel: the measured times for the node\'s backend and threads plan its blocks; a bad file is a clear setup error', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-bench-model-'));
  const lines: string[] = [];
  const log = { info: (_o: object, m: string) => { lines.push(m); } };
  try {
    const good = path.join(dir, 'result.json');
    writeFileSync(good, JSON.stringify(benchResultFixture()));
    const model = loadBenchCostModel(good, 'auto', 2, log);
    // native at 2 threads: single_1 p50 1500 ms + witness 100 ms
    assert.equal(model.times.native.single_1, 1600);
    assert.equal(planBlock({ blockHash: `0x${'22'.repeat(32)}`, slot: 1, txCount: 1 }, model).estimatedMs, 1600);
    assert.equal(loadBenchCostModel(good, 'wasm', 1, log).times.wasm.single_8, 24_100);
    assert.match(lines[0], /measured proving times from the bench result/);

    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ schema: 'something-else' }));
    assert.throws(() => loadBenchCostModel(bad, 'auto', 1, log), (e: Error) => e.name === 'UsageError' && /--prover-bench-file: .*bad\.json: not a sidecar-bench\/1 result/.test(e.message));
    assert.throws(() => loadBenchCostModel(path.join(dir, 'none.json'), 'auto', 1, log), /--prover-bench-file: .*none\.json: not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
