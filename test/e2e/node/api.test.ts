// The node's HTTP API on a real node (anvil, deployed protocol, LevelDB, ChainSync, libp2p on 127.0.0.1; watcher
// role only, so no proving): status routes answer, a valid signed tx enters the mempool and its
// ladder says `pending`, and malformed requests get 4xx JSON errors that name the problem.
// Prometheus metrics (node and p2p) answer on the API and on their own port, closed on stop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hexlify } from 'ethers';
import { WorldState, encodeSignedTx, signTx, txHash } from '../../../circuits/l2/index.js';
import { SidecarClient } from '../../../node/l1/client.js';
import { deployProtocol } from '../../../node/l1/deploy.js';
import { SidecarNode } from '../../../node/node.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import { JsonRpcProvider } from 'ethers';
import { startAnvil, type Anvil } from '../../../node/l1/anvil.js';
import { devWallets } from '../../helpers/anvil.js';

const keys = devnetL2Keys(3);
const genesis = devnetGenesis(keys, 1000n);
let node: SidecarNode;
let url: string;
let anvil: Anvil;
let provider: JsonRpcProvider;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-api-'));

before(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true, pollingInterval: 50 });
  const [deployer, nodeKey] = devWallets(provider, 2);
  const deployment = await deployProtocol({ signer: deployer, params: { genesisRoot: (await WorldState.create(genesis)).root() } });
  const client = SidecarClient.connect({ deployment, rpc: provider, signer: nodeKey });
  node = await SidecarNode.start({
    dataDir: dir, roles: ['watcher'], client, genesis, api: { host: '127.0.0.1', port: 0 }, metrics: { host: '127.0.0.1', port: 0 }, pollMs: 100,
    p2p: { listen: ['/ip4/127.0.0.1/tcp/0'], ipColocationWeight: 0 },
  });
  url = node.api!.url;
});
after(async () => {
  await node?.stop();
  provider?.destroy();
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, p: string, body?: string, type = 'application/json') {
  const res = await fetch(`${url}${p}`, { method, body, headers: body !== undefined ? { 'content-type': type } : {} });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

test('status, slot, peers, blocks, proving answer', async () => {
  const s = await call('GET', '/status');
  assert.equal(s.status, 200);
  assert.equal(s.json.address, node.address);
  assert.deepEqual(s.json.roles, ['watcher']);
  assert.equal(s.json.chain.pending.slot, 0);
  assert.equal((await call('GET', '/peers')).json.peers.length, 0);
  assert.deepEqual((await call('GET', '/blocks')).json.blocks, []);
  assert.deepEqual((await call('GET', '/proving')).json.active, []);
  for (let i = 0; i < 50 && !node.view; i++) await new Promise((r) => setTimeout(r, 100));
  const slot = await call('GET', '/slot');
  assert.equal(typeof slot.json.head, 'number');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, new RegExp(`sidecar_l1_slot ${slot.json.slot}\\b`));
  assert.match(metrics, /sidecar_l1_phase \d/);
  assert.match(metrics, /sidecar_queue_depth\{queue="mempool"\} 0/);
  // the p2p layer's metrics are in the same registry
  assert.match(metrics, /^sidecar_p2p_peers 0$/m);
  assert.match(metrics, /^# TYPE sidecar_gossip_messages_total counter$/m);
  assert.match(metrics, /^sidecar_p2p_queue_depth\{topic="[^"]+"\} 0$/m);
});

test('POST /txs: a valid tx is pending; bad signature, nonce, hex, body and JSON are 4xx with a clear error', async () => {
  const ok = signTx({ from: 0, to: 1, amount: 7n, nonce: 0 }, keys[0].secretKey);
  const r = await call('POST', '/txs', JSON.stringify({ tx: hexlify(encodeSignedTx(ok)) }));
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.txHash, txHash(ok));
  const ladder = await call('GET', `/txs/${txHash(ok)}`);
  assert.equal(ladder.status, 200);
  assert.equal(ladder.json.status, 'pending');
  assert.ok(ladder.json.at.executed <= ladder.json.at.pending);

  const forged = signTx({ from: 1, to: 0, amount: 1n, nonce: 0 }, keys[2].secretKey);
  const bad = await call('POST', '/txs', JSON.stringify({ tx: hexlify(encodeSignedTx(forged)) }));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'BAD_SIGNATURE');
  assert.match(bad.json.error.message, /bad signature for sender account 1/);

  const far = signTx({ from: 2, to: 0, amount: 1n, nonce: 500 }, keys[2].secretKey);
  const nf = await call('POST', '/txs', JSON.stringify({ tx: hexlify(encodeSignedTx(far)) }));
  assert.equal(nf.status, 400);
  assert.equal(nf.json.error.code, 'NONCE_TOO_FAR');

  const dup = await call('POST', '/txs', JSON.stringify({ tx: hexlify(encodeSignedTx(ok)) }));
  assert.equal(dup.status, 400);
  assert.equal(dup.json.error.code, 'DUPLICATE');

  const short = await call('POST', '/txs', JSON.stringify({ tx: '0x1234' }));
  assert.equal(short.status, 400);
  assert.match(short.json.error.message, /signed tx must be 96 bytes, got 2/);
  assert.equal((await call('POST', '/txs', JSON.stringify({ tx: 'zz' }))).json.error.message, 'tx must be 0x-prefixed hex');
  assert.equal((await call('POST', '/txs', JSON.stringify({ nope: 1 }))).status, 400);
  assert.equal((await call('POST', '/txs', '{bad json')).json.error.code, 'BAD_JSON');
  assert.equal((await call('POST', '/txs', 'x', 'text/plain')).status, 415);
  assert.equal(node.mempool.size, 1, 'refused txs added nothing and lost nothing');
});

test('GET with malformed parameters: 400; unknown tx or slot: 404; unknown route: 404', async () => {
  const h = await call('GET', '/txs/0x1234');
  assert.equal(h.status, 400);
  assert.equal(h.json.error.code, 'BAD_HASH');
  assert.equal((await call('GET', `/txs/0x${'ab'.repeat(32)}`)).status, 404);
  const s = await call('GET', '/blocks/abc');
  assert.equal(s.status, 400);
  assert.match(s.json.error.message, /slot must be a whole number/);
  assert.equal((await call('GET', '/blocks/7')).status, 404);
  assert.equal((await call('GET', '/blocks?limit=-3')).status, 400);
  assert.equal((await call('GET', '/nowhere')).status, 404);
  assert.equal((await call('POST', '/status', '{}')).status, 405);
});

test('Prometheus /metrics on its own port (metricsPort): node and p2p metrics; only /metrics; closed on stop', async () => {
  const m = node.metricsServer!;
  assert.ok(m, 'the metrics server runs');
  assert.notEqual(m.port, node.api!.port);
  const res = await fetch(`${m.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /^sidecar_l1_slot \d+$/m);
  assert.match(text, /^sidecar_p2p_peers 0$/m);
  assert.match(text, /^sidecar_process_cpu_seconds_total /m);
  const other = await fetch(`${m.url}/status`);
  assert.equal(other.status, 404, 'the metrics port serves no API routes');
  await other.text();

  await node.stop();
  await assert.rejects(fetch(`${m.url}/metrics`), /fetch failed/, 'the metrics port is closed on stop');
});
