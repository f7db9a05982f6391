// The project's test command (`npm test`): the Solidity suite through forge, then every
// node:test file under test/ (unit first, then e2e). Pass substrings to run a subset:
//   npm test -- unit            only files whose path contains "unit"
//   npm test -- --no-forge p2p  skip the forge suite, p2p files only
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const noForge = argv.includes('--no-forge');
const filters = argv.filter((a) => !a.startsWith('--'));

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

let failed = false;
const onlyTs = filters.length > 0 && !filters.some((f) => 'forge'.includes(f) || f.includes('contracts'));
if (!noForge && !onlyTs && existsSync(path.join(root, 'contracts', 'foundry.toml'))) {
  console.log('# forge test (contracts/)');
  // contracts/foundry.toml points forge at the solc-js wrapper; forge runs offline.
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'forge'), ['test'], {
    cwd: path.join(root, 'contracts'), stdio: 'inherit', env: { ...process.env, FOUNDRY_OFFLINE: 'true' },
  });
  if (r.status !== 0) { failed = true; console.error(`# forge test failed (exit ${r.status})`); }
}

const order = (p: string) => (p.includes(`${path.sep}unit${path.sep}`) ? 0 : 1);
const files = walk(path.join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => path.relative(root, f).includes(s)))
  .sort((a, b) => order(a) - order(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`no test files match ${JSON.stringify(filters)}`);
  process.exit(failed ? 1 : 2);
}
const r = spawnSync(process.execPath, [
  '--import', 'tsx',
  '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 1}`,
  ...files.map((f) => path.relative(root, f)),
], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) failed = true;
process.exit(failed ? 1 : 0);
