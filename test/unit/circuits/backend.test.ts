// The backend without rollup-sized proofs: the INSECURE dev CRS (fast generation == one scalar
// multiplication per point, atomic cache, corruption detected, selection), the vk-as-fields
// workaround (field 0 == circuit size; bb.js' own call shifts the fields), and a real proof of a
// tiny recursive-flavour circuit through the ProvingBackend API, with typed errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acirOf, noirCompile, type CompiledCircuit } from '../../../circuits/build.js';
import { G1, G2, batchNormalize, jacMul, onG1, onG2, toJac } from '../../../circuits/backend/bn254.js';
import {
  AZTEC_CRS_ID, CrsError, checkDevCrs, devG2, encodeG2, ensureDevCrs, generateG1Range, generateG1RangeNaive, resolveCrs, type DevCrs,
} from '../../../circuits/backend/crs.js';
import { BackendError, ProvingBackend, classifyBackendError, prevProofOf, vkAsFields, withWorkerSafeExecArgv } from '../../../circuits/backend/prover.js';
import { WitnessError } from '../../../circuits/witness.js';
import { R } from '../../../circuits/l2/field.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'backend_tiny');
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-crs-test-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

let crs: DevCrs;
let tiny: CompiledCircuit;

before(async () => {
  const { bytecode, abi } = await noirCompile('backend_tiny', FIXTURE);
  const { BarretenbergSync } = await import('@aztec/bb.js');
  const [gates, circuitSize] = (await BarretenbergSync.initSingleton()).acirGetCircuitSizes(acirOf(bytecode), true, true);
  tiny = {
    name: 'backend_tiny', kind: 'first', capacity: 1, recursive: false, flavour: 'recursive', hash: `tiny-${gates}`,
    noirVersion: '1.0.0-beta.3', bytecode, abi, gates, circuitSize,
  };
});

test('dev CRS: successive small-tau multiplication == one scalar multiplication per point', () => {
  for (const tau of [3n, 5n]) {
    assert.ok(generateG1Range(tau, 0, 40, 7).equals(generateG1RangeNaive(tau, 0, 40)), `tau ${tau} from 0`);
    assert.ok(generateG1Range(tau, 1000, 9, 4).equals(generateG1RangeNaive(tau, 1000, 9)), `tau ${tau} from 1000`);
  }
  const g = generateG1Range(3n, 0, 2);
  assert.equal(g.subarray(0, 64).toString('hex'), `${'0'.repeat(63)}1${'0'.repeat(63)}2`, 'generator first, x then y big-endian');
  const [p1] = batchNormalize([jacMul(toJac(G1), 3n)]);
  assert.ok(onG1(p1));
  assert.equal(g.subarray(64, 96).toString('hex'), p1.x.toString(16).padStart(64, '0'));
  const g2 = devG2(3n);
  assert.ok(onG2(g2) && onG2(G2));
  const enc = encodeG2(g2);
  assert.equal(enc.subarray(0, 32).toString('hex'), g2.x.c0.toString(16).padStart(64, '0'), 'bb.js reads G2 real part first');
  assert.equal(encodeG2(g2, 'c1c0').subarray(0, 32).toString('hex'), g2.x.c1.toString(16).padStart(64, '0'));
});

test('dev CRS: concurrent generation into the per-user cache is atomic, labelled INSECURE, and reused', async () => {
  const [a, b] = await Promise.all([ensureDevCrs(5000, { cacheDir, workers: 2 }), ensureDevCrs(4097, { cacheDir, workers: 1 })]);
  assert.equal(a.dir, b.dir);
  assert.match(a.dir, /INSECURE-dev-crs-tau-3-2\^16$/);
  assert.equal(a.points, 2 ** 16 + 1);
  assert.equal(a.id, 'insecure-dev-tau-3');
  assert.ok(existsSync(path.join(a.dir, 'INSECURE-DEV-CRS.txt')));
  assert.match(readFileSync(path.join(a.dir, 'INSECURE-DEV-CRS.txt'), 'utf8'), /forge proofs/);
  assert.deepEqual(readdirSync(path.dirname(a.dir)).filter((n) => n.startsWith('.tmp')), [], 'no temp dirs left');
  checkDevCrs(a, 20);
  crs = a;
  const again = await ensureDevCrs(2 ** 16 + 1, { cacheDir });
  assert.equal(again.dir, a.dir, 'a cached CRS serves any size it covers');
});

