import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { WorldState } from '../../../circuits/l2/index.js';
import { PROOF_KIND, TOPICS, checkMessage, encodeMessage, txStateChecks, type TopicKind } from '../../../node/p2p/index.js';
import { Fixtures } from '../../helpers/p2p-fixtures.js';

describe('p2p gossip validation (structural checks)', () => {
  let fx: Fixtures;
  let hash: string;
  before(async () => {
    fx = await Fixtures.create();
    hash = fx.makeCanonical(fx.block(120n));
  });
  const verdict = (k: TopicKind, data: Uint8Array, ctx = fx.context()) => checkMessage(k, data, ctx).verdict;

  it('accepts well-formed, correctly signed, current messages and returns the decoded value', async () => {
    const block = fx.block(120n);
    const ok = checkMessage('blocks', encodeMessage('blocks', block), fx.context());
    assert.deepEqual(ok.verdict, { result: 'accept' });
    assert.equal(ok.value?.slot, 120n);
    assert.equal(verdict('txs', encodeMessage('txs', fx.tx(1, 2, 3n, 4))).result, 'accept');
    assert.equal(verdict('rfq', encodeMessage('rfq', fx.rfq(120n, hash))).result, 'accept');
    assert.equal(verdict('quotes', encodeMessage('quotes', await fx.quote(120n, hash))).result, 'accept');
    assert.equal(verdict('proofs', encodeMessage('proofs', fx.proof(120n, hash, 1))).result, 'accept');
  });

  it('rejects oversized messages before decoding them', () => {
    for (const k of ['txs', 'rfq', 'quotes'] as const) {
      assert.deepEqual(verdict(k, new Uint8Array(TOPICS[k].maxBytes + 1)).result, 'reject');
      assert.equal((verdict(k, new Uint8Array(TOPICS[k].maxBytes + 1)) as { code: string }).code, 'oversized');
    }
  });

  it('rejects malformed txs and blocks (bad padding, witnessData of the wrong length)', () => {
    const tx = encodeMessage('txs', fx.tx(0, 1, 1n, 0));
    tx[31] = 9;
    const vt = verdict('txs', tx);
    assert.equal(vt.result, 'reject');
    assert.equal((vt as { code: string }).code, 'malformed');
    const b = fx.block(120n, 2);
    const bad = { ...b, witnessData: b.witnessData.subarray(0, 64) };
    const v = verdict('blocks', encodeMessage('blocks', bad));
    assert.equal(v.result, 'reject');
    assert.equal((v as { code: string }).code, 'malformed');
  });

  it('checks tx signatures with the sender key the node knows', () => {
    const forged = fx.tx(0, 1, 1n, 0, fx.accounts[3]);
    assert.equal((verdict('txs', encodeMessage('txs', forged)) as { code: string }).code, 'bad-signature');
    const unknown = fx.tx(0, 1, 1n, 0);
    const ctx = { ...fx.context(), txPublicKey: () => undefined };
    assert.deepEqual(verdict('txs', encodeMessage('txs', unknown), ctx), { result: 'ignore', code: 'unknown-account', detail: 'account 0' });
  });

  it('checks quote signatures (EIP-712) against the prover field', async () => {
    const q = await fx.quote(120n, hash, Wallet.createRandom());
    assert.equal((verdict('quotes', encodeMessage('quotes', q)) as { code: string }).code, 'bad-signature');
    const garbage = { ...(await fx.quote(120n, hash)), signature: new Uint8Array(65).fill(7) };
    assert.equal(verdict('quotes', encodeMessage('quotes', garbage)).result, 'reject');
    const noDomain = { ...fx.context(), quoteDomain: undefined };
    assert.equal((verdict('quotes', encodeMessage('quotes', await fx.quote(120n, hash)), noDomain) as { code: string }).code, 'no-quote-domain');
    const expired = { ...fx.context(), l1BlockNumber: () => 501n };
    assert.equal((verdict('quotes', encodeMessage('quotes', await fx.quote(120n, hash)), expired) as { code: string }).code, 'expired');
  });

  it('ignores stale slots without blaming the sender', async () => {
    for (const [k, data] of [
      ['blocks', encodeMessage('blocks', fx.block(5n))],
      ['rfq', encodeMessage('rfq', fx.rfq(5n, hash))],
      ['quotes', encodeMessage('quotes', await fx.quote(5n, hash))],
      ['proofs', encodeMessage('proofs', fx.proof(5n, hash, 1))],
    ] as const) {
      assert.deepEqual(verdict(k, data).result, 'ignore', k);
      assert.equal((verdict(k, data) as { code: string }).code, 'stale-slot', k);
    }
  });

  it('checks a proof cheaply first: its block must be a known canonical block', () => {
    const unknown = fx.proof(120n, '0x' + '77'.repeat(32), 1);
    assert.equal((verdict('proofs', encodeMessage('proofs', unknown)) as { code: string }).code, 'unknown-block');
    const nc = { ...fx.context(), blockStanding: () => 'not-canonical' as const };
    assert.equal((verdict('proofs', encodeMessage('proofs', fx.proof(120n, hash, 1)), nc) as { code: string }).code, 'not-canonical-block');
    const badKind = fx.proof(120n, hash, 1, 10, 7);
    assert.equal((verdict('proofs', encodeMessage('proofs', badKind)) as { code: string }).code, 'bad-proof-kind');
    const empty = fx.proof(120n, hash, 1, 0, PROOF_KIND.final);
    assert.equal((verdict('proofs', encodeMessage('proofs', empty)) as { code: string }).code, 'malformed');
  });

  it('never throws on random or mutated bytes: every input gets a verdict', async () => {
    const block = fx.block(120n, 2);
    const seeds: Record<TopicKind, Uint8Array> = {
      txs: encodeMessage('txs', fx.tx(0, 1, 1n, 0)),
      blocks: encodeMessage('blocks', block),
      rfq: encodeMessage('rfq', fx.rfq(120n, hash)),
      quotes: encodeMessage('quotes', await fx.quote(120n, hash)),
      proofs: encodeMessage('proofs', fx.proof(120n, hash, 1, 64)),
    };
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const outcomes = new Set<string>();
    for (const k of Object.keys(seeds) as TopicKind[]) {
      for (let i = 0; i < 150; i++) {
        const b = seeds[k].slice(0, i % 7 === 0 ? rand() % (seeds[k].length + 1) : seeds[k].length);
        for (let j = 0; j < 1 + (rand() % 3); j++) if (b.length) b[rand() % b.length] = rand() & 0xff;
        const v = checkMessage(k, b, fx.context()).verdict;
        outcomes.add(v.result === 'accept' ? 'accept' : `${v.result}:${v.code}`);
      }
      const r = checkMessage(k, new Uint8Array(rand() % 200), fx.context()).verdict;
      assert.ok(['accept', 'ignore', 'reject'].includes(r.result));
    }
    assert.ok(outcomes.has('reject:malformed') && outcomes.has('reject:bad-signature'), [...outcomes].join(' '));
  });

  it('checks txs against the L2 state: known key, nonce neither used nor too far ahead', async () => {
    const state = await WorldState.create(fx.accounts.map((k, index) => ({ index, publicKey: k.publicKey, balance: 100n, nonce: 5 })));
    const checks = txStateChecks((i) => state.account(i), 3);
    const ctx = { ...fx.context(), txPublicKey: checks.txPublicKey };
    const v = (nonce: number) => {
      const c = checkMessage('txs', encodeMessage('txs', fx.tx(0, 1, 1n, nonce)), ctx);
      return c.verdict.result === 'accept' ? checks.validator(c.value!) : c.verdict;
    };
    assert.deepEqual([v(5), v(8)].map((x) => x.result), ['accept', 'accept']);
    assert.equal((v(4) as { code: string }).code, 'stale-nonce');
    assert.equal((v(9) as { code: string }).code, 'nonce-too-far');
    const unknown = fx.tx(0, 1, 1n, 5);
    unknown.body[3] = 9; // from = account 9, which the state does not know (signature now irrelevant)
    assert.equal((checkMessage('txs', encodeMessage('txs', unknown), ctx).verdict as { code: string }).code, 'unknown-account');
  });
});
