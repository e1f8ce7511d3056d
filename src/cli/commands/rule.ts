// xarch rule check|lint|derive: the rule codec and lint on the command line.
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { XarchError, fromSystemError, isXarchError } from '../../core/errors.js';
import { emulatorName, targetsForHeader, xarchEntryName } from '../../core/arch.js';
import { canonicalFlags, displayBytes, escapeHex, parseRegister, renderEntry, renderRegister, textToByteString, toHex, type Rule } from '../../core/rule.js';
import { lint, type HostSample, type LintContext, type LintFinding } from '../../core/lint.js';
import { interpreterOpenErrno, listEntryByteNames } from '../../host/kernel.js';
import { readElfFile } from '../../host/file.js';

/** check and lint: registration strings from the command line and --from files, in order (collectInputs below). */
function inputCommand(name: string, description: string, json: string) {
  return defineCommand({
    name,
    description,
    positionals: [{ name: 'LINE', repeatable: true }],
    options: {
      from: { type: 'string', value: 'FILE', multiple: true, complete: 'file', description: 'read the exact bytes of one write(2) from FILE (NULs, raw bytes, a trailing newline)' },
      'binfmt-dir': { type: 'string', value: 'DIR', complete: 'dir', description: 'also report EEXIST for names registered there' },
    },
    json,
  });
}

const checkCommand = inputCommand('rule check', `
Predict what the kernel does with each registration string: accepted
(and the exact entry file it creates) or refused (and the errno).
An F rule's interpreter is opened the way the kernel opens it (relative
paths against the current directory). Lint findings are printed too.
Exit 0 when every input is valid.`,
'one line per input in order: {"source","valid","errno"?,"message","entry"?,"register"?,"lint":[...]}');

const lintCommand = inputCommand('rule lint', `
Findings for valid rules, each with a reason and a fix: matches host
binaries or #! scripts, mask misses PIEs or GNU OSABI, relative
interpreter, F with a dynamically linked interpreter, C, magic bytes
the mask ignores. Exit 1 when any error or warning is found.`,
"one line per input in order, as check's without \"register\"");

const deriveCommand = defineCommand({
  name: 'rule derive',
  description: `
Build the rule for a sample binary: magic from its ELF identification
and header (first 20 bytes; 32-bit MIPS adds the e_flags ABI bit), mask
relaxing OSABI, ABI version and the EXEC/DYN bit. Prints the register
line.`,
  positionals: [{ name: 'FILE', required: true, complete: 'file' }],
  options: {
    name: { type: 'string', value: 'N', description: 'entry name (default qemu-<target>)' },
    interpreter: { type: 'string', value: 'PATH', complete: 'file', description: "emulator path (default the target's emulator in /usr/bin)" },
    flags: { type: 'string', value: 'FLAGS', default: 'F', description: 'binfmt_misc flags, letters from POCF' },
  },
  json: 'one object: {"file","target","line","entry","lint","rule":{"name","type","offset","magic","mask","interpreter","flags"}}',
});

export const command = defineCommand({
  name: 'rule',
  description: '',
  options: {},
  subcommands: [checkCommand, lintCommand, deriveCommand],
});

/** One input of check/lint, in command-line order. */
interface Input { source: string; bytes?: Uint8Array; error?: XarchError }

function collectInputs(argv: string[], io: Io): Input[] {
  const inputs: Input[] = [];
  let afterDashDash = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!afterDashDash && a === '--') { afterDashDash = true; continue; }
    if (!afterDashDash && (a === '--from' || a.startsWith('--from='))) {
      const file = a === '--from' ? argv[++i]! : a.slice('--from='.length);
      try {
        inputs.push({ source: file, bytes: new Uint8Array(readFileSync(io.cwd ? resolveIn(io.cwd, file) : file)) });
      } catch (e) {
        inputs.push({ source: file, error: fromSystemError(e, file, 'rule file') });
      }
      continue;
    }
    if (!afterDashDash && a === '--binfmt-dir') { i++; continue; }
    if (!afterDashDash && a.startsWith('--')) continue;
    // A line typed on the command line is UTF-8 text; the kernel sees its bytes.
    inputs.push({ source: a, bytes: new TextEncoder().encode(a) });
  }
  return inputs;
}

function resolveIn(cwd: string, p: string): string {
  return p.startsWith('/') ? p : `${cwd}/${p}`;
}

