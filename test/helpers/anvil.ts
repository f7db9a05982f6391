// One place that starts a real anvil for a test suite and always stops it, plus the chain
// controls tests use (mine on demand, snapshots, funded wallets).
import { after } from 'node:test';
import { HDNodeWallet, JsonRpcProvider, Wallet, toQuantity, type Provider } from 'ethers';
import { DEFAULT_MNEMONIC, startAnvil, type Anvil, type AnvilOptions } from '../../node/l1/anvil.js';

/** Starts anvil on a random loopback port; registers an `after` hook that stops it. */
export async function useAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  const anvil = await startAnvil(opts);
  after(() => anvil.stop());
  return anvil;
}

/** An HTTP provider for tests: no response caching (cacheTimeout -1), fast polling. */
export function testProvider(rpcUrl: string): JsonRpcProvider {
  const p = new JsonRpcProvider(rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true, pollingInterval: 50 });
  after(() => p.destroy());
  return p;
}

/** The anvil dev accounts (funded with ETH), index 0.. of the default mnemonic. */
export function devWallets(provider: Provider, count: number, mnemonic = DEFAULT_MNEMONIC): Wallet[] {
  return Array.from({ length: count }, (_, i) => {
    const hd = HDNodeWallet.fromPhrase(mnemonic, undefined, `m/44'/60'/0'/0/${i}`);
    return new Wallet(hd.privateKey, provider);
  });
}

type Rpc = Pick<JsonRpcProvider, 'send'>;

/** Mine `n` empty L1 blocks at once. */
export async function mine(provider: Rpc, n = 1): Promise<void> {
  if (n > 0) await provider.send('anvil_mine', [toQuantity(n)]);
}

/** Mine until the chain head is `block` (no-op when already there or past). */
export async function mineTo(provider: Rpc & Pick<Provider, 'getBlockNumber'>, block: number | bigint): Promise<void> {
  const head = await provider.getBlockNumber();
  await mine(provider, Number(block) - head);
}

export async function snapshot(provider: Rpc): Promise<string> {
  return provider.send('evm_snapshot', []);
}

/** Revert to a snapshot (which anvil consumes: take a new one to revert again). */
export async function revertTo(provider: Rpc, id: string): Promise<void> {
  const ok = await provider.send('evm_revert', [id]);
  if (!ok) throw new Error(`evm_revert(${id}) failed`);
}
