import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync, copyFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { elfIsStatic, emulatorVersion, findEmulators, installedTargets, parseEmulatorName, withVersions } from '../src/emulators/discover.js';
import { bestEmulator, emulatorHint, honoursP, type Emulator } from '../src/emulators/emulator.js';
import { getTarget } from '../src/core/arch.js';
import { renderRegister, ruleFromTarget } from '../src/core/rule.js';
import { fixtureRoot, inSandbox, needCommand, needFixture, needSandbox } from './helpers/env.js';

const QEMU_AARCH64 = '/usr/bin/qemu-aarch64-static';
const WRAPPER = '/usr/libexec/qemu-binfmt/aarch64-binfmt-P';
function needQemu(): string | false {
  const r = existsSync(QEMU_AARCH64) ? false : 'qemu-user-static is not installed (apt-get install qemu-user-static)';
  if (r) console.log(`# skip reason: ${r}`);
  return r;
}

test('parseEmulatorName', () => {
  const table: [string, ReturnType<typeof parseEmulatorName>][] = [
    ['qemu-aarch64-static', { cpu: 'aarch64', wrapper: false }],
    ['qemu-aarch64', { cpu: 'aarch64', wrapper: false }],
    ['qemu-x86_64-static', { cpu: 'x86_64', wrapper: false }],
    ['aarch64-binfmt-P', { cpu: 'aarch64', wrapper: true }],
    ['qemu-arm-binfmt-P', { cpu: 'arm', wrapper: true }],
    ['qemu-system-aarch64', null],
    ['qemu-img', null],
    ['qemu-frobnitz-static', null], // not in the catalogue
    ['qemu-i486-static', null], // i486 runs under qemu-i386
  ];
  for (const [name, want] of table) assert.deepEqual(parseEmulatorName(name), want, name);
});

test('honoursP: wrapper always, QEMU >= 6.0 with Linux >= 5.12', () => {
  const table: [Emulator['kind'], string | null, string, boolean][] = [
    ['wrapper', null, '4.19.0', true],
    ['static', '7.2.22 (Debian 1:7.2+dfsg-7)', '6.18.0', true],
    ['static', '7.2.22', '5.11.0', false],
    ['static', '5.2.0', '6.1.0', false],
    ['dynamic', '6.0.0', '5.12.0', true],
    ['static', null, '6.18.0', false],
  ];
  for (const [kind, v, rel, want] of table) assert.equal(honoursP(kind, v, rel), want, `${kind} ${v} ${rel}`);
});

test('findEmulators on the real /usr/bin and Debian wrappers', { skip: needQemu() }, async () => {
  const emus = findEmulators({ path: '' });
  const a64 = emus.filter((e) => e.target === 'aarch64');
  const plain = a64.find((e) => e.path === QEMU_AARCH64);
  assert.ok(plain, 'qemu-aarch64-static found');
  assert.deepEqual([plain.kind, plain.static, plain.cpu, plain.version], ['static', true, 'aarch64', null]);
  if (existsSync(WRAPPER)) {
    const w = a64.find((e) => e.path === WRAPPER)!;
    assert.deepEqual([w.kind, w.static, w.via, w.preserveArgv0], ['wrapper', true, QEMU_AARCH64, true]);
  }
  // qemu-i386 serves both i386 and i486
  assert.ok(emus.some((e) => e.target === 'i486' && e.cpu === 'i386'));
  // PATH containing /usr/bin again does not duplicate
  const again = findEmulators({ path: '/usr/bin:/bin' });
  assert.equal(again.filter((e) => e.path.endsWith('qemu-aarch64-static')).length, 1);
  if (existsSync(WRAPPER)) {
    // First, before anything is cached: a wrapper refuses --version, so it is asked of the file it links to.
    const [w] = await withVersions(a64.filter((e) => e.path === WRAPPER), '6.18.0');
    assert.match(w!.version ?? '', /^\d+\.\d+/);
  }
  const v = emulatorVersion(QEMU_AARCH64);
  assert.match(v ?? '', /^\d+\.\d+/);
  const withV = await withVersions(a64, '6.18.0');
  assert.equal(withV.find((e) => e.path === QEMU_AARCH64)!.version, v);
  assert.equal(withV.find((e) => e.path === QEMU_AARCH64)!.preserveArgv0, Number(v!.split('.')[0]) >= 6);
  assert.equal(bestEmulator('aarch64', withV)!.path, QEMU_AARCH64);
  assert.equal(bestEmulator('no-such', withV), undefined);
  assert.equal(elfIsStatic(QEMU_AARCH64), true);
  assert.equal(elfIsStatic(process.execPath), false);
  assert.equal(elfIsStatic('/etc/passwd'), null);
});

