// The proving market over libp2p (SPEC §5) and proof sharing:
//  - a sequencer broadcasts an RFQ for its revealed block, collects EIP-712 signed quotes until
//    the RFQ's deadline block, and picks the cheapest valid one (fee within its tip, deposit at
//    least the minimum and funded by the prover: balance and allowance checked on L1, valid long
//    enough to be committed);
//  - a prover answers RFQs for blocks it can prove, priced from its measured proving time and
//    current load; a quote it could not meet before the deadline is not sent;
//  - final proofs are published on the proofs topic and taken from it into the proof book
//    (checked: the proof id is the block's plan root job, the block is canonical here).
import { MaxUint256, getAddress, getBytes, hexlify } from 'ethers';
import { rollupPlan } from '../../prover/index.js';
import type { BlockProof } from '../../prover/types.js';
import type { ChainNotice } from '../chain/index.js';
import type { Quote } from '../l1/block.js';
import { PROOF_KIND, type P2PNode, type QuoteMsg, type RfqMsg } from '../p2p/index.js';
import type { KnownProof, RoleContext } from './context.js';

const hex = (b: Uint8Array): string => hexlify(b).toLowerCase();

export interface QuoteOptions {
  /** least fee quoted (token base units) */
  baseFee: bigint;
  /** deposit offered at least (the RFQ's deposit if larger) */
  deposit: bigint;
  /** can this prover finish one more block before `deadline` (ProverRole.fits with the measured block time) */
  fits: (deadline: number, head: number, txCount: number) => { ok: boolean; needMs: number; haveMs: number; active: number; proveMs: number };
}

export class Market {
  /** canonical block hash per slot, for the synchronous gossip pre-check of proofs */
  private readonly canonical = new Map<number, string>();
  private readonly quotes = new Map<string, { quote: Quote; signature: string }[]>();
  private quoting?: QuoteOptions;
  private approved = false;
  readonly stats = { rfqsSent: 0, quotesReceived: 0, quotesSent: 0, quotesDeclined: 0, proofsShared: 0, proofsReceived: 0 };

  constructor(private readonly ctx: RoleContext, readonly p2p: P2PNode) {
    // every market node subscribes to every market topic, so that it relays them
    p2p.subscribe('rfq', (r) => { if (this.quoting) void this.onRfq(r).catch((e) => this.ctx.log.warn({ err: e }, 'answering an RFQ failed')); });
    p2p.subscribe('quotes', (q) => this.onQuote(q));
    p2p.subscribe('proofs', (p) => this.onProof(p.kind, hex(p.id), Number(p.slot), hex(p.blockHash), p.proof, p.publicInputs.map(hex)));
  }

  /** Sync view for the proofs topic validator. */
  blockStanding(slot: bigint, blockHash: string): 'canonical' | 'not-canonical' | 'unknown' {
    const h = this.canonical.get(Number(slot));
    if (!h) return 'unknown';
    return h === blockHash.toLowerCase() ? 'canonical' : 'not-canonical';
  }

  async init(): Promise<void> {
    for (const { slot, blockHash } of await this.ctx.chain.pendingChain()) this.canonical.set(slot, blockHash.toLowerCase());
  }

  onNotice(n: ChainNotice): void {
    if (n.type === 'canonical' && n.blockHash) this.canonical.set(n.slot, n.blockHash.toLowerCase());
    if ((n.type === 'slashed' || n.type === 'invalidated') && this.canonical.get(n.slot) === n.blockHash?.toLowerCase()) this.canonical.delete(n.slot);
  }

  // ---------------------------------------------------------------- sequencer side

  /** Broadcast an RFQ, wait until `quoteDeadlineBlock`, return the cheapest acceptable quote. */
  async requestQuote(slot: number, blockHash: string, tip: bigint, quoteDeadlineBlock: number): Promise<{ quote: Quote; signature: string } | undefined> {
    const { client, config, log } = this.ctx;
    const key = `${slot}/${blockHash.toLowerCase()}`;
    this.quotes.set(key, []);
    const rfq: RfqMsg = { slot: BigInt(slot), blockHash: getBytes(blockHash), tip, deposit: config.minProverDeposit, quoteDeadlineBlock: BigInt(quoteDeadlineBlock) };
    const sent = await this.p2p.publish('rfq', rfq);
    this.stats.rfqsSent++;
    log.info({ slot, blockHash, recipients: sent.recipients, quoteDeadlineBlock }, 'RFQ sent');
    const until = Date.now() + 30_000;
    while ((await client.blockNumber()) < quoteDeadlineBlock && Date.now() < until) await new Promise((r) => setTimeout(r, 150));
    await new Promise((r) => setTimeout(r, 300)); // quotes signed at the deadline block are still in flight
    const got = this.quotes.get(key) ?? [];
    this.quotes.delete(key);
    const now = await client.blockNumber();
    const ok: { quote: Quote; signature: string }[] = [];
    for (const q of got) {
      const { quote } = q;
      if (quote.fee > tip || quote.deposit < config.minProverDeposit || !quote.proverFundsDeposit || quote.validUntilBlock < BigInt(now + 1)) continue;
      const [bal, allowance] = await Promise.all([client.tokenBalance(quote.prover), client.allowance(quote.prover)]);
      if (bal < quote.deposit || allowance < quote.deposit) continue; // the deposit pull would fail
      ok.push(q);
    }
    ok.sort((a, b) => (a.quote.fee < b.quote.fee ? -1 : a.quote.fee > b.quote.fee ? 1 : 0));
    log.info({ slot, received: got.length, acceptable: ok.length, best: ok[0] && String(ok[0].quote.fee) }, 'RFQ closed');
    return ok[0];
  }

