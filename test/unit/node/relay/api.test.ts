// The relay API v1 schemas (node/relay/api.ts): what both sides accept and refuse, the JSON <->
// p2p message conversions (a relay quote becomes the very bytes quote/1 carries, its EIP-712
// signature intact), the committed OpenAPI document is what the schemas build, and the config's
// relay list (name=url;timeoutMs) parses or fails with a clear message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { quoteSigner, rfqSigner, signQuote, signRfq, type Quote, type Rfq } from '../../../../node/l1/block.js';
import { ConfigError, loadConfig } from '../../../../node/config.js';
import { decodeMessage, encodeMessage, quoteOf, hex } from '../../../../node/p2p/index.js';
import {
  QuoteSubmission, RfqAnswer, RfqJson, RfqPoll, RfqRequest, quoteFromJson, quoteMsgFromJson, quoteMsgToJson, quoteToJson, rfqFromJson, rfqMsgFromJson, rfqToJson,
} from '../../../../node/relay/api.js';
import { OPENAPI_FILE, openApiText, relayOpenApi } from '../../../../node/relay/openapi.js';
import { rfqTerms } from '../../../../node/roles/market-check.js';

const CHAIN = 31337n;
const SIDECAR = `0x${'ab'.repeat(20)}`;
const seq = Wallet.createRandom();
const prover = Wallet.createRandom();
const terms: Rfq = { slot: 7n, blockHash: `0x${'12'.repeat(32)}`, tip: 10n ** 18n, deposit: 100n * 10n ** 18n, quoteDeadlineBlock: 99n, peer: '12D3KooWtest', addrs: ['/ip4/127.0.0.1/tcp/1'] };
const quote: Quote = { slot: 7n, blockHash: terms.blockHash, sequencer: seq.address, prover: prover.address, fee: 10n ** 17n, deposit: terms.deposit, proverFundsDeposit: true, validUntilBlock: 120n };

describe('relay API v1 schemas', () => {
  it('an RFQ round-trips JSON -> p2p message with its signature still the sequencer\'s', async () => {
    const sig = await signRfq(seq, CHAIN, SIDECAR, terms);
    const j = rfqToJson(terms, sig);
    assert.ok(RfqJson.safeParse(j).success);
    assert.ok(RfqRequest.safeParse({ rfq: j, waitMs: 1000 }).success);
    assert.equal(rfqSigner(CHAIN, SIDECAR, rfqFromJson(j).terms, rfqFromJson(j).signature), seq.address);
    const msg = rfqMsgFromJson(j);
    assert.equal(rfqSigner(CHAIN, SIDECAR, rfqTerms(msg), hex(msg.signature)), seq.address, 'the p2p RFQ check sees the same signer');
  });

  it('a quote from JSON encodes to the quote/1 bytes and back, signature intact', async () => {
    const sig = await signQuote(prover, CHAIN, SIDECAR, quote);
    const sq = { quote: quoteToJson(quote), signature: sig };
    assert.ok(RfqAnswer.safeParse({ quotes: [sq] }).success);
    assert.ok(QuoteSubmission.safeParse({ rfqId: '1', ...sq }).success);
    const bytes = encodeMessage('quotes', quoteMsgFromJson(sq));
    const back = decodeMessage('quotes', bytes);
    assert.equal(quoteSigner(CHAIN, SIDECAR, quoteOf(back), hex(back.signature)), prover.address);
    assert.deepEqual(quoteMsgToJson(back), { quote: quoteToJson(quote), signature: sig.toLowerCase() });
    assert.deepEqual(quoteFromJson(sq.quote), quote);
  });

  it('refuses what does not fit the wire types', async () => {
    const sig = await signRfq(seq, CHAIN, SIDECAR, terms);
    const j = rfqToJson(terms, sig);
    const bad: [string, unknown][] = [
      ['a number for a uint', { ...j, tip: 1 }],
      ['a negative amount', { ...j, tip: '-1' }],
      ['a leading zero', { ...j, tip: '01' }],
      ['a slot past uint64', { ...j, slot: String(1n << 64n) }],
      ['a tip past uint256', { ...j, tip: String(1n << 256n) }],
      ['a short block hash', { ...j, blockHash: '0x12' }],
      ['a 64-byte signature', { ...j, signature: `0x${'00'.repeat(64)}` }],
      ['five addresses', { ...j, addrs: ['a', 'b', 'c', 'd', 'e'] }],
      ['an unknown key', { ...j, extra: 1 }],
    ];
    for (const [what, v] of bad) assert.equal(RfqJson.safeParse(v).success, false, what);
    assert.equal(RfqRequest.safeParse({ rfq: j, waitMs: 60_001 }).success, false, 'waitMs capped at 60 s');
    const qs = { quote: quoteToJson(quote), signature: `0x${'00'.repeat(65)}` };
    assert.equal(RfqAnswer.safeParse({ quotes: new Array(65).fill(qs) }).success, false, 'at most 64 quotes per answer');
    assert.equal(RfqAnswer.safeParse({ quotes: [{ ...qs, quote: { ...qs.quote, proverFundsDeposit: 'yes' } }] }).success, false);
    const poll = RfqPoll.safeParse({ prover: prover.address, after: '3', waitMs: '100' });
    assert.ok(poll.success && poll.data.after === 3 && poll.data.waitMs === 100, 'query strings coerce');
    assert.equal(RfqPoll.safeParse({ prover: prover.address, waitMs: '-1' }).success, false);
  });

  it('docs/relay-api.json is the OpenAPI document the schemas build (npm run relay:openapi)', () => {
    assert.equal(readFileSync(OPENAPI_FILE, 'utf8'), openApiText(), 'regenerate: npm run relay:openapi');
    const doc = relayOpenApi() as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/v1/provers', '/v1/quotes', '/v1/rfqs', '/v1/status']);
    assert.deepEqual(Object.keys(doc.paths['/v1/rfqs']).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.components.schemas.RfqJson.properties!).sort(), ['addrs', 'blockHash', 'deposit', 'peer', 'quoteDeadlineBlock', 'signature', 'slot', 'tip']);
  });
});

