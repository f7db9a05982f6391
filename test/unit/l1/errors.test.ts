// Revert data -> L1Error: custom errors with enum labels, Error(string), Panic, unknown data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbiCoder, Interface, id } from 'ethers';
import { L1Error, decodeRevert, errorInterface, toL1Error } from '../../../node/l1/errors.js';

const abi = [
  { type: 'error', name: 'WrongPhase', inputs: [{ name: 'slot', type: 'uint256', internalType: 'uint256' }, { name: 'expected', type: 'uint8', internalType: 'enum ISidecar.Phase' }, { name: 'actual', type: 'uint8', internalType: 'enum ISidecar.Phase' }] },
  { type: 'error', name: 'ZeroProver', inputs: [] },
];
const iface = errorInterface([abi, abi], { Phase: ['NotStarted', 'Proposal', 'Reveal'] });
const enc = (sig: string, types: string[], values: unknown[]) => id(sig).slice(0, 10) + AbiCoder.defaultAbiCoder().encode(types, values).slice(2);

test('custom error: name, named args, enum labels; duplicates across ABIs merged', () => {
  assert.equal(iface.fragments.length, 2);
  const e = decodeRevert(iface, enc('WrongPhase(uint256,uint8,uint8)', ['uint256', 'uint8', 'uint8'], [7n, 1, 2]), { method: 'propose' });
  assert.equal(e.code, 'WrongPhase');
  assert.equal(e.message, 'propose reverted: WrongPhase(slot=7, expected=Proposal, actual=Reveal)');
  assert.deepEqual(e.details.args, { slot: 7n, expected: 'Proposal', actual: 'Reveal' });
  // an enum value with no label stays a number
  assert.match(decodeRevert(iface, enc('WrongPhase(uint256,uint8,uint8)', ['uint256', 'uint8', 'uint8'], [7n, 1, 9])).message, /actual=9\)/);
  assert.equal(decodeRevert(iface, id('ZeroProver()').slice(0, 10)).message, 'call reverted: ZeroProver()');
});

test('Error(string), Panic, unknown and empty revert data', () => {
  const s = decodeRevert(iface, enc('Error(string)', ['string'], ['nope']), { method: 'x' });
  assert.equal(s.code, 'revert');
  assert.equal(s.message, 'x reverted: nope');
  const p = decodeRevert(iface, enc('Panic(uint256)', ['uint256'], [0x11n]));
  assert.equal(p.code, 'panic');
  assert.match(p.message, /panic 0x11 \(arithmetic overflow or underflow\)/);
  const u = decodeRevert(iface, '0xdeadbeef0000');
  assert.equal(u.code, 'revert');
  assert.match(u.message, /unknown error data 0xdeadbeef \(6 bytes\)/);
  assert.match(decodeRevert(iface, '0x').message, /without a reason/);
});

test('ethers-shaped errors: revert data found in nested error objects; transport failures classified', () => {
  const nested = { code: 'UNKNOWN_ERROR', error: { message: 'execution reverted', data: id('ZeroProver()').slice(0, 10) } };
  const e = toL1Error(iface, nested, { method: 'commitProver', stage: 'preflight' });
  assert.ok(e instanceof L1Error);
  assert.equal(e.code, 'ZeroProver');
  assert.equal(toL1Error(iface, new Error('insufficient funds for gas * price + value')).code, 'insufficient-funds');
  assert.equal(toL1Error(iface, new Error('nonce too low: next nonce 5, tx nonce 4')).code, 'nonce');
  const r = toL1Error(iface, new Error('connect ECONNREFUSED 127.0.0.1:1'), { method: 'stake' });
  assert.equal(r.code, 'rpc');
  assert.equal(r.message, 'stake: connect ECONNREFUSED 127.0.0.1:1');
  // the raw cause stays reachable but out of util.inspect output
  assert.ok(!Object.keys(r.details).includes('cause'));
  assert.ok(r.details.cause instanceof Error);
  assert.ok(new Interface(abi).getError('ZeroProver'));
});
