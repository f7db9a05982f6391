// `sidecar devnet`: a whole local network in one command. Starts anvil, deploys the protocol
// (test token, verifier, Sidecar with short devnet phases), funds the accounts, writes the L2
// genesis, and runs three nodes over libp2p (A a self-proving sequencer, B a sequencer buying
// proofs by RFQ, C an independent prover; or, with nodes: 1, one node with every role); a tx
// generator feeds the mempools with real signed L2 transfers. Blocks are proposed, revealed,
// committed, proven with REAL proofs (bb.js UltraHonk through the prover pool, INSECURE dev CRS),
// submitted and verified on L1 (the generated Honk verifiers behind HonkVerifierRouter, or the
// stand-in SignatureVerifier), and rewards withdrawn. A live line per slot goes to stderr;
// with --slots N it stops after N blocks settle and prints ONE JSON line on stdout.
//
// With a data dir, the chain is kept there (anvil's state, saved atomically) next to the deployment, the genesis, the
// recorded options (devnet.json) and the nodes' LevelDB: a rerun --resume continues it, --fresh
// wipes it (prepareDataDir).
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HDNodeWallet, JsonRpcProvider, Wallet } from 'ethers';
import { pino } from 'pino';
import { logDestination } from '../log.js';
import { WorldState, generateKeyPair, signTx, toHex, type GenesisAccount, type KeyPair } from '../../circuits/l2/index.js';
import { AnvilStateError, DEFAULT_MNEMONIC, previousStatePath, startAnvil, type Anvil } from '../l1/anvil.js';
import { SidecarClient } from '../l1/client.js';
import { deployHonkRouter } from '../../prover/l1-verify.js';
import { routerProof, type L1Circuit } from '../../circuits/backend/verifier.js';
import { deployProtocol, loadDeployment, saveDeployment, type Deployment, type ProtocolParams, type VerifierChoice } from '../l1/deploy.js';
import { signatureProof } from '../l1/signature-verifier.js';
import { MempoolError } from '../mempool/index.js';
import { SidecarNode } from '../node.js';
import { writeGenesis } from './genesis.js';
import { withholdEvery } from '../devnet/faults.js';
import { DevnetTurns } from '../devnet/turns.js';
import { DEVNET_LOCK_FILE, DataDirLockedError, lockDataDir } from '../devnet/lock.js';
import type { ChainNotice } from '../chain/index.js';
import type { L1View, NodeEvent } from '../roles/context.js';
import type { L1ProofEncoder } from '../roles/submitter.js';
import { proofRecipient } from '../roles/proof-check.js';

const E18 = 10n ** 18n;

export { DEVNET_DEFAULTS, DevnetSetupError, RECORDED_OPTIONS, defaultPhaseBlocks, type DevnetOptions } from '../devnet/options.js';
import { DevnetSetupError, RECORDED_OPTIONS, type DevnetOptions } from '../devnet/options.js';

type RecordedKey = (typeof RECORDED_OPTIONS)[number];
const FLAG: Record<RecordedKey, string> = {
  nodes: '--nodes', verifier: '--verifier', phaseBlocks: '--phase-blocks', provingBlocks: '--proving-blocks',
  submissionBlocks: 'submissionBlocks', blockTime: '--block-time', maxTxs: '--max-txs', l2Accounts: 'l2Accounts',
};

/** `<data dir>/devnet.json`: what a rerun with --resume needs besides deployment.json and genesis.json. */
export interface DevnetRecord {
  version: 1;
  options: Pick<DevnetOptions, RecordedKey>;
  sidecar: string;
  createdAt: string;
  /** runs of this devnet so far (1 = the one that deployed it) */
  runs: number;
}

export const DEVNET_RECORD_FILE = 'devnet.json';

/** Where the devnet keeps its chain (saved atomically from anvil; node/l1/anvil.ts). */
export function anvilStatePath(dataDir: string): string {
  return path.join(dataDir, 'anvil', 'state.json');
}

/** Seconds between saves of the chain (besides the one at stop): a kill -9 loses at most these. */
export const ANVIL_STATE_INTERVAL_SEC = 2;

const hasState = (dir: string) => existsSync(anvilStatePath(dir)) || existsSync(previousStatePath(anvilStatePath(dir)));

function holdsDevnet(dir: string): boolean {
  return [DEVNET_RECORD_FILE, 'deployment.json'].some((f) => existsSync(path.join(dir, f))) || hasState(dir);
}

/**
 * Checks the data dir against --resume / --fresh before anything starts, and wipes it for --fresh.
 * Returns the options to run with (on --resume: the recorded ones) and the record to resume.
 * - no flag: a dir that holds a devnet is refused (say --resume or --fresh);
 * - --resume: needs a complete devnet (devnet.json, deployment.json, genesis.json, anvil state);
 *   explicitly set options must match the recorded ones, the rest are taken from the record;
 * - --fresh: wipes a dir that holds a devnet; a non-empty dir holding something else is refused.
 */
