// Gossip topics of the sidecar network (SPEC §6, docs/design.md "Network"): versioned names,
// a byte limit per topic and the drop policy of the queue between gossip and the node.

export const TOPIC_KINDS = ['txs', 'blocks', 'rfq', 'quotes', 'proofs'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** Wire protocol version in every topic name; bump it with any incompatible encoding change. */
export const NETWORK_VERSION = 1;

/** `/sidecar/1/txs/ssz` and so on. */
export function topicName(kind: TopicKind, version = NETWORK_VERSION): string {
  return `/sidecar/${version}/${kind}/ssz`;
}

export function topicKindOf(name: string): TopicKind | undefined {
  const m = /^\/sidecar\/(\d+)\/([a-z]+)\/ssz$/.exec(name);
  if (!m || Number(m[1]) !== NETWORK_VERSION) return undefined;
  return (TOPIC_KINDS as readonly string[]).includes(m[2]) ? (m[2] as TopicKind) : undefined;
}

/** What a full queue does with one more message. */
export type DropPolicy = 'drop-oldest' | 'drop-newest';

export interface TopicSpec {
  kind: TopicKind;
  /** Largest accepted message, bytes (checked before decoding). */
  maxBytes: number;
  /** Messages waiting for the node's handler. */
  queueCapacity: number;
  dropPolicy: DropPolicy;
}

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Limits: each is the largest valid encoding of the topic's type (see codec.ts), rounded up.
 * - txs: exactly 96 bytes. Newest txs matter most (older ones are likely already included).
 * - blocks: 1024 txs -> 8 + 32 + 32 + 2*4 (offsets) + 1024*32 + 1024*64 = 98,384 bytes.
 * - rfq: 177 bytes + the sequencer's peer id and up to 4 addresses (at most ~900); quotes: 218 bytes
 *   (a quote travels point to point on quote/1, never on this topic).
 * - proofs: up to 2 MiB of proof bytes and 64 public inputs; a proof already queued is work
 *   that will be used, so a full proofs queue drops the newest.
 */
export const TOPICS: Record<TopicKind, TopicSpec> = {
  txs: { kind: 'txs', maxBytes: 96, queueCapacity: 4096, dropPolicy: 'drop-oldest' },
  blocks: { kind: 'blocks', maxBytes: 100 * KIB, queueCapacity: 64, dropPolicy: 'drop-oldest' },
  rfq: { kind: 'rfq', maxBytes: 1024, queueCapacity: 256, dropPolicy: 'drop-oldest' },
  quotes: { kind: 'quotes', maxBytes: 512, queueCapacity: 1024, dropPolicy: 'drop-oldest' },
  proofs: { kind: 'proofs', maxBytes: 2 * MIB + 4 * KIB, queueCapacity: 64, dropPolicy: 'drop-newest' },
};

/** The largest message any topic accepts; gossipsub skips decoding anything larger. */
export const MAX_GOSSIP_BYTES = Math.max(...Object.values(TOPICS).map((t) => t.maxBytes));
