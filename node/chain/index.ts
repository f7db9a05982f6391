// The node's L2 chain state, derived from the Sidecar contract's events (see sync.ts).
export * from './sync.js';
export * from './repos.js';
export { WriteSet } from './writeset.js';
