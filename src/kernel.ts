// The live binfmt_misc directory: the IO edge for reading (and, later,
// writing) the kernel's entries. Every function takes the directory, so a
// private instance or a test directory can stand in for the global one.
import { accessSync, constants as fsConstants, opendirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { XarchError, errnoOf } from './errors.js';
import { DEFAULT_BINFMT_DIR } from './sandbox.js';
import { parseEntry } from './rule.js';
import type { LiveEntry } from './match.js';

export { DEFAULT_BINFMT_DIR };

const CONTROL_FILES = new Set(['register', 'status']);

/**
 * Entry names, newest registration first.
 *
 * The kernel tries entries newest first, and nothing in an entry file says
 * when it was registered (timestamps are those of the mount, inode numbers
 * come from per-CPU batches). What this kernel (6.18) does expose is the
 * order of readdir(2) on the binfmt_misc directory: new dentries are added at
 * the head of the parent's children, so a raw readdir lists the newest entry
 * first (observed: register c,a,e,b,d, remove and re-register a → a,d,b,e,c).
 * Node's fs.readdirSync sorts (libuv's scandir uses strcmp), so this reads
 * the directory with opendir, which returns readdir order unsorted.
 */
export function listEntryNames(dir: string = DEFAULT_BINFMT_DIR): string[] {
  let d;
  try {
    d = opendirSync(dir);
  } catch (e) {
    throw binfmtDirError(e, dir);
  }
  const names: string[] = [];
  try {
    for (let ent = d.readSync(); ent !== null; ent = d.readSync()) {
      if (!CONTROL_FILES.has(ent.name)) names.push(ent.name);
    }
  } finally {
    d.closeSync();
  }
  return names;
}

export function readEntryText(dir: string, name: string): string {
  try {
    return readFileSync(path.join(dir, name), 'latin1');
  } catch (e) {
    throw binfmtDirError(e, path.join(dir, name));
  }
}

/** The global switch: `status` reads "enabled" or "disabled". */
export function readGlobalStatus(dir: string = DEFAULT_BINFMT_DIR): 'enabled' | 'disabled' {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'status'), 'latin1');
  } catch (e) {
    throw binfmtDirError(e, dir);
  }
  return text.trim() === 'enabled' ? 'enabled' : 'disabled';
}

/** Is a binfmt_misc instance mounted at dir (it has a `register` file)? */
export function isMounted(dir: string = DEFAULT_BINFMT_DIR): boolean {
  try {
    statSync(path.join(dir, 'register'));
    return true;
  } catch {
    return false;
  }
}

export function binfmtDirError(e: unknown, p: string): XarchError {
  const errno = errnoOf(e);
  if (errno === 'ENOENT' || errno === 'ENOTDIR') {
    return new XarchError('BINFMT_NOT_MOUNTED', `binfmt_misc is not mounted at ${p}`, {
      path: p, errno, cause: e,
      hint: 'mount it: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc (or pass --binfmt-dir)',
    });
  }
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new XarchError('PERMISSION_DENIED', `no permission to access ${p}`, {
      path: p, errno, cause: e, hint: 'run as root, or use a private instance (xarch verify --sandbox, xarch shell)',
    });
  }
  return new XarchError('BINFMT_UNAVAILABLE', `cannot read ${p}: ${(e as Error).message}`, { path: p, errno, cause: e });
}

// ---------------------------------------------------------------- read side (entries as rules)

/**
 * Entry names as byte strings (one char per byte, see src/rule.ts), newest
 * registration first: the same raw readdir order as listEntryNames, but
 * without decoding names as UTF-8, so names with arbitrary bytes survive.
 */
export function listEntryByteNames(dir: string = DEFAULT_BINFMT_DIR): string[] {
  let d;
  try {
    // Node supports 'buffer' here at run time; its types only list text encodings.
    d = opendirSync(dir, { encoding: 'buffer' as BufferEncoding });
  } catch (e) {
    throw binfmtDirError(e, dir);
  }
  const names: string[] = [];
  try {
    for (let ent = d.readSync(); ent !== null; ent = d.readSync()) {
      const name = Buffer.from(ent.name as unknown as Uint8Array).toString('latin1');
      if (!CONTROL_FILES.has(name)) names.push(name);
    }
  } finally {
    d.closeSync();
  }
  return names;
}

/**
 * Every entry of a live binfmt_misc directory, parsed, newest registration
 * first (the order the kernel tries them). An entry removed between the
 * listing and the read is skipped.
 */
export function readLiveEntries(dir: string = DEFAULT_BINFMT_DIR): LiveEntry[] {
  const out: LiveEntry[] = [];
  for (const name of listEntryByteNames(dir)) {
    const p = Buffer.concat([Buffer.from(dir + '/'), Buffer.from(name, 'latin1')]);
    let text: string;
    try {
      text = readFileSync(p, 'latin1');
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') continue;
      throw binfmtDirError(e, path.join(dir, name));
    }
    const { rule, enabled } = parseEntry(name, text);
    out.push({ name, enabled, rule });
  }
  return out;
}

/**
 * The errno open_exec() would give for an F rule's interpreter at
 * registration, or null when it opens: missing → ENOENT, a directory, a
 * non-regular file or a file without execute permission → EACCES. A
 * relative path is resolved against `cwd` (the kernel uses the writer's
 * working directory). Not detected: noexec mounts (EACCES too).
 */
export function interpreterOpenErrno(interpreter: string, cwd: string = process.cwd()): string | null {
  // Byte strings throughout (see src/rule.ts): cwd is text, so encode it first.
  const p = Buffer.from(path.resolve(Buffer.from(cwd, 'utf8').toString('latin1'), interpreter), 'latin1');
  try {
    const st = statSync(p);
    if (!st.isFile()) return 'EACCES';
    accessSync(p, fsConstants.X_OK);
    return null;
  } catch (e) {
    return errnoOf(e) ?? 'EACCES';
  }
}
