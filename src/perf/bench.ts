// xarch bench: the same busybox program and input run natively (the host's
// static busybox) and under each target's QEMU (the target's static busybox
// run as `qemu-<cpu> busybox ...`, no registration), timed in the same
// window, as penalties (emulated/native). With CPU models: each model's
// times through QEMU_CPU, failing models marked, the fastest named.
// IO edge: finds the programs, writes the input, spawns and times; the
// model and the arithmetic are src/perf/workloads.ts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TARGETS, isHostTarget, resolveTarget, type Target } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { elfIsStatic, findEmulators, type FindOptions } from '../emulators/discover.js';
import { bestEmulator, emulatorHint } from '../emulators/emulator.js';
import { readElfFile } from '../host/file.js';
import { checkCpuModel, cpuModels } from './cpu.js';
import { defaultModels } from './cpu-models.js';
import {
  WORKLOADS, WORKLOAD_NAMES, fastestModel, generateInput, median, round, workloadResult,
  type ModelResult, type WorkloadName, type WorkloadResult,
} from './workloads.js';

export interface BenchOptions {
  /** Target names in any scheme; default: every foreign target with an emulator and a busybox. */
  targets?: readonly string[];
  /** Directories holding <debian-arch>/root/bin/busybox or <debian-arch>/busybox (scripts/fetch-fixtures.sh's layout). */
  busyboxDirs: readonly string[];
  /** Input size in bytes (default 4 MiB). */
  size?: number;
  /** Runs per workload and side; the median is reported (default 3). */
  repeat?: number;
  /** Process starts in the start workload (default 200). */
  starts?: number;
  workloads?: readonly WorkloadName[];
  /** QEMU_CPU for every emulated run. */
  cpu?: string;
  /** Try CPU models: true for the default subset of each target, or the names to try. */
  cpuModels?: boolean | readonly string[];
  emulatorSearch?: FindOptions;
  machine?: string;
}

export interface BenchTarget {
  target: string;
  /** The Debian architecture whose busybox ran. */
  debian: string;
  emulator: string;
  busybox: string;
  cpu: string | null;
  ok: boolean;
  error?: string;
  results: WorkloadResult[];
  models?: ModelResult[];
  /** The fastest model that ran every workload correctly (null: none did). */
  fastest?: { model: string; speedup: number } | null;
}

export interface BenchReport {
  host: { target: string; busybox: string };
  input: { size: number; sha256: string };
  repeat: number;
  starts: number;
  workloads: WorkloadName[];
  targets: BenchTarget[];
  /** Without TARGET: the foreign targets with an emulator that were left out, and why. */
  skipped: { target: string; reason: string }[];
}

export const DEFAULT_SIZE = 4 << 20;
export const DEFAULT_REPEAT = 3;
export const DEFAULT_STARTS = 200;

/** bench's own option for another emulator directory. */
const EMULATOR_HINT = emulatorHint().replace('--dir', '--emulator-dir');
const BUSYBOX_HINT = "fetch Debian's busybox-static per architecture with 'bash scripts/fetch-fixtures.sh' (or apt-get download busybox-static:ARCH and dpkg -x it into DIR/ARCH/root), then --busybox-dir DIR";

/** The static busybox for `t` in the directories, as the first of its Debian names that has one. */
function findBusybox(t: Target, dirs: readonly string[], prefer?: string): { debian: string; path: string } | null {
  const names = t.names.debian ?? [];
  for (const debian of prefer && names.includes(prefer) ? [prefer] : names) {
    for (const dir of dirs) {
      for (const p of [path.join(dir, debian, 'root', 'bin', 'busybox'), path.join(dir, debian, 'busybox')]) {
        try {
          if (existsSync(p) && readElfFile(p).targets.includes(t.name) && elfIsStatic(p)) return { debian, path: p };
        } catch { /* not an ELF file: look on */ }
      }
    }
  }
  return null;
}

