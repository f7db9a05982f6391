// Aggregation of this node's consecutive pending blocks into one range proof (issue 10,
// "Aggregation on L1"). The submitter asks `consider(slot)` before landing one of its own
// proofs: the pure policy (decisions.ts aggregateDecision) says land it alone now, or wait for a
// range of 2 or 4 blocks starting there (the blocks must be this node's, naming it, their own
// proofs known or being made; the range expected ready `submitBlocks` L1 blocks before the first
// block's deadline, with a safety factor; one range submission cheaper than the blocks alone).
// While it waits, the block's own L1 proof stays in the proof book as the fallback; every tick
// asks again, so once the range is no longer expected in time the answer is 'alone' and the
// fallback lands before the deadline. A range is proven through the node's prover
// (Prover.proveRange: a job DAG in the orchestrator, persisted, leasable by agents), checked
// (bb verify, and its public inputs against what L1 computes for the range) and then landed
// by the submitter with one submitProofRange(from, to, ...).
import type { Prover } from '../../prover/index.js';
import { rangeEstimateMs, RANGE_SIZES } from '../../prover/range.js';
import { rollupPlan } from '../../prover/rollup.js';
import type { BlockProof } from '../../prover/types.js';
import { aggregateDecision, fallbackDue, type AggregateBlock, type AggregateDecision } from './decisions.js';
import type { L1View, RoleContext } from './context.js';
import type { ProverRole } from './prover.js';

/**
 * Gas of one submitProofRange by blocks covered, real verifiers (`npm run bench -- gas`:
 * single_1 alone, range_2, range_4; one-tx blocks). The aggregator replaces an entry with what
 * its own submissions measured.
 */
export const DEFAULT_SUBMIT_GAS: Readonly<Record<number, bigint>> = { 1: 2_284_467n, 2: 2_683_269n, 4: 2_741_322n };

export interface AggregatorOptions {
  /** most blocks per submission (config submitterAggregateMax; 1 = never aggregate) */
  aggregateMax: number;
  /** ms per L1 block (the node's measured block time) */
  blockMs: () => number;
  /** L1 blocks kept for the submission tx (default 2) */
  submitBlocks?: number;
  /** range estimate safety factor (default 1.5) */
  safety?: number;
}

interface RangeRun { slots: number[]; hashes: string[]; state: 'proving' | 'done' | 'failed'; proof?: BlockProof; error?: string; startedAt: number }

export class Aggregator {
  private readonly runs = new Map<string, RangeRun>();
  private readonly gas = new Map<number, bigint>(Object.entries(DEFAULT_SUBMIT_GAS).map(([k, v]) => [Number(k), v]));
  /** the last decision logged per first slot (logged again only when it changes) */
  private readonly said = new Map<number, string>();
  readonly decisions = new Map<string, number>();

  constructor(private readonly ctx: RoleContext, private readonly prover: Prover, private readonly role: ProverRole, private readonly o: AggregatorOptions) {
    ctx.metrics.counterFrom('sidecar_submitter_aggregation_decisions_total', 'submitter aggregation decisions by action (aggregate | alone | range-sent) and why', () =>
      [...this.decisions].map(([k, value]) => { const [action, why] = k.split(':'); return { labels: { action, why }, value }; }), ['action', 'why']);
  }

  /** A submission's measured gas for `n` blocks (the policy's figure from now on). */
  noteGas(n: number, gasUsed: bigint): void { this.gas.set(n, gasUsed); }

  private count(action: string, why: string): void {
    const k = `${action}:${why}`;
    this.decisions.set(k, (this.decisions.get(k) ?? 0) + 1);
  }

