// The `sidecar` CLI (commander 14): devnet, node, agent, keys, status, simulate, bench, deploy, relay.
// Bad flags or config: a clear message on stderr and exit code 2, never a stack trace.
import { userLogLevel } from './env.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SETTINGS, kebab, loadConfig, type SettingKey } from '../config.js';
// Each command loads its module when it runs (`--help` and bad flags never load libp2p, the
// prover or ethers' contracts): the top of this file imports only the light option modules.
import { DEVNET_DEFAULTS, RECORDED_OPTIONS, defaultPhaseBlocks, type DevnetOptions } from '../devnet/options.js';
import { SIDECAR_VERSION } from '../version.js';
import type { StatusAnswers } from './status.js';

export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be in ${min}..${max}, got ${n}`);
    return n;
  };
}

export function buildCli(io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Command {
  const program = new Command('sidecar')
    .description('A node for an L2 rollup\'s proving market (Aztec\'s Sidecar proving proposal)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .version(SIDECAR_VERSION, '-V, --version', 'print the sidecar version')
    .exitOverride();

  program.command('devnet')
    .description('start anvil, deploy the contracts, and run three nodes (self-proving sequencer, RFQ sequencer, independent prover) with a tx generator; real proofs (INSECURE dev CRS)')
    .addOption(new Option('--slots <n>', 'stop after N blocks settle and print one JSON line (default: run until Ctrl-C)').argParser(intArg('--slots', 1, 10000)))
    .addOption(new Option('--block-time <s>', 'L1 block time in seconds').default(DEVNET_DEFAULTS.blockTime).argParser(intArg('--block-time', 1, 60)))
    .addOption(new Option('--phase-blocks <n>', 'proposal/reveal/commitment phase length in L1 blocks (default: 4 with 3 nodes, 3 with 1)').argParser(intArg('--phase-blocks', 2, 60)))
    .addOption(new Option('--proving-blocks <n>', 'proving phase in L1 blocks').default(DEVNET_DEFAULTS.provingBlocks).argParser(intArg('--proving-blocks', 1, 10000)))
    .addOption(new Option('--tx-per-slot <n>', 'txs the generator sends each sequencer per slot (while fewer than 2 x --max-txs wait in its mempool)').default(DEVNET_DEFAULTS.txPerSlot).argParser(intArg('--tx-per-slot', 0, 1024)))
    .addOption(new Option('--max-txs <n>', 'most txs per block').default(DEVNET_DEFAULTS.maxTxs).argParser(intArg('--max-txs', 1, 1024)))
    .addOption(new Option('--workers <n>', 'prover pool workers').default(DEVNET_DEFAULTS.workers).argParser(intArg('--workers', 1, 64)))
    .addOption(new Option('--nodes <n>', '3: a self-proving sequencer, a sequencer buying proofs by RFQ and an independent prover, over libp2p on 127.0.0.1; 1: one node with every role').choices(['1', '3']).default(String(DEVNET_DEFAULTS.nodes)))
    .addOption(new Option('--withhold-every <k>', 'the prover withholds every K-th block it commits to (0 = never): the watcher slashes it').default(DEVNET_DEFAULTS.withholdEvery).argParser(intArg('--withhold-every', 0, 1000)))
    .addOption(new Option('--api-port <port>', 'HTTP API port of the node (0 = random)').default(DEVNET_DEFAULTS.apiPort).argParser(intArg('--api-port', 0, 65535)))
    .addOption(new Option('--timeout <s>', 'give up (exit 1) when the blocks have not settled after this many seconds').default(DEVNET_DEFAULTS.timeoutSec).argParser(intArg('--timeout', 10, 86400)))
    .addOption(new Option('--verifier <kind>', 'L1 verifier: honk = the generated UltraHonk verifiers (real on-chain verification, INSECURE dev CRS); signature = the stand-in SignatureVerifier').choices(['honk', 'signature']).default(DEVNET_DEFAULTS.verifier))
    .addOption(new Option('--aggregate-max <n>', 'most consecutive blocks of one prover one range proof settles on L1 (2 or 4; 1 = never aggregate)').default(DEVNET_DEFAULTS.aggregateMax).argParser(intArg('--aggregate-max', 1, 4)))
    .option('--data-dir <dir>', 'keep the devnet here: anvil\'s chain, deployment, genesis and every node\'s LevelDB (default: a temp dir, removed at exit)')
    .option('--resume', 'continue the devnet in --data-dir (no deploy; the nodes catch up from their cursors); its recorded --nodes/--verifier/phase options apply', false)
    .option('--fresh', 'wipe the devnet in --data-dir and start a new one', false)
    .option('--keep', 'keep the temp data dir at exit', false)
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const explicit = RECORDED_OPTIONS.filter((k) => cmd.getOptionValueSource(k) === 'cli');
      const o: DevnetOptions = {
        ...DEVNET_DEFAULTS, slots: opts.slots as number | undefined, blockTime: opts.blockTime as number, phaseBlocks: (opts.phaseBlocks as number | undefined) ?? defaultPhaseBlocks(Number(opts.nodes) as 1 | 3),
        provingBlocks: opts.provingBlocks as number, txPerSlot: opts.txPerSlot as number, maxTxs: opts.maxTxs as number, workers: opts.workers as number,
        withholdEvery: opts.withholdEvery as number, apiPort: opts.apiPort as number, timeoutSec: opts.timeout as number,
        dataDir: opts.dataDir as string | undefined, keep: Boolean(opts.keep), verifier: opts.verifier as 'honk' | 'signature', nodes: Number(opts.nodes) as 1 | 3,
        resume: Boolean(opts.resume), fresh: Boolean(opts.fresh), explicit,
        aggregateMax: opts.aggregateMax as number,
      };
      const { Devnet } = await import('./devnet.js');
      const devnet = new Devnet(o);
      let interrupted = false;
      const onSignal = (sig: string) => {
        if (interrupted) return;
        interrupted = true;
        io.err(`\ndevnet: ${sig}: stopping (nodes, prover pools, LevelDB, anvil)…\n`);
        void devnet.stop().then(() => {
          if (o.dataDir !== undefined) io.err(`devnet: stopped; \`sidecar devnet --data-dir ${o.dataDir} --resume\` continues it, --fresh starts over\n`);
          process.exit(130);
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await devnet.run();
        await devnet.stop();
        io.out(`${JSON.stringify(result)}\n`);
      } finally {
        await devnet.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  const node = program.command('node')
    .description('run a node with the roles of its config (flags > env > config file > defaults)')
    .option('--config <file>', 'JSON config file of settings (keys as below, camelCase)')
    .option('--genesis <file>', 'L2 genesis accounts JSON (default <data-dir>/genesis.json)');
  for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
    const d = Array.isArray(s.default) ? s.default.join(',') : String(s.default);
    node.option(`--${kebab(key)} <value>`, `${s.describe} [env ${s.env}; default ${'secret' in s && s.secret ? '(none)' : d === '' ? '(empty)' : d}]`);
  }
  node.action(async (opts: Record<string, unknown>) => {
    const { config, genesis, ...flags } = opts;
    // the log level first: module loggers take it when their modules load
    const env = { ...process.env, SIDECAR_LOG_LEVEL: userLogLevel };
    const { logLevel, logFormat } = loadConfig({ flags, env, file: config as string | undefined });
    process.env.SIDECAR_LOG_LEVEL = logLevel;
    process.env.SIDECAR_LOG_FORMAT = logFormat;
    const { runNode } = await import('./run-node.js');
    await runNode(flags, { config: config as string | undefined, genesis: genesis as string | undefined });
  });

  program.command('agent')
    .description('run a remote prover agent: connect to a node over libp2p and prove the blocks (or the rest of a block\'s plan) it leases to this machine\'s worker pool')
    .requiredOption('--node <multiaddr>', 'the node to prove for: its multiaddr with /p2p/<peer id> (the node logs it at start)')
    .addOption(new Option('--workers <n>', 'prover pool workers (0 = measured default for this machine)').default(0).argParser(intArg('--workers', 0, 256)))
    .addOption(new Option('--threads <n>', 'threads per worker: native bb or WASM (0 = measured default)').default(0).argParser(intArg('--threads', 0, 256)))
    .addOption(new Option('--backend <kind>', 'proving backend: auto (native bb where it runs, else WASM), native, wasm').choices(['auto', 'native', 'wasm']).default(process.env.SIDECAR_PROVER_BACKEND || 'auto'))
    .option('--data-dir <dir>', 'data directory (the agent\'s p2p key)', process.env.SIDECAR_AGENT_DATA_DIR ?? `${SETTINGS.dataDir.default}-agent`)
    .option('--listen <multiaddr>', 'libp2p listen address', '/ip4/0.0.0.0/tcp/0')
    .option('--dev-crs', 'use the INSECURE dev CRS (devnets and tests only; must match the node\'s)', false)
    .addOption(new Option('--progress <s>', 'seconds between progress log lines').default(10).argParser(intArg('--progress', 1, 3600)))
    .addOption(new Option('--tasks <module...>', 'import modules that register extra task kinds (prover/tasks.ts; test fixture circuits)').hideHelp())
    .action(async (opts: { node: string; workers: number; threads: number; backend: 'auto' | 'native' | 'wasm'; dataDir: string; listen: string; devCrs: boolean; progress: number; tasks?: string[] }) => {
      const { runAgent } = await import('./agent.js');
      await runAgent({ node: opts.node, workers: opts.workers, threads: opts.threads, backend: opts.backend, dataDir: opts.dataDir, listen: opts.listen, devCrs: opts.devCrs, progressSec: opts.progress, tasks: opts.tasks });
    });

  const keys = program.command('keys')
    .description('show the node\'s keys (L2 Grumpkin public key, p2p peer id, the L1 address of a key file), creating the L2 and p2p ones in the data dir; `keys new` makes an L1 keystore')
    .option('--data-dir <dir>', 'data directory', process.env.SIDECAR_DATA_DIR ?? SETTINGS.dataDir.default)
    .action(async (opts: { dataDir: string }) => {
      const { loadOrCreateKeys } = await import('./keys.js');
      const { pub } = await loadOrCreateKeys(opts.dataDir);
      io.out(`${JSON.stringify(pub, null, 2)}\n`);
    });
  keys.command('new')
    .description('create a new L1 account in an encrypted JSON keystore (ethers/geth format); prints its address (fund it, then run the node with --keystore)')
    .requiredOption('--out <file>', 'keystore file to write (refused if it exists)')
    .option('--password-file <file>', 'file whose first line is the password (else SIDECAR_KEYSTORE_PASSWORD)')
    .action(async (opts: { out: string; passwordFile?: string }) => {
      const { keystorePassword, newKeystore } = await import('./keys.js');
      const r = await newKeystore(opts.out, keystorePassword({ passwordFile: opts.passwordFile }));
      io.out(`${JSON.stringify(r, null, 2)}\n`);
    });

  program.command('status')
    .description('query a running node\'s HTTP API (status, slot/phase, blocks, proving)')
    .option('--api <url>', 'the node\'s API URL', process.env.SIDECAR_API_URL ?? 'http://127.0.0.1:8080')
    .option('--tx <hash>', 'show the status ladder of this L2 tx instead')
    .option('--json', 'print the API\'s raw answers (JSON) instead of the summary', false)
    .action(async (opts: { api: string; tx?: string; json: boolean }) => {
      let base: URL;
      try { base = new URL(opts.api); } catch { throw new UsageError(`--api: not a URL: ${JSON.stringify(opts.api)} (e.g. http://127.0.0.1:8080)`); }
      if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError(`--api: expected an http(s):// URL, got ${JSON.stringify(opts.api)}`);
      const get = async (p: string) => {
        let res: Response;
        try {
          res = await fetch(new URL(p, base), { signal: AbortSignal.timeout(5000) });
        } catch (e) {
          throw new Error(`cannot reach the node API at ${base.origin} (${(e as Error).message}); is the node running with an API port?`);
        }
        const body = await res.json().catch(() => ({})) as { error?: { message?: string } };
        if (!res.ok) throw new Error(`${p}: HTTP ${res.status}: ${body.error?.message ?? 'error'}`);
        return body;
      };
      if (opts.tx) io.out(`${JSON.stringify(await get(`/txs/${opts.tx}`), null, 2)}\n`);
      else {
        const [status, blocks, proving] = await Promise.all([get('/status'), get('/blocks'), get('/proving')]);
        if (opts.json) io.out(`${JSON.stringify({ status, blocks, proving }, null, 2)}\n`);
        else io.out((await import('./status.js')).formatStatus({ status, blocks, proving } as unknown as StatusAnswers));
      }
    });

  program.command('simulate')
    .description('simulate the proving market at network scale on the real Sidecar contract (an anvil of its own, simulated time): one JSON line of figures on stdout, figures.json and report.html into --out (node/sim/README.md)')
    .requiredOption('--config <file>', 'scenario JSON (examples: node/sim/*-scenario.json)')
    .addOption(new Option('--seed <n>', 'override the scenario\'s seed (with --sweep: run only this seed)').argParser(intArg('--seed', 0, 2 ** 31 - 1)))
    .addOption(new Option('--slots <n>', 'override the scenario\'s slot count').argParser(intArg('--slots', 1, 100000)))
    .option('--sweep', 'run the scenario\'s sweep grid, each point with its seeds', false)
    .option('--out <dir>', 'write figures.json and report.html here')
    .action(async (opts: { config: string; seed?: number; slots?: number; sweep: boolean; out?: string }) => {
      const { simulate } = await import('../sim/cli.js');
      await simulate(opts, io.out);
    });

  program.command('bench')
    .description('the proving benchmark: every circuit the node proves on each backend and thread count, whole blocks through the prover pool; a JSON result and an HTML report in --out (`sidecar bench --help`; `sidecar bench compare A.json B.json`)')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { runBenchCli } = await import('./bench.js');
      const code = await runBenchCli(args, io);
      // the message is printed: exit 2 like any usage error
      if (code) throw new CommanderError(code, 'sidecar.bench', '');
    });

  program.command('relay')
    .description('run a reference quote relay (HTTP + JSON API v1, docs/relay-api.json): provers register and long-poll it for RFQs, sequencers configured with it (--sequencer-relays) get its provers\' signed quotes')
    .option('--host <addr>', 'bind address (env SIDECAR_RELAY_HOST)', process.env.SIDECAR_RELAY_HOST ?? '127.0.0.1')
    .addOption(new Option('--port <port>', 'port, 0 = random (env SIDECAR_RELAY_PORT)').default(process.env.SIDECAR_RELAY_PORT ?? '18550'))
    .option('--name <name>', 'relay name shown in its status and logs (env SIDECAR_RELAY_NAME)', process.env.SIDECAR_RELAY_NAME ?? 'relay')
    .option('--deployment-file <file>', 'deployment JSON (`sidecar deploy`): its chain id and Sidecar address are the EIP-712 domain (env SIDECAR_DEPLOYMENT_FILE)', process.env.SIDECAR_DEPLOYMENT_FILE ?? '')
    .option('--chain-id <id>', 'instead of a deployment file: the chain id', '')
    .option('--sidecar <address>', 'instead of a deployment file: the Sidecar contract address', '')
    .option('--max-open-rfqs <n>', 'RFQs held open at most', '64')
    .option('--max-provers <n>', 'registered provers at most', '256')
    .action(async (opts: Record<string, unknown>) => {
      const { runRelay } = await import('./relay.js');
      const server = await runRelay(opts, io);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => { io.err(`relay: ${sig}: stopping\n`); void server.stop().then(resolve); };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });

  program.command('deploy')
    .description('deploy the protocol to an L1 (delegates to node/l1/deploy.ts; --help there lists every parameter)')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { main } = await import('../l1/deploy.js');
      await main(args);
    });

  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 runtime failure, 2 usage/config error). */
