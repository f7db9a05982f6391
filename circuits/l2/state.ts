// The L2 world state: accounts (public key, balance, nonce) in the Poseidon2 accounts tree.
// It validates txs with typed errors (mempool checks) and applies blocks, yielding the per-tx
// witnesses (Merkle paths) the segment circuits consume.
import { MAX_ACCOUNTS, U64_MAX, fromHex, toHex } from './field.js';
import { isOnCurve, type Point } from './grumpkin.js';
import { initPoseidon2, poseidon2 } from './poseidon2.js';
import { AccountsTree } from './tree.js';
import { checkTxFields, TxFormatError, verifyTxSignature, type SignedTx, type Tx } from './tx.js';

export interface Account { publicKey: Point; balance: bigint; nonce: number }

export function accountLeaf(a: Account): bigint {
  return poseidon2([a.publicKey.x, a.publicKey.y, a.balance, BigInt(a.nonce)]);
}

export type TxErrorCode = 'malformed' | 'unknown-account' | 'bad-signature' | 'wrong-nonce' | 'overspend' | 'balance-overflow';

export class TxValidationError extends Error {
  constructor(readonly code: TxErrorCode, message: string, readonly txIndex?: number) {
    super(txIndex === undefined ? message : `tx ${txIndex}: ${message}`);
    this.name = 'TxValidationError';
  }
}

/** Everything the circuits need to check one tx (the Noir `Tx` struct, as bigints). */
export interface TxWitness {
  tx: Tx;
  sig: { e: bigint; s: bigint };
  sender: Account;
  senderPath: bigint[];
  recipient: Account;
  recipientPath: bigint[];
  rootBefore: bigint;
  rootAfter: bigint;
}

export interface BlockExecution { startRoot: bigint; endRoot: bigint; witnesses: TxWitness[] }

export interface GenesisAccount { index: number; publicKey: Point; balance: bigint; nonce?: number }

export interface WorldStateJSON { accounts: { index: number; x: string; y: string; balance: string; nonce: number }[] }

export class WorldState {
  private constructor(private tree: AccountsTree, private accounts: Map<number, Account>) {}

  /** An empty state (or genesis accounts). Initialises Poseidon2 in this thread. */
  static async create(genesis: readonly GenesisAccount[] = []): Promise<WorldState> {
    await initPoseidon2();
    const s = new WorldState(new AccountsTree(), new Map());
    for (const g of genesis) s.addAccount(g);
    return s;
  }

  static async fromJSON(j: WorldStateJSON): Promise<WorldState> {
    return WorldState.create(j.accounts.map((a) => ({
      index: a.index, publicKey: { x: fromHex(a.x), y: fromHex(a.y) }, balance: BigInt(a.balance), nonce: a.nonce,
    })));
  }

  toJSON(): WorldStateJSON {
    return {
      accounts: [...this.accounts.entries()].sort((a, b) => a[0] - b[0]).map(([index, a]) => ({
        index, x: toHex(a.publicKey.x), y: toHex(a.publicKey.y), balance: a.balance.toString(), nonce: a.nonce,
      })),
    };
  }

  /** Genesis/registration: put an account at a free index. */
  addAccount(g: GenesisAccount): void {
    if (!Number.isInteger(g.index) || g.index < 0 || g.index >= MAX_ACCOUNTS) throw new RangeError(`account index ${g.index} out of range`);
    if (this.accounts.has(g.index)) throw new Error(`account ${g.index} already exists`);
    if (!isOnCurve(g.publicKey)) throw new Error(`account ${g.index}: public key is not a Grumpkin point`);
    if (g.balance < 0n || g.balance > U64_MAX) throw new RangeError(`account ${g.index}: balance must be a u64`);
    const a: Account = { publicKey: g.publicKey, balance: g.balance, nonce: g.nonce ?? 0 };
    this.accounts.set(g.index, a);
    this.tree.set(g.index, accountLeaf(a));
  }

  root(): bigint { return this.tree.root(); }

  account(index: number): Account | undefined {
    const a = this.accounts.get(index);
    return a && { ...a };
  }

  get size(): number { return this.accounts.size; }

  clone(): WorldState {
    return new WorldState(this.tree.clone(), new Map([...this.accounts].map(([i, a]) => [i, { ...a }])));
  }