  /**
   * For this node's proof of `slot` (parent proven, in its proof window): 'alone' (land it now),
   * 'wait' (a range is coming), or a checked range proof starting at `slot` to land now.
   */
  async consider(slot: number, v: L1View, deadline: number): Promise<{ kind: 'alone' } | { kind: 'wait' } | { kind: 'range'; from: number; to: number; slots: number[]; proof: BlockProof }> {
    if (this.o.aggregateMax <= 1) return { kind: 'alone' };
    const { chain, client } = this.ctx;
    const me = this.ctx.address.toLowerCase();
    const submitBlocks = this.o.submitBlocks ?? 2;
    if (fallbackDue({ head: v.head, deadline, submitBlocks })) return this.decided(slot, { action: 'alone', n: 1, why: 'would-miss-deadline' }, 'the deadline is near: landing the block\'s own proof');
    // a range already proven from this slot, all its blocks still pending: land it
    for (const r of this.runs.values()) {
      if (r.slots[0] !== slot || r.state !== 'done' || !r.proof) continue;
      let pending = true;
      for (const [i, s] of r.slots.entries()) {
        const c = await chain.block(s);
        if (!c || c.status !== 'pending' || c.blockHash?.toLowerCase() !== r.hashes[i]) pending = false;
      }
      if (pending) {
        this.count('range-sent', String(r.slots.length));
        return { kind: 'range', from: r.slots[0], to: r.slots[r.slots.length - 1], slots: r.slots, proof: r.proof };
      }
    }
    // the candidates: the pending chain from this slot on (parent order), this node's blocks naming it
    const pend = await chain.pendingChain();
    const at = pend.findIndex((p) => p.slot === slot);
    if (at < 0) return { kind: 'alone' };
    const max = Math.min(this.o.aggregateMax, Math.max(...RANGE_SIZES));
    const blocks: (AggregateBlock & { blockHash: string; txs: number })[] = [];
    // what this node loses if a waited-for block misses its deadline: the deposits of its blocks in the range
    let atStakeWei = 0n;
    const model = this.prover.costModel();
    for (const p of pend.slice(at, at + max)) {
      const c = await chain.block(p.slot);
      const t = await client.slotTiming(p.slot);
      const mine = c?.prover?.toLowerCase() === me;
      if (mine && c) atStakeWei += (await chain.proposal(p.slot, c.sequencer))?.deposit ?? 0n;
      const txs = c?.revealed ? (await chain.blockTxs(p.blockHash))?.length ?? 0 : 0;
      const known = this.ctx.proofs.get(p.slot);
      const own = known && known.source === 'local' && known.blockHash === p.blockHash.toLowerCase();
      const eta = !mine ? undefined : own ? 0 : this.role.etaMs(p.blockHash) ?? rollupPlan({ blockHash: p.blockHash, slot: BigInt(p.slot), txs: new Array(txs) }, model).estimatedMs;
      blocks.push({ slot: p.slot, deadline: t.deadline, proofEtaMs: eta, blockHash: p.blockHash.toLowerCase(), txs });
    }
    // the next slots' blocks are not committed yet: a range waits for them only through the
    // policy's estimate (their commitment phase end, then their proving), and only while it fits
    if (blocks.length < max && blocks.every((b) => b.proofEtaMs !== undefined)) {
      const head = pend[pend.length - 1]?.slot ?? slot;
      for (let s = Math.max(head, blocks[blocks.length - 1].slot) + 1; blocks.length < max; s++) {
        const t = await client.slotTiming(s);
        if (t.commitEnd <= v.head) break; // decided already: it is in the pending chain or void
        const waitMs = (t.commitEnd - v.head) * this.o.blockMs();
        blocks.push({ slot: s, deadline: t.deadline, proofEtaMs: waitMs + rollupPlan({ blockHash: `0x${'00'.repeat(32)}`, slot: BigInt(s), txs: new Array(1) }, model).estimatedMs, blockHash: '', txs: 1 });
      }
    }
    const circuitsOf = (n: number) => blocks.slice(0, n).map((b) => rollupPlan({ blockHash: `0x${'00'.repeat(32)}`, slot: 0n, txs: new Array(b.txs) }, model).jobs.at(-1)!.circuit);
    const gasPrice = (await client.provider.getFeeData().catch(() => undefined))?.gasPrice ?? 10n ** 9n;
    const d = aggregateDecision({
      head: v.head, blockMs: this.o.blockMs(), blocks, aggregateMax: this.o.aggregateMax, sizes: RANGE_SIZES,
      rangeMs: (n) => rangeEstimateMs(circuitsOf(n), model),
      gasAlone: this.gas.get(1)!, gasRange: (n) => this.gas.get(n) ?? this.gas.get(1)! * BigInt(n),
      gasPriceWei: gasPrice, atStakeWei, submitBlocks, safety: this.o.safety,
    });
    if (d.action === 'alone') return this.decided(slot, d, 'landing the block\'s own proof');
    const members = blocks.slice(0, d.n);
    const ready = members.every((b) => b.proofEtaMs === 0);
    if (ready) this.start(members.map((b) => b.slot), members.map((b) => b.blockHash), deadline);
    const key = members.map((b) => b.slot).join(',');
    const run = this.runs.get(key);
    if (run?.state === 'failed') return this.decided(slot, { ...d, action: 'alone', why: 'would-miss-deadline' }, `the range proof failed (${run.error}): landing the block's own proof`);
    return this.decided(slot, d, ready ? (run?.state === 'done' ? 'range proven' : 'proving the range') : 'waiting for the next blocks\' own proofs');
  }

