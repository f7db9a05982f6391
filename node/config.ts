// The node's one config schema. Every setting has a documented default, an env var, and a
// clear error for a bad value. Precedence: CLI flag > env var > config file > default.
// `sidecar node --help` and README's configuration table are generated from SETTINGS.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_RELAY_TIMEOUT_MS, parseRelaySpec, type RelayEndpoint } from './relay/spec.js';

const ROLES = ['sequencer', 'prover', 'submitter', 'watcher', 'agent'] as const;
export type Role = (typeof ROLES)[number];

const hex32 = /^0x[0-9a-fA-F]{64}$/;
const address = /^0x[0-9a-fA-F]{40}$/;
const bigintish = z.union([z.string(), z.number(), z.bigint()]).transform((v, ctx) => {
  try {
    const b = BigInt(v);
    if (b < 0n) throw new Error('negative');
    return b;
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a non-negative integer amount, got ${JSON.stringify(String(v))}` });
    return z.NEVER;
  }
});
const intish = (min: number, max: number) =>
  z.coerce.number({ message: 'expected a number' }).int('expected a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) =>
  typeof v === 'boolean' ? v : ['true', '1', 'yes'].includes(v),
);
const list = z.union([z.array(z.string()), z.string()]).transform((v) =>
  (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean),
);

interface Setting {
  env: string;
  describe: string;
  default: unknown;
  schema: z.ZodType;
  secret?: boolean;
}

/** Every setting of the node, in one place. */
export const SETTINGS = {
  dataDir: { env: 'SIDECAR_DATA_DIR', describe: 'data directory (LevelDB stores, peer key, deployment cache)', default: path.join(os.homedir(), '.sidecar'), schema: z.string().min(1) },
  roles: {
    env: 'SIDECAR_ROLES', describe: `comma-separated roles: ${ROLES.join(', ')}`, default: ['prover', 'submitter', 'watcher'],
    schema: list.pipe(z.array(z.enum(ROLES, { message: `each role must be one of ${ROLES.join(', ')}` })).min(1, 'at least one role')),
  },
  l1RpcUrl: {
    env: 'SIDECAR_L1_RPC_URL', describe: 'L1 JSON-RPC URL (http or ws), or several http(s) URLs comma-separated: the first is used, the next ones on failure (failover)', default: 'http://127.0.0.1:8545',
    schema: z.string().superRefine((v, ctx) => {
      const urls = v.split(',').map((u) => u.trim()).filter(Boolean);
      const one = z.url({ protocol: /^(https?|wss?)$/ });
      if (urls.length === 0 || urls.some((u) => !one.safeParse(u).success)) ctx.addIssue({ code: 'custom', message: 'expected an http(s):// or ws(s):// URL (several: http(s) URLs, comma-separated)' });
      else if (urls.length > 1 && urls.some((u) => /^wss?:/.test(u))) ctx.addIssue({ code: 'custom', message: 'failover takes http(s) URLs only (set the WebSocket in l1WsUrl)' });
    }),
  },
  l1WsUrl: { env: 'SIDECAR_L1_WS_URL', describe: 'L1 WebSocket URL for event subscription (default: derived from l1RpcUrl)', default: '', schema: z.union([z.literal(''), z.url({ protocol: /^wss?$/, message: 'expected a ws(s):// URL' })]) },
  deploymentFile: { env: 'SIDECAR_DEPLOYMENT_FILE', describe: 'JSON file with the deployed contract addresses (written by `sidecar deploy`)', default: '', schema: z.string() },
  privateKey: { env: 'SIDECAR_PRIVATE_KEY', describe: 'L1 account key (0x + 64 hex); prefer SIDECAR_PRIVATE_KEY over a flag', default: '', secret: true, schema: z.union([z.literal(''), z.string().regex(hex32, 'expected 0x followed by 64 hex digits')]) },
  keystore: { env: 'SIDECAR_KEYSTORE', describe: 'encrypted JSON keystore of the L1 account (`sidecar keys new`); used when no private key is set', default: '', schema: z.string() },
  keystorePasswordFile: { env: 'SIDECAR_KEYSTORE_PASSWORD_FILE', describe: 'file whose first line is the keystore password (else SIDECAR_KEYSTORE_PASSWORD)', default: '', schema: z.string() },
  confirmations: { env: 'SIDECAR_CONFIRMATIONS', describe: 'L1 confirmations before a verified block counts as finalized', default: 2, schema: intish(0, 1000) },
  p2pListen: { env: 'SIDECAR_P2P_LISTEN', describe: 'libp2p listen multiaddrs (comma-separated)', default: ['/ip4/0.0.0.0/tcp/40400'], schema: list.pipe(z.array(z.string().startsWith('/', 'a multiaddr starts with /')).min(1)) },
  bootstrap: { env: 'SIDECAR_BOOTSTRAP', describe: 'bootstrap peer multiaddrs with /p2p/<peer id> (comma-separated)', default: [], schema: list.pipe(z.array(z.string().regex(/\/p2p\/\w+$/, 'a bootstrap address must end in /p2p/<peer id>'))) },
  apiHost: { env: 'SIDECAR_API_HOST', describe: 'HTTP JSON API bind address', default: '127.0.0.1', schema: z.string().min(1) },
  apiPort: { env: 'SIDECAR_API_PORT', describe: 'HTTP JSON API port (0 = random, -1 = off)', default: 8080, schema: intish(-1, 65535) },
  metricsHost: { env: 'SIDECAR_METRICS_HOST', describe: 'bind address of the Prometheus /metrics (and /health, /ready) port (empty = apiHost); e.g. a private interface while the API that accepts txs is public', default: '', schema: z.string() },
  metricsPort: { env: 'SIDECAR_METRICS_PORT', describe: 'Prometheus /metrics port, also serving /health and /ready (0 = random, -1 = off)', default: 9464, schema: intish(-1, 65535) },
  healthMaxSyncLagBlocks: { env: 'SIDECAR_HEALTH_MAX_SYNC_LAG_BLOCKS', describe: '/health fails when the chain follower is more than this many L1 blocks behind the L1 head', default: 16, schema: intish(0, 100000) },
  proverWorkers: { env: 'SIDECAR_PROVER_WORKERS', describe: 'prover pool size (0 = measured default for this machine)', default: 0, schema: intish(0, 256) },
  proverThreads: { env: 'SIDECAR_PROVER_THREADS', describe: 'threads per prover worker: native bb or WASM (0 = measured default)', default: 0, schema: intish(0, 256) },
  proverBackend: { env: 'SIDECAR_PROVER_BACKEND', describe: 'proving backend: auto (native bb where it runs, else WASM), native or wasm', default: 'auto', schema: z.enum(['auto', 'native', 'wasm'], { message: 'must be one of auto, native, wasm' }) },
  proverBenchFile: {
    env: 'SIDECAR_PROVER_BENCH_FILE', describe: 'a `sidecar bench` result.json (measured on this machine): its per-circuit proving times for this backend and thread count replace the cost model\'s estimates in quote pricing and in what fits in time (empty = the built-in model)',
    default: '', schema: z.string(),
  },
  devCrs: { env: 'SIDECAR_DEV_CRS', describe: 'use the INSECURE dev CRS generated from a published seed (devnet/tests only)', default: false, schema: boolish },
  sequencerTip: { env: 'SIDECAR_SEQUENCER_TIP', describe: 'prover tip per block (token base units)', default: 10n ** 18n, schema: bigintish },
  sequencerRewardShareBps: { env: 'SIDECAR_SEQUENCER_REWARD_SHARE_BPS', describe: 'share of the block reward offered to the prover, in basis points', default: 2000, schema: intish(0, 10000) },
  sequencerMaxTxs: { env: 'SIDECAR_SEQUENCER_MAX_TXS', describe: 'most txs per block the sequencer builds', default: 32, schema: intish(1, 1024) },
  sequencerSelfProve: { env: 'SIDECAR_SEQUENCER_SELF_PROVE', describe: 'self-prove when no acceptable quote arrives', default: true, schema: boolish },
  sequencerRelays: {
    env: 'SIDECAR_SEQUENCER_RELAYS',
    describe: `relays the sequencer also sends its RFQ to (with the p2p RFQ; node/relay/README.md), comma-separated name=url or name=url;timeoutMs (default timeout ${DEFAULT_RELAY_TIMEOUT_MS} ms, always capped by the RFQ's quote deadline); in a config file also [{name, url, timeoutMs}]`,
    default: [],
    schema: z.union([z.array(z.union([z.string(), z.object({ name: z.string(), url: z.string(), timeoutMs: z.number().optional() })])), z.string()]).transform((v, ctx) => {
      const items = typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v;
      const out: RelayEndpoint[] = [];
      for (const it of items) {
        try {
          out.push(parseRelaySpec(typeof it === 'string' ? it : `${it.name}=${it.url}${it.timeoutMs !== undefined ? `;${it.timeoutMs}` : ''}`));
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
          return z.NEVER;
        }
      }
      const names = out.map((r) => r.name);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) { ctx.addIssue({ code: 'custom', message: `relay name ${dup} given twice` }); return z.NEVER; }
      return out;
    }),
  },
  proverFee: { env: 'SIDECAR_PROVER_FEE', describe: 'least tip the prover quotes for a block (token base units)', default: 10n ** 17n, schema: bigintish },
  proverDeposit: { env: 'SIDECAR_PROVER_DEPOSIT', describe: 'deposit the prover offers to fund (token base units; at least the contract minimum)', default: 100n * 10n ** 18n, schema: bigintish },
  proverRelays: {
    env: 'SIDECAR_PROVER_RELAYS', describe: 'relay URLs this prover registers with and long-polls for RFQs, answering with signed quotes (`sidecar relay`; comma-separated)', default: [],
    schema: list.pipe(z.array(z.url({ protocol: /^https?$/, message: 'expected an http(s):// relay URL' }))),
  },
  proverCostPerCoreHour: { env: 'SIDECAR_PROVER_COST_PER_CORE_HOUR', describe: 'P&L: what a core-hour of proving costs, in token base units (prices quotes: a quote never asks less than break-even)', default: 10n ** 17n, schema: bigintish },
  proverTokensPerEth: { env: 'SIDECAR_PROVER_TOKENS_PER_ETH', describe: 'P&L: token base units per 1 ETH, to price L1 gas (0 = gas not counted)', default: 0n, schema: bigintish },
  proverCapitalBpsPerYear: { env: 'SIDECAR_PROVER_CAPITAL_BPS_PER_YEAR', describe: 'P&L: yearly cost of the capital a deposit locks, basis points', default: 500, schema: intish(0, 100_000) },
  proverSlashRiskBps: { env: 'SIDECAR_PROVER_SLASH_RISK_BPS', describe: 'P&L: expected chance of losing a deposit, basis points', default: 100, schema: intish(0, 10_000) },
  proverBreakerFaults: { env: 'SIDECAR_PROVER_BREAKER_FAULTS', describe: 'circuit breaker: stop quoting and self-proving after this many proving faults in a row (failed proofs, own blocks slashed; 0 = never)', default: 3, schema: intish(0, 1000) },
  proverBreakerCooldownBlocks: { env: 'SIDECAR_PROVER_BREAKER_COOLDOWN_BLOCKS', describe: 'circuit breaker: L1 blocks before one trial block once it opened', default: 100, schema: intish(1, 1_000_000) },
  submitterResendBlocks: { env: 'SIDECAR_SUBMITTER_RESEND_BLOCKS', describe: 'resend a proof tx not mined within this many L1 blocks, same nonce, fees +12.5% or more (0 = never)', default: 3, schema: intish(0, 1000) },
  submitterMaxFeePerGas: { env: 'SIDECAR_SUBMITTER_MAX_FEE_PER_GAS', describe: 'highest maxFeePerGas (wei) a proof tx resend may offer', default: 200n * 10n ** 9n, schema: bigintish },
  submitterAggregateMax: {
    env: 'SIDECAR_SUBMITTER_AGGREGATE_MAX', describe: 'most consecutive own blocks one submission may settle with one range proof (range_2 / range_4; 1 = never aggregate): the submitter waits for a range only while it is expected before the first block\'s deadline, else it lands the block\'s own proof',
    default: 4, schema: intish(1, 4),
  },
  withdrawTo: { env: 'SIDECAR_WITHDRAW_TO', describe: 'address that credited rewards are withdrawn to (empty = own address)', default: '', schema: z.union([z.literal(''), z.string().regex(address, 'expected a 0x-prefixed 20-byte address')]) },
  logLevel: { env: 'SIDECAR_LOG_LEVEL', describe: 'log level', default: 'info', schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) },
  logFormat: { env: 'SIDECAR_LOG_FORMAT', describe: 'log output: pretty (one readable line per event), json (one object per line, for log collectors) or auto (pretty when stderr is a terminal, else json)', default: 'auto', schema: z.enum(['auto', 'pretty', 'json']) },
} satisfies Record<string, Setting>;

