// xarch doctor: why a foreign program does not run, and what to do.
// gatherFacts() is the IO edge (reads /proc, the binfmt_misc directory, the
// file and its root); diagnose() is pure: facts in, ordered findings out.
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTarget, isHostTarget } from '../core/arch.js';
import { fsPath, readElfFile } from '../host/file.js';
import type { ElfInfo } from '../core/elf.js';
import { elfIsStatic, findEmulators } from '../emulators/discover.js';
import { isXarchError } from '../core/errors.js';
import { DEFAULT_BINFMT_DIR, isMounted, readGlobalStatus, readLiveEntries } from '../host/kernel.js';
import { kernelFeatures, type KernelFeatures } from '../core/kernel-version.js';
import { lint } from '../core/lint.js';
import { matchRule, whichEntry, type LiveEntry } from '../core/match.js';
import { buildProbe, hasProbe } from '../core/probe.js';
import { resolveInRoot } from '../host/rootfs.js';
import { missingLibraries } from '../run/run.js';
import { detectArchitectures } from '../session/session.js';
import { isOurs } from '../manage/ownership.js';
import { isInitialUserNamespace } from '../host/instance.js';

export type FindingStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface Finding {
  id: string;
  status: FindingStatus;
  message: string;
  hint?: string;
}

export interface InterpreterFacts {
  path: string;
  exists: boolean;
  executable: boolean;
  /** null when not an ELF file (a script or unreadable). */
  static: boolean | null;
}

export interface SubjectFacts {
  /** What is diagnosed: a file, or a root file system's architecture. */
  label: string;
  /** Path exec would get (E entries match on its extension). */
  execPath: string;
  head: Uint8Array;
  elf: ElfInfo | null;
  elfError?: string;
  target: string | null;
  setuid: boolean;
  /** Root the program runs in (for its loader). */
  root: string;
  loaderPresent: boolean | null;
  /** DT_NEEDED libraries not found in the root (when the loader is there). */
  missingLibraries?: string[];
}

export interface Facts {
  binfmtDir: string;
  binfmtInKernel: boolean;
  mounted: boolean;
  globalEnabled: boolean;
  entries: LiveEntry[];
  interpreters: Record<string, InterpreterFacts>;
  kernel: KernelFeatures;
  machine: string;
  capSysAdmin: boolean;
  /**
   * Judged by capabilities and namespaces, not by marker files (a VM's
   * /.dockerenv says nothing): CAP_SYS_ADMIN gone from the bounding set (no
   * process here can ever gain it, as container runtimes arrange) or a user
   * namespace other than the initial one.
   */
  inContainer: boolean;
  emulatorCount: number;
  subjects: SubjectFacts[];
}

// ---------------------------------------------------------------- pure

function interpreterFindings(e: LiveEntry, f: InterpreterFacts | undefined): Finding[] {
  const out: Finding[] = [];
  const pinned = e.rule.flags.includes('F');
  if (!f || !f.exists) {
    if (pinned) out.push({ id: 'interpreter-pinned', status: 'ok', message: `entry ${e.name}: interpreter ${e.rule.interpreter} is gone from the file system but pinned by F (the kernel keeps it open)` });
    else out.push({ id: 'interpreter-missing', status: 'fail', message: `entry ${e.name}: interpreter ${e.rule.interpreter} does not exist: exec fails with "no such file or directory"`, hint: `install the emulator (apt-get install qemu-user-static) and re-register: xarch install --force ${e.name}` });
    return out;
  }
  if (!f.executable) out.push({ id: 'interpreter-not-executable', status: 'fail', message: `entry ${e.name}: interpreter ${f.path} is not executable`, hint: `chmod 755 ${f.path}` });
  if (f.static === false && !pinned) {
    out.push({ id: 'interpreter-dynamic-unpinned', status: 'fail', message: `entry ${e.name}: interpreter ${f.path} is dynamically linked and not pinned with F: inside a container or chroot its path and libraries are looked up there, and exec fails with "no such file or directory"`, hint: 'use a static emulator (qemu-user-static) registered with F: xarch install --force' });
  } else if (f.static === false) {
    out.push({ id: 'interpreter-dynamic', status: 'warn', message: `entry ${e.name}: interpreter ${f.path} is pinned with F but dynamically linked: inside a container its libraries are loaded from the container`, hint: 'use the static build (qemu-<cpu>-static)' });
  } else if (!pinned) {
    out.push({ id: 'interpreter-unpinned', status: 'warn', message: `entry ${e.name}: interpreter ${f.path} is not pinned with F: programs in containers and chroots need it at the same path inside`, hint: `re-register with F: xarch install --force ${e.name}` });
  } else {
    out.push({ id: 'interpreter-ok', status: 'ok', message: `entry ${e.name}: interpreter ${f.path} is static and pinned with F` });
  }
  return out;
}

