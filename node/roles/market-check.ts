// What makes an RFQ or a quote from the network worth relaying and acting on (issue 12): it is
// what it claims to be, as L1 says.
//  - An RFQ names a block revealed on L1 (slot and block hash), is signed (EIP-712 `Rfq`,
//    node/l1 `signRfq`) by the sequencer that revealed it, and its terms are what the contract
//    allows: the tip is the one that sequencer escrowed in `propose`, the deposit at least the
//    contract's minimum, the quote deadline before the commitment phase ends.
//  - A quote names a revealed block of its slot, offers at least the minimum deposit, and its
//    prover can fund that deposit: token balance and allowance to the Sidecar contract, read
//    from L1 and cached per prover (a few seconds, at most `cacheSize` provers).
// Cheap checks first; an L1 read or a signature last. Both run behind the topic's
// ValidationGate in node/p2p (per-peer budgets), so a flood of them costs a bounded amount.
// Codes (the closed set below) are counted in `sidecar_gossip_messages_total{code}`.
import { getAddress } from 'ethers';
import type { ChainSync, RevealedBlock } from '../chain/index.js';
import { rfqSigner, type Rfq } from '../l1/block.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The signed terms of an RFQ message (what its EIP-712 signature covers); throws on a peer or address that is not UTF-8. */
export function rfqTerms(r: RfqMsg): Rfq {
  return {
    slot: r.slot, blockHash: hex(r.blockHash), tip: r.tip, deposit: r.deposit, quoteDeadlineBlock: r.quoteDeadlineBlock,
    peer: utf8.decode(r.peer), addrs: r.addrs.map((a) => utf8.decode(a)),
  };
}
import type { SidecarClient, SidecarConfig, SlotTiming } from '../l1/client.js';
import { ACCEPT, hex, ignore, reject, type QuoteMsg, type RfqMsg, type Verdict } from '../p2p/index.js';

/** Every code the market's RFQ and quote checks return. */
export const MARKET_CODES = {
  /** Ignore: the block is not revealed on L1 as far as this node knows (after waiting for its chain to catch up) */
  unknownBlock: 'unknown-block',
  /** Reject: the slot is not the revealed block's slot */
  wrongSlot: 'wrong-slot',
  /** Reject: the RFQ is not signed by the sequencer that revealed the block (or not a valid signature) */
  badSignature: 'bad-signature',
  /** Reject: tip, deposit or deadline outside what L1 allows for this block */
  wrongTerms: 'wrong-terms',
  /** Ignore: the quote's prover cannot fund the deposit it offers (balance or allowance), or does not fund it */
  unfundedProver: 'unfunded-prover',
  /** Ignore: an L1 read failed (nobody's fault) */
  l1Unavailable: 'l1-unavailable',
} as const;
export type MarketCode = (typeof MARKET_CODES)[keyof typeof MARKET_CODES];

export interface MarketCheckOptions {
  /** how long a prover's balance and allowance are trusted (default 4 s) */
  fundingTtlMs?: number;
  /** provers whose funding is cached at most (default 1024) */
  cacheSize?: number;
  /** how long a check waits for this node's chain to catch up with L1 for an unknown block (default 3 s) */
  syncWaitMs?: number;
}

interface Funding { at: number; balance: bigint; allowance: bigint }

export class MarketCheck {
  private readonly timings = new Map<number, Promise<SlotTiming>>();
  private readonly funding = new Map<string, Promise<Funding>>();
  private readonly o: Required<MarketCheckOptions>;

  constructor(private readonly chain: ChainSync, private readonly client: SidecarClient, private readonly config: SidecarConfig, opts: MarketCheckOptions = {}) {
    this.o = { fundingTtlMs: 4000, cacheSize: 1024, syncWaitMs: 3000, ...opts };
  }