  private decided(slot: number, d: AggregateDecision, note: string): { kind: 'alone' } | { kind: 'wait' } {
    const sig = `${d.action}:${d.n}:${d.why}`;
    if (this.said.get(slot) !== sig) {
      this.said.set(slot, sig);
      this.count(d.action, d.why);
      const f = { slot, action: d.action, n: d.n, why: d.why, readyInMs: d.readyInMs, latestBlock: d.latestBlock, savedGas: d.savedGas === undefined ? undefined : String(d.savedGas) };
      this.ctx.log.info(f, `aggregation: ${d.action === 'aggregate' ? `wait for a range of ${d.n} blocks from slot ${slot}` : `slot ${slot} alone`} (${d.why}; ${note})`);
      this.ctx.emit({ type: 'aggregation', slot, action: d.action, n: d.n, why: d.why, savedGas: d.savedGas === undefined ? undefined : String(d.savedGas) });
    }
    if (this.said.size > 256) this.said.delete(this.said.keys().next().value!);
    return d.action === 'aggregate' ? { kind: 'wait' } : { kind: 'alone' };
  }

  /** Starts proving the range of `slots` (idempotent). */
  private start(slots: number[], hashes: string[], deadline: number): void {
    const key = slots.join(',');
    if (this.runs.has(key)) return;
    const run: RangeRun = { slots, hashes, state: 'proving', startedAt: Date.now() };
    this.runs.set(key, run);
    const { chain, client, log } = this.ctx;
    const recipient = this.ctx.address;
    void (async () => {
      const blocks = [];
      for (const [i, s] of slots.entries()) {
        const [preState, txs] = await Promise.all([chain.preState(s), chain.blockTxs(hashes[i])]);
        if (!preState || !txs) throw new Error(`block of slot ${s}: its pre-state or txs are not known`);
        blocks.push({ blockHash: hashes[i], slot: BigInt(s), preState, txs, recipient });
      }
      log.info({ slots }, `proving a range proof over slots ${slots.join(', ')}`);
      const proof = await this.prover.proveRange(blocks, recipient, { deadline });
      if (!(await this.prover.verify(proof))) throw new Error('the range proof does not verify with bb');
      const expected = (await client.publicInputs(slots[0], slots[slots.length - 1], recipient)).map(BigInt);
      const got = proof.publicInputs.map(BigInt);
      if (expected.length !== got.length || got.some((g, i) => g !== expected[i])) throw new Error('the range proof does not bind what L1 computes for the range');
      run.proof = proof;
      run.state = 'done';
      log.info({ slots, circuit: proof.circuit, ms: Date.now() - run.startedAt }, `range proof over slots ${slots.join(', ')} ready (${proof.circuit})`);
      this.ctx.proofs.emit('proof'); // the submitter runs again at once
    })().catch((e) => {
      run.state = 'failed';
      run.error = (e as Error).message;
      log.warn({ err: e, slots }, 'the range proof failed; the blocks\' own proofs are landed instead');
    });
  }

  /** A range that could not land (L1 refused it, or the tx failed): its blocks go alone. */
  failed(slots: readonly number[], why: string): void {
    const r = this.runs.get(slots.join(','));
    if (r) { r.state = 'failed'; r.error = why; }
  }

  /** Forget ranges whose first block is no longer pending. */
  async prune(): Promise<void> {
    for (const [k, r] of this.runs) {
      const c = await this.ctx.chain.block(r.slots[0]);
      if (!c || c.status !== 'pending') this.runs.delete(k);
    }
  }
}
