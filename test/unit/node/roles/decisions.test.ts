// The roles' pure decisions (node/roles/decisions.ts), shared by the node and `sidecar simulate`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptableQuotes, fitsInTime, largestFitting, quoteFee, quoteRefusal, slashDue, submitDecision } from '../../../../node/roles/decisions.js';

const q = (prover: string, fee: bigint, o: Partial<{ sequencer: string; deposit: bigint; proverFundsDeposit: boolean; validUntilBlock: bigint }> = {}) => ({
  quote: { sequencer: o.sequencer ?? 'S', prover, fee, deposit: o.deposit ?? 100n, proverFundsDeposit: o.proverFundsDeposit ?? true, validUntilBlock: o.validUntilBlock ?? 50n },
});

test('acceptableQuotes: terms and funding filter, cheapest first, ties keep arrival order', () => {
  const got = [q('a', 5n), q('b', 3n), q('c', 3n), q('d', 11n), q('e', 1n, { deposit: 99n }), q('f', 1n, { proverFundsDeposit: false }), q('g', 1n, { validUntilBlock: 40n }), q('h', 2n), q('i', 1n, { sequencer: 'T' })];
  const terms = { sequencer: 's', tip: 10n, minDeposit: 100n, head: 40 };
  const ok = acceptableQuotes(got, terms, (x) => x.quote.prover !== 'h');
  assert.deepEqual(ok.map((x) => x.quote.prover), ['b', 'c', 'a']);
  assert.equal(quoteRefusal(got[3].quote, terms), 'fee above the tip');
  assert.equal(quoteRefusal(got[6].quote, terms), 'expired');
  assert.equal(quoteRefusal(got[8].quote, terms), 'names another sequencer');
});

test('quoteFee: the base fee per block in flight, never below break-even', () => {
  assert.equal(quoteFee(5n, 0), 5n);
  assert.equal(quoteFee(5n, 2), 15n);
  assert.equal(quoteFee(5n, 2, 40n), 40n);
  assert.equal(quoteFee(5n, 2, 10n), 15n);
});

test('fitsInTime and largestFitting: the 20% margin, blocks in flight wait', () => {
  assert.equal(fitsInTime({ proveMs: 800, active: 0, deadline: 12, head: 0, blockMs: 100 }).ok, true); // 800 <= 0.8 x 1000
  assert.equal(fitsInTime({ proveMs: 801, active: 0, deadline: 12, head: 0, blockMs: 100 }).ok, false);
  assert.equal(fitsInTime({ proveMs: 400, active: 1, deadline: 12, head: 0, blockMs: 100 }).ok, true);
  assert.equal(fitsInTime({ proveMs: 400, active: 2, deadline: 12, head: 0, blockMs: 100 }).ok, false);
  assert.equal(largestFitting(32, (n) => n * 10 <= 125), 12);
  assert.equal(largestFitting(32, () => true), 32);
  assert.equal(largestFitting(32, () => false), 0);
  // fits need not be monotone (a bigger block's plan can be cheaper): a size that does not fit caps every size above it
  assert.equal(largestFitting(32, (n) => n !== 5), 4);
  assert.equal(largestFitting(32, (n) => n <= 8 || n >= 20), 8);
  assert.equal(largestFitting(0, () => true), 0);
});

test('submitDecision and slashDue: the proof window and the deadline are exclusive; others\' proofs only as a rescue, never in the prover\'s window', () => {
  const base = { pending: true, parentSlot: 3, lastProvenSlot: 3, proofsFrom: 10, deadline: 20, exclusiveUntil: 14, recipient: 'p', me: 'p', prover: 'p', rescueBlocks: 3 };
  assert.deepEqual(submitDecision({ ...base, head: 8 }), { submit: false, why: 'too-early' });
  assert.deepEqual(submitDecision({ ...base, head: 9 }), { submit: true });
  assert.deepEqual(submitDecision({ ...base, head: 18 }), { submit: true });
  assert.deepEqual(submitDecision({ ...base, head: 19 }), { submit: false, why: 'too-late' });
  assert.deepEqual(submitDecision({ ...base, head: 12, lastProvenSlot: 2 }), { submit: false, why: 'parent-unproven' });
  assert.deepEqual(submitDecision({ ...base, head: 12, pending: false }), { submit: false, why: 'not-pending' });
  // a proof naming the prover, held by another node: only in the last rescueBlocks before the deadline
  assert.deepEqual(submitDecision({ ...base, head: 15, me: 'x' }), { submit: false, why: 'not-mine-yet' });
  assert.deepEqual(submitDecision({ ...base, head: 16, me: 'x' }), { submit: true });
  // a proof naming someone else than the committed prover: never inside its exclusive window
  assert.deepEqual(submitDecision({ ...base, head: 12, recipient: 'x', me: 'x' }), { submit: false, why: 'prover-exclusive' });
  assert.deepEqual(submitDecision({ ...base, head: 13, recipient: 'x', me: 'x' }), { submit: true });
  assert.equal(slashDue({ head: 18, deadline: 20, pending: true }), false);
  assert.equal(slashDue({ head: 19, deadline: 20, pending: true }), true);
  assert.equal(slashDue({ head: 19, deadline: 20, pending: false }), false);
});
