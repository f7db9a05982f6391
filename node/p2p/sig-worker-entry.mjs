// Piscina worker entry of the signature thread (node/p2p/signatures.ts): Node 20 worker threads do
// not inherit tsx from `--import tsx`, so register tsx here, then load the TypeScript handler.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./sig-worker.ts');
export default mod.default;
