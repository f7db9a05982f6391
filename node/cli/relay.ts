// `sidecar relay`: the reference quote relay (node/relay/server.ts) on HTTP, until SIGINT/SIGTERM.
// It needs only the deployment's EIP-712 domain (chain id and Sidecar address: from
// --deployment-file, or --chain-id with --sidecar) to check RFQ and quote signatures; no L1 RPC.
import { z } from 'zod';
import { loadDeployment } from '../l1/deploy.js';
import { createLogger } from '../log.js';
import { RelayServer } from '../relay/server.js';

/** The relay command's options (flags; SIDECAR_RELAY_* env as fallback), one zod schema. */
export const RelayOptions = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  name: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'a-z 0-9 _ -, at most 32'),
  deploymentFile: z.string(),
  chainId: z.string().regex(/^\d*$/, 'a decimal chain id'),
  sidecar: z.union([z.literal(''), z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address')]),
  maxOpenRfqs: z.coerce.number().int().min(1).max(10_000),
  maxProvers: z.coerce.number().int().min(1).max(100_000),
}).strict();
export type RelayOptions = z.infer<typeof RelayOptions>;

export const RELAY_DEFAULTS = { host: '127.0.0.1', port: 18550, name: 'relay', deploymentFile: '', chainId: '', sidecar: '', maxOpenRfqs: 64, maxProvers: 256 };

export class RelayUsageError extends Error {
  constructor(m: string) { super(m); this.name = 'UsageError'; }
}

export async function runRelay(raw: Record<string, unknown>, io: { out: (s: string) => void }): Promise<RelayServer> {
  const r = RelayOptions.safeParse({ ...RELAY_DEFAULTS, ...Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) });
  if (!r.success) throw new RelayUsageError(`relay: ${r.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; ')}`);
  const o = r.data;
  let domain: { chainId: bigint; verifyingContract: string };
  if (o.deploymentFile) {
    const d = loadDeployment(o.deploymentFile);
    domain = { chainId: BigInt(d.chainId), verifyingContract: d.sidecar };
  } else if (o.chainId && o.sidecar) {
    domain = { chainId: BigInt(o.chainId), verifyingContract: o.sidecar };
  } else {
    throw new RelayUsageError('relay: give --deployment-file, or --chain-id and --sidecar (the EIP-712 domain RFQs and quotes are signed in)');
  }
  const server = new RelayServer({ host: o.host, port: o.port, name: o.name, domain, maxOpenRfqs: o.maxOpenRfqs, maxProvers: o.maxProvers, log: createLogger('relay', { relay: o.name }) });
  const url = await server.start();
  io.out(`relay ${o.name} listening on ${url} (API v1: GET ${url}/v1/status; docs/relay-api.json)\n`);
  return server;
}