  /** Throws TxValidationError when `signed` cannot be applied to this state. */
  validateTx(signed: SignedTx, txIndex?: number): void {
    const { tx } = signed;
    try {
      checkTxFields(tx);
    } catch (e) {
      if (e instanceof TxFormatError) throw new TxValidationError('malformed', e.message, txIndex);
      throw e;
    }
    const sender = this.accounts.get(tx.from);
    if (!sender) throw new TxValidationError('unknown-account', `unknown sender account ${tx.from}`, txIndex);
    const recipient = this.accounts.get(tx.to);
    if (!recipient) throw new TxValidationError('unknown-account', `unknown recipient account ${tx.to}`, txIndex);
    if (!verifyTxSignature(signed, sender.publicKey)) {
      throw new TxValidationError('bad-signature', `bad signature for sender account ${tx.from}`, txIndex);
    }
    if (tx.nonce !== sender.nonce) {
      throw new TxValidationError('wrong-nonce', `wrong nonce ${tx.nonce} for account ${tx.from} (expected ${sender.nonce})`, txIndex);
    }
    if (tx.amount > sender.balance) {
      throw new TxValidationError('overspend', `overspend: amount ${tx.amount} exceeds balance ${sender.balance} of account ${tx.from}`, txIndex);
    }
    const recipientBalance = tx.from === tx.to ? sender.balance - tx.amount : recipient.balance;
    if (recipientBalance + tx.amount > U64_MAX) {
      throw new TxValidationError('balance-overflow', `recipient account ${tx.to} balance would overflow u64`, txIndex);
    }
    if (sender.nonce >= 0xffffffff) throw new TxValidationError('wrong-nonce', `account ${tx.from} nonce is exhausted`, txIndex);
  }

  /** Validate and apply one tx; returns its circuit witness. */
  applyTx(signed: SignedTx, txIndex?: number): TxWitness {
    this.validateTx(signed, txIndex);
    return this.applyUnchecked(signed);
  }

  /**
   * Apply a tx WITHOUT validating it, producing the witness the circuit would need — used
   * to build witnesses of invalid blocks so the circuit itself reports what is wrong.
   * Unknown accounts still throw (there is no leaf to witness).
   */
  applyUnchecked(signed: SignedTx): TxWitness {
    const { tx } = signed;
    const rootBefore = this.root();
    const sender = this.accounts.get(tx.from);
    const recipient0 = this.accounts.get(tx.to);
    if (!sender || !recipient0) throw new TxValidationError('unknown-account', `unknown account ${sender ? tx.to : tx.from}`);
    const senderPath = this.tree.path(tx.from);
    const newSender: Account = {
      publicKey: sender.publicKey,
      balance: sender.balance >= tx.amount ? sender.balance - tx.amount : 0n,
      nonce: sender.nonce + 1,
    };
    this.accounts.set(tx.from, newSender);
    this.tree.set(tx.from, accountLeaf(newSender));
    const recipient = this.accounts.get(tx.to)!;
    const recipientPath = this.tree.path(tx.to);
    const newRecipient: Account = { ...recipient, balance: recipient.balance + tx.amount };
    this.accounts.set(tx.to, newRecipient);
    this.tree.set(tx.to, accountLeaf(newRecipient));
    return {
      tx, sig: signed.sig, sender: { ...sender }, senderPath, recipient: { ...recipient }, recipientPath,
      rootBefore, rootAfter: this.root(),
    };
  }

  /**
   * Apply a block's txs in order. With `validate` (default) the first invalid tx throws a
   * TxValidationError naming its index and nothing is applied.
   */
  applyBlock(txs: readonly SignedTx[], opts: { validate?: boolean } = {}): BlockExecution {
    const validate = opts.validate ?? true;
    const work = this.clone();
    const startRoot = work.root();
    const witnesses = txs.map((t, i) => {
      if (validate) work.validateTx(t, i);
      try {
        return work.applyUnchecked(t);
      } catch (e) {
        if (e instanceof TxValidationError && e.txIndex === undefined) throw new TxValidationError(e.code, e.message, i);
        throw e;
      }
    });
    this.tree = work.tree;
    this.accounts = work.accounts;
    return { startRoot, endRoot: this.root(), witnesses };
  }
}
