// Deploys the protocol: the ERC-20 (the test token, or an existing token), the verifier (the
// stand-in SignatureVerifier by default, an existing IVerifier address, or any compiled
// artifact such as a generated HonkVerifier), and Sidecar with its parameters; funds the reward
// pool; writes everything to a deployment JSON file that `loadDeployment` validates.
//
//   tsx node/l1/deploy.ts --rpc http://127.0.0.1:8545 --key 0x... --out deployment.json \
//     [--proposal-blocks 4 --reveal-blocks 4 --commit-blocks 4 --proving-blocks 40 --submission-blocks 4 ...]
//   (--help lists every parameter; SIDECAR_PRIVATE_KEY works instead of --key)
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContractFactory, Interface, JsonRpcProvider, NonceManager, Wallet, getAddress, isAddress, type InterfaceAbi, type Signer } from 'ethers';
import { z } from 'zod';
import { compileContracts, getArtifact, type CompileResult } from './compile.js';
import { errorInterface, toL1Error } from './errors.js';

// ---- parameters ---------------------------------------------------------------------------

/** Sidecar.Config without token/verifier (chosen by deploy), SPEC §2 defaults. */
export interface ProtocolParams {
  genesisBlock: number; // 0 = the deploy block + 1
  genesisRoot: bigint;
  proposalBlocks: number;
  revealBlocks: number;
  commitBlocks: number;
  provingBlocks: number;
  submissionBlocks: number;
  earlyProofs: boolean;
  reorgWindow: number;
  minStake: bigint;
  activationDelay: number;
  exitDelay: number;
  minProverDeposit: bigint;
  blockReward: bigint;
  submissionReward: bigint;
  /** from a block's proofsFrom, this many L1 blocks in which only a proof naming its committed prover lands */
  proverExclusiveBlocks: number;
  /** share of every slashed deposit that goes to the reward pool, in basis points */
  slashBurnBps: number;
  /** share of every slashed deposit credited to the caller of slash, in basis points */
  slashBountyBps: number;
  depositRankCap: bigint;
  commitmentRegistry: string;
}

const E18 = 10n ** 18n;
export const DEFAULT_PARAMS: ProtocolParams = {
  genesisBlock: 0, genesisRoot: 0n,
  proposalBlocks: 4, revealBlocks: 4, commitBlocks: 4, provingBlocks: 40, submissionBlocks: 4,
  earlyProofs: true, reorgWindow: 8,
  minStake: 1000n * E18, activationDelay: 1, exitDelay: 64,
  minProverDeposit: 100n * E18, blockReward: 10n * E18, submissionReward: 1n * E18, proverExclusiveBlocks: 8, slashBurnBps: 2000, slashBountyBps: 100,
  depositRankCap: 0n, commitmentRegistry: '0x0000000000000000000000000000000000000000',
};

export type VerifierChoice =
  | { kind: 'signature'; signer: string }
  | { kind: 'address'; address: string }
  | { kind: 'artifact'; name: string; args?: unknown[]; extraSources?: Record<string, string> };

export interface DeployOptions {
  signer: Signer;
  params?: Partial<ProtocolParams>;
  /** default: the stand-in SignatureVerifier whose signer is the deployer */
  verifier?: VerifierChoice;
  /** an existing ERC-20; default: deploy the test token */
  token?: string;
  /** move this much into the reward pool (approve + fundRewards); default 0 */
  fundRewards?: bigint;
  /** test token only: mint to these accounts */
  mint?: { to: string; amount: bigint }[];
  /** a compile result to use (default: compile contracts/src, cached) */
  compiled?: CompileResult;
  /** progress lines (default: none) */
  log?: (msg: string) => void;
}

// ---- the deployment file ----------------------------------------------------------------

