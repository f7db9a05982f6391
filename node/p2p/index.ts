// The sidecar p2p network (SPEC §6, docs/design.md "Network").
export * from './topics.js';
export * from './codec.js';
export * from './validation.js';
export * from './queue.js';
export * from './metrics.js';
export * from './peer-key.js';
export * from './reqresp.js';
export * from './host.js';
export * from './gate.js';
export * from './seen.js';
export * from './peers.js';
