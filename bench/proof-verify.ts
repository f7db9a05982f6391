// `npm run bench -- proof-verify [--rounds 20]`
// What a gossiped final proof costs the node that checks it (issue 18): one real single_1 block
// is proven through the prover pool (INSECURE dev CRS), then its final proof is verified
// `rounds` times in the verify thread (node/roles/proof-check.ts's bb step, prover/verifier.ts),
// and as many junk proofs of the same size with the same public inputs are refused there. The
// baseline in the same run is the cheap part of the check (SSZ decode of the message, public
// inputs compared with L1's): the ratio says how much of the check the gate has to ration.
// Ends with one JSON line: verifyMsPerProof (p50, mean), rejectMsPerJunk, cheapMsPerMessage, ratio.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { generateKeyPair, signTx, WorldState } from '../circuits/l2/index.js';
import { PROOF_KIND, decodeMessage, encodeMessage, fromHex, hex } from '../node/p2p/index.js';
import { Prover } from '../prover/index.js';
import { ProofVerifier } from '../prover/verifier.js';
import { Progress, log, printResult } from './lib/report.js';
import { BENCH_RECIPIENT } from './lib/blocks.js';

export async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--rounds');
  const rounds = i >= 0 ? Number(argv[i + 1]) : 20;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive whole number, got ${argv[i + 1]}`);
  const keys = [0, 1].map((k) => generateKeyPair(new Uint8Array([0xbf, k])));
  const state = await WorldState.create(keys.map((k, index) => ({ index, publicKey: k.publicKey, balance: 1000n })));
  const tx = signTx({ from: 0, to: 1, amount: 5n, nonce: 0 }, keys[0].secretKey);
  log('proving one single_1 block (real proof, INSECURE dev CRS)');
  const prover = await Prover.start({ workers: 1, threads: 1, crs: { dev: true } });
  const t0 = performance.now();
  const p = await prover.proveBlock({ blockHash: `0x${'bf'.repeat(32)}`, slot: 1n, preState: state, txs: [tx], recipient: BENCH_RECIPIENT, deadline: 0 });
  const proveMs = performance.now() - t0;
  await prover.close();

  const verifier = new ProofVerifier({ crs: { dev: true } });
  await verifier.warm();
  await verifier.verify({ name: p.circuit }, p.proof, p.publicInputs); // vk cached
  const verifyMs: number[] = [];
  const junkMs: number[] = [];
  const progress = new Progress('verify good + junk', 2 * rounds);
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    if (!(await verifier.verify({ name: p.circuit }, p.proof, p.publicInputs))) throw new Error('the real proof did not verify');
    verifyMs.push(performance.now() - t);
    t = performance.now();
    const ok = await verifier.verify({ name: p.circuit }, randomBytes(p.proof.length), p.publicInputs).catch(() => false);
    if (ok) throw new Error('a junk proof verified');
    junkMs.push(performance.now() - t);
    progress.tick(2 * r + 2);
  }
  await verifier.close();

  // baseline: the cheap checks every message gets before the gate (decode, public inputs vs L1's)
  const data = encodeMessage('proofs', {
    kind: PROOF_KIND.final, id: fromHex(p.rootJob, 32), slot: 1n, blockHash: fromHex(p.blockHash, 32), segment: 0,
    proof: p.proof, publicInputs: p.publicInputs.map((x) => fromHex(BigInt(x).toString(16).padStart(64, '0'), 32)),
  });
  const expected = p.publicInputs.slice(0, 4).map((x) => BigInt(x));
  const n = 2000;
  const tc = performance.now();
  for (let k = 0; k < n; k++) {
    const m = decodeMessage('proofs', data);
    if (m.publicInputs.slice(0, 4).some((x, j) => BigInt(hex(x)) !== expected[j])) throw new Error('inputs differ');
  }
  const cheapMs = (performance.now() - tc) / n;
  const sorted = [...verifyMs].sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  printResult({
    bench: 'proof-verify', circuit: p.circuit, proofBytes: p.proof.length, rounds, proveMs: Math.round(proveMs),
    verifyMsPerProof: { p50: round(sorted[Math.floor(sorted.length / 2)]), mean: round(mean(verifyMs)), max: round(sorted[sorted.length - 1]) },
    rejectMsPerJunk: round(mean(junkMs)), cheapMsPerMessage: round(cheapMs), verifyVsCheapRatio: Math.round(mean(verifyMs) / cheapMs),
  });
}
