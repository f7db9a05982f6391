// The figures of a run or a sweep as one self-contained HTML page (inline SVG charts, no scripts,
// no external files): liveness over time, profit distributions, clearing price, stall cost vs deposit.
import type { SimFigures } from './run.js';

export interface SweepPoint {
  params: Record<string, unknown>;
  runs: SimFigures[];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
/** Axis ticks: enough decimals to tell `step`-apart values from each other. */
const tickFmt = (x: number, step: number) => (step >= 1 && Number.isInteger(Math.round(x * 1e9) / 1e9) ? String(Math.round(x)) : x.toFixed(Math.min(6, Math.max(0, Math.ceil(-Math.log10(Math.abs(step) || 1)) + 1))));

interface Series { name: string; points: [number, number][]; colour: string; dashed?: boolean }

/** A line/scatter chart of several series. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], o: { yMin?: number; yMax?: number; dots?: boolean } = {}): string {
  const W = 560, H = 260, L = 56, R = 12, T = 28, B = 40;
  const all = series.flatMap((s) => s.points);
  if (!all.length) return `<figure><figcaption>${esc(title)}: no data</figcaption></figure>`;
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = o.yMin ?? Math.min(...all.map((p) => p[1])), y1 = o.yMax ?? Math.max(...all.map((p) => p[1]));
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const ticks = (a: number, b: number) => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  const parts: string[] = [];
  for (const y of ticks(y0, y1)) parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/><text x="${L - 4}" y="${sy(y) + 4}" text-anchor="end" font-size="10">${tickFmt(y, (y1 - y0) / 4)}</text>`);
  for (const x of ticks(x0, x1)) parts.push(`<text x="${sx(x)}" y="${H - B + 14}" text-anchor="middle" font-size="10">${tickFmt(x, (x1 - x0) / 4)}</text>`);
  parts.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#999"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`);
  parts.push(`<text x="12" y="${(T + H - B) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${(T + H - B) / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts}"/>`);
    if (o.dots) for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3" fill="${s.colour}"/>`);
    parts.push(`<rect x="${L + 8 + i * 150}" y="8" width="10" height="10" fill="${s.colour}"/><text x="${L + 22 + i * 150}" y="17" font-size="11">${esc(s.name)}</text>`);
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg></figure>`;
}

/** A histogram of values. */
export function histogram(title: string, xLabel: string, values: number[], colour = '#3b6ea5', bins = 20): string {
  const W = 560, H = 240, L = 48, R = 12, T = 16, B = 40;
  if (!values.length) return `<figure><figcaption>${esc(title)}: no data</figcaption></figure>`;
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi === lo) { lo -= 1; hi += 1; }
  const counts = new Array(bins).fill(0) as number[];
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  const max = Math.max(...counts);
  const bw = (W - L - R) / bins;
  const parts: string[] = [];
  counts.forEach((c, i) => {
    const h = (c / max) * (H - T - B);
    parts.push(`<rect x="${L + i * bw + 1}" y="${H - B - h}" width="${bw - 2}" height="${h}" fill="${colour}"><title>${fmt(lo + (i * (hi - lo)) / bins)}..${fmt(lo + ((i + 1) * (hi - lo)) / bins)}: ${c}</title></rect>`);
  });
  for (let i = 0; i <= 4; i++) { const x = lo + ((hi - lo) * i) / 4; parts.push(`<text x="${L + (i * (W - L - R)) / 4}" y="${H - B + 14}" text-anchor="middle" font-size="10">${tickFmt(x, (hi - lo) / 4)}</text>`); }
  parts.push(`<text x="${L - 4}" y="${T + 8}" text-anchor="end" font-size="10">${max}</text><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/>`);
  if (lo < 0 && hi > 0) { const x0 = L + ((0 - lo) / (hi - lo)) * (W - L - R); parts.push(`<line x1="${x0}" x2="${x0}" y1="${T}" y2="${H - B}" stroke="#c33" stroke-dasharray="3 3"/>`); }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`);
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg></figure>`;
}

/** Rolling mean of per-slot values (window w), as chart points. */
function rolling(xs: (number | null)[], w: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < xs.length; i++) {
    const win = xs.slice(Math.max(0, i - w + 1), i + 1).filter((x): x is number => x !== null);
    if (win.length) out.push([i + 1, win.reduce((a, b) => a + b, 0) / win.length]);
  }
  return out;
}