/**
 * What to do about a missing loader. The libc package is the program's own
 * architecture's (an armhf program in an arm64 root needs libc6:armhf, not
 * the root's libc6), and a root that holds it can be lent with run --sysroot.
 */
function loaderHint(s: SubjectFacts): string {
  const debian = getTarget(s.target ?? '')?.names.debian?.[0];
  const libc = debian ? `libc6:${debian}` : 'the foreign libc6';
  const add = debian ? ` (dpkg --add-architecture ${debian}; apt-get update)` : '';
  const sysroot = `or run it with a root that has one: xarch run --sysroot ROOTFS ${s.execPath}`;
  return s.root === '/'
    ? `install the foreign libc: apt-get install ${libc}${add}, ${sysroot}, or in that root: xarch shell ROOTFS`
    : `the root file system ${s.root} is incomplete: install ${libc} into it${add}, ${sysroot}`;
}

/** Ordered findings for the facts. */
export function diagnose(f: Facts): Finding[] {
  const out: Finding[] = [];
  if (!f.binfmtInKernel) {
    out.push({ id: 'binfmt-missing', status: 'fail', message: 'this kernel has no binfmt_misc (not in /proc/filesystems)', hint: 'load it (modprobe binfmt_misc) or use a kernel built with CONFIG_BINFMT_MISC; xarch run works without it' });
    return out;
  }
  if (!f.mounted) {
    out.push({ id: 'not-mounted', status: 'fail', message: `binfmt_misc is not mounted at ${f.binfmtDir}`, hint: `mount -t binfmt_misc binfmt_misc ${f.binfmtDir} (xarch install does it)` });
  } else {
    out.push({ id: 'mounted', status: 'ok', message: `binfmt_misc is mounted at ${f.binfmtDir}` });
    out.push(f.globalEnabled
      ? { id: 'enabled', status: 'ok', message: 'binfmt_misc is enabled' }
      : { id: 'disabled-globally', status: 'fail', message: 'binfmt_misc is disabled as a whole (status reads "disabled"): no entry runs', hint: `echo 1 > ${f.binfmtDir}/status` });
  }
  if (!f.capSysAdmin) {
    out.push({ id: 'no-privilege', status: 'info', message: `no CAP_SYS_ADMIN${f.inContainer ? ' inside a container' : ''}: handlers cannot be changed from here`, hint: f.inContainer ? 'register handlers on the host (xarch install), or run the container with --privileged once to do it' : 'run as root to change handlers, or use xarch verify --sandbox / xarch shell (Linux 6.7+)' });
  }
  for (const e of f.entries) {
    if (!e.enabled) continue;
    const host = lint(e.rule, { hostMachine: f.machine }).filter((l) => l.code === 'MATCHES_HOST_BINARIES' || l.code === 'MATCHES_SCRIPTS');
    for (const l of host) out.push({ id: 'matches-host', status: 'fail', message: `entry ${e.name}: ${l.message}`, hint: l.fix });
    if (e.rule.flags.includes('F') && !f.kernel.fixBinary) out.push({ id: 'kernel-too-old', status: 'fail', message: `entry ${e.name} uses F, which needs Linux 4.8 (this is ${f.kernel.release})`, hint: 'upgrade the kernel, or register without F and keep the emulator at the same path in containers' });
  }

  for (const s of f.subjects) {
    out.push({ id: 'subject', status: 'info', message: `${s.label}: ${s.elf ? `${s.elf.machineName}, ${s.elf.elfClass}-bit ${s.elf.byteOrder}-endian, ${s.elf.linkage}${s.target ? `, target ${s.target}` : ''}` : s.elfError ?? 'not an ELF file'}` });
    if (s.target && isHostTarget(getTarget(s.target)!, f.machine)) {
      out.push({ id: 'native', status: 'ok', message: `${s.label} runs natively on this ${f.machine} machine` });
      continue;
    }
    if (f.mounted) {
      const w = whichEntry(f.entries, f.globalEnabled, s.head, s.execPath);
      if (!w.entry) {
        const disabled = f.entries.find((e) => !e.enabled && matchRule(e.rule, s.head, s.execPath).matches);
        if (disabled) out.push({ id: 'handler-disabled', status: 'fail', message: `${s.label}: entry ${disabled.name} would run it but is disabled`, hint: `xarch enable ${disabled.name}` });
        else if (f.globalEnabled) out.push({ id: 'no-handler', status: 'fail', message: `${s.label}: no binfmt_misc entry matches it: exec fails with "exec format error"`, hint: s.target ? `xarch install ${s.target}` : 'xarch which FILE shows the nearest entries' });
      } else {
        out.push({ id: 'handler', status: 'ok', message: `${s.label}: handled by entry ${w.entry.name} (${w.entry.rule.interpreter}, flags ${w.entry.rule.flags || 'none'})` });
        const idx = f.entries.indexOf(w.entry);
        for (const older of f.entries.slice(idx + 1)) {
          if (older.enabled && matchRule(older.rule, s.head, s.execPath).matches) {
            out.push({ id: 'shadowed', status: 'warn', message: `${s.label}: entry ${older.name} also matches but is shadowed by the newer ${w.entry.name}, which the kernel uses`, hint: `remove the one you do not want: xarch uninstall --force ${older.name}` });
          }
        }
        out.push(...interpreterFindings(w.entry, f.interpreters[w.entry.rule.interpreter]));
        if (s.setuid && !w.entry.rule.flags.includes('C')) {
          out.push({ id: 'setuid-without-C', status: 'warn', message: `${s.label} is setuid, but entry ${w.entry.name} has no C flag: it runs with the caller's credentials (sudo/su inside emulated containers fail)`, hint: `xarch install --credentials --force ${s.target ?? w.entry.name} (read the warning it prints)` });
        }
      }
    }
    if (s.missingLibraries?.length) {
      out.push({ id: 'libraries-missing', status: 'fail', message: `${s.label} needs ${s.missingLibraries.join(', ')}, not found for ${s.target} in ${s.root}`, hint: 'install the libraries into that root (apt-get install <package>:<arch> with multiarch), or run it in a complete root file system' });
    }
    if (s.elf?.interpreter) {
      out.push(s.loaderPresent
        ? { id: 'loader', status: 'ok', message: `${s.label}: its loader ${s.elf.interpreter} is present in ${s.root}` }
        : { id: 'loader-missing', status: 'fail', message: `${s.label} needs its loader ${s.elf.interpreter}, which is not in ${s.root}: the emulator fails with "Could not open '${s.elf.interpreter}'"`, hint: loaderHint(s) });
    }
  }
  if (!f.subjects.length) {
    for (const e of f.entries) out.push(...interpreterFindings(e, f.interpreters[e.rule.interpreter]).map((x) => (e.enabled ? x : { ...x, status: 'info' as const })));
    out.push({ id: 'emulators', status: f.emulatorCount ? 'ok' : 'warn', message: `${f.emulatorCount} QEMU emulator(s) found`, ...(f.emulatorCount ? {} : { hint: 'apt-get install qemu-user-static' }) });
    // A disabled entry of xarch's own is a handler xarch set up that no longer runs anything.
    for (const e of f.entries) if (!e.enabled && isOurs(e.rule)) out.push({ id: 'entry-disabled', status: 'fail', message: `entry ${e.name} (xarch's) is disabled: the programs it would run fail with "exec format error"`, hint: `xarch enable ${e.name}` });
    out.push({ id: 'kernel', status: 'info', message: `Linux ${f.kernel.release}: F ${f.kernel.fixBinary ? 'yes' : 'no (needs 4.8)'}, P via AT_FLAGS ${f.kernel.preserveArgv0AuxFlag ? 'yes' : 'no (needs 5.12)'}, per-user-namespace instances ${f.kernel.perUserNamespace ? 'yes' : 'no (needs 6.7)'}` });
  }
  return out;
}

