// `sidecar simulate --config node/sim/<name>-scenario.json [--seed N] [--slots N] [--sweep] [--out DIR]`:
// one run (or the scenario's sweep grid x seeds), progress on stderr, one JSON line of figures on
// stdout, figures.json and report.html into --out.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { userLogLevel } from '../cli/env.js';
import { createLogger } from '../log.js';
import { runReport, sweepReport, sweepRows, type SweepPoint } from './report.js';
import { runSimulation, type SimFigures } from './run.js';
import { ScenarioError, loadScenario, sweepPoints, withPath, type Scenario } from './scenario.js';

export interface SimulateOptions { config: string; seed?: number; slots?: number; sweep?: boolean; out?: string }

/** The stdout line of one run: the figures without the per-slot and per-actor arrays (those are in figures.json). */
export function compact(f: SimFigures): Record<string, unknown> {
  const { livenessBySlot: _l, proverProfits: _p, sequencerProfits: _s, clearingPriceBySlot: _c, slashes, ...rest } = f;
  return { ...rest, slashCount: slashes.length };
}

export async function simulate(o: SimulateOptions, out: (s: string) => void): Promise<Record<string, unknown>> {
  const log = createLogger('simulate');
  // progress is this command's own output: info unless SIDECAR_LOG_LEVEL says otherwise
  log.level = userLogLevel ?? 'info';
  let sc: Scenario = loadScenario(o.config);
  if (o.seed !== undefined) sc = withPath(sc, 'seed', o.seed);
  if (o.slots !== undefined) sc = withPath(sc, 'slots', o.slots);
  const keepSweep = (x: Scenario) => ({ ...x, sweep: loadScenario(o.config).sweep });
  if (o.sweep) sc = keepSweep(sc);
  const outDir = o.out;
  if (outDir) mkdirSync(outDir, { recursive: true });
  const progress = (msg: string, fields: Record<string, unknown> = {}) => log.info(fields, msg);
  let line: Record<string, unknown>;
  if (!o.sweep) {
    log.info({ scenario: sc.name, seed: sc.seed, slots: sc.slots }, 'simulating');
    const f = await runSimulation(sc, { progress });
    line = compact(f);
    if (outDir) {
      writeFileSync(path.join(outDir, 'figures.json'), JSON.stringify(f, null, 1) + '\n');
      writeFileSync(path.join(outDir, 'report.html'), runReport(f, sc.description));
    }
  } else {
    if (!sc.sweep) throw new ScenarioError(`--sweep: scenario ${o.config} has no "sweep" section`);
    const seeds = o.seed !== undefined ? [o.seed] : sc.sweep.seeds;
    const grid = sweepPoints(sc);
    const points: SweepPoint[] = [];
    let n = 0;
    for (const g of grid) {
      const runs: SimFigures[] = [];
      for (const seed of seeds) {
        n++;
        log.info({ params: g.params, seed }, `sweep run ${n}/${grid.length * seeds.length}`);
        const f = await runSimulation(withPath(g.scenario, 'seed', seed), { progress: (m, fields) => log.debug(fields ?? {}, m) });
        log.info({ params: g.params, seed, liveness: f.liveness, reorgs: f.reorgs.count, wallMs: f.wallMs }, 'sweep run done');
        runs.push(f);
      }
      points.push({ params: g.params, runs });
    }
    const rows = sweepRows(points);
    const all = points.flatMap((p) => p.runs);
    line = {
      scenario: sc.name, sweep: true, seeds, points: rows,
      liveness: Math.round((all.reduce((a, r) => a + r.liveness, 0) / all.length) * 1e4) / 1e4,
      provers: all[0]?.provers, sequencers: all[0]?.sequencers, slots: sc.slots, runs: all.length,
      wallMs: all.reduce((a, r) => a + r.wallMs, 0),
    };
    if (outDir) {
      writeFileSync(path.join(outDir, 'figures.json'), JSON.stringify({ ...line, runs: points.map((p) => ({ params: p.params, runs: p.runs.map(compact) })) }, null, 1) + '\n');
      writeFileSync(path.join(outDir, 'report.html'), sweepReport(sc.name, sc.description, points));
    }
  }
  if (outDir) log.info({ out: outDir }, `report: ${path.join(outDir, 'report.html')}`);
  out(`${JSON.stringify(line)}\n`);
  return line;
}
