// The proof book holds verified proofs only; nothing from the network displaces one already
// there, and the node's own proof always wins.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProofBook, type KnownProof } from '../../../../node/roles/context.js';

const H = `0x${'11'.repeat(32)}`;
const H2 = `0x${'22'.repeat(32)}`;
const proof = (source: KnownProof['source'], blockHash = H, rootJob = 'aa'.repeat(32)): KnownProof => ({
  slot: 7, blockHash, source, knownAt: 0,
  proof: { blockHash, slot: 7n, rootJob, circuit: 'single_1', proof: new Uint8Array([source === 'local' ? 1 : 2]), publicInputs: [], proven: 0, reused: 0, elapsedMs: 0 },
});

describe('ProofBook', () => {
  it('a peer\'s proof never displaces one already held; the node\'s own replaces a peer\'s', () => {
    const b = new ProofBook();
    const seen: string[] = [];
    b.on('proof', (p: KnownProof) => seen.push(p.source));
    const peer = proof('p2p');
    assert.equal(b.add(peer), true);
    assert.equal(b.add(proof('p2p')), false, 'a second peer proof of the same block is not taken');
    const own = proof('local');
    assert.equal(b.add(own), true, 'our own proof wins');
    assert.equal(b.get(7), own);
    assert.equal(b.add(proof('p2p')), false, 'and is never displaced');
    assert.equal(b.add(proof('local')), false);
    assert.deepEqual(seen, ['p2p', 'local']);
    assert.ok(b.has(7, H.toUpperCase().replace('0X', '0x')));
    assert.ok(!b.has(7, H2));
  });

  it('a new canonical block for the slot replaces the old one; remove takes out only that proof; lookup by root job', () => {
    const b = new ProofBook();
    const own = proof('local');
    b.add(own);
    const other = proof('p2p', H2, 'bb'.repeat(32));
    assert.equal(b.add(other), true, 'the slot\'s canonical block changed');
    b.remove(own);
    assert.equal(b.get(7), other, 'remove() of a proof no longer held is a no-op');
    assert.equal(b.byRootJob(`0x${'BB'.repeat(32)}`), other);
    assert.equal(b.byRootJob('aa'.repeat(32)), undefined);
    b.remove(other);
    assert.equal(b.get(7), undefined);
  });
});