  private onQuote(q: QuoteMsg): void {
    const key = `${Number(q.slot)}/${hex(q.blockHash)}`;
    const list = this.quotes.get(key);
    if (!list) return;
    this.stats.quotesReceived++;
    list.push({
      quote: { slot: q.slot, blockHash: hex(q.blockHash), prover: getAddress(hexlify(q.prover)), fee: q.fee, deposit: q.deposit, proverFundsDeposit: q.proverFundsDeposit, validUntilBlock: q.validUntilBlock },
      signature: hexlify(q.signature),
    });
  }

  // ---------------------------------------------------------------- prover side

  /** Answer RFQs with signed quotes (prover-funded deposits). */
  enableQuoting(o: QuoteOptions): void {
    this.quoting = o;
  }

  private async onRfq(r: RfqMsg): Promise<void> {
    const o = this.quoting!;
    const { client, chain, log, address } = this.ctx;
    const slot = Number(r.slot);
    const blockHash = hex(r.blockHash);
    const decline = (why: string) => { this.stats.quotesDeclined++; log.info({ slot, blockHash }, `no quote: ${why}`); };
    await chain.syncTo(undefined, 5000).catch(() => undefined);
    const b = await chain.blockByHash(blockHash);
    if (!b || b.slot !== slot) return decline('block not revealed here');
    if (!b.provable) return decline(`block cannot be proven: ${b.reason}`);
    const timing = await client.slotTiming(slot);
    const head = await client.blockNumber();
    const fit = o.fits(timing.deadline, head, b.txCount);
    const active = fit.active;
    const proveMs = fit.proveMs;
    if (!fit.ok) return decline(`cannot prove in time: need ~${Math.round(fit.needMs / 1000)} s (${active} blocks in flight), have ~${Math.round(fit.haveMs / 1000)} s`);
    const deposit = r.deposit > o.deposit ? r.deposit : o.deposit;
    if ((await client.tokenBalance(address)) < deposit) return decline('not enough tokens for the deposit');
    if (!this.approved) { await client.ensureAllowance(MaxUint256 / 2n); this.approved = true; }
    // priced from load: each block already in flight adds the base fee again
    const fee = o.baseFee * BigInt(active + 1);
    if (fee > r.tip) return decline(`fee ${fee} above the offered tip ${r.tip}`);
    const quote: Quote = { slot: r.slot, blockHash, prover: address, fee, deposit, proverFundsDeposit: true, validUntilBlock: BigInt(timing.commitEnd - 1) };
    const signature = await client.signQuote(quote);
    await this.p2p.publish('quotes', { ...quote, blockHash: getBytes(blockHash), prover: getBytes(address), signature: getBytes(signature) });
    this.stats.quotesSent++;
    log.info({ slot, blockHash, fee: String(fee), active, proveMs: Math.round(proveMs) }, 'quote sent');
  }

  // ---------------------------------------------------------------- proofs

  /** Share a final proof this node made. */
  async shareProof(p: BlockProof): Promise<void> {
    const r = await this.p2p.publish('proofs', {
      kind: PROOF_KIND.final, id: getBytes(`0x${p.rootJob.replace(/^0x/, '')}`), slot: p.slot, blockHash: getBytes(p.blockHash), segment: 0,
      proof: p.proof, publicInputs: p.publicInputs.map((x) => getBytes(x)),
    });
    this.stats.proofsShared++;
    this.ctx.log.info({ slot: Number(p.slot), recipients: r.recipients }, 'final proof shared');
  }

  private async onProof(kind: number, id: string, slot: number, blockHash: string, proof: Uint8Array, publicInputs: string[]): Promise<void> {
    if (kind !== PROOF_KIND.final) return;
    const { chain } = this.ctx;
    const txs = await chain.blockTxs(blockHash);
    if (!txs) return;
    const plan = rollupPlan({ blockHash, slot: BigInt(slot), txs });
    const root = plan.jobs.find((j) => j.id === plan.root);
    // job ids are plain hex (no 0x); the gossip id is bytes
    if (!root || `0x${root.id.toLowerCase().replace(/^0x/, '')}` !== id) return; // not this block's final proof
    this.stats.proofsReceived++;
    const known: KnownProof = {
      slot, blockHash, source: 'p2p', knownAt: Date.now(),
      proof: { blockHash, slot: BigInt(slot), rootJob: root.id, circuit: root.circuit, proof: new Uint8Array(proof), publicInputs, proven: 0, reused: 0, elapsedMs: 0 },
    };
    if (this.ctx.proofs.add(known)) await chain.noteProofOnP2p(slot).catch(() => undefined);
  }
}
