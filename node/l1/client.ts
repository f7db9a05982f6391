// A typed ethers v6 client over one Sidecar deployment (contracts/src/interfaces/ISidecar.sol).
// Views return plain typed objects; every protocol call goes through TxSender (pre-flight
// estimate, managed nonce, custom errors decoded into L1Error); events come from an
// EventFollower (WebSocket heads + eth_getLogs catch-up from a persisted cursor).
// Phase boundaries, statuses and public inputs are read from the contract, never recomputed.
import { FailoverRpcProvider } from './failover.js';
import { Contract, Interface, JsonRpcProvider, Wallet, WebSocketProvider, type InterfaceAbi, type Provider, type Signer } from 'ethers';
import { blockHash as computeBlockHash, proposalCommitment, signQuote as signQuoteWith, signRfq as signRfqWith, type L1Block, type Quote, type Rfq } from './block.js';
import { compileContracts, getArtifact } from './compile.js';
import type { Deployment } from './deploy.js';
import { L1Error, errorInterface, toL1Error } from './errors.js';
import { WsEventSubscription, closeWebSocket, type ContractEvent, type FollowOptions } from './events.js';
import { TxSender, type SendOptions, type Sent } from './sender.js';

export { L1Error } from './errors.js';
export { blockHash, proposalCommitment, makeL1Block, signQuote, quoteDigest, quoteSigner, signRfq, rfqSigner, type L1Block, type Quote, type Rfq } from './block.js';
export type { ContractEvent, WsEventSubscription } from './events.js';
export type { Sent, SendOptions } from './sender.js';

export const PHASES = ['NotStarted', 'Proposal', 'Reveal', 'Commitment', 'Proving', 'Submission', 'Closed'] as const;
export type Phase = (typeof PHASES)[number];
export const BLOCK_STATUSES = ['None', 'Committed', 'Pending', 'Proven', 'Slashed', 'Invalidated'] as const;
export type BlockStatus = (typeof BLOCK_STATUSES)[number];

export interface SidecarConfig {
  token: string; verifier: string; genesisBlock: bigint; genesisRoot: string;
  proposalBlocks: number; revealBlocks: number; commitBlocks: number; provingBlocks: number; submissionBlocks: number;
  earlyProofs: boolean; reorgWindow: number; minStake: bigint; activationDelay: number; exitDelay: number;
  minProverDeposit: bigint; blockReward: bigint; submissionReward: bigint; proverExclusiveBlocks: number; slashBurnBps: number; slashBountyBps: number; depositRankCap: bigint; commitmentRegistry: string;
}
export interface SlotTiming {
  proposalStart: number; revealStart: number; commitStart: number; commitEnd: number;
  proofsFrom: number; submissionStart: number; deadline: number; seedBlock: number;
  /** until this block only a proof naming the committed prover as its recipient lands (= proofsFrom: no window) */
  exclusiveUntil: number;
}
export interface BlockView {
  status: BlockStatus; sequencer: string; parentSlot: bigint; blockHash: string; startRoot: string; endRoot: string;
  txsCommitment: string; tip: bigint; rewardShareBps: number; prover: string; deposit: bigint; depositor: string;
}
export interface ProposalView {
  exists: boolean;
  /** keccak256(abi.encode(blockHash, sequencer)), posted in `propose` */
  commitment: string;
  /** ZeroHash until revealed */
  blockHash: string; tip: bigint; rewardShareBps: number; revealed: boolean; endRoot: string;
  txsCommitment: string; committed: boolean; prover: string; deposit: bigint; proverFunded: boolean;
}
export interface ChainState { lastProvenSlot: bigint; headSlot: bigint; pendingBlocks: bigint; killedUpTo: bigint }
export interface StakeView { amount: bigint; activeFrom: number; exitableAt: number }

/** Struct results from ethers (Result) as a plain object with the named fields. */
function plain(r: { toObject(deep?: boolean): Record<string, unknown> }): Record<string, unknown> {
  return r.toObject(true);
}

const ZERO = '0x0000000000000000000000000000000000000000';

export interface SidecarAbis { sidecar: InterfaceAbi; token: InterfaceAbi; verifier: InterfaceAbi; extraErrors: InterfaceAbi[] }

