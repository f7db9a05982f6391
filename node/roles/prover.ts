// The prover role: proves every pending canonical block this node is the committed prover of,
// through the prover pool (real bb.js proofs), checks each final proof (bb.js verify and its
// public inputs against the block's L1 public inputs) and puts it in the proof book. Work on a
// block that is slashed, invalidated or no longer canonical is cancelled. After a restart
// (kill -9 included) the block is proven again from the chain's state: every job whose proof the
// prover's store holds is reused (counted: `reused` in progress, orchestrator jobsReusedFromStore).
import { fitsInTime, largestFitting } from './decisions.js';
import type { Prover } from '../../prover/index.js';
import { rollupPlan } from '../../prover/index.js';
import { lowerBoundMs } from '../../circuits/plan-stats.js';
import type { ChainNotice } from '../chain/index.js';
import type { BlockProof } from '../../prover/types.js';
import type { L1View, RoleContext } from './context.js';

interface Active { slot: number; blockHash: string; ctrl: AbortController; jobs: number; done: number; reused: number; startedAt: number; estimatedMs: number }

/** Fault injection for devnets and tests (node/devnet/faults.ts); a production node has none. */
export interface ProverFaultPlan {
  /** true: do not prove this block (the watcher slashes the deposit). Must answer the same for a
   *  block after a restart: derive it from L1 (e.g. the block's ordinal among this prover's
   *  commitments), not from a counter in memory. */
  withhold(block: { slot: number; blockHash: string; prover: string }, chain: Pick<RoleContext['chain'], 'committedTo'>): Promise<boolean>;
}

export interface ProverRoleOptions {
  /** devnet / test fault injection (withhold some proofs) */
  faults?: ProverFaultPlan;
  /** a checked final proof is ready (e.g. share it over gossip) */
  onProof?: (p: BlockProof) => void;
}

export class ProverRole {
  readonly active = new Map<string, Active>();
  private started = new Set<string>();
  readonly withheld = new Set<number>();
  readonly finished: { slot: number; blockHash: string; circuit: string; ms: number; txs: number; estimatedMs: number; reused: number }[] = [];

  constructor(private readonly ctx: RoleContext, readonly prover: Prover, private readonly o: ProverRoleOptions = {}) {
    // a job proven now, or its proof persisted before a restart: one more done
    const onDone = (reused: boolean) => (e: { blockHashes: string[] }) => {
      for (const h of e.blockHashes) {
        const a = this.active.get(h.toLowerCase());
        if (a) {
          a.done++;
          if (reused) a.reused++;
          this.ctx.emit({ type: 'proving', slot: a.slot, blockHash: a.blockHash, jobs: a.jobs, done: a.done });
        }
      }
    };
    prover.orchestrator.on('job:finished', onDone(false));
    prover.orchestrator.on('job:reused', onDone(true));
  }

  /** Chain notices: stop work on blocks that can no longer be proven. */
  onNotice(n: ChainNotice): void {
    if (n.type === 'slashed' || n.type === 'invalidated') {
      for (const a of this.active.values()) if (a.slot === n.slot) this.cancel(a, n.type);
    }
  }

  private cancel(a: Active, why: string): void {
    a.ctrl.abort(new Error(why));
    this.prover.cancel(a.blockHash, why);
    this.active.delete(a.blockHash);
  }

  async tick(v: L1View): Promise<void> {
    const { chain, address } = this.ctx;
    const me = address.toLowerCase();
    for (const { slot, blockHash } of await chain.pendingChain()) {
      const hash = blockHash.toLowerCase();
      if (this.started.has(hash)) continue;
      const c = await chain.block(slot);
      if (!c || c.status !== 'pending' || c.prover?.toLowerCase() !== me) continue;
      // the canonical block can still change while the slot's commitment phase runs
      if (slot === v.slot && v.phase === 'Commitment') continue;
      this.started.add(hash);
      let withhold = false;
      try {
        withhold = this.o.faults !== undefined && (await this.o.faults.withhold({ slot, blockHash: hash, prover: me }, chain));
      } catch (e) {
        this.started.delete(hash); // asked again next tick
        this.ctx.log.warn({ err: e, slot }, `the fault plan failed for slot ${slot}: ${(e as Error).message}`);
        continue;
      }
      if (withhold) {
        this.withheld.add(slot);
        this.ctx.log.warn({ slot, blockHash: hash }, 'withholding this block\'s proof (fault plan, e.g. --withhold-every)');
        this.ctx.emit({ type: 'prove-failed', slot, blockHash: hash, reason: 'withheld on purpose', cause: 'withheld' });
        continue;
      }
      void this.prove(slot, hash);
    }
    // a block that stopped being canonical (reorg) is not worth proving
    for (const a of [...this.active.values()]) {
      const c = await chain.block(a.slot);
      if (!c || c.blockHash?.toLowerCase() !== a.blockHash || c.status === 'slashed' || c.status === 'invalidated') this.cancel(a, 'no longer canonical');
    }
  }