export function prepareDataDir(o: DevnetOptions): { o: DevnetOptions; resume?: DevnetRecord } {
  const d = o.dataDir;
  if (o.resume && o.fresh) throw new DevnetSetupError('--resume and --fresh exclude each other: pick one');
  if (d === undefined) {
    if (o.resume) throw new DevnetSetupError('--resume needs --data-dir D: the folder of the devnet to continue');
    return { o };
  }
  const held = holdsDevnet(d);
  if (o.resume) {
    if (!held) throw new DevnetSetupError(`--resume: ${d} holds no devnet (no ${DEVNET_RECORD_FILE}, deployment.json or anvil state); start one with --data-dir ${d} and no --resume`);
    const missing = [DEVNET_RECORD_FILE, 'deployment.json', 'genesis.json'].filter((f) => !existsSync(path.join(d, f)));
    if (!hasState(d)) missing.push(path.join('anvil', 'state.json'));
    if (missing.length > 0) {
      throw new DevnetSetupError(`--resume: ${d} holds an incomplete devnet (no ${missing.join(', ')}: its first run stopped before the deployment was done, or an older sidecar made it); pass --fresh to wipe it and start over`);
    }
    const file = path.join(d, DEVNET_RECORD_FILE);
    let rec: DevnetRecord;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as DevnetRecord;
      if (rec?.version !== 1 || typeof rec.options !== 'object' || typeof rec.sidecar !== 'string') throw new Error('not a devnet record (version 1)');
    } catch (e) {
      throw new DevnetSetupError(`--resume: ${file} is damaged (${(e as Error).message}); pass --fresh to start over`);
    }
    const explicit = o.explicit ? new Set<string>(o.explicit) : undefined;
    const conflicts = RECORDED_OPTIONS.filter((k) => rec.options[k] !== undefined && rec.options[k] !== o[k] && (!explicit || explicit.has(k)));
    if (conflicts.length > 0) {
      const show = (src: Pick<DevnetOptions, RecordedKey>) => conflicts.map((k) => `${FLAG[k]} ${src[k]}`).join(' ');
      throw new DevnetSetupError(`--resume: ${d} is a devnet with ${show(rec.options)}, not ${show(o)}; leave those options out to resume it as recorded, or pass --fresh`);
    }
    return { o: { ...o, ...rec.options }, resume: rec };
  }
  if (o.fresh) {
    if (held) {
      for (const f of readdirSync(d)) if (f !== DEVNET_LOCK_FILE) rmSync(path.join(d, f), { recursive: true, force: true });
    } else if (existsSync(d) && readdirSync(d).some((f) => f !== DEVNET_LOCK_FILE)) {
      throw new DevnetSetupError(`--fresh: ${d} is not empty and holds no devnet; refusing to wipe it (use an empty or new folder)`);
    }
    return { o };
  }
  if (held) {
    let sidecar = '';
    try { sidecar = ` (Sidecar ${loadDeployment(path.join(d, 'deployment.json')).sidecar})`; } catch { /* incomplete: no address to show */ }
    throw new DevnetSetupError(`${d} already holds a devnet${sidecar}: pass --resume to continue it or --fresh to wipe it and start over`);
  }
  return { o };
}

/** The range circuits a submission of at most `aggregateMax` blocks uses (range_2, range_4). */
export function rangeCircuitsFor(aggregateMax: number): L1Circuit[] {
  return aggregateMax >= 4 ? ['range_2', 'range_4'] : aggregateMax >= 2 ? ['range_2'] : [];
}

/** The L1 circuits a block of at most `maxTxs` txs can be proven with (circuits/README plans). */
export function l1CircuitsFor(maxTxs: number): L1Circuit[] {
  const out: L1Circuit[] = ['single_1'];
  if (maxTxs > 1) out.push('single_8');
  if (maxTxs > 8) out.push('single_32');
  // bigger blocks: a chain or a tree, whichever the planner estimates cheaper (circuits/plan.ts)
  if (maxTxs > 32) out.push('final_8', 'block_root');
  return out;
}

/**
 * Generates (cached in .build/) the Solidity verifiers of `circuits` for the INSECURE dev CRS,
 * compiles them with the router, deploys them, and returns the router's address.
 */
/** What became of one proposed block (3 nodes: per sequencer and path). Amounts in token base units. */
export interface BlockOutcome {
  slot: number;
  /** node label of the proposer */
  sequencer: string;
  /** 'self': the sequencer proved it itself (sequencer-funded deposit); 'rfq': a prover it bought by quote */
  path: 'self' | 'rfq';
  /** node label (or address) of the committed prover */
  prover?: string;
  /** the canonical status on node A ('failed': a proposal step failed; 'not-canonical': lost its slot) */
  status: string;
  blockHash: string;
  endRoot: string;
  txHashes: string[];
  tip: string;
  rewardShareBps: number;
  deposit?: string;
  proverFunded?: boolean;
  /** the fee of the quote the sequencer committed with (rfq) */
  quoteFee?: string;
  /** BlockProven: the reward recipient the proof named (its submission reward), and the credits */
  recipient?: string;
  proverReward?: string;
  sequencerReward?: string;
  submissionReward?: string;
  /** BlockInvalidated: the share of the slashed deposit credited to this block's sequencer */
  invalidatedShare?: string;
}

/** A node's L2 heads (slot and state root of the pending and the proven tip). */
export interface NodeHeads { pendingSlot: number; pendingRoot: string; provenSlot: number; provenRoot: string }

