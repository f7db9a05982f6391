// `npm run bench -- gas [--txs N] [--sizes 1,8,32,128]`: gas of every Sidecar protocol call on
// a real anvil with real L2 blocks (signed transfers, SHA-256 txs tree checked on chain).
// The verifier's own cost is taken out of submitProof with a call trace (debug_traceTransaction
// callTracer: gasUsed of the call into the verifier), so `submitExclVerifier` is the protocol's
// cost; the stand-in SignatureVerifier's cost is reported beside it. Baseline in the same run:
// a plain ERC-20 transferFrom (the escrow every tip/deposit pays).
// totalPerBlock = propose + reveal (block of --txs) + commitProver + submitExclVerifier.
import { HDNodeWallet, JsonRpcProvider, MaxUint256, NonceManager, Wallet, toQuantity } from 'ethers';
import { DEFAULT_MNEMONIC, startAnvil } from '../node/l1/anvil.js';
import { SidecarClient, blockHash, type Sent } from '../node/l1/client.js';
import { deployProtocol } from '../node/l1/deploy.js';
import { signatureProof } from '../node/l1/signature-verifier.js';
import { makeL2 } from '../test/helpers/l2.js';
import { Progress, log, printResult } from './lib/report.js';

const E18 = 10n ** 18n;

function parseArgs(args: string[]): { txs: number; sizes: number[]; standIn: boolean } {
  let txs = 32;
  let sizes = [1, 8, 32, 128];
  let standIn = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--txs') txs = Number(args[++i]);
    else if (args[i] === '--sizes') sizes = String(args[++i]).split(',').map(Number);
    else if (args[i] === '--stand-in-aggregation') standIn = true;
    else throw new Error(`unknown option ${args[i]} (use --txs N, --sizes 1,8,32, --stand-in-aggregation)`);
  }
  if (!Number.isInteger(txs) || txs < 1 || txs > 1024) throw new Error('--txs must be 1..1024');
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 1024)) throw new Error('--sizes must be integers 1..1024');
  if (!sizes.includes(1)) sizes.unshift(1);
  if (!sizes.includes(txs)) sizes.push(txs);
  return { txs, sizes: [...new Set(sizes)].sort((a, b) => a - b), standIn };
}

interface CallFrame { to?: string; gasUsed?: string; calls?: CallFrame[] }

