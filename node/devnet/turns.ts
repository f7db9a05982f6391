// The devnet's proposal schedule (never set on a production node): which sequencer proposes in
// which slot, and when each has proposed its share of the run's blocks. Everything it counts is
// this run's: a block restored from a sequencer's store after a restart (kill -9 included) was
// proposed by an earlier run and counts for neither the turn nor the budget, so a resumed devnet
// always reaches its --slots.
import type { ChainNotice } from '../chain/index.js';
import type { SidecarConfig } from '../l1/client.js';
import type { SidecarNode } from '../node.js';
import type { L1View } from '../roles/context.js';
import type { ProposalPolicy } from '../roles/sequencer.js';

type PhaseConfig = Pick<SidecarConfig, 'genesisBlock' | 'proposalBlocks' | 'revealBlocks' | 'commitBlocks'>;

interface Seq {
  label: string;
  node: SidecarNode;
  /** blocks to propose in this run (undefined: forever) */
  budget?: number;
  pending: Set<number>;
  view?: L1View;
}

/**
 * With several sequencers they take turns (A, B, A, B, ...: the one with the fewest attempts in
 * this run goes next, in the order added; one whose budget is spent is passed over), and the one
 * whose turn it is proposes in the first slot where (1) at most `maxUnproven` blocks of its node's
 * pending chain are unproven, (2) the slot is not void (after a slash, slots up to `killedUpTo`),
 * and (3) its propose tx still lands at least one block before the proposal phase ends. One
 * proposer per slot: no rank contest. An attempt is a slot the sequencer made a block record for
 * (its propose landed or reverted); a slot it skipped (too late, not eligible yet) is tried again.
 */
export class DevnetTurns {
  private readonly seqs: Seq[] = [];
  private readonly claimed = new Map<number, string>();
  private config?: PhaseConfig;

  /**
   * `maxUnproven` undefined: no bound on the proposer's unproven pending blocks. `run`: each
   * sequencer takes `run` consecutive turns (A, A, B, B, ... for 2), so one prover gets
   * consecutive blocks it can aggregate into one range proof (the devnet with aggregation).
   */
  constructor(private readonly maxUnproven?: number, private readonly run = 1) {}

  /** Adds a sequencer node (before start()); `budget`: its blocks in this run. */
  add(label: string, node: SidecarNode, budget?: number): void {
    const s: Seq = { label, node, budget, pending: new Set() };
    this.seqs.push(s);
    node.on('tick', (v: L1View) => { s.view = v; });
    node.on('chain', (n: ChainNotice) => {
      if (n.type === 'canonical') s.pending.add(n.slot);
      else if (n.type === 'proven' || n.type === 'slashed' || n.type === 'invalidated') s.pending.delete(n.slot);
      else if (n.type === 'rewound') s.pending.clear();
      else if (n.type === 'l1-reorg') void this.reload(s);
    });
  }

  private async reload(s: Seq): Promise<void> {
    const chain = await s.node.chain.pendingChain();
    s.pending.clear();
    for (const b of chain) s.pending.add(b.slot);
  }

  /** Begins the schedule (after the sequencers staked). */
  async start(config: PhaseConfig): Promise<void> {
    for (const s of this.seqs) await this.reload(s);
    this.config = config;
  }

  /** The slots `s` tried in this run and made a block record for (its propose landed or reverted):
   *  claimed by this schedule, so never a block restored from an earlier run. */
  private attemptsOf(s: Seq): number {
    let n = 0;
    for (const [slot, label] of this.claimed) if (label === s.label && s.node.sequencer?.blocks.has(slot)) n++;
    return n;
  }

  /** `label` proposed (or tried to) the block of `slot` in this run. */
  proposedInRun(label: string, slot: number): boolean {
    return this.claimed.get(slot) === label;
  }

  /** `label` proposed all the blocks of its budget in this run. */
  done(label: string): boolean {
    const s = this.seqs.find((x) => x.label === label);
    return s?.budget !== undefined && this.attemptsOf(s) >= s.budget;
  }

  /** Every sequencer proposed its budget (never true with an unbounded one). */
  allDone(): boolean { return this.seqs.every((s) => this.done(s.label)); }

  /** Blocks attempted by each sequencer in this run. */
  attempts(): Record<string, number> {
    return Object.fromEntries(this.seqs.map((s) => [s.label, this.attemptsOf(s)]));
  }

  /** Whose turn it is: the fewest attempts in this run (in runs of `run`) among those with budget left (ties: the first added). */
  turn(): string | undefined {
    let best: { s: Seq; n: number } | undefined;
    for (const s of this.seqs) {
      if (this.done(s.label)) continue;
      const n = Math.floor(this.attemptsOf(s) / this.run);
      if (!best || n < best.n) best = { s, n };
    }
    return best?.s.label;
  }

  /** The sequencer option `policy` of the sequencer `label`. */
  policy(label: string): ProposalPolicy {
    return { mayPropose: (slot) => this.mayPropose(label, slot) };
  }

  private mayPropose(label: string, slot: number): boolean {
    const c = this.claimed.get(slot);
    if (c !== undefined) return c === label && !this.done(label);
    const cfg = this.config;
    const me = this.seqs.find((s) => s.label === label);
    if (!cfg || !me?.view || me.view.slot !== slot || this.turn() !== label) return false;
    if (this.maxUnproven !== undefined && me.pending.size > this.maxUnproven) return false;
    if (slot <= me.node.chain.head().killedUpTo) return false;
    const period = cfg.proposalBlocks + cfg.revealBlocks + cfg.commitBlocks;
    const proposalEnd = Number(cfg.genesisBlock) + (slot - 1) * period + cfg.proposalBlocks;
    if (me.view.head + 2 >= proposalEnd) return false;
    this.claimed.set(slot, label);
    return true;
  }
}
