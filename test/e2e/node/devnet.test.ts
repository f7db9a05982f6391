// The devnet end to end, in-process (anvil, deployed protocol with the generated UltraHonk
// verifiers behind HonkVerifierRouter, INSECURE dev CRS, one node with every role, real proofs):
// two blocks are proposed, revealed, committed, proven, verified ON L1, and paid; a generated tx
// reaches `verified` on the status ladder through the HTTP API. The only real-proof node test
// (two single_1 proofs, a few minutes on a loaded 2-core machine).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEVNET_DEFAULTS, Devnet } from '../../../node/cli/devnet.js';

test('devnet: 2 slots with real proofs verified on L1, correct payouts, a tx reaches verified', { timeout: 20 * 60_000 }, async () => {
  const lines: string[] = [];
  const devnet = new Devnet({ ...DEVNET_DEFAULTS, slots: 2, timeoutSec: 1100, out: (l) => lines.push(l) });
  after(() => devnet.stop());
  const r = await devnet.run();
  assert.equal(r.slots, 2);
  assert.equal(r.realProofs, true);
  assert.match(r.l1Verifier, /^honk-router/);
  assert.equal(r.slashed, 0, lines.join('\n'));
  assert.equal(r.verified, 2, lines.join('\n'));
  assert.equal(r.slotToVerifiedMs.length, 2);
  // payouts (contract config: blockReward 10, submissionReward 1, tip 1, prover share 20%)
  const E18 = 10n ** 18n;
  const blockReward = BigInt(r.payouts.blockReward);
  const submission = BigInt(r.payouts.submissionReward);
  assert.equal(BigInt(r.payouts.prover), 2n * (E18 + (blockReward * 2000n) / 10000n), 'prover: tip + 20% of the block reward, per block');
  assert.equal(BigInt(r.payouts.sequencer), 2n * (blockReward - (blockReward * 2000n) / 10000n));
  assert.equal(BigInt(r.payouts.submitter), 2n * submission);
  assert.equal(BigInt(r.payouts.netTokenGain), 2n * (blockReward + submission), 'one key holds every role: it nets the block and submission rewards');
  // a generated tx climbed the whole ladder, seen through the node's API
  const node = devnet.node!;
  const statuses = [];
  for (const h of devnet.txHashes) {
    const res = await fetch(`${node.api!.url}/txs/${h}`);
    assert.equal(res.status, 200);
    statuses.push((await res.json()) as { status: string; at: Record<string, number> });
  }
  const verified = statuses.filter((s) => s.at.verified !== undefined);
  assert.ok(verified.length >= 1, `a tx reaches verified: ${JSON.stringify(statuses)}`);
  for (const s of verified) for (const k of ['pending', 'proposed', 'revealed', 'committed', 'published', 'verified']) assert.ok(s.at[k] !== undefined, `${k} recorded`);
  const blocks = (await (await fetch(`${node.api!.url}/blocks`)).json()) as { blocks: { status: string }[] };
  assert.equal(blocks.blocks.filter((b) => b.status === 'proven').length, 2);
  assert.ok(lines.some((l) => /VERIFIED on L1/.test(l)), 'the live lines show the verification');
});
