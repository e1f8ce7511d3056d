// xarch bench [TARGET...]: the emulation penalty per target and workload, and the fastest QEMU CPU model.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { UsageError, jsonLine, table, type Io } from '../io.js';
import { defineCommand, parseCommand, wrap } from '../options.js';
import { isXarchError, XarchError } from '../../core/errors.js';
import { TARGETS, isHostTarget, resolveTarget } from '../../core/arch.js';
import { installedTargets } from '../../emulators/discover.js';
import { busyboxCacheDir, fetchBusyboxes, type Fetched } from '../../perf/busybox-fetch.js';
import { progressLine } from '../progress.js';
import { DEFAULT_REPEAT, DEFAULT_STARTS, runBench, type BenchOptions, type BenchReport, type BenchTarget } from '../../perf/bench.js';
import { WORKLOAD_NAMES, parseSize, type WorkloadName, type WorkloadResult } from '../../perf/workloads.js';

export const command = defineCommand({
  name: 'bench',
  usage: `[TARGET...] [--fetch] [--busybox-dir DIR]...
[--emulator-dir DIR]... [--size N] [--repeat N] [--starts N]
[--workloads LIST]
[--cpu MODEL | --cpu-models [--models LIST]] [--json]`,
  description: `
Measure the emulation penalty: the same program and input run natively
and under each target's QEMU, and the ratio emulated/native per workload.
The program is Debian's static busybox, the host's own and each target's
(run as 'qemu-<cpu>-static busybox ...': no binfmt_misc registration is
needed or made). Workloads: sha256sum and gzip -9 of a generated text file
(deterministic, --size), sort of its lines, and --starts process starts
(a busybox sh loop running 'true': under emulation each start is a new
QEMU). Each workload runs --repeat times on each side, native and emulated
runs interleaved so both see the same load; the medians are reported, and
an emulated run must print exactly what the native one printed.

Without TARGET: every foreign target with an emulator and a busybox in
the --busybox-dir directories (default: $XARCH_BUSYBOX_DIR, else the
.fixtures directory that 'bash scripts/fetch-fixtures.sh' fills, and the
cache that --fetch fills, $XDG_CACHE_HOME/xarch/busybox:
DIR/<debian-arch>/root/bin/busybox or DIR/<debian-arch>/busybox; the
host's own busybox is also looked for in /bin).

--fetch first downloads Debian's busybox-static of the host and of each
TARGET (without TARGET: of each foreign target with an emulator) with
apt, through a private configuration: the host's own source entries,
keyrings and suite, the architectures added only there, so the host's
apt lists and dpkg are not touched. They are unpacked into the first
--busybox-dir, else the cache, and used from there by later runs.

--cpu-models runs the workloads under QEMU CPU models too (QEMU_CPU),
one run of each model per round so that all see the same load: by
default a handful per target ('max' and named cores that 'qemu-<cpu>
-cpu help' lists), or --models; a model that does not run busybox
correctly is reported as failing, never as the fastest.`,
  positionals: [{ name: 'TARGET', repeatable: true, complete: 'target' }],
  options: {
    'busybox-dir': { type: 'string', value: 'DIR', multiple: true, complete: 'dir', description: 'where the static busyboxes are (DIR/<debian-arch>/root/bin/busybox)' },
    fetch: { type: 'boolean', description: "download Debian's static busyboxes first, with apt (a private configuration)" },
    size: { type: 'string', value: 'N', description: 'input size: bytes or 512K, 4M, 1G', default: '4M' },
    repeat: { type: 'string', value: 'N', description: 'runs per workload and side (the median is reported)', default: String(DEFAULT_REPEAT) },
    starts: { type: 'string', value: 'N', description: 'process starts in the start workload', default: String(DEFAULT_STARTS) },
    'emulator-dir': { type: 'string', value: 'DIR', multiple: true, complete: 'dir', description: 'benchmark the emulators in DIR (a build, an emulator store set) instead of the installed ones' },
    workloads: { type: 'string', value: 'LIST', description: `comma-separated subset of ${WORKLOAD_NAMES.join(',')}` },
    cpu: { type: 'string', value: 'MODEL', description: 'run every emulated program with this QEMU CPU model (QEMU_CPU)' },
    'cpu-models': { type: 'boolean', description: 'also try QEMU CPU models per target and name the fastest that runs' },
    models: { type: 'string', value: 'LIST', description: 'with --cpu-models: the comma-separated models to try' },
  },
  json: `one object: {"host":{"target","busybox"},"fetched":[{"debian","version","busybox","error"}] after a fetch,"input":{"size","sha256"},"repeat","starts","workloads","skipped":[{"target","reason"}],
  "targets":[{"target","debian","emulator","busybox","cpu","ok","error",
  "results":[{"workload","nativeMs","emulatedMs","penalty"}],
  "models":[{"model","ok","error","results","totalMs"}],"fastest":{"model","speedup"}}]}`,
  notes: `
Exit 1 when a target (not a CPU model) failed. Times vary with the load of
the machine: compare the penalties of one run.`,
});

