import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError, SETTINGS, settingsTable } from '../../../node/config.js';

describe('config', () => {
  it('gives every setting its documented default', () => {
    const c = loadConfig({ env: {} });
    for (const [k, s] of Object.entries(SETTINGS)) {
      const v = (c as Record<string, unknown>)[k];
      assert.deepEqual(typeof v === 'bigint' ? v : v, s.default, k);
    }
  });

  it('takes several http(s) L1 URLs for failover, and refuses a WebSocket among them', () => {
    assert.equal(loadConfig({ env: { SIDECAR_L1_RPC_URL: 'http://a:1, https://b.example/key' } }).l1RpcUrl, 'http://a:1, https://b.example/key');
    assert.throws(() => loadConfig({ env: { SIDECAR_L1_RPC_URL: 'http://a:1,ws://b:2' } }), (e: Error) => e instanceof ConfigError && /failover takes http\(s\) URLs only/.test(e.message));
    assert.throws(() => loadConfig({ env: { SIDECAR_L1_RPC_URL: 'http://a:1,nope' } }), /expected an http\(s\):\/\/ or ws\(s\):\/\/ URL/);
  });

  it('takes flag over env over file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    try {
      const file = path.join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ apiPort: 1111, metricsPort: 2222, proverWorkers: 3 }));
      const c = loadConfig({ file, env: { SIDECAR_API_PORT: '3333', SIDECAR_ROLES: 'sequencer, prover' }, flags: { metricsPort: 4444 } });
      assert.equal(c.apiPort, 3333);
      assert.equal(c.metricsPort, 4444);
      assert.equal(c.proverWorkers, 3);
      assert.deepEqual(c.roles, ['sequencer', 'prover']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('proverBackend: auto by default, native/wasm from SIDECAR_PROVER_BACKEND, anything else a clear error', () => {
    assert.equal(loadConfig({ env: {} }).proverBackend, 'auto');
    assert.equal(loadConfig({ env: { SIDECAR_PROVER_BACKEND: 'wasm' } }).proverBackend, 'wasm');
    assert.equal(loadConfig({ env: {}, flags: { proverBackend: 'native' } }).proverBackend, 'native');
    assert.throws(() => loadConfig({ env: { SIDECAR_PROVER_BACKEND: 'gpu' } }),
      (e: unknown) => e instanceof ConfigError && /SIDECAR_PROVER_BACKEND/.test(e.message) && /auto, native, wasm/.test(e.message));
  });

  it('collects every bad value with its source, hiding secrets', () => {
    try {
      loadConfig({
        env: { SIDECAR_API_PORT: '70000', SIDECAR_ROLES: 'sequencer,miner', SIDECAR_PRIVATE_KEY: '0xnotakey' },
        flags: { sequencerTip: '-5', bogus: 1 },
      });
      assert.fail('expected ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const msg = e.message;
      assert.match(msg, /env SIDECAR_API_PORT/);
      assert.match(msg, /env SIDECAR_ROLES: each role must be one of/);
      assert.match(msg, /--sequencer-tip: expected a non-negative integer amount/);
      assert.match(msg, /unknown option "bogus"/);
      assert.match(msg, /SIDECAR_PRIVATE_KEY.*\(got \(hidden\)\)/);
      assert.doesNotMatch(msg, /notakey/);
      assert.equal(e.problems.length, 5);
    }
  });

  it('reports a missing, malformed or unknown-key config file clearly', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    try {
      assert.throws(() => loadConfig({ file: path.join(dir, 'nope.json'), env: {} }), /config file .*nope\.json: not found/);
      const bad = path.join(dir, 'bad.json');
      writeFileSync(bad, '{"apiPort": 1,');
      assert.throws(() => loadConfig({ file: bad, env: {} }), /not valid JSON/);
      writeFileSync(bad, '{"apiPrt": 1}');
      assert.throws(() => loadConfig({ file: bad, env: {} }), /unknown setting "apiPrt"/);
      writeFileSync(bad, '[1]');
      assert.throws(() => loadConfig({ file: bad, env: {} }), /expected a JSON object/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents every setting with its env var', () => {
    const t = settingsTable();
    for (const s of Object.values(SETTINGS)) assert.ok(t.includes(s.env), s.env);
  });
});
