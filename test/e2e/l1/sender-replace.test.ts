// TxSender's resend of a stuck tx on a real anvil with automine off: a tx whose fee is under the
// base fee is not mined; after `afterBlocks` blocks it is resent with the same nonce and fees
// bumped (>= +12.5%, at most the cap), and exactly one version lands: the call runs once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Contract, ContractFactory, NonceManager, toQuantity } from 'ethers';
import { compileContracts, getArtifact } from '../../../node/l1/compile.js';
import { errorInterface } from '../../../node/l1/errors.js';
import { TxSender, bumpFee, type Sent } from '../../../node/l1/sender.js';
import { devWallets, mine, testProvider, useAnvil } from '../../helpers/anvil.js';

const COUNTER_SRC = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract ResendCounter { uint256 public n; function bump() external { n++; } }
`;
const gwei = 10n ** 9n;

const anvil = await useAnvil();
const provider = testProvider(anvil.rpcUrl);
const [deployer, key] = devWallets(provider, 2);
const art = getArtifact(compileContracts({ includeProtocol: false, extraSources: { 'test/ResendCounter.sol': COUNTER_SRC } }), 'ResendCounter', { deployable: true });
const counter = (await (await new ContractFactory(art.abi as never, art.bytecode, new NonceManager(deployer)).deploy()).waitForDeployment()) as Contract;

/** Mines one block at a time with the base fee forced to `baseFee` until `p` settles (bounded). */
async function mineUntil<T>(p: Promise<T>, baseFee: () => bigint, maxBlocks = 40): Promise<PromiseSettledResult<T>> {
  const settled = Promise.allSettled([p]).then(([r]) => r);
  let done: PromiseSettledResult<T> | undefined;
  void settled.then((r) => { done = r; });
  for (let i = 0; i < maxBlocks && !done; i++) {
    await provider.send('anvil_setNextBlockBaseFeePerGas', [toQuantity(baseFee())]);
    await provider.send('evm_mine', []);
    await new Promise((r) => setTimeout(r, 120));
  }
  return done ?? Promise.race([settled, new Promise<PromiseSettledResult<T>>((r) => setTimeout(() => r({ status: 'rejected', reason: new Error(`not settled after ${maxBlocks} blocks`) }), 1000))]);
}

describe('TxSender: resend a stuck tx with a higher fee (real anvil, automine off)', { timeout: 120_000 }, () => {
  test('stuck under the base fee → resent with the same nonce and bumped fees → mined once', async () => {
    const sender = new TxSender(key, errorInterface([art.abi as never]));
    const nonce = await provider.getTransactionCount(key.address, 'latest');
    const before = (await counter.n()) as bigint;
    await provider.send('evm_setAutomine', [false]);
    try {
      const sent = sender.send(counter, 'bump', [], {
        maxFeePerGas: 2n * gwei, maxPriorityFeePerGas: 1n * gwei,
        replace: { afterBlocks: 2, maxFeePerGas: 50n * gwei, pollMs: 40 },
      });
      for (let i = 0; i < 200 && sender.stats.sent === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(sender.stats.sent, 1, 'the first version was broadcast');
      const r = await mineUntil(sent, () => 10n * gwei);
      assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      const out = (r as PromiseFulfilledResult<Sent>).value;
      assert.equal(out.receipt?.status, 1);
      assert.ok(sender.resends.sent >= 1, 'resent at least once');
      const mined = (await provider.getTransaction(out.hash))!;
      assert.equal(mined.nonce, nonce, 'same nonce');
      assert.ok(mined.maxFeePerGas! >= bumpFee(2n * gwei) && mined.maxFeePerGas! >= 10n * gwei && mined.maxFeePerGas! <= 50n * gwei, `maxFeePerGas ${mined.maxFeePerGas}`);
      assert.ok(mined.maxPriorityFeePerGas! >= bumpFee(1n * gwei), `maxPriorityFeePerGas ${mined.maxPriorityFeePerGas}`);
      // more blocks: no other version lands, the call ran exactly once
      await provider.send('anvil_setNextBlockBaseFeePerGas', [toQuantity(1n * gwei)]);
      await mine(provider, 3);
      assert.equal(await provider.getTransactionCount(key.address, 'latest'), nonce + 1);
      assert.equal((await counter.n()) as bigint, before + 1n);
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
  });

  test('the cap bounds every resend: nothing above maxFeePerGas is sent; it lands when the base fee drops', async () => {
    const sender = new TxSender(key, errorInterface([art.abi as never]));
    const nonce = await provider.getTransactionCount(key.address, 'latest');
    const before = (await counter.n()) as bigint;
    const cap = 3n * gwei;
    await provider.send('evm_setAutomine', [false]);
    try {
      const sent = sender.send(counter, 'bump', [], {
        maxFeePerGas: 2n * gwei, maxPriorityFeePerGas: 1n * gwei,
        replace: { afterBlocks: 1, maxFeePerGas: cap, pollMs: 40 },
      });
      for (let i = 0; i < 200 && sender.stats.sent === 0; i++) await new Promise((r) => setTimeout(r, 20));
      let blocks = 0;
      // 8 blocks at 10 gwei (nothing can land under the cap), then 1 gwei
      const r = await mineUntil(sent, () => (blocks++ < 8 ? 10n * gwei : 1n * gwei));
      assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      const out = (r as PromiseFulfilledResult<Sent>).value;
      const mined = (await provider.getTransaction(out.hash))!;
      assert.equal(mined.nonce, nonce);
      assert.ok(mined.maxFeePerGas! <= cap, `maxFeePerGas ${mined.maxFeePerGas} <= cap ${cap}`);
      assert.ok(blocks > 8, 'it stayed stuck while the base fee was over the cap');
      assert.ok(sender.resends.sent + sender.resends.refused >= 1, 'resends were tried, all under the cap');
      await mine(provider, 2);
      assert.equal(await provider.getTransactionCount(key.address, 'latest'), nonce + 1);
      assert.equal((await counter.n()) as bigint, before + 1n);
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
  });
});
