// The dashboard in a real browser: Debian's chromium (headless) driven by playwright-core loads
// the page of a running one-node devnet (anvil, the stand-in L1 verifier, real proofs with bb.js)
// from the URL the devnet prints. The page connects to /events; the block's proof tree appears
// as an SVG with its job running on the local pool, then done, without a reload (server-sent
// events); the slot timeline shows the block proven, and the money panel its rewards. No page
// error. Screenshots go to a temp dir (printed).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { DEVNET_DEFAULTS, Devnet } from '../../../node/cli/devnet.js';
import type { ProofTree } from '../../../node/api/tree.js';
import { waitFor } from '../../helpers/p2p.js';

const CHROMIUM = '/usr/bin/chromium';
const MIN = 60_000;

test('the dashboard of a running devnet in chromium: the block\'s proof tree appears and goes from running to done, live', { skip: !existsSync(CHROMIUM) && !process.env.CI && `no ${CHROMIUM} (apt-get install chromium; .ci/run does)`, timeout: 20 * MIN }, async (t) => {
  const lines: string[] = [];
  const devnet = new Devnet({ ...DEVNET_DEFAULTS, nodes: 1, phaseBlocks: 3, provingBlocks: 120, verifier: 'signature', slots: 1, timeoutSec: 900, out: (l) => lines.push(l) });
  after(() => devnet.stop());
  const running = devnet.run();
  let result: Awaited<typeof running> | undefined;
  let failed: unknown;
  running.then((r) => { result = r; }, (e) => { failed = e; });
  const log = () => `\n${lines.slice(-40).join('\n')}`;

  // the URL the devnet prints for its node
  await waitFor(() => failed !== undefined || lines.some((l) => / dashboard http:\/\/127\.0\.0\.1:\d+\//.test(l)), 'the devnet\'s dashboard line', 10 * MIN);
  assert.equal(failed, undefined, `the devnet failed: ${String(failed)}${log()}`);
  const url = / dashboard (http:\/\/127\.0\.0\.1:\d+\/)/.exec(lines.find((l) => / dashboard http/.test(l))!)![1];
  assert.equal(url, `${devnet.node!.api!.url}/`);

  const profile = mkdtempSync(path.join(os.tmpdir(), 'sidecar-chromium-'));
  const shots = mkdtempSync(path.join(os.tmpdir(), 'sidecar-dashboard-'));
  let ctx: BrowserContext | undefined;
  after(async () => {
    await ctx?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  });
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 1100 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const outside: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) outside.push(r.url()); });
  await page.goto(url);
  await page.waitForSelector('#live.on', { timeout: 30_000 });
  assert.match((await page.textContent('#node'))!, new RegExp(devnet.node!.address));

  // the tree appears with its job running on this node's pool, then done: events, no reload
  const job = page.locator('#tree svg g.job[data-state="running"]').first();
  await job.waitFor({ timeout: 10 * MIN });
  const jobId = (await job.getAttribute('data-job'))!;
  const blockHash = (await page.getAttribute('#tree svg', 'data-block'))!;
  assert.match(blockHash, /^0x[0-9a-f]{64}$/);
  assert.match((await job.textContent())!, /running/);
  assert.match((await job.textContent())!, /local (pool|worker)/);
  await page.screenshot({ path: path.join(shots, '1-running.png'), fullPage: true });
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));
  const done = page.locator(`#tree svg g.job[data-job="${jobId}"][data-state="done"]`);
  await done.waitFor({ timeout: 10 * MIN });
  assert.match((await done.textContent())!, /local worker \d+/);
  assert.match((await done.textContent())!, /\d(\.\d)? (s|ms)/, 'its proving time');
  assert.deepEqual(navigations, [], 'updated in place, not reloaded');
  // the API's view of the same tree
  const tree = (await (await fetch(`${url}proving/tree/${blockHash}`)).json()) as ProofTree;
  assert.equal(tree.jobs.find((j) => j.id === jobId)?.state, 'done');
  await page.waitForSelector('#tree-head b[data-tree-status="done"]', { timeout: 2 * MIN });

  // the block settles: proven on L1; the slot timeline and the money panel follow
  await waitFor(() => result !== undefined || failed !== undefined, 'the devnet\'s slot settled', 10 * MIN);
  assert.equal(failed, undefined, `the devnet failed: ${String(failed)}${log()}`);
  assert.equal(result!.verified, 1, log());
  const slot = result!.blocks[0].slot;
  await page.waitForSelector(`#slots tr[data-slot="${slot}"] .stages[data-stage="proven"]`, { timeout: 2 * MIN });
  await waitFor(async () => ((await (await fetch(`${url}dashboard/state`)).json()) as { money: { rewards: Record<string, number> } }).money.rewards.prover > 0, 'the prover reward read', 2 * MIN);
  await page.locator('#money', { hasText: /prover rewards\s*[1-9]/ }).waitFor({ timeout: 30_000 });
  await page.screenshot({ path: path.join(shots, '2-proven.png'), fullPage: true });
  t.diagnostic(`screenshots: ${path.join(shots, '1-running.png')} and ${path.join(shots, '2-proven.png')}`);
  assert.deepEqual(errors, [], 'no error on the page');
  assert.deepEqual(outside, [], 'nothing fetched from anywhere but the node');
});
