// `sidecar node` as a real process against a real anvil and deployment: it starts with the roles
// of its config (flags + env), serves its API, and on SIGINT stops cleanly (exit 0, LevelDB
// closed: the data dir opens again at once); a second process on the same data dir is refused
// with a clear error while the first runs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { WorldState, toHex } from '../../../circuits/l2/index.js';
import { startAnvil } from '../../../node/l1/anvil.js';
import { deployProtocol, saveDeployment } from '../../../node/l1/deploy.js';
import { Store } from '../../../node/storage/index.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import { devWallets } from '../../helpers/anvil.js';

const bin = path.resolve(import.meta.dirname, '../../../node/cli/bin.js');

test('sidecar node: starts from flags/env, serves the API, stops cleanly on SIGINT', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-node-'));
  const anvil = await startAnvil();
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true });
  after(async () => { provider.destroy(); await anvil.stop(); rmSync(dir, { recursive: true, force: true }); });
  const genesis = devnetGenesis(devnetL2Keys(2));
  const [deployer, key] = devWallets(provider, 2);
  const deployment = await deployProtocol({ signer: deployer, params: { genesisRoot: (await WorldState.create(genesis)).root() } });
  saveDeployment(path.join(dir, 'deployment.json'), deployment);
  writeFileSync(path.join(dir, 'genesis.json'), JSON.stringify({ accounts: genesis.map((g) => ({ index: g.index, x: toHex(g.publicKey.x), y: toHex(g.publicKey.y), balance: String(g.balance) })) }));

  const args = [bin, 'node', '--data-dir', dir, '--roles', 'watcher', '--api-port', '0', '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--deployment-file', path.join(dir, 'deployment.json')];
  const env = { ...process.env, SIDECAR_L1_RPC_URL: anvil.rpcUrl, SIDECAR_PRIVATE_KEY: key.privateKey, SIDECAR_LOG_LEVEL: 'info', SIDECAR_METRICS_PORT: '0' };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let api: string | undefined;
  for (let i = 0; i < 600 && !api; i++) {
    api = /"api":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
    if (!api) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(api, `the node logs its API URL:\n${out}`);
  const status = (await (await fetch(`${api}/status`)).json()) as { address: string; roles: string[] };
  assert.equal(status.address, key.address);
  assert.deepEqual(status.roles, ['watcher']);
  // SIDECAR_METRICS_PORT=0: Prometheus on a random port of its own, logged at start
  const metricsUrl = /"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(out)?.[1];
  assert.ok(metricsUrl && !metricsUrl.startsWith(`${api}/`), `the node logs its metrics URL:\n${out}`);
  assert.match(await (await fetch(metricsUrl)).text(), /^sidecar_l1_slot \d+$/m);

  // health and readiness: 200 with every check passing; the version and build info
  const health = await fetch(`${api}/health`);
  const hb = (await health.json()) as { status: string; checks: { name: string; ok: boolean; detail: string }[] };
  // a lone node: L1 and sync pass, p2p has no peer, so it is not healthy (but ready)
  assert.deepEqual(hb.checks.map((c) => c.name), ['l1', 'sync', 'p2p'], 'watcher only: no prover check; p2p is on');
  assert.deepEqual(hb.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`), ['p2p: no peers'], JSON.stringify(hb));
  assert.equal(health.status, 503);
  assert.equal(hb.status, 'unhealthy');
  assert.equal((await fetch(`${api}/ready`)).status, 200);
  const healthOnMetricsPort = await fetch(metricsUrl.replace(/\/metrics$/, '/health'));
  assert.ok([200, 503].includes(healthOnMetricsPort.status), 'the metrics port serves /health too');
  const mtext = await (await fetch(metricsUrl)).text();
  assert.match(mtext, /^sidecar_build_info\{version="\d+\.\d+\.\d+",nodejs="v\d+[^"]*"\} 1$/m);
  assert.match(mtext, /^sidecar_l1_sync_lag_blocks \d+$/m);
  const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 60_000 });
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  // `sidecar status`: a readable summary; --json the raw answers
  const st = spawnSync(process.execPath, [bin, 'status', '--api', api], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, new RegExp(`^node ${key.address} \\(watcher\\), sidecar \\d`, 'm'));
  assert.match(st.stdout, /^L1: head #\d+, slot \d+, phase \w+$/m);
  assert.match(st.stdout, /^chain: pending slot \d+, proven slot \d+, synced to L1 #\d+/m);
  assert.match(st.stdout, /^money \(tokens, since start\): earned nothing yet; withdrawn 0; deposits at risk 0$/m);
  const stj = spawnSync(process.execPath, [bin, 'status', '--api', api, '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal((JSON.parse(stj.stdout) as { status: { address: string } }).status.address, key.address);

  // a key without ETH for gas: refused before the node starts (exit 2)
  const poor = spawnSync(process.execPath, [...args.slice(0, 3), path.join(dir, 'poor'), ...args.slice(4), '--genesis', path.join(dir, 'genesis.json')], { env: { ...env, SIDECAR_PRIVATE_KEY: Wallet.createRandom().privateKey }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(poor.status, 2, poor.stderr);
  assert.match(poor.stderr, /the L1 account 0x[0-9a-fA-F]{40} \(from SIDECAR_PRIVATE_KEY \/ --private-key\) has no ETH for gas/);

  // a second node on the same data dir: a clear error, exit 2, no stack trace
  const second = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(second.status, 2, second.stderr);
  assert.match(second.stderr, /is in use by another sidecar process/);
  assert.doesNotMatch(second.stderr, /\n\s+at /);

  // L1 gone: /health turns 503 and says why (the API itself stays up)
  await anvil.stop();
  let down: { status: number; body: { checks: { name: string; ok: boolean; detail: string }[] } } | undefined;
  for (let i = 0; i < 150; i++) {
    const r = await fetch(`${api}/health`);
    const body = (await r.json()) as { checks: { name: string; ok: boolean; detail: string }[] };
    if (r.status === 503 && body.checks.some((c) => c.name === 'l1' && !c.ok)) { down = { status: r.status, body }; break; }
    await new Promise((res) => setTimeout(res, 200));
  }
  assert.ok(down, '/health answers 503 with a failing l1 check once L1 is unreachable');
  const l1 = down.body.checks.find((c) => c.name === 'l1')!;
  assert.equal(l1.ok, false);
  assert.match(l1.detail, /no L1 head for \d+ s: /);

  child.kill('SIGINT');
  assert.equal(await exited, 0, out);
  const store = await Store.open(path.join(dir, 'db'));
  await store.close();
});
