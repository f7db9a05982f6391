// Imported first by the CLI: the terminal gets the CLI's own lines, so library logs (pino on
// stderr) default to warnings unless SIDECAR_LOG_LEVEL says otherwise. Must run before
// node/log.ts is evaluated (ESM evaluates imports in order).
process.env.SIDECAR_LOG_LEVEL ??= 'warn';
export {};
