// A `sidecar simulate` scenario: the protocol parameters the Sidecar contract is deployed with,
// the actors (sequencers, prover groups with hardware profiles and prices, attackers), the
// events (provers going offline / joining, L1 fee spikes) and an optional parameter sweep.
// Token amounts are in whole tokens (18 decimals on chain); times in L1 blocks unless named *Seconds.
// Validated with zod; a bad file gets one line per problem, naming the field.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const tokens = z.number().nonnegative();
const bps = z.number().int().min(0).max(10_000);
const frac = z.number().min(0).max(1);

export const HardwareSchema = z.object({
  /** proving time = the cost model's estimate (circuits/plan.ts estimateMs) x speed (1 = the measured single-thread machine) */
  speed: z.number().positive(),
  /** lognormal sigma of the proving time around that (0 = exact) */
  spread: z.number().min(0).max(2).default(0.15),
  /** cores one block's proof keeps busy (prices proving in the P&L) */
  cores: z.number().int().positive().default(1),
  /** blocks proven at once (more wait: the node's `active` count) */
  parallel: z.number().int().positive().default(1),
}).strict();

export const ProverGroupSchema = z.object({
  name: z.string().min(1),
  count: z.number().int().min(1).max(100_000),
  hardware: z.string().min(1),
  /** least fee quoted, per block in flight (node/roles/market.ts quoteFee) */
  baseFee: tokens.default(0.05),
  /** deposit offered at least (the RFQ's if larger) */
  deposit: tokens.optional(),
  /** node/roles/pnl.ts PnlPrices, in tokens */
  costPerCoreHour: tokens.default(0.5),
  tokensPerEth: tokens.default(2000),
  capitalBpsPerYear: bps.default(500),
  slashRiskBps: bps.default(10),
  /** share of committed blocks this group never proves (withholding) */
  withholdRate: frac.default(0),
  /** quote only from this slot on (joiners) */
  onlineFromSlot: z.number().int().min(1).optional(),
  /** gone from this slot on: no quotes, and blocks in flight are never proven */
  offlineFromSlot: z.number().int().min(1).optional(),
  /** tokens each prover starts with */
  funds: tokens.default(10_000),
}).strict();

export const ScenarioSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().min(0).default(1),
  slots: z.number().int().min(1).max(100_000),
  l1BlockSeconds: z.number().positive().default(12),
  protocol: z.object({
    proposalBlocks: z.number().int().min(1).default(2),
    revealBlocks: z.number().int().min(1).default(2),
    commitBlocks: z.number().int().min(1).default(2),
    provingBlocks: z.number().int().min(0).default(40),
    submissionBlocks: z.number().int().min(1).default(4),
    /** true: the proving phase is an upper bound (proofs from the end of the commitment phase); false: fixed */
    earlyProofs: z.boolean().default(true),
    reorgWindow: z.number().int().min(1).max(65_535).default(8),
    minStake: tokens.default(1000),
    minProverDeposit: tokens.default(100),
    blockReward: tokens.default(20),
    submissionReward: tokens.default(1),
    /** the committed prover's exclusive proof window (L1 blocks from proofsFrom); default min(8, the proof window - 1) */
    proverExclusiveBlocks: z.number().int().min(0).optional(),
    /** of a slashed deposit: burned (to the reward pool) and the slasher's bounty, basis points */
    slashBurnBps: bps.default(2000),
    slashBountyBps: bps.default(100),
    /** deposit in the sequencer's rank: 0 = off */
    depositRankCap: tokens.default(0),
    rewardPool: tokens.default(1_000_000),
  }).strict().prefault({}),
  sequencers: z.object({
    count: z.number().int().min(1).max(1000),
    /** the top this many eligible sequencers by rank propose in each slot (the others would lose the slot) */
    proposersPerSlot: z.number().int().min(1).default(3),
    tip: tokens.default(10),
    rewardShareBps: bps.default(5000),
    maxTxs: z.number().int().min(0).max(1024).default(32),
    /** prove its own block (sequencer-funded deposit) when no quote is acceptable */
    selfProve: z.boolean().default(true),
    hardware: z.string().default('laptop'),
    /** the deposit a self-proved block carries (default: the minimum) */
    deposit: tokens.optional(),
    /** the deposit a sequencer asks in its RFQ (default: the minimum, or the rank cap when deposit counts in rank) */
    rfqDeposit: tokens.optional(),
  }).strict(),
  /** txs waiting per slot (Poisson mean) */
  demand: z.object({ txPerSlot: z.number().min(0).default(16) }).strict().prefault({}),
  hardware: z.record(z.string(), HardwareSchema).default({}),
  provers: z.array(ProverGroupSchema).min(0),
  attackers: z.object({
    /** sequencers (of `sequencers.count`) that reveal unprovable blocks and commit themselves as the prover */
    unprovableSequencers: z.number().int().min(0).default(0),
    /** share of their proposals that are unprovable */
    unprovableRate: frac.default(1),
    /** proof front-runners: copy each gossiped proof and submit it first (higher priority fee) */
    frontRunners: z.number().int().min(0).default(0),
    frontRunPriorityGwei: z.number().min(0).default(5),
    /** the deposit the unprovable-block attacker commits (and ranks with, when the deposit counts in rank); default: the sequencers' self-proving deposit */
    deposit: tokens.optional(),
  }).strict().prefault({}),
  /** L1 base fee spikes: from `fromSlot` to `toSlot`, in the last `blocksBeforeDeadline` blocks before each deadline (0 = the whole slot) */
  feeSpikes: z.array(z.object({
    fromSlot: z.number().int().min(1), toSlot: z.number().int().min(1),
    baseFeeGwei: z.number().positive(), blocksBeforeDeadline: z.number().int().min(0).default(0),
  }).strict()).default([]),
  /** the L1 base fee otherwise */
  baseFeeGwei: z.number().positive().default(1),
  /** credits withdrawn every this many slots */
  withdrawEverySlots: z.number().int().min(1).default(25),
  sweep: z.object({
    /** dotted scenario paths (e.g. "protocol.minProverDeposit") to value lists; the grid is their product */
    grid: z.record(z.string(), z.array(z.union([z.number(), z.boolean(), z.string()])).min(1)),
    seeds: z.array(z.number().int().min(0)).min(1).default([1, 2, 3]),
  }).strict().optional(),
}).strict();

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ProverGroup = z.infer<typeof ProverGroupSchema>;
export type Hardware = z.infer<typeof HardwareSchema>;

