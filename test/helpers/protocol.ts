// Starts a real anvil, deploys the protocol (test token, stand-in SignatureVerifier or the
// generated UltraHonk verifiers behind HonkVerifierRouter, Sidecar) and hands out funded,
// approved clients per role. One per test file; always cleaned up.
import { after } from 'node:test';
import { MaxUint256, type Wallet } from 'ethers';
import type { Anvil } from '../../node/l1/anvil.js';
import { SidecarClient, type SlotTiming } from '../../node/l1/client.js';
import { deployProtocol, type Deployment, type ProtocolParams, type VerifierChoice } from '../../node/l1/deploy.js';
import { devWallets, mine, mineTo, revertTo, snapshot, testProvider, useAnvil } from './anvil.js';

const E18 = 10n ** 18n;

export interface ProtocolFixture {
  anvil: Anvil;
  provider: ReturnType<typeof testProvider>;
  deployment: Deployment;
  /** wallet 0: deployer, reward funder and the SignatureVerifier's proof signer */
  deployer: Wallet;
  /** one client per dev wallet (index = anvil account), each with tokens and a max allowance */
  clients: SidecarClient[];
  wallets: Wallet[];
  mine(n?: number): Promise<void>;
  mineTo(block: number | bigint): Promise<void>;
  /** Take a snapshot; the returned function reverts to it (as often as needed) and resets every client's nonce. */
  snapshot(): Promise<() => Promise<void>>;
  /** Mine so that the next transaction lands in block `n` of slot `slot`'s timing key. */
  nextTxAt(slot: bigint | number, at: keyof SlotTiming, offset?: number): Promise<number>;
}

export interface ProtocolFixtureOptions {
  params?: Partial<ProtocolParams>;
  accounts?: number;
  /** tokens minted to every account (default 1e6 tokens) */
  mintEach?: bigint;
  fundRewards?: bigint;
  /** the L1 verifier: the generated UltraHonk verifiers of these circuits behind HonkVerifierRouter
   *  (INSECURE dev CRS; prover/l1-verify.ts deployHonkRouter). Default: the stand-in SignatureVerifier. */
  honkCircuits?: readonly string[];
}

export async function useProtocol(o: ProtocolFixtureOptions = {}): Promise<ProtocolFixture> {
  const accounts = o.accounts ?? 8;
  const anvil = await useAnvil({ accounts });
  const provider = testProvider(anvil.rpcUrl);
  const wallets = devWallets(provider, accounts);
  const deployer = wallets[0];
  const mintEach = o.mintEach ?? 1_000_000n * E18;
  let verifier: VerifierChoice | undefined;
  if (o.honkCircuits) {
    const { deployHonkRouter } = await import('../../prover/l1-verify.js'); // bb.js: only when asked
    verifier = { kind: 'address', address: (await deployHonkRouter(deployer, o.honkCircuits, { crs: { dev: true } })).address };
  }
  const deployment = await deployProtocol({
    // tests land proofs from any key at once unless they ask for the committed prover's exclusive window
    signer: deployer, params: { proverExclusiveBlocks: 0, ...o.params }, fundRewards: o.fundRewards ?? 1_000n * E18, verifier,
    mint: wallets.map((w) => ({ to: w.address, amount: mintEach })),
  });
  const admin = SidecarClient.connect({ deployment, rpc: provider, signer: deployer, wsUrl: anvil.wsUrl });
  const clients = wallets.map((w, i) => (i === 0 ? admin : admin.withSigner(w)));
  await Promise.all(clients.map((c) => c.approve(MaxUint256)));
  after(() => Promise.all(clients.map((c) => c.close())));
  return {
    anvil, provider, deployment, deployer, clients, wallets,
    mine: (n = 1) => mine(provider, n),
    mineTo: (b) => mineTo(provider, b),
    async nextTxAt(slot, at, offset = 0) {
      const t = await admin.slotTiming(slot);
      const target = t[at] + offset;
      const head = await provider.getBlockNumber();
      if (head >= target) throw new Error(`too late: head ${head} is past block ${target - 1} (slot ${slot} ${at}${offset ? ` + ${offset}` : ''})`);
      await mineTo(provider, target - 1);
      return target;
    },
    async snapshot() {
      let id = await snapshot(provider);
      return async () => {
        await revertTo(provider, id);
        id = await snapshot(provider); // anvil consumes a snapshot on revert
        for (const c of clients) c.resetNonce();
      };
    },
  };
}
