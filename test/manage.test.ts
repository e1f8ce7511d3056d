import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, asUser, fixtureRoot, inSandbox, needFixture, needSandbox, needTestUser } from './helpers/env.js';
import { parseOutcomes, stepsCommand, valueOf, type Step } from './helpers/in-sandbox.js';
import { ruleFromTarget, type Rule } from '../src/core/rule.js';
import { conflictsFor, isOurs, servedTargets } from '../src/manage/ownership.js';
import { interpreterProblem } from '../src/manage/interpreter-safety.js';
import { selectEntries } from '../src/manage/select.js';
import { getTarget, targetForEntryName } from '../src/core/arch.js';
import type { LiveEntry } from '../src/core/match.js';

const QEMU = '/usr/bin/qemu-aarch64-static';
const X = `${process.execPath} ${CLI}`;
const B = '"$XARCH_SANDBOX_BINFMT"';

/** Run a shell script in a private instance; $X is the xarch CLI. */
function sh(script: string, setup?: string) {
  const r = inSandbox(['sh', '-c', script], { ...(setup === undefined ? {} : { setup }), env: { ...process.env, X } });
  return r;
}
const jsonLines = (s: string) => s.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

function needAll(...arches: Parameters<typeof needFixture>[0][]): string | false {
  return needSandbox() || arches.map((a) => needFixture(a)).find((r) => r) || false;
}

// A box64-style M entry for aarch64 binaries, and a python-style E entry: other tools' entries.
const FOREIGN_SETUP = [
  `printf ':box64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00::/usr/local/bin/box64:' > ${B}/register`,
  `printf ':python3.11:E::py::/usr/bin/python3:' > ${B}/register`,
].join('\n');

// ---------------------------------------------------------------- pure parts

test('ownership: qemu-<target> with the catalogue magic is ours; Debian-style magic or other names are not', () => {
  const t = getTarget('aarch64')!;
  const ours = ruleFromTarget(t, { interpreter: QEMU, flags: 'POF' });
  const debianMask = Uint8Array.from(t.mask);
  debianMask[7] = 0xfc;
  const table: [string, Rule, boolean][] = [
    ['ours', ours, true],
    ['ours, other interpreter/flags', { ...ours, interpreter: '/x', flags: 'C' }, true],
    ['Debian mask', { ...ours, mask: debianMask }, false],
    ['other name', { ...ours, name: 'aarch64' }, false],
    ['target name mismatch', { ...ours, name: 'qemu-arm' }, false],
    ['E entry', { ...ours, type: 'E', magic: new Uint8Array(0), mask: null, extension: 'x' }, false],
  ];
  for (const [label, rule, want] of table) assert.equal(isOurs(rule), want, label);
  assert.equal(targetForEntryName('qemu-ppc64le')?.name, 'ppc64le');
  assert.equal(targetForEntryName('qemu-nope'), undefined);
  assert.deepEqual(servedTargets(ours), ['aarch64']);
});

test('conflicts: other enabled entries for the same binaries, and the newest wins', () => {
  const t = getTarget('aarch64')!;
  const ours = ruleFromTarget(t, { interpreter: QEMU, flags: 'F' });
  const box: Rule = { ...ours, name: 'box64', mask: null, magic: t.magic.subarray(0, 20), interpreter: '/box64', flags: '' };
  const arm = ruleFromTarget(getTarget('arm')!, { interpreter: '/q', flags: '' });
  const e = (rule: Rule, enabled = true): LiveEntry => ({ name: rule.name, enabled, rule });
  assert.deepEqual(conflictsFor(ours, [e(ours), e(box), e(arm)]), [{ name: 'box64', winner: 'qemu-aarch64' }]);
  assert.deepEqual(conflictsFor(ours, [e(box), e(ours)]), [{ name: 'box64', winner: 'box64' }]);
  assert.deepEqual(conflictsFor(ours, [e(box, false), e(ours)]), []);
});

