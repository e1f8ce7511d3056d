// xarch bench and src/perf/: the pure model (workloads, input, medians,
// penalties, fastest model, `-cpu help` parsing on every installed QEMU's
// real output), then the command end to end with Debian's static busybox of
// the host and of the targets under real QEMU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES, needCommand, needFixture, xarch } from './helpers/env.js';
import { TARGETS } from '../src/core/arch.js';
import { defaultModels, parseCpuHelp } from '../src/perf/cpu-models.js';
import { WORKLOAD_NAMES, fastestModel, generateInput, median, parseSize, workloadResult, type ModelResult } from '../src/perf/workloads.js';
import { runBench } from '../src/perf/bench.js';

const HOST_BUSYBOX = path.join(FIXTURES, 'amd64', 'root', 'bin', 'busybox');
function needHostBusybox(): string | false {
  const r = existsSync(HOST_BUSYBOX) ? false : `no host busybox at ${HOST_BUSYBOX}: run 'bash scripts/fetch-fixtures.sh'`;
  if (r) console.log(`# skip reason: ${r}`);
  return r;
}
const QUICK = ['--size', '64K', '--repeat', '1', '--starts', '3'];

test('the generated input is deterministic text of the asked size', () => {
  const a = generateInput(100_000);
  assert.equal(a.length, 100_000);
  assert.deepEqual(a, generateInput(100_000));
  assert.notDeepEqual(a, generateInput(100_000, 7));
  assert.equal(a[a.length - 1], 0x0a);
  assert.ok(a.every((b) => b === 0x0a || b === 0x20 || (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a)));
  const lines = new TextDecoder().decode(a).split('\n');
  assert.ok(lines.length > 1000, 'many lines for sort');
});

test('sizes, medians and penalties', () => {
  assert.equal(parseSize('4M'), 4 << 20);
  assert.equal(parseSize('512k'), 512 << 10);
  assert.equal(parseSize('1000'), 1000);
  assert.equal(parseSize('1.5KiB'), 1536);
  for (const bad of ['', 'x', '-1', '0', '4Q']) assert.equal(parseSize(bad), null, bad);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(workloadResult('gzip', 20, 150), { workload: 'gzip', nativeMs: 20, emulatedMs: 150, penalty: 7.5 });
});

test('the fastest model is one that ran; failing models never win', () => {
  const m = (model: string, ok: boolean, totalMs: number | null): ModelResult => ({ model, ok, results: [], totalMs });
  assert.deepEqual(fastestModel([m('max', true, 500), m('a53', true, 100), m('bad', false, null), m('n1', true, 250)]), { model: 'a53', speedup: 5 });
  assert.equal(fastestModel([m('bad', false, null)]), null);
  assert.equal(fastestModel([]), null);
});