const addr = z.string().refine((s) => isAddress(s), { message: 'expected a 0x-prefixed 20-byte address' }).transform((s) => getAddress(s));
const uint = z.union([z.string(), z.number(), z.bigint()]).transform((v, ctx) => {
  try {
    const b = BigInt(v);
    if (b < 0n) throw new Error();
    return b;
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a non-negative integer, got ${JSON.stringify(String(v))}` });
    return z.NEVER;
  }
});
const int = z.number().int().nonnegative();
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x followed by 64 hex digits');

export const DeploymentSchema = z.object({
  version: z.literal(1),
  chainId: uint,
  deployer: addr,
  deployBlock: int,
  sidecar: addr,
  token: addr,
  verifier: addr,
  verifierKind: z.enum(['signature', 'address', 'artifact']),
  /** signature verifier only: the key whose signatures count as proofs */
  verifierSigner: addr.optional(),
  /** artifact verifier only: the contract id */
  verifierArtifact: z.string().optional(),
  testToken: z.boolean(),
  config: z.object({
    genesisBlock: int, genesisRoot: hex32,
    proposalBlocks: int, revealBlocks: int, commitBlocks: int, provingBlocks: int, submissionBlocks: int,
    earlyProofs: z.boolean(), reorgWindow: int, minStake: uint, activationDelay: int, exitDelay: int,
    minProverDeposit: uint, blockReward: uint, submissionReward: uint, proverExclusiveBlocks: int.default(0), slashBurnBps: int.default(0), slashBountyBps: int.default(0), depositRankCap: uint, commitmentRegistry: addr,
  }),
  rewardsFunded: uint,
});
export type Deployment = z.infer<typeof DeploymentSchema>;

export class DeploymentFileError extends Error {
  constructor(message: string) { super(message); this.name = 'DeploymentFileError'; }
}

/** Validates a parsed deployment (from JSON); throws DeploymentFileError naming each bad field. */
export function parseDeployment(json: unknown, source = 'deployment'): Deployment {
  const r = DeploymentSchema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new DeploymentFileError(`${source} is not a valid Sidecar deployment:\n${problems}`);
  }
  return r.data;
}

export function loadDeployment(file: string): Deployment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DeploymentFileError(`cannot read deployment file ${file}: ${(e as Error).message} (write one with: tsx node/l1/deploy.ts --out ${file})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DeploymentFileError(`deployment file ${file} is not JSON: ${(e as Error).message}`);
  }
  return parseDeployment(json, `deployment file ${file}`);
}

export function deploymentToJSON(d: Deployment): string {
  return JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

export function saveDeployment(file: string, d: Deployment): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, deploymentToJSON(d));
  renameSync(tmp, file);
}

// ---- deploy -----------------------------------------------------------------------------

const bytes32 = (x: bigint) => '0x' + x.toString(16).padStart(64, '0');