export async function main(args: string[]): Promise<void> {
  const { txs, sizes, standIn } = parseArgs(args);
  const steps = 14 + sizes.length + (standIn ? 0 : 1);
  const progress = new Progress('gas', steps);
  let done = 0;
  const step = (note: string) => progress.tick(++done, note);

  const anvil = await startAnvil({ accounts: 8 });
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true, pollingInterval: 50 });
  try {
    const wallets = Array.from({ length: 8 }, (_, i) => new Wallet(HDNodeWallet.fromPhrase(DEFAULT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey, provider));
    const l2 = await makeL2(8);
    const params = {
      // provingBlocks 120: long enough that 4 consecutive blocks are all in their proof window at once (aggregation below)
      proposalBlocks: 8, revealBlocks: 8, commitBlocks: 8, provingBlocks: 120, submissionBlocks: 8, earlyProofs: true,
      reorgWindow: 8, minStake: 1000n * E18, activationDelay: 1, minProverDeposit: 100n * E18,
      blockReward: 10n * E18, submissionReward: 1n * E18, genesisRoot: l2.genesisRoot, proverExclusiveBlocks: 0,
    };
    const deployment = await deployProtocol({
      signer: wallets[0], params, fundRewards: 1000n * E18,
      mint: wallets.map((w) => ({ to: w.address, amount: 1_000_000n * E18 })),
    });
    step('deployed');
    const admin = SidecarClient.connect({ deployment, rpc: provider, signer: wallets[0] });
    const clients = wallets.map((w, i) => (i === 0 ? admin : admin.withSigner(w)));
    const [, seqA, seqB, seqC, proverP, proverQ, submitter] = clients;
    const addr = await Promise.all(clients.map((c) => c.address()));
    for (const c of clients) await c.approve(MaxUint256);
    for (const s of [seqA, seqB, seqC]) await s.stake(params.minStake);
    step('staked');

    // baseline: a plain ERC-20 escrow (transferFrom by a spender with a finite allowance, to a holder)
    const owner = new NonceManager(wallets[7]);
    const tokenAsOwner = admin.token.connect(owner) as typeof admin.token;
    await (await tokenAsOwner.getFunction('approve')(addr[6], 10n * E18)).wait();
    const spender = admin.token.connect(new NonceManager(wallets[6])) as typeof admin.token;
    await (await spender.getFunction('transferFrom')(addr[7], addr[0], E18)).wait(); // addr[0] holds tokens already
    const tf = await (await spender.getFunction('transferFrom')(addr[7], addr[0], E18)).wait();
    const erc20TransferFrom = Number(tf!.gasUsed);

    const mineTo = async (block: number) => {
      const head = await provider.getBlockNumber();
      if (block - 1 > head) await provider.send('anvil_mine', [toQuantity(block - 1 - head)]);
    };
    const at = async (slot: bigint, key: 'proposalStart' | 'revealStart' | 'commitStart' | 'commitEnd' | 'deadline') => mineTo((await admin.slotTiming(slot))[key]);
    const g = (s: Sent) => Number(s.gasUsed);
    const verifierGas = async (s: Sent): Promise<number> => {
      const trace = (await provider.send('debug_traceTransaction', [s.hash, { tracer: 'callTracer' }])) as CallFrame;
      let found = 0;
      const walk = (f: CallFrame) => {
        if (f.to?.toLowerCase() === deployment.verifier.toLowerCase()) found += Number(BigInt(f.gasUsed ?? '0'));
        f.calls?.forEach(walk);
      };
      walk(trace);
      if (found === 0) throw new Error('no call into the verifier in the submitProof trace');
      return found;
    };
    const proofFor = async (slot: bigint) => signatureProof(wallets[0], deployment.verifier, deployment.chainId, await admin.publicInputs(slot, slot, addr[6]));

    // reveal cost by block size (each on its own proposal; chain state restored after each)
    const revealBySize: Record<number, number> = {};
    for (const n of sizes) {
      const snap = await provider.send('evm_snapshot', []);
      const slot = (await admin.currentSlot()) + 1n;
      const b = l2.buildBlock(slot, n, l2.state.clone());
      await at(slot, 'proposalStart');
      await seqC.propose(slot, b, 0n, 0);
      await at(slot, 'revealStart');
      revealBySize[n] = g(await seqC.reveal(b));
      await provider.send('evm_revert', [snap]);
      seqC.resetNonce();
      step(`reveal ${n} txs: ${revealBySize[n]}`);
    }
    const revealPerTx = Math.round((revealBySize[sizes[sizes.length - 1]] - revealBySize[1]) / (sizes[sizes.length - 1] - 1));

    // slot 1: sequencer-funded commitment; slot 2 (pipelined): prover-funded quote; then proofs
    const s1 = (await admin.currentSlot()) + 1n;
    const b1 = l2.buildBlock(s1, txs);
    await at(s1, 'proposalStart');
    const propose = g(await seqA.propose(s1, b1, 2n * E18, 2500));
    step(`propose: ${propose}`);
    await at(s1, 'revealStart');
    const reveal = g(await seqA.reveal(b1));
    await at(s1, 'commitStart');
    const commitProver = g(await seqA.commitProver(s1, addr[4], 100n * E18));
    step(`commitProver: ${commitProver}`);

    const s2 = s1 + 1n;
    const b2 = l2.buildBlock(s2, txs);
    await at(s2, 'proposalStart');
    const proposeSecond = g(await seqB.propose(s2, b2, 2n * E18, 2500));
    await at(s2, 'revealStart');
    await seqB.reveal(b2);
    await at(s2, 'commitStart');
    const t2 = await admin.slotTiming(s2);
    const quote = { slot: s2, blockHash: blockHash(b2), sequencer: addr[2], prover: addr[5], fee: E18, deposit: 100n * E18, proverFundsDeposit: true, validUntilBlock: BigInt(t2.commitEnd - 1) };
    const commitProverWithQuote = g(await seqB.commitProverWithQuote(s2, quote, await proverQ.signQuote(quote)));
    step(`commitProverWithQuote: ${commitProverWithQuote}`);

    await at(s2, 'commitEnd');
    const sub1 = await submitter.submitProof(s1, await proofFor(s1));
    const v1 = await verifierGas(sub1);
    const sub2 = await submitter.submitProof(s2, await proofFor(s2));
    const v2 = await verifierGas(sub2);
    const submitProof = g(sub1);
    const submitExclVerifier = g(sub1) - v1;
    step(`submitProof: ${submitProof} (verifier ${v1})`);

    // withdraw: the first (credit slot cleared, tokens out) for a fresh recipient and a warm one
    const withdraw = g(await proverP.withdraw());
    const withdrawSequencer = g(await seqA.withdraw());
    step(`withdraw: ${withdraw}`);

    // slash: slot 3 pending with slot 4 built on it; slot 3's proof withheld
    const afterS2 = l2.state.clone(); // the chain resumes here after the slash
    const s3 = (await admin.currentSlot()) + 1n;
    for (const [i, slot] of [s3, s3 + 1n].entries()) {
      const seq = i === 0 ? seqA : seqB;
      const b = l2.buildBlock(slot, 4);
      await at(slot, 'proposalStart');
      await seq.propose(slot, b, E18, 0);
      await at(slot, 'revealStart');
      await seq.reveal(b);
      await at(slot, 'commitStart');
      await seq.commitProver(slot, addr[4], 100n * E18 + 1n);
    }
    await at(s3, 'deadline');
    const slash = g(await clients[7].slash(s3));
    step(`slash (1 invalidated block): ${slash}`);

    // refund of a losing proposal (stake/withdrawStake are per sequencer lifetime, reported for completeness)
    const s5 = (await admin.currentSlot()) + 1n;
    const b5a = l2.buildBlock(s5, 1, afterS2.clone());
    const b5b = l2.buildBlock(s5, 2, afterS2.clone());
    await at(s5, 'proposalStart');
    await seqA.propose(s5, b5a, E18, 0);
    await seqB.propose(s5, b5b, E18, 0);
    await at(s5, 'revealStart');
    await seqA.reveal(b5a);
    await at(s5, 'commitEnd');
    const refundProposal = g(await clients[7].refundProposal(s5, addr[2]));
    step(`refundProposal: ${refundProposal}`);
    const stakeGas = g(await clients[7].stake(params.minStake));
    step('stake');

    // aggregation: one submitProofRange over 1, 2 and 4 consecutive blocks (chain state restored after each)
    // with the stand-in verifier (what the protocol itself costs per block: `aggregatedStandIn`), then
    // with the REAL verifiers (`aggregated`: single_1 / range_2 / range_4 behind HonkVerifierRouter)
    const aggregatedStandIn: Record<string, { gas: number; gasPerBlock: number; exclVerifierPerBlock: number }> = {};
    const aggregated = aggregatedStandIn;
    const base = afterS2.clone();
    for (const n of [1, 2, 4]) {
      const snap = await provider.send('evm_snapshot', []);
      const first = (await admin.currentSlot()) + 1n;
      const st = base.clone();
      for (let i = 0; i < n; i++) {
        const slot = first + BigInt(i);
        const b = l2.buildBlock(slot, txs, st);
        await at(slot, 'proposalStart');
        await seqA.propose(slot, b, E18, 0);
        await at(slot, 'revealStart');
        await seqA.reveal(b);
        await at(slot, 'commitStart');
        await seqA.commitProver(slot, addr[4], 100n * E18);
      }
      const last = first + BigInt(n - 1);
      await at(last, 'commitEnd');
      const proof = await signatureProof(wallets[0], deployment.verifier, deployment.chainId, await admin.publicInputs(first, last, addr[6]));
      const sent = await submitter.submitProofRange(first, last, addr[6], proof);
      const v = await verifierGas(sent);
      aggregated[String(n)] = { gas: g(sent), gasPerBlock: Math.round(g(sent) / n), exclVerifierPerBlock: Math.round((g(sent) - v) / n) };
      await provider.send('evm_revert', [snap]);
      for (const c of clients) c.resetNonce();
      step(`submitProofRange over ${n} block(s): ${g(sent)} (${aggregated[String(n)].exclVerifierPerBlock} per block excl. the verifier)`);
    }

    let real: Awaited<ReturnType<typeof realAggregation>> | undefined;
    if (!standIn) {
      real = await realAggregation(provider, wallets, (m) => log(m));
      step(`real range proofs: ${JSON.stringify(real.aggregated)}`);
    }

    const totalPerBlock = propose + reveal + commitProver + submitExclVerifier;
    log(`reveal by size: ${JSON.stringify(revealBySize)}; per tx ≈ ${revealPerTx}`);
    log(`references (prototype on this machine): propose ≈ 164k, commitProver ≈ 80k, ERC-20 escrow transferFrom ≈ 40k (this run: ${erc20TransferFrom})`);
    step('done');
    printResult({
      bench: 'gas',
      txsPerBlock: txs,
      gas: {
        propose, reveal, revealPerTx, commitProver, commitProverWithQuote, submitProof, submitExclVerifier,
        slash, withdraw, totalPerBlock,
      },
      // gas per block of one submitProofRange over n blocks with the REAL verifiers (single_1 for 1 block,
      // range_2, range_4; real proofs, INSECURE dev CRS); --stand-in-aggregation: the stand-in's figures
      aggregated: real ? Object.fromEntries(Object.entries(real.aggregated).map(([n, r]) => [n, r.gasPerBlock])) : Object.fromEntries(Object.entries(aggregatedStandIn).map(([n, r]) => [n, r.gasPerBlock])),
      aggregatedDetail: real?.aggregated,
      aggregatedRatio4: real ? +(real.aggregated['4'].gasPerBlock / real.aggregated['1'].gasPerBlock).toFixed(3) : undefined,
      aggregatedProving: real?.proving,
      // the stand-in verifier (an ECDSA check): what the protocol costs per block besides the verifier
      aggregatedStandIn,
      detail: {
        revealBySize, proposeSecond, verifierGas: v1, verifierGasSecond: v2, submitProofSecond: g(sub2), submitExclVerifierSecond: g(sub2) - v2,
        withdrawSequencer, refundProposal, stake: stakeGas, slashInvalidatedBlocks: 1,
        verifier: 'SignatureVerifier (stand-in: ECDSA over the public inputs)',
      },
      baseline: { erc20TransferFrom },
      ratios: {
        proposeVsEscrow: +(propose / erc20TransferFrom).toFixed(2),
        commitProverVsEscrow: +(commitProver / erc20TransferFrom).toFixed(2),
      },
      references: { propose: 164_000, commitProver: 80_000, erc20TransferFrom: 40_000 },
    });
  } finally {
    provider.destroy();
    await anvil.stop();
  }
}

