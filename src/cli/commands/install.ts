// xarch install [TARGET...|all]: register QEMU handlers, reconciling with what is there.
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { DEFAULT_BINFMT_DIR } from '../../host/kernel.js';
import { XarchError } from '../../core/errors.js';
import { emulatorHint } from '../../emulators/emulator.js';
import { installTargets, type InstallOptions } from '../../manage/install.js';
import { persistHooks, summary, warnLines } from '../manage-common.js';
import { probeInstalled } from '../../verify/installed.js';
import { defaultStoreDir, setEmulators } from '../../emulators/store.js';

export const command = defineCommand({
  name: 'install',
  usage: '[TARGET...|all] [options]',
  description: `
Register binfmt_misc handlers so foreign programs run through QEMU.
Without TARGET: every target foreign to this machine whose emulator is
present. 'all': every foreign target (those without an emulator are
reported as skipped). TARGET is any name 'xarch arches' knows (arm64,
linux/arm/v7, armhf, aarch64-linux-gnu…).

Reconciles, never flushes: an identical entry is left 'unchanged'; xarch's own
entry (qemu-<target> with xarch's magic) that differs is 'replaced'; an entry
of another tool with the same name is 'skipped' unless --force; another
enabled entry matching the same binaries is reported as a conflict, with the
entry the kernel will use (the newest).

Default flags: P when the emulator honours it, O, F with a static emulator.
Refused: the host's own family, a missing/relative/non-executable
interpreter or one writable by non-root along its path, F with a dynamic
emulator (unless --force), a Debian -binfmt-P wrapper without P.`,
  positionals: [{ name: 'TARGET', repeatable: true, complete: 'target' }],
  options: {
    flags: { type: 'string', value: 'F', description: 'flags instead of the defaults (subset of POCF)' },
    credentials: { type: 'boolean', description: "add C: setuid foreign binaries run with their owner's rights (read the warning)" },
    force: { type: 'boolean', description: "replace another tool's entry of the same name; allow F with a dynamic emulator" },
    'allow-host': { type: 'boolean', description: "allow targets of the host's own family" },
    'dry-run': { type: 'boolean', description: 'print the register lines and what would happen; change nothing' },
    'no-verify': { type: 'boolean', description: "skip the probe: by default each registered target's self-test probe is exec'd through the kernel (as 'xarch verify' does) and an item whose probe does not run is failed" },
    persist: { type: 'boolean', description: "also write /etc/binfmt.d/<name>.conf (restored at boot / by 'xarch apply')" },
    dir: { type: 'string', value: 'DIR', multiple: true, description: 'look for emulators in DIR first', complete: 'dir' },
    'binfmt-dir': binfmtDirOption('binfmt_misc mount, mounted when it is not'),
    'etc-dir': { type: 'string', value: 'DIR', description: 'where --persist writes (default /etc)', complete: 'dir' },
    emulators: { type: 'string', value: 'SET', description: "register the emulators of this emulator store set ('xarch emulators list')" },
    store: { type: 'string', value: 'DIR', complete: 'dir', description: 'the emulator store --emulators reads (default /var/lib/xarch/emulators for root)' },
    cpu: { type: 'string', value: 'MODEL', description: "QEMU CPU model for the named TARGETs: registers a tiny static wrapper (in $XARCH_CPU_WRAPPERS, else /var/lib/xarch/cpu-wrappers for root) that execs the emulator with -cpu MODEL, flags FP (P passed on as -0), no O; the emulator's path must exist where programs run (chroots, containers); --dry-run writes the wrapper too, so install's interpreter checks see it" },
  },
  json: 'one line per item: {"name","target","status","reason","interpreter","flags","register","emulator","conflicts":[{"name","winner"}],"warnings","persisted","error","dryRun","probe":{"ok","result","entry","ms","error"}}',
  notes: `
Status per item: installed, unchanged, replaced, skipped, failed.
Exit 1 if any failed.`,
});

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  const opts: InstallOptions = {
    binfmtDir: values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR,
    emulatorSearch: { extraDirs: values.dir ?? [], path: io.env.PATH ?? '' },
    credentials: !!values.credentials, force: !!values.force, allowHost: !!values['allow-host'], dryRun: !!values['dry-run'],
  };
  if (values.flags !== undefined) {
    if (/[^POCF]/.test(values.flags)) throw new UsageError(`--flags '${values.flags}': only P, O, C and F are binfmt_misc flags`);
    opts.flags = values.flags;
  }
  if (values.emulators !== undefined) opts.emulators = setEmulators(values.emulators, values.store ?? defaultStoreDir(io.env));
  if (values.cpu !== undefined) {
    // binfmt_misc passes no environment or options to a handler: a model needs a wrapper (src/core/cpu-wrapper.ts).
    if (!positionals.length || positionals.includes('all')) throw new UsageError('--cpu needs the TARGETs it is for (a CPU model belongs to one architecture)');
    if (opts.flags?.includes('O')) throw new UsageError("--cpu cannot keep O: the open file (AT_EXECFD) reaches the wrapper, not QEMU");
    const { cpuHandlerEmulators, cpuWrapperFlags, defaultWrapperDir } = await import('../../perf/cpu.js');
    const { findEmulators } = await import('../../emulators/discover.js');
    const { resolveTarget } = await import('../../core/arch.js');
    const found = opts.emulators ?? findEmulators(opts.emulatorSearch);
    opts.emulators = cpuHandlerEmulators(positionals.map((t) => resolveTarget(t).target), found, values.cpu, { dir: defaultWrapperDir(io.env) });
    opts.flags ??= cpuWrapperFlags();
  }
  if (values['etc-dir'] !== undefined) opts.etcDir = values['etc-dir'];
  if (values.persist) opts.persist = persistHooks(values['etc-dir']);
  const items = await installTargets({ targets: positionals }, opts);
  if (items.length === 0) {
    throw new XarchError('EMULATOR_NOT_FOUND', 'no QEMU emulator found for any foreign target', { hint: emulatorHint() });
  }
  if (!values['no-verify'] && !opts.dryRun) probeInstalled(items, { binfmtDir: opts.binfmtDir! });
  for (const it of items) {
    if (values.json) {
      jsonLine(io, it);
      continue;
    }
    const verb = it.dryRun && (it.status === 'installed' || it.status === 'replaced') ? `would be ${it.status}` : it.status;
    const what = it.interpreter ? ` → ${it.interpreter}${it.flags !== undefined ? ` (flags ${it.flags || 'none'})` : ''}` : '';
    io.out(`${verb.padEnd(10)} ${it.name}${what}${it.reason ? `: ${it.reason}` : ''}\n`);
    if (it.dryRun && it.register && it.status !== 'failed' && it.status !== 'skipped') io.out(`    ${it.register}\n`);
    if (it.error?.hint) io.out(`    hint: ${it.error.hint}\n`);
    for (const c of it.conflicts ?? []) io.out(`    conflict: ${c.name} also matches these binaries; the kernel ${it.dryRun ? 'would use' : 'uses'} ${c.winner}\n`);
    if (it.persisted) io.out(`    persisted: ${it.persisted}\n`);
    if (it.probe?.ok) io.out(`    probe: ran through ${it.probe.entry ?? 'the kernel'} in ${it.probe.ms} ms\n`);
    warnLines(io, it.warnings);
  }
  if (!values.json) io.out(`${summary(items.map((i) => (i.dryRun && (i.status === 'installed' || i.status === 'replaced') ? `would be ${i.status}` : i.status)))}${opts.dryRun ? ' (dry run: nothing changed)' : ''}\n`);
  return items.some((i) => i.status === 'failed') ? EXIT_FAILURE : EXIT_OK;
}
