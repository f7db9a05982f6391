// One self-contained HTML page per bench result (and per comparison): tables and inline SVG
// charts, no script, nothing fetched.
import type { BenchResult } from './schema.js';

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f', '#bab0ac', '#ff9da7'];
const sec = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '–' : Number(x.toPrecision(digits)).toString());

export interface Bar { label: string; value: number; series: string }

/** Grouped horizontal bars: one group per category, one bar per series. */
export function barChart(title: string, unit: string, bars: Bar[]): string {
  if (!bars.length) return `<p><em>${esc(title)}: no data</em></p>`;
  const groups = [...new Set(bars.map((b) => b.label))];
  const series = [...new Set(bars.map((b) => b.series))];
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const W = 860, left = 150, barH = 14, gap = 10, top = 34;
  const groupH = series.length * barH + gap;
  const H = top + groups.length * groupH + 24 + Math.ceil(series.length / 4) * 16;
  const x = (v: number) => ((W - left - 90) * v) / max;
  const rows = groups.map((g, gi) => {
    const y0 = top + gi * groupH;
    const rects = series.map((s, si) => {
      const b = bars.find((q) => q.label === g && q.series === s);
      if (!b) return '';
      const y = y0 + si * barH;
      return `<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value)).toFixed(1)}" height="${barH - 2}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${g} · ${s}: ${fmt(b.value)} ${unit}`)}</title></rect>` +
        `<text x="${(left + x(b.value) + 4).toFixed(1)}" y="${y + barH - 4}" font-size="10">${esc(fmt(b.value))}</text>`;
    }).join('');
    return `<text x="4" y="${y0 + (series.length * barH) / 2 + 4}" font-size="12">${esc(g)}</text>${rects}`;
  }).join('\n');
  const legend = series.map((s, i) => `<rect x="${left + (i % 4) * 170}" y="${H - 16 - Math.floor(i / 4) * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${left + (i % 4) * 170 + 14}" y="${H - 7 - Math.floor(i / 4) * 16}" font-size="11">${esc(s)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" role="img"><text x="4" y="18" font-size="14" font-weight="bold">${esc(title)} (${esc(unit)})</text>${rows}${legend}</svg>`;
}

export interface Series { label: string; points: [number, number][] }

/** Lines over x (thread counts), e.g. speed-up against 1 thread. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) return `<p><em>${esc(title)}: no data</em></p>`;
  const W = 860, H = 320, left = 60, right = 220, top = 34, bottom = 40;
  const xs = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b);
  const xMax = Math.max(...xs), xMin = Math.min(...xs);
  const yMax = Math.max(...pts.map((p) => p[1]), 1) * 1.1;
  const X = (v: number) => left + (xMax === xMin ? (W - left - right) / 2 : ((v - xMin) / (xMax - xMin)) * (W - left - right));
  const Y = (v: number) => H - bottom - (v / yMax) * (H - top - bottom);
  const axes = `<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#333"/><line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="#333"/>` +
    xs.map((v) => `<text x="${X(v).toFixed(1)}" y="${H - bottom + 16}" font-size="11" text-anchor="middle">${v}</text>`).join('') +
    [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${left - 6}" y="${(Y(f * yMax) + 4).toFixed(1)}" font-size="10" text-anchor="end">${fmt(f * yMax, 2)}</text>`).join('') +
    `<text x="${(left + W - right) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">${esc(xLabel)}</text><text x="${left + 6}" y="${top + 10}" font-size="12">${esc(yLabel)}</text>`;
  const lines = series.map((s, i) => {
    const c = COLORS[i % COLORS.length];
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    const d = sorted.map((p, k) => `${k ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    return `<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>` + sorted.map((p) => `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${c}"><title>${esc(`${s.label}: ${p[0]} → ${fmt(p[1])}`)}</title></circle>`).join('') +
      `<rect x="${W - right + 12}" y="${top + i * 16}" width="10" height="10" fill="${c}"/><text x="${W - right + 26}" y="${top + i * 16 + 9}" font-size="11">${esc(s.label)}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" role="img"><text x="4" y="18" font-size="14" font-weight="bold">${esc(title)}</text>${axes}${lines}</svg>`;
}

const table = (head: string[], rows: (string | number)[][]) =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

const STYLE = `body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.warn{color:#a00;font-weight:bold}code{background:#f3f3f3;padding:1px 4px}`;

export function fingerprintRows(r: BenchResult): [string, string][] {
  const h = r.hardware, s = r.software;
  return [
    ['cpu_model', h.cpu.cpu_model], ['cpu_cores', String(h.cpu.cpu_cores)], ['arch', h.cpu.arch], ['memory_size_gb', String(h.memory_size_gb)],
    ['os', `${h.os.name} (${h.os.platform} ${h.os.release})`], ['load average (start → end)', `${h.loadAverage.start} → ${h.loadAverage.end ?? '?'}`],
    ['sidecar', s.sidecar], ['node', s.node], ['bb (bb.js)', `${s.bb} (${s.bbjs})`], ['noir', s.noir],
    ['backends', s.backends.map((b) => `${b.backend}: ${b.available ? 'yes' : 'no'} (${b.why})`).join('; ')],
    ['CRS', `${s.crs.kind === 'insecure-dev' ? 'INSECURE dev' : 'production'} (${s.crs.id})`],
    ['run', `${r.run.quick ? 'quick' : 'standard'}, ${r.run.reps} reps, threads ${r.run.threads.join(',')}, ${r.run.complete ? 'complete' : 'INCOMPLETE (resume with --resume)'}, ${r.run.sessions} session(s), ${sec(r.run.elapsedMs)} s`],
  ];
}

export function renderReport(r: BenchResult): string {
  const units = r.circuits.flatMap((c) => c.results.map((x) => ({ c, x })));
  const timeBars: Bar[] = units.map(({ c, x }) => ({ label: c.circuit, series: `${x.backend} x${x.threads}`, value: x.proving_time_ms.p50 / 1000 }));
  const scaling: Series[] = [];
  for (const c of r.circuits) {
    for (const kind of ['native', 'wasm'] as const) {
      const rs = c.results.filter((x) => x.backend === kind).sort((a, b) => a.threads - b.threads);
      const base = rs.find((x) => x.threads === 1)?.proving_time_ms.p50;
      if (base && rs.length > 1) scaling.push({ label: `${c.circuit} ${kind}`, points: rs.map((x) => [x.threads, base / x.proving_time_ms.p50]) });
    }
  }
  const priced = r.run.usdPerHour !== null;
  const perTx: Bar[] = r.blocks.filter((b) => b.transaction_count > 0).map((b) => ({
    label: `${b.transaction_count} txs`, series: priced ? `cost per tx (USD at ${r.run.usdPerHour}/h)` : 'proving time per tx (s)',
    value: priced ? (b.cost_per_tx_usd ?? 0) : b.latencyMs / 1000 / b.transaction_count,
  }));
  const circuitRows = units.map(({ c, x }) => [
    c.circuit, c.gates, `2^${Math.log2(c.circuitSize || 1)}`, x.backend, x.threads, x.reps, sec(x.proving_time_ms.p50), sec(x.proving_time_ms.p99),
    fmt(x.cpuSeconds.p50), x.peakRssMB ?? '–', x.gatesPerSecond, x.verified ? 'yes' : 'NO', sec(c.modelEstimateMs),
  ]);
  const coldRows = units.filter(({ x }) => x.coldStart).map(({ c, x }) => [c.circuit, x.backend, x.threads, sec(x.coldStart!.totalMs), x.coldStart!.backendStartMs, x.coldStart!.circuitLoadMs, x.coldStart!.vkMs, x.coldStart!.witnessMs, x.coldStart!.proveMs, sec(x.proving_time_ms.p50)]);
  const bestRows = r.circuits.filter((c) => c.best).map((c) => [c.circuit, c.best!.backend, `${c.best!.workers} x ${c.best!.threads}`, c.best!.proofsPerHour, fmt(c.best!.cost_per_proof_usd), fmt(c.best!.energyPerProofWh)]);
  const blockRows = r.blocks.map((b) => [b.transaction_count, b.plan.join(' → '), `${b.workers} x ${b.threads} (${b.backend})`, sec(b.latencyMs), sec(b.lowerBoundMs), b.makespanRatio, sec(b.criticalPathMs), b.verified ? 'yes' : 'NO', fmt(b.cost_per_tx_usd), fmt(b.energyPerTxWh)]);
  const skipped = r.circuits.filter((c) => c.skipped).map((c) => `${c.circuit}: ${c.skipped}`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>sidecar bench · ${esc(r.hardware.cpu.cpu_model)}</title><style>${STYLE}</style></head><body>
<h1>sidecar bench</h1>
<p>${esc(r.schema)} · started ${esc(r.run.startedAt)}${r.software.crs.kind === 'insecure-dev' ? ' · <span class="warn">INSECURE dev CRS</span> (proving cost is the same as with the production CRS)' : ''}</p>
<h2>Machine and software</h2>${table(['', ''], fingerprintRows(r))}
<h2>Proving time per circuit and backend (steady state, p50)</h2>${barChart('p50 proving time', 's', timeBars)}
${table(['circuit', 'gates', 'size', 'backend', 'threads', 'reps', 'p50 s', 'p99 s', 'CPU s', 'peak MB', 'gates/s', 'verified', 'model s'], circuitRows)}
${skipped.length ? `<p>Skipped: ${esc(skipped.join('; '))}</p>` : ''}
<h2>Thread scaling</h2>${scaling.length ? lineChart('speed-up over 1 thread (p50)', 'threads', 'speed-up', scaling) : '<p><em>one thread count measured</em></p>'}
<h2>Cold start (first proof: backend start, circuit, keys, witness, proof)</h2>${table(['circuit', 'backend', 'threads', 'total s', 'backend ms', 'circuit ms', 'vk ms', 'witness ms', 'prove ms', 'steady p50 s'], coldRows)}
<h2>Throughput at the best shape</h2><p>workers x threads that fit the cores and memory; proofs/hour = workers x 3600 s / p50 (extrapolated from single-proof times).</p>
${table(['circuit', 'backend', 'workers x threads', 'proofs/hour', 'cost_per_proof_usd', 'Wh/proof'], bestRows)}
<h2>Blocks through the prover pool</h2>${r.pool ? `<p>pool ${r.pool.workers} workers x ${r.pool.threads} threads (${esc(r.pool.backend)}); cold start ${sec(r.pool.coldStartMs)} s, not included below.</p>` : ''}
${table(['txs', 'plan', 'pool', 'latency s', 'lower bound s', 'makespan ratio', 'critical path s', 'verified', 'cost_per_tx_usd', 'Wh/tx'], blockRows)}
${barChart(priced ? 'cost per tx' : 'proving time per tx', priced ? 'USD' : 's', perTx)}
<p>Aggregated range of ${r.range.blocks} blocks: ${esc(r.range.skipped ?? `${sec(r.range.latencyMs ?? 0)} s (the blocks' own proofs ${sec(r.range.blockProofsMs ?? 0)} s, then ${r.range.circuit ?? 'the range proof'} ${sec(r.range.rangeProofMs ?? 0)} s; its keys first, untimed: ${sec(r.range.coldMs ?? 0)} s)`)}</p>
</body></html>
`;
}

export interface CompareRow { what: string; a: number | null; b: number | null; ratio: number | null }

export function renderCompare(a: BenchResult, b: BenchResult, names: [string, string], rows: CompareRow[]): string {
  const fa = fingerprintRows(a), fb = fingerprintRows(b);
  const bars: Bar[] = rows.filter((r) => r.what.endsWith('p50 s') && r.a !== null && r.b !== null).flatMap((r) => [
    { label: r.what.replace(/ p50 s$/, ''), series: names[0], value: r.a! }, { label: r.what.replace(/ p50 s$/, ''), series: names[1], value: r.b! },
  ]);
  return `<!doctype html><html><head><meta charset="utf-8"><title>sidecar bench compare</title><style>${STYLE}</style></head><body>
<h1>sidecar bench: ${esc(names[0])} vs ${esc(names[1])}</h1>
<h2>Machines</h2>${table(['', names[0], names[1]], fa.map(([k, v], i) => [k, v, fb[i]?.[1] ?? '']))}
<h2>Proving time, p50</h2>${barChart('p50 proving time', 's', bars)}
<h2>Figures (ratio = B / A; below 1: B is faster or cheaper)</h2>${table(['figure', names[0], names[1], 'B / A'], rows.map((r) => [r.what, fmt(r.a, 4), fmt(r.b, 4), r.ratio === null ? '–' : r.ratio.toFixed(3)]))}
</body></html>
`;
}
