// `sidecar bench [options]` / `sidecar bench compare A.json B.json`: the proving benchmark
// (bench/suite/run.ts, bench/README.md). The result is the last line of stdout; progress and
// the per-unit lines go to stderr.
export async function runBenchCli(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  // library logs to warnings (stdout carries only the result line)
  process.env.SIDECAR_LOG_LEVEL ??= 'warn';
  const { BenchUsageError, SUITE_USAGE, parseSuiteArgs, runSuite } = await import('../../bench/suite/run.js');
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(`${SUITE_USAGE}\n`);
      return 0;
    }
    if (argv[0] === 'compare') {
      const { runCompare } = await import('../../bench/suite/compare.js');
      await runCompare(argv.slice(1), io);
      return 0;
    }
    const opts = parseSuiteArgs(argv);
    const result = await runSuite(opts);
    io.err(`wrote ${opts.out}/result.json and ${opts.out}/report.html\n`);
    io.out(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof BenchUsageError || (e as Error).name === 'BenchResultError') {
      io.err(`sidecar bench: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}
