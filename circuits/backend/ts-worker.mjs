// Entry of a worker_threads Worker that runs a TypeScript module: Node 20 workers do not
// inherit tsx from `--import tsx` in execArgv, so register tsx here, then import the module
// named by workerData.tsEntry (an absolute file: URL or path). Used by circuits/backend/crs.ts
// (dev CRS generation) and usable by any worker pool that runs .ts (e.g. prover workers).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

register();
const entry = workerData?.tsEntry;
if (typeof entry !== 'string') throw new Error('ts-worker.mjs: workerData.tsEntry (the .ts module to run) is missing');
await import(entry.startsWith('file:') ? entry : pathToFileURL(entry).href);
