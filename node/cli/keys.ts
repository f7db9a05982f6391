// The node's keys.
//   L1 (the account that sends L1 txs and signs quotes): never made up silently. It comes from,
//     first match wins: SIDECAR_PRIVATE_KEY / --private-key; an encrypted JSON keystore (the ethers
//     / geth format, `sidecar keys new`; --keystore with its password from --keystore-password-file
//     or SIDECAR_KEYSTORE_PASSWORD); or `l1PrivateKey` in <dataDir>/keys.json (a key file the
//     operator wrote). None: the node refuses to start (exit 2).
//   L2 (Grumpkin) and p2p (Ed25519) identities: created in the data dir on first use, never replaced:
//     <dataDir>/keys.json       {"l2SecretKey": "0x…"[, "l1PrivateKey": "0x…"]} (mode 0600)
//     <dataDir>/p2p/peer-key    the libp2p identity (node/p2p/peer-key.ts)
// `sidecar keys` prints the public parts only.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { generateKeyPair, publicKeyOf, toHex, GRUMPKIN_ORDER, type Point } from '../../circuits/l2/index.js';
import { loadOrCreatePeerKey } from '../p2p/peer-key.js';

export class KeysError extends Error {
  constructor(message: string) { super(message); this.name = 'KeysError'; }
}

export interface NodeKeys { l1PrivateKey?: string; l2SecretKey: string }
export interface PublicKeys { dataDir: string; created: boolean; l1Address?: string; l2PublicKey: { x: string; y: string }; peerId: string }

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
  if (k?.l1PrivateKey !== undefined && (typeof k.l1PrivateKey !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(k.l1PrivateKey))) throw new KeysError(`key file ${file}: l1PrivateKey must be 0x followed by 64 hex digits`);
  if (typeof k.l2SecretKey !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(k.l2SecretKey)) throw new KeysError(`key file ${file}: l2SecretKey must be 0x-hex`);
  const sk = BigInt(k.l2SecretKey);
  if (sk === 0n || sk >= GRUMPKIN_ORDER) throw new KeysError(`key file ${file}: l2SecretKey is not a valid Grumpkin scalar`);
  return { l1PrivateKey: k.l1PrivateKey, l2SecretKey: k.l2SecretKey };
}

/** Loads the keys, creating the L2 and p2p ones when missing (never an L1 key; never overwriting a file). */
export async function loadOrCreateKeys(dataDir: string): Promise<{ keys: NodeKeys; pub: PublicKeys }> {
  let keys = readKeys(dataDir);
  let created = false;
  if (!keys) {
    keys = { l2SecretKey: toHex(generateKeyPair().secretKey) };
    mkdirSync(dataDir, { recursive: true });
    writePrivate(keysPath(dataDir), `${JSON.stringify(keys, null, 2)}\n`);
    created = true;
  }
  const peer = await loadOrCreatePeerKey(dataDir);
  const pk: Point = publicKeyOf(BigInt(keys.l2SecretKey));
  return {
    keys,
    pub: {
      dataDir, created: created || peer.created, l1Address: keys.l1PrivateKey ? new Wallet(keys.l1PrivateKey).address : undefined,
      l2PublicKey: { x: toHex(pk.x), y: toHex(pk.y) }, peerId: peerIdFromPrivateKey(peer.key).toString(),
    },
  };
}

/** Writes a file readable by its owner only, atomically; refuses to replace one. */
function writePrivate(file: string, text: string): void {
  if (existsSync(file)) throw new KeysError(`${file} exists; refusing to overwrite a key (move it away first)`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The keystore password: the file's first line (trailing newline stripped), else SIDECAR_KEYSTORE_PASSWORD. */
export function keystorePassword(opts: { passwordFile?: string; env?: NodeJS.ProcessEnv }): string {
  if (opts.passwordFile) {
    let text: string;
    try {
      text = readFileSync(opts.passwordFile, 'utf8');
    } catch (e) {
      throw new KeysError(`keystore password file ${opts.passwordFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
    }
    const pw = text.split(/\r?\n/)[0];
    if (!pw) throw new KeysError(`keystore password file ${opts.passwordFile} is empty`);
    return pw;
  }
  const pw = (opts.env ?? process.env).SIDECAR_KEYSTORE_PASSWORD;
  if (!pw) throw new KeysError('a keystore needs its password: --keystore-password-file <file> or SIDECAR_KEYSTORE_PASSWORD');
  return pw;
}

/** `sidecar keys new`: a new random L1 key, encrypted (scrypt, the ethers/geth JSON format) into `out`. */
export async function newKeystore(out: string, password: string): Promise<{ address: string; keystore: string }> {
  if (password.length < 8) throw new KeysError('the keystore password must have at least 8 characters');
  if (existsSync(out)) throw new KeysError(`${out} exists; refusing to overwrite a key (pick another --out)`);
  const w = Wallet.createRandom();
  const json = await w.encrypt(password);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writePrivate(out, `${json}\n`);
  return { address: w.address, keystore: path.resolve(out) };
}

/** Decrypts a keystore file; a wrong password or a damaged file is a KeysError naming the file. */
export async function loadKeystore(file: string, password: string): Promise<string> {
  let json: string;
  try {
    json = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeysError(`keystore ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  try {
    return (await Wallet.fromEncryptedJson(json, password)).privateKey;
  } catch (e) {
    const msg = (e as Error).message;
    throw new KeysError(`keystore ${file}: ${/password/i.test(msg) ? 'wrong password' : `cannot be read (${msg.split('(')[0].trim()})`}`);
  }
}

/** Where the node's L1 key comes from (the first source that has one), or undefined. */
export async function resolveL1Key(opts: { privateKey?: string; keystore?: string; passwordFile?: string; dataDir: string; env?: NodeJS.ProcessEnv }): Promise<{ key: string; source: string } | undefined> {
  if (opts.privateKey) return { key: opts.privateKey, source: 'SIDECAR_PRIVATE_KEY / --private-key' };
  if (opts.keystore) return { key: await loadKeystore(opts.keystore, keystorePassword({ passwordFile: opts.passwordFile, env: opts.env })), source: `keystore ${opts.keystore}` };
  const k = readKeys(opts.dataDir)?.l1PrivateKey;
  if (k) return { key: k, source: `key file ${keysPath(opts.dataDir)}` };
  return undefined;
}
