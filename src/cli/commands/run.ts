// xarch run [options] PROGRAM [ARGS...]: one foreign program through QEMU, no registration.
import { UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { execPlan, planRun, type RunRequest } from '../../run/run.js';

export const command = defineCommand({
  name: 'run',
  description: `
Run one foreign program through the right QEMU emulator, without any
binfmt_misc registration. The target comes from the program's ELF header
(or --arch). A dynamically linked program needs its loader (PT_INTERP) and
libraries: they are looked up under --sysroot, else the usual cross and
multiarch places (/usr/<gnu-triplet>, /), and a missing loader is explained
before anything runs. argv[0] is preserved, stdio is inherited, SIGINT,
SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH are relayed, and the exit
status is the program's (128+N when it was killed by signal N).`,
  options: {
    arch: { type: 'string', value: 'T', complete: 'target', description: 'target name in any scheme (arm64, linux/arm/v7, ...)' },
    sysroot: { type: 'string', value: 'DIR', complete: 'dir', description: 'root file system holding the loader and libraries (QEMU -L)' },
    emulator: { type: 'string', value: 'PATH', complete: 'file', description: 'the emulator to use instead of the one found' },
    cpu: { type: 'string', value: 'MODEL', description: "QEMU CPU model (QEMU_CPU, inherited by the program's children); 'xarch bench --cpu-models' finds the fastest" },
    'dry-run': { type: 'boolean', description: 'print the plan (emulator, sysroot, argv) and run nothing' },
  },
  json: 'with --dry-run: the plan as one JSON line',
  notes: "Options end at PROGRAM; use -- before a PROGRAM that starts with '-'.",
  program: { start: 'first-positional', usage: 'PROGRAM [ARGS...]', complete: 'file' },
});

export async function run(argv: string[], io: Io): Promise<number> {
  // Everything from PROGRAM on belongs to the program.
  const { values, rest } = parseCommand(command, argv);
  const program = rest[0];
  if (!program) throw new UsageError('run needs a PROGRAM');
  const req: RunRequest = { program, args: rest.slice(1), emulatorSearch: { path: io.env.PATH ?? '' } };
  if (values.arch) req.arch = values.arch;
  if (values.sysroot) req.sysroot = values.sysroot;
  if (values.emulator) req.emulator = values.emulator;
  if (values.cpu) req.cpu = values.cpu;
  const plan = planRun(req);
  if (values['dry-run']) {
    const out = { program, target: plan.target.name, emulator: plan.emulator, sysroot: plan.sysroot, interpreter: plan.interpreter, argv: plan.argv, ...(values.cpu ? { cpu: values.cpu } : {}) };
    if (values.json) jsonLine(io, out);
    else io.out(`target ${out.target}\nemulator ${out.emulator}\nsysroot ${out.sysroot ?? '- (static)'}\nloader ${out.interpreter ?? '-'}\nargv ${out.argv.join(' ')}\n${values.cpu ? `cpu ${values.cpu} (QEMU_CPU)\n` : ''}`);
    return 0;
  }
  return execPlan(plan);
}