test('parseCpuHelp reads every format of the installed QEMUs', () => {
  const seen: string[] = [];
  for (const t of TARGETS) {
    const emu = `/usr/bin/qemu-${t.cpu}-static`;
    if (!existsSync(emu) || seen.includes(t.cpu)) continue;
    seen.push(t.cpu);
    const text = spawnSync(emu, ['-cpu', 'help'], { encoding: 'utf8' }).stdout;
    const models = parseCpuHelp(text);
    assert.ok(models.length > 0 || !text.trim(), `${t.cpu}: no models parsed from ${JSON.stringify(text.slice(0, 200))}`);
    for (const name of models) assert.doesNotMatch(name, /^(Available|Recognized|x86|PowerPC|s390|MIPS)$|'/, `${t.cpu}: ${name}`);
    // Every model a target's default subset names must be one QEMU lists.
    for (const d of defaultModels(t.name, models)) assert.ok(models.includes(d), `${t.name}: ${d}`);
    // QEMU itself accepts what was parsed (the first model: each format's first line).
    if (models[0] && t.cpu !== 'sparc64' && t.cpu !== 'sparc' && t.cpu !== 'sparc32plus') {
      const r = spawnSync(emu, ['-cpu', models[0], '/nonexistent'], { encoding: 'utf8' });
      assert.doesNotMatch(r.stderr, /unable to find CPU model/, `${t.cpu} -cpu ${models[0]}`);
    }
  }
  if (!seen.length) console.log('# skip reason: no qemu-*-static installed (apt-get install qemu-user-static)');
  assert.deepEqual(parseCpuHelp('Available CPUs:\n  max\n  cortex-a53\n'), ['max', 'cortex-a53']);
  assert.deepEqual(parseCpuHelp("MIPS '24Kf'\nMIPS 'P5600'\n"), ['24Kf', 'P5600']);
  assert.deepEqual(parseCpuHelp('x86 qemu64   desc\n\nRecognized CPUID flags:\n  3dnow\n'), ['qemu64']);
  assert.deepEqual(defaultModels('aarch64', ['max', 'cortex-a53', 'a64fx']), ['max', 'cortex-a53', 'a64fx']);
  assert.deepEqual(defaultModels('unknown', ['a', 'max', 'b']), ['max', 'a', 'b']);
});

test('bench TARGET --json: native and emulated per workload, penalty = emulated/native', { skip: needFixture('arm64') || needHostBusybox() }, () => {
  const r = xarch(['bench', 'arm64', '--json', ...QUICK]);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(rep), ['host', 'input', 'repeat', 'starts', 'workloads', 'targets', 'skipped']);
  assert.deepEqual(rep.skipped, []);
  assert.equal(rep.host.target, 'x86_64');
  assert.equal(rep.input.size, 64 << 10);
  assert.match(rep.input.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(rep.workloads, [...WORKLOAD_NAMES]);
  assert.equal(rep.targets.length, 1);
  const t = rep.targets[0];
  assert.equal(t.target, 'aarch64');
  assert.equal(t.debian, 'arm64');
  assert.equal(t.ok, true);
  assert.equal(t.cpu, null);
  assert.deepEqual(t.results.map((x: any) => x.workload), [...WORKLOAD_NAMES]);
  for (const x of t.results) {
    assert.ok(x.nativeMs > 0 && x.emulatedMs > 0, JSON.stringify(x));
    // The times are rounded to 0.1 ms and the penalty to 0.01 from unrounded medians: allow exactly that.
    const rounding = x.penalty * (0.05 / x.nativeMs + 0.05 / x.emulatedMs) * 1.05 + 0.005;
    assert.ok(Math.abs(x.penalty - x.emulatedMs / x.nativeMs) <= rounding + 1e-9, JSON.stringify(x));
  }
  // Each emulated start is a whole QEMU: far slower than a native start.
  assert.ok(t.results.find((x: any) => x.workload === 'start').penalty > 2);
});

test('bench human output: a row per workload with the penalty', { skip: needFixture('arm64') || needHostBusybox() }, () => {
  const r = xarch(['bench', 'arm64', ...QUICK, '--workloads', 'sha256sum,start']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^native: x86_64 .*busybox; input 0\.06 MiB; 3 starts; median of 1 run\n/);
  assert.match(r.stdout, /TARGET +WORKLOAD +NATIVE +EMULATED +PENALTY/);
  assert.match(r.stdout, /aarch64 \(arm64\) +sha256sum +[\d.]+ ms +[\d.]+ ms +[\d.]+x/);
  assert.match(r.stdout, /aarch64 \(arm64\) +start /);
  assert.doesNotMatch(r.stdout, /gzip|sort/);
});

test('bench --cpu-models: a model that cannot run busybox is failing, never the fastest', { skip: needFixture('armhf') || needHostBusybox() }, () => {
  // Debian armhf needs ARMv7 with VFPv3: the ARM1176 (ARMv6) cannot run it.
  const r = xarch(['bench', 'armhf', '--json', ...QUICK, '--workloads', 'sha256sum,gzip', '--cpu-models', '--models', 'arm1176,max,cortex-a15,no-such-model']);
  assert.equal(r.status, 0, r.stderr);
  const t = JSON.parse(r.stdout).targets[0];
  assert.equal(t.debian, 'armhf');
  const by = Object.fromEntries(t.models.map((m: any) => [m.model, m]));
  assert.deepEqual(Object.keys(by), ['arm1176', 'max', 'cortex-a15', 'no-such-model']);
  assert.equal(by.arm1176.ok, false);
  assert.match(by.arm1176.error, /Illegal instruction|signal|differs/);
  assert.equal(by.arm1176.totalMs, null);
  assert.equal(by['no-such-model'].ok, false);
  assert.match(by['no-such-model'].error, /-cpu help does not list it/);
  for (const m of [by.max, by['cortex-a15']]) {
    assert.equal(m.ok, true, m.error);
    assert.deepEqual(m.results.map((x: any) => x.workload), ['sha256sum', 'gzip']);
    assert.ok(Math.abs(m.totalMs - m.results.reduce((s: number, x: any) => s + x.emulatedMs, 0)) < 0.2);
  }
  assert.ok(['max', 'cortex-a15'].includes(t.fastest.model), t.fastest.model);
  assert.ok(t.fastest.speedup >= 1);
  // The same busybox on the soft-float port runs on the ARMv6 core.
  const el = xarch(['bench', 'armel', '--json', ...QUICK, '--workloads', 'sha256sum', '--cpu-models', '--models', 'arm1176']);
  if (!needFixture('armel')) assert.equal(JSON.parse(el.stdout).targets[0].models[0].ok, true, el.stdout);
});

test('bench --cpu: every emulated run gets the model; a model QEMU lacks is refused before anything runs', { skip: needFixture('arm64') || needHostBusybox() }, () => {
  const ok = xarch(['bench', 'arm64', '--json', ...QUICK, '--workloads', 'sha256sum', '--cpu', 'cortex-a53']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).targets[0].cpu, 'cortex-a53');
  const bad = xarch(['bench', 'arm64', ...QUICK, '--cpu', 'pentium']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^xarch: qemu-aarch64-static has no CPU model 'pentium' for aarch64\n  hint: models it has: .*cortex-a53/);
});

