// The self-test: run a tiny probe of each target through the kernel's
// binfmt_misc handlers (never by naming the emulator), and report what ran
// it and how it went. IO edge: writes probes to a private temp directory,
// execs them, removes them.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { getTarget, isHostTarget, resolveTarget, TARGETS } from '../core/arch.js';
import { DEFAULT_BINFMT_DIR, readGlobalStatus, readLiveEntries, isMounted } from '../host/kernel.js';
import { whichEntry } from '../core/match.js';
import { buildExecHelper, buildProbe, EXEC_HELPER_MARKER, hasProbe, PROBE_EXIT, probeMessage } from '../core/probe.js';
import type { Emulator } from '../emulators/emulator.js';
import type { LiveEntry } from '../core/match.js';

export type VerifyResultKind =
  | 'ok' // the probe printed its message and exit code
  | 'native' // ran on the host CPU (the host's own family), no handler involved
  | 'no-handler' // ENOEXEC: exec format error, no entry matches
  | 'interpreter-missing' // ENOENT: the entry's interpreter cannot be opened (or its loader is missing)
  | 'wrong-output' // ran, but printed or exited differently
  | 'crashed' // killed by a signal
  | 'timeout'
  | 'no-probe' // xarch has no probe for this target
  | 'exec-failed'; // any other exec error

export interface VerifyResult {
  target: string;
  ok: boolean;
  result: VerifyResultKind;
  /** The entry the kernel uses for the probe (predicted from the live directory), or null. */
  entry: string | null;
  interpreter: string | null;
  flags: string | null;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  ms: number;
  error?: { message: string; hint?: string };
}

export interface VerifyOptions {
  binfmtDir?: string;
  timeoutMs?: number;
  /** `uname -m` of the host (default os.machine()). */
  machine?: string;
}

/**
 * The default selection: every target xarch has a probe for that is
 * foreign to the host and has either an emulator on this machine or a live
 * handler.
 */
export function defaultVerifyTargets(entries: readonly LiveEntry[], emulators: readonly Emulator[], machine = os.machine()): string[] {
  const haveEmu = new Set(emulators.map((e) => e.target));
  const out: string[] = [];
  for (const t of TARGETS) {
    if (!hasProbe(t.name) || isHostTarget(t, machine)) continue;
    const head = buildProbe(t.name);
    const handled = whichEntry(entries, true, head, `/probe-${t.name}`).entry !== null;
    if (haveEmu.has(t.name) || handled) out.push(t.name);
  }
  return out;
}

