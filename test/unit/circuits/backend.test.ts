// The backend without rollup-sized proofs: the INSECURE dev CRS (fast generation == one scalar
// multiplication per point, atomic cache, corruption detected, selection), the bb 5.0.0 vk
// fields (115, field 0 = log2 size, our Poseidon2 hash == bb's vk hash), real proofs of a tiny
// recursive-flavour circuit through the ProvingBackend API with both engines (native bb and
// WASM, each verifying the other's proofs), typed errors, a clear error for a backend that
// cannot start, and the dev-CRS copies: a dev-CRS proof is refused by the stock bb (native
// verify; WASM refuses the dev CRS at SRS init) and accepted by the labelled dev copies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acirOf, circuitSizes, noirCompile, type CompiledCircuit } from '../../../circuits/build.js';
import { G1, G2, batchNormalize, jacMul, onG1, onG2, toJac } from '../../../circuits/backend/bn254.js';
import {
  AZTEC_CRS_ID, CrsError, checkDevCrs, devG2, encodeG2, ensureDevCrs, generateG1Range, generateG1RangeNaive, resolveCrs, type DevCrs,
} from '../../../circuits/backend/crs.js';
import { BackendError, PROOF_SETTINGS, ProvingBackend, classifyBackendError, prevProofOf, vkAsFields, withWorkerSafeExecArgv, type BackendKind, type SegmentProof } from '../../../circuits/backend/prover.js';
import { AZTEC_G2_BYTES, nativeBinaryFor, probeNative, stockBbBinary, stockBbWasm, wasmFor } from '../../../circuits/backend/binaries.js';
import { WitnessError } from '../../../circuits/witness.js';
import { R } from '../../../circuits/l2/field.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'backend_tiny');
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-crs-test-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

let crs: DevCrs;
let tiny: CompiledCircuit;

