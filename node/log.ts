// Structured logging for every component: one pino root, a child logger per component.
// Level from SIDECAR_LOG_LEVEL (default "info"; tests default to "warn"). Logs go to stderr, so
// a command's stdout carries only its own output (e.g. the ONE JSON result line of a bench or of
// `sidecar devnet --slots N`).
import { pino, type Logger } from 'pino';

export type { Logger };

const defaultLevel = process.env.SIDECAR_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'warn' : 'info');

export const rootLogger: Logger = pino({
  level: defaultLevel,
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  serializers: { err: pino.stdSerializers.err },
}, pino.destination(2));

/** A child logger for one component, e.g. `createLogger('p2p')`, `createLogger('prover:pool')`. */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
