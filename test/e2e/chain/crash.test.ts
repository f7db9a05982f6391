// kill -9 during an L1 catch-up: a sync process is killed (SIGKILL) at moments that land inside
// its catch-up, restarted on the same LevelDB dir each time, and must end with exactly what one
// uninterrupted sync derives (states, chains, block records, tx statuses): every event applied once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ChainSync } from '../../../node/chain/index.js';
import { SidecarClient } from '../../../node/l1/client.js';
import { saveDeployment } from '../../../node/l1/deploy.js';
import { signatureProof } from '../../../node/l1/signature-verifier.js';
import { Store } from '../../../node/storage/index.js';
import { makeL2 } from '../../helpers/l2.js';
import { useProtocol } from '../../helpers/protocol.js';

const E18 = 10n ** 18n;
const l2 = await makeL2(4);
const genesis = l2.keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 1_000_000n }));
const fx = await useProtocol({
  params: {
    genesisRoot: l2.genesisRoot, proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 40, submissionBlocks: 4,
    earlyProofs: true, reorgWindow: 8, activationDelay: 1,
  },
  accounts: 4,
});
const [admin, seqA, seqB, prover] = fx.clients;
const P = await prover.address();
const root = mkdtempSync(path.join(tmpdir(), 'sidecar-chain-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Every record a sync derived, without wall-clock times. */
async function dump(dir: string): Promise<unknown> {
  const store = await Store.open(dir);
  try {
    const sync = await ChainSync.open({ store, client: SidecarClient.connect({ deployment: fx.deployment, rpc: fx.provider }), genesis });
    const r = sync.repos;
    const all = async <V>(repo: { entries(): AsyncGenerator<[string, V]> }, strip: (v: V) => unknown = (v) => v) => {
      const out: [string, unknown][] = [];
      for await (const [k, v] of repo.entries()) out.push([k, strip(v)]);
      return out;
    };
    return {
      head: sync.head(),
      canonical: await all(r.canonical), pending: await all(r.pending), proven: await all(r.proven),
      revealed: await all(r.revealed), proposals: await all(r.proposals), state: await all(r.state),
      txs: await all(r.txs, (t) => ({ status: t.status, slot: t.slot, blockHash: t.blockHash, reached: Object.keys(t.at).sort() })),
    };
  } finally {
    await store.close();
  }
}

function runChild(dir: string, depFile: string, killAfterNotices: number | undefined): Promise<{ killed: boolean; done: boolean; notices: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'e2e', 'chain', 'fixtures', 'sync-child.ts'), fx.anvil.rpcUrl, depFile, dir], {
      cwd: path.resolve(import.meta.dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIDECAR_LOG_LEVEL: 'error' },
    });
    let notices = 0;
    let done = false;
    let killed = false;
    let buf = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = JSON.parse(line) as { notice?: string; done?: boolean };
        if (m.notice) notices++;
        if (m.done) done = true;
        if (killAfterNotices !== undefined && notices >= killAfterNotices && !killed && !done) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sync child did not finish: ${err}`)); }, 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      if (!killed && code !== 0) reject(new Error(`sync child exited ${code ?? signal}: ${err}`));
      else resolve({ killed: killed && signal === 'SIGKILL', done, notices });
    });
  });
}

test('kill -9 at any moment of a catch-up: restarts resume exactly, same result as one uninterrupted sync', { timeout: 120_000 }, async () => {
  // an L1 history with every kind of chain event: 6 blocks of 6 txs, 4 proven, then a slash invalidating 1
  await seqA.stake(1000n * E18);
  await seqB.stake(1000n * E18);
  await fx.mine(2);
  const first = (await admin.currentSlot()) + 1n;
  const slots: bigint[] = [];
  for (let i = 0; i < 6; i++) {
    const slot = first + BigInt(i);
    const seq = i % 2 ? seqB : seqA;
    const block = l2.buildBlock(slot, 6);
    await fx.nextTxAt(slot, 'proposalStart');
    await seq.propose(slot, block, 1n * E18, 1000);
    await fx.nextTxAt(slot, 'revealStart');
    await seq.reveal(block);
    await fx.nextTxAt(slot, 'commitStart');
    await seq.commitProver(slot, P, 100n * E18);
    slots.push(slot);
  }
  await fx.nextTxAt(slots[5], 'commitEnd');
  for (const s of slots.slice(0, 4)) {
    await prover.submitProof(s, await signatureProof(fx.deployer, fx.deployment.verifier, fx.deployment.chainId, await admin.publicInputs(s, s, await prover.address())));
  }
  await fx.nextTxAt(slots[4], 'deadline');
  await prover.slash(slots[4]);
  await fx.mine(3);

  const depFile = path.join(root, 'deployment.json');
  saveDeployment(depFile, fx.deployment);
  const reference = path.join(root, 'reference');
  {
    // the reference: one uninterrupted sync, in process (same options as the child)
    const store = await Store.open(reference);
    const sync = await ChainSync.open({ store, client: SidecarClient.connect({ deployment: fx.deployment, rpc: fx.provider }), genesis, maxRange: 4, finalityDepth: 2 });
    await sync.start();
    await sync.syncTo();
    await sync.stop();
    await store.close();
  }

  const crashed = path.join(root, 'crashed');
  let kills = 0;
  // kill after 3 and 10 notices of a run (the kill lands while the process keeps applying events);
  // each process start costs seconds on a loaded 2-core machine, so few but deep kills
  for (const at of [3, 10]) {
    const r = await runChild(crashed, depFile, at);
    if (r.killed) kills++;
    if (r.done) break;
  }
  const last = await runChild(crashed, depFile, undefined);
  assert.ok(last.done);
  assert.ok(kills >= 2, `the sync was killed mid-catch-up ${kills} times`);
  assert.deepEqual(await dump(crashed), await dump(reference));
  const d = (await dump(reference)) as { head: { proven: { slot: number }; pending: { slot: number } }; txs: [string, { status: string }][] };
  assert.equal(d.head.proven.slot, Number(slots[3]));
  assert.equal(d.head.pending.slot, Number(slots[3]), 'after the slash the pending tip is the proven tip');
  assert.equal(d.txs.filter(([, t]) => t.status === 'reorged').length, 12);
  assert.equal(d.txs.filter(([, t]) => t.status === 'finalized').length, 24);
});
