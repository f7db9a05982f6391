// `sidecar bench --quick` on real proofs, through the real executable: interrupted (SIGINT)
// after its first finished unit, resumed with --resume to the end; the result (last stdout
// line and result.json) validates against the schema, report.html has its charts, and
// `sidecar bench compare` of the result with itself gives ratio 1 everywhere and an HTML page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchResult, readBenchResult } from '../../../bench/suite/schema.js';

const BIN = path.resolve(import.meta.dirname, '../../../node/cli/bin.js');

function sidecar(args: string[], opts: { interruptWhen?: () => boolean } = {}): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIDECAR_LOG_LEVEL: 'warn' } });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      // checked on each progress line (the bench writes one per step): no timer
      if (opts.interruptWhen?.()) { opts.interruptWhen = undefined; child.kill('SIGINT'); }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

test('bench --quick: interrupted and resumed, real proofs, a valid JSON result and HTML report; compare with itself', { timeout: 20 * 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-bench-quick-'));
  const out = path.join(dir, 'run');
  try {
    const file = path.join(out, 'result.json');
    const unitsDone = () => {
      try {
        return readBenchResult(file).circuits.reduce((a, c) => a + c.results.length, 0);
      } catch {
        return 0;
      }
    };
    const first = await sidecar(['bench', '--quick', '--out', out, '--usd-per-hour', '0.5', '--watts', '60'], { interruptWhen: () => existsSync(file) && unitsDone() >= 1 });
    assert.equal(first.code, 130, `interrupted: ${first.err.slice(-2000)}`);
    assert.match(first.err, /estimated ~[\d.]+ (s|min) on this machine/);
    assert.match(first.err, /--resume --out/);
    const partial = readBenchResult(file);
    assert.equal(partial.run.complete, false);
    assert.ok(unitsDone() >= 1);

    const again = await sidecar(['bench', '--quick', '--out', out]);
    assert.equal(again.code, 2, 'a directory holding a result needs --resume');
    assert.match(again.err, /already holds a bench result: --resume continues it/);

    const second = await sidecar(['bench', '--quick', '--out', out, '--resume', '--usd-per-hour', '0.5', '--watts', '60']);
    assert.equal(second.code, 0, second.err.slice(-3000));
    const last = second.out.trim().split('\n').pop()!;
    const r = parseBenchResult(JSON.parse(last), 'stdout');
    assert.deepEqual(readBenchResult(file), r, 'result.json is what was printed');
    assert.equal(r.run.complete, true);
    assert.equal(r.run.sessions, 2);
    assert.equal(r.run.quick, true);
    // fingerprint
    assert.ok(r.hardware.cpu.cpu_model.length > 0);
    assert.equal(r.hardware.cpu.cpu_cores, os.availableParallelism());
    assert.match(r.software.bb, /^5\.0\.0/);
    assert.equal(r.software.bbjs, '5.0.0');
    assert.equal(r.software.noir, '1.0.0-beta.26');
    assert.equal(r.software.crs.kind, 'insecure-dev');
    // circuits: single_1 and the next smallest, each on every backend that started, with a cold start apart
    assert.deepEqual(r.circuits.map((c) => c.circuit), ['single_1', 'single_8']);
    const kinds = r.software.backends.filter((b) => b.available).map((b) => b.backend);
    assert.ok(kinds.includes('native') || kinds.includes('wasm'));
    for (const c of r.circuits) {
      assert.deepEqual(c.results.map((x) => x.backend).sort(), [...kinds].sort());
      for (const x of c.results) {
        assert.equal(x.verified, true);
        assert.ok(x.proving_time_ms.p50 > 0 && x.cpuSeconds.p50 > 0 && x.gatesPerSecond > 0);
        assert.ok(x.coldStart && x.coldStart.vkMs > 0 && x.coldStart.proveMs > 0, 'cold start measured on its own');
        assert.ok(x.peakRssMB === null || x.peakRssMB > 50);
      }
      assert.ok(c.best && c.best.proofsPerHour > 0 && c.best.cost_per_proof_usd! > 0 && c.best.energyPerProofWh! > 0);
    }
    // a 1-tx block through the pool, after its cold start
    assert.equal(r.blocks.length, 1);
    const b = r.blocks[0];
    assert.equal(b.transaction_count, 1);
    assert.deepEqual(b.plan, ['single_1']);
    assert.equal(b.verified, true);
    assert.ok(b.latencyMs > 0 && b.makespanRatio >= 1 && b.cost_per_tx_usd! > 0);
    assert.ok(r.pool && r.pool.coldStartMs > 0);
    // --quick: an aggregated range of 2 one-tx blocks through the prover, one range_2 proof verified with bb
    assert.equal(r.range.blocks, 2);
    assert.equal(r.range.skipped, undefined);
    assert.equal(r.range.circuit, 'range_2');
    assert.equal(r.range.verified, true);
    assert.ok(r.range.rangeProofMs! > 0 && r.range.blockProofsMs! > 0 && r.range.latencyMs === r.range.blockProofsMs! + r.range.rangeProofMs!);

    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.ok((html.match(/<svg /g) ?? []).length >= 2, 'time per circuit and cost per tx charts');
    assert.match(html, /single_8/);

    const cmpHtml = path.join(dir, 'cmp.html');
    const cmp = await sidecar(['bench', 'compare', file, out, '--out', cmpHtml]);
    assert.equal(cmp.code, 0, cmp.err);
    const rows = JSON.parse(cmp.out.trim().split('\n').pop()!).rows as { what: string; ratio: number | null }[];
    assert.ok(rows.length > 5);
    for (const row of rows) if (row.ratio !== null) assert.equal(row.ratio, 1, row.what);
    assert.match(readFileSync(cmpHtml, 'utf8'), /<svg /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
