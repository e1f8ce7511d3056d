// The only place that touches process streams. Commands receive an Io so
// tests can run them in-process and capture what they print.
import { readFileSync, writeSync } from 'node:fs';
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
 * Output to fd 1 or 2 with write(2) itself. A process stream would load
 * Node's stream and net modules (about 5 ms of a command's start when
 * stdout is a pipe); a blocking write also keeps the order of stdout and
 * stderr as the program wrote them. A non-blocking descriptor that is full
 * (EAGAIN) hands the rest to the process stream, which waits for it; a
 * reader that went away (`xarch arches | head`) ends the process quietly.
 */
function writer(fd: 1 | 2): (t: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  const viaStream = (data: string | Uint8Array) => {
    if (!stream) {
      stream = fd === 1 ? process.stdout : process.stderr;
      stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
    }
    stream.write(data);
  };
  return (t) => {
    const data = bytesOf(t);
    if (stream) return viaStream(data);
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    try {
      while (buf.length) buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      if (code === 'EAGAIN') return viaStream(buf);
      // Standard error failing leaves nothing to tell; standard output failing is the command's failure.
      if (fd === 2) return;
      throw new XarchError('OUTPUT_FAILED', `cannot write to standard output: ${code ?? (e as Error).message}`, { hint: 'check where standard output goes (a full disk, a device that refuses writes)' });
    }
  };
}

/** The process's Io. isTTY and stderrIsTTY are asked of the streams only when read. */
export function processIo(): Io {
  return {
    out: writer(1),
    err: writer(2),
    get isTTY() { return Boolean(process.stdout.isTTY); },
    get stderrIsTTY() { return Boolean(process.stderr.isTTY); },
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
