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
import { JsonRpcProvider } from 'ethers';
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

  // a second node on the same data dir: a clear error, exit 2, no stack trace
  const second = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(second.status, 2, second.stderr);
  assert.match(second.stderr, /is in use by another sidecar process/);
  assert.doesNotMatch(second.stderr, /\n\s+at /);

  child.kill('SIGINT');
  assert.equal(await exited, 0, out);
  const store = await Store.open(path.join(dir, 'db'));
  await store.close();
});
