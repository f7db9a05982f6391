// Small measuring tools for the suite: sample statistics, peak memory of the bb child
// processes (Linux /proc) or of this process, and the cost/energy arithmetic.
import { readdirSync, readFileSync } from 'node:fs';
import type { Stats } from './schema.js';

/** Nearest-rank percentile (p in 0..100) of the samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function stats(xs: readonly number[]): Stats {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    p50: r(percentile(xs, 50)), p99: r(percentile(xs, 99)),
    min: r(xs.length ? Math.min(...xs) : 0), max: r(xs.length ? Math.max(...xs) : 0),
    mean: r(xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0), samples: xs.map(r),
  };
}

function children(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = kids.get(ppid) ?? [];
      list.push(Number(d));
      kids.set(ppid, list);
    } catch { /* gone */ }
  }
  return kids;
}

function descendants(root: number): number[] {
  const kids = children();
  const out: number[] = [];
  const stack = [...(kids.get(root) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(kids.get(p) ?? []));
  }
  return out;
}

function hwmKb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples peak memory while `fn` runs: `child` = the largest VmHWM (peak RSS) of any process
 * below this one (the native bb process; Linux only), `self` = this process's RSS.
 */
export async function withPeakMemory<T>(mode: 'child' | 'self', fn: () => Promise<T>, everyMs = 100): Promise<{ value: T; peakRssMB: number | null; source: 'bb-process' | 'node-process' | 'unavailable' }> {
  const procOk = mode === 'child' && process.platform === 'linux';
  let peak = 0;
  const sample = () => {
    if (mode === 'self') peak = Math.max(peak, process.memoryUsage.rss() / 1024);
    else if (procOk) for (const p of descendants(process.pid)) peak = Math.max(peak, hwmKb(p));
  };
  sample();
  const t = setInterval(sample, everyMs);
  try {
    const value = await fn();
    return { value, peakRssMB: mode === 'self' || procOk ? (peak ? Math.round(peak / 1024) : null) : null, source: mode === 'self' ? 'node-process' : procOk ? 'bb-process' : 'unavailable' };
  } finally {
    clearInterval(t);
  }
}

/** Cost of `ms` of the whole machine at `usdPerHour` (null when no price is given). */
export const usdFor = (ms: number, usdPerHour: number | null): number | null =>
  usdPerHour === null ? null : Number(((usdPerHour * ms) / 3_600_000).toPrecision(4));

/** Energy of `ms` at `watts`, in Wh (null when no power is given). */
export const whFor = (ms: number, watts: number | null): number | null =>
  watts === null ? null : Number(((watts * ms) / 3_600_000).toPrecision(4));