export interface DevnetResult {
  slots: number;
  verified: number;
  slashed: number;
  /** blocks built on a slashed block, invalidated by the reorg */
  invalidated: number;
  realProofs: boolean;
  l1Verifier: string;
  /** totals of the BlockProven credits (prover, sequencer, submitter), withdrawn, and each node's token gain (3 nodes: nodeXGain) */
  payouts: Record<string, string>;
  /** the BlockProven credits of the verified blocks per path ('self': self-proving sequencer, 'rfq': proof bought by quote) */
  payoutsByPath: Record<string, { blocks: number; prover: string; sequencer: string; submitter: string }>;
  slotToVerifiedMs: number[];
  provingWindowUsed: number[];
  submitKnownToSentMs: number[];
  txsVerified: number;
  /** every proposed block, by slot */
  blocks: BlockOutcome[];
  /** BlockSlashed events: the prover's deposit, the blocks invalidated, the share each of their sequencers got, the dust to the pool */
  /** each slash: the deposit split into the caller's bounty, a share per sharing invalidated block, and what went to the reward pool (burn + dust) */
  slashes: { slot: number; prover: string; slasher: string; deposit: string; invalidatedBlocks: number; sharedBlocks: number; sharePerBlock: string; toPool: string; bounty: string }[];
  /** each node's heads right when it handled a ChainRewound (a slash rolled the pending chain back) */
  rewinds: ({ node: string; lastProvenSlot: number } & NodeHeads)[];
  /** the range proofs landed: one submitProofRange over blocks from..to (gas of the whole submission) */
  aggregated: { from: number; to: number; blocks: number; circuit?: string; gas: number; node: string }[];
  /** each node's heads at the end (synced to the same L1 block) */
  heads: Record<string, NodeHeads>;
  /** L1 at the end: the last proven slot and its end state root */
  l1: { lastProvenSlot: number; provenRoot: string };
  peakRssMB: number;
  durationMs: number;
  /** this run continued a devnet (--resume): everything above counts this run's blocks and L1
   *  events only (from L1 block `fromL1Block`); `l1` and `heads` are the whole chain's */
  resumed: boolean;
  /** the run of this devnet (1 = the one that deployed it) */
  run: number;
  fromL1Block: number;
  api?: string;
}

/** The dev account (mnemonic index) a second terminal joins the devnet with: ETH from anvil, tokens from the deploy. */
export const JOINER_WALLET = 4;

/**
 * The command that joins a running devnet as an independent prover (`sidecar node` with the
 * prover, submitter and watcher roles): the devnet's deployment and genesis files, a bootstrap
 * address, the funded joiner key, the INSECURE dev CRS, a fee below C's so it wins an RFQ.
 */
export function joinCommand(o: { dataDir: string; rpcUrl: string; wsUrl: string; bootstrap: string; signatureVerifierKey?: string; provider: JsonRpcProvider }): string {
  const env = [
    `SIDECAR_PRIVATE_KEY=${devWallet(JOINER_WALLET, o.provider).privateKey}`, `SIDECAR_L1_RPC_URL=${o.rpcUrl}`, `SIDECAR_L1_WS_URL=${o.wsUrl}`, 'SIDECAR_DEV_CRS=true',
    ...(o.signatureVerifierKey ? [`SIDECAR_DEV_VERIFIER_KEY=${o.signatureVerifierKey}`] : []),
  ];
  const args = [
    'node', '--roles', 'prover,submitter,watcher', '--data-dir', path.join(o.dataDir, 'joined'),
    '--deployment-file', path.join(o.dataDir, 'deployment.json'), '--genesis', path.join(o.dataDir, 'genesis.json'),
    '--bootstrap', o.bootstrap, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--metrics-port', '-1',
    '--prover-fee', String(E18 / 20n), '--prover-workers', '1', '--prover-threads', '1',
  ];
  return `${env.join(' ')} npm run sidecar -- ${args.join(' ')}`;
}

