// The live binfmt_misc directory: the IO edge for reading and writing the
// kernel's entries, mounting, and mapping each errno the kernel answers to a
// meaning. Every function takes the directory, so a private instance or a
// test directory can stand in for the global one. It stays one file (a little
// over 400 lines) because the errno tables and the writes they explain are
// read together.
import { accessSync, closeSync, constants as fsConstants, openSync, opendirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { XarchError, errnoOf } from '../core/errors.js';
import { displayBytes } from '../core/bytes.js';
import { parseEntry, registerBytes, type Rule } from '../core/rule.js';
import type { LiveEntry } from '../core/match.js';
import { kernelAtLeast } from '../core/kernel-version.js';
import { XARCH_MOUNT_SOURCE } from './mount.js';

/** Where binfmt_misc is mounted on every Linux distribution. */
export const DEFAULT_BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

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

// ---------------------------------------------------------------- write side

/** A byte-string entry name → a path Buffer under dir (names may hold any byte but '/'). */
function entryPath(dir: string, name: string): Buffer {
  return Buffer.concat([Buffer.from(dir.endsWith('/') ? dir : dir + '/'), Buffer.from(name, 'latin1')]);
}

/** Write `data` to `p` in exactly one write(2), as binfmt_misc requires. */
function writeOnce(p: string | Buffer, data: Uint8Array): void {
  // O_WRONLY without O_CREAT: opening a missing entry then fails with ENOENT
  // (with O_CREAT binfmt_misc answers EACCES, as a shell's `>` shows).
  let fd: number;
  try {
    fd = openSync(p, fsConstants.O_WRONLY);
  } catch (e) {
    // Opening is the file system's answer (permissions, read-only mount, not
    // mounted); the write is the kernel's answer to the rule itself.
    throw Object.assign(e as Error, { stage: 'open' });
  }
  try {
    const n = writeSync(fd, data, 0, data.length);
    if (n !== data.length) {
      throw Object.assign(new Error(`short write (${n} of ${data.length} bytes)`), { code: 'EIO' });
    }
  } finally {
    closeSync(fd);
  }
}

export interface MountResult {
  dir: string;
  /** true when this call mounted it; false when it was mounted already. */
  mounted: boolean;
}

/**
 * Mount binfmt_misc at dir unless an instance is already there. Node has no
 * mount(2), so this runs util-linux's mount(8) and maps its failure to an
 * errno by what it says (mount(8) does not expose errno itself).
 */
export function ensureMounted(dir: string = DEFAULT_BINFMT_DIR, opts: { filesystems?: string } = {}): MountResult {
  if (isMounted(dir)) return { dir, mounted: false };
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw mountError('ENOENT_DIR', dir, `${dir} does not exist`, e);
  }
  if (!st.isDirectory()) throw mountError('ENOTDIR', dir, `${dir} is not a directory`);
  // Without binfmt_misc in /proc/filesystems the mount can still load the
  // module (request_module), so this only sharpens the message afterwards.
  const fsPath = opts.filesystems ?? '/proc/filesystems';
  let known: boolean | undefined;
  try {
    known = /\bbinfmt_misc\b/.test(readFileSync(fsPath, 'utf8'));
  } catch {
    known = undefined;
  }
  // The source name marks the mount as xarch's, for uninstall (host/mount.ts).
  const r = spawnSync('mount', ['-t', 'binfmt_misc', XARCH_MOUNT_SOURCE, dir], { encoding: 'utf8', timeout: 15_000 });
  if (r.error) {
    throw new XarchError('BINFMT_UNAVAILABLE', `cannot run mount(8) to mount binfmt_misc at ${dir}: ${r.error.message}`, {
      path: dir, cause: r.error, hint: 'install util-linux (mount), or mount it yourself: mount -t binfmt_misc binfmt_misc ' + dir,
    });
  }
  if (r.status === 0 && isMounted(dir)) return { dir, mounted: true };
  // Another process (a concurrent install) may have mounted it meanwhile.
  if (isMounted(dir)) return { dir, mounted: false };
  // mount(8) adds a "dmesg(1) may have more information" line after the reason.
  const all = (r.stderr || r.stdout || '').trim();
  const first = all.split('\n')[0]?.trim() ?? '';
  throw mountError(mountErrno(all, known), dir, first || `mount exited with ${r.status}`);
}

/** mount(8)'s message → the errno behind it. */
export function mountErrno(message: string, knownFilesystem?: boolean): string {
  const m = message.toLowerCase();
  if (/unknown filesystem type|no such device|ENODEV/i.test(message) || knownFilesystem === false) return 'ENOENT';
  if (/read-only/.test(m)) return 'EROFS';
  if (/busy|already mounted/.test(m)) return 'EBUSY';
  if (/permission denied|must be superuser|operation not permitted|only root/.test(m)) return 'EPERM';
  if (/does not exist|no such file/.test(m)) return 'ENOENT_DIR';
  return 'EIO';
}

