// The L2 genesis file `sidecar node --genesis` reads (run-node.ts readGenesis) and `sidecar
// devnet` writes: {"accounts": [{index, x, y, balance}]}, keys as 0x hex, balances as decimal strings.
import { writeFileSync } from 'node:fs';
import { toHex, type GenesisAccount } from '../../circuits/l2/index.js';

export function writeGenesis(file: string, genesis: readonly GenesisAccount[]): void {
  const accounts = genesis.map((g) => ({ index: g.index, x: toHex(g.publicKey.x), y: toHex(g.publicKey.y), balance: String(g.balance) }));
  writeFileSync(file, JSON.stringify({ accounts }, null, 2));
}
