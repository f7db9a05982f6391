// The node's chain metrics on /metrics, on a real node (anvil with the stand-in SignatureVerifier,
// LevelDB, ChainSync): a sequencer that commits itself as the prover (a quote it signs, so it
// funds the deposit) has that deposit at risk while the block is unproven; once the proof lands
// (the stand-in proof is put in the proof book, where the prover role would put a real one; the
// submitter sends it) nothing is at risk and the rewards credited to it show by kind.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorldState, signTx } from '../../../circuits/l2/index.js';
import { devnetGenesis, devnetL2Keys } from '../../../node/cli/devnet.js';
import { signatureProof } from '../../../node/l1/signature-verifier.js';
import { SidecarNode } from '../../../node/node.js';
import { waitFor } from '../../helpers/p2p.js';
import { useProtocol } from '../../helpers/protocol.js';
import { proofRecipient } from '../../../node/roles/proof-check.js';

const E18 = 10n ** 18n;
const keys = devnetL2Keys(2);
const genesis = devnetGenesis(keys, 1000n);
const fx = await useProtocol({ accounts: 3, params: { genesisRoot: (await WorldState.create(genesis)).root(), provingBlocks: 20 } });
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-metrics-'));
const client = fx.clients[1];
const me = fx.wallets[1].address;
const { deployment } = fx;

let oneCommitted = false;
const node = await SidecarNode.start({
  dataDir: dir, roles: ['sequencer', 'submitter'], client, genesis, pollMs: 50,
  metrics: { host: '127.0.0.1', port: 0 },
  sequencer: {
    tip: 2n * E18, rewardShareBps: 5000, maxTxs: 4, deposit: 100n * E18, selfProve: false,
    policy: { mayPropose: () => !oneCommitted }, // one block is enough (a missed phase under load: it tries the next slot)
    // it commits itself as the prover through a quote it signs (prover-funded deposit)
    chooseProver: async (slot, blockHash) => {
      const t = await client.slotTiming(slot);
      const quote = { slot: BigInt(slot), blockHash, prover: me, fee: 1n * E18, deposit: 150n * E18, proverFundsDeposit: true, validUntilBlock: BigInt(t.commitEnd - 1) };
      return { quote, signature: await client.signQuote(quote) };
    },
  },
  // the stand-in verifier's "proof": the deployer's signature over the block's L1 public inputs
  encodeProof: async (slot, p) => ({ proof: await signatureProof(fx.deployer, deployment.verifier, deployment.chainId, await client.publicInputs(slot, slot, proofRecipient(p.publicInputs)!)) }),
});
after(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<string> {
  return (await fetch(`${node.metricsServer!.url}/metrics`)).text();
}
function value(text: string, name: string, labels = ''): number | undefined {
  const m = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Mines L1 blocks, each once the node has seen the last one, until `cond`; bounded. */
async function mineUntil(cond: () => Promise<boolean>, what: string, max = 200): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await cond()) return;
    const head = await fx.provider.getBlockNumber();
    await waitFor(() => (node.view?.head ?? -1) >= head, `the node at L1 block ${head}`, 5000);
    await new Promise((r) => setTimeout(r, 100));
    await fx.mine(1);
  }
  throw new Error(`not reached within ${max} L1 blocks: ${what}`);
}

test('deposit at risk while the committed block is unproven; 0 after the proof, with the rewards by kind', async () => {
  await node.submitTx(signTx({ from: 0, to: 1, amount: 5n, nonce: 0 }, keys[0].secretKey));
  let slot = 0;
  await mineUntil(async () => {
    const own = [...(node.sequencer?.blocks.values() ?? [])].find((b) => b.stage === 'committed' && b.prover);
    if (!own) return false;
    slot = own.slot;
    oneCommitted = true;
    return (await node.chain.block(slot))?.prover !== undefined;
  }, 'a committed block');
  await node.chain.syncTo();
  let text = await scrape();
  assert.equal(value(text, 'sidecar_deposits_at_risk_tokens'), 150e18, 'its own deposit on the unproven block');
  assert.equal(value(text, 'sidecar_blocks', 'status="pending"'), 1);
  assert.equal(value(text, 'sidecar_blocks', 'status="proven"'), 0);
  assert.equal(value(text, 'sidecar_rewards_earned_tokens_total', 'kind="prover"'), undefined, 'nothing earned yet');

  // the proof: where the prover role would put a real one
  const c = (await node.chain.block(slot))!;
  node.proofs.add({
    slot, blockHash: c.blockHash!, source: 'local', knownAt: Date.now(),
    proof: { blockHash: c.blockHash!, slot: BigInt(slot), rootJob: `0x${'00'.repeat(32)}`, circuit: 'stand-in', proof: new Uint8Array(0), publicInputs: [], proven: 0, reused: 0, elapsedMs: 0 },
  });
  await mineUntil(async () => (await node.chain.block(slot))?.status === 'proven', 'the block proven on L1');
  const cfg = await client.config();
  const tipShare = 2n * E18 + cfg.blockReward * 5000n / 10000n;
  await waitFor(async () => value(await scrape(), 'sidecar_rewards_earned_tokens_total', 'kind="submission"') !== undefined, 'the rewards read from the BlockProven log');
  text = await scrape();
  assert.equal(value(text, 'sidecar_deposits_at_risk_tokens'), 0);
  assert.equal(value(text, 'sidecar_blocks', 'status="pending"'), 0);
  assert.equal(value(text, 'sidecar_blocks', 'status="proven"'), 1);
  assert.equal(value(text, 'sidecar_rewards_earned_tokens_total', 'kind="prover"'), Number(tipShare), 'tip + reward share');
  assert.equal(value(text, 'sidecar_rewards_earned_tokens_total', 'kind="sequencer"'), Number(cfg.blockReward - cfg.blockReward * 5000n / 10000n));
  assert.equal(value(text, 'sidecar_rewards_earned_tokens_total', 'kind="submission"'), Number(cfg.submissionReward));
  // and L1 agrees: its credit is the rewards plus its deposit back
  assert.equal(await client.creditOf(me), tipShare + (cfg.blockReward - cfg.blockReward * 5000n / 10000n) + cfg.submissionReward + 150n * E18);
  await node.stop(); // before the fixture's anvil and provider go (its after hooks run first)
});