test('selectEntries: default ours, names, targets, globs, force', () => {
  const ours = ruleFromTarget(getTarget('aarch64')!, { interpreter: QEMU, flags: '' });
  const ours2 = ruleFromTarget(getTarget('s390x')!, { interpreter: '/q', flags: '' });
  const other: Rule = { ...ours, name: 'qemu-arm' }; // name in our scheme, magic not ours
  const entries: LiveEntry[] = [ours, ours2, other].map((rule) => ({ name: rule.name, enabled: true, rule }));
  const names = (args: string[], force = false) => selectEntries(args, entries, force).entries.map((e) => e.name);
  assert.deepEqual(names([]), ['qemu-aarch64', 'qemu-s390x']);
  assert.deepEqual(names(['arm64']), ['qemu-aarch64']);
  assert.deepEqual(names(['qemu-*']), ['qemu-aarch64', 'qemu-s390x']);
  assert.deepEqual(names(['qemu-*'], true), ['qemu-aarch64', 'qemu-s390x', 'qemu-arm']);
  assert.deepEqual(names(['qemu-arm']), []);
  assert.deepEqual(selectEntries(['armhf'], entries).problems.map((p) => p.status), ['skipped']);
  assert.deepEqual(selectEntries(['riscv64'], entries).problems.map((p) => p.status), ['absent']);
  assert.deepEqual(selectEntries(['nonsense-arch'], entries).problems.map((p) => p.status), ['failed']);
});

