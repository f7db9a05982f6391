// The submitter's latency: from "final proof known" (put in the node's proof book, as the prover
// or the gossip path does) to "tx sent" (the node's eth_sendRawTransaction answered) and to
// "mined", against a same-run baseline: a bare ethers `contract.submitProofRange(...)` of the same kind
// of proof from another key (ethers' own estimate, nonce and fee look-ups included). The ratio is
// the submitter role's overhead: its tick, the L1 pre-flight (block status, slot timing, chain
// state), the skip-if-proven check, the fee look-up for the profit log, and the sender's estimate.
//
// Real anvil (1 s blocks while measuring) and the real contracts with the stand-in
// SignatureVerifier: this measures the submitter, not proving. N empty blocks are proposed,
// revealed and committed first; the proofs (deployer signatures over each slot's L1 public inputs)
// are then handed in one at a time, alternating node and baseline, each waiting for the previous to
// land (a block's parent must be proven first). Then:
//  - already proven: the node gets the proofs of the baseline's (proven) blocks: it must send nothing;
//  - races: two submitter nodes get the same proof at once: exactly one BlockProven, and how the
//    loser ends (skipped before sending, or its tx sent and reverted on chain).
//   npm run bench -- submitter [--proofs 20] [--races 4] [--block-time 1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Contract, HDNodeWallet, JsonRpcProvider, MaxUint256, Wallet, getBytes, keccak256, toQuantity, type JsonRpcPayload, type JsonRpcResult } from 'ethers';
import { pino } from 'pino';
import { WorldState, generateKeyPair } from '../circuits/l2/index.js';
import { DEFAULT_MNEMONIC, startAnvil } from '../node/l1/anvil.js';
import { blockHash } from '../node/l1/block.js';
import { makeL1Block, SidecarClient } from '../node/l1/client.js';
import { deployProtocol } from '../node/l1/deploy.js';
import { signatureProof } from '../node/l1/signature-verifier.js';
import { SidecarNode } from '../node/node.js';
import type { NodeEvent } from '../node/roles/context.js';
import { log, printResult, Progress } from './lib/report.js';

const E18 = 10n ** 18n;

