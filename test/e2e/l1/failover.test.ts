// L1 RPC failover (node/l1/failover.ts) against real anvils: a dead first URL moves calls to the
// next one (logged once, credentials redacted); an L1 that dies mid-run moves them too; a JSON-RPC
// error answer is an answer and never moves them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { FailoverRpcProvider, redactUrl } from '../../../node/l1/failover.js';
import { useAnvil } from '../../helpers/anvil.js';

async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a refused first URL: calls go to the next one, and the switch is reported once with the URLs redacted', async () => {
  const anvil = await useAnvil();
  const dead = `http://user:secret@127.0.0.1:${await deadPort()}/key123`;
  const switches: string[][] = [];
  const p = new FailoverRpcProvider([dead, anvil.rpcUrl], 31337, { onSwitch: (f, t, why) => switches.push([f, t, why]) });
  after(() => p.destroy());
  assert.equal(await p.getBlockNumber(), 0);
  assert.equal(await p.getBlockNumber(), 0);
  assert.equal(switches.length, 1, JSON.stringify(switches));
  assert.equal(switches[0][0], `http://127.0.0.1:${new URL(dead).port}/…`);
  assert.equal(switches[0][1], redactUrl(anvil.rpcUrl));
  assert.doesNotMatch(JSON.stringify(switches), /secret|key123/);
  assert.equal(p.url, anvil.rpcUrl);
});

test('the L1 in use dies: the next call is answered by the other one; a JSON-RPC error does not move calls', async () => {
  const a = await useAnvil();
  const b = await useAnvil();
  const pb = new FailoverRpcProvider([b.rpcUrl], 31337);
  after(() => pb.destroy());
  await pb.send('anvil_mine', ['0x7']); // b is at block 7, a at 0: who answers is visible
  const p = new FailoverRpcProvider([a.rpcUrl, b.rpcUrl], 31337);
  after(() => p.destroy());
  assert.equal(await p.getBlockNumber(), 0);
  await assert.rejects(p.send('no_such_method', []), /no_such_method|not supported|Method not found/i);
  assert.equal(p.url, a.rpcUrl, 'an error answer is not a transport failure');
  assert.equal(p.switches, 0);
  await a.stop();
  assert.equal(await p.getBlockNumber(), 7);
  assert.equal(p.switches, 1);
  assert.equal(p.url, b.rpcUrl);
});
