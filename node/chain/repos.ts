// The L2 chain's repositories (node/storage), one per kind of record, each under its own key
// prefix and validated on read (a damaged value is a StorageError 'bad-value' naming the key).
// Keys that sort: slots, L1 blocks and sequence numbers are zero-padded decimals.
import { z } from 'zod';
import { jsonCodec, type Repository, type Store } from '../storage/index.js';
import { TX_STATUSES, type TxStatusRecord } from '../status/ladder.js';

export const padSlot = (n: number): string => String(n).padStart(12, '0');
export const padSeq = (n: number): string => String(n).padStart(16, '0');

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'expected a lowercase 0x-hex 32-byte value');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address');
const uint = z.number().int().nonnegative();
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes');

/**
 * A proposal as seen in `Proposed` (and `Revealed`, `ProverCommitted`). `Proposed` carries only the
 * sealed commitment keccak256(abi.encode(blockHash, sequencer)); the block hash is known from `Revealed`.
 */
export const ProposalSchema = z.object({
  slot: uint, sequencer: address, commitment: hex32, tip: z.bigint(), rewardShareBps: uint, l1Block: uint,
  /** set by `Revealed`: the plain block hash (key of `revealed`) */
  blockHash: hex32.optional(),
  prover: address.optional(), deposit: z.bigint().optional(), depositor: address.optional(),
});
export type ProposalRecord = z.infer<typeof ProposalSchema>;

/** A revealed block with its calldata and whether this node can prove it. */
export const RevealedSchema = z.object({
  slot: uint, sequencer: address, blockHash: hex32, startRoot: hex32, endRoot: hex32, txsCommitment: hex32,
  txCount: uint, txs: bytes, witnessData: bytes, txHashes: z.array(hex32),
  /** false: executing it on the L2 state fails (or its data is unavailable): never commit a deposit on it */
  provable: z.boolean(), reason: z.string().optional(),
  l1Block: uint, l1Tx: hex32,
});
export type RevealedBlock = z.infer<typeof RevealedSchema>;

export const CANONICAL_STATUSES = ['pending', 'proven', 'slashed', 'invalidated'] as const;
export type CanonicalStatus = (typeof CANONICAL_STATUSES)[number];

/** The canonical block of a slot (the leader during the commitment phase, final after it). */
export const CanonicalSchema = z.object({
  slot: uint, sequencer: address, blockHash: hex32.optional(), parentSlot: uint,
  status: z.enum(CANONICAL_STATUSES), finalized: z.boolean(), provable: z.boolean(), reason: z.string().optional(),
  txHashes: z.array(hex32), l1Block: uint, provenAtL1: uint.optional(), statusAtL1: uint.optional(),
  prover: address.optional(), recipient: address.optional(),
  proofOnP2pAt: z.number().optional(), publishedAt: z.number().optional(),
});
export type CanonicalBlock = z.infer<typeof CanonicalSchema>;

/** An L2 world state snapshot: the proven tip or the pending tip. */
export const StateSchema = z.object({
  /** the last slot applied into this state (0 = genesis) */
  slot: uint, blockHash: hex32.optional(), root: hex32,
  /** pending state only: the first pending slot that could not be applied (the state stops before it) */
  brokenAt: uint.optional(),
  accounts: z.array(z.object({ index: uint, x: z.string(), y: z.string(), balance: z.string(), nonce: uint })),
});
export type StateRecord = z.infer<typeof StateSchema>;

export const TxStatusSchema = z.object({
  txHash: hex32, status: z.enum(TX_STATUSES as [string, ...string[]]), at: z.record(z.string(), z.number()),
  slot: uint.optional(), blockHash: hex32.optional(),
}) as unknown as z.ZodType<TxStatusRecord>;

/** The L1 position: everything up to (block, logIndex) is applied; complete = the whole block. */
export const CursorSchema = z.object({ block: z.number().int().min(-1), blockHash: z.string(), logIndex: z.number().int(), complete: z.boolean(), seq: uint });
export type Cursor = z.infer<typeof CursorSchema>;

/** Old values of every key one event batch changed (for an L1 reorg). */
export const UndoSchema = z.object({
  seq: uint, block: uint,
  entries: z.array(z.object({ prefix: z.string(), key: z.string(), old: bytes.nullable() })),
});
export type UndoRecord = z.infer<typeof UndoSchema>;

export const MetaSchema = z.object({ killedUpTo: uint.optional(), diverged: z.string().optional() });
export type ChainMeta = z.infer<typeof MetaSchema>;

function codec<T>(schema: z.ZodType<T>) {
  return jsonCodec<T>((v) => {
    const r = schema.safeParse(v);
    if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; '));
    return r.data;
  });
}

export interface ChainRepos {
  /** `<slot>/<sequencer>` → proposal */
  proposals: Repository<ProposalRecord>;
  /** block hash → revealed block */
  revealed: Repository<RevealedBlock>;
  /** `<slot>/<sequencer>` → block hash */
  revealedBySlot: Repository<string>;
  /** slot → canonical block and status */
  canonical: Repository<CanonicalBlock>;
  /** slot → block hash: the pending chain (canonical, unproven) */
  pending: Repository<string>;
  /** slot → block hash: the proven chain */
  proven: Repository<string>;
  /** 'pending' | 'proven' → world state snapshot */
  state: Repository<StateRecord>;
  /** L2 tx hash → status ladder record */
  txs: Repository<TxStatusRecord>;
  /** slot → L1 block of its BlockProven (waiting for finality) */
  finality: Repository<number>;
  /** 'cursor' */
  cursor: Repository<Cursor>;
  /** 'meta' */
  meta: Repository<ChainMeta>;
  /** seq → undo record */
  undo: Repository<UndoRecord>;
  /** L1 block → its hash (blocks this node derived something from; to find a reorg's fork point) */
  l1Hashes: Repository<string>;
}

export function chainRepos(store: Store): ChainRepos {
  const str = codec(z.string());
  return {
    proposals: store.repository('chain.proposals', codec(ProposalSchema)),
    revealed: store.repository('chain.revealed', codec(RevealedSchema)),
    revealedBySlot: store.repository('chain.revealed-by-slot', str),
    canonical: store.repository('chain.canonical', codec(CanonicalSchema)),
    pending: store.repository('chain.pending', str),
    proven: store.repository('chain.proven', str),
    state: store.repository('chain.state', codec(StateSchema)),
    txs: store.repository('chain.txs', codec(TxStatusSchema)),
    finality: store.repository('chain.finality', codec(uint)),
    cursor: store.repository('chain.cursor', codec(CursorSchema)),
    meta: store.repository('chain.meta', codec(MetaSchema)),
    undo: store.repository('chain.undo', codec(UndoSchema)),
    l1Hashes: store.repository('chain.l1-hashes', str),
  };
}
