// Progress of a long CLI job on stderr: on a terminal one line redrawn at most ten times a second
// (bar, records, rate, ETA); otherwise plain lines at most every two seconds, and a final one.

export interface ProgressOptions {
  /** What is being done, e.g. "imported" or "exported". */
  verb: string;
  /** Bytes of input in all, when known (gives the bar and the ETA). */
  totalBytes?: number;
  tty: boolean;
  write: (text: string) => void;
  now?: () => number;
}

export interface ProgressState {
  records: number;
  failed: number;
  bytes?: number;
}

const BAR_WIDTH = 24;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

export class Progress {
  private readonly started: number;
  private lastDraw = -Infinity;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => Date.now());
    this.started = this.now();
  }

  /** Records per second since the start. */
  rate(records: number): number {
    const seconds = (this.now() - this.started) / 1000;
    return seconds > 0 ? records / seconds : 0;
  }

  /** The text of one progress report. */
  line(state: ProgressState): string {
    const rate = this.rate(state.records);
    const failed = state.failed > 0 ? `, ${state.failed} failed` : '';
    const base = `${this.options.verb} ${state.records} records (${Math.round(rate)}/s)${failed}`;
    const total = this.options.totalBytes;
    if (!this.options.tty || total === undefined || total <= 0 || state.bytes === undefined) return base;
    const fraction = Math.min(1, state.bytes / total);
    const filled = Math.round(fraction * BAR_WIDTH);
    const elapsed = (this.now() - this.started) / 1000;
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Number.NaN;
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(1)}% ${base}, ETA ${duration(eta)}`;
  }

  /** Reports if enough time has passed since the last report. */
  update(state: ProgressState): void {
    const t = this.now();
    if (t - this.lastDraw < (this.options.tty ? 100 : 2000)) return;
    this.lastDraw = t;
    this.options.write(this.options.tty ? `\r\u001b[2K${this.line(state)}` : `${this.line(state)}\n`);
  }

  /** The last report, always written. */
  done(state: ProgressState): void {
    this.options.write(this.options.tty ? `\r\u001b[2K${this.line(state)}\n` : `${this.line(state)}\n`);
  }
}