export type SettingKey = keyof typeof SETTINGS;
export type Config = { [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> };

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads a JSON config file; unknown keys and bad JSON are clear errors. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`config file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`config file ${file}: not valid JSON (${(e as Error).message})`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${file}: expected a JSON object of settings`]);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Resolves the config from flags, env and an optional file. Collects every problem before
 * failing, names the source of each bad value, and never echoes a secret.
 */
export function loadConfig(opts: { flags?: Record<string, unknown>; env?: NodeJS.ProcessEnv; file?: string } = {}): Config {
  const env = opts.env ?? process.env;
  const fromFile = opts.file ? readConfigFile(opts.file) : {};
  const problems: string[] = [];
  for (const k of Object.keys(fromFile)) if (!(k in SETTINGS)) problems.push(`config file: unknown setting "${k}"`);
  for (const k of Object.keys(opts.flags ?? {})) if (!(k in SETTINGS)) problems.push(`unknown option "${k}"`);
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, Setting][]) {
    let raw: unknown = s.default;
    let source = 'default';
    if (key in fromFile) { raw = fromFile[key]; source = `config file (${key})`; }
    if (env[s.env] !== undefined && env[s.env] !== '') { raw = env[s.env]; source = `env ${s.env}`; }
    const flag = opts.flags?.[key];
    if (flag !== undefined) { raw = flag; source = `--${kebab(key)}`; }
    const r = s.schema.safeParse(raw);
    if (r.success) out[key] = r.data;
    else {
      const shown = s.secret ? '(hidden)' : JSON.stringify(typeof raw === 'bigint' ? String(raw) : raw);
      problems.push(`${source}: ${r.error.issues.map((i) => i.message).join('; ')} (got ${shown})`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out as Config;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The configuration table for the README and `--help`. */
export function settingsTable(): string {
  const rows = (Object.entries(SETTINGS) as [SettingKey, Setting][]).map(([k, s]) => {
    const d = Array.isArray(s.default) ? s.default.join(',') : String(s.default);
    return `| \`--${kebab(k)}\` | \`${s.env}\` | \`${d === '' ? '(empty)' : d}\` | ${s.describe} |`;
  });
  return ['| flag | env | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
