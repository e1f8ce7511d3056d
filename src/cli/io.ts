// The only place that touches process streams. Commands receive an Io so
// tests can run them in-process and capture what they print.
import { readFileSync } from 'node:fs';
import { XarchError, isXarchError } from '../core/errors.js';
import { decodePath, encodePath, hasEscapedBytes } from '../core/path-bytes.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: human tables, colours, progress lines. */
  readonly isTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Text with escaped bytes (core/path-bytes.ts) goes out as those bytes: a file name is printed as it is. */
function bytesOf(t: string): string | Uint8Array {
  return hasEscapedBytes(t) ? encodePath(t) : t;
}

/**
 * The command-line arguments with their bytes kept. Node decodes argv as
 * UTF-8 and replaces what is not with U+FFFD, losing a name like $'\xff';
 * /proc/self/cmdline has the bytes. Its last entries are the arguments
 * (node's own options and the script come first).
 */
export function processArgs(): string[] {
  const args = process.argv.slice(2);
  if (!args.some((a) => a.includes('\ufffd'))) return args;
  try {
    const raw = readFileSync('/proc/self/cmdline');
    const parts: Buffer[] = [];
    for (let i = 0; i < raw.length;) {
      const end = raw.indexOf(0, i);
      parts.push(raw.subarray(i, end < 0 ? raw.length : end));
      i = end < 0 ? raw.length : end + 1;
    }
    if (parts.length < args.length) return args;
    return parts.slice(parts.length - args.length).map(decodePath);
  } catch {
    return args;
  }
}

/**
 * A process stream, made on first use (making one loads Node's stream and
 * tty modules: start-up of a command that prints nothing need not pay it).
 * A reader that went away (`xarch arches | head`) is not an error.
 */
function stream(s: 'stdout' | 'stderr'): NodeJS.WriteStream {
  const w = process[s];
  if (w.listenerCount('error') === 0) {
    w.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
  }
  return w;
}

export function processIo(): Io {
  return {
    out: (t) => void stream('stdout').write(bytesOf(t)),
    err: (t) => void stream('stderr').write(bytesOf(t)),
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** An Io that records output, for tests and for nested command calls. */
export function bufferIo(opts: Partial<Pick<Io, 'isTTY' | 'env' | 'cwd'>> = {}): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
    isTTY: opts.isTTY ?? false,
    stderrIsTTY: false,
    env: opts.env ?? process.env,
    cwd: opts.cwd ?? process.cwd(),
  };
  return io;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad command-line arguments: one line, the command's --help as the hint, exit 2. */
export class UsageError extends Error {}

/** One line, plus a hint line: what every failure looks like to a person. */
export function formatError(e: unknown): string {
  if (isXarchError(e)) {
    let s = `xarch: ${e.message}`;
    if (e.hint) s += `\n  hint: ${e.hint}`;
    return s + '\n';
  }
  if (e instanceof UsageError) return `xarch: ${e.message}\n`;
  const msg = e instanceof Error ? e.message : String(e);
  return `xarch: internal error: ${msg}\n  hint: this is a bug in xarch; please report it with the command you ran\n`;
}

export function errorJson(e: unknown): Record<string, unknown> {
  if (isXarchError(e)) return e.toJSON();
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Print one JSON value as one line. */
export function jsonLine(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
}

/** Render rows as an aligned text table (human output). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export { XarchError };
