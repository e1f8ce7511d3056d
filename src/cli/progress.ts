// Progress of long work on the terminal: the renderer of the Progress
// callback (core/progress.ts) that scans, root unpacking and `emulators add`
// report through. One line on stderr, rewritten in place, only when stderr
// is a terminal and --json is not given: a pipe, a log file or a program
// reading JSON never sees a carriage return or an escape sequence.
import type { Progress } from '../core/progress.js';
import type { Io } from './io.js';

export interface ProgressLine {
  /** The callback to hand to the library. */
  readonly report: (p: Progress) => void;
  /** Erase the line (if one was drawn), so what is printed next starts on a clean line. */
  end(): void;
}

export interface ProgressLineOptions {
  /** Milliseconds between two redraws of the same phase (default 100: 10 Hz). */
  intervalMs?: number;
  /** The clock (tests). */
  now?: () => number;
  /** The longest line drawn (default 79): a wrapped line cannot be erased with \r. */
  width?: number;
}

/** Where progress goes for this command line: a renderer on a terminal, otherwise nothing at all. */
export function progressLine(io: Io, json: boolean, opts: ProgressLineOptions = {}): ProgressLine | undefined {
  if (json || !io.stderrIsTTY) return undefined;
  const interval = opts.intervalMs ?? 100;
  const now = opts.now ?? Date.now;
  const width = opts.width ?? 79;
  let drawn = false;
  let lastPhase = '';
  let lastAt = -Infinity;
  let phaseStart = 0;
  return {
    report(p: Progress) {
      const t = now();
      const newPhase = p.phase !== lastPhase;
      if (newPhase) phaseStart = t;
      // A new phase and the last step of one are drawn at once; the rest at most `interval` apart.
      const finished = p.total !== undefined && p.done >= p.total;
      if (!newPhase && !finished && t - lastAt < interval) return;
      lastPhase = p.phase;
      lastAt = t;
      io.err(`\r\x1b[K${progressText(p, (t - phaseStart) / 1000).slice(0, width)}`);
      drawn = true;
    },
    end() {
      if (drawn) io.err('\r\x1b[K');
      drawn = false;
      lastPhase = '';
    },
  };
}

/** One progress line's text: `unpacking root: 12.3 MiB of 40.0 MiB (31%), 8.2 MiB/s`. Pure. */
export function progressText(p: Progress, seconds: number): string {
  const amount = (n: number) => (p.unit === 'bytes' ? mebibytes(n) : String(n));
  // A step that has only begun (a download run by apt, say) has nothing to count yet.
  if (p.done === 0 && p.total === undefined) return `${p.phase}...`;
  let s = `${p.phase}: ${amount(p.done)}`;
  if (p.total !== undefined && p.total > 0) s += ` of ${amount(p.total)}${p.unit === 'bytes' ? '' : ` ${p.unit}`} (${Math.min(100, Math.floor((100 * p.done) / p.total))}%)`;
  else if (p.unit !== 'bytes') s += ` ${p.unit}`;
  // A rate over less than half a second says more about start-up than about speed.
  if (seconds >= 0.5 && p.done > 0) s += `, ${amount(Math.round(p.done / seconds))}${p.unit === 'bytes' ? '' : ` ${p.unit}`}/s`;
  return s;
}

function mebibytes(n: number): string {
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}
