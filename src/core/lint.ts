// Lint for binfmt_misc rules: valid rules the kernel accepts but that do
// something the author probably did not mean. Each finding has a reason and
// a fix. Pure: the caller supplies the host's machine name, any real host
// file headers it could read, and what it knows about the interpreter.
import { hostTargets, type Target } from './arch.js';
import { matchRule } from './match.js';
import { displayBytes, escapeHex, maskedByteMatches } from './bytes.js';
import type { Rule } from './rule.js';

export type LintSeverity = 'error' | 'warning' | 'info';

export type LintCode =
  | 'MATCHES_HOST_BINARIES'
  | 'MATCHES_SCRIPTS'
  | 'MISSES_PIE'
  | 'MISSES_GNU_OSABI'
  | 'RELATIVE_INTERPRETER'
  | 'F_DYNAMIC_INTERPRETER'
  | 'C_FLAG'
  | 'O_SCRIPT_INTERPRETER'
  | 'MASK_IGNORES_MAGIC';

export interface LintFinding {
  code: LintCode;
  severity: LintSeverity;
  message: string;
  fix: string;
}

export interface HostSample {
  /** What the header belongs to: a path or "synthetic x86_64 PIE". */
  label: string;
  head: Uint8Array;
  /** The path it would be exec'd by (for E rules); defaults to label. */
  path?: string;
}

export interface LintContext {
  /** `uname -m` of the machine the rule is meant for (os.machine()). */
  hostMachine: string;
  /** Headers of real host executables, when the caller could read some. */
  hostSamples?: readonly HostSample[];
  /** What the caller learned about the interpreter file (from its ELF header). */
  interpreter?: { linkage: 'static' | 'static-pie' | 'dynamic' | 'script'; loader?: string | null } | null;
}

const ET_EXEC = 2;
const ET_DYN = 3;
const ELFOSABI_SYSV = 0;
const ELFOSABI_GNU = 3;

/** Synthetic headers of host binaries: each host target as EXEC and PIE, SYSV and GNU OSABI. */
export function hostSampleHeaders(hostMachine: string): HostSample[] {
  const out: HostSample[] = [];
  for (const t of hostTargets(hostMachine)) {
    for (const type of [ET_EXEC, ET_DYN]) {
      for (const osabi of [ELFOSABI_SYSV, ELFOSABI_GNU]) {
        out.push({ label: `${t.name} ${type === ET_DYN ? 'PIE' : 'executable'} (OSABI ${osabi === ELFOSABI_GNU ? 'GNU' : 'SYSV'})`, head: elfHeaderFor(t, type, osabi), path: '/usr/bin/true' });
      }
    }
  }
  return out;
}

/** A minimal ELF header for target t: its magic with e_type and EI_OSABI set. */
export function elfHeaderFor(t: Target, type: number, osabi: number): Uint8Array {
  const h = new Uint8Array(64);
  h.set(t.magic);
  h[7] = osabi;
  h[8] = 0;
  if (t.byteOrder === 'little') { h[16] = type; h[17] = 0; } else { h[16] = 0; h[17] = type; }
  return h;
}

const SCRIPT_SAMPLES: HostSample[] = [
  { label: 'a #!/bin/sh script', head: new TextEncoder().encode('#!/bin/sh\necho hi\n'), path: '/usr/bin/script.sh' },
  { label: 'a #! /usr/bin/env python3 script', head: new TextEncoder().encode('#! /usr/bin/env python3\n'), path: '/usr/bin/script.py' },
];

/** Does the rule admit byte value v at file offset `at`? (true when the rule does not reach it) */
function admits(rule: Rule, at: number, v: number): boolean {
  const j = at - rule.offset;
  if (rule.type !== 'M' || j < 0 || j >= rule.magic.length) return true;
  return maskedByteMatches(v, rule.magic[j]!, rule.mask ? rule.mask[j]! : 0xff);
}

/** An ELF rule: offset 0 and the magic's first four bytes are \x7fELF under a full mask. */
function isElfRule(rule: Rule): boolean {
  if (rule.type !== 'M' || rule.offset !== 0 || rule.magic.length < 6) return false;
  return [0x7f, 0x45, 0x4c, 0x46].every((b, i) => rule.magic[i] === b && (rule.mask ? rule.mask[i] === 0xff : true));
}

