// QEMU user-mode emulators on this machine: where they are, which target
// each serves, whether it is static (safe to pin with F) and whether it
// honours binfmt_misc's P flag. IO edge: reads directories and ELF headers,
// runs `--version` only when asked.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { TARGETS, type Target } from '../core/arch.js';
import { kernelAtLeast } from '../core/kernel-version.js';
import { readElfFile } from '../host/file.js';

export interface Emulator {
  /** Catalogue target name (src/arch.ts). */
  target: string;
  /** QEMU CPU name (qemu-<cpu>). */
  cpu: string;
  /** Path as found (for a wrapper: the wrapper's own path, which is what gets registered). */
  path: string;
  /** static/dynamic: from the emulator's ELF header; wrapper: Debian's <cpu>-binfmt-P name. */
  kind: 'static' | 'dynamic' | 'wrapper';
  /** The file that finally runs has no PT_INTERP (safe to pin with F). */
  static: boolean;
  /** `qemu-x --version` first line's version ("7.2.22 (Debian …)"), or null when not asked for / unknown. */
  version: string | null;
  /**
   * Honours P when registered with this path: a Debian `-binfmt-P` wrapper
   * always does (QEMU reads its own argv[0]); otherwise QEMU >= 6.0 reads
   * AT_FLAGS_PRESERVE_ARGV0 from the auxv, which Linux >= 5.12 sets.
   * False when the version is unknown.
   */
  preserveArgv0: boolean;
  /** For a wrapper: the real emulator it links to. */
  via?: string;
}

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
 * only the headers (src/elf-file.ts). null when it is not a readable ELF file.
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

/** QEMU major.minor from a version string. */
export function qemuVersion(version: string | null): [number, number] | null {
  const m = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * Does an emulator honour P? Debian's wrapper name always works (Debian's
 * patch "linux-user: handle binfmt-misc P flag as a separate exe name").
 * Upstream QEMU 6.0 reads AT_FLAGS_PRESERVE_ARGV0 from the auxv
 * (linux-user/main.c), which the kernel sets with P since Linux 5.12.
 * Verified on this project's machine: QEMU 7.2 + Linux 6.18 preserve argv[0]
 * under both paths (test/emulators.test.ts).
 */
export function honoursP(kind: Emulator['kind'], version: string | null, kernelRelease: string): boolean {
  if (kind === 'wrapper') return true;
  const v = qemuVersion(version);
  if (!v) return false;
  return v[0] >= 6 && kernelAtLeast(kernelRelease, 5, 12);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isExecutableFile(p: string): boolean {
  try {
    const st = statSync(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
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
  const root = opts.root ?? '';
  const release = opts.kernelRelease ?? os.release();
  const pathDirs = (opts.path ?? process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'));
  const dirs = [...(opts.extraDirs ?? []), ...(opts.dirs ?? DEFAULT_EMULATOR_DIRS), ...pathDirs];
  const seenDirs = new Set<string>();
  const seenReal = new Set<string>();
  const out: Emulator[] = [];
  for (const d of dirs) {
    const dir = root ? path.join(root, d) : d;
    let realDir: string;
    try {
      realDir = realpathSync(dir);
    } catch {
      continue;
    }
    if (seenDirs.has(realDir)) continue;
    seenDirs.add(realDir);
    for (const base of listDir(dir).sort()) {
      const parsed = parseEmulatorName(base);
      if (!parsed) continue;
      const p = path.join(dir, base);
      if (!isExecutableFile(p)) continue;
      let real: string;
      try {
        real = realpathSync(p);
      } catch {
        continue;
      }
      const key = (parsed.wrapper ? 'W:' : 'E:') + (parsed.wrapper ? p : real);
      if (seenReal.has(key)) continue;
      seenReal.add(key);
      const isStatic = elfIsStatic(real);
      if (isStatic === null) continue; // not an ELF file: a script or a broken install
      const kind: Emulator['kind'] = parsed.wrapper ? 'wrapper' : isStatic ? 'static' : 'dynamic';
      const version = opts.versions ? emulatorVersion(real) : null;
      for (const t of BY_CPU.get(parsed.cpu)!) {
        const e: Emulator = { target: t.name, cpu: parsed.cpu, path: p, kind, static: isStatic, version, preserveArgv0: honoursP(kind, version, release) };
        if (parsed.wrapper) e.via = real;
        out.push(e);
      }
    }
  }
  return out;
}

/**
 * The emulator to register for a target: static first (F pins it and it
 * needs no libraries inside chroots), then one that honours P, then a plain
 * path over a wrapper (what the user sees in `status`), then search order.
 */
export function bestEmulator(target: string, emulators: readonly Emulator[]): Emulator | undefined {
  const score = (e: Emulator) => (e.static ? 4 : 0) + (e.preserveArgv0 ? 2 : 0) + (e.kind !== 'wrapper' ? 1 : 0);
  let best: Emulator | undefined;
  for (const e of emulators) {
    if (e.target !== target) continue;
    if (!best || score(e) > score(best)) best = e;
  }
  return best;
}

/** How to get emulators, for messages when none is found. */
export function emulatorHint(): string {
  return 'install QEMU user-mode emulators: apt-get install qemu-user-static (Debian, Ubuntu); ' +
    'dnf install qemu-user-static (Fedora); apk add qemu-<cpu> (Alpine, e.g. qemu-aarch64); ' +
    'pacman -S qemu-user-static (Arch); or name a directory with --dir';
}
