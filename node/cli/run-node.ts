// `sidecar node`: a node with the roles of its config (node/config.ts: flags > env > file >
// defaults). Needs a deployment file (`sidecar deploy` / the devnet writes one) and the L2
// genesis accounts (JSON: {"accounts": [{index, x, y, balance}]}, default <dataDir>/genesis.json).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { fromHex, type GenesisAccount } from '../../circuits/l2/index.js';
import { loadConfig, type Config } from '../config.js';
import { SidecarClient } from '../l1/client.js';
import { redactUrl } from '../l1/failover.js';
import { loadDeployment, type Deployment } from '../l1/deploy.js';
import { signatureProof } from '../l1/signature-verifier.js';
import { routerProof } from '../../circuits/backend/verifier.js';
import { createLogger } from '../log.js';
import { SidecarNode } from '../node.js';
import type { L1ProofEncoder } from '../roles/submitter.js';
import { proofRecipient } from '../roles/proof-check.js';
import { runAgent } from './agent.js';
import { keysPath, loadOrCreateKeys, resolveL1Key } from './keys.js';
import { describe } from './devnet.js';
import { DEFAULT_COST_MODEL, type CostModel } from '../../circuits/plan.js';
import { readBenchResult } from '../../bench/suite/schema.js';
import { costModelFromBench, withBenchTimes, type BenchTimes } from '../../bench/suite/cost-model.js';

export class NodeSetupError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export function readGenesis(file: string): GenesisAccount[] {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NodeSetupError(`genesis file ${file}: ${code === 'ENOENT' ? 'not found (pass --genesis <file>)' : (e as Error).message}`);
  }
  const accts = (j as { accounts?: unknown }).accounts;
  if (!Array.isArray(accts)) throw new NodeSetupError(`genesis file ${file}: expected {"accounts": [...]}`);
  return accts.map((a: { index?: unknown; x?: unknown; y?: unknown; balance?: unknown }, i) => {
    if (typeof a.index !== 'number' || typeof a.x !== 'string' || typeof a.y !== 'string' || (typeof a.balance !== 'string' && typeof a.balance !== 'number')) {
      throw new NodeSetupError(`genesis file ${file}: account ${i} needs index (number), x, y (hex) and balance`);
    }
    return { index: a.index, publicKey: { x: fromHex(a.x), y: fromHex(a.y) }, balance: BigInt(a.balance) };
  });
}

/** The proof encoder for this deployment's verifier (undefined: a signature verifier without its key). */
export function proofEncoder(deployment: Deployment, client: SidecarClient, env: NodeJS.ProcessEnv): L1ProofEncoder | undefined {
  if (deployment.verifierKind === 'signature') {
    const key = env.SIDECAR_DEV_VERIFIER_KEY;
    if (!key) return undefined;
    const signer = new Wallet(key);
    return async (slot, p, to) => {
      const recipient = proofRecipient(p.publicInputs);
      if (!recipient) throw new Error(`the final proof of slot ${slot} names no recipient`);
      return { proof: await signatureProof(signer, deployment.verifier, deployment.chainId, await client.publicInputs(slot, to ?? slot, recipient)) };
    };
  }
  // any other verifier: the generated Honk verifiers behind HonkVerifierRouter (a circuit tag, then the proof)
  return async (_slot, p) => ({ proof: routerProof({ circuit: p.circuit, proof: p.proof, flavour: 'l1' }) });
}

/**
 * The cost model with a bench result's measured per-circuit times (`proverBenchFile`): the
 * node's quotes and its "fits in time" then plan with what this machine measured. A bad file
 * stops the node with a clear message.
 */
export function loadBenchCostModel(file: string, backend: 'auto' | 'native' | 'wasm', threads: number, log: { info: (o: object, m: string) => void }): CostModel {
  let times: BenchTimes;
  try {
    times = costModelFromBench(readBenchResult(file), { backend, threads: threads || 1 });
  } catch (e) {
    throw new NodeSetupError(`--prover-bench-file: ${(e as Error).message}`);
  }
  if (!Object.keys(times.proveMs).length) throw new NodeSetupError(`--prover-bench-file: ${file} has no measured circuit for the ${times.backend} backend`);
  log.info({ file, backend: times.backend, threads: times.threads, proveMs: times.proveMs }, 'cost model: measured proving times from the bench result');
  return withBenchTimes(DEFAULT_COST_MODEL, times);
}