let cachedAbis: SidecarAbis | undefined;
/** The ABIs the client speaks, from the (cached) compile of contracts/src. */
export function protocolAbis(): SidecarAbis {
  if (cachedAbis) return cachedAbis;
  const r = compileContracts();
  const pick = (n: string) => getArtifact(r, n).abi as InterfaceAbi;
  const has = (n: string) => Object.values(r.artifacts).some((a) => a.contractName === n);
  // The concrete contracts may declare extra errors (OpenZeppelin's SafeERC20, ECDSA, ...).
  const extraErrors = Object.values(r.artifacts).map((a) => a.abi as InterfaceAbi);
  cachedAbis = {
    sidecar: has('Sidecar') ? pick('Sidecar') : pick('ISidecar'),
    token: has('IERC20') ? pick('IERC20') : ['function balanceOf(address) view returns (uint256)', 'function allowance(address,address) view returns (uint256)', 'function approve(address,uint256) returns (bool)', 'function transfer(address,uint256) returns (bool)'],
    verifier: pick('IVerifier'),
    extraErrors,
  };
  return cachedAbis;
}

export interface ConnectOptions {
  deployment: Deployment;
  /** http(s) or ws(s) URL, several http(s) URLs comma-separated (failover, node/l1/failover.ts), or a provider */
  rpc: string | Provider;
  /** with several URLs: told when calls move to another one */
  onRpcSwitch?: (from: string, to: string, why: string) => void;
  /** a key (0x hex) or a signer; omit for a read-only client */
  signer?: string | Signer;
  /** WebSocket URL for events (default: derived from an http rpc URL or the ws rpc itself) */
  wsUrl?: string;
  abis?: SidecarAbis;
}

export class SidecarClient {
  readonly sidecar: Contract;
  readonly token: Contract;
  readonly errors: Interface;
  readonly events: Interface;
  readonly sender?: TxSender;
  private ownsProvider: boolean;

  private constructor(readonly deployment: Deployment, readonly provider: Provider, signer: Signer | undefined, private abis: SidecarAbis, private wsUrl: string | undefined, ownsProvider: boolean, shared?: { errors: Interface; sidecar: Contract; token: Contract }) {
    // built once per deployment (~30 ms): withSigner's clients share them (read-only contracts on the same provider)
    this.sidecar = shared?.sidecar ?? new Contract(deployment.sidecar, abis.sidecar, provider);
    this.token = shared?.token ?? new Contract(deployment.token, abis.token, provider);
    this.events = this.sidecar.interface;
    this.errors = shared?.errors ?? errorInterface([abis.sidecar, abis.token, abis.verifier, ...abis.extraErrors], { Phase: PHASES, BlockStatus: BLOCK_STATUSES });
    if (signer) this.sender = new TxSender(signer.provider ? signer : signer.connect(provider), this.errors);
    this.ownsProvider = ownsProvider;
  }

