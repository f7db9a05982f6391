// `sidecar devnet` killed with kill -9 (the whole process group, as a user's terminal would) at
// the moments that broke a resume, then `--resume`: the resumed run must reach its --slots and end
// with its JSON line and exactly the slashes its fault plan asks for. Real processes: the devnet
// CLI, anvil (which must die with the devnet: node/l1/anvil-guard.mjs), three nodes over libp2p,
// real proofs (the stand-in SignatureVerifier on L1 keeps it fast).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { anvilStatePath } from '../../../node/cli/devnet.js';
import { startDevnetProcess, waitPortClosed } from '../../helpers/devnet-process.js';

// one tx per block (single_1 proofs): the test is about resuming, not proof trees
// one tx per block, each block landed alone: the subject is the kill and the resume (not trees, not ranges)
const TXS = ['--tx-per-slot', '1', '--max-txs', '1', '--aggregate-max', '1'];
const COMMON = ['--nodes', '3', '--verifier', 'signature', '--proving-blocks', '60', ...TXS];

function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('kill -9 right after sequencer B proposed, then --resume --slots 2: both sequencers propose again and the run ends', { timeout: 12 * 60_000 }, async (t) => {
  const dir = tempDir('sidecar-kill-b-');
  const run1 = startDevnetProcess(['--data-dir', dir, '--slots', '6', ...COMMON]);
  const m = await run1.waitForLine(/\[B\] slot (\d+): proposed/, 6 * 60_000, "B's first proposal");
  const killedSlot = Number(m[1]);
  const port = run1.anvilPort!;
  await run1.killGroup();
  // the guard stops the orphaned anvil: nothing keeps mining or rewriting the chain file
  await waitPortClosed(port, 15_000);
  assert.ok(existsSync(anvilStatePath(dir)), 'the chain was saved in the data dir');
  t.diagnostic(`killed after B proposed slot ${killedSlot}; anvil on :${port} stopped with it`);

  const run2 = startDevnetProcess(['--data-dir', dir, '--resume', '--slots', '2', '--timeout', '600', ...TXS]);
  const { code, result } = await run2.result(9 * 60_000);
  assert.equal(code, 0, run2.tail());
  assert.ok(result, `a JSON result line${run2.tail()}`);
  assert.equal(result.resumed, true);
  assert.equal(result.run, 2);
  // this run's own proposals: one each (B's block from before the kill counts for neither)
  const fresh = result.blocks.filter((b) => b.slot > killedSlot && b.status !== 'failed');
  assert.deepEqual(fresh.map((b) => b.sequencer).sort(), ['A', 'B'], JSON.stringify(result.blocks));
  for (const b of fresh) assert.equal(b.status, 'proven', JSON.stringify(b));
  assert.equal(result.slashed, 0);
  assert.deepEqual(result.slashes, []);
});

test('kill -9 after prover C\'s first block was verified on L1, --withhold-every 2, then --resume: C withholds exactly its second commitment', { timeout: 14 * 60_000 }, async (t) => {
  const dir = tempDir('sidecar-kill-c-');
  const run1 = startDevnetProcess(['--data-dir', dir, '--slots', '6', '--withhold-every', '2', ...COMMON]);
  const m = await run1.waitForLine(/\[C\] slot (\d+): REAL proof/, 8 * 60_000, "C's first proof");
  const firstSlot = Number(m[1]);
  // settled on L1 before the kill: a counter in memory would restart at 0 and miscount from here
  await run1.waitForLine(new RegExp(`^    slot ${firstSlot}: VERIFIED on L1`), 4 * 60_000, `slot ${firstSlot} verified on L1`);
  const port = run1.anvilPort!;
  await run1.killGroup();
  await waitPortClosed(port, 15_000);
  t.diagnostic(`killed after C proved slot ${firstSlot}`);

  // the recorded options apply on --resume; --withhold-every is a run option: pass it again
  const run2 = startDevnetProcess(['--data-dir', dir, '--resume', '--slots', '2', '--withhold-every', '2', '--timeout', '700', ...TXS]);
  const { code, result } = await run2.result(11 * 60_000);
  assert.equal(code, 0, run2.tail());
  assert.ok(result, `a JSON result line${run2.tail()}`);
  // C's first block (proved before the kill) is never withheld; its second commitment is, and only that one
  const cBlocks = result.blocks.filter((b) => b.prover === 'C').sort((a, b) => a.slot - b.slot);
  assert.ok(!cBlocks.some((b) => b.slot === firstSlot && b.status === 'slashed'), `C's proved block was not slashed: ${JSON.stringify(result.blocks)}`);
  assert.equal(result.slashes.length, 1, `one slash: ${JSON.stringify(result.slashes)}\n${run2.tail()}`);
  assert.equal(result.slashes[0].prover, 'C');
  const second = cBlocks.find((b) => b.slot > firstSlot);
  assert.ok(second, `C was committed to a second block: ${JSON.stringify(result.blocks)}`);
  assert.equal(result.slashes[0].slot, second.slot, 'the slashed block is C\'s second commitment');
  assert.equal(second.status, 'slashed');
});