before(async () => {
  const { bytecode, abi } = await noirCompile('backend_tiny', FIXTURE);
  const { gates, circuitSize } = await circuitSizes(bytecode, true);
  tiny = {
    name: 'backend_tiny', kind: 'first', capacity: 1, recursive: false, flavour: 'recursive', hash: `tiny-${gates}`,
    noirVersion: '1.0.0-beta.26', bytecode, abi, gates, circuitSize,
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

test('vk fields (bb 5.0.0): 115 fields, field 0 = log2 size, 1 + 8 pairing-point public inputs, our hash == bb\'s', async () => {
  const backend = await ProvingBackend.create({ crs: { dev: true, cacheDir }, backend: 'wasm', vkCacheDir: path.join(cacheDir, 'vk-fields') });
  try {
    const vk = await backend.vk(tiny);
    assert.equal(vk.fields!.length, 115);
    assert.equal(vk.fields![0], BigInt(Math.log2(tiny.circuitSize)));
    assert.equal(vk.fields![1], 1n + 8n, 'one public input + 8 pairing-point fields');
    // bb's own vk and vk hash (the native CLI writes both)
    const work = mkdtempSync(path.join(cacheDir, 'vk-bb-'));
    writeFileSync(path.join(work, 'c.json'), JSON.stringify({ noir_version: tiny.noirVersion, hash: '0', abi: tiny.abi, bytecode: tiny.bytecode }));
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(stockBbBinary().path!, ['write_vk', '-b', path.join(work, 'c.json'), '-o', work, '-t', 'noir-recursive-no-zk', '-c', crs.dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(path.join(work, 'vk')), Buffer.from(vk.bytes), 'the same vk from native bb and WASM');
    assert.equal(vk.hash, BigInt(`0x${readFileSync(path.join(work, 'vk_hash')).toString('hex')}`), 'Poseidon2 sponge of the fields == bb\'s own vk hash');
    assert.throws(() => vkAsFields(vk.bytes, { ...tiny, circuitSize: tiny.circuitSize * 2 }), (e: unknown) => e instanceof BackendError && e.code === 'bad-proof-format');
    assert.throws(() => vkAsFields(vk.bytes.subarray(32), tiny), (e: unknown) => e instanceof BackendError && /114 fields/.test(e.message));
  } finally {
    await backend.destroy();
  }
});

function tinyOutput(x: bigint): bigint {
  let acc = x;
  for (let i = 0; i < 100; i++) acc = (acc * acc + 7n) % R;
  return acc;
}

const proofs = new Map<BackendKind, SegmentProof>();

for (const kind of ['native', 'wasm'] as const) {
  test(`ProvingBackend (${kind}): prove/verify a recursive-flavour proof, 410 proof fields, typed witness errors`, async () => {
    const backend = await ProvingBackend.create({ crs: { dev: true, cacheDir }, backend: kind, vkCacheDir: path.join(cacheDir, `vk-${kind}`) });
    try {
      assert.equal(backend.backendKind, kind);
      const y = tinyOutput(5n);
      const p = await backend.proveSegment(tiny, { x: '5', y: `0x${y.toString(16)}` });
      assert.equal(p.backend, kind);
      assert.deepEqual(p.publicInputFields, [y]);
      assert.equal(await backend.verify(tiny, p), true);
      const vk = await backend.vk(tiny);
      const prev = prevProofOf(p, vk);
      assert.equal(prev.proof.length, 410);
      assert.equal(prev.vk.length, 115);
      const tampered = p.publicInputs.slice();
      tampered[31] ^= 1;
      assert.equal(await backend.verify(tiny, { ...p, publicInputs: tampered }), false);
      await assert.rejects(backend.proveSegment(tiny, { x: '5', y: '1' }), (e: unknown) => e instanceof WitnessError && /backend_tiny: wrong output/.test(e.message));
      assert.ok(readdirSync(path.join(cacheDir, `vk-${kind}`)).some((f) => f.startsWith('backend_tiny-')), 'the vk is cached on disk');
      proofs.set(kind, p);
      // the other engine's proof verifies here too (same vk, same CRS)
      const other = proofs.get(kind === 'native' ? 'wasm' : 'native');
      if (other) assert.equal(await backend.verify(tiny, other), true, `a ${other.backend} proof verifies with ${kind}`);
    } finally {
      await backend.destroy();
    }
  });
}

test('dev CRS: a dev-CRS proof is refused by the stock bb and accepted by the INSECURE dev copies', async () => {
  const p = proofs.get('native');
  assert.ok(p, 'the native proof test ran first');
  const devCrs = await ensureDevCrs(tiny.circuitSize + 1, { cacheDir });
  const stock = stockBbBinary().path!;
  const dev = nativeBinaryFor(devCrs, cacheDir).path!;
  assert.ok(dev.startsWith(cacheDir) && /INSECURE/.test(dev), 'the dev copy lives in the cache dir and says INSECURE');
  assert.match(readFileSync(path.join(path.dirname(dev), 'INSECURE-DEV-CRS.txt'), 'utf8'), /forge proofs/);
  assert.ok(readFileSync(stock).includes(AZTEC_G2_BYTES), 'the stock binary is untouched');
  assert.ok(!readFileSync(dev).includes(AZTEC_G2_BYTES) && readFileSync(dev).includes(encodeG2(devCrs.g2)));
  const work = mkdtempSync(path.join(cacheDir, 'verify-'));
  const vk = new Uint8Array(readFileSync(path.join(cacheDir, 'vk-native', readdirSync(path.join(cacheDir, 'vk-native')).find((f) => f.endsWith('.vk'))!)));
  writeFileSync(path.join(work, 'vk'), vk);
  writeFileSync(path.join(work, 'proof'), p.proof);
  writeFileSync(path.join(work, 'public_inputs'), p.publicInputs);
  const { spawnSync } = await import('node:child_process');
  const verify = (bin: string) => spawnSync(bin, ['verify', '-p', path.join(work, 'proof'), '-k', path.join(work, 'vk'), '-i', path.join(work, 'public_inputs'), '-t', 'noir-recursive-no-zk', '-c', devCrs.dir], { encoding: 'utf8' });
  const s = verify(stock);
  assert.notEqual(s.status, 0, 'the stock bb refuses a dev-CRS proof');
  assert.match(s.stderr + s.stdout, /verification failed/i);
  assert.equal(verify(dev).status, 0, 'the dev copy accepts it');
  // WASM: the stock wasm refuses the dev CRS at SRS init; the dev copy loads it and verifies the native proof
  const { Barretenberg, BackendType } = await import('@aztec/bb.js');
  const g1 = readFileSync(path.join(devCrs.dir, 'bn254_g1.dat')).subarray(0, (tiny.circuitSize + 1) * 64);
  const g2 = readFileSync(path.join(devCrs.dir, 'bn254_g2.dat'));
  for (const [wasmPath, accepted] of [[stockBbWasm(), false], [wasmFor(devCrs, cacheDir)!, true]] as const) {
    const api = await withWorkerSafeExecArgv(() => Barretenberg.new({ backend: BackendType.Wasm, threads: 1, wasmPath, skipSrsInit: true }));
    try {
      const init = api.srsInitSrs({ pointsBuf: g1, numPoints: tiny.circuitSize + 1, g2Point: g2 });
      if (!accepted) {
        await assert.rejects(init, 'the stock wasm refuses the dev CRS');
        continue;
      }
      await init;
      const chunks = (b: Uint8Array) => Array.from({ length: b.length / 32 }, (_, i) => b.subarray(i * 32, i * 32 + 32));
      const r = await api.circuitVerify({ verificationKey: vk, publicInputs: chunks(p.publicInputs), proof: chunks(p.proof), settings: PROOF_SETTINGS['noir-recursive-no-zk'] });
      assert.equal(r.verified, true, 'the dev wasm copy verifies the native dev-CRS proof');
    } finally {
      await api.destroy();
    }
  }
});

function roundsOutput(x: bigint, rounds: number): bigint {
  let acc = x;
  for (let i = 0; i < rounds; i++) acc = (acc * acc + 7n) % R;
  return acc;
}

test('WASM: a bigger circuit after a smaller one proves (a new bb.js instance for a bigger CRS, not "too many points")', async () => {
  // bb.js keeps the first CRS an instance loads: a second, bigger srsInitSrs was ignored and the
  // bigger proof failed "prover trying to get too many points in MemBn254CrsFactory"
  const dir = path.join(path.dirname(FIXTURE), 'backend_wide');
  const { bytecode, abi } = await noirCompile('backend_wide', dir);
  const { gates, circuitSize } = await circuitSizes(bytecode, true);
  const wide: CompiledCircuit = { ...tiny, name: 'backend_wide', hash: `wide-${gates}`, bytecode, abi, gates, circuitSize };
  assert.ok(wide.circuitSize > tiny.circuitSize, `backend_wide (${wide.circuitSize}) is bigger than backend_tiny (${tiny.circuitSize})`);
  // both within the CRS file the backend starts with (2^16 points): only the WASM's loaded CRS has to grow
  assert.ok(wide.circuitSize < 2 ** 16);
  const backend = await ProvingBackend.create({ crs: { dev: true, cacheDir }, backend: 'wasm', vkCacheDir: path.join(cacheDir, 'vk-sizes') });
  try {
    const small = await backend.proveSegment(tiny, { x: '3', y: `0x${tinyOutput(3n).toString(16)}` });
    assert.equal(await backend.verify(tiny, small), true);
    const y = roundsOutput(3n, 12000);
    const big = await backend.proveSegment(wide, { x: '3', y: `0x${y.toString(16)}` });
    assert.deepEqual(big.publicInputFields, [y]);
    assert.equal(await backend.verify(wide, big), true, 'the bigger proof verifies');
    // and the smaller circuit still proves and verifies on the grown instance
    assert.equal(await backend.verify(tiny, await backend.proveSegment(tiny, { x: '4', y: `0x${tinyOutput(4n).toString(16)}` })), true);
  } finally {
    await backend.destroy();
  }
});

test('a backend that cannot start fails with an error naming it and why', async () => {
  assert.equal(probeNative(path.join(cacheDir, 'no-such-bb')).ok, false);
  // a dev-CRS copy that is not a runnable binary: forced native fails clearly, auto falls back to WASM
  const broken = mkdtempSync(path.join(os.tmpdir(), 'sidecar-bb-broken-'));
  try {
    const devCrs = await ensureDevCrs(tiny.circuitSize + 1, { cacheDir: broken });
    const file = nativeBinaryFor(devCrs, broken).path!;
    writeFileSync(file, 'not a binary', { mode: 0o644 });
    await assert.rejects(ProvingBackend.create({ crs: { dev: true, cacheDir: broken }, backend: 'native' }),
      (e: unknown) => e instanceof BackendError && /the native backend cannot start/.test(e.message) && e.message.includes(file));
    const auto = await ProvingBackend.create({ crs: { dev: true, cacheDir: broken }, backend: 'auto' });
    try {
      assert.equal(auto.backendKind, 'wasm');
      assert.match(auto.why, /native bb does not run here/);
    } finally {
      await auto.destroy();
    }
  } finally {
    rmSync(broken, { recursive: true, force: true });
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
