// xarch emulators [list|add|use|rollback|remove|gc]: the QEMU user-mode
// emulators on this machine and the emulator store (src/emulators/store.ts).
// With no subcommand: the host's emulators, as before the store existed.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, table, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { progressLine } from '../progress.js';
import { binfmtDirOption } from '../common-options.js';
import { XarchError } from '../../core/errors.js';
import { DEFAULT_BINFMT_DIR } from '../../host/kernel.js';
import { DEFAULT_EMULATOR_DIRS, findEmulators, packageOwners, withVersions } from '../../emulators/discover.js';
import { bestEmulator, emulatorHint } from '../../emulators/emulator.js';
import { resolveSet, type ManifestFile } from '../../emulators/manifest.js';
import { defaultStoreDir, emulatorsIn, Store } from '../../emulators/store.js';
import { unpackSource } from '../../emulators/sources.js';
import { probeEmulators, probeableTargets } from '../../emulators/canary.js';
import { liveUse, rollback, unusedSets, useSet } from '../../emulators/promote.js';

const storeOptions = {
  store: { type: 'string', value: 'DIR', complete: 'dir', description: 'the emulator store (default /var/lib/xarch/emulators for root, else $XDG_DATA_HOME/xarch/emulators)' },
  'binfmt-dir': binfmtDirOption('binfmt_misc mount whose handlers are read or changed'),
} as const;

const hostCommand = defineCommand({
  name: 'emulators',
  description: `
List QEMU user-mode emulators: qemu-<cpu>-static and qemu-<cpu> in
${DEFAULT_EMULATOR_DIRS.join(', ')} and on PATH, Debian's
<cpu>-binfmt-P wrappers, and DIR. For each: the target it serves, kind
(static, dynamic — read from its own ELF header — or wrapper), version
(from --version), whether it honours binfmt_misc's P flag (Debian
wrapper: always; otherwise QEMU 6.0+ on Linux 5.12+), the package that
owns it (dpkg or rpm), and which one 'xarch install' would pick (*). A
-static link and the file it names are one row.`,
  options: {
    dir: { type: 'string', value: 'DIR', multiple: true, description: 'look here first', complete: 'dir' },
  },
  json: 'one line per emulator: {"target","cpu","path","kind","static","version","preserveArgv0","via","preferred","package"}',
});

const listCommand = defineCommand({
  name: 'emulators list',
  description: `
The emulator store's sets (one QEMU version's static emulators with a
manifest: source, version, sha256 and P support per file, probe result
per target), which targets' handlers use each, and the host's own
emulators. SET, below, is a set's id, a unique prefix of it, or its
QEMU version (10.0).`,
  options: storeOptions,
  json: 'one line per set: {"kind":"set","id","version","source","packages","addedAt","files","probes","usedBy"}; then per host emulator {"kind":"host","target","path","static"}',
});

const addCommand = defineCommand({
  name: 'emulators add',
  description: `
Add a set from SOURCE: 'apt' (apt-get download, so apt's signature and
checksum chain verifies it; --suite takes another release's package
through a private apt configuration built from this host's sources), a
.deb, an .rpm, a tarball of qemu-* binaries, or a docker save / OCI
image archive. Only static emulators enter (a dynamic one is refused
with the reason); each one's version comes from running it; each
target is probed in a private binfmt_misc instance.`,
  positionals: [{ name: 'SOURCE', required: true, complete: 'file' }],
  options: {
    suite: { type: 'string', value: 'NAME', description: "with 'apt': the release to take the package from (bookworm, trixie, ...)" },
    sha256: { type: 'string', value: 'HEX', description: 'the source file must have this sha256 (checked before anything is unpacked)' },
    'no-probe': { type: 'boolean', description: 'do not probe the targets now (use probes them anyway)' },
    store: storeOptions.store,
  },
  json: 'one line: {"id","version","source","existed","files","probes","refused"}',
});