test('interpreterProblem: relative, missing, not executable, writable along the path', () => {
  const tmp = mkdtempSync(path.join('/tmp', 'xarch-interp-'));
  try {
    const dir = path.join(tmp, 'bin');
    mkdirSync(dir);
    copyFileSync(QEMU, path.join(dir, 'qemu'));
    chmodSync(path.join(dir, 'qemu'), 0o755);
    copyFileSync(QEMU, path.join(dir, 'noexec'));
    chmodSync(path.join(dir, 'noexec'), 0o644);
    assert.equal(interpreterProblem(QEMU), null);
    assert.equal(interpreterProblem(path.join(dir, 'qemu')), null);
    assert.match(interpreterProblem('qemu-aarch64-static')!.message, /relative/);
    assert.equal(interpreterProblem('/nonexistent/qemu')!.code, 'EMULATOR_NOT_FOUND');
    assert.match(interpreterProblem(path.join(dir, 'noexec'))!.message, /not an executable/);
    chmodSync(dir, 0o777);
    assert.match(interpreterProblem(path.join(dir, 'qemu'))!.message, /writable by group or others/);
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, 'qemu'), 0o775);
    assert.match(interpreterProblem(path.join(dir, 'qemu'))!.message, /writable by group or others/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- against the kernel

test('install: arm64, armhf, ppc64el, s390x static busybox run and report their arch; re-install is unchanged', { skip: needAll('arm64', 'armhf', 'ppc64el', 's390x') }, () => {
  const bb = (a: 'arm64' | 'armhf' | 'ppc64el' | 's390x') => path.join(fixtureRoot(a)!, 'bin/busybox');
  const r = sh(`$X install arm64 armhf ppc64el s390x --json || exit 9
for b in ${bb('arm64')} ${bb('armhf')} ${bb('ppc64el')} ${bb('s390x')}; do echo "uname=$($b uname -m)"; done
$X install arm64 armhf ppc64el s390x --json`);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const lines = jsonLines(r.stdout);
  assert.deepEqual(lines.slice(0, 4).map((l) => [l.name, l.status, l.flags]), [
    ['qemu-aarch64', 'installed', 'POF'], ['qemu-arm', 'installed', 'POF'], ['qemu-ppc64le', 'installed', 'POF'], ['qemu-s390x', 'installed', 'POF'],
  ]);
  assert.deepEqual(r.stdout.match(/^uname=.*$/gm), ['uname=aarch64', 'uname=armv7l', 'uname=ppc64le', 'uname=s390x']);
  assert.deepEqual(lines.slice(4).map((l) => l.status), ['unchanged', 'unchanged', 'unchanged', 'unchanged']);
});

test('install (default selection) twice: everything unchanged the second time, nothing for the host family', { skip: needSandbox() }, () => {
  const r = sh(`$X install --json > /tmp/xarch-a.$$ || exit 9; cat /tmp/xarch-a.$$; rm /tmp/xarch-a.$$; echo ---; $X install --json`);
  assert.equal(r.status, 0, r.stderr);
  const [first, second] = r.stdout.split('---\n').map(jsonLines);
  assert.ok(first!.length >= 4);
  assert.ok(first!.every((l) => l.status === 'installed'), JSON.stringify(first!.filter((l) => l.status !== 'installed')));
  assert.ok(second!.every((l) => l.status === 'unchanged'));
  assert.equal(first!.length, second!.length);
  assert.ok(!first!.some((l) => ['x86_64', 'i386', 'i486'].includes(l.target)));
});

test('foreign entries survive install and uninstall; a conflict names the winner', { skip: needSandbox() }, () => {
  const r = sh(`$X install arm64 --json; $X uninstall --json; echo ---; ls ${B}; echo ---; $X status --json`, FOREIGN_SETUP);
  assert.equal(r.status, 0, r.stderr);
  const [items, ls, st] = r.stdout.split('---\n');
  const [inst, un] = jsonLines(items!);
  assert.equal(inst.status, 'installed');
  assert.deepEqual(inst.conflicts, [{ name: 'box64', winner: 'qemu-aarch64' }]);
  assert.deepEqual([un.name, un.status], ['qemu-aarch64', 'removed']);
  assert.deepEqual(ls!.trim().split('\n').sort(), ['box64', 'python3.11', 'register', 'status']);
  const status = JSON.parse(st!);
  assert.deepEqual(status.entries.map((e: any) => [e.name, e.ours, e.serves]), [['python3.11', false, 'other'], ['box64', false, 'aarch64']]);
});

test('another tool\'s entry with our name is skipped; --force replaces it', { skip: needSandbox() }, () => {
  // Debian's qemu-user-static registers qemu-aarch64 with its own mask (EI_OSABI 0xfc).
  const setup = `printf ':qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:POCF' > ${B}/register`;
  const r = sh(`$X install arm64 --json; echo "rc=$?"; $X uninstall qemu-aarch64 --json; cat ${B}/qemu-aarch64 | head -2; $X install arm64 --force --json; cat ${B}/qemu-aarch64 | grep interp`, setup);
  const lines = jsonLines(r.stdout);
  assert.equal(lines[0].status, 'skipped');
  assert.match(lines[0].reason, /not xarch's/);
  assert.match(r.stdout, /rc=0/);
  assert.equal(lines[1].status, 'skipped');
  assert.match(r.stdout, /interpreter \/usr\/libexec\/qemu-binfmt\/aarch64-binfmt-P/);
  assert.equal(lines[2].status, 'replaced');
  assert.match(r.stdout, /interpreter \/usr\/bin\/qemu-aarch64-static\n/);
});

test('--dry-run changes nothing and shows the register line; does not even mount', { skip: needSandbox() }, () => {
  const r = sh(`$X install arm64 s390x --dry-run; ls ${B}; echo ---; umount ${B}; $X install arm64 --dry-run --json; test -e ${B}/register && echo MOUNTED; true`, FOREIGN_SETUP);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /would be installed qemu-aarch64/);
  assert.match(r.stdout, /:qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46/);
  assert.match(r.stdout, /dry run: nothing changed/);
  const [before, after] = r.stdout.split('---\n');
  assert.match(before!, /conflict: box64 also matches these binaries; the kernel would use qemu-aarch64/);
  assert.match(before!, /2 would be installed \(dry run: nothing changed\)/);
  assert.deepEqual(before!.trim().split('\n').slice(-4).sort(), ['box64', 'python3.11', 'register', 'status']);
  assert.equal(jsonLines(after!)[0].reason, 'would mount binfmt_misc and register');
  assert.ok(!after!.includes('MOUNTED'));
});

test('refusals: host family, dynamic emulator with F, world-writable directory, relative path, wrapper without P', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join('/tmp', 'xarch-refuse-'));
  try {
    const ww = path.join(tmp, 'ww');
    mkdirSync(ww);
    copyFileSync(QEMU, path.join(ww, 'qemu-aarch64-static'));
    chmodSync(path.join(ww, 'qemu-aarch64-static'), 0o755);
    chmodSync(ww, 0o777);
    const dyn = path.join(tmp, 'dyn');
    mkdirSync(dyn);
    copyFileSync(process.execPath, path.join(dyn, 'qemu-riscv64')); // a dynamic ELF under an emulator's name
    chmodSync(path.join(dyn, 'qemu-riscv64'), 0o755);
    const steps = [
      ['installTargets', { request: { targets: ['riscv64'] }, options: { emulatorSearch: { dirs: [dyn], path: '' }, flags: 'OF' } }],
      ['installTargets', { request: { targets: ['riscv64'] }, options: { emulatorSearch: { dirs: [dyn], path: '' } } }],
      ['installRules', {
        rules: [
          { target: 'aarch64', name: 'rel', interpreter: 'qemu-aarch64-static', flags: '' },
          { target: 'aarch64', name: 'wrap', interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P', flags: 'F' },
          { target: 'x86_64', name: 'host', interpreter: '/usr/bin/qemu-x86_64-static', flags: 'F' },
        ],
      }],
    ] satisfies Step[];
    const r2 = inSandbox(['sh', '-c', `$X install x86_64 --json; echo "rc=$?"; $X install arm64 --dir ${ww} --json; echo "rc=$?"; ${stepsCommand(steps)}; echo; ls ${B}`], { env: { ...process.env, X } });
    assert.equal(r2.status, 0, r2.stderr);
    const lines = r2.stdout.split('\n');
    const host = JSON.parse(lines[0]!);
    assert.deepEqual([host.status, host.error.code], ['failed', 'HOST_FAMILY']);
    assert.equal(lines[1], 'rc=1');
    const wwItem = JSON.parse(lines[2]!);
    assert.deepEqual([wwItem.status, wwItem.error.code], ['failed', 'EMULATOR_UNSAFE']);
    assert.match(wwItem.reason, /writable by group or others/);
    assert.equal(lines[3], 'rc=1');
    const [dynItems, dynDefault, rules] = parseOutcomes(lines[4]!, steps).map(valueOf);
    assert.deepEqual([dynItems![0]!.status, dynItems![0]!.error!.code], ['failed', 'EMULATOR_UNSAFE']);
    assert.match(dynItems![0]!.reason!, /dynamically linked/);
    // without --flags the default leaves F out for a dynamic emulator, and registers
    assert.deepEqual([dynDefault![0]!.status, dynDefault![0]!.flags], ['installed', 'O']);
    assert.deepEqual(rules!.map((i) => [i.name, i.status, i.error?.code]), [
      ['rel', 'failed', 'EMULATOR_UNSAFE'], ['wrap', 'failed', 'EMULATOR_UNSAFE'], ['host', 'failed', 'HOST_FAMILY'],
    ]);
    assert.deepEqual(r2.stdout.trim().split('\n').slice(-3).sort(), ['qemu-riscv64', 'register', 'status']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('errors: read-only instance → READ_ONLY per item; not mounted → mounted and installed', { skip: needSandbox() }, () => {
  const ro = sh(`$X install arm64 --json; echo "rc=$?"; $X install arm64`, `mount -o remount,ro ${B}`);
  const item = jsonLines(ro.stdout)[0];
  assert.deepEqual([item.status, item.error.code], ['failed', 'READ_ONLY']);
  assert.match(ro.stdout, /rc=1/);
  assert.match(ro.stdout, /hint: .*read-only/);
  const nm = sh(`$X status --json; $X install arm64 --json; $X status --json`, `umount ${B}`);
  assert.equal(nm.status, 0, nm.stderr);
  const [s0, inst, s1] = jsonLines(nm.stdout);
  assert.equal(s0.mounted, false);
  assert.equal(inst.status, 'installed');
  assert.deepEqual([s1.mounted, s1.entries.map((e: any) => e.name)], [true, ['qemu-aarch64']]);
});

test('two installs at the same time end consistent (fresh, and replacing)', { skip: needSandbox() }, () => {
  const r = sh(`
$X install --json > /tmp/xc1.$$ & $X install --json > /tmp/xc2.$$ & wait
cat /tmp/xc1.$$ /tmp/xc2.$$; echo ---
$X install --flags OF --force --json > /dev/null
$X install --json > /tmp/xc1.$$ & $X install --json > /tmp/xc2.$$ & wait
cat /tmp/xc1.$$ /tmp/xc2.$$; rm -f /tmp/xc1.$$ /tmp/xc2.$$; echo ---
$X status --json`);
  assert.equal(r.status, 0, r.stderr);
  const [fresh, replacing, st] = r.stdout.split('---\n');
  const count = (lines: any[]) => {
    const by = new Map<string, string[]>();
    for (const l of lines) by.set(l.name, [...(by.get(l.name) ?? []), l.status].sort());
    return by;
  };
  const f = count(jsonLines(fresh!));
  assert.ok(f.size >= 4);
  for (const [name, statuses] of f) assert.deepEqual(statuses, ['installed', 'unchanged'], name);
  const rp = count(jsonLines(replacing!));
  for (const [name, statuses] of rp) {
    assert.ok(statuses.every((s) => s === 'replaced' || s === 'unchanged' || s === 'installed'), `${name}: ${statuses}`);
    // One of them changed it (replaced; or installed, when it ran between the other's remove and register).
    assert.ok(statuses.includes('replaced') || statuses.includes('installed'), `${name}: ${statuses}`);
  }
  const status = JSON.parse(st!);
  assert.equal(status.entries.length, f.size);
  assert.ok(status.entries.every((e: any) => e.enabled && e.flags === 'POF' && e.ours));
});

test('enable/disable/uninstall report what the kernel did; --credentials warns', { skip: needSandbox() }, () => {
  const r = sh(`$X install arm64 s390x --credentials --json; $X disable arm64 --json; cat ${B}/qemu-aarch64 | head -1; $X disable arm64 --json; $X enable --json; $X disable box64 --json; echo "rc=$?"; $X uninstall 'qemu-s*' --json; $X uninstall s390x --json; ls ${B}`, FOREIGN_SETUP);
  const lines = jsonLines(r.stdout);
  assert.equal(lines[0].flags, 'POCF');
  assert.match(lines[0].warnings.join(' '), /flag C: a setuid/);
  assert.deepEqual([lines[2].name, lines[2].status, lines[2].enabled], ['qemu-aarch64', 'disabled', false]);
  assert.match(r.stdout, /^disabled$/m);
  assert.deepEqual([lines[3].status], ['unchanged']);
  assert.deepEqual(lines.slice(4, 6).map((l) => [l.name, l.status, l.enabled]), [['qemu-s390x', 'unchanged', true], ['qemu-aarch64', 'enabled', true]]);
  assert.equal(lines.length, 9);
  assert.deepEqual([lines[6].name, lines[6].status], ['box64', 'skipped']);
  assert.match(r.stdout, /rc=0/);
  assert.deepEqual([lines[7].name, lines[7].status], ['qemu-s390x', 'removed']);
  assert.deepEqual([lines[8].name, lines[8].status], ['qemu-s390x', 'absent']);
  assert.deepEqual(r.stdout.trim().split('\n').slice(-5).sort(), ['box64', 'python3.11', 'qemu-aarch64', 'register', 'status']);
});

test('status --json: entries, shadowing, interpreter facts, kernel features', { skip: needSandbox() }, () => {
  const r = sh(`$X install arm64 --json >/dev/null; printf ':box64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00::/usr/local/bin/box64:' > ${B}/register; echo 0 > ${B}/status; $X status --json; $X status`);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout.split('\n')[0]!);
  assert.equal(s.global, 'disabled');
  assert.deepEqual(Object.keys(s.kernel).sort(), ['fixBinary', 'perUserNamespace', 'preserveArgv0AuxFlag', 'release']);
  const [box, ours] = s.entries;
  assert.deepEqual([box.name, box.ours, box.interpreterExists, box.interpreterStatic, box.shadowedBy], ['box64', false, false, null, []]);
  assert.deepEqual([ours.name, ours.ours, ours.interpreterExists, ours.interpreterStatic, ours.pinned, ours.shadowedBy, ours.serves], ['qemu-aarch64', true, true, true, true, ['box64'], 'aarch64']);
  assert.match(r.stdout, /mounted, disabled/);
  assert.match(r.stdout, /qemu-aarch64 +enabled +xarch +POF +aarch64/);
  assert.match(r.stdout, /shadowed by box64/);
});

test('an unprivileged user gets PERMISSION_DENIED, not a misleading interpreter error', { skip: needTestUser() }, () => {
  // A stand-in directory: a root-owned, root-only `register` file, as in a real instance.
  const tmp = mkdtempSync(path.join('/tmp', 'xarch-perm-'));
  try {
    chmodSync(tmp, 0o755);
    writeFileSync(path.join(tmp, 'register'), '');
    chmodSync(path.join(tmp, 'register'), 0o200);
    writeFileSync(path.join(tmp, 'status'), 'enabled\n');
    const r = asUser([process.execPath, CLI, 'install', 'arm64', '--binfmt-dir', tmp, '--json']);
    assert.equal(r.status, 1, r.stderr);
    const item = jsonLines(r.stdout)[0];
    assert.deepEqual([item.status, item.error.code], ['failed', 'PERMISSION_DENIED']);
    assert.match(item.error.hint, /root/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('an unprivileged user cannot mount: PERMISSION_DENIED explaining privileges and containers', { skip: needTestUser() }, () => {
  const tmp = mkdtempSync(path.join('/tmp', 'xarch-mnt-'));
  try {
    chmodSync(tmp, 0o755);
    const r = asUser([process.execPath, CLI, 'install', 'arm64', '--binfmt-dir', tmp]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no permission to mount binfmt_misc at .*must be superuser/);
    assert.match(r.stderr, /hint: run as root; in a container/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('install re-enables its own disabled entry; --force allows F with a dynamic emulator (with a warning)', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join('/tmp', 'xarch-force-'));
  try {
    chmodSync(tmp, 0o755);
    copyFileSync(process.execPath, path.join(tmp, 'qemu-riscv64'));
    chmodSync(path.join(tmp, 'qemu-riscv64'), 0o755);
    const steps = [['installTargets', { request: { targets: ['riscv64'] }, options: { emulatorSearch: { dirs: [tmp], path: '' }, flags: 'OF', force: true } }]] satisfies Step[];
    const r = inSandbox(['sh', '-c', `$X install arm64 --json >/dev/null; $X disable arm64 >/dev/null; $X install arm64 --json; head -1 ${B}/qemu-aarch64; ${stepsCommand(steps)}`], { env: { ...process.env, X } });
    assert.equal(r.status, 0, r.stderr);
    const [again] = jsonLines(r.stdout);
    const forced = valueOf(parseOutcomes(r.stdout, steps)[0])[0]!;
    assert.deepEqual([again.status, again.reason], ['replaced', 'identical but disabled: enabled it']);
    assert.match(r.stdout, /^enabled$/m);
    assert.deepEqual([forced.status, forced.flags], ['installed', 'OF']);
    assert.match(forced.warnings!.join(' '), /dynamically linked emulator/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
