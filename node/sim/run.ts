// One simulation run (node/sim/README.md): the real Sidecar contract on an anvil this process
// starts, simulated time by mining blocks on demand, N sequencers and M provers as lightweight
// actors whose decisions are the node's own functions (node/roles/decisions.ts, node/roles/pnl.ts),
// proving replaced by times drawn from the cost model (circuits/plan.ts estimateMs) per hardware
// profile. Every outcome is read back from the contract's events.
//
// Time: the loop keeps a set of "action blocks" (a slot's proposal, reveal and commitment starts,
// a proof ready, a deadline, withdrawals); it mines the empty blocks before the next one in one
// anvil_mine, lets the actors send their txs (they land in that block), mines it, and reads its
// logs. Block timestamps advance by l1BlockSeconds exactly (anvil's timestamp interval) and every
// tx is sent in a fixed order, so a seed gives the same chain, event for event.
import { AbiCoder, Interface, JsonRpcProvider, MaxUint256, Wallet, getBytes, hexlify, keccak256, toQuantity, toUtf8Bytes, type Log } from 'ethers';
import { DEFAULT_COST_MODEL, estimateMs, planBlock, type CostModel } from '../../circuits/plan.js';
import { txsCommitment } from '../../circuits/l2/commitment.js';
import { DEFAULT_MNEMONIC, startAnvil, type Anvil } from '../l1/anvil.js';
import { blockHash as computeBlockHash, type L1Block, type Quote } from '../l1/block.js';
import { SidecarClient } from '../l1/client.js';
import { deployProtocol, type Deployment } from '../l1/deploy.js';
import type { SendOptions } from '../l1/sender.js';
import { signatureProof } from '../l1/signature-verifier.js';
import { acceptableQuotes, fitsInTime, largestFitting, quoteFee, slashDue, submitDecision } from '../roles/decisions.js';
import { blockPnl, breakevenTip, quoteTerms, type PnlPrices } from '../roles/pnl.js';
import { Rng } from './prng.js';
import type { Hardware, ProverGroup, Scenario } from './scenario.js';

const E18 = 10n ** 18n;
const GWEI = 10n ** 9n;
const tok = (x: number): bigint => BigInt(Math.round(x * 1e6)) * 10n ** 12n;
const toTok = (x: bigint): number => Number(x / 10n ** 12n) / 1e6;
const b32 = (x: bigint): string => '0x' + x.toString(16).padStart(64, '0');
const abi = AbiCoder.defaultAbiCoder();

/**
 * The anvil a run needs: a fixed genesis timestamp (with the timestamp interval: the same block
 * hashes, so the same rank seeds, every run), blocks ordered by fee (the send order is not
 * deterministic, the fees are), and only recent states kept: anvil's per-block cost grows with
 * the history it keeps (measured: 2 ms fresh, 26 ms with 20k storage slots, 82 ms after 5,000
 * more blocks; 46 ms with --prune-history).
 */
export const SIM_ANVIL_ARGS = ['--timestamp', '1700000000', '--order', 'fees', '--prune-history', '64'];

/** Hooks a test or the CLI passes in (all optional). */
export interface RunOptions {
  /** progress lines (stderr in the CLI) */
  progress?: (msg: string, fields?: Record<string, unknown>) => void;
  /** the cost model proving times are drawn from (default circuits/plan.ts DEFAULT_COST_MODEL) */
  costModel?: CostModel;
  /** an anvil to use instead of starting one (fresh, started with SIM_ANVIL_ARGS: the run deploys its own contracts) */
  anvil?: Anvil;
}

export interface Distribution { n: number; min: number; p10: number; p50: number; p90: number; max: number; mean: number }

export interface SlashRecord { slot: number; prover: string; amount: number; invalidated: number; shared: number; share: number; toPool: number; bounty: number; l1Block: number; attacker: boolean }

/** The figures of one run (all token amounts in whole tokens). */
export interface SimFigures {
  scenario: string;
  seed: number;
  slots: number;
  provers: number;
  sequencers: number;
  /** share of slots 1..slots whose block was proven on L1 (0..1) */
  liveness: number;
  /** per slot: 1 proven, 0 not (no block, slashed, invalidated, void) */
  livenessBySlot: number[];
  provenSlots: number;
  emptySlots: number;
  /** seconds from the slot's start to its BlockProven */
  timeToFinalitySec: Distribution;
  reorgs: { count: number; maxDepth: number; depths: number[] };
  /** of the slashed deposits: to the invalidated blocks' sequencers, to the reward pool (the burn, dust, unshared rest), to the slashers */
  tokens: { slashed: number; redistributed: number; toRewardPool: number; bounties: number; burnBps: number };
  slashes: SlashRecord[];
  proverProfit: Distribution & { positive: number; winners: number };
  sequencerProfit: Distribution & { positive: number };
  proverProfits: number[];
  sequencerProfits: number[];
  /** the winning quotes' fees */
  clearingPrice: Distribution;
  clearingPriceBySlot: (number | null)[];
  /** slots whose canonical block was proved by its sequencer (no acceptable quote) */
  selfProved: number;
  /** the attacker's cost to stall the chain one hour: measured (its losses / stalled hours) and the per-slash bound (deposit x slashes an hour) */
  stall: { attackerLoss: number; stalledHours: number; costPerHourMeasured: number | null; costPerHourBound: number; deposit: number };
  /** proofs landed; of them, landed by a front-runner's tx; whose reward went to someone else than the prover; submission txs reverted on chain */
  submissions: { landed: number; frontRun: number; rewardTaken: number; lostRace: number };
  l1: { txs: number; blocks: number; minedCalls: number; reverted: number; preflightRefused: number; sidecar: string; rpc: Record<string, { calls: number; ms: number }> };
  wallMs: number;
  setupMs: number;
}

