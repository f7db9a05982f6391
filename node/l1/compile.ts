// Compiles the protocol's Solidity (contracts/src/**/*.sol, OpenZeppelin from node_modules)
// with solc-js 0.8.30 through standard JSON, plus optional extra sources (generated
// verifiers, e.g. { 'generated/HonkVerifier_final_8.sol': text }).
//
// Artifacts are cached in .build/contracts/<key>.json, keyed by a hash of the compiler
// version, the settings and every source; the cache entry also records a hash of every file
// the import callback read (OpenZeppelin etc.) and is used only while those are unchanged.
// solc-js is slow (seconds for the protocol, much more for a big generated verifier), so
// repeated test runs must hit the cache.
//
// viaIR: 'auto' (default) compiles without it and retries with it only when solc reports
// "Stack too deep".
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_FORMAT = 2;

export interface CompileOptions {
  /** folder holding src/ (default <repo>/contracts) */
  contractsDir?: string;
  /** include contracts/src/**.sol (default true) */
  includeProtocol?: boolean;
  /** extra sources by unit name, e.g. { 'generated/HonkVerifier_final_8.sol': text } */
  extraSources?: Record<string, string>;
  /** default 'auto' (true when foundry.toml says via_ir = true): retry with viaIR only on "Stack too deep" */
  viaIR?: boolean | 'auto';
  /** default: contracts/foundry.toml optimizer_runs, else 200 */
  optimizerRuns?: number;
  /** default: contracts/foundry.toml evm_version, else cancun */
  evmVersion?: string;
  /** default <repo>/.build/contracts; null disables the cache */
  cacheDir?: string | null;
  /** ignore a cached entry and compile again */
  force?: boolean;
}

export interface Artifact {
  /** "src/Sidecar.sol:Sidecar" */
  id: string;
  sourceName: string;
  contractName: string;
  abi: unknown[];
  /** creation bytecode, 0x-hex ('0x' for interfaces/abstract contracts) */
  bytecode: string;
  deployedBytecode: string;
  /**
   * Libraries with external functions the creation bytecode calls (placeholders to fill with
   * their addresses): { sourceName: { libraryName: [{ start, length }] } }, offsets in bytes.
   * bb 5.0.0's generated verifier has them; deployContract deploys and links them.
   */
  linkReferences?: Record<string, Record<string, { start: number; length: number }[]>>;
}

export interface CompileResult {
  key: string;
  artifacts: Record<string, Artifact>;
  fromCache: boolean;
  /** wall time of this call */
  ms: number;
  /** wall time of the solc run that produced the artifacts (from the cache entry when cached) */
  compileMs: number;
  viaIR: boolean;
  warnings: string[];
}

export interface CompileDiagnostic {
  severity: 'error' | 'warning' | 'info';
  type: string;
  file?: string;
  line?: number;
  column?: number;
  message: string;
}

export class CompileError extends Error {
  constructor(readonly diagnostics: CompileDiagnostic[]) {
    super(`solc failed:\n${diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n')}`);
    this.name = 'CompileError';
  }
}

export function formatDiagnostic(d: CompileDiagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column}` : ''}: ` : '';
  return `${where}${d.type}: ${d.message}`;
}

// ---- solc loading (once per process; the load itself takes ~0.7 s) --------------------------

interface Solc { version(): string; compile(input: string, opts?: { import?: (p: string) => { contents: string } | { error: string } }): string }
let solcInstance: Solc | undefined;
function loadSolc(): Solc {
  solcInstance ??= createRequire(import.meta.url)('solc') as Solc;
  return solcInstance;
}
/** The version string of the bundled solc, without loading it (package.json). */
function solcPackageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('solc/package.json') as { version: string }).version;
}

// ---- sources ------------------------------------------------------------------------------

function walkSol(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walkSol(p) : name.endsWith('.sol') ? [p] : [];
  });
}

/**
 * The settings forge uses (contracts/foundry.toml [profile.default]: optimizer_runs,
 * evm_version, via_ir, remappings; plus contracts/remappings.txt), so both compile the same
 * bytecode and measure the same gas. Remapping targets are relative to contractsDir.
 */
