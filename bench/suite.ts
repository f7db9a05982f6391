// `npm run bench -- suite [options]` (= `sidecar bench`): the standard proving suite of
// bench/suite/run.ts; `npm run bench -- suite compare A.json B.json` compares two results.
// Options: bench/README.md or `--help`.
export async function main(argv: string[]): Promise<void> {
  const { runBenchCli } = await import('../node/cli/bench.js');
  const code = await runBenchCli(argv, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
  if (code) process.exitCode = code;
}
