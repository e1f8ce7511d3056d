// QEMU user-mode emulators on this machine: where they are, which target
// each serves, whether it is static (safe to pin with F) and whether it
// honours binfmt_misc's P flag. IO edge: reads directories and ELF headers,
// runs `--version` only when asked.
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { TARGETS, type Target } from '../core/arch.js';
import { honoursP, type Emulator } from './emulator.js';
import { readElfFile, withHeadSeen, listNames } from '../host/file.js';
import { looksLikeElf } from '../core/elf.js';

export interface FindOptions {
  /** PATH to search (default process.env.PATH). */
  path?: string;
  /** The usual places (default /usr/bin, /usr/local/bin, /usr/libexec/qemu-binfmt). */
  dirs?: string[];
  /** More directories (searched first). */
  extraDirs?: string[];
  /** Prefix for every directory searched (a root file system). */
  root?: string;
  /** Run `--version` on each one found (about 50 ms each; cached per file). */
  versions?: boolean;
  /** Kernel release for the P decision (default os.release()). */
  kernelRelease?: string;
  /** Only emulators for these QEMU CPUs: a session needs its root's few, and reading every emulator's ELF header was most of its planning. */
  cpus?: ReadonlySet<string>;
}

export const DEFAULT_EMULATOR_DIRS = ['/usr/bin', '/usr/local/bin', '/usr/libexec/qemu-binfmt'];

const BY_CPU = new Map<string, Target[]>();
for (const t of TARGETS) {
  const list = BY_CPU.get(t.cpu) ?? [];
  list.push(t);
  BY_CPU.set(t.cpu, list);
}

/** The QEMU CPU an emulator file name stands for, and whether it is a -binfmt-P wrapper. */
export function parseEmulatorName(base: string): { cpu: string; wrapper: boolean } | null {
  let m = /^(?:qemu-)?(.+)-binfmt-P$/.exec(base);
  if (m && BY_CPU.has(m[1]!)) return { cpu: m[1]!, wrapper: true };
  m = /^qemu-(.+?)(?:-static)?$/.exec(base);
  if (m && BY_CPU.has(m[1]!)) return { cpu: m[1]!, wrapper: false };
  return null;
}

/**
 * Is an ELF file statically linked (no PT_INTERP; static-pie counts)? Reads
 * only the headers (src/host/file.ts). null when it is not a readable ELF file.
 */
export function elfIsStatic(file: string): boolean | null {
  try {
    return readElfFile(file).linkage !== 'dynamic';
  } catch {
    return null;
  }
}

const versionCache = new Map<string, string | null>();

