// Serial (node/roles/context.ts): a role's runs never overlap; a run asked for with `again` while
// one is going on is not dropped but runs once right after it (a final proof arriving during a
// submitter tick is submitted without waiting for the next L1 head).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serial } from '../../../../node/roles/context.js';

const never = (e: unknown): void => { assert.fail(`unexpected error: ${(e as Error).message}`); };

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => { open = r; });
  return { wait, open };
}

test('Serial: a run while one is going on is dropped, never overlapping', async () => {
  const s = new Serial();
  const g = gate();
  let runs = 0;
  let active = 0;
  const fn = async () => { runs++; active++; assert.equal(active, 1); await g.wait; active--; };
  const first = s.run(fn, never);
  await s.run(fn, never); // dropped: returns at once
  g.open();
  await first;
  assert.equal(runs, 1);
});

test('Serial: `again` queues one more run right after the current one (several asks -> one run)', async () => {
  const s = new Serial();
  const g = gate();
  const order: string[] = [];
  const first = s.run(async () => { order.push('first'); await g.wait; }, never);
  const done = gate();
  void s.run(async () => { order.push('dropped?'); }, never, true);
  void s.run(async () => { order.push('again'); done.open(); }, never, true);
  assert.deepEqual(order, ['first']);
  g.open();
  await first;
  await done.wait;
  assert.deepEqual(order, ['first', 'again'], 'the last ask runs once, after the first');
});

test('Serial: an error of the queued run goes to its own onError, and the Serial stays usable', async () => {
  const s = new Serial();
  const g = gate();
  const errors: string[] = [];
  const first = s.run(async () => { await g.wait; }, never);
  const failed = gate();
  void s.run(async () => { throw new Error('boom'); }, (e) => { errors.push((e as Error).message); failed.open(); }, true);
  g.open();
  await first;
  await failed.wait;
  assert.deepEqual(errors, ['boom']);
  let ran = false;
  await s.run(async () => { ran = true; }, never);
  assert.equal(ran, true);
});