/** Deploy the whole protocol; returns the validated deployment record. */
export async function deployProtocol(o: DeployOptions): Promise<Deployment> {
  const log = o.log ?? (() => {});
  const params: ProtocolParams = { ...DEFAULT_PARAMS, ...o.params };
  const provider = o.signer.provider;
  if (!provider) throw new Error('deployProtocol: the signer needs a provider');
  const signer = o.signer instanceof NonceManager ? o.signer : new NonceManager(o.signer);
  const deployer = await signer.getAddress();
  const chainId = (await provider.getNetwork()).chainId;
  const t0 = performance.now();
  const compiled = o.compiled ?? compileContracts({ extraSources: o.verifier?.kind === 'artifact' ? o.verifier.extraSources : undefined });
  log(`contracts ${compiled.fromCache ? 'from cache' : 'compiled'} in ${(performance.now() - t0).toFixed(0)} ms`);
  const allErrors = errorInterface(Object.values(compiled.artifacts).map((a) => a.abi as InterfaceAbi));

  const deploy = (name: string, args: unknown[]) => deployContract(signer, compiled, name, args, { log, errors: allErrors });
  const call = async (name: string, address: string, method: string, args: unknown[]) => {
    const iface = new Interface(getArtifact(compiled, name).abi as InterfaceAbi);
    try {
      const tx = await signer.sendTransaction({ to: address, data: iface.encodeFunctionData(method, args) });
      await tx.wait();
    } catch (e) {
      signer.reset();
      throw toL1Error(allErrors, e, { method: `${name}.${method}` });
    }
  };

  // token
  let token = o.token;
  const testToken = !token;
  if (!token) {
    token = (await deploy('TestToken', constructorArgs(compiled, 'TestToken', { name: 'Sidecar Test Token', symbol: 'SCT' }))).address;
  }
  for (const m of o.mint ?? []) {
    if (!testToken) throw new Error('mint is only possible with the test token');
    await call('TestToken', token, 'mint', [m.to, m.amount]);
  }
  // verifier
  const v: VerifierChoice = o.verifier ?? { kind: 'signature', signer: deployer };
  let verifier: string;
  if (v.kind === 'address') {
    if (!isAddress(v.address)) throw new Error(`verifier address ${v.address} is not an address`);
    if ((await provider.getCode(v.address)) === '0x') throw new Error(`no contract at verifier address ${v.address}`);
    verifier = getAddress(v.address);
  } else if (v.kind === 'signature') {
    verifier = (await deploy('SignatureVerifier', [v.signer])).address;
  } else {
    verifier = (await deploy(v.name, v.args ?? [])).address;
  }
  // Sidecar
  const cfg = {
    token, verifier, genesisBlock: params.genesisBlock, genesisRoot: bytes32(params.genesisRoot),
    proposalBlocks: params.proposalBlocks, revealBlocks: params.revealBlocks, commitBlocks: params.commitBlocks,
    provingBlocks: params.provingBlocks, submissionBlocks: params.submissionBlocks, earlyProofs: params.earlyProofs,
    reorgWindow: params.reorgWindow, minStake: params.minStake, activationDelay: params.activationDelay, exitDelay: params.exitDelay,
    minProverDeposit: params.minProverDeposit, blockReward: params.blockReward, submissionReward: params.submissionReward,
    proverExclusiveBlocks: params.proverExclusiveBlocks, slashBurnBps: params.slashBurnBps, slashBountyBps: params.slashBountyBps, depositRankCap: params.depositRankCap, commitmentRegistry: params.commitmentRegistry,
  };
  const sidecar = await deploy('Sidecar', [cfg]);
  // reward pool
  const fund = o.fundRewards ?? 0n;
  if (fund > 0n) {
    if (testToken) await call('TestToken', token, 'mint', [deployer, fund]);
    await call('IERC20', token, 'approve', [sidecar.address, fund]);
    await call('Sidecar', sidecar.address, 'fundRewards', [fund]);
    log(`reward pool funded with ${fund}`);
  }
  // read back what the contract stored (genesisBlock 0 resolves to the deploy block + 1)
  const sc = new Interface(getArtifact(compiled, 'Sidecar').abi as InterfaceAbi);
  const raw = await provider.call({ to: sidecar.address, data: sc.encodeFunctionData('config', []) });
  const stored = sc.decodeFunctionResult('config', raw)[0].toObject(true) as Record<string, unknown>;
  return parseDeployment({
    version: 1, chainId, deployer, deployBlock: sidecar.block, sidecar: sidecar.address, token, verifier,
    verifierKind: v.kind,
    ...(v.kind === 'signature' ? { verifierSigner: v.signer } : {}),
    ...(v.kind === 'artifact' ? { verifierArtifact: getArtifact(compiled, v.name).id } : {}),
    testToken,
    config: {
      genesisBlock: Number(stored.genesisBlock), genesisRoot: stored.genesisRoot,
      proposalBlocks: Number(stored.proposalBlocks), revealBlocks: Number(stored.revealBlocks), commitBlocks: Number(stored.commitBlocks),
      provingBlocks: Number(stored.provingBlocks), submissionBlocks: Number(stored.submissionBlocks), earlyProofs: stored.earlyProofs,
      reorgWindow: Number(stored.reorgWindow), minStake: stored.minStake, activationDelay: Number(stored.activationDelay), exitDelay: Number(stored.exitDelay),
      minProverDeposit: stored.minProverDeposit, blockReward: stored.blockReward, submissionReward: stored.submissionReward,
      proverExclusiveBlocks: Number(stored.proverExclusiveBlocks), slashBurnBps: Number(stored.slashBurnBps), slashBountyBps: Number(stored.slashBountyBps), depositRankCap: stored.depositRankCap, commitmentRegistry: stored.commitmentRegistry,
    },
    rewardsFunded: fund,
  });
}

/**
 * Deploy one compiled contract (e.g. a generated HonkVerifier, or HonkVerifierRouter with its
 * tags and verifier addresses). Libraries it links (bb 5.0.0's verifier calls an external
 * library function) are deployed first and their addresses linked into its bytecode; pass
 * `libraries` to reuse deployed ones (id "source:Name" → address; filled in as it goes).
 * Failures are L1Errors with the constructor's custom error decoded.
 */
