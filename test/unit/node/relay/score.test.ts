// Relay scoring (node/relay/client.ts RelayScore / RelayBook): a good answer +1 (at most +3), an
// RFQ with faults costs its worst fault's weight once, dropped at -4 with a cooldown that doubles
// per drop (60 s, 120 s, ... at most 30 min), re-admitted on probation at -3 (one fault drops it
// again); the drop is logged with its reason. The clock is passed in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { RelayBook, RelayScore, type RelayFault } from '../../../../node/relay/client.js';

const f = (code: RelayFault) => ({ code, detail: code });

describe('relay scoring', () => {
  it('good answers raise the score to +3 at most; one RFQ\'s faults cost its worst fault once', () => {
    const s = new RelayScore();
    for (let i = 0; i < 5; i++) assert.equal(s.record([], 0), 'ok');
    assert.equal(s.score, 3);
    // 50 forged quotes in one answer: one lie, weight 3
    assert.equal(s.record(new Array(50).fill(f('bad-signature')), 0), 'fault');
    assert.equal(s.score, 0);
    assert.equal(s.record([f('unfunded-prover'), f('wrong-block')], 0), 'fault');
    assert.equal(s.score, -3, 'the worst of the two (wrong-block, 3)');
  });

  it('dropped at -4, cooldown doubling per drop, re-admitted on probation', () => {
    const s = new RelayScore({ cooldownMs: 1000, maxCooldownMs: 3000 });
    assert.equal(s.record([f('timeout')], 0), 'fault');
    assert.equal(s.record([f('timeout')], 0), 'dropped', 'two timeouts from 0');
    assert.equal(s.admitted(999), false);
    assert.equal(s.admitted(1000), true, 'cooldown over');
    assert.equal(s.score, -3, 'on probation');
    assert.equal(s.record([f('unfunded-prover')], 1000), 'dropped', 'the next fault drops it again');
    assert.equal(s.droppedUntil, 3000, 'second cooldown twice the first');
    assert.equal(s.admitted(2999), false);
    assert.equal(s.admitted(3000), true);
    assert.equal(s.record([f('malformed')], 3000), 'dropped');
    assert.equal(s.droppedUntil, 6000, 'capped at maxCooldownMs');
    assert.equal(s.drops, 3);
    // a relay that recovers climbs back
    assert.equal(s.admitted(6000), true);
    for (let i = 0; i < 10; i++) s.record([], 6000);
    assert.equal(s.score, 3);
  });

  it('a book admits only relays out of cooldown and logs a drop with its reason', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(JSON.parse(String(c))); cb(); } }));
    let now = 0;
    const book = new RelayBook([{ name: 'a', url: 'http://127.0.0.1:1', timeoutMs: 500 }, { name: 'b', url: 'http://127.0.0.1:2', timeoutMs: 500 }], log, { cooldownMs: 100 }, () => now);
    const [a, b] = book.relays;
    book.record(a, [f('bad-signature')]);
    assert.equal(book.record(a, [f('bad-signature')]), 'dropped');
    book.record(b, []);
    assert.deepEqual(book.admitted().map((r) => r.ep.name), ['b']);
    const drop = lines.find((l) => String(l.msg).startsWith('relay a dropped'));
    assert.ok(drop, 'a drop line');
    assert.equal(drop.code, 'bad-signature');
    now = 100;
    assert.deepEqual(book.admitted().map((r) => r.ep.name), ['a', 'b']);
    assert.ok(lines.some((l) => String(l.msg).startsWith('relay a re-admitted on probation')));
  });
});