/** A JSON-RPC provider that notes when each raw transaction was accepted by the node (tx hash → ms). */
class TimedProvider extends JsonRpcProvider {
  readonly sentAt = new Map<string, number>();
  /** hashes in send order */
  readonly hashes: string[] = [];
  rawSends = 0;
  constructor(url: string) {
    super(url, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  }
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const out = await super._send(payload);
    const now = Date.now();
    for (const p of Array.isArray(payload) ? payload : [payload]) {
      if (p.method !== 'eth_sendRawTransaction') continue;
      this.rawSends++;
      const h = keccak256((p.params as string[])[0]).toLowerCase();
      this.sentAt.set(h, now);
      this.hashes.push(h);
    }
    return out;
  }
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

type Outcome = (NodeEvent & { at: number }) | { type: 'silent'; at: number };

/**
 * The submitter's outcome for `slot`: its 'submitted' or 'submit-skipped' event, or 'silent' when
 * the node's chain saw the block proven (by someone else) and no event followed within `graceMs`
 * (the submitter drops the proof of a block no longer pending without a word).
 */
function outcome(node: SidecarNode, slot: number, timeoutMs: number, graceMs = 3000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    const done = (f: () => void) => { for (const t of timers) clearTimeout(t); node.off('event', on); node.off('chain', onChain); f(); };
    timers.push(setTimeout(() => done(() => reject(new Error(`slot ${slot}: no submitter outcome within ${timeoutMs} ms`))), timeoutMs));
    const on = (e: NodeEvent & { at: number }) => {
      if ((e.type === 'submitted' || e.type === 'submit-skipped') && e.slot === slot) done(() => resolve(e));
    };
    const onChain = (c: { type: string; slot?: number }) => {
      if (c.type === 'proven' && c.slot === slot) timers.push(setTimeout(() => done(() => resolve({ type: 'silent', at: Date.now() })), graceMs));
    };
    node.on('event', on);
    node.on('chain', onChain);
  });
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { proofs: { type: 'string', default: '20' }, races: { type: 'string', default: '4' }, 'block-time': { type: 'string', default: '1' } } });
  const n = Number(values.proofs);
  const races = Number(values.races);
  const blockTime = Number(values['block-time']);
  if (!(n >= 2) || !(races >= 0) || !(blockTime >= 1)) throw new Error('--proofs >= 2, --races >= 0, --block-time >= 1');
  const anvil = await startAnvil({ accounts: 6 });
  const dir = mkdtempSync(path.join(tmpdir(), 'sidecar-bench-submitter-'));
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  const nodes: SidecarNode[] = [];
  const clients: SidecarClient[] = [];
  try {
    const w = [0, 1, 2, 3, 4].map((i) => new Wallet(HDNodeWallet.fromPhrase(DEFAULT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey, provider));
    const [deployer, seqW, sub1W, sub2W, baseW] = w;
    const genesis = [0, 1].map((index) => ({ index, publicKey: generateKeyPair(new Uint8Array([0x5b, index])).publicKey, balance: 1000n }));
    const root = (await WorldState.create(genesis)).root();
    const total = n + Math.ceil(n / 2) + races; // measured + already-proven checks reuse the baseline's + races
    const deployment = await deployProtocol({
      signer: deployer, fundRewards: 10_000n * E18, mint: [{ to: seqW.address, amount: 1_000_000n * E18 }],
      params: { genesisRoot: root, proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 20 * total + 200, submissionBlocks: 10, reorgWindow: total + 8, activationDelay: 1, proverExclusiveBlocks: 0 },
    });
    const seq = SidecarClient.connect({ deployment, rpc: provider, signer: seqW });
    clients.push(seq);
    await seq.approve(MaxUint256);
    await seq.stake(deployment.config.minStake);
    const mineTo = async (b: number) => {
      const head = await provider.getBlockNumber();
      if (b - 1 > head) await provider.send('anvil_mine', [toQuantity(b - 1 - head)]);
    };

    // ---- N + races committed empty blocks, with their proofs (signatures over the L1 public inputs)
    log(`setup: ${n + races} committed blocks`);
    const setup = new Progress('blocks', n + races);
    const blocks: { slot: number; blockHash: string; proof: Uint8Array; inputs: string[] }[] = [];
    let slot = Number(await seq.currentSlot()) + 2;
    for (let i = 0; i < n + races; i++, slot++) {
      const block = makeL1Block(slot, root, root, []);
      const t = await seq.slotTiming(slot);
      await mineTo(t.proposalStart);
      await seq.propose(slot, block, E18, 2000);
      await mineTo(t.revealStart);
      await seq.reveal(block);
      await mineTo(t.commitStart);
      await seq.commitProver(slot, seqW.address, deployment.config.minProverDeposit);
      // the proof names who is to land it: submitter-1 (node turns), the baseline's key, or (races) the
      // prover, which both submitter nodes then land as a rescue (they are started to rescue at once)
      const recipient = i >= n ? seqW.address : i % 2 === 0 ? sub1W.address : baseW.address;
      const inputs = await seq.publicInputs(slot, slot, recipient);
      blocks.push({ slot, blockHash: blockHash(block).toLowerCase(), proof: getBytes(await signatureProof(deployer, deployment.verifier, deployment.chainId, inputs)), inputs });
      setup.tick(i + 1);
    }
    await mineTo((await seq.slotTiming(slot - 1)).commitEnd + 1);

    // ---- the submitter nodes (own providers, so their raw sends are timed and counted apart)
    const logger = pino({ level: process.env.SIDECAR_LOG_LEVEL ?? 'error' }, pino.destination(2));
    const start = async (key: Wallet, name: string) => {
      const p = new TimedProvider(anvil.rpcUrl);
      const client = SidecarClient.connect({ deployment, rpc: p, signer: key.privateKey, wsUrl: anvil.wsUrl });
      clients.push(client);
      const node = await SidecarNode.start({
        dataDir: path.join(dir, name), roles: ['submitter'], client, genesis, wsUrl: anvil.wsUrl, confirmations: 1,
        // like the Honk router encoder: no L1 call (the proof bytes are what the verifier takes)
        encodeProof: async (_slot, bp) => ({ proof: bp.proof }),
        submitter: { rescueBlocks: Number.MAX_SAFE_INTEGER },
        log: logger.child({ node: name }),
      });
      nodes.push(node);
      return { node, p };
    };
    const s1 = await start(sub1W, 'submitter-1');
    const s2 = await start(sub2W, 'submitter-2');
    const head = await provider.getBlockNumber();
    for (const s of [s1, s2]) await s.node.chain.syncTo(head, 60_000);
    const feed = (node: SidecarNode, b: (typeof blocks)[number]) => {
      const knownAt = Date.now();
      node.proofs.add({
        slot: b.slot, blockHash: b.blockHash, source: 'p2p', knownAt,
        proof: { blockHash: b.blockHash, slot: BigInt(b.slot), rootJob: '00', circuit: 'single_1', proof: b.proof, publicInputs: b.inputs, proven: 0, reused: 0, elapsedMs: 0 },
      });
      return knownAt;
    };

    // ---- measured: alternate node and baseline, each landing before the next (parent proven first)
    await provider.send('evm_setAutomine', [false]);
    await provider.send('evm_setIntervalMining', [blockTime]);
    const baseP = new TimedProvider(anvil.rpcUrl);
    const bare = new Contract(deployment.sidecar, seq.sidecar.interface, baseW.connect(baseP));
    const node = { sent: [] as number[], mined: [] as number[], sendStart: [] as number[] };
    const base = { sent: [] as number[], mined: [] as number[] };
    const baselineBlocks: (typeof blocks)[number][] = [];
    const progress = new Progress('proofs', n);
    for (let i = 0; i < n; i++) {
      const b = blocks[i];
      if (i % 2 === 0) {
        const wait = outcome(s1.node, b.slot, 60_000);
        const knownAt = feed(s1.node, b);
        const e = await wait;
        if (e.type !== 'submitted') throw new Error(`slot ${b.slot}: the submitter did not submit: ${JSON.stringify(e)}`);
        node.sent.push(s1.p.sentAt.get(e.txHash.toLowerCase())! - knownAt);
        node.mined.push(e.at - knownAt);
        node.sendStart.push(s1.node.submitter!.knownToSentMs.get(b.slot)!);
      } else {
        const t0 = Date.now();
        const tx = await bare.submitProofRange(b.slot, b.slot, baseW.address, b.proof);
        base.sent.push(baseP.sentAt.get(tx.hash.toLowerCase())! - t0);
        const r = await tx.wait();
        if (r?.status !== 1) throw new Error(`baseline: slot ${b.slot} reverted`);
        base.mined.push(Date.now() - t0);
        baselineBlocks.push(b);
      }
      progress.tick(i + 1, `node p50 ${pct(node.sent, 50)} ms, bare ${pct(base.sent, 50)} ms`);
    }

    // ---- already proven (by the baseline): the node must send nothing
    const before = s1.p.rawSends;
    for (const b of baselineBlocks) feed(s1.node, b);
    await new Promise((r) => setTimeout(r, 3 * blockTime * 1000)); // a few L1 heads: submitter ticks
    const alreadyProvenSent = s1.p.rawSends - before;

    // ---- races: both submitter nodes get the same proof at once
    const raceOut: { slot: number; proven: number; winner?: string; loser: string }[] = [];
    const gas = { won: [] as number[], lostReverted: [] as number[] };
    const gasOf = async (hs: string[]) => Promise.all(hs.map(async (h) => Number((await provider.getTransactionReceipt(h))?.gasUsed ?? 0n)));
    for (let i = 0; i < races; i++) {
      const b = blocks[n + i];
      const sends = [s1.p.rawSends, s2.p.rawSends];
      const from = [s1.p.hashes.length, s2.p.hashes.length];
      const waits = [outcome(s1.node, b.slot, 60_000), outcome(s2.node, b.slot, 60_000)];
      feed(s1.node, b);
      feed(s2.node, b);
      const [e1, e2] = await Promise.all(waits);
      const events = await seq.sidecar.queryFilter(seq.sidecar.filters.BlockProven(b.slot), deployment.deployBlock);
      const sent = [s1.p.rawSends - sends[0], s2.p.rawSends - sends[1]];
      const [win, lose, loseSent] = e1.type === 'submitted' ? ['1', e2, sent[1]] : e2.type === 'submitted' ? ['2', e1, sent[0]] : [undefined, e1, sent[0]];
      const why = lose.type === 'submit-skipped' ? lose.reason.split('\n')[0].slice(0, 100) : lose.type === 'silent' ? 'saw the block proven, dropped the proof' : lose.type;
      const loser = loseSent === 0 ? `skipped before sending: ${why}` : `sent ${loseSent} tx, reverted on chain: ${why}`;
      raceOut.push({ slot: b.slot, proven: events.length, winner: win, loser });
      const [h1, h2] = [s1.p.hashes.slice(from[0]), s2.p.hashes.slice(from[1])];
      if (win) {
        gas.won.push(...(await gasOf(win === '1' ? h1 : h2)));
        gas.lostReverted.push(...(await gasOf(win === '1' ? h2 : h1)));
      }
      log(`race slot ${b.slot}: ${events.length} BlockProven, winner submitter-${win ?? '?'}, loser ${loser}`);
    }

    const r = (x: number) => Math.round(x * 10) / 10;
    printResult({
      proofs: n, nodeProofs: node.sent.length, baselineProofs: base.sent.length, blockTimeS: blockTime,
      p50Ms: pct(node.sent, 50), p99Ms: pct(node.sent, 99), p50MinedMs: pct(node.mined, 50), p99MinedMs: pct(node.mined, 99),
      p50ToSendStartMs: pct(node.sendStart, 50),
      baselineP50Ms: pct(base.sent, 50), baselineP99Ms: pct(base.sent, 99), baselineP50MinedMs: pct(base.mined, 50),
      ratioP50: r(pct(node.sent, 50) / pct(base.sent, 50)), ratioP50Mined: r(pct(node.mined, 50) / pct(base.mined, 50)),
      alreadyProvenFed: baselineBlocks.length, skippedAlreadyProven: baselineBlocks.length - alreadyProvenSent,
      races: raceOut.length, racesLandedOnce: raceOut.filter((x) => x.proven === 1).length,
      racesLoserSkipped: raceOut.filter((x) => x.loser.startsWith('skipped')).length,
      racesLoserReverted: raceOut.filter((x) => x.loser.startsWith('sent')).length,
      raceWinnerGasP50: pct(gas.won, 50), raceLoserRevertGasP50: pct(gas.lostReverted, 50),
    });
  } finally {
    for (const x of nodes) await x.stop().catch(() => undefined);
    for (const c of clients) await c.close().catch(() => undefined);
    provider.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
