// L1 catch-up speed of the node's chain sync (node/chain): a real anvil with the real contracts
// (stand-in SignatureVerifier), N slots of M real signed L2 transfers each, all proven; then a
// fresh ChainSync derives the whole chain from L1. Baseline in the same run: the L1 I/O floor
// (eth_getLogs over the range + fetching and ABI-decoding every reveal's calldata, no execution,
// no storage). Also the state figures behind the snapshot choice (node/chain/sync.ts).
//   npm run bench -- chain-sync [--slots 10] [--txs 32] [--accounts 256]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { JsonRpcProvider, MaxUint256, toQuantity, Wallet, HDNodeWallet } from 'ethers';
import { WorldState, generateKeyPair, signTx, type SignedTx } from '../circuits/l2/index.js';
import { ChainSync } from '../node/chain/index.js';
import { DEFAULT_MNEMONIC, startAnvil } from '../node/l1/anvil.js';
import { makeL1Block, SidecarClient } from '../node/l1/client.js';
import { deployProtocol } from '../node/l1/deploy.js';
import { signatureProof } from '../node/l1/signature-verifier.js';
import { jsonCodec, Store } from '../node/storage/index.js';
import { log, printResult, Progress } from './lib/report.js';

const E18 = 10n ** 18n;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { slots: { type: 'string', default: '10' }, txs: { type: 'string', default: '32' }, accounts: { type: 'string', default: '256' } } });
  const slots = Number(values.slots);
  const txsPerBlock = Number(values.txs);
  const accounts = Number(values.accounts);
  const anvil = await startAnvil({ accounts: 3 });
  const dir = mkdtempSync(path.join(tmpdir(), 'sidecar-bench-chain-'));
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true, pollingInterval: 50 });
  try {
    const wallets = [0, 1, 2].map((i) => new Wallet(HDNodeWallet.fromPhrase(DEFAULT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey, provider));
    log(`genesis: ${accounts} accounts`);
    const keys = Array.from({ length: accounts }, (_, i) => generateKeyPair(new Uint8Array([0xbe, i & 0xff, i >> 8])));
    const genesis = keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 1_000_000_000n }));
    const state = await WorldState.create(genesis);
    const deployment = await deployProtocol({
      signer: wallets[0], fundRewards: 1000n * E18, mint: wallets.map((w) => ({ to: w.address, amount: 1_000_000n * E18 })),
      params: { genesisRoot: state.root(), proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 40, submissionBlocks: 4, reorgWindow: 64, proverExclusiveBlocks: 0 },
    });
    const admin = SidecarClient.connect({ deployment, rpc: provider, signer: wallets[0] });
    const seq = admin.withSigner(wallets[1]);
    const prover = admin.withSigner(wallets[2]);
    for (const c of [admin, seq, prover]) await c.approve(MaxUint256);
    await seq.stake(1000n * E18);
    await provider.send('anvil_mine', [toQuantity(2)]);
    const mineTo = async (b: number) => {
      const head = await provider.getBlockNumber();
      if (b - 1 > head) await provider.send('anvil_mine', [toQuantity(b - 1 - head)]);
    };

    // ---- the L1 history: N proven slots
    const progress = new Progress('history', slots);
    const first = (await admin.currentSlot()) + 1n;
    let k = 0;
    let blockBytes = 0;
    for (let i = 0; i < slots; i++) {
      const slot = first + BigInt(i);
      const signed: SignedTx[] = [];
      const start = state.root();
      for (let j = 0; j < txsPerBlock; j++, k++) {
        const from = k % accounts;
        const s = signTx({ from, to: (from + 1) % accounts, amount: 1n + BigInt(j % 5), nonce: state.account(from)!.nonce }, keys[from].secretKey);
        state.applyUnchecked(s);
        signed.push(s);
      }
      const block = makeL1Block(slot, start, state.root(), signed);
      blockBytes = block.txs.length + block.witnessData.length;
      const t = await admin.slotTiming(slot);
      await mineTo(t.proposalStart);
      await seq.propose(slot, block, 1n * E18, 1000);
      await mineTo(t.revealStart);
      await seq.reveal(block);
      await mineTo(t.commitStart);
      await seq.commitProver(slot, await prover.address(), 100n * E18);
      await mineTo(t.commitEnd);
      await prover.submitProof(slot, await signatureProof(wallets[0], deployment.verifier, deployment.chainId, await admin.publicInputs(slot, slot, await prover.address())));
      progress.tick(i + 1);
    }
    const head = await provider.getBlockNumber();

    // ---- baseline: the L1 I/O floor (logs + reveal calldata, decoded; nothing executed or stored)
    let t0 = performance.now();
    const logs = await provider.getLogs({ address: deployment.sidecar, fromBlock: deployment.deployBlock, toBlock: head });
    let decodedTxs = 0;
    for (const l of logs) {
      const ev = admin.events.parseLog(l);
      if (ev?.name !== 'Revealed') continue;
      const tx = await provider.getTransaction(l.transactionHash);
      const call = admin.events.parseTransaction({ data: tx!.data });
      decodedTxs += ((call!.args[3] as string).length - 2) / 64;
    }
    const baselineMs = performance.now() - t0;

    // ---- full catch-up into LevelDB
    const store = await Store.open(path.join(dir, 'db'));
    const reader = SidecarClient.connect({ deployment, rpc: provider });
    t0 = performance.now();
    const sync = await ChainSync.open({ store, client: reader, genesis, finalityDepth: 1_000_000 });
    await sync.start();
    await sync.syncTo(head);
    const syncMs = performance.now() - t0;
    const h = sync.head();
    if (h.proven.slot !== Number(first) + slots - 1 || h.proven.root !== '0x' + state.root().toString(16).padStart(64, '0')) {
      throw new Error(`sync ended at ${JSON.stringify(h)}, expected slot ${Number(first) + slots - 1} root ${state.root()}`);
    }
    const stats = { ...sync.stats };
    await sync.stop();
    await store.close();

    // ---- restart on the same dir: load the snapshots, nothing to apply
    const store2 = await Store.open(path.join(dir, 'db'));
    t0 = performance.now();
    const again = await ChainSync.open({ store: store2, client: reader, genesis });
    await again.start();
    await again.syncTo(head);
    const resumeMs = performance.now() - t0;
    const resumedEvents = again.stats.events;
    await again.stop();
    await store2.close();

    // ---- the state choice: one snapshot write vs one block replay
    const enc = jsonCodec<unknown>();
    t0 = performance.now();
    const snapBytes = enc.encode({ accounts: state.toJSON().accounts }).length;
    const snapshotMs = performance.now() - t0;
    const replayBase = await WorldState.create(genesis);
    const replaySigned: SignedTx[] = [];
    for (let j = 0; j < txsPerBlock; j++) {
      const s = signTx({ from: j % accounts, to: (j + 1) % accounts, amount: 1n, nonce: replayBase.account(j % accounts)!.nonce + Math.floor(j / accounts) }, keys[j % accounts].secretKey);
      replaySigned.push(s);
    }
    t0 = performance.now();
    replayBase.clone().applyBlock(replaySigned, { validate: false });
    const replayMs = performance.now() - t0;
    t0 = performance.now();
    replayBase.clone().applyBlock(replaySigned);
    const validateMs = performance.now() - t0;

    await reader.close();
    const blocks = stats.blocks;
    printResult({
      bench: 'chain-sync', slots, txsPerBlock, accounts, l1Blocks: head - deployment.deployBlock, events: stats.events, logs: logs.length,
      syncMs: Math.round(syncMs), blocksPerSec: +(blocks / (syncMs / 1000)).toFixed(2), txsPerSec: +(stats.txs / (syncMs / 1000)).toFixed(1),
      baselineMs: Math.round(baselineMs), baselineTxs: decodedTxs, syncVsL1Floor: +(syncMs / baselineMs).toFixed(2),
      resumeMs: Math.round(resumeMs), resumedEvents,
      blockCalldataBytes: blockBytes,
      state: { snapshotBytes: snapBytes, snapshotMs: +snapshotMs.toFixed(2), replayBlockMs: +replayMs.toFixed(1), validateBlockMs: +validateMs.toFixed(1) },
    });
  } finally {
    provider.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