function readHead(p: string | Buffer, n = 256): Uint8Array {
  const fd = openSync(p, 'r');
  try {
    const b = new Uint8Array(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Headers of a few real host executables, for the host-binaries lint. */
export function realHostSamples(): HostSample[] {
  const out: HostSample[] = [];
  for (const p of ['/bin/sh', '/usr/bin/env', '/bin/ls', process.execPath]) {
    try {
      const real = realpathSync(p);
      out.push({ label: p === real ? p : `${p} (${real})`, head: readHead(real), path: p });
    } catch { /* not on this machine */ }
  }
  return out;
}

interface InterpInfo { linkage: 'static' | 'static-pie' | 'dynamic' | 'script'; loader?: string | null }

/** Static or dynamic: does the interpreter have PT_INTERP? (null when not an ELF file we can read) */
export function interpreterLinkage(p: string, cwd: string): InterpInfo | null {
  // The interpreter is a byte string (latin1 in the rule); open exactly those bytes.
  const file = Buffer.from(p.startsWith('/') ? p : `${cwd}/${p}`, 'latin1');
  try {
    const h = readHead(file, 2);
    if (h.length === 2 && h[0] === 0x23 && h[1] === 0x21) return { linkage: 'script' };
    const info = readElfFile(file);
    return { linkage: info.linkage, loader: info.interpreter };
  } catch {
    return null;
  }
}

export function lintContext(rule: Rule, cwd: string): LintContext {
  return {
    hostMachine: os.machine(),
    hostSamples: realHostSamples(),
    interpreter: interpreterLinkage(rule.interpreter, cwd),
  };
}

function printFindings(io: Io, findings: LintFinding[], indent = '  '): void {
  for (const f of findings) {
    io.out(`${indent}${f.severity} ${f.code}: ${f.message}\n${indent}  fix: ${f.fix}\n`);
  }
}

function oneLine(s: string): string {
  return displayBytes(textToByteString(s));
}

async function checkOrLint(mode: 'check' | 'lint', argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(mode === 'check' ? checkCommand : lintCommand, argv);
  const inputs = collectInputs(argv, io);
  if (inputs.length === 0 || (positionals.length === 0 && values.from.length === 0)) throw new UsageError(`rule ${mode} needs a registration LINE or --from FILE`);
  const existing = values['binfmt-dir'] ? listEntryByteNames(values['binfmt-dir']) : undefined;
  let failed = false;
  for (const input of inputs) {
    if (input.error) {
      failed = true;
      if (values.json) jsonLine(io, { source: input.source, valid: false, message: input.error.message, error: input.error.code });
      else io.out(`error    ${input.source}: ${input.error.message}\n`);
      continue;
    }
    const r = parseRegister(input.bytes!, {
      openInterpreter: (ip) => interpreterOpenErrno(ip, io.cwd),
      ...(existing ? { existing } : {}),
    });
    const src = oneLine(input.source);
    if (!r.ok) {
      failed = true;
      if (values.json) jsonLine(io, { source: input.source, valid: false, errno: r.errno, message: r.message });
      else io.out(`invalid  ${src}\n  ${r.errno}: ${r.message}\n`);
      continue;
    }
    const findings = lint(r.rule, lintContext(r.rule, io.cwd));
    if (mode === 'lint' && findings.some((f) => f.severity !== 'info')) failed = true;
    const entry = renderEntry(r.rule);
    if (values.json) {
      const obj: Record<string, unknown> = { source: input.source, valid: true, message: `accepted: entry ${r.rule.name}`, entry, lint: findings };
      if (mode === 'check') obj.register = renderRegister(r.rule);
      jsonLine(io, obj);
    } else if (mode === 'check') {
      io.out(`OK       ${src}\n  entry ${displayBytes(r.rule.name)}:\n${entry.split('\n').filter(Boolean).map((l) => '    ' + displayBytes(l)).join('\n')}\n`);
      printFindings(io, findings);
    } else {
      io.out(`${findings.length ? 'findings' : 'clean   '} ${src}\n`);
      printFindings(io, findings);
    }
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}

/** Emulator path for a derived rule: the catalogue's emulator if on disk, else the Debian static path. */
function defaultInterpreter(cpu: string): string {
  for (const p of [`/usr/bin/qemu-${cpu}-static`, `/usr/bin/qemu-${cpu}`]) if (existsSync(p)) return p;
  return `/usr/bin/qemu-${cpu}-static`;
}

/**
 * The rule for a sample binary, as the seed articles build it by hand: the
 * first 20 bytes (ELF identification, e_type, e_machine) with OSABI (7) and
 * ABI version (8) masked out and e_type masked with 0xfe (EXEC and DYN); for
 * 32-bit MIPS the EF_MIPS_ABI2 bit of e_flags, as the catalogue does, so o32
 * and n32 stay apart. Magic bits outside the mask are cleared.
 */
export function deriveRule(head: Uint8Array, opts: { name?: string; interpreter?: string; flags?: string; file: string }): { rule: Rule; target: string | null } {
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) {
    throw new XarchError(head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 ? 'ELF_TRUNCATED' : 'ELF_NOT_ELF',
      `${opts.file} is not an ELF file (or is shorter than its 20-byte header)`, { path: opts.file, offset: 0, hint: 'give a foreign executable, e.g. a binary from the target distribution' });
  }
  const little = head[5] !== 2;
  const magic = Array.from(head.subarray(0, 20));
  const mask = Array(20).fill(0xff);
  mask[7] = 0x00; // EI_OSABI: SYSV (0) and GNU (3) binaries both run
  mask[8] = 0x00; // EI_ABIVERSION
  mask[little ? 16 : 17] = 0xfe; // e_type: ET_EXEC (2) and ET_DYN (3)
  const machine = little ? head[18]! | (head[19]! << 8) : (head[18]! << 8) | head[19]!;
  if (machine === 8 && head[4] === 1 && head.length >= 40) {
    for (let i = 20; i < 40; i++) { magic.push(0); mask.push(0); }
    const at = little ? 36 : 39;
    magic[at] = head[at]! & 0x20; // EF_MIPS_ABI2: n32 when set, o32 when clear
    mask[at] = 0x20;
  }
  const m = Uint8Array.from(magic.map((b, i) => b & mask[i]!));
  const k = Uint8Array.from(mask);
  const targets = targetsForHeader(head);
  const t = targets[0];
  const rule: Rule = {
    name: opts.name ?? (t ? xarchEntryName(t) : `elf-machine-${machine}`),
    type: 'M', offset: 0, magic: m, mask: k, extension: '',
    interpreter: opts.interpreter ?? (t ? defaultInterpreter(emulatorName(t).slice('qemu-'.length)) : '/usr/bin/false'),
    flags: canonicalFlags(opts.flags ?? 'F'),
  };
  return { rule, target: t?.name ?? null };
}

async function derive(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(deriveCommand, argv);
  if (positionals.length !== 1) throw new UsageError('rule derive needs exactly one FILE');
  if (values.flags !== undefined && /[^POCF]/.test(values.flags)) throw new UsageError(`--flags takes letters from P, O, C, F, not '${values.flags}'`);
  const file = positionals[0]!;
  // The ELF reader checks the whole header and program headers (typed errors with the byte offset).
  const head = readElfFile(resolveIn(io.cwd, file)).header;
  const opts: { name?: string; interpreter?: string; flags?: string; file: string } = { file };
  if (values.name !== undefined) opts.name = textToByteString(values.name);
  if (values.interpreter !== undefined) opts.interpreter = textToByteString(values.interpreter);
  if (values.flags !== undefined) opts.flags = values.flags;
  const { rule, target } = deriveRule(head, opts);
  const line = renderRegister(rule);
  // The derived line must be one the kernel accepts (a name from --name may not be).
  const check = parseRegister(line);
  if (!check.ok) throw new XarchError('RULE_INVALID', `the derived rule is invalid: ${check.message}`, { errno: check.errno, hint: 'choose another --name or --interpreter' });
  const findings = lint(rule, lintContext(rule, io.cwd));
  if (values.json) {
    jsonLine(io, {
      file, target, line, entry: renderEntry(rule), lint: findings,
      rule: { name: rule.name, type: rule.type, offset: rule.offset, magic: toHex(rule.magic), mask: rule.mask ? toHex(rule.mask) : null, interpreter: rule.interpreter, flags: rule.flags },
    });
  } else {
    io.out(displayBytes(line) === line ? line + '\n' : line + '\n');
    for (const f of findings) io.err(`xarch: ${f.severity} ${f.code}: ${f.message}\n  fix: ${f.fix}\n`);
    if (!target) io.err(`xarch: note: no catalogue target matches ${file}; magic ${escapeHex(rule.magic.subarray(0, 4))}…\n`);
  }
  return EXIT_OK;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'check': return checkOrLint('check', rest, io);
    case 'lint': return checkOrLint('lint', rest, io);
    case 'derive': return derive(rest, io);
    case undefined: throw new UsageError('rule needs a subcommand: check, lint or derive');
    default: throw new UsageError(`unknown rule subcommand '${sub}' (check, lint, derive)`);
  }
}

export { isXarchError };
