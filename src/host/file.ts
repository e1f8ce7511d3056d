// The file edge: the one opener and the one ReadAt over a file, used by every
// header read (the ELF reader, scan's tree walk, which, rule lint and derive,
// image blobs, session roots). Positioned reads of only the bytes a parser
// asks for; never the whole file.
//
// Opening never blocks and never acts on a device: open(2) of a FIFO waits
// for a writer, and of a tty or tape can change it. So the file type is
// checked with stat before any open, the open uses O_NONBLOCK|O_NOCTTY, and
// fstat on the descriptor confirms a regular file (the path may have been
// replaced between the two). Scan's walk skips the two stats (seenRegular).
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import os from 'node:os';
import { fromSystemError, XarchError } from '../core/errors.js';
import { bytesReadAt, parseDynamic, parseElf, type DynamicInfo, type ElfInfo, type ReadAt } from '../core/elf.js';
import type { HostSample, LintContext } from '../core/lint.js';
import { BINPRM_BUF_SIZE, type Rule } from '../core/rule.js';
import { encodePath, hasEscapedBytes } from '../core/path-bytes.js';

export interface OpenOptions {
  /** Refuse a symlink as the last component instead of following it (scan never follows links). */
  noFollow?: boolean;
  /**
   * The caller's readdir already saw a regular file (d_type is lstat's
   * answer): open it without the stat before and the fstat after. Scan's
   * walk does, where they would cost a fifth of its time: if the entry was
   * replaced in between, O_NOFOLLOW|O_NONBLOCK|O_NOCTTY still keep the open
   * from following, blocking or taking a terminal, and a FIFO is read
   * without waiting.
   */
  seenRegular?: boolean;
  /**
   * Read the file's first bytes into this buffer once (scan reuses one for
   * every file): reads inside them are served from memory, and a file that
   * fits needs no further read.
   */
  buffer?: Uint8Array;
}

/** Why a path is refused: the message and hint for a directory or another non-regular file. */
type Refusal = (file: string, st: Stats) => XarchError;

const refuseNonRegular: Refusal = (file, st) => st.isDirectory()
  ? new XarchError('PATH_NOT_FILE', `${file} is a directory`, { path: file, errno: 'EISDIR', hint: 'give a file (xarch scan walks directories)' })
  : new XarchError('PATH_NOT_FILE', `${file} is not a regular file`, { path: file, hint: 'give a regular file' });

// execve(2) refuses anything but a regular file with EACCES before any binfmt handler is asked.
const refuseForExec: Refusal = (file, st) => st.isDirectory()
  ? new XarchError('PATH_NOT_FILE', `${file} is a directory, not a file (exec would fail with EACCES)`, { path: file, errno: 'EISDIR' })
  : new XarchError('PATH_NOT_FILE', `${file} is not a regular file (exec would fail with EACCES)`, { path: file, hint: 'give the path of a program or script' });

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** A Buffer path carries raw bytes (a binfmt_misc interpreter need not be UTF-8); messages show it as latin1. */
function shown(file: string | Buffer): string {
  return typeof file === 'string' ? file : file.toString('latin1');
}

/**
 * The name to hand the file system: a string holding escaped bytes (a name
 * that is not UTF-8, core/path-bytes.ts) goes as its bytes.
 */
export function fsPath(p: string | Buffer): string | Buffer {
  return typeof p === 'string' && hasEscapedBytes(p) ? Buffer.from(encodePath(p)) : p;
}

/** Open a regular file for reading (see the top of this file). */
function openRegular(given: string | Buffer, opts: OpenOptions, refuse: Refusal): number {
  const file = fsPath(given);
  let fd: number;
  try {
    if (!opts.seenRegular) {
      const st = opts.noFollow ? lstatSync(file) : statSync(file);
      if (!st.isFile()) throw refuse(shown(file), st);
    }
    fd = openSync(file, opts.noFollow ? OPEN_FLAGS | constants.O_NOFOLLOW : OPEN_FLAGS);
  } catch (e) {
    throw fromSystemError(e, shown(file), 'file');
  }
  if (opts.seenRegular) return fd;
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    throw fromSystemError(e, shown(file), 'file');
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw refuse(shown(file), st);
  }
  return fd;
}

/** A ReadAt over an open file descriptor (short only at end of file). */
export function fdReadAt(fd: number): ReadAt {
  return (offset, length) => {
    const b = new Uint8Array(length);
    const got = pread(fd, b, offset);
    return got === length ? b : b.subarray(0, got);
  };
}

/**
 * One pread(2) into `b`. A regular file reads short only at its end (local
 * file systems finish a read a signal arrives in), so there is no loop and
 * no second read that returns 0: a third of the files under /usr are
 * smaller than scan's buffer.
 */
function pread(fd: number, b: Uint8Array, offset: number): number {
  return readSync(fd, b, 0, b.length, offset);
}

const NOTHING = new Uint8Array(0);