const useCommand = defineCommand({
  name: 'emulators use',
  description: `
Probe each target with the set's emulators in a private binfmt_misc
instance (and with --canary run CMD in a session on ROOTFS with them);
only then point each handler into the set, one target at a time,
recording the previous entry. A failing canary changes nothing.
Default targets: the set's foreign targets that have a handler, or
else all of them.`,
  positionals: [{ name: 'SET', required: true }, { name: 'TARGET', repeatable: true, complete: 'target' }],
  options: {
    canary: { type: 'string', value: 'ROOTFS', complete: 'dir', description: 'also run CMD (after --) in a session on ROOTFS with the set' },
    'no-canary': { type: 'boolean', description: 'skip the probes (when no private instance can be made here)' },
    force: { type: 'boolean', description: "replace another tool's entry of the same name" },
    'dry-run': { type: 'boolean', description: 'run the canary and show what would change; change nothing' },
    ...storeOptions,
  },
  program: { start: '--', usage: 'CMD [ARGS...]' },
  json: 'one line per target: install\'s item fields and "set"',
});

const rollbackCommand = defineCommand({
  name: 'emulators rollback',
  description: `
Put back each target's entry as it was before its last 'use' (or
remove it when there was none). Default: every target with history in
this instance.`,
  positionals: [{ name: 'TARGET', repeatable: true, complete: 'target' }],
  options: storeOptions,
  json: 'one line per target: {"target","name","status","set","interpreter","reason"}',
});

const removeCommand = defineCommand({
  name: 'emulators remove',
  description: 'Delete a set; refused while a handler uses it.',
  positionals: [{ name: 'SET', required: true }],
  options: storeOptions,
  json: '{"removed"}',
});

const gcCommand = defineCommand({
  name: 'emulators gc',
  description: 'Delete every set no handler uses and no history points at.',
  options: storeOptions,
  json: 'one line per set removed: {"removed"}',
});

export const command = defineCommand({
  name: 'emulators',
  description: '',
  options: {},
  subcommands: [hostCommand, listCommand, addCommand, useCommand, rollbackCommand, removeCommand, gcCommand],
  notes: 'Exit 1 when no emulator is found (with how to get one) or any item failed.',
});

export async function run(argv: string[], io: Io): Promise<number> {
  const sub = argv[0];
  switch (sub) {
    case 'list': return list(argv.slice(1), io);
    case 'add': return add(argv.slice(1), io);
    case 'use': return use(argv.slice(1), io);
    case 'rollback': return rollbackTargets(argv.slice(1), io);
    case 'remove': return remove(argv.slice(1), io);
    case 'gc': return gc(argv.slice(1), io);
    default: return host(argv, io);
  }
}

function openStore(values: { store?: string }, io: Io): Store {
  return new Store(values.store ?? defaultStoreDir(io.env));
}

/** Today's `xarch emulators`: the host's own emulators. */
async function host(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(hostCommand, argv);
  const found = findEmulators({ extraDirs: values.dir ?? [], path: io.env.PATH ?? '' });
  if (found.length === 0) {
    throw new XarchError('EMULATOR_NOT_FOUND', `no QEMU user-mode emulator found (searched ${[...(values.dir ?? []), ...DEFAULT_EMULATOR_DIRS].join(', ')} and PATH)`, { hint: emulatorHint() });
  }
  const emus = await withVersions(found);
  const owners = packageOwners([...new Set(emus.map((e) => e.path))]);
  const rows: string[][] = [];
  for (const e of emus) {
    const preferred = bestEmulator(e.target, emus) === e;
    const pkg = owners.get(e.path) ?? null;
    if (values.json) {
      jsonLine(io, { ...e, preferred, package: pkg });
      continue;
    }
    rows.push([(preferred ? '* ' : '  ') + e.target, e.kind, e.static ? 'yes' : 'no', e.preserveArgv0 ? 'yes' : 'no', e.version ?? '?', pkg ?? '-', e.path + (e.via ? ` -> ${e.via}` : '')]);
  }
  if (!values.json) io.out(table(['  TARGET', 'KIND', 'STATIC', 'P', 'VERSION', 'PACKAGE', 'PATH'], rows));
  return EXIT_OK;
}

