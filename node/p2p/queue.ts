// A bounded FIFO between gossip and the node's handlers: a flood fills it, then the drop
// policy decides which message is lost, and every drop is counted.
import type { DropPolicy } from './topics.js';

export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  dropped = 0;

  constructor(readonly capacity: number, readonly policy: DropPolicy, private onDrop: (item: T) => void = () => {}) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  get length(): number { return this.items.length - this.head; }

  /** Adds an item; returns false when the policy dropped one (the new one or the oldest). */
  push(item: T): boolean {
    if (this.length < this.capacity) {
      this.items.push(item);
      return true;
    }
    this.dropped++;
    if (this.policy === 'drop-newest') {
      this.onDrop(item);
      return false;
    }
    const oldest = this.shift() as T;
    this.onDrop(oldest);
    this.items.push(item);
    return false;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
