// xarch doctor [FILE|ROOTFS]: why a foreign program does not run.
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { fromSystemError } from '../../core/errors.js';
import { diagnose, gatherFacts } from '../../doctor/doctor.js';

export const command = defineCommand({
  name: 'doctor',
  description: `
Explain why a foreign program does not run, and what to do. Checks, in
order: binfmt_misc in the kernel and mounted; enabled as a whole; privilege
to change it (containers); entries that would hijack host binaries or
scripts; for FILE: the entry the kernel picks (present, enabled, not
shadowed by a newer one), its interpreter (present, executable, static,
pinned with F: a dynamic or unpinned emulator is the "no such file or
directory" inside containers), the program's own loader (PT_INTERP) in the
root it runs in (--root, default /), C for setuid programs.
ROOTFS: the same for every architecture found in the root file system.
Without an argument: a health report of the machine's handlers.`,
  positionals: [{ name: 'FILE|ROOTFS', complete: 'file' }],
  options: {
    root: { type: 'string', value: 'DIR', description: 'root file system FILE will run in (for its loader)', complete: 'dir' },
    'binfmt-dir': binfmtDirOption(),
  },
  json: 'one object: {"target","ok","findings":[{"id","status","message","hint"}]}',
  notes: 'Exit 1 when any finding is a failure.',
});

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: 'info' } as const;

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  if (positionals.length > 1) throw new UsageError('doctor takes at most one FILE or ROOTFS');
  const arg = positionals[0];
  let facts;
  try {
    const o: { binfmtDir?: string; root?: string } = {};
    if (values['binfmt-dir']) o.binfmtDir = values['binfmt-dir'];
    if (values.root) o.root = values.root;
    facts = gatherFacts(arg, o);
  } catch (e) {
    throw fromSystemError(e, arg ?? '', 'file');
  }
  const findings = diagnose(facts);
  const ok = !findings.some((f) => f.status === 'fail');
  if (values.json) jsonLine(io, { target: arg ?? null, ok, findings });
  else {
    for (const f of findings) {
      io.out(`${MARK[f.status]}  ${f.message}\n`);
      if (f.hint && f.status !== 'ok') io.out(`      fix: ${f.hint}\n`);
    }
    io.out(ok ? 'no problem found\n' : `${findings.filter((f) => f.status === 'fail').length} problem(s) found\n`);
  }
  return ok ? EXIT_OK : EXIT_FAILURE;
}
