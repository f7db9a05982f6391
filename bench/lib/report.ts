// Shared by every bench: progress on stderr, and one JSON line of figures on stdout at the end.
export class Progress {
  private start = Date.now();
  private lastDraw = 0;
  constructor(private label: string, private total: number) {}
  tick(done: number, note = ''): void {
    const now = Date.now();
    if (done < this.total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 30;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const secs = ((now - this.start) / 1000).toFixed(1);
    const line = `${this.label} [${bar}] ${done}/${this.total} ${secs}s ${note}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K${done >= this.total ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  }
}

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** The one JSON line every bench ends with. */
export function printResult(figures: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(figures, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
}
