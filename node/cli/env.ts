// Imported first by the CLI: the terminal gets the CLI's own lines, so library logs (pino on
// stderr) default to warnings unless SIDECAR_LOG_LEVEL says otherwise. Must run before
// node/log.ts is evaluated (ESM evaluates imports in order). `sidecar node` sets the level from
// its config (--log-level > SIDECAR_LOG_LEVEL as the user set it > file > info) before it loads.
/** SIDECAR_LOG_LEVEL as the user set it (before this module's default). */
export const userLogLevel: string | undefined = process.env.SIDECAR_LOG_LEVEL;
process.env.SIDECAR_LOG_LEVEL ??= 'warn';