test('dev CRS: a corrupt cache is detected', () => {
  const bad = mkdtempSync(path.join(os.tmpdir(), 'sidecar-crs-bad-'));
  try {
    cpSync(crs.dir, bad, { recursive: true });
    const g1 = readFileSync(path.join(bad, 'bn254_g1.dat'));
    g1[64 + 40] ^= 1;
    writeFileSync(path.join(bad, 'bn254_g1.dat'), g1);
    assert.throws(() => checkDevCrs({ ...crs, dir: bad }, 0), (e: unknown) => e instanceof CrsError && /point 1 /.test(e.message));
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});

test('CRS selection: Aztec unless the dev CRS is asked for', async () => {
  const saved = process.env.SIDECAR_DEV_CRS;
  try {
    delete process.env.SIDECAR_DEV_CRS;
    assert.deepEqual(await resolveCrs(1024, {}), { kind: 'aztec', dir: undefined, id: AZTEC_CRS_ID });
    assert.equal((await resolveCrs(1024, { dev: true, cacheDir })).kind, 'dev');
    process.env.SIDECAR_DEV_CRS = '1';
    assert.equal((await resolveCrs(1024, { cacheDir })).kind, 'dev');
    assert.equal((await resolveCrs(1024, { cacheDir, dev: false })).kind, 'aztec');
  } finally {
    if (saved === undefined) delete process.env.SIDECAR_DEV_CRS;
    else process.env.SIDECAR_DEV_CRS = saved;
  }
});

test('vk as fields: RawBuffer workaround gives field 0 == circuit size; bb.js\' own call shifts every field', async () => {
  const { Barretenberg } = await import('@aztec/bb.js');
  const api = await withWorkerSafeExecArgv(() => Barretenberg.new({ threads: 1, crsPath: crs.dir }));
  try {
    await api.initSRSForCircuitSize(tiny.circuitSize);
    const vk = await api.acirWriteVkUltraHonk(acirOf(tiny.bytecode), true);
    const fields = await vkAsFields(api, vk, tiny);
    assert.equal(fields[0], BigInt(tiny.circuitSize));
    assert.equal(fields[1], 1n + 16n, 'one public input + 16 pairing-point fields');
    // what UltraHonkBackend.generateRecursiveProofArtifacts does (no RawBuffer): shifted
    const shifted = (await api.acirVkAsFieldsUltraHonk(vk)).map((f) => BigInt(f.toString()));
    assert.notEqual(shifted[0], BigInt(tiny.circuitSize));
    await assert.rejects(vkAsFields(api, vk, { ...tiny, circuitSize: tiny.circuitSize * 2 }), (e: unknown) => e instanceof BackendError && e.code === 'bad-proof-format');
  } finally {
    await api.destroy();
  }
});

function tinyOutput(x: bigint): bigint {
  let acc = x;
  for (let i = 0; i < 100; i++) acc = (acc * acc + 7n) % R;
  return acc;
}

test('ProvingBackend: prove/verify a recursive-flavour proof, 456 proof fields, typed witness errors', async () => {
  const backend = await ProvingBackend.create({ crs: { dev: true, cacheDir }, vkCacheDir: path.join(cacheDir, 'vk') });
  try {
    const y = tinyOutput(5n);
    const p = await backend.proveSegment(tiny, { x: '5', y: `0x${y.toString(16)}` });
    assert.deepEqual(p.publicInputFields, [y]);
    assert.equal(await backend.verify(tiny, p), true);
    const vk = await backend.vk(tiny);
    const prev = prevProofOf(p, vk);
    assert.equal(prev.proof.length, 456);
    assert.equal(prev.vk[0], BigInt(tiny.circuitSize));
    const tampered = p.publicInputs.slice();
    tampered[31] ^= 1;
    assert.equal(await backend.verify(tiny, { ...p, publicInputs: tampered }), false);
    await assert.rejects(backend.proveSegment(tiny, { x: '5', y: '1' }), (e: unknown) => e instanceof WitnessError && /backend_tiny: wrong output/.test(e.message));
    // the vk is on disk: a second backend does not recompute it
    assert.ok(readdirSync(path.join(cacheDir, 'vk')).some((f) => f.startsWith('backend_tiny-')));
  } finally {
    await backend.destroy();
  }
});

test('backend errors are classified: out of memory, CRS, other', () => {
  assert.equal(classifyBackendError('final_8', new Error('RuntimeError: bad alloc')).code, 'out-of-memory');
  assert.equal(classifyBackendError('x', new Error('std::bad_alloc')).code, 'out-of-memory');
  assert.equal(classifyBackendError('x', new Error('could not read bn254_g1.dat')).code, 'crs');
  const other = classifyBackendError('x', new Error('something else'));
  assert.equal(other.code, 'backend');
  assert.match(other.message, /^x: something else/);
});
