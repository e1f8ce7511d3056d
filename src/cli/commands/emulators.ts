// xarch emulators: the QEMU user-mode emulators on this machine.
import { EXIT_OK, jsonLine, table, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { XarchError } from '../../core/errors.js';
import { DEFAULT_EMULATOR_DIRS, findEmulators, withVersions } from '../../emulators/discover.js';
import { bestEmulator, emulatorHint } from '../../emulators/emulator.js';

export const command = defineCommand({
  name: 'emulators',
  description: `
List QEMU user-mode emulators: qemu-<cpu>-static and qemu-<cpu> in
${DEFAULT_EMULATOR_DIRS.join(', ')} and on PATH,
Debian's <cpu>-binfmt-P wrappers, and DIR. For each: the target it serves,
kind (static, dynamic — read from its own ELF header — or wrapper), version
(from --version), whether it honours binfmt_misc's P flag (Debian wrapper:
always; otherwise QEMU 6.0+ on Linux 5.12+), and which one 'xarch install'
would pick (*).`,
  options: {
    dir: { type: 'string', value: 'DIR', multiple: true, description: 'look here first', complete: 'dir' },
  },
  json: 'one line per emulator: {"target","cpu","path","kind","static","version","preserveArgv0","via","preferred"}',
  notes: 'Exit 1 when none is found (with how to install them).',
});

export async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(command, argv);
  const found = findEmulators({ extraDirs: values.dir ?? [], path: io.env.PATH ?? '' });
  if (found.length === 0) {
    throw new XarchError('EMULATOR_NOT_FOUND', `no QEMU user-mode emulator found (searched ${[...(values.dir ?? []), ...DEFAULT_EMULATOR_DIRS].join(', ')} and PATH)`, { hint: emulatorHint() });
  }
  const emus = await withVersions(found);
  const rows: string[][] = [];
  for (const e of emus) {
    const preferred = bestEmulator(e.target, emus) === e;
    if (values.json) {
      jsonLine(io, { ...e, preferred });
      continue;
    }
    rows.push([(preferred ? '* ' : '  ') + e.target, e.kind, e.static ? 'yes' : 'no', e.preserveArgv0 ? 'yes' : 'no', e.version ?? '?', e.path + (e.via ? ` -> ${e.via}` : '')]);
  }
  if (!values.json) io.out(table(['  TARGET', 'KIND', 'STATIC', 'P', 'VERSION', 'PATH'], rows));
  return EXIT_OK;
}
