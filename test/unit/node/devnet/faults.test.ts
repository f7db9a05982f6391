// The devnet's withhold plan (node/devnet/faults.ts) keys on the block's ordinal among the
// prover's commitments on L1, so the answer for a block is the same before and after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withholdEvery } from '../../../../node/devnet/faults.js';

/** A chain store's answer: the committed provers by slot (what ChainSync.committedTo counts). */
function chainOf(provers: Record<number, string>) {
  return {
    async committedTo(prover: string, upto: number) {
      return Object.entries(provers).filter(([s, p]) => Number(s) <= upto && p.toLowerCase() === prover.toLowerCase()).length;
    },
  };
}

test('withholdEvery(2) withholds the 2nd, 4th, ... commitment of this prover, whatever was asked before', async () => {
  const C = '0x00000000000000000000000000000000000000cc';
  const chain = chainOf({ 3: C, 4: '0x00000000000000000000000000000000000000aa', 6: C, 8: C, 9: C });
  const plan = withholdEvery(2)!;
  const ask = (slot: number) => plan.withhold({ slot, blockHash: `0x${'1'.repeat(64)}`, prover: C }, chain);
  assert.deepEqual([await ask(3), await ask(6), await ask(8), await ask(9)], [false, true, false, true]);
  // a restarted node asks about slot 8 first (its earlier blocks are settled): the same answer
  const fresh = withholdEvery(2)!;
  assert.equal(await fresh.withhold({ slot: 8, blockHash: `0x${'2'.repeat(64)}`, prover: C.toUpperCase().replace('0X', '0x') }, chain), false);
  assert.equal(await fresh.withhold({ slot: 6, blockHash: `0x${'2'.repeat(64)}`, prover: C }, chain), true);
});

test('withholdEvery(0) is no plan; a bad k is refused', () => {
  assert.equal(withholdEvery(0), undefined);
  assert.throws(() => withholdEvery(-1), /k must be an integer >= 0, got -1/);
  assert.throws(() => withholdEvery(1.5), RangeError);
});
