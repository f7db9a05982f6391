// One place that starts a real anvil for a test suite and always stops it.
import { after } from 'node:test';
import { startAnvil, type Anvil, type AnvilOptions } from '../../node/l1/anvil.js';

/** Starts anvil on a random loopback port; registers an `after` hook that stops it. */
export async function useAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  const anvil = await startAnvil(opts);
  after(() => anvil.stop());
  return anvil;
}
