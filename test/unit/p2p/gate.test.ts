// The verification gate in front of expensive gossip checks: per-peer budgets, a bounded queue
// where better-scored peers evict worse ones, best score first, bounded concurrency.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACCEPT, ValidationGate, reject, type Verdict } from '../../../node/p2p/index.js';

const code = (v: Verdict): string | undefined => (v.result === 'accept' ? undefined : v.code);

/** A check that finishes when the test says so. */
function pending() {
  let done!: (v: Verdict) => void;
  const p = new Promise<Verdict>((r) => { done = r; });
  return { work: () => p, done };
}

describe('ValidationGate', () => {
  it('runs at most `concurrency` checks and holds each peer to its budget', async () => {
    const scores: Record<string, number> = { a: 0, b: 0 };
    const outcomes: string[] = [];
    const g = new ValidationGate({ concurrency: 1, capacity: 8, perPeer: 2, score: (p) => scores[p], onOutcome: (o) => outcomes.push(o) });
    const c1 = pending();
    const c2 = pending();
    const r1 = g.submit('a', c1.work);
    const r2 = g.submit('a', c2.work);
    assert.deepEqual(await g.submit('a', async () => ACCEPT), { result: 'ignore', code: 'peer-budget', detail: '2 checks of this peer already queued or running' });
    assert.deepEqual(g.depth, { waiting: 1, running: 1 });
    c1.done(reject('invalid-proof'));
    assert.equal((await r1).result, 'reject');
    // a's first check is over: its budget has room again
    const r3 = g.submit('a', async () => ACCEPT);
    c2.done(ACCEPT);
    assert.equal((await r2).result, 'accept');
    assert.equal((await r3).result, 'accept');
    assert.deepEqual(outcomes, ['run', 'peer-budget', 'run', 'run']);
  });

  it('runs the best-scored waiting peer first and lets it evict the worst when full; never the reverse', async () => {
    const scores: Record<string, number> = { honest: 5, s1: -1, s2: -1, s3: -2, fresh: 0 };
    const g = new ValidationGate({ concurrency: 1, capacity: 2, perPeer: 4, score: (p) => scores[p] });
    const order: string[] = [];
    const blocker = pending();
    void g.submit('s1', blocker.work); // running
    const w = (peer: string) => g.submit(peer, async () => { order.push(peer); return ACCEPT; });
    const s2 = w('s2');
    const s3 = w('s3');
    // full: a peer no better than every waiting one is refused...
    assert.equal(code(await w('s3')), 'queue-full');
    // ...a better one evicts the worst (s3)
    const honest = w('honest');
    assert.deepEqual(await s3, { result: 'ignore', code: 'queue-full', detail: 'evicted by a message from a better-scored peer' });
    const fresh = w('fresh'); // evicts s2 (-1) too
    assert.equal(code(await s2), 'queue-full');
    blocker.done(ACCEPT);
    await Promise.all([honest, fresh]);
    assert.deepEqual(order, ['honest', 'fresh'], 'best score first');
  });

  it('turns a failing check into an Ignore and keeps going', async () => {
    const g = new ValidationGate({ score: () => 0 });
    assert.equal(code(await g.submit('a', async () => { throw new Error('verifier gone'); })), 'validator-error');
    assert.equal((await g.submit('a', async () => ACCEPT)).result, 'accept');
    assert.throws(() => new ValidationGate({ score: () => 0, perPeer: 0 }), /perPeer must be a positive integer/);
  });
});
