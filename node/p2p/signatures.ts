// Signature checks in a thread of their own (issue 12): one Piscina worker (started on first use)
// running node/p2p/sig-worker.ts, so a flood of signed messages costs the node's event loop only
// the message passing. The caller (the host) still runs these behind the topic's ValidationGate,
// so the thread's queue is bounded by the gates' capacities.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Point } from '../../circuits/l2/index.js';
import type { Logger } from '../log.js';
import { decodeSignedTx } from '../../circuits/l2/index.js';
import { encodeMessage, type TopicMessages } from './codec.js';
import type { TopicKind } from './topics.js';
import { ACCEPT, checkSignatures, ignore, type QuoteDomain, type ValidationContext, type Verdict } from './validation.js';

const ENTRY = fileURLToPath(new URL('./sig-worker-entry.mjs', import.meta.url));

/** What the thread needs for one check: the message bytes and the key or domain to check them with. */
export interface SignatureTask { kind: string; data: Uint8Array; publicKey?: Point; quoteDomain?: QuoteDomain }

export class SignatureThread {
  private piscina?: Piscina;

  constructor(private readonly log?: Logger) {}

  private pool(): Piscina {
    if (!this.piscina) {
      this.piscina = new Piscina({ filename: ENTRY, minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY, execArgv: [] });
      this.piscina.on('error', (e) => this.log?.error({ err: e }, 'signature thread error'));
    }
    return this.piscina;
  }

  /** `checkSignatures` in the thread; the key lookup (node state) stays here. */
  async check<K extends TopicKind>(kind: K, value: TopicMessages[K], ctx: ValidationContext): Promise<Verdict> {
    let task: SignatureTask | undefined;
    if (kind === 'txs' && ctx.txPublicKey) {
      const data = encodeMessage('txs', value as TopicMessages['txs']);
      const pk = ctx.txPublicKey(decodeSignedTx(data).tx.from);
      if (!pk) return checkSignatures(kind, value, ctx); // unknown-account, no work
      task = { kind, data, publicKey: pk };
    } else if (kind === 'quotes') {
      if (!ctx.quoteDomain) return checkSignatures(kind, value, ctx);
      task = { kind, data: encodeMessage('quotes', value as TopicMessages['quotes']), quoteDomain: ctx.quoteDomain };
    }
    if (!task) return ACCEPT;
    try {
      return (await this.pool().run(task)) as Verdict;
    } catch (e) {
      // the thread itself failed or was closed under the check: nobody's fault
      return ignore('validator-error', `signature thread: ${(e as Error).message.slice(0, 120)}`);
    }
  }

  /** Starts the thread and loads its code now (~3 s), not on the first message to check. */
  async warm(): Promise<void> {
    await this.pool().run({ kind: 'warm', data: new Uint8Array(0) } satisfies SignatureTask);
  }

  /** Stops the thread (a later check starts a new one). */
  async close(): Promise<void> {
    const p = this.piscina;
    this.piscina = undefined;
    await p?.destroy();
  }
}