export function lint(rule: Rule, ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];

  // Host binaries: binfmt_misc is consulted before the ELF loader, so a rule
  // that matches native binaries sends every one of them to the emulator.
  const samples = [...hostSampleHeaders(ctx.hostMachine), ...(ctx.hostSamples ?? [])];
  const hit = samples.filter((s) => matchRule(rule, s.head, s.path ?? s.label).matches);
  if (hit.length) {
    findings.push({
      code: 'MATCHES_HOST_BINARIES', severity: 'error',
      message: `matches the host's own binaries (${hit.slice(0, 3).map((s) => s.label).join('; ')}${hit.length > 3 ? `; ${hit.length - 3} more` : ''}): every native program on this ${ctx.hostMachine} machine would run through ${displayBytes(rule.interpreter)}`,
      fix: "narrow the magic to the foreign e_machine (bytes 18-19) and class/byte order; never register the host's family ('xarch rule derive' on a foreign binary builds one)",
    });
  }

  // #! scripts: a rule admitting "#!" at offset 0 takes over the kernel's
  // script loader for the scripts it matches.
  const scriptHit = SCRIPT_SAMPLES.some((s) => matchRule(rule, s.head, s.path!).matches);
  if (rule.type === 'M' && (scriptHit || (rule.offset === 0 && admits(rule, 0, 0x23) && admits(rule, 1, 0x21)))) {
    findings.push({
      code: 'MATCHES_SCRIPTS', severity: scriptHit ? 'error' : 'warning',
      message: scriptHit
        ? '#! scripts match this rule: they would run through the interpreter instead of the one on their #! line'
        : 'the magic admits "#!" at offset 0: scripts whose first bytes also fit the rest of the magic would be taken from the script loader',
      fix: 'make the magic specific (e.g. the full ELF identification) or mask fewer bits of the first bytes',
    });
  }

  if (isElfRule(rule)) {
    const little = rule.magic[5] !== 2;
    const typeAt = little ? 16 : 17;
    if (admits(rule, typeAt, ET_EXEC) && !admits(rule, typeAt, ET_DYN) && admits(rule, little ? 17 : 16, 0)) {
      findings.push({
        code: 'MISSES_PIE', severity: 'warning',
        message: `the mask at byte ${typeAt} (e_type) admits ET_EXEC but not ET_DYN: position-independent executables (most distribution binaries, static-pie) will not match`,
        fix: `use mask ${escapeHex(Uint8Array.of(0xfe))} at byte ${typeAt} so e_type 2 (EXEC) and 3 (DYN) both match`,
      });
    }
    if (admits(rule, 7, ELFOSABI_SYSV) !== admits(rule, 7, ELFOSABI_GNU)) {
      const missed = admits(rule, 7, ELFOSABI_SYSV) ? 'GNU (3)' : 'SYSV (0)';
      findings.push({
        code: 'MISSES_GNU_OSABI', severity: 'warning',
        message: `byte 7 (EI_OSABI) is compared strictly: binaries with OSABI ${missed} will not match (GNU/Linux binaries using IFUNC or unique symbols carry 3, musl and Go binaries 0)`,
        fix: `use mask ${escapeHex(Uint8Array.of(0x00))} at byte 7`,
      });
    }
  }

  if (!rule.interpreter.startsWith('/')) {
    findings.push({
      code: 'RELATIVE_INTERPRETER', severity: 'warning',
      message: rule.flags.includes('F')
        ? `the interpreter ${displayBytes(rule.interpreter)} is relative: with F it is resolved once, against the working directory of the process that registers it`
        : `the interpreter ${displayBytes(rule.interpreter)} is relative: the kernel resolves it against the working directory of every exec, so it works only from some directories`,
      fix: 'give the absolute path of the interpreter',
    });
  }

  if (rule.flags.includes('F') && ctx.interpreter?.linkage === 'dynamic') {
    findings.push({
      code: 'F_DYNAMIC_INTERPRETER', severity: 'warning',
      message: `F pins the interpreter file, but it is dynamically linked${ctx.interpreter.loader ? ` (loader ${ctx.interpreter.loader})` : ''}: its loader and libraries are still looked up at exec time, so it fails inside chroots and containers that lack them`,
      fix: 'use a statically linked emulator (qemu-<cpu>-static from qemu-user-static)',
    });
  }

  // Observed on Linux 6.18 (test/kernel-diff.test.ts): with O or C the
  // interpreter must be loaded directly; a #! script there makes every exec
  // of a matching file fail with ENOEXEC (exec_binprm, have_execfd).
  if (rule.flags.includes('O') && ctx.interpreter?.linkage === 'script') {
    findings.push({
      code: 'O_SCRIPT_INTERPRETER', severity: 'error',
      message: 'with O (or C) the kernel refuses a #! script as interpreter at exec time: every matching exec fails with ENOEXEC',
      fix: 'point the rule at a binary interpreter, or drop O and C',
    });
  }

  if (rule.flags.includes('C')) {
    findings.push({
      code: 'C_FLAG', severity: 'warning',
      message: 'C computes credentials from the binary: a setuid foreign binary runs the interpreter with its owner\'s privileges (and C implies O)',
      fix: 'drop C unless setuid foreign binaries must work, and then only with an interpreter you trust with root',
    });
  }

  if (rule.type === 'M' && rule.mask) {
    const ignored: number[] = [];
    rule.magic.forEach((b, i) => { if ((b & ~rule.mask![i]!) !== 0) ignored.push(rule.offset + i); });
    if (ignored.length) {
      findings.push({
        code: 'MASK_IGNORES_MAGIC', severity: 'info',
        message: `magic bits outside the mask are never compared, at byte${ignored.length > 1 ? 's' : ''} ${ignored.slice(0, 8).join(', ')}${ignored.length > 8 ? ', …' : ''}: the rule is looser than its magic reads`,
        fix: 'clear those magic bits (magic & mask) or widen the mask to compare them',
      });
    }
  }
  return findings;
}
