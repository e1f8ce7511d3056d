// xarch rule check|lint|derive: the rule codec and lint on the command line.
import { existsSync, readFileSync } from 'node:fs';
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { XarchError, fromSystemError } from '../../core/errors.js';
import { displayBytes, escapeHex, textToByteString, toHex } from '../../core/bytes.js';
import { deriveRule, type DeriveOptions } from '../../core/derive.js';
import { parseRegister, renderEntry, renderRegister } from '../../core/rule.js';
import { lint, type LintFinding } from '../../core/lint.js';
import { interpreterOpenErrno, listEntryByteNames } from '../../host/kernel.js';
import { lintContext, readElfFile } from '../../host/file.js';

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
        // The whole file, waiting on a pipe: `--from <(printf …)` is one.
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

async function derive(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(deriveCommand, argv);
  if (positionals.length !== 1) throw new UsageError('rule derive needs exactly one FILE');
  if (values.flags !== undefined && /[^POCF]/.test(values.flags)) throw new UsageError(`--flags takes letters from P, O, C, F, not '${values.flags}'`);
  const file = positionals[0]!;
  // The ELF reader checks the whole header and program headers (typed errors with the byte offset).
  const head = readElfFile(resolveIn(io.cwd, file)).header;
  const opts: DeriveOptions = { file, exists: existsSync };
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
    io.out(line + '\n');
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

