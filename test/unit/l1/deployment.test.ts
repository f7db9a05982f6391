// The deployment file loader: a valid file round-trips; every bad field is named.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DeploymentFileError, deploymentToJSON, loadDeployment, parseDeployment, saveDeployment } from '../../../node/l1/deploy.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-depl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const good = {
  version: 1, chainId: '31337', deployer: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', deployBlock: 3,
  sidecar: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0', token: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  verifier: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', verifierKind: 'signature', verifierSigner: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  testToken: true,
  config: {
    genesisBlock: 4, genesisRoot: '0x' + '00'.repeat(32), proposalBlocks: 4, revealBlocks: 4, commitBlocks: 4, provingBlocks: 40,
    submissionBlocks: 4, earlyProofs: true, reorgWindow: 8, minStake: '1000000000000000000000', activationDelay: 1, exitDelay: 64,
    minProverDeposit: '100', blockReward: '10', submissionReward: '1', depositRankCap: '0', commitmentRegistry: '0x' + '00'.repeat(20),
  },
  rewardsFunded: '0',
};

test('a valid deployment parses (addresses checksummed, amounts as bigint) and round-trips through a file', () => {
  const d = parseDeployment(good);
  assert.equal(d.deployer, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  assert.equal(d.chainId, 31337n);
  assert.equal(d.config.minStake, 1000n * 10n ** 18n);
  const f = path.join(dir, 'd.json');
  saveDeployment(f, d);
  assert.deepEqual(loadDeployment(f), d);
  assert.equal(JSON.parse(deploymentToJSON(d)).config.minStake, '1000000000000000000000');
});

test('every bad field is named in one clear error', () => {
  const bad = structuredClone(good) as Record<string, unknown> & { config: Record<string, unknown> };
  bad.sidecar = '0x1234';
  bad.config.proposalBlocks = -1;
  bad.config.minStake = 'lots';
  delete bad.token;
  assert.throws(() => parseDeployment(bad, 'deployment file x.json'), (e: unknown) => {
    assert.ok(e instanceof DeploymentFileError);
    assert.match(e.message, /^deployment file x\.json is not a valid Sidecar deployment:/);
    assert.match(e.message, /sidecar: expected a 0x-prefixed 20-byte address/);
    assert.match(e.message, /token: /);
    assert.match(e.message, /config\.proposalBlocks: /);
    assert.match(e.message, /config\.minStake: expected a non-negative integer, got "lots"/);
    return true;
  });
});

test('missing and non-JSON files', () => {
  assert.throws(() => loadDeployment(path.join(dir, 'nope.json')), /cannot read deployment file .*nope\.json.*tsx node\/l1\/deploy\.ts --out/);
  const f = path.join(dir, 'broken.json');
  writeFileSync(f, '{"version": 1,');
  assert.throws(() => loadDeployment(f), /deployment file .*broken\.json is not JSON/);
});