function hostBusybox(machine: string, dirs: readonly string[]): { target: Target; path: string } {
  const host = TARGETS.find((t) => t.names.uname?.includes(machine)) ?? TARGETS.find((t) => t.name === machine);
  if (!host) throw new XarchError('ARCH_UNKNOWN', `this machine (${machine}) is not in the catalogue`, { hint: "'xarch arches' lists the machines xarch knows" });
  const found = findBusybox(host, dirs)?.path ?? ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && elfIsStatic(p) === true);
  if (!found) {
    throw new XarchError('PATH_NOT_FOUND', `no static busybox for this machine (${host.name}) in ${dirs.join(', ') || '(no directory)'} or /bin`, { hint: `apt-get install busybox-static, or ${BUSYBOX_HINT}` });
  }
  return { target: host, path: found };
}

interface Candidate { target: Target; debian: string; busybox: string; emulator: string }

function candidates(opts: BenchOptions, machine: string): { list: Candidate[]; skipped: BenchReport['skipped'] } {
  // A Debian name (armel) picks that port's busybox of its target (arm).
  const explicit = opts.targets?.length ? opts.targets.map((n) => resolveTarget(n)) : null;
  const wanted = explicit ?? TARGETS.filter((t) => !isHostTarget(t, machine)).map((target) => ({ target, scheme: 'qemu', input: target.name }));
  const emulators = findEmulators({ ...(opts.emulatorSearch ?? {}), cpus: new Set(wanted.map((w) => w.target.cpu)) }).filter((e) => e.kind !== 'wrapper');
  const out: Candidate[] = [];
  const skipped: BenchReport['skipped'] = [];
  const seen = new Set<string>();
  for (const { target: t, scheme, input } of wanted) {
    const prefer = scheme === 'debian' ? input : undefined;
    if (seen.has(`${t.name}/${prefer ?? ''}`)) continue;
    seen.add(`${t.name}/${prefer ?? ''}`);
    if (isHostTarget(t, machine)) {
      throw new XarchError('HOST_FAMILY', `${t.name} is this machine's own family: it runs natively, there is nothing to emulate`, { hint: "name a foreign target ('xarch arches' lists them)" });
    }
    const emulator = bestEmulator(t.name, emulators);
    const busybox = findBusybox(t, opts.busyboxDirs, prefer);
    if (explicit && !emulator) throw new XarchError('EMULATOR_NOT_FOUND', `no emulator for ${t.name} (qemu-${t.cpu}-static or qemu-${t.cpu})`, { hint: EMULATOR_HINT });
    if (explicit && !busybox) {
      throw new XarchError('PATH_NOT_FOUND', `no static busybox for ${t.name} (Debian ${(t.names.debian ?? []).join('/') || 'has no port'}) in ${opts.busyboxDirs.join(', ')}`, { hint: BUSYBOX_HINT });
    }
    if (emulator && busybox) out.push({ target: t, debian: busybox.debian, busybox: busybox.path, emulator: emulator.path });
    else if (emulator) skipped.push({ target: t.name, reason: t.names.debian?.length ? `no static busybox for Debian ${t.names.debian.join('/')}` : 'no Debian port' });
  }
  if (!out.length) {
    throw new XarchError('EMULATOR_NOT_FOUND', 'no foreign target has both an emulator and a static busybox to benchmark', { hint: `${EMULATOR_HINT}; and ${BUSYBOX_HINT}` });
  }
  return { list: out, skipped };
}

interface Run { ms: number; ok: boolean; digest: string; error?: string }

// A clean environment: the caller's QEMU_* settings must not change what is measured.
const BASE_ENV = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };

function timed(argv: readonly string[], cpu: string | null): Run {
  const env = cpu ? { ...BASE_ENV, QEMU_CPU: cpu } : BASE_ENV;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const digest = createHash('sha256').update(r.stdout ?? '').digest('hex');
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : String(r.stderr ?? '').trim().split('\n')[0] || `exit status ${r.status ?? r.signal}`;
    return { ms, ok: false, digest, error: why };
  }
  return { ms, ok: true, digest };
}

interface Side { busybox: string; runner: string[] }

type Measured = { ok: boolean; error?: string; results: WorkloadResult[] };

/**
 * Every workload, `repeat` times, with one native run and then one run of
 * each CPU model (null: QEMU's default) per round, so all of them see the
 * same load (the machine is shared: a model measured a minute later would
 * be compared with another machine state). An emulated run must print what
 * the native one printed (the same busybox version on both sides); a model
 * that fails once is out of the remaining rounds.
 */
