// QEMU user-mode emulators on this machine: where they are, which target
// each serves, whether it is static (safe to pin with F) and whether it
// honours binfmt_misc's P flag. IO edge: reads directories and ELF headers,
// runs `--version` only when asked.
import { realpathSync, statSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { TARGETS, type Target } from '../core/arch.js';
import { honoursP, type Emulator } from './emulator.js';
import { readElfFile, listNames } from '../host/file.js';

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
    for (const base of listNames(dir).sort()) {
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
