// `tsx node/l1/deploy.ts` on a real anvil: one command deploys token, verifier and Sidecar with
// the given parameters and writes a deployment file the loader validates and the client reads.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Interface, NonceManager, concat, toBeHex } from 'ethers';
import { SidecarClient } from '../../../node/l1/client.js';
import { REPO_ROOT, compileContracts, getArtifact } from '../../../node/l1/compile.js';
import { deployContract, deployProtocol, loadDeployment } from '../../../node/l1/deploy.js';
import { L1Error } from '../../../node/l1/errors.js';
import { signatureProof } from '../../../node/l1/signature-verifier.js';
import { devWallets, testProvider, useAnvil } from '../../helpers/anvil.js';

const anvil = await useAnvil();
const provider = testProvider(anvil.rpcUrl);
const [deployer, other] = devWallets(provider, 2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-deploy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function deployCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'node/l1/deploy.ts', '--rpc', anvil.rpcUrl, ...args], {
      cwd: REPO_ROOT, env: { ...process.env, SIDECAR_PRIVATE_KEY: deployer.privateKey }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('deploy command (real anvil)', { timeout: 180_000 }, () => {
  const out = path.join(dir, 'deployment.json');

  test('one command deploys with parameters; the file loads and matches the chain', async () => {
    const none = await deployCli(['--out', out]);
    assert.equal(none.code, 2, 'no verifier chosen: a usage error');
    assert.match(none.stderr, /choose the L1 verifier: --verifier <address>.*--signature-verifier/);
    const r = await deployCli(['--out', out, '--signature-verifier', '--proposal-blocks', '5', '--reveal-blocks', '3', '--commit-blocks', '2', '--proving-blocks', '30',
      '--early-proofs', 'false', '--min-prover-deposit', '7', '--fund-rewards', '1000', '--mint', `${other.address}=55`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: INSECURE: the stand-in SignatureVerifier/);
    const d = loadDeployment(out);
    assert.equal(d.verifierKind, 'signature');
    assert.equal(d.verifierSigner, deployer.address);
    assert.equal(d.config.proposalBlocks, 5);
    assert.equal(d.config.earlyProofs, false);
    assert.equal(d.config.minProverDeposit, 7n);
    assert.equal(d.config.genesisBlock, d.deployBlock + 1);
    const c = SidecarClient.connect({ deployment: d, rpc: provider });
    const cfg = await c.config();
    assert.equal(cfg.revealBlocks, 3);
    assert.equal(cfg.commitBlocks, 2);
    assert.equal(cfg.provingBlocks, 30);
    assert.equal(cfg.proverExclusiveBlocks, 2, 'the exclusive window defaults to at most half the proof window (4-block submission phase)');
    assert.deepEqual([cfg.slashBurnBps, cfg.slashBountyBps], [2000, 100], 'the slash burn and bounty defaults');
    assert.equal(cfg.verifier, d.verifier);
    assert.equal(await c.rewardPool(), 1000n);
    assert.equal(await c.tokenBalance(other.address), 55n);
    const t = await c.slotTiming(1);
    assert.equal(t.proofsFrom, t.submissionStart, 'earlyProofs false: proofs from the submission phase');
    assert.equal(await c.slotPeriod(), 10);
  });

  test('reusing an existing token and verifier', async () => {
    const first = loadDeployment(out);
    const out2 = path.join(dir, 'second.json');
    const r = await deployCli(['--out', out2, '--token', first.token, '--verifier', first.verifier]);
    assert.equal(r.code, 0, r.stderr);
    const d = loadDeployment(out2);
    assert.equal(d.token, first.token);
    assert.equal(d.verifier, first.verifier);
    assert.equal(d.verifierKind, 'address');
    assert.equal(d.testToken, false);
    assert.notEqual(d.sidecar, first.sidecar);
  });

  test('any compiled contract as the verifier (artifact kind), e.g. a generated one', async () => {
    const d = await deployProtocol({ signer: deployer, verifier: { kind: 'artifact', name: 'SignatureVerifier', args: [other.address] } });
    assert.equal(d.verifierKind, 'artifact');
    assert.equal(d.verifierArtifact, 'src/verifiers/SignatureVerifier.sol:SignatureVerifier');
    const code = await provider.getCode(d.verifier);
    assert.ok(code.length > 2);
    await assert.rejects(deployProtocol({ signer: deployer, verifier: { kind: 'artifact', name: 'NoSuchVerifier' } }), /no compiled contract named NoSuchVerifier/);
  });

  test('deployContract: a verifier router over per-circuit verifiers, constructor errors decoded', async () => {
    const compiled = compileContracts();
    const signer = new NonceManager(deployer);
    const sig = await deployContract(signer, compiled, 'SignatureVerifier', [deployer.address]);
    const router = await deployContract(signer, compiled, 'HonkVerifierRouter', [[1], [sig.address]]);
    const iface = new Interface(getArtifact(compiled, 'IVerifier').abi as never);
    const inputs = [toBeHex(1n, 32), toBeHex(2n, 32), toBeHex(3n, 32), toBeHex(4n, 32)];
    const proof = await signatureProof(deployer, sig.address, 31337n, inputs);
    const verify = async (p: string) => iface.decodeFunctionResult('verify', await provider.call({ to: router.address, data: iface.encodeFunctionData('verify', [p, inputs]) }))[0];
    assert.equal(await verify(concat(['0x01', proof])), true, 'tag 1 routes to the signature verifier');
    assert.equal(await verify(concat(['0x02', proof])), false, 'unknown tag');
    assert.equal(await verify(concat(['0x01', await signatureProof(other, sig.address, 31337n, inputs)])), false, 'wrong signer');
    await assert.rejects(deployContract(signer, compiled, 'HonkVerifierRouter', [[1, 1], [sig.address, sig.address]]),
      (e: unknown) => e instanceof L1Error && e.code === 'DuplicateTag' && /DuplicateTag\(tag=1\)/.test(e.message));
  });

  test('bad parameters fail with a clear message and write nothing', async () => {
    const bad = path.join(dir, 'bad.json');
    const a = await deployCli(['--out', bad, '--signature-verifier', '--proposal-blocks', 'four']);
    assert.equal(a.code, 2, 'a bad flag is a usage error');
    assert.match(a.stderr, /--proposal-blocks must be a non-negative integer, got four/);
    const b = await deployCli(['--out', bad, '--signature-verifier', '--reorg-window', '0']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /deploy Sidecar reverted: InvalidConfig\(reason=reorgWindow in 1\.\.128 \(a slash walks every pending block in one tx\)\)/);
    const c = await deployCli(['--out', bad, '--verifier', other.address]);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /no contract at verifier address/);
    assert.throws(() => loadDeployment(bad), /cannot read deployment file/);
  });
});