async function list(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(listCommand, argv);
  const store = openStore(values, io);
  const sets = store.list();
  const using = liveUse(store, values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR);
  const usersOf = (id: string) => [...using].filter(([, s]) => s === id).map(([t]) => t);
  const hostEmus = findEmulators({ path: io.env.PATH ?? '' });
  if (values.json) {
    for (const m of sets) jsonLine(io, { kind: 'set', id: m.id, version: m.version, source: m.source, packages: m.packages, addedAt: m.addedAt, files: m.files.length, probes: m.probes, usedBy: usersOf(m.id) });
    for (const e of hostEmus) jsonLine(io, { kind: 'host', target: e.target, path: e.path, static: e.static });
    return EXIT_OK;
  }
  io.out(`store ${store.dir}\n`);
  if (sets.length) {
    const rows = sets.map((m) => {
      const ok = m.probes.filter((p) => p.ok).length;
      return [m.id, m.version ?? '?', String(m.files.length), `${ok}/${m.probes.length}`, m.source, usersOf(m.id).join(',') || '-'];
    });
    io.out(table(['SET', 'VERSION', 'FILES', 'PROBES', 'SOURCE', 'USED BY'], rows));
  } else io.out('  no sets (add one: xarch emulators add apt)\n');
  const hostTargets = [...new Set(hostEmus.map((e) => e.target))];
  const dirs = [...new Set(hostEmus.map((e) => path.dirname(e.path)))];
  const packages = [...new Set(packageOwners([...new Set(hostEmus.map((e) => e.path))]).values())];
  io.out(hostTargets.length
    ? `host emulators: ${hostTargets.length} targets in ${dirs.join(', ')}${packages.length ? ` (${packages.join(', ')})` : ''}; xarch emulators lists them\n`
    : 'host emulators: none\n');
  return EXIT_OK;
}

async function add(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(addCommand, argv);
  if (positionals.length !== 1) throw new UsageError('add takes one SOURCE: apt, a .deb, an .rpm, a tarball or an image archive');
  if (values.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.sha256)) throw new UsageError(`--sha256 '${values.sha256}': expected 64 hex digits`);
  const store = openStore(values, io);
  store.ensure();
  const progress = progressLine(io, !!values.json);
  const work = mkdtempSync(path.join(os.tmpdir(), 'xarch-add-'));
  // apt-get download drops to the _apt user, which must reach the download directory.
  chmodSync(work, 0o755);
  try {
    const source = positionals[0]!;
    const unpacked = await unpackSource(source, work, { ...(values.suite ? { suite: values.suite } : {}), ...(values.sha256 ? { sha256: values.sha256 } : {}), ...(progress ? { progress: progress.report } : {}) });
    const probe = values['no-probe'] ? () => [] : (dir: string, files: ManifestFile[]) => {
      const emus = emulatorsIn(dir, files);
      try {
        return probeEmulators(emus, probeableTargets(emus, os.machine()));
      } catch (e) {
        // No private instance here: the set enters unprobed; `use` probes (or refuses) later.
        if (e instanceof XarchError && e.code === 'SANDBOX_UNAVAILABLE') {
          progress?.end();
          io.err(`xarch: note: ${e.message}; the set is added without probe results\n`);
          return [];
        }
        throw e;
      }
    };
    const r = await store.add(unpacked.candidates, unpacked, probe, progress?.report);
    progress?.end();
    if (values.json) {
      jsonLine(io, { id: r.manifest.id, version: r.manifest.version, source: r.manifest.source, existed: r.existed, files: r.manifest.files.length, probes: r.manifest.probes, refused: r.refused });
    } else {
      const ok = r.manifest.probes.filter((p) => p.ok).length;
      io.out(`${r.existed ? 'exists' : 'added'}  ${r.manifest.id}  QEMU ${r.manifest.version ?? '?'}  ${r.manifest.files.length} emulators  probes ${ok}/${r.manifest.probes.length} ok  (${r.manifest.source})\n`);
      for (const p of r.manifest.probes.filter((x) => !x.ok)) io.out(`    probe ${p.target}: ${p.result}${p.message ? `: ${p.message}` : ''}\n`);
      for (const x of r.refused) io.out(`    refused ${path.basename(x.file)}: ${x.reason}\n`);
    }
    return EXIT_OK;
  } finally {
    progress?.end();
    rmSync(work, { recursive: true, force: true });
  }
}

