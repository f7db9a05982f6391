// The tx status ladder of SPEC §3. A tx only climbs, except to the two terminal-or-retry
// states: `reorged` (its block was invalidated; it may climb again if re-included) and
// `dropped` (evicted from the mempool without inclusion), and back to `pending` from
// `proposed`/`revealed`: its block never got a prover committed (or lost its slot) and the tx
// is waiting in the mempool again. Callers observe `pending` only for a tx that is in the
// mempool (node/mempool), so a tx of a committed block is never sent back.
export const LADDER = [
  'executed', 'pending', 'proposed', 'revealed', 'committed', 'proof-on-p2p', 'published', 'verified', 'finalized',
] as const;
export type LadderStatus = (typeof LADDER)[number];
export type TxStatus = LadderStatus | 'reorged' | 'dropped';
export const TX_STATUSES: readonly TxStatus[] = [...LADDER, 'reorged', 'dropped'];

export interface TxStatusRecord {
  txHash: string;
  /** highest status reached (or reorged/dropped) */
  status: TxStatus;
  /** when each status was first reached, ms since epoch */
  at: Partial<Record<TxStatus, number>>;
  slot?: number;
  blockHash?: string;
}

export function rank(s: TxStatus): number {
  return LADDER.indexOf(s as LadderStatus);
}

/**
 * Applies one observation to a record (or creates it). Returns the same record object if
 * nothing changed, so callers can skip a write.
 */
export function observe(
  prev: TxStatusRecord | undefined,
  txHash: string,
  status: TxStatus,
  now: number,
  where: { slot?: number; blockHash?: string } = {},
): TxStatusRecord {
  if (!TX_STATUSES.includes(status)) throw new Error(`unknown tx status ${JSON.stringify(status)}`);
  const rec: TxStatusRecord = prev ?? { txHash, status, at: {} };
  if (status === 'reorged' || status === 'dropped') {
    if (prev && (prev.status === status || rank(prev.status) >= rank('finalized'))) return prev;
    return { ...rec, status, at: { ...rec.at, [status]: rec.at[status] ?? now } };
  }
  if (status === 'pending' && prev && (prev.status === 'proposed' || prev.status === 'revealed')) {
    // back in the mempool: its block was not committed; it climbs again from here
    return { ...rec, status, slot: undefined, blockHash: undefined, at: { ...rec.at } };
  }
  // after a reorg a tx climbs again from wherever it is re-observed
  const climbing = !prev || prev.status === 'reorged' || prev.status === 'dropped' || rank(status) > rank(prev.status);
  if (!climbing) return prev!;
  const at = { ...rec.at };
  // statuses skipped on the way (e.g. a tx first seen in a revealed block) get this time too
  for (let i = 0; i <= rank(status); i++) at[LADDER[i]] ??= now;
  return { ...rec, status, at, slot: where.slot ?? rec.slot, blockHash: where.blockHash ?? rec.blockHash };
}
