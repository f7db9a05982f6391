// worker_threads entry (through ts-worker.mjs): one slice of the INSECURE dev CRS's G1 points.
import { parentPort, workerData } from 'node:worker_threads';
import { generateG1Range } from './crs.js';

const { tau, start, count } = workerData as { tau: string; start: number; count: number };
const bytes = generateG1Range(BigInt(tau), start, count);
const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
parentPort!.postMessage({ bytes: view }, [view.buffer as ArrayBuffer]);