  /** An RFQ from the network: Accept only when it matches L1 and its block's revealer signed it. */
  async checkRfq(r: RfqMsg): Promise<Verdict> {
    const slot = Number(r.slot);
    const hash = hex(r.blockHash);
    const b = await this.revealed(hash);
    if (!b) return ignore(MARKET_CODES.unknownBlock, `block ${hash} is not revealed on L1 (as far as this node knows)`);
    if (b.slot !== slot) return reject(MARKET_CODES.wrongSlot, `block ${hash} is of slot ${b.slot}, the RFQ says ${slot}`);
    const p = await this.chain.proposal(slot, b.sequencer);
    if (!p || p.tip !== r.tip) return reject(MARKET_CODES.wrongTerms, `tip ${r.tip}, the revealer escrowed ${p?.tip ?? 'nothing'}`);
    if (r.deposit < this.config.minProverDeposit) return reject(MARKET_CODES.wrongTerms, `deposit ${r.deposit} below the minimum ${this.config.minProverDeposit}`);
    let t: SlotTiming;
    try {
      t = await this.timing(slot);
    } catch (e) {
      return ignore(MARKET_CODES.l1Unavailable, `reading slot ${slot}'s timing: ${(e as Error).message.slice(0, 120)}`);
    }
    if (r.quoteDeadlineBlock >= BigInt(t.commitEnd)) return reject(MARKET_CODES.wrongTerms, `quote deadline ${r.quoteDeadlineBlock} not before the commitment phase's end ${t.commitEnd}`);
    let signer: string;
    try {
      const d = this.client.deployment;
      signer = rfqSigner(d.chainId, d.sidecar, rfqTerms(r), hex(r.signature));
    } catch (e) {
      return reject(MARKET_CODES.badSignature, `RFQ signature: ${(e as Error).message.slice(0, 120)}`);
    }
    if (signer.toLowerCase() !== b.sequencer.toLowerCase()) return reject(MARKET_CODES.badSignature, `RFQ signed by ${signer}, block ${hash} was revealed by ${b.sequencer}`);
    return ACCEPT;
  }

  /** A quote from the network (its signature is checked by p2p): a revealed block, and a prover funded for the deposit. */
  async checkQuote(q: QuoteMsg): Promise<Verdict> {
    const slot = Number(q.slot);
    const hash = hex(q.blockHash);
    if (!q.proverFundsDeposit) return ignore(MARKET_CODES.unfundedProver, 'the prover does not fund the deposit it offers');
    if (q.deposit < this.config.minProverDeposit) return reject(MARKET_CODES.wrongTerms, `deposit ${q.deposit} below the minimum ${this.config.minProverDeposit}`);
    const b = await this.revealed(hash);
    if (!b) return ignore(MARKET_CODES.unknownBlock, `block ${hash} is not revealed on L1 (as far as this node knows)`);
    if (b.slot !== slot) return reject(MARKET_CODES.wrongSlot, `block ${hash} is of slot ${b.slot}, the quote says ${slot}`);
    let f: Funding;
    try {
      f = await this.fundingOf(hex(q.prover));
    } catch (e) {
      return ignore(MARKET_CODES.l1Unavailable, `reading the prover's funding: ${(e as Error).message.slice(0, 120)}`);
    }
    if (f.balance < q.deposit || f.allowance < q.deposit) {
      return ignore(MARKET_CODES.unfundedProver, `prover ${hex(q.prover)} has ${f.balance} tokens and an allowance of ${f.allowance}, the deposit is ${q.deposit}`);
    }
    // a quote names the one sequencer that may commit with it (Ignore, not Reject: two sequencers can hold the same block hash)
    if (hex(q.sequencer).toLowerCase() !== b.sequencer.toLowerCase()) {
      return ignore(MARKET_CODES.wrongTerms, `the quote names sequencer ${hex(q.sequencer)}, block ${hash} was revealed by ${b.sequencer}`);
    }
    return ACCEPT;
  }

  /** The revealed block by hash; when unknown, waits (bounded) for this node's chain to reach the L1 head once. */
  private async revealed(hash: string): Promise<RevealedBlock | undefined> {
    const b = await this.chain.blockByHash(hash);
    if (b) return b;
    await this.chain.syncTo(undefined, this.o.syncWaitMs).catch(() => undefined);
    return this.chain.blockByHash(hash);
  }

  private timing(slot: number): Promise<SlotTiming> {
    let p = this.timings.get(slot);
    if (!p) {
      p = this.client.slotTiming(slot);
      this.timings.set(slot, p);
      p.catch(() => this.timings.delete(slot));
      // only revealed slots get here, a few at a time
      if (this.timings.size > 256) this.timings.delete(this.timings.keys().next().value!);
    }
    return p;
  }

  /** Balance and allowance of `prover`, from L1, cached `fundingTtlMs` (a failed read is not cached). */
  private fundingOf(prover: string): Promise<Funding> {
    const key = prover.toLowerCase();
    const now = Date.now();
    const cached = this.funding.get(key);
    if (cached) {
      const fresh = cached.then((f) => now - f.at < this.o.fundingTtlMs, () => false);
      return fresh.then((ok) => (ok ? cached : this.readFunding(key)));
    }
    return this.readFunding(key);
  }

  private readFunding(key: string): Promise<Funding> {
    const addr = getAddress(key);
    const p = Promise.all([this.client.tokenBalance(addr), this.client.allowance(addr)]).then(([balance, allowance]) => ({ at: Date.now(), balance, allowance }));
    this.funding.delete(key);
    this.funding.set(key, p);
    p.catch(() => { if (this.funding.get(key) === p) this.funding.delete(key); });
    while (this.funding.size > this.o.cacheSize) this.funding.delete(this.funding.keys().next().value!);
    return p;
  }
}
