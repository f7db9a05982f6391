// Sends contract calls from one key: pre-flight eth_estimateGas (reverts decoded into an
// L1Error before anything is signed), serialised nonces through an ethers NonceManager that is
// reset after any failed send (so one rejected tx never leaves a nonce gap), one retry on a
// stale nonce (another process used the key), then waits for the receipt and decodes an
// on-chain revert.
import { NonceManager, type Contract, type Interface, type Provider, type Signer, type TransactionReceipt, type TransactionRequest } from 'ethers';
import { L1Error, toL1Error } from './errors.js';

export interface SendOptions {
  /** ETH value */
  value?: bigint;
  /** skip the estimate and use this gas limit (the pre-flight eth_call still runs) */
  gasLimit?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  /** confirmations to wait for (default 1); 0 returns right after the RPC accepts the tx */
  confirmations?: number;
  /** receipt wait timeout (default 120 s) */
  timeoutMs?: number;
}

export interface Sent {
  hash: string;
  receipt: TransactionReceipt | null;
  gasUsed: bigint;
  blockNumber: number;
}

export class TxSender {
  readonly nonces: NonceManager;
  /** counters for metrics and tests */
  readonly stats = { sent: 0, preflightRefused: 0, sendFailed: 0, nonceRetries: 0, reverted: 0 };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly signer: Signer, readonly errors: Interface, private gasMarginPct = 20) {
    this.nonces = signer instanceof NonceManager ? signer : new NonceManager(signer);
  }

  get provider(): Provider {
    const p = this.signer.provider;
    if (!p) throw new L1Error('rpc', 'the L1 signer has no provider');
    return p;
  }

  address(): Promise<string> { return this.signer.getAddress(); }

  /** Run fn with the nonce lock held (one send at a time per key). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** eth_call of a state-changing method (pre-flight only); returns the decoded result. */
  async simulate(contract: Contract, method: string, args: readonly unknown[], opts: SendOptions = {}): Promise<unknown> {
    const req = await this.request(contract, method, args, opts);
    try {
      const out = await this.provider.call({ ...req, blockTag: 'pending' });
      const r = contract.interface.decodeFunctionResult(method, out);
      return r.length === 1 ? r[0] : r;
    } catch (e) {
      throw toL1Error(this.errors, e, { method, stage: 'preflight' });
    }
  }

  private async request(contract: Contract, method: string, args: readonly unknown[], opts: SendOptions): Promise<TransactionRequest> {
    const fn = contract.interface.getFunction(method);
    if (!fn) throw new L1Error('rpc', `the contract ABI has no function ${method}`);
    let data: string;
    try {
      data = contract.interface.encodeFunctionData(fn, args as unknown[]);
    } catch (e) {
      throw new L1Error('bad-arguments', `${method}: bad arguments: ${(e as Error).message}`, { method, cause: e });
    }
    return { from: await this.address(), to: await contract.getAddress(), data, value: opts.value ?? 0n };
  }

  /** Pre-flight, send with a managed nonce, wait for the receipt. Throws L1Error. */
  async send(contract: Contract, method: string, args: readonly unknown[], opts: SendOptions = {}): Promise<Sent> {
    const req = await this.request(contract, method, args, opts);
    let gasLimit = opts.gasLimit;
    try {
      // against the pending block: the one the tx will land in (phases are counted in blocks)
      const pre = { ...req, blockTag: 'pending' };
      if (gasLimit === undefined) gasLimit = ((await this.provider.estimateGas(pre)) * BigInt(100 + this.gasMarginPct)) / 100n;
      else await this.provider.call(pre);
    } catch (e) {
      this.stats.preflightRefused++;
      throw toL1Error(this.errors, e, { method, stage: 'preflight' });
    }
    const full: TransactionRequest = {
      to: req.to, data: req.data, value: req.value, gasLimit,
      ...(opts.maxFeePerGas !== undefined ? { maxFeePerGas: opts.maxFeePerGas } : {}),
      ...(opts.maxPriorityFeePerGas !== undefined ? { maxPriorityFeePerGas: opts.maxPriorityFeePerGas } : {}),
    };
    const tx = await this.locked(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          const sent = await this.nonces.sendTransaction(full);
          this.stats.sent++;
          return sent;
        } catch (e) {
          // The NonceManager counted this nonce although nothing was sent: forget it.
          this.nonces.reset();
          const err = toL1Error(this.errors, e, { method, stage: 'send' });
          if (err.code === 'nonce' && attempt === 0) { this.stats.nonceRetries++; continue; }
          this.stats.sendFailed++;
          throw err;
        }
      }
    });
    const confirmations = opts.confirmations ?? 1;
    if (confirmations === 0) return { hash: tx.hash, receipt: null, gasUsed: 0n, blockNumber: -1 };
    let receipt: TransactionReceipt | null;
    try {
      receipt = await tx.wait(confirmations, opts.timeoutMs ?? 120_000);
    } catch (e) {
      const r = (e as { receipt?: TransactionReceipt }).receipt;
      if (r && r.status === 0) { this.stats.reverted++; throw await this.minedRevert(req, r, method); }
      throw toL1Error(this.errors, e, { method, stage: 'mined', txHash: tx.hash });
    }
    if (!receipt) throw new L1Error('timeout', `${method}: no receipt for ${tx.hash}`, { method, txHash: tx.hash });
    if (receipt.status === 0) { this.stats.reverted++; throw await this.minedRevert(req, receipt, method); }
    return { hash: tx.hash, receipt, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
  }

  /**
   * A tx that passed pre-flight but reverted on chain (the state changed in between): replay it
   * on the state at the end of its block for the reason.
   */
  private async minedRevert(req: TransactionRequest, r: TransactionReceipt, method: string): Promise<L1Error> {
    const where = `(mined in block ${r.blockNumber}, tx ${r.hash})`;
    try {
      await this.provider.call({ ...req, blockTag: r.blockNumber });
    } catch (e) {
      const err = toL1Error(this.errors, e, { method, stage: 'mined', txHash: r.hash });
      return new L1Error(err.code, `${err.message} ${where}`, err.details);
    }
    return new L1Error('revert', `${method} reverted on chain; replaying it does not reproduce the reason (out of gas? used ${r.gasUsed}) ${where}`, { method, stage: 'mined', txHash: r.hash });
  }
}