export async function runCli(argv: string[], io?: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const err = io?.err ?? ((s: string) => process.stderr.write(s));
  const program = buildCli(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE; // commander already printed the message
    }
    // by name: the commands' error classes live in modules loaded lazily
    if (e instanceof UsageError || ['UsageError', 'DevnetSetupError', 'KeysError', 'ConfigError', 'StorageError'].includes((e as Error).name)) {
      err(`sidecar: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    err(`sidecar: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

/**
 * Stops this process (as SIGTERM does: nodes, pools, LevelDB, anvil shut down cleanly) when the
 * process that started it dies, e.g. `npm start` or a supervisor killed with SIGKILL: an orphaned
 * node would keep running and hold its LevelDB lock. Polls the parent pid (unref'd timer).
 */
export function watchParent(intervalMs = 1000): void {
  const parent = process.ppid;
  if (parent <= 1) return; // started by init or a container's pid 1: nothing to watch
  const t = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(t);
    process.stderr.write(`sidecar: the parent process ${parent} is gone; stopping\n`);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  t.unref();
}

const isMain = process.argv[1] && /node[\\/]cli[\\/](main\.ts|bin\.js)$/.test(process.argv[1]);
if (isMain) {
  watchParent();
  runCli(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    process.stderr.write(`sidecar: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
