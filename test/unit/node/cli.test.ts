// The CLI's refusals: bad flags and config give one clear line and exit code 2, never a stack
// trace; in-process through runCli, plus once through the real `sidecar` executable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../../node/cli/main.js';
import { DEVNET_DEFAULTS, DevnetSetupError, RECORDED_OPTIONS, defaultPhaseBlocks, prepareDataDir } from '../../../node/cli/devnet.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await runCli(args, { out: (s) => { out += s; }, err: (s) => { err += s; } });
    return { code, out, err };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
}

test('devnet: a bad number is refused with the flag named, exit 2', async () => {
  const r = await cli(['devnet', '--slots', 'abc']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--slots must be a whole number, got "abc"/);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  const r2 = await cli(['devnet', '--withhold-every', '-1']);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /--withhold-every must be in 0\.\.1000, got -1/);
});

test('devnet --resume / --fresh: a data dir that cannot be used as asked is one clear line, exit 2, nothing touched', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-cli-devnet-'));
  try {
    const noStack = (r: { err: string }) => assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    // --resume on an empty dir, on a missing dir, and without --data-dir
    const empty = await cli(['devnet', '--resume', '--data-dir', dir]);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /--resume: .* holds no devnet \(no devnet\.json, deployment\.json or anvil state\); start one with --data-dir/);
    noStack(empty);
    const missing = await cli(['devnet', '--resume', '--data-dir', path.join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /holds no devnet/);
    assert.ok(!existsSync(path.join(dir, 'nope')), 'a refused --resume creates nothing');
    const noDir = await cli(['devnet', '--resume']);
    assert.equal(noDir.code, 2);
    assert.match(noDir.err, /--resume needs --data-dir D/);
    const both = await cli(['devnet', '--resume', '--fresh', '--data-dir', dir]);
    assert.equal(both.code, 2);
    assert.match(both.err, /--resume and --fresh exclude each other/);
    // --fresh never wipes a non-empty folder that holds no devnet
    writeFileSync(path.join(dir, 'precious.txt'), 'mine');
    const fresh = await cli(['devnet', '--fresh', '--data-dir', dir]);
    assert.equal(fresh.code, 2);
    assert.match(fresh.err, /--fresh: .* is not empty and holds no devnet; refusing to wipe it/);
    assert.equal(readFileSync(path.join(dir, 'precious.txt'), 'utf8'), 'mine');
    // a dir holding a devnet, no flag: say --resume or --fresh, on one line
    const record = { version: 1, options: { ...Object.fromEntries(RECORDED_OPTIONS.map((k) => [k, DEVNET_DEFAULTS[k]])), nodes: 1, phaseBlocks: 3 }, sidecar: '0x' + '11'.repeat(20), createdAt: new Date().toISOString(), runs: 1 };
    writeFileSync(path.join(dir, 'devnet.json'), JSON.stringify(record));
    const held = await cli(['devnet', '--data-dir', dir]);
    assert.equal(held.code, 2);
    assert.match(held.err, /^sidecar: .* already holds a devnet: pass --resume to continue it or --fresh to wipe it and start over\n$/);
    // --resume on an incomplete devnet (its first run stopped before the deployment was done)
    const partial = await cli(['devnet', '--resume', '--data-dir', dir]);
    assert.equal(partial.code, 2);
    assert.match(partial.err, /holds an incomplete devnet \(no deployment\.json, genesis\.json, anvil[\\/]state\.json/);
    // --resume with an explicit option that differs from the recorded one (the others are taken from the record)
    mkdirSync(path.join(dir, 'anvil'));
    for (const f of ['deployment.json', 'genesis.json', path.join('anvil', 'state.json')]) writeFileSync(path.join(dir, f), '{}');
    const conflict = await cli(['devnet', '--resume', '--data-dir', dir, '--nodes', '3', '--verifier', 'signature']);
    assert.equal(conflict.code, 2);
    assert.match(conflict.err, /--resume: .* is a devnet with --nodes 1 --verifier honk, not --nodes 3 --verifier signature; leave those options out to resume it as recorded, or pass --fresh/);
    noStack(conflict);
    writeFileSync(path.join(dir, 'devnet.json'), '{"version": 1');
    const damaged = await cli(['devnet', '--resume', '--data-dir', dir]);
    assert.equal(damaged.code, 2);
    assert.match(damaged.err, /devnet\.json is damaged/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('devnet data dir: --resume takes the recorded options the user did not set; --fresh wipes a devnet', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-cli-devnet-'));
  try {
    const recorded = { ...Object.fromEntries(RECORDED_OPTIONS.map((k) => [k, DEVNET_DEFAULTS[k]])), nodes: 1, phaseBlocks: 3, verifier: 'signature' };
    writeFileSync(path.join(dir, 'devnet.json'), JSON.stringify({ version: 1, options: recorded, sidecar: '0x' + '11'.repeat(20), createdAt: 'x', runs: 2 }));
    mkdirSync(path.join(dir, 'anvil'));
    mkdirSync(path.join(dir, 'A'));
    for (const f of ['deployment.json', 'genesis.json', path.join('anvil', 'state.json')]) writeFileSync(path.join(dir, f), '{}');
    const r = prepareDataDir({ ...DEVNET_DEFAULTS, dataDir: dir, resume: true, slots: 5, explicit: ['provingBlocks'] });
    assert.deepEqual([r.o.nodes, r.o.phaseBlocks, r.o.verifier, r.o.slots, r.resume?.runs], [1, 3, 'signature', 5, 2]);
    assert.throws(() => prepareDataDir({ ...DEVNET_DEFAULTS, dataDir: dir, resume: true }), DevnetSetupError, 'in-process (no `explicit`): every recorded option must match');
    const f = prepareDataDir({ ...DEVNET_DEFAULTS, dataDir: dir, fresh: true });
    assert.equal(f.resume, undefined);
    assert.deepEqual(readdirSync(dir), [], '--fresh wiped the devnet (anvil state, deployment, node data)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('devnet: three nodes by default, with 4-block phases; one node keeps 3', () => {
  assert.equal(DEVNET_DEFAULTS.nodes, 3);
  assert.equal(defaultPhaseBlocks(3), 4);
  assert.equal(defaultPhaseBlocks(1), 3);
});

test('unknown command and unknown option: exit 2 with commander\'s message', async () => {
  const r = await cli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown command 'frobnicate'/);
  const r2 = await cli(['devnet', '--no-such-flag']);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /unknown option '--no-such-flag'/);
});

test('node: bad config values from flags, env and file are each named; exit 2', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-cli-'));
  try {
    const r = await cli(['node', '--api-port', '99999', '--roles', 'sequencer,juggler', '--data-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--api-port: must be at most 65535 \(got "99999"\)/);
    assert.match(r.err, /--roles: each role must be one of sequencer, prover, submitter, watcher, agent/);
    const env = await cli(['node', '--data-dir', dir], { SIDECAR_L1_RPC_URL: 'ftp://x' });
    assert.equal(env.code, 2);
    assert.match(env.err, /env SIDECAR_L1_RPC_URL: expected an http\(s\):\/\/ or ws\(s\):\/\/ URL/);
    const file = path.join(dir, 'cfg.json');
    writeFileSync(file, '{"apiPort": 8080, "colour": "blue"}');
    const f = await cli(['node', '--config', file, '--data-dir', dir]);
    assert.equal(f.code, 2);
    assert.match(f.err, /config file: unknown setting "colour"/);
    writeFileSync(file, '{not json');
    const bad = await cli(['node', '--config', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /not valid JSON/);
    const secret = await cli(['node', '--private-key', '0x1234', '--data-dir', dir]);
    assert.equal(secret.code, 2);
    assert.match(secret.err, /--private-key: expected 0x followed by 64 hex digits \(got \(hidden\)\)/);
    assert.doesNotMatch(secret.err, /0x1234/, 'a secret is never echoed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node: a missing deployment or genesis is a clear error, exit 2', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-cli-'));
  try {
    const key = { SIDECAR_PRIVATE_KEY: `0x${'11'.repeat(32)}` };
    const r = await cli(['node', '--data-dir', dir], key);
    assert.equal(r.code, 2);
    assert.match(r.err, /no deployment: pass --deployment-file/);
    const d = await cli(['node', '--data-dir', dir, '--deployment-file', path.join(dir, 'nope.json')], key);
    assert.equal(d.code, 2);
    assert.match(d.err, /nope\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keys: the L2 and p2p identities are created once in the data dir, never an L1 key; a damaged key file is refused', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-keys-'));
  try {
    const a = await cli(['keys', '--data-dir', dir]);
    assert.equal(a.code, 0, a.err);
    const ka = JSON.parse(a.out) as { l1Address?: string; peerId: string; l2PublicKey: { x: string }; created: boolean };
    assert.equal(ka.l1Address, undefined, 'no L1 key made up');
    assert.match(ka.peerId, /^12D3KooW/);
    assert.match(ka.l2PublicKey.x, /^0x[0-9a-f]+$/);
    assert.equal(ka.created, true);
    const b = JSON.parse((await cli(['keys', '--data-dir', dir])).out) as typeof ka;
    assert.deepEqual({ ...b, created: true }, ka, 'same keys on the second call');
    assert.equal(b.created, false);
    // an operator's key file with an L1 key: its address is shown
    const kf = JSON.parse(readFileSync(path.join(dir, 'keys.json'), 'utf8')) as Record<string, string>;
    writeFileSync(path.join(dir, 'keys.json'), JSON.stringify({ ...kf, l1PrivateKey: `0x${'11'.repeat(32)}` }));
    assert.equal((JSON.parse((await cli(['keys', '--data-dir', dir])).out) as typeof ka).l1Address, '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A');
    writeFileSync(path.join(dir, 'keys.json'), '{"l1PrivateKey": "0xzz", "l2SecretKey": "0x1"}');
    const c = await cli(['keys', '--data-dir', dir]);
    assert.equal(c.code, 2);
    assert.match(c.err, /l1PrivateKey must be 0x followed by 64 hex digits/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keys new: an encrypted keystore (password from a file or the env); never overwritten; the node refuses to start without an L1 key', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-keystore-'));
  try {
    const pwFile = path.join(dir, 'pw');
    writeFileSync(pwFile, 'correct horse battery\n');
    const ks = path.join(dir, 'l1.json');
    const r = await cli(['keys', 'new', '--out', ks, '--password-file', pwFile]);
    assert.equal(r.code, 0, r.err);
    const made = JSON.parse(r.out) as { address: string; keystore: string };
    assert.match(made.address, /^0x[0-9a-fA-F]{40}$/);
    const json = JSON.parse(readFileSync(ks, 'utf8')) as { address: string; crypto?: unknown; Crypto?: unknown };
    assert.equal(`0x${json.address}`.toLowerCase(), made.address.toLowerCase());
    assert.ok(json.crypto ?? json.Crypto, 'encrypted (no plain key in the file)');
    assert.doesNotMatch(readFileSync(ks, 'utf8'), /privateKey/i);
    assert.equal((await import('node:fs')).statSync(ks).mode & 0o077, 0, 'readable by its owner only');
    const again = await cli(['keys', 'new', '--out', ks], { SIDECAR_KEYSTORE_PASSWORD: 'another password' });
    assert.equal(again.code, 2);
    assert.match(again.err, /exists; refusing to overwrite a key/);
    const noPw = await cli(['keys', 'new', '--out', path.join(dir, 'other.json')], { SIDECAR_KEYSTORE_PASSWORD: '' });
    assert.equal(noPw.code, 2);
    assert.match(noPw.err, /needs its password: --keystore-password-file <file> or SIDECAR_KEYSTORE_PASSWORD/);
    const { resolveL1Key } = await import('../../../node/cli/keys.js');
    const got = await resolveL1Key({ keystore: ks, passwordFile: pwFile, dataDir: dir });
    assert.equal(new (await import('ethers')).Wallet(got!.key).address, made.address);
    await assert.rejects(resolveL1Key({ keystore: ks, dataDir: dir, env: { SIDECAR_KEYSTORE_PASSWORD: 'wrong one!' } }), /keystore .*l1\.json: wrong password/);
    assert.equal(await resolveL1Key({ dataDir: path.join(dir, 'empty') }), undefined);

    // `sidecar node` with no key anywhere: refused before anything starts (exit 2)
    const data = path.join(dir, 'node');
    mkdirSync(data);
    const n = await cli(['node', '--data-dir', data], { SIDECAR_PRIVATE_KEY: '' });
    assert.equal(n.code, 2, n.err);
    assert.match(n.err, /no L1 key for the roles prover, submitter, watcher \(they send L1 transactions\): set SIDECAR_PRIVATE_KEY, or --keystore <file>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status: a bad --api is a usage error (exit 2), not a crash', async () => {
  for (const api of ['not a url', 'ftp://127.0.0.1:1']) {
    const r = await cli(['status', '--api', api]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--api: (not a URL|expected an http\(s\):\/\/ URL)/);
  }
});

test('status: an unreachable node is a clear error (exit 1)', async () => {
  const r = await cli(['status', '--api', 'http://127.0.0.1:1']);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot reach the node API at http:\/\/127\.0\.0\.1:1/);
});

test('the sidecar executable: bad flag → one line on stderr, exit 2', () => {
  const bin = path.resolve(import.meta.dirname, '../../../node/cli/bin.js');
  const r = spawnSync(process.execPath, [bin, 'devnet', '--block-time', 'fast'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--block-time must be a whole number, got "fast"/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(r.stdout, '');
});
