// What an emulator is and which one serves a target: values only, so the
// install planner can choose without touching the file system. Finding
// emulators on disk and asking their versions is src/emulators/discover.ts.
import { kernelAtLeast } from '../core/kernel-version.js';
import { canonicalFlags } from '../core/rule.js';

export interface Emulator {
  /** Catalogue target name (src/core/arch.ts). */
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

/** The default flags for an emulator: P where it honours it, O, F when static; C only on request. */
export function defaultFlags(e: Emulator, credentials: boolean, kernelRelease: string): string {
  let f = (e.preserveArgv0 ? 'P' : '') + 'O' + (credentials ? 'C' : '');
  if (e.static && kernelAtLeast(kernelRelease, 4, 8)) f += 'F';
  return canonicalFlags(f);
}
