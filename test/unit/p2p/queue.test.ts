import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedQueue, PeerRateLimiter, ReqRespError, readFrame } from '../../../node/p2p/index.js';

describe('p2p bounded queue', () => {
  it('drop-oldest keeps the newest items and reports each drop', () => {
    const dropped: number[] = [];
    const q = new BoundedQueue<number>(3, 'drop-oldest', (x) => dropped.push(x));
    for (let i = 0; i < 5; i++) q.push(i);
    assert.deepEqual(dropped, [0, 1]);
    assert.equal(q.dropped, 2);
    assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [2, 3, 4, undefined]);
  });

  it('drop-newest keeps the oldest items', () => {
    const dropped: number[] = [];
    const q = new BoundedQueue<number>(2, 'drop-newest', (x) => dropped.push(x));
    assert.equal(q.push(1), true);
    q.push(2);
    assert.equal(q.push(3), false);
    assert.deepEqual(dropped, [3]);
    assert.deepEqual([q.shift(), q.shift()], [1, 2]);
  });

  it('stays bounded under a long flood and compacts its storage', () => {
    const q = new BoundedQueue<number>(100, 'drop-oldest');
    for (let i = 0; i < 100_000; i++) { q.push(i); if (i % 3 === 1) q.shift(); }
    assert.equal(q.length, 100);
    assert.equal(q.shift(), 99_900);
  });

  it('refuses a zero capacity', () => {
    assert.throws(() => new BoundedQueue(0, 'drop-oldest'), RangeError);
  });
});

describe('p2p req/resp framing and rate limit', () => {
  const frame = (n: number, payload: Uint8Array) => { const b = new Uint8Array(4 + payload.length); new DataView(b.buffer).setUint32(0, n); b.set(payload, 4); return b; };
  async function* chunks(...cs: Uint8Array[]) { for (const c of cs) yield c; }

  it('reads a frame split across chunks', async () => {
    const f = frame(5, new Uint8Array([1, 2, 3, 4, 5]));
    assert.deepEqual(await readFrame(chunks(f.subarray(0, 2), f.subarray(2, 6), f.subarray(6)), 10, 'response-too-large'), new Uint8Array([1, 2, 3, 4, 5]));
  });

  it('refuses a frame over the limit from its header alone', async () => {
    await assert.rejects(readFrame(chunks(frame(1 << 30, new Uint8Array(0))), 100, 'response-too-large'),
      (e) => e instanceof ReqRespError && e.code === 'response-too-large');
  });

  it('refuses truncated frames and trailing bytes', async () => {
    await assert.rejects(readFrame(chunks(frame(5, new Uint8Array(2))), 100, 'response-too-large'), (e) => e instanceof ReqRespError && e.code === 'stream-error');
    await assert.rejects(readFrame(chunks(new Uint8Array([0, 0])), 100, 'response-too-large'), (e) => e instanceof ReqRespError && e.code === 'stream-error');
    await assert.rejects(readFrame(chunks(frame(1, new Uint8Array(3))), 100, 'response-too-large'), (e) => e instanceof ReqRespError && e.code === 'bad-response');
  });

  it('limits requests per peer per window', () => {
    const l = new PeerRateLimiter(2, 1000);
    assert.deepEqual([l.allow('a', 0), l.allow('a', 10), l.allow('a', 20), l.allow('b', 20)], [true, true, false, true]);
    assert.equal(l.allow('a', 1000), true, 'a new window');
  });
});
