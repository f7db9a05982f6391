// The dashboard in a real browser: Debian's chromium (headless) driven by playwright-core loads
// the pages of a running 3-node devnet (anvil, the stand-in L1 verifier, real proofs with bb.js)
// from the URLs the devnet prints: A a self-proving sequencer, B a sequencer buying its proofs by
// RFQ, C the prover answering. Each page connects to /events. On A the block's proof tree appears
// as an SVG with its job running on the local pool, then done, without a reload (server-sent
// events); on C the tree of the block B bought from it. Then the slot timeline shows the blocks
// proven, A's money panel its rewards, B's market panel the RFQ with C the winner at its fee, C's
// its quote won; each node shows its two peers. No page error, nothing fetched from elsewhere.
// Screenshots go to a temp dir (printed).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DEVNET_DEFAULTS, Devnet } from '../../../node/cli/devnet.js';
import type { ProofTree } from '../../../node/api/tree.js';
import { waitFor } from '../../helpers/p2p.js';

const CHROMIUM = '/usr/bin/chromium';
const MIN = 60_000;
const E18 = 10n ** 18n;

interface State {
  market: { winRate: number | null; history: { kind: string; slot: number; winner?: string; fee?: string; outcome?: string }[] };
  money: { rewards: Record<string, string> };
  network: { peers: { peerId: string; score: number }[] };
}

