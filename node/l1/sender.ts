// Sends contract calls from one key: pre-flight eth_estimateGas (reverts decoded into an
// L1Error before anything is signed), serialised nonces through an ethers NonceManager that is
// reset after any failed send (so one rejected tx never leaves a nonce gap), one retry on a
// stale nonce (another process used the key), then waits for the receipt and decodes an
// on-chain revert. With `replace`, a tx not mined within N L1 blocks is resent with the same
// nonce and fees bumped by at least 12.5% (up to a cap), so at most one of its versions lands.
import { NonceManager, type Contract, type Interface, type Provider, type Signer, type TransactionReceipt, type TransactionRequest, type TransactionResponse } from 'ethers';
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
  /** resend a stuck tx (EIP-1559 only): same nonce, higher fees */
  replace?: ReplaceOptions;
}

export interface ReplaceOptions {
  /** resend when the tx is not mined within this many L1 blocks of its last (re)send (>= 1) */
  afterBlocks: number;
  /** highest maxFeePerGas a resend may offer (wei); a bump the cap does not allow is not sent */
  maxFeePerGas: bigint;
  /** ms between receipt polls (default 250) */
  pollMs?: number;
}

interface Fees { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

/** The least fee a replacement offers: +12.5% rounded up (geth's minimum is +10%), at least +1 wei. */
export function bumpFee(x: bigint): bigint {
  const step = (x + 7n) / 8n;
  return x + (step > 0n ? step : 1n);
}

/**
 * Fees of the next resend: at least the bump of the last ones, at least the network's current
 * estimate, maxFeePerGas at most `cap` (and the tip at most maxFeePerGas); undefined when the cap
 * leaves no valid replacement.
 */
export function nextFees(last: Fees, network: Partial<Record<keyof Fees, bigint | null>>, cap: bigint): Fees | undefined {
  const minMax = bumpFee(last.maxFeePerGas);
  const minTip = bumpFee(last.maxPriorityFeePerGas);
  let maxFeePerGas = network.maxFeePerGas && network.maxFeePerGas > minMax ? network.maxFeePerGas : minMax;
  let maxPriorityFeePerGas = network.maxPriorityFeePerGas && network.maxPriorityFeePerGas > minTip ? network.maxPriorityFeePerGas : minTip;
  if (maxFeePerGas > cap) maxFeePerGas = cap;
  if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
  if (maxFeePerGas < minMax || maxPriorityFeePerGas < minTip) return undefined;
  return { maxFeePerGas, maxPriorityFeePerGas };
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
  /** resends of stuck txs (`replace`): broadcast, and refused by the RPC */
  readonly resends = { sent: 0, refused: 0 };
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
      receipt = opts.replace && tx.maxFeePerGas != null && tx.maxPriorityFeePerGas != null
        ? await this.waitReplacing(tx, full, method, confirmations, opts.replace, opts.timeoutMs ?? 120_000)
        : await tx.wait(confirmations, opts.timeoutMs ?? 120_000);
    } catch (e) {
      const r = (e as { receipt?: TransactionReceipt }).receipt;
      if (r && r.status === 0) { this.stats.reverted++; throw await this.minedRevert(req, r, method); }
      throw toL1Error(this.errors, e, { method, stage: 'mined', txHash: tx.hash });
    }
    if (!receipt) throw new L1Error('timeout', `${method}: no receipt for ${tx.hash}`, { method, txHash: tx.hash });
    if (receipt.status === 0) { this.stats.reverted++; throw await this.minedRevert(req, receipt, method); }
    return { hash: receipt.hash, receipt, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
  }

  /**
   * Waits for any version of `first` (same nonce) to be mined; while none is, resends it with
   * bumped fees every `afterBlocks` L1 blocks. One nonce: at most one version ever lands.
   */
  private async waitReplacing(first: TransactionResponse, full: TransactionRequest, method: string, confirmations: number, r: ReplaceOptions, timeoutMs: number): Promise<TransactionReceipt | null> {
    const deadline = Date.now() + timeoutMs;
    const hashes = [first.hash];
    let fees: Fees = { maxFeePerGas: first.maxFeePerGas!, maxPriorityFeePerGas: first.maxPriorityFeePerGas! };
    let lastSendBlock = await this.provider.getBlockNumber();
    for (;;) {
      for (const h of hashes) {
        const receipt = await this.provider.getTransactionReceipt(h);
        if (!receipt) continue;
        if (confirmations <= 1) return receipt;
        return this.provider.waitForTransaction(h, confirmations, Math.max(1, deadline - Date.now()));
      }
      if (Date.now() >= deadline) {
        throw new L1Error('timeout', `${method}: not mined within ${timeoutMs} ms (nonce ${first.nonce}, ${hashes.length} versions: ${hashes.join(', ')})`, { method, txHash: hashes[hashes.length - 1] });
      }
      const head = await this.provider.getBlockNumber();
      if (head - lastSendBlock >= Math.max(1, r.afterBlocks)) {
        lastSendBlock = head;
        const next = nextFees(fees, await this.provider.getFeeData(), r.maxFeePerGas);
        if (next) {
          try {
            const tx = await this.locked(() => this.nonces.signer.sendTransaction({ ...full, type: 2, nonce: first.nonce, ...next }));
            hashes.push(tx.hash);
            this.resends.sent++;
            fees = next; // the version in the pool now
          } catch {
            // refused (e.g. under the base fee, or a version was just mined: the receipts above
            // tell); the pool still holds the last accepted version, the next bid bumps that one
            this.resends.refused++;
          }
        }
      }
      await new Promise((res) => setTimeout(res, r.pollMs ?? 250));
    }
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