async function use(argv: string[], io: Io): Promise<number> {
  const { values, positionals, rest: command } = parseCommand(useCommand, argv);
  if (!positionals.length) throw new UsageError('use takes SET [TARGET...]');
  if (values.canary !== undefined && !command.length) throw new UsageError('--canary ROOTFS needs the command to run after --');
  if (values.canary !== undefined && values['no-canary']) throw new UsageError('--canary and --no-canary exclude each other');
  const store = openStore(values, io);
  const id = resolveSet(positionals[0]!, store.list());
  const r = await useSet(store, id, positionals.slice(1), {
    binfmtDir: values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR, noCanary: !!values['no-canary'], dryRun: !!values['dry-run'], force: !!values.force,
    ...(values.canary !== undefined ? { canary: { rootfs: values.canary, command, env: io.env } } : {}),
  });
  for (const it of r.items) {
    if (values.json) jsonLine(io, { set: id, ...it });
    else io.out(`${it.dryRun && (it.status === 'installed' || it.status === 'replaced') ? `would be ${it.status}` : it.status.padEnd(10)} ${it.name}${it.interpreter ? ` → ${it.interpreter}` : ''}${it.reason ? `: ${it.reason}` : ''}\n`);
  }
  if (!values.json) io.out(`set ${id}: ${r.probes.length} probes passed; ${r.items.filter((i) => i.status === 'installed' || i.status === 'replaced').length} handlers changed\n`);
  return r.items.some((i) => i.status === 'failed') ? EXIT_FAILURE : EXIT_OK;
}

async function rollbackTargets(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(rollbackCommand, argv);
  const items = await rollback(openStore(values, io), positionals, { binfmtDir: values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR });
  for (const it of items) {
    if (values.json) jsonLine(io, it);
    else io.out(`${it.status.padEnd(10)} ${it.name}${it.interpreter ? ` → ${it.interpreter}` : ''}${it.reason ? `: ${it.reason}` : ''}\n`);
  }
  return items.some((i) => i.status === 'failed') ? EXIT_FAILURE : EXIT_OK;
}

async function remove(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(removeCommand, argv);
  if (positionals.length !== 1) throw new UsageError('remove takes one SET');
  const store = openStore(values, io);
  const sets = store.list();
  const id = resolveSet(positionals[0]!, sets);
  // Under the lock: a concurrent `use` cannot start pointing at it meanwhile.
  await store.withLock(async () => {
    const free = unusedSets(store, sets, values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR);
    if (!free.some((m) => m.id === id)) {
      throw new XarchError('SET_IN_USE', `set ${id} is still used by a registered handler`, { hint: 'point the handlers elsewhere first: xarch emulators rollback, or xarch emulators use ANOTHER-SET' });
    }
    store.remove(id);
  });
  if (values.json) jsonLine(io, { removed: id });
  else io.out(`removed ${id}\n`);
  return EXIT_OK;
}

async function gc(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(gcCommand, argv);
  const store = openStore(values, io);
  const free = await store.withLock(async () => {
    const unused = unusedSets(store, store.list(), values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR);
    for (const m of unused) store.remove(m.id);
    return unused;
  });
  for (const m of free) {
    if (values.json) jsonLine(io, { removed: m.id });
    else io.out(`removed ${m.id} (QEMU ${m.version ?? '?'})\n`);
  }
  if (!values.json && !free.length) io.out('nothing to remove\n');
  return EXIT_OK;
}
