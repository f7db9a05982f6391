import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  BlockSsz, DecodeError, QuoteSsz, TOPICS, TOPIC_KINDS, decodeMessage, encodeMessage, topicKindOf, topicName,
  type TopicKind, type TopicMessages,
} from '../../../node/p2p/index.js';
import { Fixtures } from '../../helpers/p2p-fixtures.js';

describe('p2p codec (SSZ)', () => {
  let fx: Fixtures;
  let samples: { [K in TopicKind]: TopicMessages[K] };
  before(async () => {
    fx = await Fixtures.create();
    const block = fx.block(120n, 3);
    const hash = fx.makeCanonical(block);
    samples = { txs: fx.tx(0, 1, 5n, 0), blocks: block, rfq: fx.rfq(120n, hash), quotes: await fx.quote(120n, hash), proofs: fx.proof(120n, hash, 1) };
  });

  it('round-trips every topic deterministically, within its size limit', () => {
    for (const k of TOPIC_KINDS) {
      const bytes = encodeMessage(k, samples[k] as never);
      assert.ok(bytes.length <= TOPICS[k].maxBytes, `${k}: ${bytes.length} > ${TOPICS[k].maxBytes}`);
      assert.deepEqual(encodeMessage(k, decodeMessage(k, bytes) as never), bytes, k);
    }
    assert.equal(encodeMessage('txs', samples.txs).length, 96, 'a tx is body ‖ signature, as circuits/l2 encodeSignedTx');
  });

  it('the largest valid block and proof fit their topic limits', () => {
    const full = fx.block(1n, 1);
    const big: TopicMessages['blocks'] = { ...full, txs: Array(1024).fill(full.txs[0]), witnessData: new Uint8Array(1024 * 64) };
    assert.ok(BlockSsz.serialize(big).length <= TOPICS.blocks.maxBytes);
    const p = fx.proof(1n, '0x' + '00'.repeat(32), 1, 2 * 1024 * 1024);
    p.publicInputs = Array(64).fill(new Uint8Array(32));
    assert.ok(encodeMessage('proofs', p).length <= TOPICS.proofs.maxBytes);
  });

  it('rejects malformed bytes with a DecodeError: truncation, bad offsets, bad booleans, over-long lists', () => {
    const block = encodeMessage('blocks', samples.blocks);
    const cases: [TopicKind, Uint8Array][] = [
      ['txs', encodeMessage('txs', samples.txs).subarray(0, 95)],
      ['blocks', block.subarray(0, 50)],
      ['blocks', (() => { const b = block.slice(); new DataView(b.buffer).setUint32(72, 81, true); return b; })()],
      ['blocks', (() => { const b = block.slice(); new DataView(b.buffer).setUint32(76, new DataView(b.buffer).getUint32(76, true) + 1, true); return b; })()],
      ['quotes', (() => { const b = QuoteSsz.serialize(samples.quotes); b[8 + 32 + 20 + 20 + 32 + 32] = 2; /* slot, blockHash, sequencer, prover, fee, deposit, then the boolean */ return b; })()],
      ['proofs', new Uint8Array(3)],
      ['rfq', new Uint8Array(0)],
    ];
    for (const [k, bytes] of cases) {
      assert.throws(() => decodeMessage(k, bytes), (e) => e instanceof DecodeError && e.code === 'malformed', `${k} ${bytes.length} bytes`);
    }
  });

  it('names topics with a version and parses them back', () => {
    assert.equal(topicName('txs'), '/sidecar/1/txs/ssz');
    for (const k of TOPIC_KINDS) assert.equal(topicKindOf(topicName(k)), k);
    assert.equal(topicKindOf('/sidecar/2/txs/ssz'), undefined);
    assert.equal(topicKindOf('/sidecar/1/other/ssz'), undefined);
  });
});
