// A misbehaving (or merely listening) peer built from raw libp2p + gossipsub, not from the node's
// P2PNode: it publishes whatever bytes it is given on any sidecar topic without checking them,
// and records every message it receives (a topic validator that accepts everything), so a test
// can count what honest nodes forward. Always stopped after the suite.
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { after } from 'node:test';
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { topicName, type TopicKind } from '../../node/p2p/index.js';
import { waitFor } from './p2p.js';

export interface RawPeer {
  libp2p: Libp2p<{ pubsub: GossipSub }>;
  readonly peerId: string;
  /** every message received, by topic kind (raw bytes, who sent it) */
  received: Map<TopicKind, { data: Uint8Array; from: string }[]>;
  /** publishes raw bytes on a topic (to every connected subscriber: flood publish) */
  publish(kind: TopicKind, data: Uint8Array): Promise<number>;
  /** true while connected to `peerId` */
  connectedTo(peerId: string): boolean;
  stop(): Promise<void>;
}

const peers: RawPeer[] = [];
let cleanup = false;

/** Starts a raw peer on 127.0.0.1, subscribed to `kinds`, dialling `dial` and waiting until it sees each of them on every kind of `waitFor` (default: `kinds`). */
export async function rawPeer(dial: { addr: string; peerId: string }[], kinds: TopicKind[], opts: { waitFor?: TopicKind[]; dialAttempts?: number } = {}): Promise<RawPeer> {
  const waitKinds = opts.waitFor ?? kinds;
  if (!cleanup) {
    // `after` binds to the test running now (the file, or one test): once it ran, the next raw
    // peer registers again, so every raw peer is stopped
    cleanup = true;
    after(() => {
      cleanup = false;
      return Promise.allSettled(peers.splice(0).map((p) => p.stop()));
    });
  }
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', allowPublishToZeroTopicPeers: true, heartbeatInterval: 100, floodPublish: true }),
    },
  }) as unknown as Libp2p<{ pubsub: GossipSub }>;
  const received = new Map<TopicKind, { data: Uint8Array; from: string }[]>();
  for (const k of kinds) {
    received.set(k, []);
    libp2p.services.pubsub.topicValidators.set(topicName(k), (from, msg) => {
      received.get(k)!.push({ data: msg.data, from: from.toString() });
      return TopicValidatorResult.Accept;
    });
    libp2p.services.pubsub.subscribe(topicName(k));
  }
  // libp2p refuses more than a few inbound connections per second from one host: retry a refused dial
  for (const d of dial) {
    for (let attempt = 1; ; attempt++) {
      try {
        await libp2p.dial(multiaddr(d.addr));
        break;
      } catch (e) {
        if (attempt >= (opts.dialAttempts ?? 10)) { await libp2p.stop(); throw e; }
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
  }
  await waitFor(() => dial.every((d) => waitKinds.every((k) => libp2p.services.pubsub.getSubscribers(topicName(k)).map(String).includes(d.peerId))), 'the raw peer sees its peers on its topics', 15_000);
  const p: RawPeer = {
    libp2p, received,
    get peerId() { return libp2p.peerId.toString(); },
    async publish(kind, data) {
      const r = await libp2p.services.pubsub.publish(topicName(kind), data);
      return r.recipients.length;
    },
    connectedTo: (peerId) => libp2p.getConnections().some((c) => c.remotePeer.toString() === peerId && c.status === 'open'),
    stop: async () => { await libp2p.stop(); },
  };
  peers.push(p);
  return p;
}
