// The L2 model shared by circuits/, prover/ and node/ (SPEC §4, docs/design.md).
export * from './field.js';
export * from './poseidon2.js';
export * from './grumpkin.js';
export * from './tx.js';
export * from './commitment.js';
export * from './tree.js';
export * from './state.js';
