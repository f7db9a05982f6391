import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { observe, LADDER } from '../../../../node/status/ladder.js';

describe('tx status ladder', () => {
  it('climbs and records when each status was reached', () => {
    let r = observe(undefined, '0xaa', 'pending', 10);
    assert.deepEqual(r.at, { executed: 10, pending: 10 });
    r = observe(r, '0xaa', 'revealed', 20, { slot: 3, blockHash: '0xbb' });
    assert.equal(r.status, 'revealed');
    assert.equal(r.at.proposed, 20);
    assert.equal(r.slot, 3);
    const same = observe(r, '0xaa', 'executed', 30);
    assert.equal(same, r, 'a lower status changes nothing');
    for (const s of LADDER.slice(LADDER.indexOf('committed'))) r = observe(r, '0xaa', s, 40);
    assert.equal(r.status, 'finalized');
    assert.equal(observe(r, '0xaa', 'reorged', 50), r, 'a finalized tx cannot be reorged');
  });
  it('marks reorged and climbs again when re-included', () => {
    let r = observe(undefined, '0xaa', 'committed', 1, { slot: 5 });
    r = observe(r, '0xaa', 'reorged', 2);
    assert.equal(r.status, 'reorged');
    assert.equal(r.at.reorged, 2);
    r = observe(r, '0xaa', 'proposed', 3, { slot: 7 });
    assert.equal(r.status, 'proposed');
    assert.equal(r.slot, 7);
    assert.equal(r.at.committed, 1, 'history is kept');
  });
  it('goes back to pending when its block got no prover (proposed/revealed), never from committed', () => {
    let r = observe(undefined, '0xaa', 'pending', 1);
    r = observe(r, '0xaa', 'revealed', 2, { slot: 4, blockHash: '0xbb' });
    r = observe(r, '0xaa', 'pending', 3);
    assert.equal(r.status, 'pending');
    assert.equal(r.slot, undefined, 'no longer in a block');
    assert.equal(r.at.revealed, 2, 'history is kept');
    r = observe(r, '0xaa', 'committed', 4, { slot: 6, blockHash: '0xcc' });
    assert.equal(r.status, 'committed');
    assert.equal(r.slot, 6);
    assert.equal(observe(r, '0xaa', 'pending', 5), r, 'a committed tx is not sent back by a pending observation');
  });
  it('rejects unknown statuses', () => {
    assert.throws(() => observe(undefined, '0xaa', 'mined' as never, 1), /unknown tx status "mined"/);
  });
});
