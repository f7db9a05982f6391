// `sidecar bench compare A.json B.json [--out FILE.html]`: the two results' figures side by
// side with B / A ratios (stdout, then one JSON line), and a comparison HTML page.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderCompare, type CompareRow } from './html.js';
import { readBenchResult, type BenchResult } from './schema.js';
import { BenchUsageError } from './run.js';

const ratio = (a: number | null, b: number | null) => (a === null || b === null || a === 0 ? null : Number((b / a).toFixed(4)));

/** Every figure both results have, keyed the same way, with B / A. */
export function compareResults(a: BenchResult, b: BenchResult): CompareRow[] {
  const rows: CompareRow[] = [];
  const add = (what: string, x: number | null | undefined, y: number | null | undefined) => rows.push({ what, a: x ?? null, b: y ?? null, ratio: ratio(x ?? null, y ?? null) });
  const keys = new Set<string>();
  const index = (r: BenchResult) => {
    const m = new Map<string, BenchResult['circuits'][number]['results'][number]>();
    for (const c of r.circuits) for (const x of c.results) { const k = `${c.circuit} ${x.backend} x${x.threads}`; m.set(k, x); keys.add(k); }
    return m;
  };
  const ia = index(a), ib = index(b);
  for (const k of [...keys].sort()) {
    const x = ia.get(k), y = ib.get(k);
    add(`${k} p50 s`, x && x.proving_time_ms.p50 / 1000, y && y.proving_time_ms.p50 / 1000);
    add(`${k} p99 s`, x && x.proving_time_ms.p99 / 1000, y && y.proving_time_ms.p99 / 1000);
    add(`${k} CPU s`, x?.cpuSeconds.p50, y?.cpuSeconds.p50);
    add(`${k} peak MB`, x?.peakRssMB, y?.peakRssMB);
    if (x?.coldStart || y?.coldStart) add(`${k} cold start s`, x?.coldStart && x.coldStart.totalMs / 1000, y?.coldStart && y.coldStart.totalMs / 1000);
  }
  const circuits = [...new Set([...a.circuits, ...b.circuits].map((c) => c.circuit))].sort();
  for (const c of circuits) {
    const x = a.circuits.find((e) => e.circuit === c)?.best, y = b.circuits.find((e) => e.circuit === c)?.best;
    if (x || y) add(`${c} proofs/hour (best shape)`, x?.proofsPerHour, y?.proofsPerHour);
    if (x?.cost_per_proof_usd != null || y?.cost_per_proof_usd != null) add(`${c} cost_per_proof_usd`, x?.cost_per_proof_usd, y?.cost_per_proof_usd);
  }
  const sizes = [...new Set([...a.blocks, ...b.blocks].map((x) => x.transaction_count))].sort((p, q) => p - q);
  for (const n of sizes) {
    const x = a.blocks.find((e) => e.transaction_count === n), y = b.blocks.find((e) => e.transaction_count === n);
    add(`block ${n} txs latency s`, x && x.latencyMs / 1000, y && y.latencyMs / 1000);
    add(`block ${n} txs makespan ratio`, x?.makespanRatio, y?.makespanRatio);
    if (x?.cost_per_tx_usd != null || y?.cost_per_tx_usd != null) add(`block ${n} txs cost_per_tx_usd`, x?.cost_per_tx_usd, y?.cost_per_tx_usd);
  }
  return rows;
}

export function formatCompare(rows: CompareRow[], names: [string, string]): string {
  const f = (x: number | null) => (x === null ? '–' : Number(x.toPrecision(4)).toString());
  const w = Math.max(10, ...rows.map((r) => r.what.length));
  const head = `${'figure'.padEnd(w)}  ${names[0].slice(0, 14).padStart(14)}  ${names[1].slice(0, 14).padStart(14)}  ${'B/A'.padStart(7)}`;
  return [head, ...rows.map((r) => `${r.what.padEnd(w)}  ${f(r.a).padStart(14)}  ${f(r.b).padStart(14)}  ${(r.ratio === null ? '–' : r.ratio.toFixed(3)).padStart(7)}`)].join('\n') + '\n';
}

export async function runCompare(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<void> {
  const files: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i];
    else if (argv[i].startsWith('--out=')) out = argv[i].slice(6);
    else if (argv[i].startsWith('--')) throw new BenchUsageError(`compare: unknown option ${argv[i]} (usage: sidecar bench compare A.json B.json [--out FILE.html])`);
    else files.push(argv[i]);
  }
  if (files.length !== 2 || (out !== undefined && !out)) throw new BenchUsageError('usage: sidecar bench compare A.json B.json [--out FILE.html]');
  const resolve = (f: string) => (f.endsWith('.json') ? f : path.join(f, 'result.json'));
  const [a, b] = files.map((f) => readBenchResult(resolve(f)));
  const names: [string, string] = [`A: ${a.hardware.cpu.cpu_model.slice(0, 24)}`, `B: ${b.hardware.cpu.cpu_model.slice(0, 24)}`];
  const rows = compareResults(a, b);
  const html = path.resolve(out ?? 'sidecar-bench-compare.html');
  writeFileSync(html, renderCompare(a, b, names, rows));
  io.err(`A = ${resolve(files[0])} (${a.hardware.cpu.cpu_model}, ${a.hardware.cpu.cpu_cores} cores)\nB = ${resolve(files[1])} (${b.hardware.cpu.cpu_model}, ${b.hardware.cpu.cpu_cores} cores)\n`);
  io.err(formatCompare(rows, names));
  io.err(`wrote ${html}\n`);
  io.out(`${JSON.stringify({ compare: [resolve(files[0]), resolve(files[1])], html, rows })}\n`);
}
