// `sidecar simulate` throughput (node/sim/run.ts): actors per second and L1 txs per second of a
// simulation run, against a bare anvil loop in the same process (the same anvil flags): plain ETH
// transfers signed locally, sent 32 at a time and mined in blocks of --batch, and empty blocks
// mined one evm_mine at a time. The ratio says how much of anvil's speed the simulator's actors,
// pre-flights and event reads use.
//   npm run bench -- simulate [--provers 1000] [--sequencers 20] [--slots 100] [--baseline-txs 2000] [--batch 20]
import { parseArgs } from 'node:util';
import { JsonRpcProvider, Wallet, keccak256, toQuantity, toUtf8Bytes } from 'ethers';
import { startAnvil } from '../node/l1/anvil.js';
import { SIM_ANVIL_ARGS, runSimulation } from '../node/sim/run.js';
import { parseScenario } from '../node/sim/scenario.js';
import { log, printResult, Progress } from './lib/report.js';

async function baseline(nTxs: number, batch: number): Promise<{ txsPerSec: number; blocksPerSec: number; emptyBlocksPerSec: number }> {
  const anvil = await startAnvil({ accounts: 2, args: SIM_ANVIL_ARGS });
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0 });
  try {
    await provider.send('evm_setAutomine', [false]);
    const wallets = Array.from({ length: 32 }, (_, i) => new Wallet(keccak256(toUtf8Bytes(`bench-simulate/${i}`)), provider));
    await Promise.all(wallets.map((w) => provider.send('anvil_setBalance', [w.address, toQuantity(10n ** 22n)])));
    const nonces = wallets.map(() => 0);
    const progress = new Progress('bare anvil loop', nTxs);
    const t0 = performance.now();
    let sent = 0;
    let blocks = 0;
    while (sent < nTxs) {
      const n = Math.min(batch, nTxs - sent);
      await Promise.all(Array.from({ length: n }, async (_, k) => {
        const i = (sent + k) % wallets.length;
        const w = wallets[i];
        const raw = await w.signTransaction({ to: wallets[(i + 1) % wallets.length].address, value: 1n, nonce: nonces[i]++, gasLimit: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n, chainId: 31337n, type: 2 });
        await provider.send('eth_sendRawTransaction', [raw]);
      }));
      sent += n;
      await provider.send('evm_mine', []);
      blocks++;
      progress.tick(sent);
    }
    const txMs = performance.now() - t0;
    const t1 = performance.now();
    const empty = 500;
    for (let i = 0; i < empty; i++) await provider.send('evm_mine', []);
    const emptyMs = performance.now() - t1;
    return { txsPerSec: Math.round((nTxs / txMs) * 1000), blocksPerSec: Math.round((blocks / txMs) * 1000), emptyBlocksPerSec: Math.round((empty / emptyMs) * 1000) };
  } finally {
    provider.destroy();
    await anvil.stop();
  }
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    provers: { type: 'string', default: '1000' }, sequencers: { type: 'string', default: '20' }, slots: { type: 'string', default: '100' },
    'baseline-txs': { type: 'string', default: '2000' }, batch: { type: 'string', default: '20' },
  } });
  const provers = Number(values.provers);
  const sequencers = Number(values.sequencers);
  const slots = Number(values.slots);
  const baseTxs = Number(values['baseline-txs']);
  const batch = Number(values.batch);
  if (!(provers >= 1) || !(sequencers >= 1) || !(slots >= 1) || !(baseTxs >= 1) || !(batch >= 1)) throw new Error('--provers, --sequencers, --slots, --baseline-txs, --batch must be >= 1');
  log(`baseline: ${baseTxs} ETH transfers in blocks of ${batch}, then 500 empty blocks`);
  const bare = await baseline(baseTxs, batch);
  log(`baseline: ${bare.txsPerSec} txs/s, ${bare.emptyBlocksPerSec} empty blocks/s`);
  const q = Math.floor(provers / 4);
  const sc = parseScenario({
    name: 'bench', slots,
    protocol: { proposalBlocks: 2, revealBlocks: 2, commitBlocks: 2, provingBlocks: 40, submissionBlocks: 4 },
    sequencers: { count: sequencers, proposersPerSlot: 3, tip: 10, maxTxs: 32 },
    demand: { txPerSlot: 20 },
    provers: [
      { name: 'laptops', count: provers - 3 * q, hardware: 'laptop', baseFee: 0.05 },
      ...(q > 0 ? [
        { name: 'workstations', count: q, hardware: 'workstation', baseFee: 0.04, costPerCoreHour: 0.4 },
        { name: 'servers', count: q, hardware: 'server', baseFee: 0.03, costPerCoreHour: 0.3 },
        { name: 'slow', count: q, hardware: 'slow', baseFee: 0.02, costPerCoreHour: 0.2, withholdRate: 0.02 },
      ] : []),
    ],
  });
  const progress = new Progress('simulate', slots);
  const f = await runSimulation(sc, { progress: (m) => { const s = /^slot (\d+)\//.exec(m); if (s) progress.tick(Number(s[1])); else log(m); } });
  progress.tick(slots);
  const loopSec = (f.wallMs - f.setupMs) / 1000;
  const simTxsPerSec = Math.round((f.l1.txs / (f.wallMs / 1000)) * 10) / 10;
  printResult({
    bench: 'simulate', provers: f.provers, sequencers: f.sequencers, slots, liveness: f.liveness,
    wallSec: f.wallMs / 1000, setupSec: f.setupMs / 1000, loopSec,
    actorsPerSec: Math.round(((f.provers + f.sequencers) * slots) / loopSec),
    slotsPerSec: Math.round((slots / loopSec) * 100) / 100,
    l1TxsPerSec: simTxsPerSec, l1Txs: f.l1.txs, l1Blocks: f.l1.blocks, l1BlocksPerSec: Math.round((f.l1.blocks / (f.wallMs / 1000)) * 10) / 10,
    baseline: bare, txsVsBaseline: Math.round((simTxsPerSec / bare.txsPerSec) * 1000) / 1000,
    rpc: f.l1.rpc,
    projected1000SlotsSec: Math.round(f.setupMs / 1000 + (loopSec * 1000) / slots),
  });
}