function measure(c: Candidate, host: Side, input: string, models: readonly (string | null)[], o: Required<Pick<BenchOptions, 'repeat' | 'starts'>> & { workloads: readonly WorkloadName[] }): Measured[] {
  const out: Measured[] = models.map(() => ({ ok: true, results: [] }));
  const emulated: Side = { busybox: c.busybox, runner: [c.emulator, c.busybox] };
  for (const w of o.workloads) {
    const spec = WORKLOADS[w];
    const argv = (s: Side) => [...s.runner, ...spec.args(input, o.starts, s.runner)];
    const native: number[] = [];
    const emu: number[][] = models.map(() => []);
    for (let i = 0; i < o.repeat; i++) {
      const n = timed(argv(host), null);
      if (!n.ok) throw new XarchError('INTERNAL', `the host's busybox failed ${w}: ${n.error}`, { path: host.busybox, hint: 'check the host busybox (it must be a static busybox with sha256sum, gzip and sort)' });
      native.push(n.ms);
      models.forEach((model, k) => {
        if (!out[k]!.ok) return;
        const e = timed(argv(emulated), model);
        if (!e.ok) Object.assign(out[k]!, { ok: false, error: `${w}: ${e.error}` });
        else if (e.digest !== n.digest) Object.assign(out[k]!, { ok: false, error: `${w}: the emulated output differs from the native one` });
        else emu[k]!.push(e.ms);
      });
    }
    models.forEach((_m, k) => { if (out[k]!.ok) out[k]!.results.push(workloadResult(w, median(native), median(emu[k]!))); });
  }
  return out;
}

/** Run the benchmark. Per-target failures are reported in the result; a target that cannot be benchmarked at all throws before anything runs. */
export function runBench(opts: BenchOptions): BenchReport {
  const machine = opts.machine ?? os.machine();
  const size = opts.size ?? DEFAULT_SIZE;
  const repeat = opts.repeat ?? DEFAULT_REPEAT;
  const starts = opts.starts ?? DEFAULT_STARTS;
  const workloads = [...(opts.workloads?.length ? opts.workloads : WORKLOAD_NAMES)];
  const host = hostBusybox(machine, opts.busyboxDirs);
  const { list, skipped } = candidates(opts, machine);
  if (opts.cpu) for (const c of list) checkCpuModel(c.emulator, opts.cpu, c.target.name);
  const data = generateInput(size);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-bench-'));
  try {
    const input = path.join(dir, 'input.txt');
    writeFileSync(input, data);
    const hostSide: Side = { busybox: host.path, runner: [host.path] };
    const o = { repeat, starts, workloads };
    const targets = list.map((c): BenchTarget => {
      const base = { target: c.target.name, debian: c.debian, emulator: c.emulator, busybox: c.busybox, cpu: opts.cpu ?? null };
      const available = opts.cpuModels ? cpuModels(c.emulator) : [];
      const names = opts.cpuModels === true ? defaultModels(c.target.name, available) : [...(opts.cpuModels || [])];
      const runnable = names.filter((m) => available.includes(m));
      const [m, ...byModel] = measure(c, hostSide, input, [opts.cpu ?? null, ...runnable], o);
      const row: BenchTarget = { ...base, ok: m!.ok, results: m!.results, ...(m!.error ? { error: m!.error } : {}) };
      if (opts.cpuModels) {
        row.models = names.map((model): ModelResult => {
          const k = runnable.indexOf(model);
          if (k < 0) return { model, ok: false, error: `${path.basename(c.emulator)} -cpu help does not list it`, results: [], totalMs: null };
          const r = byModel[k]!;
          return { model, ok: r.ok, ...(r.error ? { error: r.error } : {}), results: r.results, totalMs: r.ok ? round(r.results.reduce((sum, x) => sum + x.emulatedMs, 0)) : null };
        });
        row.fastest = fastestModel(row.models);
      }
      return row;
    });
    return {
      host: { target: host.target.name, busybox: host.path },
      input: { size, sha256: createHash('sha256').update(data).digest('hex') },
      repeat, starts, workloads, targets, skipped,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