interface Actor { address: string; wallet: Wallet; client?: SidecarClient }
interface ProverActor extends Actor {
  kind: 'prover'; group: ProverGroup; hw: Hardware; prices: PnlPrices; baseFee: bigint; deposit: bigint;
  /** L1 block each parallel lane is free from */
  lanes: number[];
  /** blocks in flight: ready at */
  inFlight: Map<number, number>;
  provingCost: bigint; balance: bigint; blocksWon: number;
}
interface SeqActor extends Actor { kind: 'sequencer'; index: number; attacker: boolean; noQuoteLast: boolean; provingCost: bigint; inFlight: Map<number, number> }

interface Prop {
  seq: SeqActor; block: L1Block; hash: string; txCount: number; unprovable: boolean;
  proposed: boolean; revealed: boolean; committed: boolean; prover?: string; deposit?: bigint; fee?: bigint; selfProved: boolean;
}
interface SlotRec {
  slot: number; proposals: Map<string, Prop>; canonical?: string; parentSlot?: number;
  status: 'none' | 'pending' | 'proven' | 'slashed' | 'invalidated';
  provenAt?: number; readyAt?: number; withheld?: boolean; proofSent?: boolean; refunded?: boolean; started?: boolean;
}

function dist(xs: number[]): Distribution {
  if (!xs.length) return { n: 0, min: 0, p10: 0, p50: 0, p90: 0, max: 0, mean: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  return { n: s.length, min: r(s[0]), p10: r(q(0.1)), p50: r(q(0.5)), p90: r(q(0.9)), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** The simulation: deploy, set up the actors, run the slots, read the figures. */
export async function runSimulation(sc: Scenario, opts: RunOptions = {}): Promise<SimFigures> {
  const t0 = performance.now();
  const say = opts.progress ?? (() => {});
  const seed = sc.seed;
  const model = opts.costModel ?? DEFAULT_COST_MODEL;
  const blockMs = sc.l1BlockSeconds * 1000;
  const P = sc.protocol;
  const anvil = opts.anvil ?? await startAnvil({ accounts: 2, args: SIM_ANVIL_ARGS });
  const ownsAnvil = !opts.anvil;
  // batchStallTime 0: requests in one tick are still batched, a lone one is not delayed
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0, batchMaxCount: 100, pollingInterval: 50 });
  const rpc = (m: string, p: unknown[] = []) => provider.send(m, p);
  // time per RPC method (the bench's breakdown): wall ms of the batches each method was in
  const rpcStats: Record<string, { calls: number; ms: number }> = {};
  const rawSend = provider._send.bind(provider);
  provider._send = async (payload) => {
    const t = performance.now();
    try { return await rawSend(payload); } finally {
      const ms = performance.now() - t;
      for (const p of Array.isArray(payload) ? payload : [payload]) {
        const st = (rpcStats[p.method] ??= { calls: 0, ms: 0 });
        st.calls++;
        st.ms += ms / (Array.isArray(payload) ? payload.length : 1);
      }
    }
  };
  try {
    await rpc('anvil_setBlockTimestampInterval', [sc.l1BlockSeconds]);
    const deployer = new Wallet(Wallet.fromPhrase(DEFAULT_MNEMONIC).privateKey, provider);
    const head0 = await provider.getBlockNumber();
    const rankCap = tok(P.depositRankCap);
    const minDeposit = tok(P.minProverDeposit);
    const seqDeposit = sc.sequencers.deposit !== undefined ? tok(sc.sequencers.deposit) : (minDeposit > rankCap ? minDeposit : rankCap);
    const rfqDeposit = sc.sequencers.rfqDeposit !== undefined ? tok(sc.sequencers.rfqDeposit) : (minDeposit > rankCap ? minDeposit : rankCap);
    const attackDepositWei = sc.attackers.deposit !== undefined ? tok(sc.attackers.deposit) : seqDeposit;
    /** tokens each sequencer holds besides its stake: room for many self-proved (or attack) deposits */
    const seqFunds = tok(10_000) + 20n * (seqDeposit > attackDepositWei ? seqDeposit : attackDepositWei);
    const deployment: Deployment = await deployProtocol({
      signer: deployer,
      params: {
        genesisBlock: head0 + 40, proposalBlocks: P.proposalBlocks, revealBlocks: P.revealBlocks, commitBlocks: P.commitBlocks,
        provingBlocks: P.provingBlocks, submissionBlocks: P.submissionBlocks, earlyProofs: P.earlyProofs, reorgWindow: P.reorgWindow,
        minStake: tok(P.minStake), activationDelay: 1, exitDelay: 64, minProverDeposit: minDeposit, blockReward: tok(P.blockReward),
        submissionReward: tok(P.submissionReward), depositRankCap: rankCap,
        proverExclusiveBlocks: P.proverExclusiveBlocks ?? Math.max(0, Math.min(8, (P.earlyProofs ? P.provingBlocks : 0) + P.submissionBlocks - 1)),
        slashBurnBps: P.slashBurnBps, slashBountyBps: P.slashBountyBps,
      },
      fundRewards: tok(P.rewardPool),
    });
    const base = SidecarClient.connect({ deployment, rpc: provider });
    const clientOf = (a: Actor): SidecarClient => (a.client ??= base.withSigner(a.wallet));
    const cfg = deployment.config;
    const period = cfg.proposalBlocks + cfg.revealBlocks + cfg.commitBlocks;
    const genesis = cfg.genesisBlock;
    const timing = (s: number) => {
      const proposalStart = genesis + (s - 1) * period;
      const revealStart = proposalStart + cfg.proposalBlocks;
      const commitStart = revealStart + cfg.revealBlocks;
      const commitEnd = commitStart + cfg.commitBlocks;
      const submissionStart = commitEnd + cfg.provingBlocks;
      return { proposalStart, revealStart, commitStart, commitEnd, submissionStart, proofsFrom: cfg.earlyProofs ? commitEnd : submissionStart, deadline: submissionStart + cfg.submissionBlocks };
    };
    // phase boundaries are the contract's: check the local copy against it once
    const onChain = await base.slotTiming(1);
    const mine1 = timing(1);
    for (const k of Object.keys(mine1) as (keyof typeof mine1)[]) if (onChain[k] !== mine1[k]) throw new Error(`slot timing ${k}: contract ${onChain[k]}, simulator ${mine1[k]}`);
    // the committed prover's exclusive window, as an offset from the slot's proposal start
    const exclusiveOffset = onChain.exclusiveUntil - onChain.proposalStart;

    // ---------------------------------------------------------------- actors
    const keyOf = (label: string) => keccak256(toUtf8Bytes(`sidecar-simulate/${label}`));
    const seqs: SeqActor[] = Array.from({ length: sc.sequencers.count }, (_, i) => {
      const wallet = new Wallet(keyOf(`sequencer/${i}`), provider);
      return { kind: 'sequencer', index: i, address: wallet.address, wallet, attacker: i < sc.attackers.unprovableSequencers, noQuoteLast: false, provingCost: 0n, inFlight: new Map() };
    });
    const provers: ProverActor[] = [];
    for (const g of sc.provers) {
      for (let j = 0; j < g.count; j++) {
        const wallet = new Wallet(keyOf(`prover/${g.name}/${j}`), provider);
        const hw = sc.hardware[g.hardware];
        provers.push({
          kind: 'prover', address: wallet.address, wallet, group: g, hw,
          prices: { costPerCoreHour: tok(g.costPerCoreHour), tokensPerEth: tok(g.tokensPerEth), capitalBpsPerYear: g.capitalBpsPerYear, slashRiskBps: g.slashRiskBps },
          baseFee: tok(g.baseFee), deposit: g.deposit !== undefined ? tok(g.deposit) : minDeposit,
          lanes: Array.from({ length: hw.parallel }, () => 0), inFlight: new Map(), provingCost: 0n, balance: tok(g.funds), blocksWon: 0,
        });
      }
    }
    const fronts: Actor[] = Array.from({ length: sc.attackers.frontRunners }, (_, i) => {
      const wallet = new Wallet(keyOf(`front-runner/${i}`), provider);
      return { address: wallet.address, wallet };
    });
    const watcher: Actor = { address: '', wallet: new Wallet(keyOf('watcher'), provider) };
    watcher.address = watcher.wallet.address;
    const byAddr = new Map<string, Actor>();
    for (const a of [...seqs, ...provers, ...fronts, watcher]) byAddr.set(a.address.toLowerCase(), a);
    const attackerAddrs = new Set(seqs.filter((s) => s.attacker).map((s) => s.address.toLowerCase()));

    // ---------------------------------------------------------------- setup (ETH by anvil_setBalance, tokens by real mint/approve/stake txs)
    say(`setup: ${seqs.length} sequencers, ${provers.length} provers, ${fronts.length} front-runners`);
    const ETH_EACH = 1000n * E18;
    await Promise.all([...byAddr.values()].map((a) => rpc('anvil_setBalance', [a.address, toQuantity(ETH_EACH)])));
    await rpc('evm_setAutomine', [false]);
    const gasFees = (baseFee: bigint, prioGwei = 1n): SendOptions => ({ maxFeePerGas: baseFee * 2n + prioGwei * GWEI, maxPriorityFeePerGas: prioGwei * GWEI, confirmations: 0 });
    let txs = 0;
    let preflightRefused = 0;
    const sentHashes: string[] = [];
    const send = async (what: () => Promise<{ hash: string }>): Promise<boolean> => {
      try {
        const s = await what();
        txs++;
        sentHashes.push(s.hash);
        return true;
      } catch {
        preflightRefused++;
        return false;
      }
    };
    /**
     * Sends txs concurrently (32 at a time) and still deterministically: the i-th of n gets a
     * priority fee n - i wei above 1 gwei, and anvil (--order fees) orders a block by fee, not by
     * arrival. Each one's ok/fail runs once its send is answered (pre-flight refusals are fails).
     */
    interface Pending { go: (o: SendOptions) => Promise<{ hash: string }>; gas: bigint; ok?: () => void; fail?: () => void }
    const sendMany = async (list: Pending[]): Promise<void> => {
      const n = list.length;
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const i = next++;
          const it = list[i];
          const prio = GWEI + BigInt(n - i);
          const ok = await send(() => it.go({ maxFeePerGas: baseFeeNow * 2n + prio, maxPriorityFeePerGas: prio, confirmations: 0, gasLimit: it.gas }));
          (ok ? it.ok : it.fail)?.();
        }
      };
      await Promise.all(Array.from({ length: Math.min(32, n) }, worker));
    };
    let baseFeeNow = BigInt(Math.round(sc.baseFeeGwei * 1e9));
    const fee0 = gasFees(baseFeeNow);
    const mintTo = [...seqs.map((s) => ({ a: s as Actor, amount: tok(P.minStake) + seqFunds })), ...provers.map((p) => ({ a: p as Actor, amount: p.balance }))];
    const mintIface = new Interface(['function mint(address to, uint256 amount)']);
    let deployerNonce = await provider.getTransactionCount(deployer.address, 'pending');
    // one sender, explicit nonces: the block orders them by nonce whatever the arrival order
    await Promise.all(mintTo.map((m, i) => deployer.sendTransaction({ to: deployment.token, data: mintIface.encodeFunctionData('mint', [m.a.address, m.amount]), nonce: deployerNonce + i, gasLimit: 100_000n, maxFeePerGas: fee0.maxFeePerGas, maxPriorityFeePerGas: fee0.maxPriorityFeePerGas }).then((tx) => { sentHashes.push(tx.hash); txs++; })));
    await mineAll();
    // in chunks: anvil re-runs its whole pool for each pre-flight against the pending block
    const approvers = [...seqs, ...provers];
    for (let i = 0; i < approvers.length; i += 100) {
      await sendMany(approvers.slice(i, i + 100).map((a) => ({ gas: 100_000n, go: (o) => clientOf(a).approve(MaxUint256 / 2n, o) })));
      await mineAll();
    }
    await sendMany(seqs.map((q) => ({ gas: 200_000n, go: (o) => clientOf(q).stake(tok(P.minStake), o) })));
    await mineAll();
    const headSetup = await provider.getBlockNumber();
    if (headSetup >= genesis - 2) throw new Error(`setup took until L1 block ${headSetup}, past slot 1 (genesis ${genesis})`);
    const setupMs = performance.now() - t0;
    say(`setup done in ${Math.round(setupMs)} ms (${txs} txs); slot 1 starts at L1 block ${genesis}`);

    async function mineAll(): Promise<number> {
      let n = 0;
      for (;;) {
        await rpc('evm_mine', []);
        n++;
        const st = (await rpc('txpool_status', [])) as { pending: string };
        if (Number(st.pending) === 0) return n;
        if (n > 50) throw new Error(`txs still pending after ${n} blocks`);
      }
    }

    // ---------------------------------------------------------------- state
    const rngDemand = new Rng(seed, 'demand');
    const rngProve = new Rng(seed, 'prove');
    const rngWithhold = new Rng(seed, 'withhold');
    const rngTxs = new Rng(seed, 'txs');
    const rngOrder = new Rng(seed, 'order');
    const rngAttack = new Rng(seed, 'attack');
    const slots = new Map<number, SlotRec>();
    const rec = (s: number): SlotRec => {
      let r = slots.get(s);
      if (!r) { r = { slot: s, proposals: new Map(), status: 'none' }; slots.set(s, r); }
      return r;
    };
    const endRootOf = (s: number): bigint => {
      if (s === 0) return 0n;
      const r = slots.get(s);
      const p = r?.canonical ? r.proposals.get(r.canonical) : undefined;
      if (!p) throw new Error(`no canonical block in slot ${s}`);
      return p.block.endRoot;
    };
    let lastProven = 0;
    let chainHead = 0;
    let killedUpTo = 0;
    let backlog = 0;
    const wanted = new Set<number>();
    const want = (b: number) => { wanted.add(b); };
    for (let s = 1; s <= sc.slots; s++) { const t = timing(s); want(t.proposalStart); want(t.revealStart); want(t.commitStart); want(t.commitEnd); }
    const lastBlock = timing(sc.slots).deadline + 2;
    want(lastBlock);
    const fees: (number | null)[] = Array.from({ length: sc.slots }, () => null);
    const slashes: SlashRecord[] = [];
    const depths: number[] = [];
    let redistributed = 0n;
    let toPool = 0n;
    let bounties = 0n;
    /** slot -> the tx that proved it (who landed it: front-runner or prover) */
    const provenTxs = new Map<number, string>();
    const sub = { landed: 0, frontRun: 0, rewardTaken: 0, lostRace: 0 };
    let minedCalls = 0;
    const touched = new Set<string>();
    const planMs = new Map<number, number[]>();
    /** the cost model's proving time of each job of a block of n txs (circuits/plan.ts estimateMs per circuit) */
    const jobMs = (n: number): number[] => {
      let j = planMs.get(n);
      if (!j) {
        const plan = planBlock({ blockHash: b32(0n), slot: 0, txCount: n }, model);
        j = plan.jobs.map((job) => estimateMs(model, model.circuits.find((c) => c.name === job.circuit)!));
        planMs.set(n, j);
      }
      return j;
    };
    const estimate = (n: number, hw: Hardware) => jobMs(n).reduce((a, b) => a + b, 0) * hw.speed;
    const activeAt = (inFlight: Map<number, number>, head: number, parallel: number) => {
      let n = 0;
      for (const ready of inFlight.values()) if (ready > head) n++;
      return Math.floor(n / parallel);
    };
    const proverOnline = (p: ProverActor, slot: number) => (p.group.onlineFromSlot === undefined || slot >= p.group.onlineFromSlot) && (p.group.offlineFromSlot === undefined || slot < p.group.offlineFromSlot);
    const slotOfBlock = (b: number) => (b < genesis ? 0 : Math.floor((b - genesis) / period) + 1);
    const baseFeeAt = (b: number): bigint => {
      const s = slotOfBlock(b);
      for (const f of sc.feeSpikes) {
        if (s < f.fromSlot || s > f.toSlot) continue;
        if (f.blocksBeforeDeadline === 0) return BigInt(Math.round(f.baseFeeGwei * 1e9));
        // near a deadline of any slot whose deadline is within the window
        for (let k = Math.max(1, s - Math.ceil(stallBlocksAll / period) - 1); k <= s; k++) {
          const d = timing(k).deadline;
          if (b < d && b >= d - f.blocksBeforeDeadline) return BigInt(Math.round(f.baseFeeGwei * 1e9));
        }
      }
      return BigInt(Math.round(sc.baseFeeGwei * 1e9));
    };
    const stallBlocksAll = period + cfg.provingBlocks + cfg.submissionBlocks;
    const share = (bps: number) => (tok(P.blockReward) * BigInt(bps)) / 10_000n;
    const seqProveMs = (n: number) => estimate(n, sc.hardware[sc.sequencers.hardware]);
    const seqHw = sc.hardware[sc.sequencers.hardware];

    // ---------------------------------------------------------------- the loop
    let head = await provider.getBlockNumber();
    let lastReport = 0;
    const progressEvery = Math.max(1, Math.round(sc.slots / 20));
    while (true) {
      let target = Infinity;
      for (const b of wanted) if (b > head && b < target) target = b;
      if (target === Infinity) break;
      wanted.delete(target);
      if (target - 1 > head) { await rpc('anvil_mine', [toQuantity(target - 1 - head)]); minedCalls++; head = target - 1; }
      baseFeeNow = baseFeeAt(target);
      await rpc('anvil_setNextBlockBaseFeePerGas', [toQuantity(baseFeeNow)]);
      await act(target);
      minedCalls += await mineAll();
      const newHead = await provider.getBlockNumber();
      const logs = await provider.getLogs({ address: deployment.sidecar, fromBlock: target, toBlock: newHead });
      head = newHead;
      for (const l of logs) onLog(l);
      afterEvents(head);
      const cur = slotOfBlock(head);
      if (cur - lastReport >= progressEvery && cur <= sc.slots) {
        lastReport = cur;
        const done = [...slots.values()].filter((r) => r.slot < cur);
        say(`slot ${cur}/${sc.slots}: proven ${done.filter((r) => r.status === 'proven').length}/${Math.max(1, cur - 1)}, L1 txs ${txs}, ${Math.round((performance.now() - t0) / 1000)} s`);
      }
    }

    /** the actors' txs that land in block `target` (the head is target - 1) */
    async function act(target: number): Promise<void> {
      const fee = gasFees(baseFeeNow);
      const headNow = target - 1;
      for (let s = Math.max(1, slotOfBlock(target) - 1); s <= Math.min(sc.slots, slotOfBlock(target)); s++) {
        const t = timing(s);
        if (t.proposalStart === target) await proposeSlot(s, headNow, fee);
        if (t.revealStart === target) {
          await sendMany([...rec(s).proposals.values()].filter((p) => p.proposed).map((p) => ({ gas: 1_500_000n, go: (o) => clientOf(p.seq).reveal(p.block, o) })));
        }
        if (t.commitStart === target) await commitSlot(s, headNow, fee);
      }
      // losing proposals of the slot whose commitment phase just ended: their tips (and deposits) back
      const ended = slotOfBlock(target) - 1;
      if (ended >= 1 && timing(ended).commitEnd === target) await refunds(ended, fee);
      await submitProofs(headNow, target);
      // watcher: the oldest pending block past its deadline
      const oldest = oldestPending();
      if (oldest !== undefined) {
        const t = timing(oldest);
        if (slashDue({ head: headNow, deadline: t.deadline, pending: true })) await send(() => clientOf(watcher).slash(oldest, { ...fee, gasLimit: 3_000_000n }));
        else want(t.deadline);
      }
      const cur = slotOfBlock(target);
      if (timing(cur).proposalStart === target && cur % sc.withdrawEverySlots === 0) await withdrawAll(fee);
    }

    function oldestPending(): number | undefined {
      // the pending chain is linear: walk down from the head to the child of lastProven
      let cur = chainHead;
      let oldest: number | undefined;
      while (cur !== 0 && cur !== lastProven) {
        const r = slots.get(cur);
        if (!r || r.status !== 'pending') break;
        oldest = cur;
        cur = r.parentSlot ?? 0;
      }
      return oldest;
    }

    async function proposeSlot(s: number, headNow: number, fee: SendOptions): Promise<void> {
      backlog += rngDemand.poisson(sc.demand.txPerSlot);
      if (s <= killedUpTo) return;
      const seedHash = (await provider.getBlock(headNow))!.hash!;
      const slotSeed = keccak256(abi.encode(['bytes32', 'uint256'], [seedHash, s]));
      // the contract's score (Sidecar._score): rank r, or (r >> 128) x min(deposit, cap) with the deposit in rank
      const scored = seqs.map((q) => {
        const r = BigInt(keccak256(abi.encode(['bytes32', 'address'], [slotSeed, q.address])));
        const dep = q.attacker ? attackDepositWei : rfqDeposit;
        return { q, score: rankCap === 0n ? r : (r >> 128n) * (dep < rankCap ? dep : rankCap) };
      }).sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : 0));
      const proposers = scored.slice(0, sc.sequencers.proposersPerSlot).map((x) => x.q);
      const r = rec(s);
      const startRoot = endRootOf(chainHead);
      const t = timing(s);
      const out: Pending[] = [];
      for (const q of proposers) {
        // block sizing (node/roles/sequencer.ts sizeLimit): bounded by what it can self-prove when it will rely on that
        let max = sc.sequencers.maxTxs;
        const willSelfProve = sc.sequencers.selfProve && (provers.length === 0 || q.noQuoteLast);
        if (willSelfProve) max = largestFitting(max, (n) => fitsInTime({ proveMs: seqProveMs(n), active: activeAt(q.inFlight, headNow, seqHw.parallel), deadline: t.deadline, head: headNow, blockMs }).ok);
        const n = Math.min(backlog, max);
        const unprovable = q.attacker && rngAttack.next() < sc.attackers.unprovableRate;
        const bodies = Array.from({ length: n }, () => rngTxs.bytes(32));
        const endRoot = BigInt(keccak256(abi.encode(['uint256', 'uint256', 'uint256'], [s, q.index, startRoot])));
        const block: L1Block = {
          slot: BigInt(s), startRoot, endRoot, txs: n ? getBytes(hexlify(Buffer.concat(bodies))) : new Uint8Array(0),
          // an unprovable block: its witness does not execute (provers that re-execute it refuse to quote)
          witnessData: unprovable ? toUtf8Bytes('unprovable') : new Uint8Array(0),
          txsCommitment: txsCommitment(bodies),
        };
        const hash = computeBlockHash(block);
        const p: Prop = { seq: q, block, hash, txCount: n, unprovable, proposed: false, revealed: false, committed: false, selfProved: false };
        r.proposals.set(q.address.toLowerCase(), p);
        out.push({ gas: 300_000n, go: (o) => clientOf(q).propose(s, hash, tok(sc.sequencers.tip), sc.sequencers.rewardShareBps, o) });
      }
      await sendMany(out);
    }

    async function commitSlot(s: number, headNow: number, fee: SendOptions): Promise<void> {
      const r = rec(s);
      const t = timing(s);
      const tip = tok(sc.sequencers.tip);
      const gasPriceWei = baseFeeNow + GWEI;
      const out: Pending[] = [];
      for (const p of [...r.proposals.values()].filter((x) => x.revealed)) {
        const q = p.seq;
        if (q.attacker && p.unprovable) {
          // the attack: commit itself with its own deposit, never prove
          out.push({ gas: 400_000n, go: (o) => clientOf(q).commitProver(s, q.address, attackDepositWei, o), ok: () => { p.prover = q.address; p.deposit = attackDepositWei; p.selfProved = true; } });
          continue;
        }
        // the RFQ: every online prover answers with the node's own decisions
        const quotes: { quote: Quote; actor: ProverActor }[] = [];
        if (!p.unprovable) {
          for (const pr of provers) {
            if (!proverOnline(pr, s)) continue;
            const proveMs = estimate(p.txCount, pr.hw);
            const active = activeAt(pr.inFlight, headNow, pr.hw.parallel);
            if (!fitsInTime({ proveMs, active, deadline: t.deadline, head: headNow, blockMs }).ok) continue;
            const deposit = rfqDeposit > pr.deposit ? rfqDeposit : pr.deposit;
            if (pr.balance < deposit) continue;
            const minFee = breakevenTip(quoteTerms({ share: share(sc.sequencers.rewardShareBps), deposit, proveMs, active, cores: pr.hw.cores, blockMs, gasPriceWei }), pr.prices);
            const qf = quoteFee(pr.baseFee, active, minFee);
            if (qf > tip) continue;
            quotes.push({ actor: pr, quote: { slot: BigInt(s), blockHash: p.hash, sequencer: q.address, prover: pr.address, fee: qf, deposit, proverFundsDeposit: true, validUntilBlock: BigInt(t.commitEnd - 1) } });
          }
        }
        // arrival order is random (gossip); the choice keeps it among equal fees
        rngOrder.shuffle(quotes);
        const ok = acceptableQuotes(quotes, { sequencer: q.address, tip, minDeposit, head: headNow }, (x) => x.actor.balance >= x.quote.deposit);
        q.noQuoteLast = ok.length === 0;
        const best = ok[0];
        if (best) {
          const signature = await clientOf(best.actor).signQuote(best.quote);
          // the deposit leaves the prover's balance when the commitment lands (held back now for the next RFQs of this slot)
          best.actor.balance -= best.quote.deposit;
          out.push({
            gas: 500_000n, go: (o) => clientOf(q).commitProverWithQuote(s, best.quote, signature, o),
            ok: () => { p.prover = best.actor.address; p.deposit = best.quote.deposit; p.fee = best.quote.fee; },
            fail: () => { best.actor.balance += best.quote.deposit; },
          });
        } else if (sc.sequencers.selfProve && fitsInTime({ proveMs: seqProveMs(p.txCount), active: activeAt(q.inFlight, headNow, seqHw.parallel), deadline: t.deadline, head: headNow, blockMs }).ok) {
          out.push({ gas: 400_000n, go: (o) => clientOf(q).commitProver(s, q.address, seqDeposit, o), ok: () => { p.prover = q.address; p.deposit = seqDeposit; p.selfProved = true; } });
        }
      }
      await sendMany(out);
    }

    async function refunds(s: number, fee: SendOptions): Promise<void> {
      const r = rec(s);
      const out: Pending[] = [];
      for (const [addr, p] of r.proposals) {
        if (!p.proposed || addr === r.canonical) continue;
        out.push({ gas: 200_000n, go: (o) => clientOf(p.seq).refundProposal(s, p.seq.address, o) });
        touched.add(p.seq.address.toLowerCase());
        if (p.committed && p.prover && p.prover.toLowerCase() !== p.seq.address.toLowerCase()) {
          touched.add(p.prover.toLowerCase()); // its deposit is credited back (withdrawn later)
        }
      }
      await sendMany(out);
    }

    /** canonical blocks whose proving starts once the commitment phase ends */
    function startProving(s: number): void {
      const r = rec(s);
      if (r.started || !r.canonical || r.status !== 'pending') return;
      r.started = true;
      const p = r.proposals.get(r.canonical)!;
      const t = timing(s);
      if (!p.prover || p.unprovable) { r.withheld = true; return; }
      const pr = byAddr.get(p.prover.toLowerCase());
      const actor = pr as ProverActor | SeqActor;
      const hw = actor.kind === 'prover' ? actor.hw : seqHw;
      const ms = jobMs(p.txCount).reduce((a, m) => a + m * hw.speed * rngProve.lognormal(hw.spread), 0);
      let ready: number;
      if (actor.kind === 'prover') {
        let lane = 0;
        for (let i = 1; i < actor.lanes.length; i++) if (actor.lanes[i] < actor.lanes[lane]) lane = i;
        const startAt = Math.max(t.commitEnd, actor.lanes[lane]);
        ready = startAt + Math.ceil(ms / blockMs);
        actor.lanes[lane] = ready;
        actor.provingCost += blockPnl({ tip: 0n, share: 0n, deposit: 0n, provingMs: ms, cores: hw.cores, lockedMs: 0, gasPriceWei: 0n, gasUsed: 0n }, actor.prices).provingCost;
        actor.blocksWon++;
        const withholds = rngWithhold.next() < actor.group.withholdRate;
        const offline = actor.group.offlineFromSlot !== undefined && slotOfBlock(ready) >= actor.group.offlineFromSlot;
        r.withheld = withholds || offline;
      } else {
        ready = t.commitEnd + Math.ceil(ms / blockMs);
        // a sequencer prices its own proving like a prover of its hardware at the first group's prices
        actor.provingCost += (BigInt(Math.round(ms * hw.cores)) * tok(sc.provers[0]?.costPerCoreHour ?? 0.5)) / 3_600_000n;
      }
      actor.inFlight.set(s, ready);
      r.readyAt = ready;
      // known at block `ready`: a submission lands in the next one at the earliest
      if (!r.withheld) want(Math.max(ready + 1, t.proofsFrom));
    }

    async function submitProofs(headNow: number, target: number): Promise<void> {
      // at most the next one: a block's parent must be proven first (one per L1 block)
      let cur = chainHead;
      let next: number | undefined;
      while (cur !== 0 && cur !== lastProven) { const r = slots.get(cur); if (!r) break; next = cur; cur = r.parentSlot ?? 0; }
      if (next === undefined) return;
      const r = rec(next);
      if (r.withheld || r.proofSent || r.readyAt === undefined || r.readyAt > headNow) return;
      const t = timing(next);
      const p = r.proposals.get(r.canonical!)!;
      const prover = p.prover!.toLowerCase();
      // the prover's own submitter: its proof names itself as the reward recipient
      const d = submitDecision({
        pending: r.status === 'pending', parentSlot: r.parentSlot ?? 0, lastProvenSlot: lastProven, head: headNow, proofsFrom: t.proofsFrom, deadline: t.deadline,
        exclusiveUntil: timing(next).proposalStart + exclusiveOffset, recipient: prover, me: prover, prover, rescueBlocks: 3,
      });
      if (!d.submit) { if (d.why === 'too-early') want(t.proofsFrom); return; }
      const inputs = await base.publicInputs(next, next, p.prover!);
      const proof = await signatureProof(deployer, deployment.verifier, deployment.chainId, inputs);
      // front-runners copy the gossiped proof (it names the prover) and bid a higher priority fee: an attacker ignores submitDecision
      for (const f of fronts) await send(() => clientOf(f).submitProofRange(next, next, p.prover!, proof, { ...gasFees(baseFeeNow, BigInt(Math.round(sc.attackers.frontRunPriorityGwei))), gasLimit: 500_000n }));
      const proverActor = byAddr.get(prover)!;
      const ok = await send(() => clientOf(proverActor).submitProofRange(next, next, p.prover!, proof, { ...gasFees(baseFeeNow), gasLimit: 500_000n }));
      r.proofSent = ok || fronts.length > 0;
      want(target + 1);
    }

    async function withdrawAll(fee: SendOptions): Promise<void> {
      const list = [...touched].sort();
      touched.clear();
      const credits = await Promise.all(list.map((a) => base.creditOf(a)));
      const out: Pending[] = [];
      for (const [i, a] of list.entries()) {
        const actor = byAddr.get(a);
        if (credits[i] === 0n || !actor) continue;
        out.push({ gas: 150_000n, go: (o) => clientOf(actor).withdraw(undefined, o), ok: () => { if ((actor as ProverActor).kind === 'prover') (actor as ProverActor).balance += credits[i]; } });
      }
      await sendMany(out);
    }

    function onLog(l: Log): void {
      const ev = base.events.parseLog({ topics: [...l.topics], data: l.data });
      if (!ev) return;
      const a = ev.args;
      const slot = ev.name === 'Withdrawn' || ev.name === 'ChainRewound' ? 0 : Number(a[0]);
      switch (ev.name) {
        case 'Proposed': { const p = rec(slot).proposals.get(String(a[1]).toLowerCase()); if (p) p.proposed = true; break; }
        case 'Revealed': { const p = rec(slot).proposals.get(String(a[1]).toLowerCase()); if (p) p.revealed = true; break; }
        case 'ProverCommitted': { const p = rec(slot).proposals.get(String(a[1]).toLowerCase()); if (p) p.committed = true; break; }
        case 'CanonicalUpdated': {
          const r = rec(slot);
          r.canonical = String(a[1]).toLowerCase(); r.parentSlot = Number(a[2]);
          if (r.status === 'none') { r.status = 'pending'; chainHead = slot; }
          break;
        }
        case 'BlockProven': {
          const r = rec(slot);
          r.status = 'proven'; r.provenAt = l.blockNumber; lastProven = slot;
          const p = r.proposals.get(r.canonical!)!;
          backlog = Math.max(0, backlog - p.txCount);
          if (p.fee !== undefined && slot <= sc.slots) fees[slot - 1] = toTok(p.fee);
          // the submission reward goes to the recipient the proof names, whoever lands the tx
          const recipient = String(a[2]).toLowerCase();
          if (recipient !== p.prover?.toLowerCase()) sub.rewardTaken++;
          provenTxs.set(slot, l.transactionHash);
          sub.landed++;
          for (const x of [a[1], a[2], p.seq.address, p.prover]) touched.add(String(x).toLowerCase());
          const pr = byAddr.get(p.prover!.toLowerCase()) as ProverActor | SeqActor;
          pr.inFlight.delete(slot);
          break;
        }
        case 'BlockSlashed': {
          // (slot, prover, deposit, invalidatedBlocks, sharedBlocks, sharePerBlock, toPool, bounty)
          const r = rec(slot);
          r.status = 'slashed';
          const p = r.proposals.get(r.canonical!)!;
          const k = Number(a[3]);
          slashes.push({ slot, prover: String(a[1]), amount: toTok(a[2] as bigint), invalidated: k, shared: Number(a[4]), share: toTok(a[5] as bigint), toPool: toTok(a[6] as bigint), bounty: toTok(a[7] as bigint), l1Block: l.blockNumber, attacker: attackerAddrs.has(p.seq.address.toLowerCase()) });
          depths.push(k + 1);
          redistributed += (a[5] as bigint) * (a[4] as bigint);
          toPool += a[6] as bigint;
          bounties += a[7] as bigint;
          touched.add(p.seq.address.toLowerCase());
          touched.add(watcher.address.toLowerCase());
          const pr = byAddr.get(String(a[1]).toLowerCase()) as ProverActor | SeqActor | undefined;
          pr?.inFlight.delete(slot);
          break;
        }
        case 'BlockInvalidated': {
          const r = rec(slot);
          r.status = 'invalidated';
          const p = r.proposals.get(r.canonical!)!;
          touched.add(p.seq.address.toLowerCase());
          if (p.prover) {
            touched.add(p.prover.toLowerCase());
            const pr = byAddr.get(p.prover.toLowerCase()) as ProverActor | SeqActor | undefined;
            pr?.inFlight.delete(slot);
          }
          break;
        }
        case 'ChainRewound': { lastProven = Number(a[0]); chainHead = lastProven; killedUpTo = Number(a[1]); break; }
        default: break;
      }
    }

    function afterEvents(h: number): void {
      for (let s = Math.max(1, slotOfBlock(h) - 2); s <= Math.min(sc.slots, slotOfBlock(h)); s++) {
        if (timing(s).commitEnd <= h) startProving(s);
      }
    }

    // ---------------------------------------------------------------- figures
    const wallMs = performance.now() - t0;
    const liveBySlot: number[] = Array.from({ length: sc.slots }, (_, i) => (slots.get(i + 1)?.status === "proven" ? 1 : 0));
    const proven = liveBySlot.reduce((a, b) => a + b, 0);
    const finality: number[] = [];
    for (const r of slots.values()) if (r.status === 'proven' && r.slot <= sc.slots) finality.push((r.provenAt! - timing(r.slot).proposalStart) * sc.l1BlockSeconds);
    // profits: what each actor holds on chain at the end (balance + credit) against what it started with, minus proving and gas
    const ethPrice = (a: ProverActor | undefined) => (a ? a.prices.tokensPerEth : tok(sc.provers[0]?.tokensPerEth ?? 2000));
    const holdings = async (a: Actor) => {
      const [bal, credit, eth] = await Promise.all([base.tokenBalance(a.address), base.creditOf(a.address), provider.getBalance(a.address)]);
      return { tokens: bal + credit, gasTokens: ((ETH_EACH - eth) * ethPrice((a as ProverActor).kind === 'prover' ? (a as ProverActor) : undefined)) / E18 };
    };
    const proverProfits: number[] = [];
    let winners = 0;
    for (let i = 0; i < provers.length; i += 100) {
      const chunk = provers.slice(i, i + 100);
      const h = await Promise.all(chunk.map(holdings));
      for (const [j, pr] of chunk.entries()) {
        proverProfits.push(toTok(h[j].tokens - tok(pr.group.funds) - pr.provingCost - h[j].gasTokens));
        if (pr.blocksWon) winners++;
      }
    }
    const seqProfits: number[] = [];
    for (const q of seqs) {
      const h = await holdings(q);
      const stake = (await base.stakeOf(q.address)).amount;
      seqProfits.push(toTok(h.tokens + stake - tok(P.minStake) - seqFunds - q.provingCost - h.gasTokens));
    }
    // the attacker: its losses over the hours its slashed blocks stalled the chain
    const attackerLoss = seqs.filter((q) => q.attacker).reduce((a, q) => a - seqProfits[q.index], 0);
    const attackSlots = new Set<number>();
    for (const sl of slashes) {
      if (!sl.attacker) continue;
      // from the slashed slot to the slot the rewind killed: no block of these becomes final
      const killed = slotOfBlock(sl.l1Block);
      for (let k = sl.slot; k <= Math.min(sc.slots, killed); k++) attackSlots.add(k);
    }
    const stalledHours = (attackSlots.size * period * sc.l1BlockSeconds) / 3600;
    const attackDeposit = toTok(attackDepositWei);
    // a withheld block stalls the chain from its slot's start to its deadline at most: slashes an hour x deposit
    const stallBlocks = period + cfg.provingBlocks + cfg.submissionBlocks;
    const costPerHourBound = attackDeposit * (3600 / (stallBlocks * sc.l1BlockSeconds));
    const allFees = fees.filter((x): x is number => x !== null);
    let selfProved = 0;
    for (const r of slots.values()) if (r.status === 'proven' && r.proposals.get(r.canonical!)?.selfProved) selfProved++;
    let reverted = 0;
    for (let i = 0; i < sentHashes.length; i += 100) {
      const rs = await Promise.all(sentHashes.slice(i, i + 100).map((h) => provider.getTransactionReceipt(h)));
      for (const x of rs) if (!x || x.status === 0) reverted++;
    }
    sub.lostRace = reverted;
    if (fronts.length) {
      const frontSet = new Set(fronts.map((f) => f.address.toLowerCase()));
      const txsOf = await Promise.all([...provenTxs.values()].map((h) => provider.getTransaction(h)));
      sub.frontRun = txsOf.filter((x) => x && frontSet.has(x.from.toLowerCase())).length;
    }
    const head1 = await provider.getBlockNumber();
    return {
      scenario: sc.name, seed, slots: sc.slots, provers: provers.length, sequencers: seqs.length,
      liveness: Math.round((proven / sc.slots) * 1e4) / 1e4, livenessBySlot: liveBySlot, provenSlots: proven,
      emptySlots: liveBySlot.filter((_, i) => !slots.get(i + 1)?.canonical).length,
      timeToFinalitySec: dist(finality),
      reorgs: { count: slashes.length, maxDepth: Math.max(0, ...depths), depths },
      tokens: { slashed: slashes.reduce((a, x) => a + x.amount, 0), redistributed: toTok(redistributed), toRewardPool: toTok(toPool), bounties: toTok(bounties), burnBps: P.slashBurnBps },
      slashes,
      proverProfit: { ...dist(proverProfits), positive: proverProfits.filter((x) => x > 0).length, winners },
      sequencerProfit: { ...dist(seqProfits), positive: seqProfits.filter((x) => x > 0).length },
      proverProfits: proverProfits.map((x) => Math.round(x * 1e4) / 1e4), sequencerProfits: seqProfits.map((x) => Math.round(x * 1e4) / 1e4),
      clearingPrice: dist(allFees), clearingPriceBySlot: fees, selfProved,
      stall: { attackerLoss: Math.round(attackerLoss * 1e4) / 1e4, stalledHours: Math.round(stalledHours * 1e4) / 1e4, costPerHourMeasured: stalledHours > 0 ? Math.round((attackerLoss / stalledHours) * 100) / 100 : null, costPerHourBound: Math.round(costPerHourBound * 100) / 100, deposit: attackDeposit },
      submissions: sub,
      l1: { txs, blocks: head1, minedCalls, reverted, preflightRefused, sidecar: deployment.sidecar, rpc: Object.fromEntries(Object.entries(rpcStats).sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, { calls: v.calls, ms: Math.round(v.ms) }])) },
      wallMs: Math.round(wallMs), setupMs: Math.round(setupMs),
    };
  } finally {
    provider.destroy();
    if (ownsAnvil) await anvil.stop();
  }
}
