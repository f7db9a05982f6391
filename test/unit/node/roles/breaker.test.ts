// The prover's circuit breaker (node/roles/breaker.ts): opens after N faults in a row, refuses
// new blocks while open, allows one trial after the cooldown, and a proof closes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProvingBreaker, type BreakerState } from '../../../../node/roles/breaker.js';

test('opens at the threshold, refuses with the reason, half-opens after the cooldown for one trial; a proof closes it', () => {
  const changes: BreakerState[] = [];
  const b = new ProvingBreaker({ threshold: 2, cooldownBlocks: 10, onChange: (s) => changes.push(s) });
  assert.equal(b.refuses(100, 0), undefined);
  b.fault('failed', 'worker died', 100);
  assert.equal(b.state, 'closed', 'one fault is not enough');
  b.success(5);
  b.fault('failed', 'worker died', 101);
  assert.equal(b.state, 'closed', 'a proof in between resets the count');
  b.fault('slashed', 'slot 7', 102);
  assert.equal(b.state, 'open');
  assert.match(b.refuses(105, 0)!, /circuit breaker open since L1 #102 after 2 proving faults \(slashed: slot 7\); trial at L1 #112/);
  assert.equal(b.refuses(112, 1), 'circuit breaker half-open: the trial block is being proven');
  assert.equal(b.state, 'half-open');
  assert.equal(b.refuses(112, 0), undefined, 'one trial when nothing is in flight');
  b.fault('failed', 'again', 120);
  assert.equal(b.state, 'open', 'a failed trial opens it again');
  assert.ok(b.refuses(125, 0));
  assert.equal(b.refuses(130, 0), undefined);
  b.success(9);
  assert.equal(b.state, 'closed');
  assert.deepEqual(changes, ['open', 'half-open', 'open', 'half-open', 'closed']);
  assert.equal(b.trips, 2);
});

test('threshold 0: never opens', () => {
  const b = new ProvingBreaker({ threshold: 0, cooldownBlocks: 10 });
  for (let i = 0; i < 10; i++) b.fault('slashed', `slot ${i}`, i);
  assert.equal(b.state, 'closed');
  assert.equal(b.refuses(10, 3), undefined);
});