/** Resolve user-typed names to catalogue targets (throws ARCH_UNKNOWN). */
export function resolveVerifyTargets(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    const t = resolveTarget(n).target.name;
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

function liveState(dir: string): { entries: LiveEntry[]; enabled: boolean } {
  if (!isMounted(dir)) return { entries: [], enabled: false };
  try {
    return { entries: readLiveEntries(dir), enabled: readGlobalStatus(dir) === 'enabled' };
  } catch {
    return { entries: [], enabled: false };
  }
}

/** Run the probes of `targets` through the kernel and report each. */
export function verifyTargets(targets: readonly string[], opts: VerifyOptions = {}): VerifyResult[] {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const machine = opts.machine ?? os.machine();
  const timeout = opts.timeoutMs ?? 20_000;
  const live = liveState(dir);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-verify-'));
  try {
    const helperBytes = buildExecHelper(machine === 'arm64' ? 'aarch64' : machine);
    let helper: string | null = null;
    if (helperBytes) {
      helper = path.join(tmp, 'exec-helper');
      writeFileSync(helper, helperBytes);
      chmodSync(helper, 0o755);
    }
    return targets.map((name) => verifyOne(name, tmp, helper, live, machine, timeout));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function verifyOne(name: string, tmp: string, helper: string | null, live: { entries: LiveEntry[]; enabled: boolean }, machine: string, timeout: number): VerifyResult {
  const base: VerifyResult = { target: name, ok: false, result: 'no-probe', entry: null, interpreter: null, flags: null, exitCode: null, signal: null, stdout: '', ms: 0 };
  if (!hasProbe(name)) {
    return { ...base, error: { message: `xarch has no self-test probe for ${name}`, hint: 'run a real binary of that architecture instead, e.g. xarch which FILE; xarch doctor FILE' } };
  }
  const bytes = buildProbe(name);
  const file = path.join(tmp, `probe-${name}`);
  writeFileSync(file, bytes);
  chmodSync(file, 0o755);
  const t = getTarget(name);
  const native = t ? isHostTarget(t, machine) : false;
  const w = whichEntry(live.entries, live.enabled, bytes, file);
  if (w.entry && !native) {
    base.entry = w.entry.name;
    base.interpreter = w.entry.rule.interpreter;
    base.flags = w.entry.rule.flags;
  }
  const start = process.hrtime.bigint();
  // Through the exec helper when there is one: spawn() uses execvp, which
  // turns the kernel's ENOEXEC into running the file with /bin/sh.
  const r = helper
    ? spawnSync(helper, [file], { encoding: 'utf8', timeout, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] })
    : spawnSync(file, [], { encoding: 'utf8', timeout, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number((process.hrtime.bigint() - start) / 1_000_000n);
  const out: VerifyResult = { ...base, ms, exitCode: r.status, signal: r.signal, stdout: r.stdout ?? '' };
  let err = r.error as NodeJS.ErrnoException | undefined;
  if (!err && helper && r.status !== null && (r.stderr ?? '').endsWith(EXEC_HELPER_MARKER)) {
    const code = ERRNO_NAMES[r.status] ?? `errno ${r.status}`;
    err = Object.assign(new Error(code), { code });
    out.exitCode = null;
  } else if (!err && !helper && !w.entry && !native && r.status === 2 && /Syntax error|not found/.test(r.stderr ?? '')) {
    // No helper for this host CPU: execvp ran the probe with /bin/sh, which
    // only happens after the kernel answered ENOEXEC.
    err = Object.assign(new Error('ENOEXEC'), { code: 'ENOEXEC' });
    out.exitCode = null;
  }
  if (err && err.code === 'ETIMEDOUT') {
    return { ...out, result: 'timeout', error: { message: `the probe did not finish within ${timeout} ms`, hint: 'the emulator hangs; try running it directly: xarch run FILE' } };
  }
  if (err) {
    if (err.code === 'ENOEXEC') {
      return { ...out, result: 'no-handler', error: { message: 'exec format error: no binfmt_misc entry matches this architecture', hint: `register one: xarch install ${name}` } };
    }
    if (err.code === 'ENOENT') {
      return { ...out, result: 'interpreter-missing', error: { message: `no such file or directory: the handler's interpreter ${base.interpreter ?? ''} cannot be run`.replace('  ', ' '), hint: 'install the emulator, or re-register it with F so the kernel keeps it open: xarch doctor' } };
    }
    return { ...out, result: 'exec-failed', error: { message: `exec failed: ${err.code ?? err.message}`, hint: 'xarch doctor explains what blocks it' } };
  }
  if (r.signal) {
    return { ...out, result: 'crashed', error: { message: `the probe was killed by ${r.signal}`, hint: 'the emulator does not run this architecture correctly; check its version with xarch emulators' } };
  }
  if (r.status === PROBE_EXIT && r.stdout === probeMessage(name)) {
    return { ...out, ok: true, result: native ? 'native' : 'ok' };
  }
  const stderr = (r.stderr ?? '').trim().split('\n')[0] ?? '';
  return { ...out, result: 'wrong-output', error: { message: `expected exit ${PROBE_EXIT} and "${probeMessage(name).trim()}", got exit ${r.status}${stderr ? `: ${stderr}` : ''}`, hint: 'the handler runs something other than a working emulator for this target: xarch status' } };
}

const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 8: 'ENOEXEC', 12: 'ENOMEM', 13: 'EACCES', 20: 'ENOTDIR', 26: 'ETXTBSY', 40: 'ELOOP' };

