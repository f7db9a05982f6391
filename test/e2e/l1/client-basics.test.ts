// The protocol-independent parts of node/l1 on a real anvil with a real (OpenZeppelin) ERC-20:
// compile cache and errors, custom-error decoding, nonce recovery after failed sends, and event
// catch-up after a restart with a malformed log in the way.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Contract, ContractFactory, Interface, NonceManager, WebSocketProvider, type Wallet } from 'ethers';
import { CompileError, compileContracts, getArtifact } from '../../../node/l1/compile.js';
import { L1Error, errorInterface } from '../../../node/l1/errors.js';
import { TxSender } from '../../../node/l1/sender.js';
import { EventFollower, closeWebSocket, type ContractEvent } from '../../../node/l1/events.js';
import { devWallets, testProvider, useAnvil } from '../../helpers/anvil.js';

const TOKEN_SRC = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract BasicsToken is ERC20 {
  constructor() ERC20("Basics", "BSC") { _mint(msg.sender, 1000 ether); }
  /// A Transfer log whose data is empty: malformed for the ERC-20 ABI.
  function emitMalformed() external {
    bytes32 t = keccak256("Transfer(address,address,uint256)");
    assembly { log3(0, 0, t, 0, 0) }
  }
}
`;

// one anvil for the file (top level, so the helpers' `after` hooks run at the very end)
const anvil = await useAnvil();
const wsUrl = anvil.wsUrl;
const provider = testProvider(anvil.rpcUrl);
const wallets: Wallet[] = devWallets(provider, 3);
const art = getArtifact(compileContracts({ includeProtocol: false, extraSources: { 'test/BasicsToken.sol': TOKEN_SRC } }), 'BasicsToken', { deployable: true });
const iface = new Interface(art.abi as never);
const token = (await (await new ContractFactory(art.abi as never, art.bytecode, new NonceManager(wallets[0])).deploy()).waitForDeployment()) as Contract;

describe('node/l1 basics (real anvil, OpenZeppelin ERC-20)', { timeout: 120_000 }, () => {

  test('compile: cache hit on the second run, file:line errors on bad source', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-solc-'));
    try {
      const src = { 'test/Tiny.sol': '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\ncontract Tiny { uint256 public x = 7; }\n' };
      const a = compileContracts({ includeProtocol: false, extraSources: src, cacheDir: dir });
      const b = compileContracts({ includeProtocol: false, extraSources: src, cacheDir: dir });
      assert.equal(a.fromCache, false);
      assert.equal(b.fromCache, true);
      assert.equal(b.key, a.key);
      assert.equal(getArtifact(b, 'Tiny').bytecode, getArtifact(a, 'Tiny').bytecode);
      const c = compileContracts({ includeProtocol: false, extraSources: { 'test/Tiny.sol': src['test/Tiny.sol'].replace('7', '8') }, cacheDir: dir });
      assert.notEqual(c.key, a.key);
      assert.throws(
        () => compileContracts({ includeProtocol: false, cacheDir: dir, extraSources: { 'test/Bad.sol': 'pragma solidity ^0.8.24;\ncontract Bad {\n  function f() public { uint x = ; }\n}\n' } }),
        (e: unknown) => e instanceof CompileError && /test\/Bad\.sol:3:\d+: ParserError/.test(e.message),
      );
      assert.throws(() => getArtifact(a, 'Nope'), /no compiled contract named Nope \(have: Tiny\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a custom error is decoded by name and arguments before anything is sent', async () => {
    const sender = new TxSender(wallets[1], errorInterface([art.abi as never]));
    const nonce = await provider.getTransactionCount(wallets[1].address);
    await assert.rejects(sender.send(token, 'transfer', [wallets[2].address, 5n]), (e: unknown) => {
      assert.ok(e instanceof L1Error);
      assert.equal(e.code, 'ERC20InsufficientBalance');
      assert.equal(e.details.stage, 'preflight');
      assert.equal(e.details.args?.balance, 0n);
      assert.equal(e.details.args?.needed, 5n);
      assert.match(e.message, /transfer reverted: ERC20InsufficientBalance\(sender=0x[0-9a-fA-F]{40}, balance=0, needed=5\)/);
      return true;
    });
    assert.equal(await provider.getTransactionCount(wallets[1].address), nonce, 'nothing was sent');
    await assert.rejects(sender.send(token, 'transfer', ['0xnot-an-address', 1n]), (e: unknown) => e instanceof L1Error && e.code === 'bad-arguments');
  });

  test('nonce recovery: a send the RPC rejects, then one whose nonce another process took', async () => {
    const w = wallets[0];
    const sender = new TxSender(w, errorInterface([art.abi as never]));
    const first = await sender.send(token, 'transfer', [wallets[1].address, 1n]);
    assert.ok(first.gasUsed > 0n);
    // gas * price beyond the balance: the RPC refuses it, the NonceManager already counted it
    await assert.rejects(sender.send(token, 'transfer', [wallets[1].address, 1n], { maxFeePerGas: 10n ** 21n, maxPriorityFeePerGas: 1n }),
      (e: unknown) => e instanceof L1Error && e.code === 'insufficient-funds' && e.details.stage === 'send');
    const second = await sender.send(token, 'transfer', [wallets[1].address, 2n]);
    assert.equal(second.blockNumber, first.blockNumber + 1, 'mined with the next nonce, no gap');
    // another process sends from the same key: our cached nonce is stale -> reset and retry once
    const other = new NonceManager(w);
    await (await other.sendTransaction({ to: wallets[2].address, value: 1n })).wait();
    const third = await sender.send(token, 'transfer', [wallets[1].address, 3n]);
    assert.equal(third.receipt?.status, 1);
    assert.deepEqual(sender.stats, { sent: 3, preflightRefused: 0, sendFailed: 1, nonceRetries: 1, reverted: 0 });
    assert.equal(await token.balanceOf(wallets[1].address), 6n);
    // concurrent sends from one sender get consecutive nonces
    const many = await Promise.all([1n, 2n, 3n, 4n].map((v) => sender.send(token, 'transfer', [wallets[2].address, v])));
    assert.equal(new Set(many.map((m) => m.hash)).size, 4);
    assert.ok(many.every((m) => m.receipt?.status === 1));
  });

  test('a tx that passes pre-flight but reverts on chain is decoded from the mined state', async () => {
    const w = wallets[2];
    const sender = new TxSender(w, errorInterface([art.abi as never]));
    const balance = (await token.balanceOf(w.address)) as bigint;
    assert.ok(balance > 0n);
    await provider.send('evm_setAutomine', [false]);
    try {
      const nonce = await provider.getTransactionCount(w.address);
      // both pass pre-flight (each alone could spend the balance); the second one reverts when mined
      const first = sender.send(token, 'transfer', [wallets[0].address, balance]);
      const second = sender.send(token, 'transfer', [wallets[1].address, balance]);
      const outcomes = Promise.allSettled([first, second]);
      for (let i = 0; i < 200 && (await provider.getTransactionCount(w.address, 'pending')) < nonce + 2; i++) await new Promise((r) => setTimeout(r, 10));
      await provider.send('evm_mine', []);
      const [a, b] = await outcomes;
      assert.equal(a.status, 'fulfilled');
      assert.equal(b.status, 'rejected');
      const e = (b as PromiseRejectedResult).reason;
      assert.ok(e instanceof L1Error);
      assert.equal(e.code, 'ERC20InsufficientBalance');
      assert.equal(e.details.stage, 'mined');
      assert.match(e.message, /transfer reverted: ERC20InsufficientBalance\(.*\) \(mined in block \d+, tx 0x[0-9a-f]{64}\)/);
      assert.equal(sender.stats.reverted, 1);
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
  });

  test('event follower: catch-up from a stored cursor after a restart, malformed log skipped', async () => {
    const sender = new TxSender(wallets[0], errorInterface([art.abi as never]));
    const address = await token.getAddress();
    const start = await provider.getBlockNumber();
    const seen: ContractEvent[] = [];
    const errors: Error[] = [];
    let stored = start; // what a node would persist
    const ws1 = new WebSocketProvider(wsUrl);
    const f1 = new EventFollower({
      provider: ws1, contracts: [{ address, iface }], cursor: stored,
      onEvent: (e) => { seen.push(e); }, onCursor: (b) => { stored = b; }, onError: (e) => errors.push(e),
    });
    await f1.start();
    const a = await sender.send(token, 'transfer', [wallets[1].address, 11n]);
    await f1.waitFor(a.blockNumber);
    await f1.stop();
    closeWebSocket(ws1);
    assert.deepEqual(seen.map((e) => e.args.value), [11n]);
    assert.equal(stored, a.blockNumber);

    // while "down": two transfers and a malformed log
    await sender.send(token, 'transfer', [wallets[1].address, 12n]);
    const bad = await sender.send(token, 'emitMalformed', []);
    const c = await sender.send(token, 'transfer', [wallets[2].address, 13n]);

    const ws2 = new WebSocketProvider(wsUrl);
    const f2 = new EventFollower({
      provider: ws2, contracts: [{ address, iface }], cursor: stored, maxRange: 2,
      onEvent: (e) => { seen.push(e); }, onCursor: (b) => { stored = b; }, onError: (e) => errors.push(e),
    });
    await f2.start(); // resolves once caught up
    assert.deepEqual(seen.map((e) => e.args.value), [11n, 12n, 13n]);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, new RegExp(`malformed log at block ${bad.blockNumber}`));
    // live again: a new event arrives through the subscription
    const d = await sender.send(token, 'transfer', [wallets[2].address, 14n]);
    await f2.waitFor(d.blockNumber);
    assert.deepEqual(seen.map((e) => e.args.value), [11n, 12n, 13n, 14n]);
    assert.ok(stored >= d.blockNumber && c.blockNumber < d.blockNumber);
    await f2.stop();
    closeWebSocket(ws2);
  });
});