test('findEmulators: --dir, root, dynamic, non-executable and script files', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-emu-'));
  try {
    const bin = path.join(tmp, 'usr/bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(process.execPath, path.join(bin, 'qemu-riscv64')); // a dynamic ELF under an emulator's name
    writeFileSync(path.join(bin, 'qemu-s390x-static'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'qemu-s390x-static'), 0o755); // a script: not an emulator
    writeFileSync(path.join(bin, 'qemu-ppc64le-static'), 'x'); // not executable
    const extra = path.join(tmp, 'extra');
    mkdirSync(extra);
    symlinkSync(process.execPath, path.join(extra, 'qemu-mips64el'));
    const emus = findEmulators({ root: tmp, dirs: ['/usr/bin'], path: '', extraDirs: [], kernelRelease: '6.18.0' });
    assert.deepEqual(emus.map((e) => [e.target, e.kind, e.static]), [['riscv64', 'dynamic', false]]);
    const more = findEmulators({ root: '', dirs: [bin], extraDirs: [extra], path: '' });
    assert.deepEqual(more.map((e) => e.target).sort(), ['mips64el', 'riscv64']);
    // arches' cheaper question gives the same answer: the script and the non-executable file do not count.
    assert.deepEqual([...installedTargets({ root: '', dirs: [bin], extraDirs: [extra], path: '' })].sort(), ['mips64el', 'riscv64']);
    // the static one wins over the dynamic one
    const fake: Emulator[] = [
      { target: 'riscv64', cpu: 'riscv64', path: '/a', kind: 'dynamic', static: false, version: '8.0', preserveArgv0: true },
      { target: 'riscv64', cpu: 'riscv64', path: '/b', kind: 'static', static: true, version: '5.0', preserveArgv0: false },
    ];
    assert.equal(bestEmulator('riscv64', fake)!.path, '/b');
    assert.match(emulatorHint(), /apt-get install qemu-user-static/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// The P experiment, for real: register P (and not P) with each path variant
// and see whether the guest gets the argv[0] the caller chose. Busybox picks
// its applet by argv[0]; "-sh" as argv[0] is a login shell, so `echo $0`
// prints "-sh" only when argv[0] is preserved.
test('P is honoured by the plain static emulator and by the Debian wrapper', { skip: needQemu() || needSandbox() || needFixture('arm64') }, () => {
  const bb = path.join(fixtureRoot('arm64')!, 'bin/busybox');
  const t = getTarget('aarch64')!;
  const variants: [string, string, string][] = [
    ['plainP', QEMU_AARCH64, 'PF'],
    ['plain', QEMU_AARCH64, 'F'],
  ];
  if (existsSync(WRAPPER)) variants.push(['wrapperP', WRAPPER, 'PF']);
  const script = variants.map(([name, interp, flags]) => {
    const line = renderRegister(ruleFromTarget(t, { name, interpreter: interp, flags }));
    return `printf '%s' '${line}' > "$XARCH_SANDBOX_BINFMT/register"
printf '${name}=%s\\n' "$(bash -c "exec -a -sh ${bb} -c 'echo \\$0'" 2>&1 | head -1)"
echo -1 > "$XARCH_SANDBOX_BINFMT/${name}"`;
  }).join('\n');
  const r = inSandbox(['sh', '-c', script]);
  assert.equal(r.status, 0, r.stderr);
  const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
  assert.equal(got.plainP, '-sh');
  assert.notEqual(got.plain, '-sh'); // without P, argv[0] is the path: the oracle can fail
  if (existsSync(WRAPPER)) assert.equal(got.wrapperP, '-sh');
  // and the library's prediction agrees with the kernel for the plain path on this kernel
  const emu = findEmulators({ path: '', versions: true }).find((e) => e.path === QEMU_AARCH64)!;
  assert.equal(emu.preserveArgv0, true);
});

test('discovery: qemu-user 9.1+ layout (static unsuffixed names, -static links) gives one row per target; packageOwners names the owning package', { skip: needQemu() }, async () => {
  const { packageOwners } = await import('../src/emulators/discover.js');
  const d = mkdtempSync(path.join(os.tmpdir(), 'xarch-layout-'));
  try {
    copyFileSync(QEMU_AARCH64, path.join(d, 'qemu-aarch64'));
    chmodSync(path.join(d, 'qemu-aarch64'), 0o755);
    symlinkSync('qemu-aarch64', path.join(d, 'qemu-aarch64-static'));
    const found = findEmulators({ dirs: [d], path: '' });
    assert.deepEqual(found.map((e) => [e.target, path.basename(e.path), e.kind]), [['aarch64', 'qemu-aarch64', 'static']]);
    const owners = packageOwners([QEMU_AARCH64, path.join(d, 'qemu-aarch64')]);
    const dpkg = spawnSync('dpkg-query', ['-S', QEMU_AARCH64], { encoding: 'utf8' });
    if (dpkg.status === 0) assert.equal(owners.get(QEMU_AARCH64), dpkg.stdout.split(':')[0]);
    assert.equal(owners.has(path.join(d, 'qemu-aarch64')), false, 'a copy no package owns');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('findEmulators with cpus: only those CPUs, the same records as the full search', { skip: needQemu() }, () => {
  const all = findEmulators({ path: '' });
  const cpus = new Set(['aarch64', 'arm']);
  assert.deepEqual(findEmulators({ path: '', cpus }), all.filter((e) => cpus.has(e.cpu)));
  assert.ok(all.some((e) => !cpus.has(e.cpu)), 'the full search finds other CPUs too');
});

test('installedTargets: the targets findEmulators finds an emulator for, on the real /usr/bin and PATH', { skip: needQemu() }, () => {
  const search = { path: process.env.PATH ?? '' };
  const full = new Set(findEmulators(search).map((e) => e.target));
  assert.ok(full.size > 20, `${full.size} targets have emulators here`);
  assert.deepEqual([...installedTargets(search)].sort(), [...full].sort());
});

test('installedTargets: asks qemu-<cpu>-static first and reads no directory once every CPU is known (strace)', { skip: needCommand('strace', 'strace') }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-installed-'));
  try {
    const first = path.join(tmp, 'first');
    const later = path.join(tmp, 'later');
    mkdirSync(first);
    mkdirSync(later);
    copyFileSync(process.execPath, path.join(first, 'qemu-aarch64-static'));
    copyFileSync(process.execPath, path.join(later, 'qemu-riscv64-static'));
    const url = new URL('../src/emulators/discover.js', import.meta.url).href;
    const code = `const m = await import(${JSON.stringify(url)}); const [a, b, cpus] = process.argv.slice(1); console.log([...m.installedTargets({ root: '', dirs: [a, b], path: '', cpus: new Set(cpus.split(',')) })].join(','));`;
    const trace = path.join(tmp, 'trace');
    const run = (cpus: string) => {
      const r = spawnSync('strace', ['-f', '-e', 'trace=statx,newfstatat,lstat,stat,readlink,openat', '-o', trace, process.execPath, '--input-type=module', '-e', code, first, later, cpus], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      return { out: r.stdout.trim(), asked: readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes(tmp)) };
    };
    const one = run('aarch64');
    assert.equal(one.out, 'aarch64');
    assert.ok(one.asked.some((l) => l.includes('/first/qemu-aarch64-static')), one.asked.join('\n'));
    assert.deepEqual(one.asked.filter((l) => /first\/(qemu-aarch64"|qemu-aarch64-binfmt-P|aarch64-binfmt-P)/.test(l) || l.includes('/later')), [], 'nothing asked after the static one was found');
    // A CPU not found in the first directory is looked for in the next.
    const two = run('aarch64,riscv64');
    assert.deepEqual(two.out.split(',').sort(), ['aarch64', 'riscv64']);
    assert.ok(two.asked.some((l) => l.includes('/later/qemu-riscv64-static')), two.asked.join('\n'));
    assert.ok(!two.asked.some((l) => l.includes('/later/qemu-aarch64')), 'a CPU already known is not asked again');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