test('the dashboards of a running 3-node devnet in chromium: proof trees go from running to done live; blocks proven, market and money shown', { skip: !existsSync(CHROMIUM) && !process.env.CI && `no ${CHROMIUM} (apt-get install chromium; .ci/run does)`, timeout: 25 * MIN }, async (t) => {
  const lines: string[] = [];
  const devnet = new Devnet({ ...DEVNET_DEFAULTS, txPerSlot: 1, maxTxs: 1, nodes: 3, verifier: 'signature', slots: 2, timeoutSec: 1200, out: (l) => lines.push(l) });
  after(() => devnet.stop());
  const running = devnet.run();
  let result: Awaited<typeof running> | undefined;
  let failed: unknown;
  running.then((r) => { result = r; }, (e) => { failed = e; });
  const log = () => `\n${lines.slice(-40).join('\n')}`;

  // the URLs the devnet prints, one per node
  const printed = () => lines.map((l) => /^devnet: node ([ABC]) .* dashboard (http:\/\/127\.0\.0\.1:\d+\/)/.exec(l)).filter((m) => m !== null);
  await waitFor(() => failed !== undefined || printed().length === 3, 'the devnet\'s dashboard lines', 10 * MIN);
  assert.equal(failed, undefined, `the devnet failed: ${String(failed)}${log()}`);
  const url = Object.fromEntries(printed().map((m) => [m[1], m[2]])) as Record<'A' | 'B' | 'C', string>;
  for (const n of devnet.nodes) assert.equal(url[n.label as 'A' | 'B' | 'C'], `${n.node.api!.url}/`, `node ${n.label}'s own API port`);
  assert.equal(new Set(Object.values(url)).size, 3);
  const addr = Object.fromEntries(devnet.nodes.map((n) => [n.label, n.node.address])) as Record<'A' | 'B' | 'C', string>;
  const state = async (n: 'A' | 'B' | 'C') => (await (await fetch(`${url[n]}dashboard/state`)).json()) as State;

  const profile = mkdtempSync(path.join(os.tmpdir(), 'sidecar-chromium-'));
  const shots = mkdtempSync(path.join(os.tmpdir(), 'sidecar-dashboard-'));
  let ctx: BrowserContext | undefined;
  after(async () => {
    await ctx?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  });
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 1200 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors: string[] = [];
  const outside: string[] = [];
  const navigations: string[] = [];
  const pages = {} as Record<'A' | 'B' | 'C', Page>;
  for (const n of ['A', 'B', 'C'] as const) {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(`${n}: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith(url[n])) outside.push(r.url()); });
    await page.goto(url[n]);
    await page.waitForSelector('#live.on', { timeout: 30_000 });
    assert.match((await page.textContent('#node'))!, new RegExp(addr[n]));
    page.on('framenavigated', (f) => navigations.push(`${n}: ${f.url()}`));
    pages[n] = page;
  }
  const shot = async (name: string) => {
    for (const n of ['A', 'B', 'C'] as const) await pages[n].screenshot({ path: path.join(shots, `${name}-${n}.png`), fullPage: true });
  };

  /** On a node's page: a job of its tree running on the local pool, then done, in place (`seeRunning`: a tree already done is not enough). */
  async function treeRunsThenDone(n: 'A' | 'C', name: string, seeRunning: boolean): Promise<string> {
    const page = pages[n];
    const job = page.locator(seeRunning ? '#tree svg g.job[data-state="running"]' : '#tree svg g.job:is([data-state="running"], [data-state="done"])').first();
    await job.waitFor({ timeout: 10 * MIN });
    const jobId = (await job.getAttribute('data-job'))!;
    const blockHash = (await page.getAttribute('#tree svg', 'data-block'))!;
    assert.match(blockHash, /^0x[0-9a-f]{64}$/);
    if ((await job.getAttribute('data-state')) === 'running') {
      assert.match((await job.textContent())!, /running/);
      assert.match((await job.textContent())!, /local (pool|worker)/);
      await shot(name);
    }
    const done = page.locator(`#tree svg[data-block="${blockHash}"] g.job[data-job="${jobId}"][data-state="done"]`);
    await done.waitFor({ timeout: 10 * MIN });
    assert.match((await done.textContent())!, /local worker \d+/);
    assert.match((await done.textContent())!, /\d(\.\d)? (s|ms)/, 'its proving time');
    const tree = (await (await fetch(`${url[n]}proving/tree/${blockHash}`)).json()) as ProofTree;
    assert.equal(tree.jobs.find((j) => j.id === jobId)?.state, 'done', 'the API\'s view of the same tree');
    return blockHash;
  }

  // A self-proves the first block, C proves the one B bought from it (it may be done by the time A's is)
  const hashA = await treeRunsThenDone('A', '1-A-proving', true);
  const hashC = await treeRunsThenDone('C', '2-C-proving', false);
  assert.notEqual(hashA, hashC);

  await waitFor(() => result !== undefined || failed !== undefined, 'the devnet\'s slots settled', 10 * MIN);
  assert.equal(failed, undefined, `the devnet failed: ${String(failed)}${log()}`);
  assert.deepEqual(result!.blocks.map((b) => [b.sequencer, b.path, b.prover, b.status, b.blockHash]), [['A', 'self', 'A', 'proven', hashA], ['B', 'rfq', 'C', 'proven', hashC]], log());
  const [t0, t1] = result!.blocks;

  // the timeline: both blocks proven, on every node's page
  for (const n of ['A', 'B', 'C'] as const) {
    for (const b of [t0, t1]) await pages[n].waitForSelector(`#slots tr[data-slot="${b.slot}"] .stages[data-stage="proven"]`, { timeout: 2 * MIN });
  }
  // the market: B's RFQ won by C at its fee (C's base fee: nothing else in flight), C's quote won
  await waitFor(async () => (await state('C')).market.winRate === 1, 'C\'s win rate', 2 * MIN);
  const rfq = (await state('B')).market.history.find((r) => r.kind === 'rfq' && r.slot === t1.slot);
  assert.equal(rfq?.winner, addr.C);
  assert.equal(rfq?.fee, String(E18 / 10n));
  assert.equal((await state('C')).market.history.find((r) => r.kind === 'quote' && r.slot === t1.slot)?.outcome, 'won');
  await pages.B.locator('#market td', { hasText: `winner ${addr.C.slice(0, 10)}` }).waitFor({ timeout: 30_000 });
  await pages.C.locator('#market [data-win-rate]', { hasText: '100% (1 of 1)' }).waitFor({ timeout: 30_000 });
  // money: A's prover reward for its own block, C's for the one it sold
  for (const n of ['A', 'C'] as const) {
    await waitFor(async () => BigInt((await state(n)).money.rewards.prover ?? 0) > 0n, `${n}'s prover reward`, 2 * MIN);
    await pages[n].locator('#money', { hasText: /prover rewards\s*[1-9]/ }).waitFor({ timeout: 30_000 });
  }
  // C's prover P&L: the block it sold, priced when it quoted and settled as proven; its breaker closed
  await pages.C.locator('#money [data-breaker="closed"]').waitFor({ timeout: 30_000 });
  await pages.C.locator(`#money [data-pnl] tr[data-slot="${t1.slot}"][data-outcome="proven"]`).waitFor({ timeout: 2 * MIN });
  // peers: each node sees the other two, with their gossip scores
  for (const n of ['A', 'B', 'C'] as const) {
    assert.equal((await state(n)).network.peers.length, 2, `${n}'s peers`);
    assert.equal(await pages[n].locator('#network table').first().locator('tr').count(), 3, `${n}'s peers table: a header and 2 peers`);
  }
  await shot('3-proven');
  t.diagnostic(`screenshots in ${shots}: 1-A-proving-*.png (A's tree running), 2-C-proving-*.png (C's, if still running), 3-proven-*.png (the end)`);
  assert.deepEqual(errors, [], 'no error on the pages');
  assert.deepEqual(outside, [], 'nothing fetched from anywhere but the node');
  assert.deepEqual(navigations, [], 'updated in place, never reloaded');
});