describe('config: sequencerRelays and proverRelays', () => {
  it('parses name=url[;timeoutMs] lists (env) and objects (file), default timeout 3000 ms', () => {
    const c = loadConfig({ env: { SIDECAR_SEQUENCER_RELAYS: 'alpha=http://127.0.0.1:9000;1500, beta=https://relay.example/x', SIDECAR_PROVER_RELAYS: 'http://127.0.0.1:9000' } });
    assert.deepEqual(c.sequencerRelays, [{ name: 'alpha', url: 'http://127.0.0.1:9000', timeoutMs: 1500 }, { name: 'beta', url: 'https://relay.example/x', timeoutMs: 3000 }]);
    assert.deepEqual(c.proverRelays, ['http://127.0.0.1:9000']);
    assert.deepEqual(loadConfig({ env: {} }).sequencerRelays, []);
    assert.deepEqual(loadConfig({ env: {}, flags: { sequencerRelays: [{ name: 'a', url: 'http://x:1', timeoutMs: 200 }] } }).sequencerRelays, [{ name: 'a', url: 'http://x:1', timeoutMs: 200 }]);
  });

  it('bad relay entries are clear errors naming the source', () => {
    const bad: [string, RegExp][] = [
      ['alpha', /name=url or name=url;timeoutMs/],
      ['Alpha=http://x:1', /name=url/],
      ['a=ftp://x', /expected an http\(s\) URL/],
      ['a=http://x:1;50', /timeout must be 100\.\.60000 ms/],
      ['a=http://x:1,a=http://y:2', /relay name a given twice/],
    ];
    for (const [v, re] of bad) {
      assert.throws(() => loadConfig({ env: { SIDECAR_SEQUENCER_RELAYS: v } }), (e: unknown) => e instanceof ConfigError && /env SIDECAR_SEQUENCER_RELAYS/.test(e.message) && re.test(e.message), v);
    }
    assert.throws(() => loadConfig({ env: { SIDECAR_PROVER_RELAYS: 'not a url' } }), /expected an http\(s\):\/\/ relay URL/);
  });
});