// ---------------------------------------------------------------- IO edge

export interface DoctorOptions {
  binfmtDir?: string;
  /** Root the file runs in (its loader is looked up there). */
  root?: string;
}

function interpreterFacts(p: string): InterpreterFacts {
  try {
    const st = statSync(p);
    return { path: p, exists: true, executable: st.isFile() && (st.mode & 0o111) !== 0, static: elfIsStatic(p) };
  } catch {
    return { path: p, exists: false, executable: false, static: null };
  }
}

function subjectOfFile(file: string, root: string): SubjectFacts {
  const s: SubjectFacts = { label: file, execPath: file, head: new Uint8Array(0), elf: null, target: null, setuid: false, root, loaderPresent: null };
  try {
    const st = statSync(fsPath(file));
    s.setuid = (st.mode & 0o4000) !== 0;
    s.elf = readElfFile(file);
    s.head = s.elf.header;
    s.target = s.elf.targets[0] ?? null;
    if (s.elf.interpreter) s.loaderPresent = resolveInRoot(root, s.elf.interpreter) !== null;
    const t = s.target ? getTarget(s.target) : undefined;
    if (s.loaderPresent && s.elf.interpreter && t) s.missingLibraries = missingLibraries(file, root, s.elf.interpreter, t);
  } catch (e) {
    if (!isXarchError(e)) throw e;
    if (e.code.startsWith('ELF_')) s.elfError = e.message;
    else throw e;
  }
  return s;
}

