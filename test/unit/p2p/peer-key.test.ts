import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { PeerKeyError, loadOrCreatePeerKey, peerKeyPath } from '../../../node/p2p/index.js';

describe('p2p persistent peer key', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const dir = async () => { const d = await mkdtemp(path.join(os.tmpdir(), 'sidecar-key-')); dirs.push(d); return d; };

  it('creates a key on first start (mode 0600) and reuses it after', async () => {
    const d = await dir();
    const a = await loadOrCreatePeerKey(d);
    assert.equal(a.created, true);
    assert.equal((await stat(peerKeyPath(d))).mode & 0o777, 0o600);
    const b = await loadOrCreatePeerKey(d);
    assert.equal(b.created, false);
    assert.equal(peerIdFromPrivateKey(b.key as never).toString(), peerIdFromPrivateKey(a.key as never).toString());
  });

  it('a corrupt key file is a clear error and is left in place', async () => {
    const d = await dir();
    await loadOrCreatePeerKey(d);
    await writeFile(peerKeyPath(d), 'not a key');
    await assert.rejects(loadOrCreatePeerKey(d), (e) => e instanceof PeerKeyError && /corrupt/.test(e.message) && e.message.includes(peerKeyPath(d)));
    assert.equal((await stat(peerKeyPath(d))).size, 9);
  });
});