/**
 * One submitProofRange over 1, 2 and 4 consecutive one-tx blocks on a second Sidecar whose
 * IVerifier is HonkVerifierRouter over the generated single_1, range_2 and range_4 verifiers,
 * with real proofs (INSECURE dev CRS; prover/range.ts): the 4 blocks are proposed once, then each
 * size is submitted from an EVM snapshot of that state. Proofs are kept in
 * .build/bench/gas-range-store (job ids are hashes of their inputs: a rerun with the same blocks
 * reuses them).
 */
async function realAggregation(provider: JsonRpcProvider, wallets: Wallet[], say: (m: string) => void) {
  const { Prover } = await import('../prover/index.js');
  const { deployHonkRouter } = await import('../prover/l1-verify.js');
  const { routerProof } = await import('../circuits/backend/verifier.js');
  const { Store } = await import('../node/storage/index.js');
  const { REPO_ROOT } = await import('../circuits/build.js');
  const path = await import('node:path');
  const l2 = await makeL2(2);
  const router = await deployHonkRouter(new NonceManager(wallets[0]), ['single_1', 'range_2', 'range_4'], { crs: { dev: true }, log: say });
  const params = {
    proposalBlocks: 4, revealBlocks: 4, commitBlocks: 4, provingBlocks: 400, submissionBlocks: 8, earlyProofs: true,
    reorgWindow: 8, minStake: 1000n * E18, activationDelay: 1, minProverDeposit: 100n * E18,
    blockReward: 10n * E18, submissionReward: 1n * E18, genesisRoot: l2.genesisRoot, proverExclusiveBlocks: 0,
  };
  const deployment = await deployProtocol({
    signer: wallets[0], params, fundRewards: 1000n * E18, verifier: { kind: 'address', address: router.address },
    mint: wallets.map((w) => ({ to: w.address, amount: 1_000_000n * E18 })),
  });
  const admin = SidecarClient.connect({ deployment, rpc: provider, signer: wallets[0] });
  const clients = wallets.map((w, i) => (i === 0 ? admin : admin.withSigner(w)));
  for (const c of clients) await c.approve(MaxUint256);
  const [, seq, , , prover, , lander] = clients;
  const R = (await lander.address()).toLowerCase();
  await seq.stake(params.minStake);
  const mineTo = async (block: number) => {
    const head = await provider.getBlockNumber();
    if (block - 1 > head) await provider.send('anvil_mine', [toQuantity(block - 1 - head)]);
  };
  const first = (await admin.currentSlot()) + 2n;
  const blocks = [];
  for (let i = 0; i < 4; i++) {
    const slot = first + BigInt(i);
    const pre = l2.state.clone();
    const b = l2.buildBlock(slot, 1);
    await mineTo((await admin.slotTiming(slot)).proposalStart);
    await seq.propose(slot, b, E18, 0);
    await mineTo((await admin.slotTiming(slot)).revealStart);
    await seq.reveal(b);
    await mineTo((await admin.slotTiming(slot)).commitStart);
    await seq.commitProver(slot, await prover.address(), 100n * E18);
    blocks.push({ blockHash: blockHash(b), slot, preState: pre, txs: b.signed, recipient: R });
  }
  await mineTo((await admin.slotTiming(first + 3n)).commitEnd + 1);
  const store = await Store.open(path.join(REPO_ROOT, '.build', 'bench', 'gas-range-store'));
  const pool = await Prover.start({ crs: { dev: true }, store });
  const proving: Record<string, number> = {};
  let proofs;
  try {
    let t = Date.now();
    const single = await pool.proveBlock(blocks[0]);
    await Promise.all(blocks.slice(1).map((b) => pool.proveBlock(b)));
    proving.singles = Date.now() - t;
    t = Date.now();
    const r2 = await pool.proveRange(blocks.slice(0, 2), R);
    proving.range2 = Date.now() - t;
    t = Date.now();
    const r4 = await pool.proveRange(blocks, R);
    proving.range4 = Date.now() - t;
    say(`real proofs (ms, reused from .build/bench/gas-range-store when present): ${JSON.stringify(proving)}`);
    proofs = { 1: single, 2: r2, 4: r4 };
  } finally {
    await pool.close();
    await store.close();
  }
  const aggregated: Record<string, { gas: number; gasPerBlock: number; circuit: string }> = {};
  for (const n of [1, 2, 4] as const) {
    const snap = await provider.send('evm_snapshot', []);
    const p = proofs[n];
    const sent = await lander.submitProofRange(first, first + BigInt(n - 1), R, routerProof({ circuit: p.circuit, proof: p.proof, flavour: 'l1' }));
    aggregated[String(n)] = { gas: Number(sent.gasUsed), gasPerBlock: Math.round(Number(sent.gasUsed) / n), circuit: p.circuit };
    if ((await admin.blockStatus(first + BigInt(n - 1))) !== 'Proven') throw new Error(`the ${n}-block range did not settle`);
    await provider.send('evm_revert', [snap]);
    for (const c of clients) c.resetNonce();
  }
  await admin.close();
  return { aggregated, proving };
}
