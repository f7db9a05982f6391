// `sidecar devnet --data-dir D`, then a rerun with --resume: the second run continues the same
// chain (anvil's --state file in D), the same deployment (no redeploy, no funding, no staking) and
// the node's own LevelDB (ChainSync catches up from its cursor). Fast: one node, the stand-in
// SignatureVerifier on L1 (the block proofs are still real bb.js single_1 proofs), one slot per run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEVNET_DEFAULTS, DEVNET_RECORD_FILE, Devnet, DevnetSetupError, anvilStatePath, type DevnetOptions, type DevnetRecord } from '../../../node/cli/devnet.js';
import { loadDeployment } from '../../../node/l1/deploy.js';

test('devnet --resume: the second run continues the first one\'s chain, deployment and node data', { timeout: 8 * 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-devnet-resume-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const base: DevnetOptions = {
    ...DEVNET_DEFAULTS, txPerSlot: 1, maxTxs: 1, nodes: 1, phaseBlocks: 3, provingBlocks: 120, verifier: 'signature', slots: 1, dataDir: dir, timeoutSec: 400,
    out: (l) => lines.push(l),
  };
  const log = () => `\n${lines.join('\n')}`;

  // ---- run 1: deploys, proves one block, stops (anvil writes its state into D at exit)
  const d1 = new Devnet(base);
  let r1;
  try { r1 = await d1.run(); } finally { await d1.stop(); }
  t.diagnostic(`run 1: ${r1.durationMs} ms`);
  assert.equal(r1.resumed, false);
  assert.equal(r1.run, 1);
  assert.equal(r1.blocks.length, 1, log());
  const b1 = r1.blocks[0];
  assert.equal(b1.status, 'proven', log());
  assert.ok(existsSync(anvilStatePath(dir)), 'anvil kept its chain in the data dir');
  const dep1 = loadDeployment(path.join(dir, 'deployment.json'));
  const rec1 = JSON.parse(readFileSync(path.join(dir, DEVNET_RECORD_FILE), 'utf8')) as DevnetRecord;
  assert.equal(rec1.sidecar, dep1.sidecar);
  assert.deepEqual({ nodes: rec1.options.nodes, verifier: rec1.options.verifier, phaseBlocks: rec1.options.phaseBlocks }, { nodes: 1, verifier: 'signature', phaseBlocks: 3 });

  // ---- refusals, before anything starts: D holds a devnet and no flag; a conflicting option on --resume
  await assert.rejects(new Devnet(base).run(), (e: Error) => e instanceof DevnetSetupError && /already holds a devnet \(Sidecar 0x[0-9a-fA-F]{40}\): pass --resume to continue it or --fresh/.test(e.message));
  await assert.rejects(new Devnet({ ...base, resume: true, nodes: 3, explicit: ['nodes'] }).run(), /is a devnet with --nodes 1, not --nodes 3/);

  // ---- run 2: --resume, one more slot
  lines.length = 0;
  const d2 = new Devnet({ ...base, resume: true });
  after(() => d2.stop());
  const r2 = await d2.run();
  t.diagnostic(`run 2 (resumed): ${r2.durationMs} ms`);
  assert.equal(r2.resumed, true);
  assert.equal(r2.run, 2);
  assert.ok(!lines.some((l) => /deploying the protocol/.test(l)), `no redeploy${log()}`);
  assert.equal(loadDeployment(path.join(dir, 'deployment.json')).sidecar, dep1.sidecar);
  assert.equal(d2.nodes[0].client.deployment.sidecar, dep1.sidecar, 'run 2 talks to run 1\'s Sidecar');
  assert.equal((JSON.parse(readFileSync(path.join(dir, DEVNET_RECORD_FILE), 'utf8')) as DevnetRecord).runs, 2);
  // the result counts this run's block only, and it is later than run 1's
  assert.equal(r2.blocks.length, 1, log());
  const b2 = r2.blocks[0];
  assert.ok(b2.slot > b1.slot, `run 2's slot ${b2.slot} after run 1's ${b1.slot}`);
  assert.equal(b2.status, 'proven', log());
  assert.equal(r2.verified, 1);
  assert.ok(r2.fromL1Block > dep1.deployBlock, 'the L1 chain continued from the saved state');
  // run 1's block is still proven on L1, and run 2's built on it
  const client = d2.nodes[0].client;
  const l1b1 = await client.getBlock(b1.slot);
  assert.equal(l1b1.status, 'Proven');
  assert.equal(l1b1.blockHash.toLowerCase(), b1.blockHash.toLowerCase());
  assert.equal(Number((await client.getBlock(b2.slot)).parentSlot), b1.slot, 'run 2\'s block builds on run 1\'s');
  assert.equal(r2.l1.lastProvenSlot, b2.slot);
  // the node's LevelDB kept run 1's block and its tx (the API reads them from there)
  const node = d2.nodes[0].node;
  assert.deepEqual((await node.chain.provenChain()).map((x) => x.slot).filter((s) => s === b1.slot || s === b2.slot), [b1.slot, b2.slot]);
  const res = await fetch(`${node.api!.url}/blocks/${b1.slot}`);
  assert.equal(res.status, 200);
  const api = (await res.json()) as { blockHash: string; status: string };
  assert.equal(api.blockHash.toLowerCase(), b1.blockHash.toLowerCase());
  assert.equal(api.status, 'proven');
  for (const h of b1.txHashes) assert.ok((await node.chain.txStatus(h))?.at.verified !== undefined, `run 1's tx ${h} is still verified`);
});
