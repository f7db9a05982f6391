// `npm run bench -- devcrs [--log2 18] [--naive 2000] [--workers 2]`
//
// The INSECURE dev CRS generation (circuits/backend/crs.ts), in one run: the baseline (one full
// scalar multiplication per point, on `--naive` points, extrapolated to 2^log2 + 1) against
// successive small-tau multiplication with batch normalisation, in one thread and split
// across `--workers` worker threads, on 2^log2 + 1 points. Ends with one JSON line.
import { generateDevG1, generateG1Range, generateG1RangeNaive, DEV_CRS_TAU } from '../circuits/backend/crs.js';
import { Progress, log, printResult } from './lib/report.js';

function arg(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects a positive integer, got ${v}`);
  return n;
}

export async function main(argv: string[]): Promise<void> {
  const log2 = arg(argv, 'log2', 18);
  const naiveN = arg(argv, 'naive', 2000);
  const workers = arg(argv, 'workers', 2);
  const points = 2 ** log2 + 1;
  const progress = new Progress('devcrs', 3);
  log(`INSECURE dev CRS, tau = ${DEV_CRS_TAU}, ${points} points`);

  let t = performance.now();
  const naive = generateG1RangeNaive(DEV_CRS_TAU, 0, naiveN);
  const naiveMs = performance.now() - t;
  progress.tick(1, 'naive');

  t = performance.now();
  const fast1 = generateG1Range(DEV_CRS_TAU, 0, points);
  const fastMs = performance.now() - t;
  if (!fast1.subarray(0, naive.length).equals(naive)) throw new Error('fast and naive CRS points differ');
  progress.tick(2, 'fast, 1 thread');

  t = performance.now();
  const slices = await generateDevG1(DEV_CRS_TAU, points, workers);
  const workersMs = performance.now() - t;
  if (!Buffer.concat(slices).equals(fast1)) throw new Error('worker slices differ from the single-thread points');
  progress.tick(3, `fast, ${workers} workers`);

  const naiveUsPerPoint = (naiveMs * 1000) / naiveN;
  const fastUsPerPoint = (fastMs * 1000) / points;
  printResult({
    bench: 'devcrs', tau: Number(DEV_CRS_TAU), points, workers,
    naiveUsPerPoint: +naiveUsPerPoint.toFixed(1), naiveExtrapolatedS: +((naiveUsPerPoint * points) / 1e6).toFixed(1),
    naiveExtrapolated2p20S: +((naiveUsPerPoint * (2 ** 20 + 1)) / 1e6).toFixed(1),
    fastUsPerPoint: +fastUsPerPoint.toFixed(2), fastOneThreadS: +(fastMs / 1000).toFixed(2), fastWorkersS: +(workersMs / 1000).toFixed(2),
    speedupOneThread: +(naiveUsPerPoint / fastUsPerPoint).toFixed(1), speedupWorkers: +((naiveUsPerPoint * points) / 1000 / workersMs).toFixed(1),
  });
}
