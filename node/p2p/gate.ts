// A bounded queue in front of an expensive gossip check (a bb proof verification), placed
// before the work the way Lodestar puts its per-topic queues before BLS verification:
//  - at most `concurrency` checks run at once, so a flood never runs more than that;
//  - each peer has a budget of `perPeer` checks queued or running: past it, its messages are
//    Ignored ('peer-budget') without any work, so one peer (or a few) cannot fill the queue;
//  - at most `capacity` wait; when the queue is full, a message from a better-scored peer takes
//    the place of the worst-scored one waiting (that one is Ignored 'queue-full'), and a message
//    no better than every waiting one is Ignored itself;
//  - the next check to run is the waiting one whose peer has the best score now (FIFO on ties).
//  - each check starts on a turn of its own (setImmediate), so CPU-bound checks in a row never
//    hold the event loop for more than one check.
// So junk from low-scored or new peers can delay a good message from a well-scored peer by at
// most the checks already running, and never push it out.
import { ignore, type Verdict } from './validation.js';

export interface GateOptions {
  /** checks running at once (default 1: the verify thread does one at a time anyway) */
  concurrency?: number;
  /** checks waiting at most (default 32) */
  capacity?: number;
  /** checks queued or running per peer (default 2) */
  perPeer?: number;
  /** the peer's current score (gossipsub); higher runs first */
  score: (peer: string) => number;
  /** each outcome of the gate itself: 'run', 'peer-budget', 'queue-full' (evicted or refused) */
  onOutcome?: (outcome: 'run' | 'peer-budget' | 'queue-full') => void;
}

interface Waiting {
  peer: string;
  seq: number;
  work: () => Promise<Verdict>;
  resolve: (v: Verdict) => void;
}

export class ValidationGate {
  private readonly waiting: Waiting[] = [];
  private readonly perPeer = new Map<string, number>();
  private running = 0;
  private seq = 0;
  private readonly o: Required<Omit<GateOptions, 'onOutcome'>> & Pick<GateOptions, 'onOutcome'>;

  constructor(opts: GateOptions) {
    this.o = { concurrency: 1, capacity: 32, perPeer: 2, ...opts };
    for (const k of ['concurrency', 'capacity', 'perPeer'] as const) {
      if (!Number.isInteger(this.o[k]) || this.o[k] < 1) throw new RangeError(`gate ${k} must be a positive integer, got ${this.o[k]}`);
    }
  }

  /** Checks waiting and running (for metrics and tests). */
  get depth(): { waiting: number; running: number } { return { waiting: this.waiting.length, running: this.running }; }

  /** True when `peer` has used up its budget (a message of it now would be Ignored 'peer-budget' unread). */
  overBudget(peer: string): boolean { return (this.perPeer.get(peer) ?? 0) >= this.o.perPeer; }

  /** The per-peer budget. */
  get budget(): number { return this.o.perPeer; }

  /** Runs `work` for a message from `peer` when its turn comes; resolves with its verdict or the gate's Ignore. */
  submit(peer: string, work: () => Promise<Verdict>): Promise<Verdict> {
    const used = this.perPeer.get(peer) ?? 0;
    if (used >= this.o.perPeer) {
      this.o.onOutcome?.('peer-budget');
      return Promise.resolve(ignore('peer-budget', `${used} checks of this peer already queued or running`));
    }
    if (this.waiting.length >= this.o.capacity) {
      const worst = this.worstWaiting();
      if (this.o.score(worst.peer) >= this.o.score(peer)) {
        this.o.onOutcome?.('queue-full');
        return Promise.resolve(ignore('queue-full', `${this.waiting.length} checks waiting from peers scored no worse`));
      }
      this.waiting.splice(this.waiting.indexOf(worst), 1);
      this.release(worst.peer);
      this.o.onOutcome?.('queue-full');
      worst.resolve(ignore('queue-full', 'evicted by a message from a better-scored peer'));
    }
    this.perPeer.set(peer, used + 1);
    return new Promise<Verdict>((resolve) => {
      this.waiting.push({ peer, seq: this.seq++, work, resolve });
      this.pump();
    });
  }

  private worstWaiting(): Waiting {
    let worst = this.waiting[0];
    let worstScore = this.o.score(worst.peer);
    for (const w of this.waiting) {
      const s = this.o.score(w.peer);
      // the newest of equally bad ones goes first: older ones have waited longer
      if (s < worstScore || (s === worstScore && w.seq > worst.seq)) { worst = w; worstScore = s; }
    }
    return worst;
  }

  private bestWaiting(): number {
    let best = 0;
    let bestScore = this.o.score(this.waiting[0].peer);
    for (let i = 1; i < this.waiting.length; i++) {
      const s = this.o.score(this.waiting[i].peer);
      if (s > bestScore) { best = i; bestScore = s; }
    }
    return best;
  }

  private release(peer: string): void {
    const n = (this.perPeer.get(peer) ?? 1) - 1;
    if (n <= 0) this.perPeer.delete(peer);
    else this.perPeer.set(peer, n);
  }

  private pump(): void {
    while (this.running < this.o.concurrency && this.waiting.length) {
      const [w] = this.waiting.splice(this.bestWaiting(), 1);
      this.running++;
      this.o.onOutcome?.('run');
      void (async () => {
        let v: Verdict;
        try {
          // a macrotask turn before each check: a queue of CPU-bound checks (signatures) never
          // holds the event loop for more than one of them at a time
          await new Promise((r) => setImmediate(r));
          v = await w.work();
        } catch (e) {
          v = ignore('validator-error', (e as Error).message);
        }
        this.running--;
        this.release(w.peer);
        w.resolve(v);
        this.pump();
      })();
    }
  }
}
