// The hardware and software a bench result was measured on (schema.ts Hardware / Software).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hardware, Software } from './schema.js';

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1];
  } catch { /* not Linux */ }
  return `${os.type()} ${os.release()}`;
}

export function hardware(): Hardware {
  const cpus = os.cpus();
  return {
    cpu: { cpu_model: cpus[0]?.model.trim() || 'unknown', cpu_cores: os.availableParallelism(), arch: os.arch(), mhz: cpus[0]?.speed ?? 0 },
    memory_size_gb: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: { platform: os.platform(), release: os.release(), name: osName() },
    loadAverage: { start: Number(os.loadavg()[0].toFixed(2)), end: null },
  };
}

function pkgVersion(dir: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Versions, the backends that start here, and the CRS kind (INSECURE dev or production). */
export async function software(opts: { devCrs: boolean; crsId: string; backends: Software['backends'] }): Promise<Software> {
  const { SIDECAR_VERSION } = await import('../../node/version.js');
  const { bbVersion, bbPackageDir, probeNative, stockBbBinary } = await import('../../circuits/backend/binaries.js');
  const stock = stockBbBinary();
  const native = stock.path ? probeNative(stock.path) : undefined;
  const { REPO_ROOT } = await import('../../circuits/build.js');
  return {
    sidecar: SIDECAR_VERSION,
    node: process.version,
    // the native binary's own version where it runs (e.g. 5.0.0-nightly.…), else bb.js'
    bb: native?.ok && native.version ? native.version : bbVersion(),
    bbjs: pkgVersion(bbPackageDir()),
    noir: pkgVersion(path.join(REPO_ROOT, 'node_modules', '@noir-lang', 'noir_wasm')),
    backends: opts.backends,
    crs: { kind: opts.devCrs ? 'insecure-dev' : 'production', id: opts.crsId },
  };
}

/** What must match for a run to be resumed in the same directory. */
export function sameMachine(a: { hardware: Hardware; software: Software }, b: { hardware: Hardware; software: Software }): string | undefined {
  const diffs: string[] = [];
  if (a.hardware.cpu.cpu_model !== b.hardware.cpu.cpu_model) diffs.push(`cpu_model ${a.hardware.cpu.cpu_model} vs ${b.hardware.cpu.cpu_model}`);
  if (a.hardware.cpu.cpu_cores !== b.hardware.cpu.cpu_cores) diffs.push(`cpu_cores ${a.hardware.cpu.cpu_cores} vs ${b.hardware.cpu.cpu_cores}`);
  if (a.software.bb !== b.software.bb) diffs.push(`bb ${a.software.bb} vs ${b.software.bb}`);
  if (a.software.noir !== b.software.noir) diffs.push(`noir ${a.software.noir} vs ${b.software.noir}`);
  if (a.software.crs.id !== b.software.crs.id) diffs.push(`CRS ${a.software.crs.id} vs ${b.software.crs.id}`);
  return diffs.length ? diffs.join('; ') : undefined;
}