export async function runNode(flags: Record<string, unknown>, extra: { config?: string; genesis?: string }, env = process.env): Promise<void> {
  const cfg: Config = loadConfig({ flags, env, file: extra.config });
  if (cfg.roles.includes('agent')) {
    // a node with only the agent role is a remote prover agent (`sidecar agent`) for its first bootstrap peer
    if (cfg.roles.length > 1) throw new NodeSetupError(`the agent role runs alone (roles: ${cfg.roles.join(',')}): use --roles agent, or \`sidecar agent --node <multiaddr>\``);
    if (!cfg.bootstrap.length) throw new NodeSetupError('the agent role needs the node to prove for: --bootstrap <its multiaddr with /p2p/<peer id>>');
    return runAgent({ node: cfg.bootstrap[0], workers: cfg.proverWorkers, threads: cfg.proverThreads, backend: cfg.proverBackend, dataDir: cfg.dataDir, listen: cfg.p2pListen[0], devCrs: cfg.devCrs });
  }
  const { pub } = await loadOrCreateKeys(cfg.dataDir);
  const roles = cfg.roles.filter((r) => r !== 'agent');
  // every role sends L1 txs (propose, commit, submit, slash, withdraw): no key, no node
  const l1 = await resolveL1Key({ privateKey: cfg.privateKey, keystore: cfg.keystore || undefined, passwordFile: cfg.keystorePasswordFile || undefined, dataDir: cfg.dataDir, env });
  if (!l1) {
    throw new NodeSetupError(`no L1 key for the roles ${roles.join(', ')} (they send L1 transactions): set SIDECAR_PRIVATE_KEY, or --keystore <file> (\`sidecar keys new --out <file>\` makes one) with its password, or put l1PrivateKey in ${keysPath(cfg.dataDir)}`);
  }
  if (!cfg.deploymentFile) throw new NodeSetupError('no deployment: pass --deployment-file <file> (written by `sidecar deploy` or `sidecar devnet --keep`) or set SIDECAR_DEPLOYMENT_FILE');
  let deployment: Deployment;
  try {
    deployment = loadDeployment(cfg.deploymentFile);
  } catch (e) {
    throw new NodeSetupError((e as Error).message);
  }
  const genesis = readGenesis(extra.genesis ?? path.join(cfg.dataDir, 'genesis.json'));
  const address = new Wallet(l1.key).address;
  const log = createLogger('node');
  log.info({ address, source: l1.source }, `L1 account ${address} (from ${l1.source})`);
  const client = SidecarClient.connect({
    deployment, rpc: cfg.l1RpcUrl, signer: l1.key, wsUrl: cfg.l1WsUrl || undefined,
    onRpcSwitch: (from, to, why) => log.warn({ from, to, why }, `L1 RPC ${from} failed (${why}); using ${to}`),
  });
  let gas: bigint;
  try {
    gas = await client.provider.getBalance(address);
  } catch (e) {
    await client.close().catch(() => undefined);
    throw new Error(`cannot read the balance of ${address} from L1 at ${cfg.l1RpcUrl.split(',').map((u) => redactUrl(u.trim())).join(', ')}: ${(e as Error).message}`);
  }
  if (gas === 0n) {
    await client.close().catch(() => undefined);
    throw new NodeSetupError(`the L1 account ${address} (from ${l1.source}) has no ETH for gas on chain ${deployment.chainId}: fund it before starting the roles ${roles.join(', ')}`);
  }
  const encodeProof = proofEncoder(deployment, client, env);
  if (roles.includes('submitter') && !encodeProof) {
    throw new NodeSetupError('the submitter role on a deployment with the stand-in SignatureVerifier needs SIDECAR_DEV_VERIFIER_KEY (the verifier signer key; devnets only)');
  }
  const costModel = cfg.proverBenchFile && roles.includes('prover') ? loadBenchCostModel(cfg.proverBenchFile, cfg.proverBackend, cfg.proverThreads, log) : undefined;
  if (cfg.devCrs) log.warn('INSECURE: the dev CRS (published tau) is on: its proofs can be forged; devnets and tests only');
  if (deployment.verifierKind === 'signature') log.warn('INSECURE: this deployment\'s L1 verifier is the stand-in SignatureVerifier (it checks a signature, not a proof); devnets and tests only');
  const node = await SidecarNode.start({
    dataDir: cfg.dataDir, roles, client, genesis, wsUrl: cfg.l1WsUrl || undefined,
    sequencer: {
      tip: cfg.sequencerTip, rewardShareBps: cfg.sequencerRewardShareBps, maxTxs: cfg.sequencerMaxTxs,
      deposit: cfg.proverDeposit > deployment.config.minProverDeposit ? cfg.proverDeposit : deployment.config.minProverDeposit, selfProve: cfg.sequencerSelfProve,
    },
    prover: { workers: cfg.proverWorkers, threads: cfg.proverThreads, crs: { dev: cfg.devCrs }, backend: cfg.proverBackend, costModel, breaker: { threshold: cfg.proverBreakerFaults, cooldownBlocks: cfg.proverBreakerCooldownBlocks },
      prices: { costPerCoreHour: cfg.proverCostPerCoreHour, tokensPerEth: cfg.proverTokensPerEth, capitalBpsPerYear: cfg.proverCapitalBpsPerYear, slashRiskBps: cfg.proverSlashRiskBps } },
    crs: { dev: cfg.devCrs },
    encodeProof, withdrawTo: cfg.withdrawTo || undefined,
    submitter: { resend: cfg.submitterResendBlocks > 0 ? { afterBlocks: cfg.submitterResendBlocks, maxFeePerGas: cfg.submitterMaxFeePerGas } : false, aggregateMax: cfg.submitterAggregateMax },
    api: cfg.apiPort >= 0 ? { host: cfg.apiHost, port: cfg.apiPort } : undefined,
    metrics: cfg.metricsPort >= 0 ? { host: cfg.metricsHost || cfg.apiHost, port: cfg.metricsPort } : undefined,
    health: { maxSyncLagBlocks: cfg.healthMaxSyncLagBlocks },
    confirmations: cfg.confirmations, log,
    p2p: {
      listen: cfg.p2pListen, bootstrap: cfg.bootstrap,
      rfq: roles.includes('sequencer'),
      quote: roles.includes('prover') ? { baseFee: cfg.proverFee, deposit: cfg.proverDeposit } : undefined,
      relays: roles.includes('sequencer') ? cfg.sequencerRelays : undefined,
      serveRelays: roles.includes('prover') ? cfg.proverRelays : undefined,
    },
  });
  log.info({ address, peerId: pub.peerId, roles, api: node.api?.url, dashboard: node.api ? `${node.api.url}/` : undefined, metrics: node.metricsServer ? `${node.metricsServer.url}/metrics` : undefined }, 'node started');
  node.on('event', (e) => log.info({ event: e.type }, describe(e)));
  await new Promise<void>((resolve) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log.info('stopping');
  await node.stop();
  await client.close();
}
