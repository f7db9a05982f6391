// The node's persistent libp2p identity: an Ed25519 key in <dataDir>/p2p/peer-key (libp2p
// protobuf encoding, mode 0600), created on first start and reused after.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';

export class PeerKeyError extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = 'PeerKeyError';
  }
}

export function peerKeyPath(dataDir: string): string {
  return path.join(dataDir, 'p2p', 'peer-key');
}

/** Loads the peer key, or creates it when the file does not exist. A corrupt file is an error, never replaced. */
export async function loadOrCreatePeerKey(dataDir: string): Promise<{ key: PrivateKey; created: boolean }> {
  const file = peerKeyPath(dataDir);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new PeerKeyError(file, `cannot read peer key ${file}: ${(e as Error).message}`);
  }
  if (bytes) {
    try {
      return { key: privateKeyFromProtobuf(bytes), created: false };
    } catch (e) {
      throw new PeerKeyError(file, `peer key ${file} is corrupt (${(e as Error).message}); restore it from a backup, or delete it to start with a new peer id`);
    }
  }
  const key = await generateKeyPair('Ed25519');
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 });
  await rename(tmp, file);
  return { key, created: true };
}
