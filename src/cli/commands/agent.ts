// xarch agent: keep handlers in effect (src/agent/agent.ts), print one JSON
// line per event; --check is the readiness probe over the state file.
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { isMounted, readLiveEntries } from '../../host/kernel.js';
import { Agent, desiredState, type DesiredOptions } from '../../agent/agent.js';
import { defaultStoreDir, setEmulators } from '../../emulators/store.js';
import { checkState, readState, DEFAULT_STATE_DIR } from '../../agent/state.js';
import { NFD_FEATURES_DIR } from '../../agent/features.js';

export const command = defineCommand({
  name: 'agent',
  usage: '[--arches LIST] [--interval S] [--once | --check] [options]',
  description: `
Keep binfmt_misc handlers in effect. The desired state is the persisted
configuration, read as 'xarch apply' reads it (binfmt.d, then Debian's
/usr/share/binfmts), or --arches, or the targets of an emulator store set
(--emulators SET). At start and every --interval the
instance is read and whatever was removed (one entry, or the whole table
flushed), disabled or changed by others is registered again; every desired
target's probe is exec'd through the kernel at each pass. Another tool's
entries are never removed: one that holds a desired name, or matches the
same binaries ahead of xarch's, is reported as a conflict and left alone.
The first pass registers identical F entries again, so the kernel holds
this agent's emulator files (a new image's QEMU takes over).

One JSON line per event on stdout: {"time","event":"started"|"drift"|
"repaired"|"probe-failed"|"conflict"|"error"|"stopped","name","target",...}.
SIGTERM ends it cleanly; the handlers stay registered unless --remove-on-exit.`,
  options: {
    arches: { type: 'string', value: 'LIST', multiple: true, complete: 'target', description: "catalogue targets to keep (comma-separated, repeatable; 'all'), instead of the persisted configuration" },
    dir: { type: 'string', value: 'DIR', multiple: true, complete: 'dir', description: 'with --arches: look for emulators in DIR first' },
    emulators: { type: 'string', value: 'SET', description: "keep the handlers of this emulator store set in effect (its targets, or those of --arches), pointing into the set ('xarch emulators list')" },
    store: { type: 'string', value: 'DIR', complete: 'dir', description: 'the emulator store --emulators reads (default /var/lib/xarch/emulators for root)' },
    root: { type: 'string', value: 'DIR', default: '/', complete: 'dir', description: 'read the configuration directories under DIR' },
    'no-debian': { type: 'boolean', description: 'skip /usr/share/binfmts' },
    interval: { type: 'string', value: 'S', default: '10', description: 'seconds between passes' },
    once: { type: 'boolean', description: 'one pass, then exit: 0 when everything is in effect and ran' },
    check: { type: 'boolean', description: "readiness: exit 0 when the running agent's every target is registered and its probe passed within the interval, else 1" },
    'state-dir': { type: 'string', value: 'DIR', default: DEFAULT_STATE_DIR, complete: 'dir', description: "the agent's state file" },
    'features-dir': { type: 'string', value: 'DIR', complete: 'dir', description: `write a node-feature-discovery feature file DIR/xarch (xarch.emulate.linux-arm64=true per target that ran, and xarch.qemu.version); NFD's is ${NFD_FEATURES_DIR}` },
    'remove-on-exit': { type: 'boolean', description: 'on SIGTERM/SIGINT remove the entries it keeps (those still as it registered them)' },
    'binfmt-dir': binfmtDirOption('binfmt_misc mount, mounted when it is not'),
  },
  json: 'the events are JSON lines; with --check: one object {"ready","problems"}',
});

export async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(command, argv);
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval <= 0) throw new UsageError(`--interval wants a positive number of seconds, not '${values.interval}'`);
  if (values.once && values.check) throw new UsageError('--once and --check cannot be combined');
  const binfmtDir = values['binfmt-dir'];
  const stateDir = values['state-dir'];

  if (values.check) {
    const live = isMounted(binfmtDir) ? readLiveEntries(binfmtDir) : null;
    const r = checkState(readState(stateDir), live, Date.now());
    if (values.json) jsonLine(io, r);
    else io.out(r.ready ? 'ready: every target is registered and ran its probe\n' : `not ready:\n${r.problems.map((p) => `  ${p}\n`).join('')}`);
    return r.ready ? EXIT_OK : EXIT_FAILURE;
  }

  const desiredOpts: DesiredOptions = { emulatorSearch: { extraDirs: values.dir, path: io.env.PATH ?? '' }, debian: !values['no-debian'], configRoot: values.root };
  if (values.arches.length) desiredOpts.arches = values.arches.flatMap((a) => a.split(',')).filter(Boolean);
  if (values.emulators !== undefined) desiredOpts.emulators = setEmulators(values.emulators, values.store ?? defaultStoreDir(io.env));
  const desired = await desiredState(desiredOpts);
  const say = (e: object) => jsonLine(io, { time: new Date().toISOString(), ...e });
  const agent = new Agent(desired, {
    binfmtDir, stateDir, interval, emit: say, ...(values['features-dir'] ? { featuresDir: values['features-dir'] } : {}),
  });
  if (values.once) {
    for (const p of desired.problems) say(p);
    return agent.pass() && desired.problems.length === 0 ? EXIT_OK : EXIT_FAILURE;
  }
  const stop = () => agent.stop(!!values['remove-on-exit']);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await agent.run();
  } finally {
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
  }
  return EXIT_OK;
}
