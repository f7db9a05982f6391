// Structured logging for every component: one pino root, a child logger per component.
// Level from SIDECAR_LOG_LEVEL (default "info"; tests default to "warn"). Logs go to stderr, so
// a command's stdout carries only its own output (e.g. the ONE JSON result line of a bench or of
// `sidecar devnet --slots N`).
// Format from SIDECAR_LOG_FORMAT: `json` (one object per line, for log collectors), `pretty`
// (one readable line: time, level, component, message, then the fields as key=value) or
// `auto` (the default: pretty when stderr is a terminal, json otherwise). Both carry the same
// fields; only the rendering differs.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };
export type LogFormat = 'auto' | 'pretty' | 'json';

const defaultLevel = process.env.SIDECAR_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'warn' : 'info');

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };

function fieldText(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v && typeof (v as { message: unknown }).message === 'string') {
    const e = v as { type?: string; message: string };
    return JSON.stringify(e.type && e.type !== 'Error' ? `${e.type}: ${e.message}` : e.message);
  }
  return JSON.stringify(v) ?? String(v);
}

/**
 * One pino JSON line as one readable line: `12:00:01.234 INFO  [A] p2p[peers] message key=value` (`[A]`: the devnet's node label).
 * `colour` adds ANSI colours to the level. An unparseable line is returned as it came.
 */
export function formatPretty(line: string, colour = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { time, level, node, component, msg, sub, ...rest } = o;
  const t = typeof time === 'string' ? time.slice(11, 23) : '';
  const n = typeof level === 'number' ? level : 30;
  let lv = (LEVELS[n] ?? String(level)).padEnd(5);
  if (colour) lv = `\x1b[${COLOURS[n] ?? '0'}m${lv}\x1b[0m`;
  const who = (node === undefined ? '' : ` [${String(node)}]`) + (component === undefined ? '' : ` ${String(component)}${sub === undefined ? '' : `[${String(sub)}]`}`);
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${fieldText(v)}`).join(' ');
  return `${t} ${lv}${who} ${typeof msg === 'string' ? msg : ''}${fields ? ` ${fields}` : ''}\n`;
}

/** The stream logs are written to: stderr as JSON, or through `formatPretty`. */
export function logDestination(format: LogFormat = (process.env.SIDECAR_LOG_FORMAT as LogFormat | undefined) ?? 'auto'): DestinationStream {
  const pretty = format === 'pretty' || (format !== 'json' && process.stderr.isTTY === true);
  if (!pretty) return pino.destination(2);
  const colour = process.stderr.isTTY === true && !process.env.NO_COLOR;
  return { write: (s: string) => { process.stderr.write(formatPretty(s, colour)); } };
}

export const rootLogger: Logger = pino({
  level: defaultLevel,
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  serializers: { err: pino.stdSerializers.err },
}, logDestination());

// The logger each component logger was made from, so that a component's sub-component gets
// its own `component` key instead of a second one (pino keeps both in the line).
const BASES = new WeakMap<Logger, Logger>();

/**
 * A logger for `component` made from `log`'s base: `withComponent(nodeLog, 'p2p')` keeps the
 * bindings nodeLog was given (e.g. the devnet's `node: 'A'`) and replaces its component.
 */
export function withComponent(log: Logger, component: string, bindings: Record<string, unknown> = {}): Logger {
  const base = BASES.get(log) ?? log;
  const child = base.child({ component, ...bindings });
  BASES.set(child, base);
  return child;
}

/** A child logger for one component, e.g. `createLogger('p2p')`, `createLogger('prover:pool')`. */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return withComponent(rootLogger, component, bindings);
}