function cacheKey(file: string): string | null {
  try {
    const real = realpathSync(file);
    const st = statSync(real);
    return `${real}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

function parseVersion(stdout: string): string | null {
  const m = /version\s+(\S.*)$/m.exec(stdout);
  return m ? m[1]!.trim() : null;
}

/** `emu --version` → "7.2.22 (Debian …)", cached per file (path, size, mtime). */
export function emulatorVersion(file: string): string | null {
  const key = cacheKey(file);
  if (key && versionCache.has(key)) return versionCache.get(key)!;
  const r = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } });
  const v = r.status === 0 ? parseVersion(r.stdout) : null;
  if (key) versionCache.set(key, v);
  return v;
}

/** Versions for many emulators at once (parallel child processes), filling in version and preserveArgv0. */
export async function withVersions(emulators: Emulator[], kernelRelease = os.release()): Promise<Emulator[]> {
  const runOne = (file: string) =>
    new Promise<string | null>((resolve) => {
      const key = cacheKey(file);
      if (key && versionCache.has(key)) return resolve(versionCache.get(key)!);
      execFile(file, ['--version'], { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } }, (err, stdout) => {
        const v = err ? null : parseVersion(stdout);
        if (key) versionCache.set(key, v);
        resolve(v);
      });
    });
  // A -binfmt-P wrapper refuses to run outside binfmt_misc: ask the file it links to.
  const runPath = (e: Emulator) => e.via ?? e.path;
  const unique = [...new Set(emulators.map(runPath))];
  const results = new Map<string, string | null>();
  // A few at a time: each is a 10+ MB static binary.
  for (let i = 0; i < unique.length; i += 4) {
    const batch = unique.slice(i, i + 4);
    const vs = await Promise.all(batch.map(runOne));
    batch.forEach((p, j) => results.set(p, vs[j]!));
  }
  return emulators.map((e) => {
    const version = results.get(runPath(e)) ?? null;
    return { ...e, version, preserveArgv0: honoursP(e.kind, version, kernelRelease) };
  });
}

/**
 * The package that owns each file, where the package manager knows: one
 * `dpkg-query -S` (Debian, Ubuntu) or else `rpm -qf` (Fedora) for all of
 * them. A file no package owns (a copy in /usr/local, a store set) is
 * absent from the map.
 */
export function packageOwners(files: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!files.length) return out;
  const asked = new Map<string, string>(); // path dpkg may know it by → path as listed
  for (const f of files) {
    asked.set(f, f);
    try {
      const real = realpathSync(f);
      if (!asked.has(real)) asked.set(real, f);
    } catch { /* listed as found */ }
  }
  const dpkg = spawnSync('dpkg-query', ['-S', ...asked.keys()], { encoding: 'utf8', timeout: 20_000 });
  if (!dpkg.error) {
    for (const line of (dpkg.stdout ?? '').split('\n')) {
      const m = /^([^:\s][^:]*(?::[a-z0-9]+)?): (\/.*)$/.exec(line);
      const f = m ? asked.get(m[2]!) : undefined;
      if (f && !out.has(f) && !m![1]!.startsWith('diversion by')) out.set(f, m![1]!.split(', ')[0]!);
    }
    return out;
  }
  for (const [p, f] of asked) {
    if (out.has(f)) continue;
    const r = spawnSync('rpm', ['-qf', '--qf', '%{NAME}\n', p], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0 && r.stdout.trim()) out.set(f, r.stdout.trim().split('\n')[0]!);
  }
  return out;
}

/**
 * Every file name parseEmulatorName gives one of `cpus` for, with what it
 * makes of it, in the order a sorted directory listing would hold them: a
 * few stat calls per directory instead of listing PATH (a session's
 * planning spent most of its time reading /usr/bin and the rest of PATH).
 */
function candidateNames(cpus: ReadonlySet<string>): { base: string; cpu: string; wrapper: boolean }[] {
  const names = [...cpus].flatMap((c) => [`qemu-${c}-static`, `qemu-${c}`, `qemu-${c}-binfmt-P`, `${c}-binfmt-P`]).sort();
  return names.flatMap((base) => {
    const parsed = parseEmulatorName(base);
    return parsed && cpus.has(parsed.cpu) ? [{ base, ...parsed }] : [];
  });
}

/**
 * Is `p` an executable regular file, and is it a symlink? lstat first: a
 * file that is no link needs no realpath(3) (one readlink per component).
 */
function executableFile(p: string): { link: boolean } | null {
  try {
    // Most names asked about do not exist: an ENOENT error object per miss cost more than the stat.
    let st = lstatSync(p, { throwIfNoEntry: false });
    const link = !!st?.isSymbolicLink();
    if (link) st = statSync(p, { throwIfNoEntry: false });
    return st && st.isFile() && (st.mode & 0o111) !== 0 ? { link } : null;
  } catch {
    return null;
  }
}

/**
 * Every QEMU user-mode emulator found: qemu-<cpu>-static and qemu-<cpu> in
 * the given directories and on PATH, and Debian's <cpu>-binfmt-P wrappers.
 * One record per catalogue target (qemu-i386 serves i386 and i486). The same
 * file reached through several directories (PATH and /usr/bin) is listed once,
 * under the first directory searched.
 */
export function findEmulators(opts: FindOptions = {}): Emulator[] {
  const release = opts.kernelRelease ?? os.release();
  const out: Emulator[] = [];
  const linkage = new Map<string, boolean | null>();
  for (const { cpu, wrapper, path: p, real } of emulatorFiles(opts)) {
    // Debian's -binfmt-P wrapper is a link to the emulator beside it: read its headers once.
    const isStatic = linkage.get(real) ?? elfIsStatic(real);
    linkage.set(real, isStatic);
    if (isStatic === null) continue; // not an ELF file: a script or a broken install
    const kind: Emulator['kind'] = wrapper ? 'wrapper' : isStatic ? 'static' : 'dynamic';
    const version = opts.versions ? emulatorVersion(real) : null;
    for (const t of BY_CPU.get(cpu)!) {
      const e: Emulator = { target: t.name, cpu, path: p, kind, static: isStatic, version, preserveArgv0: honoursP(kind, version, release) };
      if (wrapper) e.via = real;
      out.push(e);
    }
  }
  return out;
}

/**
 * The catalogue targets findEmulators would find an emulator for, judged by
 * the files' ELF magic instead of their parsed headers (a file with the
 * magic whose headers are damaged counts here and not there): what `arches`
 * shows as installed, at a fraction of the cost (parsing 35 emulators'
 * headers was most of its run).
 */
export function installedTargets(opts: Omit<FindOptions, 'versions' | 'kernelRelease'> = {}): Set<string> {
  const out = new Set<string>();
  const known = (cpu: string) => BY_CPU.get(cpu)!.every((t) => out.has(t.name));
  const head = new Uint8Array(4);
  // By candidate name, not by listing PATH: a CPU found in the first directory costs one stat.
  for (const { cpu, real } of emulatorFiles({ ...opts, cpus: opts.cpus ?? new Set(BY_CPU.keys()) }, known)) {
    let elf: boolean | undefined;
    try {
      // The search saw a regular file there (executableFile): one open, one read, one close.
      elf = withHeadSeen(real, head, (b, n) => n === 4 && looksLikeElf(b), () => true);
    } catch {
      continue;
    }
    if (elf) for (const t of BY_CPU.get(cpu)!) out.add(t.name);
  }
  return out;
}

/** The emulator files of findEmulators' search, each once, in its order; not yet read. `skip`: CPUs not to look at any more. */
function* emulatorFiles(opts: FindOptions, skip?: (cpu: string) => boolean): Generator<{ cpu: string; wrapper: boolean; path: string; real: string }> {
  const root = opts.root ?? '';
  const pathDirs = (opts.path ?? process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'));
  const dirs = [...(opts.extraDirs ?? []), ...(opts.dirs ?? DEFAULT_EMULATOR_DIRS), ...pathDirs];
  const seenDirs = new Set<string>();
  const seenReal = new Set<string>();
  let wanted = opts.cpus && candidateNames(opts.cpus);
  // With `skip` (installedTargets, which asks only whether a CPU has one), the
  // name most installs have, qemu-<cpu>-static, is asked first: once it is
  // found, the CPU's other names are skipped, not asked in vain.
  if (wanted && skip) wanted = [...wanted.filter((n) => n.base.endsWith('-static')), ...wanted.filter((n) => !n.base.endsWith('-static'))];
  for (const d of dirs) {
    // Every CPU skipped: no directory left to read.
    if (wanted && skip && wanted.every((n) => skip(n.cpu))) return;
    const dir = root ? path.join(root, d) : d;
    let realDir: string;
    try {
      // realpath(3), not the lstat walk of realpathSync: a dozen PATH directories per session.
      realDir = realpathSync.native(dir);
    } catch {
      continue;
    }
    if (seenDirs.has(realDir)) continue;
    seenDirs.add(realDir);
    const names = wanted ?? listNames(dir).sort().flatMap((base) => {
      const parsed = parseEmulatorName(base);
      return parsed && (!opts.cpus || opts.cpus.has(parsed.cpu)) ? [{ base, ...parsed }] : [];
    });
    for (const parsed of names) {
      if (skip?.(parsed.cpu)) continue;
      const p = path.join(dir, parsed.base);
      const file = executableFile(p);
      if (!file) continue;
      let real: string;
      try {
        // A file that is no link, in a directory that is its own real path, is where it is.
        real = !file.link && realDir === dir ? p : realpathSync.native(p);
      } catch {
        continue;
      }
      const key = (parsed.wrapper ? 'W:' : 'E:') + (parsed.wrapper ? p : real);
      if (seenReal.has(key)) continue;
      seenReal.add(key);
      yield { cpu: parsed.cpu, wrapper: parsed.wrapper, path: p, real };
    }
  }
}
