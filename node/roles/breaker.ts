// The prover's circuit breaker: after `threshold` proving faults in a row (a proof that failed, a
// block of this node slashed), the node stops taking on blocks (no quotes, no self-committed
// deposit) instead of losing more deposits; after `cooldownBlocks` L1 blocks it is half-open:
// it takes one block again when nothing is in flight, and the next proof closes it (or a fault
// opens it again). Shown in /health (check `breaker`), the metrics and the logs.
import type { Logger } from '../log.js';

export type BreakerState = 'closed' | 'open' | 'half-open';
export type ProvingFault = 'failed' | 'slashed';

export interface BreakerOptions {
  /** faults in a row that open it (0 = never) */
  threshold: number;
  /** L1 blocks open before a trial */
  cooldownBlocks: number;
  log?: Logger;
  onChange?: (state: BreakerState, reason: string) => void;
}

export class ProvingBreaker {
  state: BreakerState = 'closed';
  /** faults since the last proof */
  consecutive = 0;
  /** why it is open (the last fault) */
  reason?: string;
  private openedAt = 0;
  trips = 0;

  constructor(private readonly o: BreakerOptions) {}

  private set(state: BreakerState, reason: string): void {
    if (state === this.state) return;
    this.state = state;
    this.o.onChange?.(state, reason);
    if (state === 'open') this.o.log?.warn({ breaker: state, faults: this.consecutive, reason }, `circuit breaker OPEN after ${this.consecutive} proving faults in a row (${reason}): no quotes and no self-proving; a trial after ${this.o.cooldownBlocks} L1 blocks`);
    else this.o.log?.info({ breaker: state, reason }, `circuit breaker ${state}: ${reason}`);
  }

  /** A proving fault at L1 block `head`. */
  fault(kind: ProvingFault, detail: string, head: number): void {
    if (this.o.threshold <= 0) return;
    this.consecutive++;
    const why = `${kind}: ${detail}`;
    if (this.state === 'half-open' || (this.state === 'closed' && this.consecutive >= this.o.threshold)) {
      this.reason = why;
      this.openedAt = head;
      this.trips++;
      this.set('open', why);
    } else if (this.state === 'open') {
      this.reason = why;
      this.openedAt = head;
    }
  }

  /** A block proven: closes the breaker. */
  success(slot: number): void {
    this.consecutive = 0;
    this.reason = undefined;
    this.set('closed', `slot ${slot} proven`);
  }

  /**
   * May the node take on one more block at L1 block `head` with `inFlight` blocks being proven?
   * Undefined: yes; else why not.
   */
  refuses(head: number, inFlight: number): string | undefined {
    if (this.state === 'open' && head - this.openedAt >= this.o.cooldownBlocks) this.set('half-open', `${this.o.cooldownBlocks} L1 blocks since it opened: one trial block`);
    if (this.state === 'closed') return undefined;
    if (this.state === 'half-open') return inFlight === 0 ? undefined : 'circuit breaker half-open: the trial block is being proven';
    return `circuit breaker open since L1 #${this.openedAt} after ${this.consecutive} proving faults (${this.reason}); trial at L1 #${this.openedAt + this.o.cooldownBlocks}`;
  }
}
