// The signature thread's handler (node/p2p/signatures.ts): the same checks as
// validation.ts `checkSignatures`, on bytes and keys sent over, so the ~5 ms of CPU a tx Schnorr
// or a quote ECDSA signature costs is spent off the node's main thread.
import { initPoseidon2 } from '../../circuits/l2/index.js';
import { decodeMessage } from './codec.js';
import type { TopicKind } from './topics.js';
import { checkSignatures, type Verdict } from './validation.js';
import type { SignatureTask } from './signatures.js';

let ready: Promise<void> | undefined;

export default async function handler(t: SignatureTask): Promise<Verdict> {
  ready ??= initPoseidon2();
  await ready;
  if (t.kind === 'warm') return { result: 'accept' };
  const kind = t.kind as TopicKind;
  const value = decodeMessage(kind, t.data);
  return checkSignatures(kind, value, {
    txPublicKey: t.publicKey ? () => t.publicKey : undefined,
    quoteDomain: t.quoteDomain,
  });
}