  private async prove(slot: number, blockHash: string): Promise<void> {
    const { chain, client, log } = this.ctx;
    const t0 = Date.now();
    const ctrl = new AbortController();
    try {
      const [preState, txs, timing] = await Promise.all([chain.preState(slot), chain.blockTxs(blockHash), client.slotTiming(slot)]);
      if (!preState || !txs) throw new Error(`block ${blockHash} of slot ${slot}: its pre-state or txs are not known`);
      const recipient = this.ctx.address;
      const plan = this.prover.plan({ blockHash, slot: BigInt(slot), txs, recipient });
      const a: Active = { slot, blockHash, ctrl, jobs: plan.jobs.length, done: 0, reused: 0, startedAt: t0, estimatedMs: plan.estimatedMs };
      this.active.set(blockHash, a);
      const before = await this.prover.jobs?.getBlock(blockHash);
      if (before?.status === 'proving') log.info({ slot, blockHash, jobs: a.jobs }, 'resuming a block whose proving was interrupted (persisted proofs are reused)');
      this.ctx.emit({ type: 'proving', slot, blockHash, jobs: a.jobs, done: 0 });
      const proof = await this.prover.proveBlock({ blockHash, slot: BigInt(slot), preState, txs, recipient, deadline: timing.deadline, signal: ctrl.signal });
      // check before anyone relies on it: bb.js verifies it, and it binds the block L1 holds
      if (!(await this.prover.verify(proof))) throw new Error(`the final proof of slot ${slot} does not verify with bb.js`);
      const expected = (await client.publicInputs(slot, slot, recipient)).map((x) => BigInt(x));
      const got = proof.publicInputs.map((x) => BigInt(x));
      if (expected.length !== got.length || got.some((g, i) => g !== expected[i])) {
        throw new Error(`the final proof of slot ${slot} binds [${got.join(', ')}], L1 expects [${expected.join(', ')}]`);
      }
      this.active.delete(blockHash);
      const ms = Date.now() - t0;
      this.finished.push({ slot, blockHash, circuit: proof.circuit, ms, txs: txs.length, estimatedMs: plan.estimatedMs, reused: a.reused });
      this.ctx.proofs.add({ slot, blockHash, proof, source: 'local', knownAt: Date.now() });
      this.o.onProof?.(proof);
      this.ctx.emit({ type: 'proved', slot, blockHash, circuit: proof.circuit, ms });
      log.info({ slot, blockHash, circuit: proof.circuit, ms, jobs: proof.proven, reused: proof.reused }, 'block proven');
    } catch (e) {
      this.active.delete(blockHash);
      const reason = (e as Error).message;
      const cancelled = (e as { code?: string }).code === 'cancelled' || ctrl.signal.aborted;
      this.ctx.emit({ type: 'prove-failed', slot, blockHash, reason, cause: cancelled ? 'cancelled' : 'failed' });
      if (cancelled) log.info({ slot, blockHash, reason }, 'proving cancelled');
      else log.warn({ err: e, slot, blockHash }, 'proving failed');
    }
  }

  /**
   * Can this prover finish one more block of `txCount` txs before L1 block `deadline`? The
   * block's plan (Prover.plan: the prover's cost model — the pool's backend and its own recent
   * measured proving times per circuit — and its pool's workers) estimated as max(total work /
   * workers, critical path), scaled by how the last blocks
   * proven from scratch compared with the same model's estimate of them (witnesses, checks,
   * queueing; 1 before the first), times the blocks in flight plus one, against the time left
   * at `blockMs` per L1 block, with a 20% margin.
   */
  fits(deadline: number, head: number, blockMs: number, txCount: number): { ok: boolean; needMs: number; haveMs: number; active: number; proveMs: number } {
    return this.fitter(deadline, head, blockMs)(txCount);
  }

  /** `fits` for one deadline: the cost model, the planner's options and the measured speed read once for every size asked. */
  private fitter(deadline: number, head: number, blockMs: number): (txCount: number) => { ok: boolean; needMs: number; haveMs: number; active: number; proveMs: number } {
    const model = this.prover.costModel();
    const planOpts = this.prover.planOptions();
    // a block's time on the pool: max(total work / workers, critical path) of its plan
    const estimateOf = (txs: number) => lowerBoundMs(rollupPlan({ blockHash: `0x${'00'.repeat(32)}`, slot: 0n, txs: new Array(txs) }, model, planOpts), planOpts.workers ?? 1);
    // each recent block against today's model (not the one it was planned with: the model has
    // since taken in its measured times, and scaling by both would count the speed twice)
    const recent = this.finished.filter((f) => f.reused === 0).slice(-5).map((f) => ({ ms: f.ms, est: estimateOf(f.txs) })).filter((f) => f.est > 0);
    const speed = recent.length ? recent.reduce((a, f) => a + f.ms / f.est, 0) / recent.length : 1;
    const active = this.active.size;
    return (txCount) => {
      const proveMs = estimateOf(txCount) * speed;
      return { ...fitsInTime({ proveMs, active, deadline, head, blockMs }), active, proveMs };
    };
  }

  /**
   * The most txs (up to `maxTxs`, 0 = none) such that a block of any size up to it fits
   * (decisions.ts largestFitting: monotone even where the plan estimates are not).
   */
  largestFitting(deadline: number, head: number, blockMs: number, maxTxs: number): number {
    const fits = this.fitter(deadline, head, blockMs);
    return largestFitting(maxTxs, (n) => fits(n).ok);
  }


  /** ms until this node's own proof of the block is expected (its plan's estimate less the time spent; undefined: not being proven here). */
  etaMs(blockHash: string): number | undefined {
    const a = this.active.get(blockHash.toLowerCase());
    return a ? Math.max(1, a.estimatedMs - (Date.now() - a.startedAt)) : undefined;
  }

  /** Blocks in flight: jobs done of jobs, of which `reused` came from the store (a restart). */
  progress(): { slot: number; blockHash: string; jobs: number; done: number; reused: number; ms: number }[] {
    return [...this.active.values()].map((a) => ({ slot: a.slot, blockHash: a.blockHash, jobs: a.jobs, done: a.done, reused: a.reused, ms: Date.now() - a.startedAt }));
  }
}
