// The emulator store end to end: real emulators from apt (bookworm, and
// trixie through a private apt configuration when reachable), from a .deb
// in both Debian layouts, an .rpm built here with rpmbuild, a tarball and a
// docker-save archive built with umoci and skopeo; use and rollback in
// private binfmt_misc instances with the entries read back from the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../src/emulators/store.js';
import { interpreterProblem } from '../src/manage/interpreter-safety.js';
import { asUser, fixtureRoot, inSandbox, needCommand, needFixture, needSandbox, needTestUser, CLI, xarch } from './helpers/env.js';
import { sandboxArgv } from '../src/host/namespace.js';

const AARCH64 = '/usr/bin/qemu-aarch64-static';
const ARM = '/usr/bin/qemu-arm-static';
const work = mkdtempSync(path.join(os.tmpdir(), 'xarch-store-test-'));
chmodSync(work, 0o755);
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function needQemu(): string | false {
  const r = existsSync(AARCH64) && existsSync(ARM) ? false : 'qemu-user-static is not installed (apt-get install qemu-user-static)';
  if (r) console.log(`# skip reason: ${r}`);
  return r;
}

function sh(script: string, ...args: string[]): string {
  const r = spawnSync('sh', ['-ec', script, 'sh', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${script}\n${r.stderr}`);
  return r.stdout;
}

let n = 0;
const fresh = (name: string) => {
  const d = path.join(work, `${name}-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** `xarch emulators add` as JSON. */
function add(store: string, ...args: string[]): { status: number | null; json: any; stderr: string; stdout: string } {
  const r = xarch(['emulators', 'add', ...args, '--store', store, '--json']);
  let json: any = null;
  try {
    json = JSON.parse(r.stdout);
  } catch { /* asserted by the caller */ }
  return { status: r.status, json, stderr: r.stderr, stdout: r.stdout };
}

/** A tarball of qemu-* files: [name in the tar, file to copy]. */
function tarball(files: [string, string][]): string {
  const d = fresh('tar');
  mkdirSync(path.join(d, 'in/bin'), { recursive: true });
  for (const [name, src] of files) copyFileSync(src, path.join(d, 'in/bin', name));
  sh('tar -C "$1/in" -cf "$1/q.tar" bin', d);
  return path.join(d, 'q.tar');
}

/** Run a shell script in a private binfmt_misc instance ($B is the instance); stdout. */
function inInstance(script: string): { status: number | null; stdout: string; stderr: string } {
  // Scratch files of the script (`> before`) go to a directory of its own, never the repository.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'xarch-store-sh-'));
  try {
    const r = inSandbox(['sh', '-ec', `B="$XARCH_SANDBOX_BINFMT"; X() { "${process.execPath}" "${CLI}" "$@"; }\n${script}`], { cwd });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

test('tarball: static emulators enter with a manifest; files root-owned 0755, install-safe; the same files again are the same set', { skip: needQemu() || needSandbox(), timeout: 120_000 }, () => {
  const store = fresh('store');
  const tar = tarball([['qemu-aarch64-static', AARCH64], ['qemu-arm', ARM]]);
  const r = add(store, tar);
  assert.equal(r.status, 0, r.stderr);
  const m = new Store(store).read(r.json.id);
  assert.equal(m.source, `tar:${tar}`);
  assert.match(m.version!, /^7\.2/);
  assert.deepEqual(m.files.map((f) => f.name), ['qemu-aarch64', 'qemu-arm']);
  const want = spawnSync('sha256sum', [AARCH64], { encoding: 'utf8' }).stdout.split(' ')[0];
  assert.equal(m.files[0]!.sha256, want);
  assert.ok(m.files.every((f) => f.static && f.preserveArgv0));
  assert.deepEqual(m.files[1]!.targets, ['arm']);
  assert.deepEqual(m.probes.map((p) => [p.target, p.ok]), [['aarch64', true], ['arm', true]]);
  assert.match(m.sourceSha256!, /^[0-9a-f]{64}$/);
  const file = path.join(store, 'sets', m.id, 'qemu-aarch64');
  const st = statSync(file);
  assert.equal(st.mode & 0o777, 0o755);
  if (process.getuid?.() === 0) {
    assert.equal(st.uid, 0);
    assert.equal(interpreterProblem(file), null);
  }
  assert.deepEqual(readdirSync(path.join(store, 'sets')), [m.id], 'no temporary directory left behind');
  const again = add(store, tar);
  assert.equal(again.json.id, m.id);
  assert.equal(again.json.existed, true);
});

test('a dynamic emulator is refused with the reason; nothing enters', { skip: needQemu(), timeout: 60_000 }, () => {
  const store = fresh('store');
  // A real dynamically linked ELF executable under an emulator's name.
  const r = add(store, tarball([['qemu-aarch64', '/bin/true']]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no static emulator \(qemu-aarch64: dynamically linked \(has PT_INTERP\)/);
  assert.match(r.stderr, /hint: only static emulators enter the store/);
  assert.deepEqual(readdirSync(path.join(store, 'sets')), []);
  // Beside a static one, the dynamic one is reported as refused and left out.
  const mixed = add(store, tarball([['qemu-aarch64', '/bin/true'], ['qemu-arm-static', ARM]]), '--no-probe');
  assert.equal(mixed.status, 0, mixed.stderr);
  assert.deepEqual(mixed.json.refused.map((x: any) => x.cpu), ['aarch64']);
  assert.equal(mixed.json.files, 1);
});

test('--sha256 mismatch is refused before anything is written', { skip: needQemu(), timeout: 60_000 }, () => {
  const store = path.join(fresh('parent'), 'store');
  const tar = tarball([['qemu-arm-static', ARM]]);
  const r = add(store, tar, '--sha256', '0'.repeat(64));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /has sha256 [0-9a-f]{64}, not 0{64}/);
  assert.ok(!existsSync(path.join(store, 'sets')) || readdirSync(path.join(store, 'sets')).length === 0);
  const good = spawnSync('sha256sum', [tar], { encoding: 'utf8' }).stdout.split(' ')[0]!;
  assert.equal(add(store, tar, '--sha256', good.toUpperCase(), '--no-probe').status, 0);
  assert.equal(xarch(['emulators', 'add', tar, '--sha256', 'xyz']).status, 2);
});

test('.deb in both Debian layouts: qemu-user-static (-static names) and qemu-user 9.1+ (unsuffixed, -static links): one file per CPU', { skip: needQemu() || needCommand('dpkg-deb', 'dpkg'), timeout: 120_000 }, () => {
  const store = fresh('store');
  const build = (pkg: string, layout: (bin: string) => void) => {
    const d = fresh('deb');
    mkdirSync(path.join(d, 'pkg/DEBIAN'), { recursive: true });
    mkdirSync(path.join(d, 'pkg/usr/bin'), { recursive: true });
    writeFileSync(path.join(d, 'pkg/DEBIAN/control'), `Package: ${pkg}\nVersion: 1:7.2-test\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: test\n`);
    layout(path.join(d, 'pkg/usr/bin'));
    sh('dpkg-deb --root-owner-group -b "$1/pkg" "$1/p.deb" >/dev/null', d);
    return path.join(d, 'p.deb');
  };
  const old = build('qemu-user-static', (bin) => copyFileSync(AARCH64, path.join(bin, 'qemu-aarch64-static')));
  const neu = build('qemu-user', (bin) => {
    copyFileSync(AARCH64, path.join(bin, 'qemu-aarch64'));
    symlinkSync('qemu-aarch64', path.join(bin, 'qemu-aarch64-static'));
  });
  // Recognised by content: a .deb under another name is still one.
  copyFileSync(old, `${old}.download`);
  const a = add(store, `${old}.download`, '--no-probe');
  assert.equal(a.status, 0, a.stderr);
  const b = add(store, neu, '--no-probe');
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.json.files, 1);
  assert.equal(b.json.id, a.json.id, 'the same emulator from either layout is the same set');
  assert.deepEqual(new Store(store).read(a.json.id).packages, ['qemu-user-static=1:7.2-test']);
});

test('.rpm in Fedora\'s qemu-user-static-<arch> layout, built with rpmbuild', { skip: needQemu() || needCommand('rpmbuild', 'rpm') || needCommand('cpio', 'cpio'), timeout: 180_000 }, () => {
  const store = fresh('store');
  const d = fresh('rpm');
  mkdirSync(path.join(d, 'SPECS'), { recursive: true });
  writeFileSync(path.join(d, 'SPECS/q.spec'), `Name: qemu-user-static-aarch64
Version: 7.2
Release: 1
Summary: test
License: GPLv2
%define debug_package %{nil}
%define __os_install_post %{nil}
%description
test
%install
mkdir -p %{buildroot}/usr/bin
cp ${AARCH64} %{buildroot}/usr/bin/qemu-aarch64-static
%files
/usr/bin/qemu-aarch64-static
`);
  sh('rpmbuild --quiet --define "_topdir $1" --define "_build_id_links none" -bb "$1/SPECS/q.spec" >/dev/null 2>&1', d);
  const rpm = sh('find "$1/RPMS" -name "*.rpm"', d).trim();
  const r = add(store, rpm);
  assert.equal(r.status, 0, r.stderr);
  const m = new Store(store).read(r.json.id);
  assert.deepEqual(m.packages, ['qemu-user-static-aarch64=7.2-1']);
  assert.equal(m.source, `rpm:${rpm}`);
  assert.deepEqual(m.files.map((f) => f.name), ['qemu-aarch64']);
  assert.deepEqual(m.probes.map((p) => [p.target, p.ok]), [['aarch64', true]]);
});

test('docker save of an emulator image (tonistiigi/binfmt layout, built with umoci and skopeo): the binaries come from its layers', { skip: needQemu() || needCommand('umoci', 'umoci') || needCommand('skopeo', 'skopeo'), timeout: 180_000 }, () => {
  const store = fresh('store');
  const d = fresh('img');
  sh(`cd "$1"
umoci init --layout oci >/dev/null
umoci new --image oci:binfmt
umoci unpack --image oci:binfmt b >/dev/null
mkdir -p b/rootfs/usr/bin && cp "$2" b/rootfs/usr/bin/qemu-aarch64
umoci repack --image oci:binfmt b >/dev/null && rm -rf b
umoci unpack --image oci:binfmt b >/dev/null
cp "$3" b/rootfs/usr/bin/qemu-arm
umoci repack --image oci:binfmt b >/dev/null && rm -rf b
umoci config --image oci:binfmt --architecture amd64 --os linux
skopeo copy -q --insecure-policy oci:oci:binfmt docker-archive:"$1/binfmt.tar":binfmt:test`, d, AARCH64, ARM);
  const r = add(store, path.join(d, 'binfmt.tar'), '--no-probe');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.files, 2);
  const m = new Store(store).read(r.json.id);
  assert.match(m.source, /^image:/);
  assert.equal(m.files.find((f) => f.name === 'qemu-arm')!.sha256, spawnSync('sha256sum', [ARM], { encoding: 'utf8' }).stdout.split(' ')[0]);
});

test('use in a private instance: probes, then the handlers point into the set; rollback restores the exact previous entry text; remove refuses a used set; gc', { skip: needQemu() || needSandbox() || needFixture('arm64'), timeout: 180_000 }, () => {
  const store = fresh('store');
  const r = add(store, tarball([['qemu-aarch64', AARCH64], ['qemu-arm', ARM]]));
  assert.equal(r.status, 0, r.stderr);
  const other = add(store, tarball([['qemu-arm', ARM]]), '--no-probe');
  const id = r.json.id as string;
  const busybox = path.join(fixtureRoot('arm64')!, 'bin/busybox');
  const out = inInstance(`
X install aarch64 --binfmt-dir "$B" >/dev/null
cat "$B/qemu-aarch64" > before
X emulators use ${id.slice(0, 6)} aarch64 arm --store "${store}" --binfmt-dir "$B" --json
echo ---; cat "$B/qemu-aarch64"
echo ---; "${busybox}" echo through-the-store
echo ---; X emulators remove ${id} --store "${store}" --binfmt-dir "$B" 2>&1 || echo remove-refused
echo ---; X emulators list --store "${store}" --binfmt-dir "$B"
echo ---; X emulators rollback --store "${store}" --binfmt-dir "$B"
echo ---; cmp before "$B/qemu-aarch64" && echo same-text; test -e "$B/qemu-arm" || echo arm-gone
echo ---; X emulators rollback --store "${store}" --binfmt-dir "$B" 2>&1 || echo nothing-left
echo ---; X emulators gc --store "${store}" --binfmt-dir "$B"
`);
  assert.equal(out.status, 0, out.stderr + out.stdout);
  const [used, entry, ran, removed, listed, rolled, same, nothing, gced] = out.stdout.split('---\n');
  const items = used!.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(items.map((i) => [i.name, i.status]), [['qemu-aarch64', 'replaced'], ['qemu-arm', 'installed']]);
  assert.match(entry!, new RegExp(`^interpreter ${path.join(store, 'sets', id, 'qemu-aarch64')}$`, 'm'));
  assert.match(entry!, /^flags: POF$/m);
  assert.equal(ran, 'through-the-store\n');
  assert.match(removed!, /is still used by a registered handler[\s\S]*remove-refused/);
  assert.match(listed!, new RegExp(`${id}.*(arm,aarch64|aarch64,arm)`));
  assert.match(rolled!, /restored +qemu-aarch64 → \/usr\/bin\/qemu-aarch64-static/);
  assert.match(rolled!, /removed +qemu-arm/);
  assert.equal(same, 'same-text\narm-gone\n');
  assert.match(nothing!, /nothing to roll back[\s\S]*nothing-left/);
  assert.match(gced!, new RegExp(`removed ${id}`));
  assert.match(gced!, new RegExp(`removed ${other.json.id}`));
  assert.deepEqual(readdirSync(path.join(store, 'sets')), []);
});

test('a failing canary (the aarch64 emulator is a static qemu-arm) changes nothing and says why', { skip: needQemu() || needSandbox(), timeout: 120_000 }, () => {
  const store = fresh('store');
  const r = add(store, tarball([['qemu-aarch64', ARM], ['qemu-arm', ARM]]));
  assert.equal(r.status, 0, r.stderr);
  const m = new Store(store).read(r.json.id);
  assert.deepEqual(m.probes.map((p) => [p.target, p.ok]), [['aarch64', false], ['arm', true]], 'add records the failing probe');
  const out = inInstance(`
X install aarch64 --binfmt-dir "$B" >/dev/null
cat "$B/qemu-aarch64" > before; ls "$B" > names
X emulators use ${m.id} aarch64 arm --store "${store}" --binfmt-dir "$B" 2>&1 && echo changed || echo refused
cmp before "$B/qemu-aarch64" && ls "$B" | cmp names - && echo untouched`);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /failed its canary, nothing changed: aarch64: /);
  assert.match(out.stdout, /refused\nuntouched\n$/);
  assert.doesNotMatch(out.stdout, /\barm: /, 'the arm probe passed');
});

test('two concurrent use of different sets end consistent: the entry, the state and the history agree', { skip: needQemu() || needSandbox(), timeout: 180_000 }, () => {
  const store = fresh('store');
  const a = add(store, tarball([['qemu-arm', ARM]]), '--no-probe').json.id as string;
  const b = add(store, tarball([['qemu-arm', ARM], ['qemu-aarch64', AARCH64]]), '--no-probe').json.id as string;
  const out = inInstance(`
X emulators use ${a} arm --store "${store}" --binfmt-dir "$B" >/dev/null & X emulators use ${b} arm --store "${store}" --binfmt-dir "$B" >/dev/null & wait
grep '^interpreter' "$B/qemu-arm"; echo "instance=$(realpath "$B")"`);
  assert.equal(out.status, 0, out.stderr);
  const interp = /^interpreter (.*)$/m.exec(out.stdout)![1]!;
  const instance = /^instance=(.*)$/m.exec(out.stdout)![1]!;
  const state = JSON.parse(readFileSync(path.join(store, 'state.json'), 'utf8'));
  const arm = state.instances[instance].arm;
  assert.equal(interp, path.join(store, 'sets', arm.current, 'qemu-arm'));
  assert.equal(arm.history.length, 2);
  assert.equal(arm.history[1].beforeSet, arm.history[0].set, 'the second use saw the first one\'s entry');
  assert.equal(arm.history[0].before, null);
  assert.ok(!existsSync(path.join(store, 'lock')));
});

test('install --emulators SET registers from the set directly', { skip: needQemu() || needSandbox(), timeout: 60_000 }, () => {
  const store = fresh('store');
  const id = add(store, tarball([['qemu-arm', ARM]]), '--no-probe').json.id as string;
  const out = inInstance(`X install arm --emulators ${id} --store "${store}" --binfmt-dir "$B"; grep '^interpreter' "$B/qemu-arm"`);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /installed +qemu-arm/);
  assert.match(out.stdout, new RegExp(`^interpreter ${path.join(store, 'sets', id, 'qemu-arm')}$`, 'm'));
  const bad = xarch(['install', 'arm', '--emulators', 'nosuchset', '--store', store, '--dry-run']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no emulator set nosuchset in the store/);
});

test('`emulators` with no subcommand is still the host list', { skip: needQemu() }, () => {
  const r = xarch(['emulators', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).some((e) => e.path === AARCH64 && e.preferred));
});

// ---- the real archive through apt

/** add apt [--suite S]; a skip reason when apt cannot fetch (no network, unknown suite). */
function aptSet(store: string, suite?: string): { json: any } | string {
  const r = add(store, 'apt', ...(suite ? ['--suite', suite] : []), '--no-probe');
  if (r.status !== 0) {
    const reason = `apt${suite ? ` --suite ${suite}` : ''} could not be fetched: ${r.stderr.trim().split('\n')[0]}`;
    console.log(`# skip reason: ${reason}`);
    return reason;
  }
  return { json: r.json };
}

test('apt (bookworm): qemu-user-static downloaded through apt, QEMU 7.2; apt --suite trixie: qemu-user, QEMU 10.0; use 10.0 and run foreign busybox; rollback', { skip: needSandbox() || needFixture('arm64') || needCommand('apt-get', 'apt'), timeout: 900_000 }, (t) => {
  const store = fresh('store');
  const bookworm = aptSet(store);
  if (typeof bookworm === 'string') return t.skip(bookworm);
  const m = new Store(store).read(bookworm.json.id);
  assert.equal(m.source, 'apt');
  assert.match(m.packages[0]!, /^qemu-user-static=1:7\.2/);
  assert.match(m.version!, /^7\.2\./);
  assert.ok(m.files.length > 20 && m.files.every((f) => f.static));
  const trixie = aptSet(store, 'trixie');
  if (typeof trixie === 'string') return t.skip(trixie);
  const m10 = new Store(store).read(trixie.json.id);
  assert.equal(m10.source, 'apt:trixie');
  assert.match(m10.packages[0]!, /^qemu-user=1:10\.0/);
  assert.match(m10.version!, /^10\.0\./);
  const busybox = path.join(fixtureRoot('arm64')!, 'bin/busybox');
  const out = inInstance(`
X emulators use ${m.id} aarch64 --store "${store}" --binfmt-dir "$B" >/dev/null
cat "$B/qemu-aarch64" > before
X emulators use 10.0 aarch64 --store "${store}" --binfmt-dir "$B"
grep '^interpreter' "$B/qemu-aarch64"
"${busybox}" echo ran-on-10
X emulators rollback aarch64 --store "${store}" --binfmt-dir "$B"
cmp before "$B/qemu-aarch64" && echo same-text`);
  assert.equal(out.status, 0, out.stderr + out.stdout);
  assert.match(out.stdout, /replaced +qemu-aarch64/);
  assert.match(out.stdout, new RegExp(`^interpreter ${path.join(store, 'sets', m10.id, 'qemu-aarch64')}$`, 'm'));
  assert.match(out.stdout, /ran-on-10\n/);
  assert.match(out.stdout, /restored +qemu-aarch64 → .*\/sets\/[0-9a-f]+\/qemu-aarch64\nsame-text\n$/);
});

// The session canary runs where xarch runs: a session inside a private
// instance's user namespace cannot map the IDs a root session maps (the
// nested namespace only has uid 0), so this drives `use --dry-run` on this
// machine's instance: the canary session is real, the handlers are only
// planned, never written.
test('use --canary ROOTFS -- CMD: the user\'s command runs in a session with the set; a failing command stops use', { skip: needQemu() || needSandbox() || needFixture('arm64') || (process.getuid?.() === 0 ? false : 'the canary session as root needs root'), timeout: 180_000 }, () => {
  const store = fresh('store');
  const id = add(store, tarball([['qemu-aarch64', AARCH64]]), '--no-probe').json.id as string;
  const root = fixtureRoot('arm64')!;
  const before = spawnSync('sh', ['-c', 'ls /proc/sys/fs/binfmt_misc; cat /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null'], { encoding: 'utf8' }).stdout;
  const bad = xarch(['emulators', 'use', id, 'aarch64', '--store', store, '--dry-run', '--canary', root, '--', '/bin/busybox', 'sh', '-c', 'exit 3']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /the canary command \/bin\/busybox sh -c exit 3 exited 3 in .* nothing changed/);
  const good = xarch(['emulators', 'use', id, 'aarch64', '--store', store, '--dry-run', '--canary', root, '--', '/bin/busybox', 'echo', 'canary-ran']);
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /^canary-ran\n/);
  assert.match(good.stdout, new RegExp(`would be (installed|replaced) qemu-aarch64 → ${path.join(store, 'sets', id, 'qemu-aarch64')}`));
  assert.equal(spawnSync('sh', ['-c', 'ls /proc/sys/fs/binfmt_misc; cat /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null'], { encoding: 'utf8' }).stdout, before, 'the machine\'s instance is untouched');
  assert.ok(!existsSync(path.join(store, 'state.json')), 'a dry run records no history');
  const usage = xarch(['emulators', 'use', id, '--canary', root, '--store', store]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--canary ROOTFS needs the command to run after --/);
});

test('defaultStoreDir: /var/lib/xarch/emulators for root, $XDG_DATA_HOME/xarch/emulators (or ~/.local/share) otherwise', async () => {
  const { defaultStoreDir } = await import('../src/emulators/store.js');
  assert.equal(defaultStoreDir({}, 0), '/var/lib/xarch/emulators');
  assert.equal(defaultStoreDir({ XDG_DATA_HOME: '/x/data', HOME: '/home/u' }, 1000), '/x/data/xarch/emulators');
  assert.equal(defaultStoreDir({ HOME: '/home/u' }, 1000), '/home/u/.local/share/xarch/emulators');
});

test('a root-owned store writable by others is refused (install would refuse every emulator in it)', { skip: process.getuid?.() === 0 ? false : 'needs root to own the store' }, () => {
  const store = fresh('store');
  chmodSync(store, 0o777);
  const r = add(store, tarball([['qemu-arm', ARM]]), '--no-probe');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /store directory .* is writable by group or others\n  hint: chmod go-w /);
  chmodSync(store, 0o755);
});

