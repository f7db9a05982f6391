// The attacker of `npm run bench -- flood`, in a process of its own so that its CPU is not the
// measured node's: a peer built from raw libp2p + gossipsub (not the project's P2PNode) that dials
// builds its messages, dials the target, waits until it sees the target on the topic, says "ready" on
// stderr, waits for "go" on stdin, then publishes them all at once (flood publish) and prints one
// JSON line {sent, ms, disconnected} on stdout.
//   node --import tsx bench/lib/flood-attacker.ts '{"addr":"/ip4/127.0.0.1/tcp/…/p2p/…","attack":"txs-bad-signature","count":10000}'
import { randomBytes } from 'node:crypto';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { encodeTxBody } from '../../circuits/l2/index.js';
import { encodeMessage, fromHex, topicName, type TopicKind } from '../../node/p2p/index.js';
import { Fixtures } from '../../test/helpers/p2p-fixtures.js';

export type Attack = 'txs-bad-signature' | 'quotes-bad-signature' | 'txs-valid-ignored';
export const ATTACK_TOPIC: Record<Attack, TopicKind> = { 'txs-bad-signature': 'txs', 'quotes-bad-signature': 'quotes', 'txs-valid-ignored': 'txs' };

const { addr, attack, count } = JSON.parse(process.argv[2]) as { addr: string; attack: Attack; count: number };
const kind = ATTACK_TOPIC[attack];
const topic = topicName(kind);
const fx = await Fixtures.create();

function messages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (attack === 'txs-bad-signature') {
      // a known sender, a fresh body each, 64 random signature bytes
      const body = encodeTxBody({ from: i % 4, to: (i + 1) % 4, amount: BigInt(i + 1), nonce: i % 50 });
      out.push(encodeMessage('txs', { body, signature: randomBytes(64) }));
    } else if (attack === 'txs-valid-ignored') {
      // validly signed by the attacker's own account (3), nonces far ahead: Ignored, never banned
      out.push(encodeMessage('txs', fx.tx(3, 0, 1n, 1_000_000 + i)));
    } else {
      // a quote of a current slot with 65 random signature bytes
      out.push(encodeMessage('quotes', {
        slot: 200n, blockHash: randomBytes(32), sequencer: fromHex(fx.prover.address, 20), prover: fromHex(fx.prover.address, 20), fee: 1n, deposit: 1n,
        proverFundsDeposit: true, validUntilBlock: 500n, signature: randomBytes(65),
      }));
    }
  }
  return out;
}

// built before dialling: signing 2,000 txs holds this process' event loop for seconds, which an
// open connection would not survive (keep-alives)
const msgs = messages();
const libp2p = await createLibp2p({
  transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
  services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', allowPublishToZeroTopicPeers: true, heartbeatInterval: 100, floodPublish: true }) },
}) as unknown as Libp2p<{ pubsub: GossipSub }>;
const target = multiaddr(addr);
const targetId = target.getComponents().find((c) => c.name === 'p2p')!.value!;
libp2p.services.pubsub.subscribe(topic);
for (let attempt = 1; ; attempt++) {
  try { await libp2p.dial(target); break; } catch (e) {
    if (attempt >= 10) throw e;
    await new Promise((r) => setTimeout(r, 300 * attempt));
  }
}
const deadline = Date.now() + 15_000;
while (!libp2p.services.pubsub.getSubscribers(topic).map(String).includes(targetId)) {
  if (Date.now() > deadline) throw new Error('the target never showed up on the topic');
  await new Promise((r) => setTimeout(r, 25));
}
process.stderr.write('ready\n');
await new Promise<void>((r) => process.stdin.once('data', () => r()));
const connected = () => libp2p.getConnections().some((c) => c.remotePeer.toString() === targetId && c.status === 'open');
const t0 = performance.now();
let sent = 0;
// all at once, as fast as gossipsub takes them; a publish after the target hung up reaches nobody
await Promise.all(msgs.map(async (m) => {
  const r = await libp2p.services.pubsub.publish(topic, m).catch(() => undefined);
  if (r && r.recipients.length > 0) sent++;
}));
const ms = performance.now() - t0;
// give the target a moment to hang up (it bans at the second invalid message)
const until = Date.now() + 5000;
while (connected() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
process.stdout.write(JSON.stringify({ sent, ms: Math.round(ms), disconnected: !connected() }) + '\n');
await libp2p.stop();
process.exit(0);