function mountError(errno: string, dir: string, detail: string, cause?: unknown): XarchError {
  const manual = `mount -t binfmt_misc binfmt_misc ${dir}`;
  switch (errno) {
    case 'EPERM':
    case 'EACCES':
      return new XarchError('PERMISSION_DENIED', `no permission to mount binfmt_misc at ${dir} (${detail})`, {
        path: dir, errno, cause,
        hint: 'run as root; in a container, binfmt_misc can only be set up from the host or a --privileged container; ' +
          'on Linux 6.7+ an unprivileged user namespace can mount its own instance (xarch shell, xarch verify --sandbox)',
      });
    case 'EROFS':
      return new XarchError('READ_ONLY', `cannot mount binfmt_misc at ${dir}: read-only file system (${detail})`, {
        path: dir, errno, cause, hint: 'the container runtime mounts /proc/sys read-only; set handlers up on the host, or run the container --privileged',
      });
    case 'ENOENT':
      return new XarchError('BINFMT_UNAVAILABLE', `this kernel has no binfmt_misc (${detail})`, {
        path: dir, errno, cause, hint: 'load the module (modprobe binfmt_misc) or use a kernel built with CONFIG_BINFMT_MISC; ' +
          'without it, run foreign programs explicitly: xarch run --direct',
      });
    case 'ENOENT_DIR':
    case 'ENOTDIR':
      return new XarchError('BINFMT_NOT_MOUNTED', `cannot mount binfmt_misc: ${detail}`, {
        path: dir, errno: 'ENOENT', cause, hint: `is /proc mounted? create the directory or pass --binfmt-dir; then: ${manual}`,
      });
    case 'EBUSY':
      return new XarchError('BINFMT_UNAVAILABLE', `cannot mount binfmt_misc at ${dir}: busy (${detail})`, {
        path: dir, errno, cause, hint: `something else is mounted there; check with: findmnt ${dir}`,
      });
    default:
      return new XarchError('BINFMT_UNAVAILABLE', `cannot mount binfmt_misc at ${dir}: ${detail}`, { path: dir, errno, cause, hint: `try it by hand: ${manual}` });
  }
}

/**
 * Map a failed write to `register` to what it means. The kernel's order
 * (fs/binfmt_misc.c bm_register_write): syntax (EINVAL), then for F the
 * interpreter open (ENOENT/EACCES), then the name (EEXIST).
 */
export function registerError(e: unknown, dir: string, rule: Rule, release = ''): XarchError {
  const errno = errnoOf(e) ?? 'EIO';
  const name = displayBytes(rule.name);
  const interp = displayBytes(rule.interpreter);
  const F = rule.flags.includes('F');
  const reg = path.join(dir, 'register');
  if ((e as { stage?: string } | null)?.stage === 'open') {
    if (errno === 'EROFS') {
      return new XarchError('READ_ONLY', `${dir} is mounted read-only`, {
        path: reg, errno, cause: e, hint: 'in a container /proc/sys is usually read-only: register on the host or run --privileged; elsewhere: mount -o remount,rw ' + dir,
      });
    }
    if (errno === 'EACCES' || errno === 'EPERM') {
      return new XarchError('PERMISSION_DENIED', `no permission to write ${reg}`, { path: reg, errno, cause: e, hint: 'run as root (or in your own user namespace on Linux 6.7+: xarch shell)' });
    }
    return binfmtDirError(e, reg);
  }
  switch (errno) {
    case 'EINVAL': {
      const old = release && !kernelAtLeast(release, 4, 8) && F;
      return new XarchError(old ? 'KERNEL_TOO_OLD' : 'RULE_INVALID', `the kernel refused rule ${name} as invalid (EINVAL)`, {
        path: reg, errno, cause: e,
        hint: old ? `flag F needs Linux 4.8 (this is ${release}); install without F: --flags ${rule.flags.replace('F', '') || '""'}`
          : "check it with 'xarch rule check'; flag F needs Linux 4.8, flag P Linux 2.6.24+",
      });
    }
    case 'EEXIST':
      return new XarchError('BINFMT_EXISTS', `an entry named ${name} is already registered`, {
        path: reg, errno, cause: e, hint: "see it with 'xarch status'; replace it with 'xarch install --force', or remove it first",
      });
    case 'ENOENT':
      if (F) {
        return new XarchError('EMULATOR_NOT_FOUND', `interpreter ${interp} of ${name} does not exist (F opens it at registration)`, {
          path: rule.interpreter, errno, cause: e, hint: "install the emulator (see 'xarch emulators') or name another one",
        });
      }
      return binfmtDirError(e, reg);
    case 'EACCES':
      if (F) {
        return new XarchError('EMULATOR_UNSAFE', `interpreter ${interp} of ${name} cannot be opened for execution (EACCES: not an executable regular file, or on a noexec mount)`, {
          path: rule.interpreter, errno, cause: e, hint: 'chmod 755 it, or use an emulator on an exec-mounted file system',
        });
      }
      return new XarchError('PERMISSION_DENIED', `no permission to write ${reg}`, { path: reg, errno, cause: e, hint: 'run as root (or in your own user namespace on Linux 6.7+)' });
    case 'EPERM':
      return new XarchError('PERMISSION_DENIED', `no permission to register in ${dir} (EPERM)`, {
        path: reg, errno, cause: e, hint: 'registering needs CAP_SYS_ADMIN in the user namespace that owns the instance: run as root; in a container, on the host',
      });
    case 'EROFS':
      return new XarchError('READ_ONLY', `${dir} is mounted read-only`, {
        path: reg, errno, cause: e, hint: 'in a container /proc/sys is usually read-only: register on the host or run --privileged; elsewhere: mount -o remount,rw ' + dir,
      });
    case 'ENOMEM':
      return new XarchError('BINFMT_WRITE_FAILED', `the kernel ran out of memory registering ${name} (ENOMEM)`, { path: reg, errno, cause: e, hint: 'free memory, or remove unused entries' });
    case 'ENAMETOOLONG':
      return new XarchError('RULE_INVALID', `entry name ${name} is too long (at most 255 bytes)`, { path: reg, errno, cause: e, hint: 'choose a shorter name' });
    default:
      return new XarchError('BINFMT_WRITE_FAILED', `registering ${name} failed: ${(e as Error)?.message ?? String(e)}`, { path: reg, errno, cause: e });
  }
}

