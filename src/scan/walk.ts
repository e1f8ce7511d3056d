// The tree walk of `xarch scan`: the one loop over readdir and the ELF
// header of every regular file, run in-process (jobs 1) and in each worker
// thread (scan/parallel.ts, scan/walk-worker.ts).
//
// A synchronous loop with one reused buffer: measured here, a promise per
// file is an order of magnitude slower. Of a file's cost, open(2) is about
// half, readdir a third, read and close the rest; what JavaScript adds is a
// tenth (node --cpu-prof over /usr), so the walk gains by running on every
// core rather than by trimming work per file.
//
// A walk can stop after a budget of entries and hand back the directories it
// has not opened yet, in the order it would have opened them: the sequential
// walk is a depth-first walk in which each popped directory's subtree is
// finished before the next, so "this part, then each handed-back directory's
// walk, in order" is exactly the sequential order.
import { readdirSync } from 'node:fs';
import { fsPath, withHeadSeen } from '../host/file.js';
import { decodePath, hasEscapedBytes } from '../core/path-bytes.js';
import { isXarchError } from '../core/errors.js';
import { looksLikeElf, parseElf, type ElfHeaders, type ReadAt } from '../core/elf.js';

/** What the report needs of a file's ELF headers: small enough to post between threads. */
export type ElfFacts = Pick<ElfHeaders, 'elfClass' | 'byteOrder' | 'abi' | 'type' | 'linkage' | 'interpreter' | 'targets' | 'machine' | 'machineName'>;

/** What a walk found, in walk order where order matters (the ELF files). */
export interface WalkPart {
  /** Relative path and facts of each ELF file, in walk order. */
  elves: [string, ElfFacts][];
  files: number;
  unreadable: number;
  invalidElf: number;
  special: number;
}

export interface WalkResult {
  part: WalkPart;
  /** Directories not yet opened when the budget ran out, in walk order. */
  rest: string[];
}

/** Bytes read at once from each file: the ELF and program headers of almost every file fit. */
const BUF = 1024;

/** A directory entry as the walk needs it: its name (core/path-bytes.ts) and its type. */
type Entry = { name: string; isDirectory(): boolean; isSymbolicLink(): boolean; isFile(): boolean };

/**
 * The entries of `dir` (`path`: its name for the file system) and whether
 * their names were read as bytes. Names as strings (half the cost of names
 * as bytes, measured over /usr); a directory where one holds U+FFFD, which
 * is what a name that is not UTF-8 decodes to, is read again as bytes so
 * that the name is kept (core/path-bytes.ts), not replaced.
 */
function listDir(path: string | Buffer): { entries: Entry[]; bytes: boolean } {
  const entries = readdirSync(path, { withFileTypes: true });
  for (const e of entries) {
    if (e.name.includes('\uFFFD')) {
      return { entries: readdirSync(path, { withFileTypes: true, encoding: 'buffer' }).map((b) => Object.assign(b, { name: decodePath(b.name) }) as unknown as Entry), bytes: true };
    }
  }
  return { entries, bytes: false };
}

function facts(i: ElfHeaders): ElfFacts {
  return { elfClass: i.elfClass, byteOrder: i.byteOrder, abi: i.abi, type: i.type, linkage: i.linkage, interpreter: i.interpreter, targets: i.targets, machine: i.machine, machineName: i.machineName };
}

const isElfHead = (b: Uint8Array, n: number) => n >= 4 && looksLikeElf(b);
/** A file with the ELF magic whose headers do not parse. */
const INVALID = 'invalid' as const;

function parseFacts(read: ReadAt): ElfFacts | typeof INVALID {
  try {
    return facts(parseElf(read, { pie: false }));
  } catch (err) {
    if (isXarchError(err)) return INVALID;
    throw err;
  }
}

/**
 * How much one walk may do: entries, and a time (performance.now()) it
 * stops at, checked before each directory. Entries alone do not bound a
 * walk's time: a directory of ELF files costs several times one of text.
 */
export interface Budget { left: number; until?: number }

/** One walker per thread: its buffer is reused for every file. */
export class Walker {
  private buffer = new Uint8Array(BUF);

  /** `root`: the scanned tree (ELF paths are relative to it). */
  constructor(private root: string) {}

  /**
   * Walk the subtrees of `dirs` (directories in the tree, in walk order)
   * without following symlinks, until `budget.left` entries have been seen
   * (Infinity: to the end) or performance.now() has reached `budget.until`;
   * the first directory is walked whatever the budget, so that every walk
   * makes progress.
   */
  walk(dirs: string[], budget: Budget): WalkResult {
    const part: WalkPart = { elves: [], files: 0, unreadable: 0, invalidElf: 0, special: 0 };
    const cut = this.root.length + 1;
    const stack = dirs.slice().reverse();
    const until = budget.until ?? Infinity;
    for (let first = true; stack.length && (first || (budget.left > 0 && (until === Infinity || performance.now() < until))); first = false) {
      const dir = stack.pop()!;
      // Only a name holding escaped bytes goes to the file system as bytes
      // (host/file.ts fsPath): asked once a directory, not once a file.
      const dirBytes = hasEscapedBytes(dir);
      // readdirSync, not opendirSync: Node 20 promisifies two methods for
      // every Dir it creates, which costs more than the reads themselves.
      let list;
      try {
        list = listDir(dirBytes ? fsPath(dir) : dir);
      } catch {
        part.unreadable++;
        continue;
      }
      const asBytes = dirBytes || list.bytes;
      budget.left -= list.entries.length + 1;
      for (const e of list.entries) {
        const p = dir + '/' + e.name;
        if (e.isDirectory()) {
          stack.push(p);
          continue;
        }
        if (e.isSymbolicLink()) continue;
        if (!e.isFile()) {
          part.special++;
          continue;
        }
        part.files++;
        // readdir's type stands for the stat (host/file.ts withHeadSeen).
        let f;
        try {
          f = withHeadSeen(asBytes ? fsPath(p) : p, this.buffer, isElfHead, parseFacts);
        } catch {
          part.unreadable++;
          continue;
        }
        if (f === INVALID) part.invalidElf++;
        else if (f) part.elves.push([p.slice(cut), f]);
      }
    }
    return { part, rest: stack.reverse() };
  }
}

/**
 * Walk each of `dirs` separately (they need not be neighbours in walk order)
 * until `budget` entries have been seen or `ms` milliseconds have passed:
 * one result per directory started (at least the first).
 */
export function walkEach(walker: Walker, dirs: string[], budget: number, ms = Infinity): WalkResult[] {
  const left: Budget = { left: budget, until: performance.now() + ms };
  const results: WalkResult[] = [];
  for (const d of dirs) {
    if (results.length && (left.left <= 0 || performance.now() >= left.until!)) break;
    results.push(walker.walk([d], left));
  }
  return results;
}
