import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bumpFee, nextFees } from '../../../node/l1/sender.js';

const gwei = 10n ** 9n;

test('bumpFee: at least +12.5% rounded up, at least +1 wei', () => {
  assert.equal(bumpFee(8n * gwei), 9n * gwei);
  assert.equal(bumpFee(9n), 11n); // 9 + ceil(9/8)
  assert.equal(bumpFee(1n), 2n);
  assert.equal(bumpFee(0n), 1n);
  for (const x of [1n, 7n, 100n, 12345678901n]) assert.ok(bumpFee(x) * 8n >= x * 9n, `${x}`);
});

test('nextFees: bump of the last fees or the network estimate, whichever is higher, capped', () => {
  const last = { maxFeePerGas: 2n * gwei, maxPriorityFeePerGas: 1n * gwei };
  // network below the bump: the bump
  assert.deepEqual(nextFees(last, { maxFeePerGas: gwei, maxPriorityFeePerGas: gwei / 2n }, 100n * gwei), { maxFeePerGas: bumpFee(2n * gwei), maxPriorityFeePerGas: bumpFee(gwei) });
  // network above: the network's (no estimate: the bump)
  assert.deepEqual(nextFees(last, { maxFeePerGas: 21n * gwei, maxPriorityFeePerGas: 3n * gwei }, 100n * gwei), { maxFeePerGas: 21n * gwei, maxPriorityFeePerGas: 3n * gwei });
  assert.deepEqual(nextFees(last, { maxFeePerGas: null, maxPriorityFeePerGas: null }, 100n * gwei), { maxFeePerGas: bumpFee(2n * gwei), maxPriorityFeePerGas: bumpFee(gwei) });
  // the cap bounds maxFeePerGas, and the tip never exceeds maxFeePerGas
  assert.deepEqual(nextFees(last, { maxFeePerGas: 21n * gwei, maxPriorityFeePerGas: 21n * gwei }, 5n * gwei), { maxFeePerGas: 5n * gwei, maxPriorityFeePerGas: 5n * gwei });
  // a cap under the least valid bump: no resend
  assert.equal(nextFees(last, { maxFeePerGas: 21n * gwei }, 2n * gwei), undefined);
  // a tip equal to maxFeePerGas: both bumped, exactly at the cap
  const b = bumpFee(2n * gwei);
  assert.deepEqual(nextFees({ maxFeePerGas: 2n * gwei, maxPriorityFeePerGas: 2n * gwei }, {}, b), { maxFeePerGas: b, maxPriorityFeePerGas: b });
  assert.equal(nextFees({ maxFeePerGas: 2n * gwei, maxPriorityFeePerGas: 2n * gwei }, {}, b - 1n), undefined);
});