export async function deployContract(
  signer: Signer, compiled: CompileResult, name: string, args: unknown[] = [],
  o: { log?: (m: string) => void; errors?: Interface; libraries?: Map<string, string> } = {},
): Promise<{ address: string; block: number; gasUsed: bigint; libraries: Record<string, string> }> {
  const art = getArtifact(compiled, name, { deployable: true });
  const nm = signer instanceof NonceManager ? signer : undefined;
  const errors = o.errors ?? errorInterface(Object.values(compiled.artifacts).map((a) => a.abi as InterfaceAbi));
  const libraries = o.libraries ?? new Map<string, string>();
  const linked: Record<string, string> = {};
  let bytecode = art.bytecode;
  for (const [source, libs] of Object.entries(art.linkReferences ?? {})) {
    for (const [lib, refs] of Object.entries(libs)) {
      const id = `${source}:${lib}`;
      let addr = libraries.get(id);
      if (!addr) {
        addr = (await deployContract(signer, compiled, id, [], { ...o, errors, libraries })).address;
        libraries.set(id, addr);
      }
      linked[id] = addr;
      const hex = addr.slice(2).toLowerCase();
      for (const r of refs) bytecode = bytecode.slice(0, 2 + r.start * 2) + hex + bytecode.slice(2 + (r.start + r.length) * 2);
    }
  }
  if (/__\$[0-9a-f]{34}\$__/.test(bytecode)) throw new Error(`${art.id}: unlinked library placeholders left after linking`);
  const f = new ContractFactory(art.abi as InterfaceAbi, bytecode, signer);
  try {
    const c = await f.deploy(...args);
    const receipt = await c.deploymentTransaction()!.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`deployment of ${name} failed`);
    const address = await c.getAddress();
    o.log?.(`${art.contractName} at ${address} (gas ${receipt.gasUsed})${Object.keys(linked).length ? `, linked ${Object.keys(linked).map((l) => l.split(':')[1]).join(', ')}` : ''}`);
    return { address, block: receipt.blockNumber, gasUsed: receipt.gasUsed, libraries: linked };
  } catch (e) {
    nm?.reset();
    throw toL1Error(errors, e, { method: `deploy ${art.contractName}`, stage: 'preflight' });
  }
}

/** Constructor args by parameter name (leading/trailing underscores ignored), so small signature changes still deploy. */
function constructorArgs(compiled: CompileResult, name: string, byName: Record<string, unknown>): unknown[] {
  const abi = getArtifact(compiled, name).abi as { type: string; inputs?: { name: string; type: string }[] }[];
  const ctor = abi.find((f) => f.type === 'constructor');
  return (ctor?.inputs ?? []).map((p) => {
    const k = p.name.replace(/^_+|_+$/g, '');
    if (!(k in byName)) throw new Error(`${name} constructor parameter ${p.name} (${p.type}) is unknown to deploy.ts`);
    return byName[k];
  });
}

// ---- CLI ----------------------------------------------------------------------------------