export function foundrySettings(contractsDir: string): { optimizerRuns?: number; evmVersion?: string; viaIR?: boolean; remappings: [string, string][] } {
  const lines: string[] = [];
  const toml = path.join(contractsDir, 'foundry.toml');
  let runs: number | undefined;
  let evm: string | undefined;
  let viaIR: boolean | undefined;
  if (existsSync(toml)) {
    let section = '';
    for (const raw of readFileSync(toml, 'utf8').split('\n')) {
      const l = raw.replace(/#.*$/, '').trim();
      const sec = /^\[(.+)\]$/.exec(l);
      if (sec) { section = sec[1]; continue; }
      if (section !== 'profile.default') continue;
      const kv = /^(\w+)\s*=\s*(.+)$/.exec(l);
      if (!kv) continue;
      if (kv[1] === 'optimizer_runs') runs = Number(kv[2]);
      if (kv[1] === 'evm_version') evm = kv[2].replace(/["']/g, '');
      if (kv[1] === 'via_ir') viaIR = kv[2] === 'true';
      if (kv[1] === 'remappings') lines.push(...[...kv[2].matchAll(/"([^"]+)"/g)].map((m) => m[1]));
    }
  }
  const txt = path.join(contractsDir, 'remappings.txt');
  if (existsSync(txt)) lines.push(...readFileSync(txt, 'utf8').split('\n'));
  const remappings = lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && l.includes('='))
    .map((l) => { const i = l.indexOf('='); return [l.slice(0, i), l.slice(i + 1)] as [string, string]; });
  return { optimizerRuns: Number.isFinite(runs) ? runs : undefined, evmVersion: evm, viaIR, remappings };
}

function sha256(s: string | Uint8Array): string {
  return createHash('sha256').update(s).digest('hex');
}

interface CacheEntry {
  format: number;
  key: string;
  solcVersion: string;
  viaIR: boolean;
  compileMs: number;
  /** files read through the import callback: absolute path -> sha256 */
  deps: Record<string, string>;
  warnings: string[];
  artifacts: Record<string, Artifact>;
}

function lineCol(text: string | undefined, offset: number): { line: number; column: number } | undefined {
  if (text === undefined || offset < 0) return undefined;
  const bytes = Buffer.from(text, 'utf8').subarray(0, offset).toString('utf8');
  const lines = bytes.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** Compile (or load from cache). Throws CompileError with file:line diagnostics. */
export function compileContracts(opts: CompileOptions = {}): CompileResult {
  const t0 = performance.now();
  const contractsDir = path.resolve(opts.contractsDir ?? path.join(REPO_ROOT, 'contracts'));
  const sources: Record<string, string> = {};
  if (opts.includeProtocol ?? true) {
    for (const f of walkSol(path.join(contractsDir, 'src'))) {
      sources[path.relative(contractsDir, f).split(path.sep).join('/')] = readFileSync(f, 'utf8');
    }
  }
  for (const [name, text] of Object.entries(opts.extraSources ?? {})) {
    if (sources[name] !== undefined) throw new Error(`extra source ${name} collides with a protocol source`);
    if (typeof text !== 'string' || text.length === 0) throw new Error(`extra source ${name} is empty`);
    sources[name] = text;
  }
  if (Object.keys(sources).length === 0) throw new Error(`no Solidity sources: ${path.join(contractsDir, 'src')} has no .sol files and no extra sources were given`);

  const forge = foundrySettings(contractsDir);
  const viaIROpt = opts.viaIR ?? (forge.viaIR ? true : 'auto');
  const settingsBase = {
    optimizer: { enabled: true, runs: opts.optimizerRuns ?? forge.optimizerRuns ?? 200 },
    evmVersion: opts.evmVersion ?? forge.evmVersion ?? 'cancun',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.linkReferences', 'evm.deployedBytecode.object'] } },
  };
  const remappings = forge.remappings;
  const version = solcPackageVersion();
  const key = sha256(JSON.stringify({
    format: CACHE_FORMAT, version, viaIROpt, settingsBase, remappings,
    sources: Object.entries(sources).sort(([a], [b]) => a.localeCompare(b)).map(([n, s]) => [n, sha256(s)]),
  }));

  const cacheDir = opts.cacheDir === undefined ? path.join(REPO_ROOT, '.build', 'contracts') : opts.cacheDir;
  const cacheFile = cacheDir ? path.join(cacheDir, `${key}.json`) : undefined;
  if (cacheFile && !opts.force && existsSync(cacheFile)) {
    try {
      const entry = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheEntry;
      const fresh = entry.format === CACHE_FORMAT && entry.key === key &&
        Object.entries(entry.deps).every(([f, h]) => existsSync(f) && sha256(readFileSync(f)) === h);
      if (fresh) {
        return { key, artifacts: entry.artifacts, fromCache: true, ms: performance.now() - t0, compileMs: entry.compileMs, viaIR: entry.viaIR, warnings: entry.warnings };
      }
    } catch { /* unreadable cache entry: compile again and overwrite it */ }
  }

  const nodeModules = path.join(REPO_ROOT, 'node_modules');
  const deps: Record<string, string> = {};
  const findImports = (p: string): { contents: string } | { error: string } => {
    const candidates: string[] = [];
    for (const [from, to] of remappings) if (p.startsWith(from)) candidates.push(path.resolve(contractsDir, to + p.slice(from.length)));
    candidates.push(path.join(nodeModules, p), path.join(contractsDir, p), path.join(REPO_ROOT, p));
    for (const c of candidates) {
      if (existsSync(c) && statSync(c).isFile()) {
        const text = readFileSync(c, 'utf8');
        deps[c] = sha256(text);
        return { contents: text };
      }
    }
    return { error: `not found (tried ${candidates.map((c) => path.relative(REPO_ROOT, c)).join(', ')})` };
  };

  const run = (viaIR: boolean) => {
    const input = {
      language: 'Solidity',
      sources: Object.fromEntries(Object.entries(sources).map(([n, content]) => [n, { content }])),
      settings: { ...settingsBase, viaIR },
    };
    const t = performance.now();
    const out = JSON.parse(loadSolc().compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
    return { out, ms: performance.now() - t };
  };

  let viaIR = viaIROpt === true;
  let { out, ms } = run(viaIR);
  let diags = diagnostics(out, sources, deps);
  if (viaIROpt === 'auto' && !viaIR && diags.some((d) => d.severity === 'error' && /stack too deep/i.test(d.message))) {
    viaIR = true;
    const second = run(true);
    out = second.out;
    ms += second.ms;
    diags = diagnostics(out, sources, deps);
  }
  if (diags.some((d) => d.severity === 'error')) throw new CompileError(diags);

  const artifacts: Record<string, Artifact> = {};
  for (const [sourceName, contracts] of Object.entries(out.contracts ?? {})) {
    for (const [contractName, c] of Object.entries(contracts)) {
      const id = `${sourceName}:${contractName}`;
      artifacts[id] = {
        id, sourceName, contractName, abi: c.abi,
        bytecode: '0x' + (c.evm?.bytecode?.object ?? ''),
        deployedBytecode: '0x' + (c.evm?.deployedBytecode?.object ?? ''),
        ...(c.evm?.bytecode?.linkReferences && Object.keys(c.evm.bytecode.linkReferences).length ? { linkReferences: c.evm.bytecode.linkReferences } : {}),
      };
    }
  }
  const warnings = diags.filter((d) => d.severity === 'warning').map(formatDiagnostic);
  if (cacheFile && cacheDir) {
    const entry: CacheEntry = { format: CACHE_FORMAT, key, solcVersion: loadSolc().version(), viaIR, compileMs: ms, deps, warnings, artifacts };
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, cacheFile);
  }
  return { key, artifacts, fromCache: false, ms: performance.now() - t0, compileMs: ms, viaIR, warnings };
}

interface SolcOutput {
  errors?: { severity: string; type: string; message: string; formattedMessage?: string; sourceLocation?: { file: string; start: number; end: number } }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm?: { bytecode?: { object: string; linkReferences?: Artifact['linkReferences'] }; deployedBytecode?: { object: string } } }>>;
}

function diagnostics(out: SolcOutput, sources: Record<string, string>, deps: Record<string, string>): CompileDiagnostic[] {
  const textOf = (file: string): string | undefined => {
    if (sources[file] !== undefined) return sources[file];
    const abs = Object.keys(deps).find((d) => d.endsWith(`/${file}`));
    return abs ? readFileSync(abs, 'utf8') : undefined;
  };
  return (out.errors ?? []).map((e) => {
    const loc = e.sourceLocation;
    const lc = loc ? lineCol(textOf(loc.file), loc.start) : undefined;
    return {
      severity: (e.severity === 'error' ? 'error' : e.severity === 'warning' ? 'warning' : 'info') as CompileDiagnostic['severity'],
      type: e.type, file: loc?.file, line: lc?.line, column: lc?.column, message: e.message,
    };
  });
}

/**
 * One artifact by contract name ("Sidecar") or full id ("src/Sidecar.sol:Sidecar"); a clear
 * error when it is missing or ambiguous, or when it has no bytecode and `deployable` is asked.
 */
export function getArtifact(result: Pick<CompileResult, 'artifacts'>, name: string, opts: { deployable?: boolean } = {}): Artifact {
  const byId = result.artifacts[name];
  const matches = byId ? [byId] : Object.values(result.artifacts).filter((a) => a.contractName === name);
  if (matches.length === 0) {
    const names = [...new Set(Object.values(result.artifacts).map((a) => a.contractName))].sort();
    throw new Error(`no compiled contract named ${name} (have: ${names.join(', ')})`);
  }
  if (matches.length > 1) throw new Error(`contract name ${name} is ambiguous: ${matches.map((a) => a.id).join(', ')}; use the full id`);
  const a = matches[0];
  if (opts.deployable && a.bytecode.length <= 2) throw new Error(`${a.id} has no bytecode (interface or abstract contract)`);
  if (opts.deployable && /__\$[0-9a-f]{34}\$__/.test(a.bytecode) && !a.linkReferences) throw new Error(`${a.id} has library placeholders but no link references (stale cache?)`);
  return a;
}

// `tsx node/l1/compile.ts [--force] [--extra unit=path ...]`: compile and print a summary.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const extraSources: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--extra') {
      const [unit, file] = (args[++i] ?? '').split('=');
      if (!unit || !file) { console.error('--extra expects unit=path, e.g. generated/V.sol=.build/circuits/V.sol'); process.exit(2); }
      extraSources[unit] = readFileSync(file, 'utf8');
    }
  }
  try {
    const r = compileContracts({ force: args.includes('--force'), extraSources });
    for (const w of r.warnings) console.error(`warning: ${w}`);
    for (const a of Object.values(r.artifacts)) if (a.bytecode.length > 2) console.log(`${a.id}  ${(a.deployedBytecode.length - 2) / 2} bytes`);
    console.log(`${r.fromCache ? 'cached' : 'compiled'} in ${r.ms.toFixed(0)} ms (solc run ${r.compileMs.toFixed(0)} ms, viaIR ${r.viaIR}) key ${r.key.slice(0, 12)}`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