function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} is a whole number of at least 1, not '${text}'`);
  return n;
}

/**
 * The .fixtures beside xarch's package.json (where scripts/fetch-fixtures.sh
 * puts the busyboxes), found upwards so a bundled build finds it too.
 */
function fixturesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, '.fixtures');
}

/**
 * The Debian architectures --fetch downloads for: the host's own (dpkg's,
 * in fetchBusyboxes) and each TARGET's (a Debian name picks its port; a
 * target that Debian has two ports of, arm, gets both), else those of the
 * foreign targets with an emulator.
 */
function fetchArchs(targets: readonly string[], searchPath: string): string[] {
  const machine = os.machine();
  const wanted = targets.length
    ? targets.map((n) => {
      const r = resolveTarget(n);
      return r.scheme === 'debian' ? [r.input.toLowerCase()] : (r.target.names.debian ?? []);
    })
    : [...installedTargets({ path: searchPath })].map((name) => TARGETS.find((t) => t.name === name)!).filter((t) => !isHostTarget(t, machine)).map((t) => t.names.debian ?? []);
  const archs = [...new Set(wanted.flat())];
  if (!archs.length) throw new XarchError('PATH_NOT_FOUND', targets.length ? `Debian has no port for ${targets.join(', ')}` : 'no foreign target has an emulator here, so there is nothing to fetch for', { hint: targets.length ? "'xarch arches' lists the Debian names" : 'apt-get install qemu-user-static, or name a TARGET' });
  return archs;
}

function row(first: string, r: WorkloadResult): string[] {
  return [first, r.workload, `${r.nativeMs} ms`, `${r.emulatedMs} ms`, `${r.penalty}x`];
}

/** arm runs two Debian ports (armhf, armel): the row says whose busybox ran. */
function label(t: BenchTarget): string {
  return t.debian === t.target ? t.target : `${t.target} (${t.debian})`;
}

function render(io: Io, rep: BenchReport): void {
  const mib = (rep.input.size / (1 << 20)).toFixed(rep.input.size < 1 << 20 ? 2 : 1);
  io.out(`native: ${rep.host.target} ${rep.host.busybox}; input ${mib} MiB; ${rep.starts} starts; median of ${rep.repeat} run${rep.repeat === 1 ? '' : 's'}\n\n`);
  const rows = rep.targets.flatMap((t) => t.results.map((r) => row(label(t), r)));
  io.out(table(['TARGET', 'WORKLOAD', 'NATIVE', 'EMULATED', 'PENALTY'], rows));
  for (const t of rep.targets) if (!t.ok) io.out(`failed  ${label(t)}: ${t.error}\n`);
  if (rep.skipped.length) io.out(`${wrap('not benchmarked (no busybox; emulator present): ', rep.skipped.map((s) => s.target).join(', '), '  ')}\n`);
  for (const t of rep.targets.filter((x) => x.models)) {
    io.out(`\n${label(t)}: CPU models (QEMU_CPU)\n`);
    const ok = t.models!.filter((m) => m.ok);
    if (ok.length) io.out(table(['MODEL', 'WORKLOAD', 'NATIVE', 'EMULATED', 'PENALTY'], ok.flatMap((m) => m.results.map((r) => row(m.model, r)))));
    for (const m of t.models!.filter((x) => !x.ok)) io.out(`failing ${m.model}: ${m.error}\n`);
    io.out(t.fastest ? `fastest ${t.fastest.model} (${t.fastest.speedup}x faster than the slowest model that ran)\n` : 'fastest: no model ran every workload\n');
  }
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  const size = parseSize(values.size);
  if (size === null) throw new UsageError(`--size is a size like 4M, 512K or a number of bytes, not '${values.size}'`);
  const workloads = values.workloads?.split(',').map((w) => w.trim()).filter(Boolean);
  for (const w of workloads ?? []) if (!(WORKLOAD_NAMES as readonly string[]).includes(w)) throw new UsageError(`--workloads: '${w}' is not one of ${WORKLOAD_NAMES.join(', ')}`);
  if (values.models !== undefined && !values['cpu-models']) throw new UsageError('--models goes with --cpu-models');
  if (values.cpu !== undefined && values['cpu-models']) throw new UsageError('--cpu and --cpu-models exclude each other: --cpu-models tries each model itself');
  const cache = busyboxCacheDir(io.env);
  let dirs = values['busybox-dir'].length ? values['busybox-dir'] : [io.env.XARCH_BUSYBOX_DIR || fixturesDir(), ...(cache ? [cache] : [])];
  let fetched: Fetched[] | undefined;
  if (values.fetch) {
    const into = values['busybox-dir'][0] ? path.resolve(io.cwd, values['busybox-dir'][0]) : cache;
    if (!into) throw new UsageError('--fetch needs a directory: give --busybox-dir DIR (HOME and XDG_CACHE_HOME are unset)');
    const progress = progressLine(io, !!values.json);
    try {
      fetched = fetchBusyboxes(fetchArchs(positionals, io.env.PATH ?? ''), into, progress ? { progress: progress.report } : {});
    } finally {
      progress?.end();
    }
    // What was just fetched is what runs.
    dirs = [into, ...dirs.filter((d) => path.resolve(io.cwd, d) !== into)];
    if (!values.json) {
      for (const f of fetched) io.err(f.busybox ? `fetched busybox-static:${f.debian} ${f.version} into ${path.dirname(path.dirname(path.dirname(f.busybox)))}\n` : `xarch: could not fetch busybox-static:${f.debian}: ${f.error}\n`);
    }
  }
  const opts: BenchOptions = {
    targets: positionals, busyboxDirs: dirs.map((d) => path.resolve(io.cwd, d)), size,
    repeat: count('repeat', values.repeat), starts: count('starts', values.starts),
    emulatorSearch: values['emulator-dir'].length ? { dirs: values['emulator-dir'].map((d) => path.resolve(io.cwd, d)), path: '' } : { path: io.env.PATH ?? '' },
  };
  if (workloads?.length) opts.workloads = workloads as WorkloadName[];
  if (values.cpu !== undefined) opts.cpu = values.cpu;
  if (values['cpu-models']) opts.cpuModels = values.models ? values.models.split(',').map((m) => m.trim()).filter(Boolean) : true;
  let rep: BenchReport;
  try {
    rep = runBench(opts);
  } catch (e) {
    // A name the catalogue does not know is a usage error, like any bad argument.
    if (isXarchError(e) && e.code === 'ARCH_UNKNOWN' && positionals.length) throw new UsageError(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
    throw e;
  }
  if (values.json) jsonLine(io, fetched ? { ...rep, fetched } : rep);
  else render(io, rep);
  return rep.targets.some((t) => !t.ok) ? 1 : 0;
}