function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '';
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => esc(typeof v === 'number' ? fmt(v) : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `<table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function summaryRows(f: SimFigures): Record<string, unknown>[] {
  return [
    { figure: 'liveness (share of slots proven)', value: f.liveness },
    { figure: 'time to finality p50 / p90 (s)', value: `${f.timeToFinalitySec.p50} / ${f.timeToFinalitySec.p90}` },
    { figure: 'reorgs (count, max depth)', value: `${f.reorgs.count}, ${f.reorgs.maxDepth}` },
    { figure: 'tokens slashed / redistributed / to the reward pool (burn ' + f.tokens.burnBps / 100 + '%, dust, unshared) / slasher bounties', value: `${fmt(f.tokens.slashed)} / ${fmt(f.tokens.redistributed)} / ${fmt(f.tokens.toRewardPool)} / ${fmt(f.tokens.bounties)}` },
    { figure: 'clearing price p50 (tokens)', value: f.clearingPrice.p50 },
    { figure: 'self-proved blocks', value: f.selfProved },
    { figure: 'prover profit p10 / p50 / p90 (tokens)', value: `${f.proverProfit.p10} / ${f.proverProfit.p50} / ${f.proverProfit.p90} (${f.proverProfit.winners} of ${f.provers} won a block)` },
    { figure: 'sequencer profit p10 / p50 / p90', value: `${f.sequencerProfit.p10} / ${f.sequencerProfit.p50} / ${f.sequencerProfit.p90}` },
    { figure: 'attacker cost to stall 1 h: measured / bound (tokens)', value: `${f.stall.costPerHourMeasured ?? 'n/a'} / ${f.stall.costPerHourBound} (deposit ${f.stall.deposit})` },
    { figure: 'proofs landed / by a front-runner\'s tx / reward not to the prover / reverted', value: `${f.submissions.landed} / ${f.submissions.frontRun} / ${f.submissions.rewardTaken} / ${f.submissions.lostRace}` },
    { figure: 'L1 txs, blocks; wall time', value: `${f.l1.txs} txs, ${f.l1.blocks} blocks; ${(f.wallMs / 1000).toFixed(1)} s` },
  ];
}

const STYLE = 'body{font:14px system-ui,sans-serif;margin:24px;max-width:1200px}figure{display:inline-block;margin:8px;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4}';

export function runReport(f: SimFigures, description = ''): string {
  const w = Math.max(1, Math.round(f.slots / 25));
  return `<!doctype html><html><head><meta charset="utf-8"><title>sidecar simulate: ${esc(f.scenario)}</title><style>${STYLE}</style></head><body>
<h1>sidecar simulate: ${esc(f.scenario)} (seed ${f.seed})</h1><p>${esc(description)}</p>
<p>${f.sequencers} sequencers, ${f.provers} provers, ${f.slots} slots on the real Sidecar contract (anvil).</p>
${table(summaryRows(f))}
${lineChart(`Liveness over time (rolling mean over ${w} slots)`, 'slot', 'share proven', [{ name: 'proven', colour: '#2a7', points: rolling(f.livenessBySlot, w) }], { yMin: 0, yMax: 1 })}
${lineChart(`Clearing price of proving (winning quote fee, rolling ${w})`, 'slot', 'tokens', [{ name: 'fee', colour: '#a52', points: rolling(f.clearingPriceBySlot, w) }])}
${histogram('Prover profit distribution (tokens, over the run)', 'profit (tokens)', f.proverProfits)}
${histogram('Sequencer profit distribution (tokens)', 'profit (tokens)', f.sequencerProfits, '#7a4')}
${f.slashes.length ? `<h2>Slashes (from the contract's BlockSlashed events)</h2>${table(f.slashes.map((s) => ({ ...s })))}` : ''}
</body></html>
`;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** One row per grid point: the means over its seeds. */
export function sweepRows(points: SweepPoint[]): Record<string, unknown>[] {
  return points.map((p) => ({
    ...p.params,
    seeds: p.runs.length,
    liveness: mean(p.runs.map((r) => r.liveness)),
    livenessMin: Math.min(...p.runs.map((r) => r.liveness)),
    finalityP50: mean(p.runs.map((r) => r.timeToFinalitySec.p50)),
    reorgs: mean(p.runs.map((r) => r.reorgs.count)),
    slashed: mean(p.runs.map((r) => r.tokens.slashed)),
    clearingP50: mean(p.runs.map((r) => r.clearingPrice.p50)),
    proverProfitP50: mean(p.runs.map((r) => r.proverProfit.p50)),
    sequencerProfitP50: mean(p.runs.map((r) => r.sequencerProfit.p50)),
    stallCostPerHour: mean(p.runs.map((r) => r.stall.costPerHourMeasured ?? NaN).filter((x) => !Number.isNaN(x))) || null,
    stallCostBound: mean(p.runs.map((r) => r.stall.costPerHourBound)),
    attackerLoss: mean(p.runs.map((r) => r.stall.attackerLoss)),
  }));
}

export function sweepReport(name: string, description: string, points: SweepPoint[]): string {
  const rows = sweepRows(points);
  const keys = points.length ? Object.keys(points[0].params) : [];
  const x = keys[0];
  const charts: string[] = [];
  if (x && points.every((p) => typeof p.params[x] === 'number')) {
    // one series per value of the other grid keys
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const r of rows) { const k = keys.slice(1).map((kk) => `${kk}=${String(r[kk])}`).join(', ') || 'all'; groups.set(k, [...(groups.get(k) ?? []), r]); }
    const colours = ['#2a7', '#a52', '#36c', '#c3a', '#888', '#aa2'];
    const series = (field: string) => [...groups.entries()].map(([k, rs], i) => ({ name: k, colour: colours[i % colours.length], points: rs.filter((r) => typeof r[field] === 'number').map((r) => [r[x] as number, r[field] as number] as [number, number]) }));
    charts.push(lineChart(`Liveness vs ${x}`, x, 'liveness', series('liveness'), { yMin: 0, yMax: 1, dots: true }));
    if (rows.some((r) => typeof r.stallCostPerHour === 'number')) {
      charts.push(lineChart(`Attacker's cost to stall the chain one hour vs ${x} (measured; dashed: the per-slash bound)`, x, 'tokens per hour', [
        ...series('stallCostPerHour'),
        ...series('stallCostBound').map((s) => ({ ...s, name: `${s.name} (bound)`, dashed: true })),
      ], { dots: true }));
    }
    charts.push(lineChart(`Clearing price vs ${x}`, x, 'tokens', series('clearingP50'), { dots: true }));
    charts.push(lineChart(`Median prover profit vs ${x}`, x, 'tokens', series('proverProfitP50'), { dots: true }));
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>sidecar simulate sweep: ${esc(name)}</title><style>${STYLE}</style></head><body>
<h1>sidecar simulate sweep: ${esc(name)}</h1><p>${esc(description)}</p>
<p>${points.length} grid points x ${points[0]?.runs.length ?? 0} seeds; means over seeds.</p>
${charts.join('\n')}
${table(rows)}
</body></html>
`;
}
