// kill -9 a sequencer (`sidecar node --roles sequencer` as a child process, real anvil with the
// stand-in SignatureVerifier, LevelDB; no proofs) right after its propose, before its reveal;
// started again on the same data dir it reveals the sealed block within the reveal phase (L1
// checks the reveal against the sealed commitment: the same block). A tx admitted through the
// API after the propose, still waiting at the kill, is waiting again after the restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { hexlify } from 'ethers';
import { WorldState, encodeSignedTx, signTx, txHash, type SignedTx } from '../../../circuits/l2/index.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import { startNodeProcess, useNodeFiles, type NodeProcess } from '../../helpers/node-process.js';
import { useProtocol } from '../../helpers/protocol.js';

const keys = devnetL2Keys(4);
const genesis = devnetGenesis(keys, 1000n);
const fx = await useProtocol({ accounts: 2, params: { genesisRoot: (await WorldState.create(genesis)).root(), provingBlocks: 8, submissionBlocks: 2 } });
const { root, depFile, genesisFile } = useNodeFiles('sidecar-kill-seq-', fx.deployment, genesis);
const seq = fx.wallets[1];
const args = ['--data-dir', path.join(root, 'node'), '--roles', 'sequencer', '--deployment-file', depFile, '--genesis', genesisFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0'];
const env = { SIDECAR_L1_RPC_URL: fx.anvil.rpcUrl, SIDECAR_PRIVATE_KEY: seq.privateKey, SIDECAR_METRICS_PORT: '-1', SIDECAR_SEQUENCER_SELF_PROVE: 'false' };

const tx = (from: number, nonce: number): SignedTx => signTx({ from, to: (from + 1) % 4, amount: 10n, nonce }, keys[from].secretKey);
async function post(n: NodeProcess, t: SignedTx): Promise<void> {
  const res = await fetch(`${n.api}/txs`, { method: 'POST', body: JSON.stringify({ tx: hexlify(encodeSignedTx(t)) }), headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 200, await res.text());
}
const ladder = async (n: NodeProcess, t: SignedTx) => ((await (await fetch(`${n.api}/txs/${txHash(t)}`)).json()) as { status?: string }).status;
const mempoolSize = async (n: NodeProcess) => ((await (await fetch(`${n.api}/status`)).json()) as { mempool: number }).mempool;

/** Bounded: mines one block at a time (never past block `last`) until `pred` holds. */
async function drive(pred: () => boolean | Promise<boolean>, last: number, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 200));
    if (await pred()) return;
    if ((await fx.provider.getBlockNumber()) < last) await fx.mine();
  }
  assert.fail(`no ${what} by block ${last}`);
}

test('kill -9 between propose and reveal: the restarted sequencer reveals the sealed block; its waiting tx is back', { timeout: 120_000 }, async () => {
  const n1 = await startNodeProcess(args, env);
  const t0 = tx(0, 0);
  await post(n1, t0);
  const isProposed = (l: { event?: unknown; msg?: string }) => l.event === 'proposed';
  // the node stakes on its first tick, then proposes in the first slot it is eligible for
  await drive(() => n1.logs.some(isProposed), (await fx.provider.getBlockNumber()) + 40, 'proposal');
  const msg = String(n1.logs.find(isProposed)!.msg);
  const slot = Number(/^slot (\d+): proposed block/.exec(msg)?.[1]);
  assert.match(msg, /with 1 txs/);
  const t1 = tx(1, 0);
  await post(n1, t1); // waits in the mempool: the slot's block is sealed
  await n1.kill9();
  const timing = await fx.clients[0].slotTiming(slot);
  assert.ok((await fx.provider.getBlockNumber()) < timing.revealStart, 'killed before the reveal phase');
  const sealed = await fx.clients[0].getProposal(slot, seq.address);
  assert.ok(sealed?.exists && !sealed.revealed);

  const n2 = await startNodeProcess(args, env);
  try {
    await n2.waitForLog((l) => /restored own block of slot/.test(String(l.msg)), 5_000, 'the own block restored');
    assert.equal(await mempoolSize(n2), 1, 'the waiting tx is back; the sealed block keeps its own');
    assert.equal(await ladder(n2, t1), 'pending');
    assert.equal(await ladder(n2, t0), 'proposed');
    await drive(async () => (await fx.clients[0].getProposal(slot, seq.address))?.revealed === true, timing.commitStart - 1, 'reveal on L1');
    const revealed = await n2.waitForLog((l) => l.event === 'revealed', 10_000, 'the revealed event');
    assert.match(String(revealed?.msg), new RegExp(`^slot ${slot}: revealed block`));
    const l1Block = Number(/L1 #(\d+)/.exec(String(revealed?.msg))?.[1]);
    assert.ok(l1Block >= timing.revealStart && l1Block < timing.commitStart, `revealed at L1 #${l1Block}, within the reveal phase`);
    const p = await fx.clients[0].getProposal(slot, seq.address);
    assert.equal(p!.commitment, sealed!.commitment, 'the sealed commitment it opened');
    await drive(async () => (await ladder(n2, t0)) === 'revealed', timing.commitStart - 1, 'ladder: revealed');
  } finally {
    assert.equal(await n2.stop(), 0);
  }
});