  static connect(o: ConnectOptions): SidecarClient {
    const own = typeof o.rpc === 'string';
    let provider: Provider;
    if (typeof o.rpc !== 'string') provider = o.rpc;
    else if (/^wss?:/.test(o.rpc)) {
      const ws = new WebSocketProvider(o.rpc, Number(o.deployment.chainId));
      // without a listener, a socket error would be an uncaught 'error' event; prefer http(s) for calls
      (ws.websocket as unknown as { onerror: (e: unknown) => void }).onerror = () => {};
      provider = ws;
    } else if (o.rpc.includes(',')) {
      // several http(s) URLs: failover (node/l1/failover.ts)
      const urls = o.rpc.split(',').map((u) => u.trim()).filter(Boolean);
      provider = new FailoverRpcProvider(urls, Number(o.deployment.chainId), { onSwitch: o.onRpcSwitch });
    } else provider = new JsonRpcProvider(o.rpc, Number(o.deployment.chainId), { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
    const signer = typeof o.signer === 'string' ? new Wallet(o.signer, provider) : o.signer;
    const wsUrl = o.wsUrl ?? (typeof o.rpc === 'string' ? o.rpc.split(',')[0].trim().replace(/^http/, 'ws') : undefined);
    return new SidecarClient(o.deployment, provider, signer, o.abis ?? protocolAbis(), wsUrl, own);
  }

  /** Same deployment and provider, another key (cheap: shares ABIs). */
  withSigner(signer: string | Signer): SidecarClient {
    const s = typeof signer === 'string' ? new Wallet(signer, this.provider) : signer;
    return new SidecarClient(this.deployment, this.provider, s, this.abis, this.wsUrl, false, { errors: this.errors, sidecar: this.sidecar, token: this.token });
  }

  async close(): Promise<void> {
    if (!this.ownsProvider) return;
    if (this.provider instanceof WebSocketProvider) closeWebSocket(this.provider);
    else (this.provider as JsonRpcProvider).destroy();
  }

  private requireSender(): TxSender {
    if (!this.sender) throw new L1Error('no-signer', 'this L1 client is read-only (no key configured)');
    return this.sender;
  }

  async address(): Promise<string> { return this.requireSender().address(); }

  /** Forget the cached nonce (after an external tx from this key, or an evm_revert in tests). */
  resetNonce(): void { this.sender?.nonces.reset(); }

  private async view<T>(method: string, ...args: unknown[]): Promise<T> {
    try {
      return (await this.sidecar.getFunction(method).staticCall(...args)) as T;
    } catch (e) {
      throw toL1Error(this.errors, e, { method, stage: 'preflight' });
    }
  }

  // ---------------------------------------------------------------- views

  async blockNumber(): Promise<number> { return this.provider.getBlockNumber(); }

  async config(): Promise<SidecarConfig> {
    const c = plain(await this.view('config'));
    return {
      token: c.token as string, verifier: c.verifier as string, genesisBlock: c.genesisBlock as bigint, genesisRoot: c.genesisRoot as string,
      proposalBlocks: Number(c.proposalBlocks), revealBlocks: Number(c.revealBlocks), commitBlocks: Number(c.commitBlocks),
      provingBlocks: Number(c.provingBlocks), submissionBlocks: Number(c.submissionBlocks), earlyProofs: c.earlyProofs as boolean,
      reorgWindow: Number(c.reorgWindow), minStake: c.minStake as bigint, activationDelay: Number(c.activationDelay), exitDelay: Number(c.exitDelay),
      minProverDeposit: c.minProverDeposit as bigint, blockReward: c.blockReward as bigint, submissionReward: c.submissionReward as bigint,
      proverExclusiveBlocks: Number(c.proverExclusiveBlocks), slashBurnBps: Number(c.slashBurnBps), slashBountyBps: Number(c.slashBountyBps), depositRankCap: c.depositRankCap as bigint, commitmentRegistry: c.commitmentRegistry as string,
    };
  }

  async currentSlot(): Promise<bigint> { return this.view<bigint>('currentSlot'); }

  async currentPhase(): Promise<{ slot: bigint; phase: Phase }> {
    const [slot, phase] = await this.view<[bigint, bigint]>('currentPhase');
    return { slot, phase: PHASES[Number(phase)] };
  }

  async phaseOf(slot: bigint | number): Promise<Phase> { return PHASES[Number(await this.view<bigint>('phaseOf', slot))]; }

  async slotTiming(slot: bigint | number): Promise<SlotTiming> {
    const t = plain(await this.view('slotTiming', slot));
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Number(v)])) as unknown as SlotTiming;
  }

  async slotPeriod(): Promise<number> { return Number(await this.view<bigint>('slotPeriod')); }
  async slotSeed(slot: bigint | number): Promise<string> { return this.view<string>('slotSeed', slot); }
  async rankOf(slot: bigint | number, sequencer: string): Promise<bigint> { return this.view<bigint>('rankOf', slot, sequencer); }
  async scoreOf(slot: bigint | number, sequencer: string, deposit: bigint): Promise<bigint> { return this.view<bigint>('scoreOf', slot, sequencer, deposit); }
  async isEligible(sequencer: string, slot: bigint | number): Promise<boolean> { return this.view<boolean>('isEligible', sequencer, slot); }
  async blockStatus(slot: bigint | number): Promise<BlockStatus> { return BLOCK_STATUSES[Number(await this.view<bigint>('blockStatus', slot))]; }
  async canonicalSequencer(slot: bigint | number): Promise<string | undefined> {
    const a = await this.view<string>('canonicalSequencer', slot);
    return a === ZERO ? undefined : a;
  }

  async getBlock(slot: bigint | number): Promise<BlockView> {
    const b = plain(await this.view('getBlock', slot));
    return {
      status: BLOCK_STATUSES[Number(b.status)], sequencer: b.sequencer as string, parentSlot: b.parentSlot as bigint,
      blockHash: b.blockHash as string, startRoot: b.startRoot as string, endRoot: b.endRoot as string, txsCommitment: b.txsCommitment as string,
      tip: b.tip as bigint, rewardShareBps: Number(b.rewardShareBps), prover: b.prover as string, deposit: b.deposit as bigint, depositor: b.depositor as string,
    };
  }

  /** The slot's canonical (or, during the commitment phase, leading) block, undefined when none. */
  async canonicalBlock(slot: bigint | number): Promise<BlockView | undefined> {
    const b = await this.getBlock(slot);
    return b.status === 'None' ? undefined : b;
  }

  async getProposal(slot: bigint | number, sequencer: string): Promise<ProposalView | undefined> {
    const p = plain(await this.view('getProposal', slot, sequencer));
    if (!p.exists) return undefined;
    return {
      exists: true, commitment: p.commitment as string, blockHash: p.blockHash as string, tip: p.tip as bigint, rewardShareBps: Number(p.rewardShareBps), revealed: p.revealed as boolean,
      endRoot: p.endRoot as string, txsCommitment: p.txsCommitment as string, committed: p.committed as boolean, prover: p.prover as string,
      deposit: p.deposit as bigint, proverFunded: p.proverFunded as boolean,
    };
  }

  /** The public inputs a proof of the pending blocks from..to naming `recipient` must have (4 per block, then the recipient). */
  async publicInputs(from: bigint | number, to: bigint | number, recipient: string): Promise<string[]> {
    return [...(await this.view<string[]>('publicInputs', from, to, recipient))];
  }

  async chainState(): Promise<ChainState> {
    const c = plain(await this.view('chainState'));
    return { lastProvenSlot: c.lastProvenSlot as bigint, headSlot: c.headSlot as bigint, pendingBlocks: c.pendingBlocks as bigint, killedUpTo: c.killedUpTo as bigint };
  }

  async isSlotVoid(slot: bigint | number): Promise<boolean> { return this.view<boolean>('isSlotVoid', slot); }
  async creditOf(account: string): Promise<bigint> { return this.view<bigint>('creditOf', account); }
  async rewardPool(): Promise<bigint> { return this.view<bigint>('rewardPool'); }
  async stakeOf(sequencer: string): Promise<StakeView> {
    const s = plain(await this.view('stakeOf', sequencer));
    return { amount: s.amount as bigint, activeFrom: Number(s.activeFrom), exitableAt: Number(s.exitableAt) };
  }
  async tokenBalance(account: string): Promise<bigint> { return (await this.token.balanceOf(account)) as bigint; }
  async allowance(owner: string): Promise<bigint> { return (await this.token.allowance(owner, this.deployment.sidecar)) as bigint; }

  /** The contract's own txs commitment of `txs` (to cross-check the TS one). */
  async computeTxsCommitment(txs: Uint8Array): Promise<string> { return this.view<string>('computeTxsCommitment', txs); }
  async contractBlockHash(b: L1Block): Promise<string> {
    return this.view<string>('computeBlockHash', b.slot, hexlify32(b.startRoot), hexlify32(b.endRoot), b.txs, b.witnessData);
  }

  /** The contract's proposal commitment (to cross-check proposalCommitment from block.ts). */
  async contractProposalCommitment(blockHash: string, sequencer: string): Promise<string> {
    return this.view<string>('proposalCommitment', blockHash, sequencer);
  }

  /** The contract's EIP-712 digest of a quote (to cross-check quoteDigest from block.ts). */
  async contractQuoteDigest(q: Quote): Promise<string> { return this.view<string>('quoteDigest', q); }

  // ---------------------------------------------------------------- sends

  private send(method: string, args: unknown[], opts?: SendOptions): Promise<Sent> {
    return this.requireSender().send(this.sidecar, method, args, opts);
  }

  /** token.approve(Sidecar, amount) */
  async approve(amount: bigint, opts?: SendOptions): Promise<Sent> {
    return this.requireSender().send(this.token, 'approve', [this.deployment.sidecar, amount], opts);
  }

  /** Approve only when the current allowance is below `amount`; returns undefined when enough. */
  async ensureAllowance(amount: bigint, opts?: SendOptions): Promise<Sent | undefined> {
    const me = await this.address();
    if ((await this.allowance(me)) >= amount) return undefined;
    return this.approve(amount, opts);
  }

  async transferToken(to: string, amount: bigint, opts?: SendOptions): Promise<Sent> {
    return this.requireSender().send(this.token, 'transfer', [to, amount], opts);
  }

  stake(amount: bigint, opts?: SendOptions) { return this.send('stake', [amount], opts); }
  requestExit(opts?: SendOptions) { return this.send('requestExit', [], opts); }
  withdrawStake(opts?: SendOptions) { return this.send('withdrawStake', [], opts); }
  fundRewards(amount: bigint, opts?: SendOptions) { return this.send('fundRewards', [amount], opts); }

  /**
   * propose(slot, proposalCommitment(blockHash(block), signer), tip, shareBps); pass a block or its
   * (plain) block hash: the commitment is computed from this client's signer address.
   */
  async propose(slot: bigint | number, block: L1Block | string, tip: bigint, rewardShareBps: number, opts?: SendOptions) {
    const h = typeof block === 'string' ? block : computeBlockHash(block);
    return this.send('propose', [slot, proposalCommitment(h, await this.address()), tip, rewardShareBps], opts);
  }

  reveal(block: L1Block, opts?: SendOptions) {
    return this.send('reveal', [block.slot, hexlify32(block.startRoot), hexlify32(block.endRoot), block.txs, block.witnessData], opts);
  }

  /** Sequencer-funded deposit (pulled from the caller, who must have approved it). */
  commitProver(slot: bigint | number, prover: string, deposit: bigint, opts?: SendOptions) {
    return this.send('commitProver', [slot, prover, deposit], opts);
  }

  /** With the prover's signed quote (prover-funded when quote.proverFundsDeposit). */
  commitProverWithQuote(slot: bigint | number, quote: Quote, signature: string, opts?: SendOptions) {
    return this.send('commitProverWithQuote', [slot, quote, signature], opts);
  }

  /** Sign an RFQ with this client's key (the sequencer's side: peers check it is the block's revealer). */
  async signRfq(rfq: Rfq): Promise<string> {
    return signRfqWith(this.requireSender().signer, this.deployment.chainId, this.deployment.sidecar, rfq);
  }

  /** Sign a quote with this client's key (the prover's side). */
  async signQuote(quote: Quote): Promise<string> {
    return signQuoteWith(this.requireSender().signer, this.deployment.chainId, this.deployment.sidecar, quote);
  }

  refundProposal(slot: bigint | number, sequencer: string, opts?: SendOptions) { return this.send('refundProposal', [slot, sequencer], opts); }

  /** One block: `submitProofRange(slot, slot, <this sender>, proof)` (the proof must name the sender as its recipient). */
  async submitProof(slot: bigint | number, proof: Uint8Array | string, opts?: SendOptions) {
    return this.submitProofRange(slot, slot, await this.address(), proof, opts);
  }

  /** Prove the pending blocks from..to (from == to: one block) with one proof naming `recipient` (gets the submission rewards). */
  submitProofRange(from: bigint | number, to: bigint | number, recipient: string, proof: Uint8Array | string, opts?: SendOptions) {
    return this.send('submitProofRange', [from, to, recipient, proof], opts);
  }

  slash(slot: bigint | number, opts?: SendOptions) { return this.send('slash', [slot], opts); }

  /** Withdraw the caller's whole credit to `to` (default: the caller). */
  async withdraw(to?: string, opts?: SendOptions) { return this.send('withdraw', [to ?? (await this.address())], opts); }

  /** eth_call a protocol method from this key without sending (returns the decoded result or throws L1Error). */
  simulate(method: string, args: unknown[]): Promise<unknown> { return this.requireSender().simulate(this.sidecar, method, args); }

  // ---------------------------------------------------------------- events

  /**
   * Follow Sidecar events in order from the persisted `cursor` (last handled block; default:
   * the deployment block - 1) over a WebSocket of its own; a dropped socket is reported through
   * onError and reconnected, resuming after the last handled block. Resolves once caught up.
   */
  async follow(o: Omit<FollowOptions, 'provider' | 'contracts' | 'fromBlock'> & { wsUrl?: string; reconnectMs?: number }): Promise<WsEventSubscription> {
    const url = o.wsUrl ?? this.wsUrl;
    if (!url || !/^wss?:/.test(url)) throw new L1Error('rpc', `follow() needs a ws:// or wss:// URL (wsUrl), got ${url ?? 'none'}`);
    const sub = new WsEventSubscription({
      ...o, url, chainId: this.deployment.chainId, fromBlock: this.deployment.deployBlock,
      contracts: [{ address: this.deployment.sidecar, iface: this.events }],
    });
    try {
      await sub.start();
    } catch (e) {
      await sub.stop();
      throw e instanceof L1Error ? e : new L1Error('rpc', (e as Error).message, { cause: e });
    }
    return sub;
  }
}

function hexlify32(x: bigint): string { return '0x' + x.toString(16).padStart(64, '0'); }

export type { ContractEvent as SidecarEvent };