/** Read one entry back; null when it does not exist. */
export function readEntry(dir: string, name: string): LiveEntry | null {
  let text: string;
  try {
    text = readFileSync(entryPath(dir, name), 'latin1');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw binfmtDirError(e, path.join(dir, name));
  }
  const { rule, enabled } = parseEntry(name, text);
  return { name, enabled, rule };
}

/**
 * Register a rule: the register line in one write(2) to dir/register, then
 * the entry read back as the kernel stored it.
 */
export function registerRule(dir: string, rule: Rule, opts: { release?: string } = {}): LiveEntry {
  try {
    writeOnce(path.join(dir, 'register'), registerBytes(rule));
  } catch (e) {
    throw registerError(e, dir, rule, opts.release);
  }
  const back = readEntry(dir, rule.name);
  if (!back) {
    throw new XarchError('BINFMT_WRITE_FAILED', `registered ${displayBytes(rule.name)}, but it is not there when read back (removed concurrently?)`, { path: dir, errno: 'ENOENT' });
  }
  return back;
}

function entryWriteError(e: unknown, dir: string, name: string, what: string): XarchError {
  const errno = errnoOf(e);
  if (errno === 'ENOENT') {
    return new XarchError('PATH_NOT_FOUND', `no binfmt_misc entry named ${displayBytes(name)} in ${dir}`, { path: path.join(dir, name), errno, cause: e, hint: "list entries with 'xarch status'" });
  }
  if (errno === 'EROFS') return new XarchError('READ_ONLY', `${dir} is mounted read-only`, { path: dir, errno, cause: e, hint: 'register on the host or remount it read-write' });
  if (errno === 'EACCES' || errno === 'EPERM') return new XarchError('PERMISSION_DENIED', `no permission to ${what} ${displayBytes(name)}`, { path: path.join(dir, name), errno, cause: e, hint: 'run as root' });
  return new XarchError('BINFMT_WRITE_FAILED', `cannot ${what} ${displayBytes(name)}: ${(e as Error)?.message ?? String(e)}`, { path: path.join(dir, name), errno, cause: e });
}

/** Remove an entry (write "-1"). Returns false when it was already gone. Callers re-read with readEntry(). */
export function removeEntry(dir: string, name: string): boolean {
  try {
    writeOnce(entryPath(dir, name), Buffer.from('-1'));
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return false;
    throw entryWriteError(e, dir, name, 'remove');
  }
  // The write succeeding means the kernel removed it; an entry of that name
  // read back now was registered again by someone else in the meantime.
  return true;
}

/** Enable ("1") or disable ("0") one entry; returns the entry as read back. */
export function setEntryEnabled(dir: string, name: string, enabled: boolean): LiveEntry {
  try {
    writeOnce(entryPath(dir, name), Buffer.from(enabled ? '1' : '0'));
  } catch (e) {
    throw entryWriteError(e, dir, name, enabled ? 'enable' : 'disable');
  }
  const back = readEntry(dir, name);
  if (!back) throw new XarchError('PATH_NOT_FOUND', `entry ${displayBytes(name)} disappeared while being ${enabled ? 'enabled' : 'disabled'}`, { path: path.join(dir, name) });
  return back;
}

/** Switch the whole instance on or off (status file); returns the state read back. */
export function setGlobalEnabled(dir: string, enabled: boolean): 'enabled' | 'disabled' {
  try {
    writeOnce(path.join(dir, 'status'), Buffer.from(enabled ? '1' : '0'));
  } catch (e) {
    throw entryWriteError(e, dir, 'status', enabled ? 'enable' : 'disable');
  }
  return readGlobalStatus(dir);
}