test('bench: a bad target is a usage error (exit 2); the host family and bad options too', () => {
  const r = xarch(['bench', 'nosuch-arch']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^xarch: unknown architecture 'nosuch-arch'/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  for (const args of [['--size', 'lots'], ['--repeat', '0'], ['--workloads', 'sha256sum,compile'], ['--models', 'max'], ['--cpu', 'max', '--cpu-models']]) {
    const u = xarch(['bench', 'arm64', ...args]);
    assert.equal(u.status, 2, `${args.join(' ')}: ${u.stderr}`);
    assert.equal(u.stderr.split('\n').filter(Boolean).length, 2, u.stderr); // the message and the --help hint
  }
  const host = xarch(['bench', 'x86_64']);
  assert.equal(host.status, 1);
  assert.match(host.stderr, /^xarch: x86_64 is this machine's own family.*\n  hint: /);
});

test('bench: a missing emulator is one line with a hint', { skip: needFixture('arm64') || needHostBusybox() }, () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'xarch-bench-empty-'));
  try {
    const r = xarch(['bench', 'arm64', '--emulator-dir', empty]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^xarch: no emulator for aarch64 \(qemu-aarch64-static or qemu-aarch64\)\n  hint: install QEMU .*--emulator-dir\n$/);
    // ... and so is a missing busybox.
    const nb = xarch(['bench', 'arm64', '--busybox-dir', empty]);
    assert.equal(nb.status, 1);
    assert.match(nb.stderr, /^xarch: no static busybox .*\n  hint: .*fetch-fixtures\.sh.*\n$/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('runBench: the library reports per target and throws typed errors', { skip: needFixture('arm64') || needHostBusybox() }, () => {
  const rep = runBench({ targets: ['linux/arm64'], busyboxDirs: [FIXTURES], size: 4096, repeat: 1, starts: 1, workloads: ['sort'] });
  assert.deepEqual(rep.targets.map((t) => [t.target, t.ok, t.results.map((x) => x.workload)]), [['aarch64', true, ['sort']]]);
  assert.throws(() => runBench({ targets: ['arm64'], busyboxDirs: [FIXTURES], emulatorSearch: { dirs: [], path: '' } }), (e: any) => e.code === 'EMULATOR_NOT_FOUND' && /--emulator-dir/.test(e.hint));
  assert.throws(() => runBench({ targets: ['vax'], busyboxDirs: [FIXTURES] }), (e: any) => e.code === 'ARCH_UNKNOWN');
});

test('bench --fetch: the host\'s and the target\'s busybox-static come from apt through a private configuration, into --busybox-dir, and run; the host\'s apt lists and dpkg architectures are untouched', { skip: needCommand('apt-get', 'apt') || needCommand('qemu-aarch64-static', 'qemu-user-static') }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-bench-fetch-'));
  const lists = () => spawnSync('sh', ['-c', 'ls -l --time-style=full-iso /var/lib/apt/lists; dpkg --print-foreign-architectures'], { encoding: 'utf8' }).stdout;
  try {
    const before = lists();
    const r = xarch(['bench', 'arm64', '--fetch', '--busybox-dir', dir, '--json', ...QUICK, '--workloads', 'sha256sum']);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    const native = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
    assert.deepEqual(rep.fetched.map((f: any) => f.debian).sort(), [native, 'arm64'].sort());
    for (const f of rep.fetched) {
      assert.ok(f.version && !f.error, JSON.stringify(f));
      assert.equal(f.busybox, path.join(dir, f.debian, 'root', 'bin', 'busybox'));
    }
    // What was fetched is what ran, on both sides.
    assert.equal(rep.host.busybox, path.join(dir, native, 'root', 'bin', 'busybox'));
    assert.equal(rep.targets[0].busybox, path.join(dir, 'arm64', 'root', 'bin', 'busybox'));
    assert.equal(rep.targets[0].ok, true);
    assert.equal(lists(), before, 'the host\'s apt lists and dpkg architectures are as they were');
    assert.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith('xarch-fetch-')), [], 'apt\'s private state is removed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