/** See Facts.inContainer. */
function containedHere(): boolean {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m && (BigInt('0x' + m[1]) & (1n << 21n)) === 0n) return true;
    // The initial user namespace maps every id: "0 0 4294967295".
    return !isInitialUserNamespace(readFileSync('/proc/self/uid_map', 'utf8'));
  } catch {
    return false;
  }
}

export function gatherFacts(arg: string | undefined, opts: DoctorOptions = {}): Facts {
  const binfmtDir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  let filesystems = '';
  try { filesystems = readFileSync('/proc/filesystems', 'utf8'); } catch { /* no /proc */ }
  const mounted = isMounted(binfmtDir);
  let entries: LiveEntry[] = [];
  let globalEnabled = false;
  if (mounted) {
    entries = readLiveEntries(binfmtDir);
    globalEnabled = readGlobalStatus(binfmtDir) === 'enabled';
  }
  const interpreters: Record<string, InterpreterFacts> = {};
  for (const e of entries) interpreters[e.rule.interpreter] ??= interpreterFacts(e.rule.interpreter);
  let capSysAdmin = false;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    capSysAdmin = m ? (BigInt('0x' + m[1]) & (1n << 21n)) !== 0n : false;
  } catch { /* unknown: assume none */ }
  const inContainer = containedHere();
  const subjects: SubjectFacts[] = [];
  if (arg !== undefined) {
    const st = statSync(fsPath(arg));
    if (st.isDirectory()) {
      const root = path.resolve(arg);
      const sh = resolveInRoot(root, '/bin/sh');
      const shell = sh ? subjectOfFile(sh, root) : null;
      for (const t of detectArchitectures(root)) {
        const usesShell = shell?.target === t.name;
        const s: SubjectFacts = usesShell
          ? { ...shell!, label: `${arg} (${t.name}, its /bin/sh)` }
          : { label: `${arg} (${t.name})`, execPath: '/bin/true', head: hasProbe(t.name) ? buildProbe(t.name) : Uint8Array.from(t.magic), elf: null, target: t.name, setuid: false, root, loaderPresent: null };
        subjects.push(s);
      }
    } else {
      subjects.push(subjectOfFile(arg, path.resolve(opts.root ?? '/')));
    }
  }
  return {
    binfmtDir, binfmtInKernel: /\bbinfmt_misc\b/.test(filesystems) || mounted, mounted, globalEnabled, entries, interpreters,
    kernel: kernelFeatures(os.release()), machine: os.machine(), capSysAdmin, inContainer,
    emulatorCount: arg === undefined ? new Set(findEmulators().map((e) => e.path)).size : 0, subjects,
  };
}
