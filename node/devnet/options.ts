// The devnet's options, defaults and setup error: a light module (no libp2p, no prover) that the
// CLI imports to build `sidecar devnet --help` without loading the devnet itself.
export interface DevnetOptions {
  /** stop after this many blocks settle (undefined: run until Ctrl-C) */
  slots?: number;
  /** L1 block time in seconds */
  blockTime: number;
  /** proposal / reveal / commitment phase length in L1 blocks */
  phaseBlocks: number;
  provingBlocks: number;
  submissionBlocks: number;
  /** txs the generator sends each sequencer per slot (while fewer than 2 x maxTxs wait in its mempool) */
  txPerSlot: number;
  /** most txs per block (default 64: blocks of 49..64 txs, proven as trees 2 x base_32 -> block_root; circuits/README.md plans) */
  maxTxs: number;
  workers: number;
  l2Accounts: number;
  /** 1: one node with every role; 3: a self-proving sequencer (A), a sequencer buying proofs
   *  through the RFQ (B) and an independent prover answering RFQs (C), over libp2p on 127.0.0.1 */
  nodes: 1 | 3;
  /** withhold every K-th block proof (0 = never; the independent prover C with 3 nodes) */
  withholdEvery: number;
  /** 3 nodes: a sequencer proposes only while at most this many blocks of its pending chain are
   *  unproven (so a withheld block gets exactly this many blocks built on it before its slash) */
  maxUnproven: number;
  dataDir?: string;
  /** `dataDir` holds a devnet: continue it (its anvil state, deployment, genesis and every node's
   *  LevelDB; no deploy, funding or staking) */
  resume?: boolean;
  /** wipe `dataDir` first (refused on a non-empty folder that holds no devnet) */
  fresh?: boolean;
  /** the options the user set explicitly (the CLI's flags). On --resume the options recorded in
   *  the data dir replace the others; an explicit one that differs is refused. Undefined: all. */
  explicit?: readonly (keyof DevnetOptions)[];
  keep: boolean;
  apiPort: number;
  /** give up after this many seconds */
  timeoutSec: number;
  /** the L1 verifier: the generated Honk verifiers behind HonkVerifierRouter (real on-chain
   *  verification, INSECURE dev CRS), or the stand-in SignatureVerifier */
  verifier: 'honk' | 'signature';
  /** most consecutive blocks of one prover node one range proof settles (range_2 / range_4; 1 = never
   *  aggregate): the range verifiers are deployed and the provers' submitters aggregate */
  aggregateMax: number;
  /** live lines (default: stderr) */
  out?: (line: string) => void;
}

export const DEVNET_DEFAULTS: DevnetOptions = {
  blockTime: 1, phaseBlocks: 4, provingBlocks: 600, submissionBlocks: 6, txPerSlot: 50, maxTxs: 64, workers: 1,
  l2Accounts: 8, withholdEvery: 0, maxUnproven: 1, keep: false, apiPort: 0, timeoutSec: 1800, verifier: 'honk', nodes: 3,
  aggregateMax: 2,
};

/** The default phase length for a node count: 3 nodes take turns, and a proposer only proposes
 *  while its tx still lands a block before the proposal phase ends, so they get 4-block phases
 *  (3 leaves one usable block); one node keeps the shorter 3. */
export function defaultPhaseBlocks(nodes: 1 | 3): number {
  return nodes === 3 ? 4 : 3;
}

/** A data dir the devnet cannot use as asked (--resume / --fresh): the CLI prints it, exit 2. */
export class DevnetSetupError extends Error {
  constructor(message: string) { super(message); this.name = 'DevnetSetupError'; }
}

/** The options that define a devnet's chain and nodes, recorded in `<data dir>/devnet.json`. */
export const RECORDED_OPTIONS = ['nodes', 'verifier', 'phaseBlocks', 'provingBlocks', 'submissionBlocks', 'blockTime', 'maxTxs', 'l2Accounts'] as const;
