// The devnet's chain on disk and anvil's lifetime (node/l1/anvil.ts, anvil-guard.mjs), with a real
// anvil: the chain is saved atomically and loaded back; a damaged file falls back to the previous
// good copy; both damaged is a clear error; an anvil whose owner is killed with SIGKILL stops.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AnvilStateError, pickStateFile, previousStatePath, startAnvil } from '../../../node/l1/anvil.js';
import { waitPortClosed } from '../../helpers/devnet-process.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-anvil-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return ((await res.json()) as { result: unknown }).result;
}

test('the chain is saved atomically (a previous copy kept) and a restart continues it; a damaged file falls back to the previous copy', async () => {
  const file = path.join(dir, 'a', 'state.json');
  const a1 = await startAnvil({ statePath: file });
  await rpc(a1.rpcUrl, 'anvil_mine', ['0x5']);
  await a1.saveState();
  await rpc(a1.rpcUrl, 'anvil_mine', ['0x3']);
  await a1.stop(); // saves again: the first save becomes the previous copy
  assert.ok(existsSync(file) && existsSync(previousStatePath(file)));
  assert.ok(!existsSync(`${file}.tmp`), 'no temporary file left');

  const a2 = await startAnvil({ statePath: file });
  assert.equal(Number(await rpc(a2.rpcUrl, 'eth_blockNumber')), 8, 'the chain continues at block 8');
  const block1 = (await rpc(a2.rpcUrl, 'eth_getBlockByNumber', ['0x1', false])) as { hash: string } | null;
  assert.ok(block1?.hash, 'history is kept');
  await a2.stop();

  // a truncated file (a crash mid-write of something else): the previous good copy is loaded, with a warning
  const prevBlock = Number(JSON.parse(readFileSync(previousStatePath(file), 'utf8')).block.number);
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100));
  const warnings: string[] = [];
  const a3 = await startAnvil({ statePath: file }, (m) => warnings.push(m));
  assert.equal(Number(await rpc(a3.rpcUrl, 'eth_blockNumber')), prevBlock);
  assert.match(warnings.join('\n'), /is damaged .*loading the previous copy/);
  await a3.stop();
});

test('a saved chain whose file and previous copy are both damaged is refused with a clear error', () => {
  const file = path.join(dir, 'b', 'state.json');
  rmSync(path.dirname(file), { recursive: true, force: true });
  assert.equal(pickStateFile(file), undefined, 'nothing saved: a new chain');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '{"block": ');
  writeFileSync(previousStatePath(file), 'not json');
  assert.throws(() => pickStateFile(file), (e: Error) => e instanceof AnvilStateError && /cannot be loaded: .*state\.json: .*state\.json\.prev: /.test(e.message));
});


test('anvil stops when the process that started it is killed with SIGKILL (its guard sees the owner die)', async () => {
  const script = `
    import { startAnvil } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../../node/l1/anvil.ts'))};
    const a = await startAnvil({ ownProcessGroup: true });
    process.stdout.write('PORT ' + a.port + '\\n');
    setInterval(() => undefined, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`no port within 60 s: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
  });
  assert.ok(Number(await rpc(`http://127.0.0.1:${port}`, 'eth_chainId')) > 0, 'anvil answers while its owner lives');
  child.kill('SIGKILL');
  await waitPortClosed(port, 15_000);
});