function withOpen<T>(file: string | Buffer, fn: (read: ReadAt, head: Uint8Array) => T, opts: OpenOptions, refuse: Refusal): T {
  const fd = openRegular(file, opts, refuse);
  try {
    const buffer = opts.buffer;
    if (!buffer) return fn(fdReadAt(fd), NOTHING);
    const head = buffer.subarray(0, pread(fd, buffer, 0));
    // A file that fits is all in memory already.
    return fn(head.length < buffer.length ? bytesReadAt(head) : bytesReadAt(head, fdReadAt(fd)), head);
  } catch (e) {
    if (e instanceof XarchError && e.code.startsWith('ELF_')) {
      const f = shown(file);
      throw new XarchError(e.code, `${f}: ${e.message}${e.offset !== undefined ? ` (at byte ${e.offset})` : ''}`, { path: f, offset: e.offset, hint: e.hint });
    }
    throw fromSystemError(e, shown(file), 'file');
  } finally {
    closeSync(fd);
  }
}

/**
 * Open `file` (a regular file; anything else is PATH_NOT_FILE, without
 * blocking), run `fn` over a ReadAt of it, close it. `head` is what was read
 * into `opts.buffer` (empty without one). Errors are XarchErrors naming the
 * file (ELF errors keep their code and byte offset).
 */
export function withFile<T>(file: string | Buffer, fn: (read: ReadAt, head: Uint8Array) => T, opts: OpenOptions = {}): T {
  return withOpen(file, fn, opts, refuseNonRegular);
}

const SEEN_FLAGS = OPEN_FLAGS | constants.O_NOFOLLOW;

/**
 * Scan's walk: the head of a file its readdir saw as regular, in one open,
 * one pread into `buffer` and one close (withFile with `noFollow`,
 * `seenRegular` and `buffer`, without what that costs per file: an options
 * object, two closures and a subarray for every file, where nine in ten are
 * no ELF file and are done after four bytes). `fn` runs, with the file still
 * open, only when `want` accepts the bytes read. A system error is thrown as
 * Node gave it: the walk only counts the file unreadable.
 */
export function withHeadSeen<T>(file: string | Buffer, buffer: Uint8Array, want: (buffer: Uint8Array, length: number) => boolean, fn: (read: ReadAt) => T): T | undefined {
  const fd = openSync(file, SEEN_FLAGS);
  try {
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    if (!want(buffer, n)) return undefined;
    const head = buffer.subarray(0, n);
    return fn(n < buffer.length ? bytesReadAt(head) : bytesReadAt(head, fdReadAt(fd)));
  } finally {
    closeSync(fd);
  }
}

/** The first `length` bytes of `file` (fewer when it is shorter). */
export function readHead(file: string | Buffer, length: number): Uint8Array {
  return withFile(file, (read) => read(0, length));
}

/** `length` bytes of `file` from `start` (fewer past its end). */
export function readRange(file: string | Buffer, start: number, length: number): Uint8Array {
  return withFile(file, (read) => read(start, length));
}

/**
 * The header window the kernel reads when `file` is executed (the first
 * BINPRM_BUF_SIZE bytes). A directory or another non-regular file is refused
 * with what exec would do.
 */
export function readExecHead(file: string | Buffer): Uint8Array {
  return withOpen(file, (read) => read(0, BINPRM_BUF_SIZE), {}, refuseForExec);
}

/** Parse the ELF headers of `file`. Errors name the file (and the byte offset for ELF errors). */
export function readElfFile(file: string | Buffer): ElfInfo {
  return withFile(file, parseElf);
}

/** DT_NEEDED and DT_RUNPATH of `file` (null without a dynamic section). */
export function readDynamicFile(file: string | Buffer): DynamicInfo | null {
  return withFile(file, parseDynamic);
}

// ---------------------------------------------------------------- facts for lint

/** Headers of a few real host executables, for the host-binaries lint. */
function realHostSamples(): HostSample[] {
  const out: HostSample[] = [];
  for (const p of ['/bin/sh', '/usr/bin/env', '/bin/ls', process.execPath]) {
    try {
      const real = realpathSync(p);
      out.push({ label: p === real ? p : `${p} (${real})`, head: readHead(real, BINPRM_BUF_SIZE), path: p });
    } catch { /* not on this machine */ }
  }
  return out;
}

/** Static or dynamic: does the interpreter have PT_INTERP? (null when it is not an ELF file or script we can read) */
function interpreterLinkage(interpreter: string, cwd: string): LintContext['interpreter'] {
  // The interpreter is a byte string (latin1 in the rule); open exactly those bytes.
  const file = Buffer.from(interpreter.startsWith('/') ? interpreter : `${cwd}/${interpreter}`, 'latin1');
  try {
    return withFile(file, (read) => {
      const h = read(0, 2);
      if (h.length === 2 && h[0] === 0x23 && h[1] === 0x21) return { linkage: 'script' as const };
      const info = parseElf(read);
      return { linkage: info.linkage, loader: info.interpreter };
    });
  } catch {
    return null;
  }
}

/** What lint needs to know about this machine and the rule's interpreter. */
export function lintContext(rule: Rule, cwd: string): LintContext {
  return { hostMachine: os.machine(), hostSamples: realHostSamples(), interpreter: interpreterLinkage(rule.interpreter, cwd) };
}

/** The names in a directory; none when it is missing or unreadable (callers treat both as empty). */
export function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
