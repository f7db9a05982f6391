// `sidecar keys`: the node's keys in its data dir, created on first use and never replaced:
//   <dataDir>/keys.json       {"l1PrivateKey": "0x…", "l2SecretKey": "0x…"} (mode 0600)
//   <dataDir>/p2p/peer-key    the libp2p Ed25519 identity (node/p2p/peer-key.ts)
// Prints the public parts only: L1 address, L2 Grumpkin public key, p2p peer id.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { generateKeyPair, publicKeyOf, toHex, GRUMPKIN_ORDER, type Point } from '../../circuits/l2/index.js';
import { loadOrCreatePeerKey } from '../p2p/peer-key.js';

export class KeysError extends Error {
  constructor(message: string) { super(message); this.name = 'KeysError'; }
}

export interface NodeKeys { l1PrivateKey: string; l2SecretKey: string }
export interface PublicKeys { dataDir: string; created: boolean; l1Address: string; l2PublicKey: { x: string; y: string }; peerId: string }

export const keysPath = (dataDir: string): string => path.join(dataDir, 'keys.json');

/** Reads keys.json (clear errors for a damaged file), or undefined when it does not exist. */
export function readKeys(dataDir: string): NodeKeys | undefined {
  const file = keysPath(dataDir);
  if (!existsSync(file)) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KeysError(`key file ${file} is not valid JSON (${(e as Error).message}); restore it from a backup`);
  }
  const k = j as Partial<NodeKeys>;
  if (typeof k?.l1PrivateKey !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(k.l1PrivateKey)) throw new KeysError(`key file ${file}: l1PrivateKey must be 0x followed by 64 hex digits`);
  if (typeof k.l2SecretKey !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(k.l2SecretKey)) throw new KeysError(`key file ${file}: l2SecretKey must be 0x-hex`);
  const sk = BigInt(k.l2SecretKey);
  if (sk === 0n || sk >= GRUMPKIN_ORDER) throw new KeysError(`key file ${file}: l2SecretKey is not a valid Grumpkin scalar`);
  return { l1PrivateKey: k.l1PrivateKey, l2SecretKey: k.l2SecretKey };
}

/** Loads the keys, creating any that are missing (never overwriting a file). */
export async function loadOrCreateKeys(dataDir: string): Promise<{ keys: NodeKeys; pub: PublicKeys }> {
  let keys = readKeys(dataDir);
  let created = false;
  if (!keys) {
    const l2 = generateKeyPair();
    keys = { l1PrivateKey: Wallet.createRandom().privateKey, l2SecretKey: toHex(l2.secretKey) };
    mkdirSync(dataDir, { recursive: true });
    const file = keysPath(dataDir);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
    created = true;
  }
  const peer = await loadOrCreatePeerKey(dataDir);
  const pk: Point = publicKeyOf(BigInt(keys.l2SecretKey));
  return {
    keys,
    pub: {
      dataDir, created: created || peer.created, l1Address: new Wallet(keys.l1PrivateKey).address,
      l2PublicKey: { x: toHex(pk.x), y: toHex(pk.y) }, peerId: peerIdFromPrivateKey(peer.key).toString(),
    },
  };
}
