#!/usr/bin/env node
// A solc command-line stand-in over solc-js (the `solc` npm package, 0.8.30) for forge, which
// cannot download native compilers here (contracts/foundry.toml: `solc = "solc.mjs"`).
// Supports what forge calls: `--version`, and `--standard-json` with the input JSON on stdin
// (plus `--base-path`, `--include-path`, `--allow-paths`, which resolve imports that are not
// already inlined as `content`). Output and exit code mirror solc's: JSON on stdout, exit 0.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const solc = require('solc');

const args = process.argv.slice(2);
const version = solc.version(); // e.g. 0.8.30+commit.73712a01.Emscripten.clang

if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${version}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write(`solc.mjs (solc-js ${version} wrapper): only --version and --standard-json are supported; got ${args.join(' ')}\n`);
  process.exit(1);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--base-path' || args[i] === '--include-path') roots.push(args[++i]);
}
roots.push(process.cwd());

function findImports(p) {
  for (const r of roots) {
    const full = path.isAbsolute(p) ? p : path.join(r, p);
    if (existsSync(full)) return { contents: readFileSync(full, 'utf8') };
  }
  return { error: `File not found: ${p} (searched ${roots.join(', ')})` };
}

// The input file may also be given as an argument after --standard-json (solc accepts both).
const idx = args.indexOf('--standard-json');
const fileArg = args[idx + 1] && !args[idx + 1].startsWith('--') ? args[idx + 1] : undefined;
const input = readFileSync(fileArg ?? 0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