const CLI_PARAMS: [keyof ProtocolParams, string][] = [
  ['genesisBlock', 'first block of slot 1 (0 = deploy block + 1)'], ['genesisRoot', 'L2 genesis state root'],
  ['proposalBlocks', 'proposal phase (L1 blocks)'], ['revealBlocks', 'reveal phase'], ['commitBlocks', 'prover commitment phase'],
  ['provingBlocks', 'proving phase upper bound'], ['submissionBlocks', 'proof submission phase'], ['earlyProofs', 'accept proofs from the end of the commitment phase (true/false)'],
  ['reorgWindow', 'most pending blocks'], ['minStake', 'sequencer stake (token base units)'], ['activationDelay', 'blocks from staking to eligibility'],
  ['exitDelay', 'blocks from requestExit to withdrawStake'], ['minProverDeposit', 'least prover deposit'], ['blockReward', 'reward per proven block'],
  ['submissionReward', 'reward per block to the recipient a valid proof names'], ['proverExclusiveBlocks', "blocks from proofsFrom in which only the committed prover's proof lands"],
  ['slashBurnBps', 'share of a slashed deposit to the reward pool (bps)'], ['slashBountyBps', 'share of a slashed deposit to the slasher (bps)'], ['depositRankCap', 'deposit-in-rank cap (0 = off)'], ['commitmentRegistry', 'commitment module registry (0x0 = off)'],
];
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A bad or missing flag of `sidecar deploy`: the CLI prints it, exit 2. */
export class DeployUsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export async function main(argv: string[]): Promise<void> {
  const { Command } = await import('commander');
  const cmd = new Command('deploy').description('Deploy token, verifier and Sidecar; write the deployment JSON')
    .requiredOption('--rpc <url>', 'L1 JSON-RPC URL', process.env.SIDECAR_L1_RPC_URL ?? 'http://127.0.0.1:8545')
    .option('--key <hex>', 'deployer private key (or SIDECAR_PRIVATE_KEY)')
    .requiredOption('--out <file>', 'where to write the deployment JSON')
    .option('--token <address>', 'use an existing ERC-20 instead of deploying the test token')
    .option('--verifier <address>', 'use an existing IVerifier')
    .option('--verifier-artifact <name>', 'deploy this compiled contract as the verifier (with --extra unit=path for a generated one)')
    .option('--extra <unit=path...>', 'extra Solidity sources to compile (generated verifiers)')
    .option('--signature-verifier', 'INSECURE stand-in: deploy a SignatureVerifier that accepts a signature of its signer over the public inputs instead of a proof (devnets and tests only)')
    .option('--verifier-signer <address>', 'with --signature-verifier: its signer (default: the deployer)')
    .option('--fund-rewards <amount>', 'move this amount into the reward pool', '0')
    .option('--mint <address=amount...>', 'test token: mint to accounts');
  for (const [k, d] of CLI_PARAMS) cmd.option(`--${kebab(k)} <value>`, `${d} [${String(DEFAULT_PARAMS[k])}]`);
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<Record<string, string | string[] | undefined>>();
  const choices = [o.verifier && '--verifier', o.verifierArtifact && '--verifier-artifact', o.signatureVerifier && '--signature-verifier'].filter(Boolean);
  if (choices.length !== 1) {
    throw new DeployUsageError(choices.length === 0
      ? 'choose the L1 verifier: --verifier <address> (an existing IVerifier, e.g. the generated Honk verifiers\' router), --verifier-artifact <name> (deploy a compiled one), or --signature-verifier (the INSECURE stand-in, devnets only)'
      : `choose one L1 verifier, not ${choices.join(' and ')}`);
  }
  if (o.verifierSigner && !o.signatureVerifier) throw new DeployUsageError('--verifier-signer goes with --signature-verifier');
  const key = (o.key as string | undefined) ?? process.env.SIDECAR_PRIVATE_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new DeployUsageError('--key (or SIDECAR_PRIVATE_KEY) must be 0x followed by 64 hex digits');
  const params: Partial<ProtocolParams> = {};
  for (const [k] of CLI_PARAMS) {
    const v = o[k] as string | undefined;
    if (v === undefined) continue;
    const def = DEFAULT_PARAMS[k];
    if (typeof def === 'boolean') {
      if (!['true', 'false'].includes(v)) throw new DeployUsageError(`--${kebab(k)} must be true or false`);
      (params as Record<string, unknown>)[k] = v === 'true';
    } else if (typeof def === 'bigint') {
      if (!/^\d+$/.test(v) && !/^0x[0-9a-fA-F]+$/.test(v)) throw new DeployUsageError(`--${kebab(k)} must be a non-negative integer, got ${v}`);
      (params as Record<string, unknown>)[k] = BigInt(v);
    } else if (typeof def === 'number') {
      if (!/^\d+$/.test(v)) throw new DeployUsageError(`--${kebab(k)} must be a non-negative integer, got ${v}`);
      (params as Record<string, unknown>)[k] = Number(v);
    } else {
      if (!isAddress(v)) throw new DeployUsageError(`--${kebab(k)} must be an address`);
      (params as Record<string, unknown>)[k] = v;
    }
  }
  const extraSources: Record<string, string> = {};
  for (const e of (o.extra as string[] | undefined) ?? []) {
    const i = e.indexOf('=');
    if (i < 1) throw new DeployUsageError(`--extra expects unit=path, got ${e}`);
    extraSources[e.slice(0, i)] = readFileSync(e.slice(i + 1), 'utf8');
  }
  const provider = new JsonRpcProvider(o.rpc as string, undefined, { cacheTimeout: -1 });
  try {
    const wallet = new Wallet(key, provider);
    const verifier: VerifierChoice = o.verifier ? { kind: 'address', address: o.verifier as string }
      : o.verifierArtifact ? { kind: 'artifact', name: o.verifierArtifact as string, extraSources }
      : { kind: 'signature', signer: (o.verifierSigner as string | undefined) ?? wallet.address };
    if (verifier.kind === 'signature') {
      console.error(`WARNING: INSECURE: the stand-in SignatureVerifier accepts any "proof" signed by ${verifier.signer}; it proves nothing (devnets and tests only)`);
    }
    const mint = ((o.mint as string[] | undefined) ?? []).map((m) => {
      const [to, amount] = m.split('=');
      if (!isAddress(to) || !/^\d+$/.test(amount ?? '')) throw new DeployUsageError(`--mint expects address=amount, got ${m}`);
      return { to, amount: BigInt(amount) };
    });
    const d = await deployProtocol({
      signer: wallet, params, verifier, token: o.token as string | undefined, mint, fundRewards: BigInt(o.fundRewards as string),
      compiled: Object.keys(extraSources).length ? compileContracts({ extraSources }) : undefined,
      log: (m) => console.error(m),
    });
    saveDeployment(o.out as string, d);
    console.error(`deployment written to ${o.out}`);
    console.log(deploymentToJSON(d).trim());
  } finally {
    provider.destroy();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`deploy failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(e instanceof DeployUsageError ? 2 : 1);
  });
}
