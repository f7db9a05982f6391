// Piscina worker entry: Node 20 worker threads do not inherit tsx from `--import tsx`, so
// register tsx here, then load the TypeScript worker and hand Piscina its handler.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
export default mod.default;
