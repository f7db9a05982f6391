// The command `sidecar devnet` prints for a second terminal really joins the devnet as an
// independent prover: run as printed (a real `sidecar node` process), it wins one of B's RFQs with
// its lower fee and proves the block (a real proof), which L1 then holds as proven.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { startDevnetProcess } from '../../helpers/devnet-process.js';
import { startNodeProcess } from '../../helpers/node-process.js';

test('the printed join command starts a prover that wins a quote and proves a block', { timeout: 12 * 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-join-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const devnet = startDevnetProcess(['--data-dir', dir, '--verifier', 'signature', '--proving-blocks', '120', '--tx-per-slot', '1', '--max-txs', '1']);
  after(() => devnet.killGroup());
  await devnet.waitForLine(/^devnet: join as an independent prover/, 5 * 60_000, 'the join command');
  const i = devnet.lines.findIndex((l) => l.startsWith('devnet: join as an independent prover'));
  const command = devnet.lines[i + 1].trim();
  t.diagnostic(command);
  const m = /^((?:[A-Z0-9_]+=\S+ )+)npm run sidecar -- node (.+)$/.exec(command);
  assert.ok(m, `a command of the form ENV=... npm run sidecar -- node ...: ${command}`);
  const env = Object.fromEntries(m[1].trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  assert.match(env.SIDECAR_PRIVATE_KEY, /^0x[0-9a-f]{64}$/);
  const joiner = await startNodeProcess(m[2].split(' '), env, { startTimeoutMs: 180_000 });
  after(() => joiner.kill9());
  const quote = await joiner.waitForLog((l) => l.msg === 'quote sent', 6 * 60_000, 'a quote from the joiner');
  const proven = await joiner.waitForLog((l) => l.msg === 'block proven', 6 * 60_000, "the joiner's proof");
  t.diagnostic(`joiner quoted slot ${quote.slot}, proved slot ${proven.slot} in ${proven.ms} ms`);
  // B committed the joiner (the live lines name its address as the prover) and L1 verified the block
  const joinedAddress = String(joiner.logs.find((l) => l.msg === 'node started')?.address);
  await devnet.waitForLine(new RegExp(`\\[B\\] slot ${proven.slot}: committed prover ${joinedAddress}`, 'i'), 60_000, `B committing the joiner for slot ${proven.slot}`);
  await devnet.waitForLine(new RegExp(`^    slot ${proven.slot}: VERIFIED on L1`), 4 * 60_000, `slot ${proven.slot} verified on L1`);
  // its P&L: priced at quote time, settled from L1's BlockProven (revenue = the credited tip + reward share)
  type Entry = { slot: number; expected?: Record<string, string>; realised?: Record<string, string> & { outcome: string } };
  let entry: Entry | undefined;
  for (let i = 0; i < 150 && !entry?.realised; i++) {
    const body = (await (await fetch(`${joiner.api}/pnl`)).json()) as { blocks: Entry[] };
    entry = body.blocks.find((b) => b.slot === Number(proven.slot));
    if (!entry?.realised) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(entry?.expected, `an expected P&L for slot ${proven.slot}`);
  assert.ok(entry.realised, `a realised P&L for slot ${proven.slot}`);
  assert.equal(entry.realised.outcome, 'proven');
  assert.ok(BigInt(entry.realised.revenue) > 0n, 'the credited reward');
  assert.equal(BigInt(entry.realised.profit), BigInt(entry.realised.revenue) - BigInt(entry.realised.provingCost) - BigInt(entry.realised.gasCost) - BigInt(entry.realised.capitalCost));
  assert.ok(BigInt(entry.realised.provingCost) > 0n, 'its measured proving time is costed');
  const settledLog = await joiner.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith(`slot ${proven.slot} settled (proven): realised profit`), 10_000, 'the settlement log line');
  assert.equal(settledLog.profit, entry.realised.profit);
});
