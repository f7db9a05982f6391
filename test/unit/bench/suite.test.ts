// The bench result schema (round trip, clear refusals), the cost model read from a result,
// `compare` of two results (ratios, HTML), and the suite's option parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchResultError, parseBenchResult, readBenchResult } from '../../../bench/suite/schema.js';
import { costModelFromBench, withBenchTimes } from '../../../bench/suite/cost-model.js';
import { compareResults, runCompare } from '../../../bench/suite/compare.js';
import { parseSuiteArgs, defaultThreads } from '../../../bench/suite/run.js';
import { renderReport } from '../../../bench/suite/html.js';
import { percentile } from '../../../bench/suite/measure.js';
import { DEFAULT_COST_MODEL, planBlock } from '../../../circuits/plan.js';
import { benchResultFixture as result } from '../../helpers/bench.js';

test('schema: a result round-trips through JSON and validates unchanged', () => {
  const r = result();
  const back = parseBenchResult(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(back, r);
  assert.equal(back.schema, 'sidecar-bench/1');
  assert.equal(back.hardware.cpu.cpu_model, 'Test CPU @ 3.0GHz');
  // the best shape: 2 single-threaded native workers on 2 cores
  assert.deepEqual({ ...back.circuits[0].best, proofsPerHour: Math.round(back.circuits[0].best!.proofsPerHour) }, { backend: 'native', workers: 2, threads: 1, proofsPerHour: 2400, cost_per_proof_usd: 0.0002083, energyPerProofWh: 0.04167 });
});

test('schema: a bad or foreign file is refused with a clear message naming the problem', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-bench-schema-'));
  try {
    const bad = JSON.parse(JSON.stringify(result()));
    delete bad.hardware.cpu.cpu_model;
    bad.circuits[0].results[0].proving_time_ms.p50 = -1;
    assert.throws(() => parseBenchResult(bad, 'x.json'), (e: Error) => {
      assert.ok(e instanceof BenchResultError);
      assert.match(e.message, /^x\.json: invalid sidecar-bench\/1 result:/);
      assert.match(e.message, /hardware\.cpu\.cpu_model: /);
      assert.match(e.message, /circuits\.0\.results\.0\.proving_time_ms\.p50: /);
      return true;
    });
    assert.throws(() => parseBenchResult({ ...result(), schema: 'sidecar-bench/0' }), /not a sidecar-bench\/1 result \(its "schema" is "sidecar-bench\/0"\)/);
    assert.throws(() => parseBenchResult([1, 2]), /expected a JSON object/);
    const notJson = path.join(dir, 'r.json');
    writeFileSync(notJson, '{"schema": ');
    assert.throws(() => readBenchResult(notJson), /r\.json: not valid JSON/);
    assert.throws(() => readBenchResult(path.join(dir, 'missing.json')), /missing\.json: not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cost model: the measured p50 (+ witness) per circuit for the asked backend and threads feeds the planner', () => {
  const r = result();
  const t = costModelFromBench(r, { backend: 'auto', threads: 1 });
  assert.equal(t.backend, 'native');
  assert.equal(t.threads, 1);
  assert.deepEqual(t.proveMs, { single_1: 3100, single_8: 8100 });
  const w = costModelFromBench(r, { backend: 'wasm', threads: 8 });
  assert.equal(w.threads, 2, 'the nearest measured thread count below');
  assert.equal(w.proveMs.single_1, Math.round(9000 / 2 + 100));
  const model = withBenchTimes(DEFAULT_COST_MODEL, t);
  assert.equal(model.times.native.single_1, 3100);
  assert.equal(model.times.native.single_32, DEFAULT_COST_MODEL.times.native.single_32, 'a circuit the bench did not measure keeps its time');
  assert.equal(planBlock({ blockHash: `0x${'11'.repeat(32)}`, slot: 1, txCount: 1 }, model).estimatedMs, 3100);
});

test('compare: ratios B / A per figure, the table on stderr, one JSON line on stdout and an HTML page', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-bench-compare-'));
  try {
    const a = result(1, 'CPU A'), b = result(0.5, 'CPU B');
    const rows = compareResults(a, b);
    const p50 = rows.find((r) => r.what === 'single_1 native x1 p50 s')!;
    assert.equal(p50.a, 3);
    assert.equal(p50.b, 1.5);
    assert.equal(p50.ratio, 0.5);
    assert.equal(rows.find((r) => r.what === 'single_8 proofs/hour (best shape)')!.ratio, 2);
    assert.ok(rows.some((r) => r.what === 'block 32 txs latency s' && r.ratio !== null && r.ratio < 1));
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify(a));
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify(b));
    let out = '', err = '';
    const html = path.join(dir, 'cmp.html');
    await runCompare([path.join(dir, 'a.json'), path.join(dir, 'b.json'), '--out', html], { out: (s) => { out += s; }, err: (s) => { err += s; } });
    assert.match(err, /single_1 native x1 p50 s\s+3\s+1\.5\s+0\.500/);
    const line = JSON.parse(out.trim().split('\n').pop()!);
    assert.equal(line.rows.length, rows.length);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<svg/);
    assert.match(page, /CPU A/);
    assert.match(page, /CPU B/);
    await assert.rejects(runCompare([path.join(dir, 'a.json')], { out: () => {}, err: () => {} }), /usage: sidecar bench compare/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: one self-contained page with the charts (time per circuit and backend, thread scaling, cost per tx)', () => {
  const page = renderReport(result());
  assert.equal((page.match(/<svg /g) ?? []).length, 3);
  assert.match(page, /speed-up over 1 thread/);
  assert.match(page, /cost per tx/);
  assert.match(page, /INSECURE dev CRS/);
  assert.doesNotMatch(page, /<script|src=|href=|@import/, 'nothing fetched');
});

test('options: defaults, quick, and bad values refused naming the flag', () => {
  const d = parseSuiteArgs([]);
  assert.equal(d.reps, 3);
  assert.deepEqual(d.blockSizes, [1, 32, 128]);
  assert.deepEqual(d.threads, defaultThreads());
  assert.deepEqual(defaultThreads(6), [1, 2, 4, 6]);
  const q = parseSuiteArgs(['--quick', '--out=/tmp/x', '--usd-per-hour', '0.4']);
  assert.deepEqual([q.quick, q.reps, q.threads, q.blockSizes, q.out, q.usdPerHour], [true, 1, [1], [1], '/tmp/x', 0.4]);
  assert.deepEqual(parseSuiteArgs(['--blocks', '']).blockSizes, []);
  assert.throws(() => parseSuiteArgs(['--reps', '0']), /--reps must be a whole number >= 1, got "0"/);
  assert.throws(() => parseSuiteArgs(['--backends', 'gpu']), /unknown backend "gpu"/);
  assert.throws(() => parseSuiteArgs(['--threads', '1,x']), /--threads: each value must be a whole number >= 1, got "x"/);
  assert.throws(() => parseSuiteArgs(['--frobnicate']), /unknown option --frobnicate/);
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([5, 1, 3, 2, 4], 99), 5);
});
