/**
 * Command-line progress for long runs: one redrawn line with a bar, counts,
 * the current item and an ETA on a terminal; plain, throttled log lines
 * elsewhere (CI logs, files), so a 10-minute run never looks hung.
 */
export interface ProgressSink {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private phaseName = '';
  private total = 0;
  private doneCount = 0;
  private startedAt = 0;
  private lastLogAt = 0;
  private current = '';

  constructor(
    private readonly sink: ProgressSink = process.stderr,
    private readonly now: () => number = () => performance.now(),
    /** Non-TTY: at most one line per this many ms (plus the last). Default 5000. */
    private readonly logEveryMs = 5000,
  ) {}

  phase(name: string, total: number): void {
    this.finishLine();
    this.phaseName = name;
    this.total = total;
    this.doneCount = 0;
    this.startedAt = this.now();
    this.lastLogAt = -Infinity;
    this.current = '';
    this.render(true);
  }

  /** Marks one item done (label: what finished). */
  tick(label = ''): void {
    this.doneCount = Math.min(this.total, this.doneCount + 1);
    this.current = label;
    this.render(this.doneCount === this.total);
  }

  /** Shows what is in progress without counting it. */
  status(label: string): void {
    this.current = label;
    this.render(false);
  }

  /** A message above the bar. */
  log(line: string): void {
    if (this.sink.isTTY) this.sink.write(`\r\x1b[2K${line}\n`);
    else this.sink.write(`${line}\n`);
    this.render(true);
  }

  end(): void {
    this.finishLine();
    this.phaseName = '';
  }

  /** The line as drawn; exported for tests. */
  line(width = 100): string {
    const elapsed = this.now() - this.startedAt;
    const frac = this.total ? this.doneCount / this.total : 1;
    const barWidth = 24;
    const filled = Math.round(frac * barWidth);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}`;
    const eta =
      this.doneCount > 0 && this.doneCount < this.total
        ? ` ETA ${formatDuration((elapsed / this.doneCount) * (this.total - this.doneCount))}`
        : '';
    const text = `${this.phaseName} [${bar}] ${this.doneCount}/${this.total} ${formatDuration(elapsed)}${eta}${this.current ? `  ${this.current}` : ''}`;
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  }

  private render(force: boolean): void {
    if (!this.phaseName) return;
    if (this.sink.isTTY) {
      this.sink.write(`\r\x1b[2K${this.line((this.sink.columns ?? 100) - 1)}`);
      return;
    }
    const t = this.now();
    if (!force && t - this.lastLogAt < this.logEveryMs) return;
    this.lastLogAt = t;
    this.sink.write(`${this.line(160)}\n`);
  }

  private finishLine(): void {
    if (this.phaseName && this.sink.isTTY) this.sink.write('\n');
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A Progress that prints nothing (tests, library use). */
export const silentProgress = (): Progress => new Progress({ write: () => {} });