test('a stale temporary set directory (its process gone) is swept; a corrupt manifest is reported with a hint', { skip: needQemu() }, () => {
  const store = fresh('store');
  mkdirSync(path.join(store, 'sets/.add-999999999-1'), { recursive: true });
  const r = add(store, tarball([['qemu-arm', ARM]]), '--no-probe');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(path.join(store, 'sets')), [r.json.id]);
  // A lock whose holder is gone is taken over.
  writeFileSync(path.join(store, 'lock'), '999999999');
  const gc = xarch(['emulators', 'gc', '--store', store, '--binfmt-dir', path.join(store, 'no-instance')]);
  assert.equal(gc.status, 0, gc.stderr);
  assert.match(gc.stdout, new RegExp(`removed ${r.json.id}`));
  assert.ok(!existsSync(path.join(store, 'lock')));
  const again = add(store, tarball([['qemu-arm', ARM]]), '--no-probe');
  writeFileSync(path.join(store, 'sets', again.json.id, 'manifest.json'), '{"id":"x"');
  const l = xarch(['emulators', 'list', '--store', store]);
  assert.equal(l.status, 1);
  assert.match(l.stderr, /^xarch: manifest .* is invalid: .*\n  hint: remove that set directory and add it again\n$/);
});

test('an unprivileged user: the store is under $XDG_DATA_HOME, and use works rootless in a private instance (the user\'s files are root inside it)', { skip: needQemu() || needTestUser() || needSandbox(), timeout: 120_000 }, () => {
  const home = fresh('home');
  sh('chown xarch-test "$1"', home);
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: home, XDG_DATA_HOME: path.join(home, 'data'), LANG: 'C.UTF-8' };
  const tar = tarball([['qemu-aarch64', AARCH64]]);
  chmodSync(path.dirname(tar), 0o755);
  const r = asUser([process.execPath, CLI, 'emulators', 'add', tar, '--json'], { env });
  assert.equal(r.status, 0, r.stderr);
  const id = JSON.parse(r.stdout).id as string;
  const set = path.join(home, 'data/xarch/emulators/sets', id);
  assert.ok(existsSync(path.join(set, 'manifest.json')));
  const busybox = path.join(fixtureRoot('arm64') ?? '/nonexistent', 'bin/busybox');
  const script = `X() { "${process.execPath}" "${CLI}" "$@"; }; X emulators use ${id} aarch64 --binfmt-dir "$XARCH_SANDBOX_BINFMT" && grep '^interpreter' "$XARCH_SANDBOX_BINFMT/qemu-aarch64"${existsSync(busybox) ? ` && "${busybox}" echo rootless` : ''}`;
  const u = asUser(sandboxArgv(['sh', '-ec', script]), { env });
  assert.equal(u.status, 0, u.stderr + u.stdout);
  assert.match(u.stdout, /installed +qemu-aarch64/);
  assert.match(u.stdout, new RegExp(`^interpreter ${path.join(set, 'qemu-aarch64')}$`, 'm'));
  if (existsSync(busybox)) assert.match(u.stdout, /rootless\n$/);
});