/** Hardware profiles every scenario knows (overridable by name). `laptop` is the measured machine (circuits/README.md). */
export const DEFAULT_HARDWARE: Record<string, Hardware> = {
  laptop: { speed: 1, spread: 0.15, cores: 1, parallel: 1 },
  workstation: { speed: 0.35, spread: 0.1, cores: 4, parallel: 2 },
  server: { speed: 0.12, spread: 0.08, cores: 16, parallel: 6 },
  slow: { speed: 3, spread: 0.3, cores: 1, parallel: 1 },
};

export class ScenarioError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

/** Validates a parsed scenario: one line per problem, naming the field. */
export function parseScenario(json: unknown, source = 'scenario'): Scenario {
  const r = ScenarioSchema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ScenarioError(`${source} is not a valid simulation scenario:\n${problems}`);
  }
  const s = r.data;
  const hw = { ...DEFAULT_HARDWARE, ...s.hardware };
  const problems: string[] = [];
  for (const [i, g] of s.provers.entries()) {
    if (!hw[g.hardware]) problems.push(`  provers.${i}.hardware: unknown profile ${JSON.stringify(g.hardware)} (known: ${Object.keys(hw).join(', ')})`);
    if (g.onlineFromSlot !== undefined && g.offlineFromSlot !== undefined && g.offlineFromSlot <= g.onlineFromSlot) problems.push(`  provers.${i}: offlineFromSlot must be after onlineFromSlot`);
  }
  if (!hw[s.sequencers.hardware]) problems.push(`  sequencers.hardware: unknown profile ${JSON.stringify(s.sequencers.hardware)}`);
  if (s.attackers.unprovableSequencers > s.sequencers.count) problems.push('  attackers.unprovableSequencers: more than sequencers.count');
  for (const [i, f] of s.feeSpikes.entries()) if (f.toSlot < f.fromSlot) problems.push(`  feeSpikes.${i}: toSlot before fromSlot`);
  const period = s.protocol.proposalBlocks + s.protocol.revealBlocks + s.protocol.commitBlocks;
  if (period > 255) problems.push('  protocol: proposalBlocks + revealBlocks + commitBlocks must be <= 255 (the contract reads the rank seed by blockhash)');
  if (s.sweep) for (const k of Object.keys(s.sweep.grid)) if (getPath(s, k) === undefined) problems.push(`  sweep.grid.${k}: no such scenario field`);
  if (problems.length) throw new ScenarioError(`${source} is not a valid simulation scenario:\n${problems.join('\n')}`);
  return { ...s, hardware: hw };
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new ScenarioError(`cannot read scenario ${file}: ${(e as Error).message}`); }
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { throw new ScenarioError(`scenario ${file} is not JSON: ${(e as Error).message}`); }
  return parseScenario(json, `scenario ${file}`);
}

export function getPath(o: unknown, p: string): unknown {
  return p.split('.').reduce<unknown>((x, k) => (x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);
}

/** A copy of `s` with the dotted path set (arrays by index: "provers.0.count"); re-validated. */
export function withPath(s: Scenario, p: string, v: unknown): Scenario {
  const copy = structuredClone(s) as unknown as Record<string, unknown>;
  const keys = p.split('.');
  let x: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) x = x[k] as Record<string, unknown>;
  x[keys[keys.length - 1]] = v;
  delete (copy as { sweep?: unknown }).sweep;
  return parseScenario(copy, `scenario with ${p}=${JSON.stringify(v)}`);
}

/** Every point of the sweep grid (the product of its value lists), as [assignments, scenario]. */
export function sweepPoints(s: Scenario): { params: Record<string, unknown>; scenario: Scenario }[] {
  if (!s.sweep) return [];
  let points: Record<string, unknown>[] = [{}];
  for (const [k, vs] of Object.entries(s.sweep.grid)) points = points.flatMap((p) => vs.map((v) => ({ ...p, [k]: v })));
  return points.map((params) => {
    let sc = s;
    for (const [k, v] of Object.entries(params)) sc = withPath(sc, k, v);
    return { params, scenario: sc };
  });
}