export function devWallet(i: number, provider: JsonRpcProvider): Wallet {
  return new Wallet(HDNodeWallet.fromPhrase(DEFAULT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey, provider);
}

/** Deterministic L2 accounts of the devnet (Grumpkin keys from fixed seeds; DEVNET ONLY). */
export function devnetL2Keys(n: number): KeyPair[] {
  return Array.from({ length: n }, (_, i) => generateKeyPair(new Uint8Array([0xde, 0x7e, i])));
}

export function devnetGenesis(keys: readonly KeyPair[], balance = 1_000_000_000n): GenesisAccount[] {
  return keys.map((k, index) => ({ index, publicKey: k.publicKey, balance }));
}

export class Devnet {
  anvil?: Anvil;
  /** the first node (with 3 nodes: A, the self-proving sequencer) */
  node?: SidecarNode;
  readonly nodes: { label: string; node: SidecarNode; client: SidecarClient }[] = [];
  provider?: JsonRpcProvider;
  /** hashes of the L2 txs the generator submitted */
  readonly txHashes: string[] = [];
  private tmpDir?: string;
  private unlock?: () => void;
  private stopping?: Promise<void>;

  constructor(readonly o: DevnetOptions) {}

  private out(line: string): void {
    (this.o.out ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  async run(): Promise<DevnetResult> {
    const t0 = Date.now();
    // one devnet per data dir: taken before --fresh may wipe it (a second run is refused, not merged)
    const existed = this.o.dataDir !== undefined && existsSync(this.o.dataDir);
    if (this.o.dataDir !== undefined) {
      mkdirSync(this.o.dataDir, { recursive: true });
      try {
        this.unlock = lockDataDir(this.o.dataDir);
      } catch (e) {
        throw e instanceof DataDirLockedError ? new DevnetSetupError(e.message) : e;
      }
    }
    let prepared: ReturnType<typeof prepareDataDir>;
    try {
      prepared = prepareDataDir(this.o);
    } catch (e) {
      this.unlock?.();
      if (this.o.dataDir !== undefined && !existed) rmSync(this.o.dataDir, { recursive: true, force: true }); // a refused run creates nothing
      throw e;
    }
    const { o, resume } = prepared;
    const dataDir = o.dataDir ?? (this.tmpDir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-devnet-')));
    mkdirSync(dataDir, { recursive: true });
    this.out(`devnet: data dir ${dataDir}${resume ? ` (resuming run ${resume.runs + 1} of the devnet made ${resume.createdAt}: ${RECORDED_OPTIONS.map((k) => `${k} ${o[k]}`).join(', ')})` : ''}`);
    // anvil keeps the chain in the data dir (a temp dir only with --keep), so a rerun can resume it
    const persist = o.dataDir !== undefined || o.keep;
    try {
      this.anvil = await startAnvil({ accounts: 10, ownProcessGroup: true, statePath: persist ? anvilStatePath(dataDir) : undefined, stateIntervalSec: persist ? ANVIL_STATE_INTERVAL_SEC : undefined }, (m) => this.out(`devnet: ${m}`));
    } catch (e) {
      throw e instanceof AnvilStateError ? new DevnetSetupError(`--resume: ${e.message}; pass --fresh to start over`) : e;
    }
    const provider = (this.provider = new JsonRpcProvider(this.anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 }));
    this.out(`devnet: anvil on ${this.anvil.rpcUrl}`);

    const keys = devnetL2Keys(o.l2Accounts);
    const genesis = devnetGenesis(keys);
    const genesisRoot = (await WorldState.create(genesis)).root();
    const deployer = devWallet(0, provider);
    const nodeKey = devWallet(1, provider);
    const three = o.nodes === 3;
    const extraKeys = three ? [devWallet(2, provider), devWallet(3, provider)] : [];
    let deployment: Deployment;
    if (resume) {
      deployment = loadDeployment(path.join(dataDir, 'deployment.json'));
      if ((await provider.getCode(deployment.sidecar)) === '0x') {
        throw new DevnetSetupError(`--resume: anvil's saved chain (${anvilStatePath(dataDir)}) holds no Sidecar at ${deployment.sidecar}; pass --fresh to start over`);
      }
      if (BigInt(deployment.config.genesisRoot) !== genesisRoot) throw new DevnetSetupError(`--resume: the deployment's L2 genesis root is not the devnet genesis of ${o.l2Accounts} accounts; pass --fresh`);
      this.out(`devnet: resuming at L1 #${await provider.getBlockNumber()}: no deploy, funding or staking; the nodes sync from their cursors`);
      writeFileSync(path.join(dataDir, DEVNET_RECORD_FILE), JSON.stringify({ ...resume, runs: resume.runs + 1 }, null, 2));
    } else {
      // the joiner's account (JOINER_WALLET) is funded too: a second terminal can join as a prover
      deployment = await this.deploy(o, dataDir, provider, genesis, genesisRoot, [nodeKey, ...extraKeys, devWallet(JOINER_WALLET, provider)]);
    }
    await provider.send('evm_setIntervalMining', [o.blockTime]);
    this.out(`devnet: Sidecar ${deployment.sidecar}, token ${deployment.token}, phases ${o.phaseBlocks}/${o.phaseBlocks}/${o.phaseBlocks} blocks, proving ${o.provingBlocks}, block time ${o.blockTime}s`);
    // the result counts this run's blocks and L1 events only (a resumed devnet's earlier runs are in L1's history)
    const runFromBlock = resume ? await provider.getBlockNumber() : deployment.deployBlock;

    const client = SidecarClient.connect({ deployment, rpc: this.anvil.rpcUrl, signer: nodeKey.privateKey, wsUrl: this.anvil.wsUrl });
    const verifierSigner = deployer;
    const encodeProof: L1ProofEncoder = o.verifier === 'honk' ? async (_slot, p) => ({
      proof: routerProof({ circuit: p.circuit, proof: p.proof, flavour: 'l1' }),
    }) : async (slot, p, to) => {
      const recipient = proofRecipient(p.publicInputs);
      if (!recipient) throw new Error(`the final proof of slot ${slot} names no recipient`);
      return { proof: await signatureProof(verifierSigner, deployment.verifier, deployment.chainId, await client.publicInputs(slot, to ?? slot, recipient)) };
    };
    const log = pino({ level: process.env.SIDECAR_LOG_LEVEL ?? 'warn', base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, logDestination());
    const slots = o.slots;
    const half = slots === undefined ? undefined : Math.ceil(slots / 2);
    // turns and budgets count this run's proposals only (node/devnet/turns.ts): a resumed run reaches its --slots
    // with aggregation, each sequencer proposes two slots in a row: its prover can aggregate them
    const turns = new DevnetTurns(three ? o.maxUnproven : undefined, o.aggregateMax >= 2 ? 2 : 1);
    const quoteFees = new Map<number, bigint>();
    const p2p = (bootstrap?: string[]) => ({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, heartbeatMs: 200, ipColocationWeight: 0 });
    const node = (this.node = await SidecarNode.start({
      dataDir: three ? path.join(dataDir, 'A') : dataDir, roles: ['sequencer', 'prover', 'submitter', 'watcher'], client, genesis, wsUrl: this.anvil.wsUrl,
      sequencer: {
        tip: E18, rewardShareBps: 2000, maxTxs: o.maxTxs, deposit: deployment.config.minProverDeposit, selfProve: true,
        policy: turns.policy(three ? 'A' : 'node'),
      },
      prover: { workers: o.workers, threads: 1, crs: { dev: true }, faults: three ? undefined : withholdEvery(o.withholdEvery) },
      submitter: { aggregateMax: o.aggregateMax },
      encodeProof, api: { host: '127.0.0.1', port: o.apiPort }, confirmations: 2, log: log.child({ node: 'A' }),
      p2p: three ? p2p() : undefined,
    }));
    this.nodes.push({ label: three ? 'A' : 'node', node, client });
    turns.add(three ? 'A' : 'node', node, three ? half : slots);
    if (three) {
      const boot = node.p2p!.addrs.filter((a) => a.includes('/p2p/'));
      let bNode: SidecarNode | undefined;
      const cB = SidecarClient.connect({ deployment, rpc: this.anvil.rpcUrl, signer: extraKeys[0].privateKey, wsUrl: this.anvil.wsUrl });
      const b = await SidecarNode.start({
        dataDir: path.join(dataDir, 'B'), roles: ['sequencer', 'submitter', 'watcher'], client: cB, genesis, wsUrl: this.anvil.wsUrl, crs: { dev: true },
        sequencer: {
          tip: E18, rewardShareBps: 2000, maxTxs: o.maxTxs, deposit: deployment.config.minProverDeposit, selfProve: false,
          policy: turns.policy('B'),
          // the node's own RFQ (Market.requestQuote), with the chosen quote's fee kept for the result
          chooseProver: async (slot, hash, deadline) => {
            const q = await bNode!.market!.requestQuote(slot, hash, E18, deadline);
            if (q) quoteFees.set(slot, q.quote.fee);
            return q;
          },
        },
        encodeProof, api: { host: '127.0.0.1', port: 0 }, confirmations: 2, log: log.child({ node: 'B' }),
        p2p: { ...p2p(boot), rfq: true },
      });
      bNode = b;
      turns.add('B', b, slots === undefined ? undefined : slots - half!);
      this.nodes.push({ label: 'B', node: b, client: cB });
      const cC = SidecarClient.connect({ deployment, rpc: this.anvil.rpcUrl, signer: extraKeys[1].privateKey, wsUrl: this.anvil.wsUrl });
      const c = await SidecarNode.start({
        dataDir: path.join(dataDir, 'C'), roles: ['prover', 'submitter', 'watcher'], client: cC, genesis, wsUrl: this.anvil.wsUrl,
        prover: { workers: o.workers, threads: 1, crs: { dev: true }, faults: withholdEvery(o.withholdEvery) },
        submitter: { aggregateMax: o.aggregateMax },
        encodeProof, api: { host: '127.0.0.1', port: 0 }, confirmations: 2, log: log.child({ node: 'C' }),
        p2p: { ...p2p([...boot, ...b.p2p!.addrs.filter((a) => a.includes('/p2p/'))]), quote: { baseFee: E18 / 10n, deposit: deployment.config.minProverDeposit } },
      });
      this.nodes.push({ label: 'C', node: c, client: cC });
    }
    // the sequencers' stakes cost tokens: measure gains from after them
    const start = new Map<string, bigint>();
    for (const n of this.nodes) {
      await n.node.sequencer?.setup();
      start.set(n.label, await n.client.tokenBalance(n.node.address));
    }
    const afterStake = start.get(this.nodes[0].label)!;
    await turns.start(node.config);
    for (const n of this.nodes) {
      this.out(`devnet: node ${n.label} ${n.node.address} (${n.node.o.roles.join('+')}${n.node.o.p2p?.rfq ? ', buys proofs by RFQ' : ''}${n.node.o.p2p?.quote ? ', answers RFQs' : ''}), dashboard ${n.node.api?.url}/${n.node.p2p ? `, peer ${n.node.p2p.peerId}` : ''}`);
    }
    if (three) this.out(`devnet: join as an independent prover from a second terminal (it quotes below C, so it wins B's next RFQ):\n  ${joinCommand({ dataDir, rpcUrl: this.anvil.rpcUrl, wsUrl: this.anvil.wsUrl, bootstrap: node.p2p!.addrs.filter((a) => a.includes('/p2p/'))[0], signatureVerifierKey: o.verifier === 'signature' ? deployer.privateKey : undefined, provider })}`);

    // ---- tx generator: real signed transfers into the mempool each slot
    const nonces = new Map<number, number>();
    const txHashes = this.txHashes;
    let genSlot = -1;
    let peakRss = 0;
    const sequencers = this.nodes.filter((n) => n.node.sequencer);
    // the blocks a sequencer proposed in this run (not those restored from an earlier run's store)
    const thisRun = (sq: { label: string; node: SidecarNode }) => [...sq.node.sequencer!.blocks.values()].filter((b) => turns.proposedInRun(sq.label, b.slot));
    node.on('tick', (v: L1View) => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (v.slot === genSlot) return;
      genSlot = v.slot;
      sequencers.forEach((sq, si) => {
        if (o.slots !== undefined && turns.done(sq.label)) return;
        const mine = keys.map((_, i) => i).filter((i) => i % sequencers.length === si);
        const state = sq.node.chain.pendingState();
        // at most two full blocks wait in a sequencer's mempool (proving, not the generator, sets the pace)
        const room = Math.max(0, Math.min(o.txPerSlot, 2 * o.maxTxs - sq.node.mempool.size));
        for (let i = 0; i < room; i++) {
          const from = mine[(v.slot * o.txPerSlot + i) % mine.length];
          const to = (from + 1) % keys.length;
          const nonce = Math.max(nonces.get(from) ?? 0, sq.node.mempool.nextNonce(from, state));
          // taken now: the next tx of this account in this loop gets the next nonce (the mempool learns of this one asynchronously)
          nonces.set(from, nonce + 1);
          const signed = signTx({ from, to, amount: BigInt(1 + ((v.slot + i) % 9)), nonce }, keys[from].secretKey);
          sq.node.submitTx(signed).then((h) => { txHashes.push(h); }, (e) => {
            if (e instanceof MempoolError) nonces.delete(from);
            log.warn({ err: e }, 'tx generator: tx refused');
          });
        }
      });
    });

    // ---- live lines
    const slotTimes = new Map<number, { seen: number; verified?: number }>();
    let lastPhase = '';
    node.on('tick', (v: L1View) => {
      if (!slotTimes.has(v.slot)) slotTimes.set(v.slot, { seen: Date.now() });
      const key = `${v.slot}/${v.phase}`;
      if (key === lastPhase) return;
      lastPhase = key;
      const h = node.chain.head();
      const proving = node.proverRole?.progress().map((p) => `slot ${p.slot} ${p.done}/${p.jobs} jobs ${(p.ms / 1000).toFixed(0)}s`).join(', ') || 'idle';
      this.out(`slot ${String(v.slot).padStart(3)} ${v.phase.padEnd(10)} L1 #${v.head} | mempool ${node.mempool.size} | proving: ${proving} | L2 pending slot ${h.pending.slot}, proven slot ${h.proven.slot} | rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
    });
    for (const n of this.nodes) n.node.on('event', (e: NodeEvent) => this.out(`    ${three ? `[${n.label}] ` : ''}${describe(e)}`));
    const rewinds: DevnetResult['rewinds'] = [];
    for (const n of this.nodes) {
      n.node.on('chain', (c: ChainNotice) => {
        if (c.type !== 'rewound') return;
        rewinds.push({ node: n.label, lastProvenSlot: c.lastProvenSlot, ...headsOf(n.node) });
        if (three) this.out(`    [${n.label}] chain rewound to slot ${c.lastProvenSlot}: pending root ${short(n.node.chain.head().pending.root)} = proven root ${short(n.node.chain.head().proven.root)}`);
      });
    }
    node.on('chain', (n: { type: string; slot?: number }) => {
      if (n.type === 'proven' && n.slot !== undefined) {
        const own = sequencers.map((sq) => sq.node.sequencer!.blocks.get(n.slot!)).find((b) => b);
        const t = slotTimes.get(n.slot);
        if (t) t.verified = Date.now();
        this.out(`    slot ${n.slot}: VERIFIED on L1${own ? ` (${own.txs.length} txs, ${((Date.now() - own.slotSeenAt) / 1000).toFixed(1)} s after the slot opened)` : ''}`);
      } else if (n.type === 'slashed' || n.type === 'invalidated' || n.type === 'rewound') {
        this.out(`    chain: ${n.type}${n.slot !== undefined ? ` slot ${n.slot}` : ''} ${JSON.stringify(n)}`);
      }
    });

    if (o.slots === undefined) {
      await new Promise<void>(() => undefined); // until Ctrl-C
    }
    // ---- wait until the N blocks settle (proven, slashed, invalidated or failed)
    const deadline = Date.now() + o.timeoutSec * 1000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`devnet: the ${o.slots} blocks did not settle within ${o.timeoutSec} s`);
      if (turns.allDone()) {
        let settled = true;
        for (const b of sequencers.flatMap((sq) => thisRun(sq))) {
          if (b.stage === 'failed') continue;
          const c = await node.chain.block(b.slot);
          if (!c || c.blockHash !== b.blockHash) {
            // not canonical: settled once its commitment phase is over (the next slot began)
            if ((node.view?.slot ?? 0) <= b.slot) settled = false;
            continue;
          }
          if (c.status === 'pending') settled = false;
        }
        if (settled) break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const gains: Record<string, string> = {};
    const heads: Record<string, NodeHeads> = {};
    const endBlock = await provider.getBlockNumber();
    for (const n of this.nodes) {
      await n.node.chain.syncTo(endBlock, 30_000);
      heads[n.label] = headsOf(n.node);
      await n.node.watcher!.withdraw();
      gains[n.label] = String((await n.client.tokenBalance(n.node.address)) - start.get(n.label)!);
    }
    const balanceAfter = BigInt(gains[this.nodes[0].label]) + afterStake;

    // ---- the result
    let verified = 0;
    let slashed = 0;
    let invalidated = 0;
    const slotToVerifiedMs: number[] = [];
    const provingWindowUsed: number[] = [];
    for (const b of sequencers.flatMap((sq) => thisRun(sq)).sort((a, c) => a.slot - c.slot)) {
      const c = await node.chain.block(b.slot);
      if (!c || c.blockHash !== b.blockHash) continue;
      if (c.status === 'proven') {
        verified++;
        const t = slotTimes.get(b.slot);
        if (t?.verified) slotToVerifiedMs.push(t.verified - b.slotSeenAt);
        const timing = await client.slotTiming(b.slot);
        if (c.provenAtL1 !== undefined) provingWindowUsed.push(Number(((c.provenAtL1 - timing.commitEnd) / (timing.deadline - timing.commitEnd)).toFixed(3)));
      } else if (c.status === 'slashed') slashed++;
      else if (c.status === 'invalidated') invalidated++;
    }
    const proven = await client.sidecar.queryFilter(client.sidecar.filters.BlockProven(), runFromBlock);
    const sum = { prover: 0n, sequencer: 0n, submitter: 0n };
    for (const ev of proven) {
      const a = (ev as unknown as { args: { proverReward: bigint; sequencerReward: bigint; submissionReward: bigint } }).args;
      sum.prover += a.proverReward;
      sum.sequencer += a.sequencerReward;
      sum.submitter += a.submissionReward;
    }
    // ---- per block: path, prover, status and credits, from L1 events and the proposals
    const label = (a: string | undefined) => (a === undefined ? undefined : this.nodes.find((n) => n.node.address.toLowerCase() === a.toLowerCase())?.label ?? a);
    type Args = Record<string, unknown> & { slot: bigint };
    const events = async (name: string) => (await client.sidecar.queryFilter(client.sidecar.filters[name](), runFromBlock)).map((e) => (e as unknown as { args: Args }).args);
    const provenBy = new Map((await events('BlockProven')).map((a) => [Number(a.slot), a]));
    const invalidatedBy = new Map((await events('BlockInvalidated')).map((a) => [Number(a.slot), a]));
    const slashes = await Promise.all((await client.sidecar.queryFilter(client.sidecar.filters.BlockSlashed(), runFromBlock)).map(async (e) => {
      const a = (e as unknown as { args: Args }).args;
      const tx = await client.provider.getTransaction(e.transactionHash);
      return {
        slot: Number(a.slot), prover: label(a.prover as string)!, slasher: label(tx?.from) ?? 'unknown', deposit: String(a.deposit), invalidatedBlocks: Number(a.invalidatedBlocks),
        sharedBlocks: Number(a.sharedBlocks), sharePerBlock: String(a.sharePerBlock), toPool: String(a.toPool), bounty: String(a.bounty),
      };
    }));
    const blocks: BlockOutcome[] = [];
    for (const sq of sequencers) {
      for (const b of thisRun(sq)) {
        const c = await node.chain.block(b.slot);
        const p = await client.getProposal(b.slot, sq.node.address);
        const proven = provenBy.get(b.slot);
        const inv = invalidatedBy.get(b.slot);
        const canonical = c?.blockHash === b.blockHash;
        blocks.push({
          slot: b.slot, sequencer: sq.label, path: b.prover && b.prover.toLowerCase() !== sq.node.address.toLowerCase() ? 'rfq' : 'self',
          prover: label(b.prover), status: b.stage === 'failed' ? 'failed' : canonical ? c!.status : 'not-canonical',
          blockHash: b.blockHash, endRoot: toHex(b.block.endRoot).toLowerCase(), txHashes: b.hashes, tip: String(p?.tip ?? 0n), rewardShareBps: p?.rewardShareBps ?? 0,
          deposit: p?.committed ? String(p.deposit) : undefined, proverFunded: p?.committed ? p.proverFunded : undefined,
          quoteFee: quoteFees.has(b.slot) ? String(quoteFees.get(b.slot)) : undefined,
          ...(canonical && proven ? {
            recipient: label(proven.recipient as string), proverReward: String(proven.proverReward), sequencerReward: String(proven.sequencerReward),
            submissionReward: String(proven.submissionReward),
          } : {}),
          ...(canonical && inv ? { invalidatedShare: String(inv.slashShare) } : {}),
        });
      }
    }
    blocks.sort((a, b) => a.slot - b.slot);
    const byPath: Record<string, { blocks: number; prover: bigint; sequencer: bigint; submitter: bigint }> = {};
    for (const b of blocks) {
      if (b.status !== 'proven') continue;
      const x = (byPath[b.path] ??= { blocks: 0, prover: 0n, sequencer: 0n, submitter: 0n });
      x.blocks++;
      x.prover += BigInt(b.proverReward!);
      x.sequencer += BigInt(b.sequencerReward!);
      x.submitter += BigInt(b.submissionReward!);
    }
    const cs = await client.chainState();
    const l1 = { lastProvenSlot: Number(cs.lastProvenSlot), provenRoot: cs.lastProvenSlot === 0n ? toHex((await node.chain.provenState()).root()) : (await client.getBlock(cs.lastProvenSlot)).endRoot };

    let txsVerified = 0;
    for (const h of txHashes) if ((await node.chain.txStatus(h))?.at.verified) txsVerified++;
    const result: DevnetResult = {
      slots: o.slots ?? 0, verified, slashed, invalidated, realProofs: this.nodes.some((n) => (n.node.proverRole?.finished.length ?? 0) > 0),
      l1Verifier: o.verifier === 'honk' ? 'honk-router (INSECURE dev CRS)' : 'signature-stand-in',
      payouts: {
        prover: String(sum.prover), sequencer: String(sum.sequencer), submitter: String(sum.submitter),
        withdrawn: String(this.nodes.reduce((a, n) => a + n.node.watcher!.withdrawn, 0n)), netTokenGain: String(balanceAfter - afterStake),
        ...(three ? Object.fromEntries(Object.entries(gains).map(([k, v]) => [`node${k}Gain`, v])) : {}),
        blockReward: String(deployment.config.blockReward), submissionReward: String(deployment.config.submissionReward),
        slashBurnBps: String(deployment.config.slashBurnBps), slashBountyBps: String(deployment.config.slashBountyBps),
      },
      payoutsByPath: Object.fromEntries(Object.entries(byPath).map(([k, v]) => [k, { blocks: v.blocks, prover: String(v.prover), sequencer: String(v.sequencer), submitter: String(v.submitter) }])),
      slotToVerifiedMs, provingWindowUsed,
      submitKnownToSentMs: [...(node.submitter?.knownToSentMs.values() ?? [])],
      aggregated: this.nodes.flatMap((n) => n.node.events.flatMap((e) => (e.type === 'submitted' && e.to !== undefined ? [{ from: e.slot, to: e.to, blocks: e.blocks ?? 0, circuit: e.circuit, gas: Number(e.gasUsed), node: n.label }] : []))).sort((a, b) => a.from - b.from),
      txsVerified, blocks, slashes, rewinds, heads, l1, peakRssMB: Math.round(peakRss / 2 ** 20), durationMs: Date.now() - t0,
      resumed: resume !== undefined, run: resume ? resume.runs + 1 : 1, fromL1Block: runFromBlock,
    };
    return result;
  }

  /** Deploys the protocol (fresh devnet): verifier, token, Sidecar; funds the nodes; writes deployment.json, genesis.json and devnet.json. */
  private async deploy(o: DevnetOptions, dataDir: string, provider: JsonRpcProvider, genesis: GenesisAccount[], genesisRoot: bigint, nodeKeys: Wallet[]): Promise<Deployment> {
    const deployer = devWallet(0, provider);
    const params: Partial<ProtocolParams> = {
      proposalBlocks: o.phaseBlocks, revealBlocks: o.phaseBlocks, commitBlocks: o.phaseBlocks,
      provingBlocks: o.provingBlocks, submissionBlocks: o.submissionBlocks, earlyProofs: true, reorgWindow: 32,
      activationDelay: 1, genesisRoot,
    };
    let verifier: VerifierChoice;
    if (o.verifier === 'honk') {
      const circuits = [...l1CircuitsFor(o.maxTxs), ...rangeCircuitsFor(o.aggregateMax)];
      this.out(`devnet: L1 verifier = generated UltraHonk verifiers (${circuits.join(', ')}) behind HonkVerifierRouter, INSECURE dev CRS`);
      verifier = { kind: 'address', address: (await deployHonkRouter(deployer, circuits, { crs: { dev: true }, log: (l) => this.out(`devnet: ${l}`) })).address };
    } else {
      this.out('devnet: L1 verifier = stand-in SignatureVerifier (proofs are real and checked with bb.js; L1 checks a deployer signature over their public inputs)');
      verifier = { kind: 'signature', signer: deployer.address };
    }
    this.out('devnet: compiling and deploying the protocol');
    const deployment: Deployment = await deployProtocol({
      signer: deployer, params, fundRewards: 100_000n * E18, verifier,
      mint: nodeKeys.map((w) => ({ to: w.address, amount: 1_000_000n * E18 })),
    });
    saveDeployment(path.join(dataDir, 'deployment.json'), deployment);
    writeGenesis(path.join(dataDir, 'genesis.json'), genesis);
    const record: DevnetRecord = {
      version: 1, options: Object.fromEntries(RECORDED_OPTIONS.map((k) => [k, o[k]])) as DevnetRecord['options'],
      sidecar: deployment.sidecar, createdAt: new Date().toISOString(), runs: 1,
    };
    // written last: a data dir with devnet.json holds a complete deployment
    writeFileSync(path.join(dataDir, DEVNET_RECORD_FILE), JSON.stringify(record, null, 2));
    return deployment;
  }

  /** Stops the node (LevelDB closed, prover pool down) and anvil; removes a temp data dir. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const n of [...this.nodes].reverse()) await n.node.stop().catch(() => undefined);
      await this.node?.stop().catch(() => undefined);
      for (const n of this.nodes) await n.client.close().catch(() => undefined);
      this.provider?.destroy();
      await this.anvil?.stop().catch(() => undefined);
      if (this.tmpDir && !this.o.keep) rmSync(this.tmpDir, { recursive: true, force: true });
      this.unlock?.();
    })();
    return this.stopping;
  }
}

function headsOf(n: SidecarNode): NodeHeads {
  const h = n.chain.head();
  return { pendingSlot: h.pending.slot, pendingRoot: h.pending.root, provenSlot: h.proven.slot, provenRoot: h.proven.root };
}

function short(h: string): string { return `${h.slice(0, 10)}…`; }

export function describe(e: NodeEvent): string {
  switch (e.type) {
    case 'proposed': case 'revealed': return `slot ${e.slot}: ${e.type} block ${short(e.blockHash)} with ${e.txs} txs (L1 #${e.l1Block})`;
    case 'committed': return `slot ${e.slot}: committed prover ${e.prover} (L1 #${e.l1Block})`;
    case 'skipped': return `slot ${e.slot}: skipped: ${e.reason}`;
    case 'proving': return `slot ${e.slot}: proving ${e.done}/${e.jobs} jobs`;
    case 'proved': return `slot ${e.slot}: REAL proof ${e.circuit} done in ${(e.ms / 1000).toFixed(1)} s, verified with bb.js`;
    case 'prove-failed': return `slot ${e.slot}: not proven: ${e.reason}`;
    case 'submitted': return e.to !== undefined
      ? `slots ${e.slot}..${e.to}: AGGREGATED ${e.circuit} proof over ${e.blocks} blocks submitted ${short(e.txHash)} (gas ${e.gasUsed}, ${Math.round(Number(e.gasUsed) / (e.blocks ?? 1))} per block, L1 #${e.l1Block})`
      : `slot ${e.slot}: proof submitted ${short(e.txHash)} (gas ${e.gasUsed}, L1 #${e.l1Block})`;
    case 'aggregation': return e.action === 'aggregate' ? `slot ${e.slot}: waiting to aggregate ${e.n} blocks into one range proof (saves ~${e.savedGas} gas)` : `slot ${e.slot}: submitting alone (${e.why})`;
    case 'submit-skipped': return `slot ${e.slot}: submission skipped: ${e.reason}`;
    case 'slashed': return `slot ${e.slot}: SLASHED (${short(e.txHash)})`;
    case 'withdrawn': return `withdrew ${e.amount} token units to ${e.to}`;
    case 'l1-error': return `${e.role}: ${e.call} failed: ${e.code}: ${e.message.split('\n')[0]}`;
  }
}
