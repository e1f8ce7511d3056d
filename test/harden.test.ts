// Regression tests for issue 11's defects, one test per defect, each against
// the real CLI, real Debian fixtures and (where the kernel is involved) a
// private binfmt_misc instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, lchownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, asUser, inSandbox, fixtureRoot, needCommand, needFixture, needSandbox, needTestUser, xarch, xarchInSandbox } from './helpers/env.js';
import { startDockerd } from './helpers/dockerd.js';
import { rawTar } from './helpers/tar.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-harden-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const QEMU_AARCH64 = '/usr/bin/qemu-aarch64-static';
const jsonLines = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const noStack = (s: string) => assert.doesNotMatch(s, /internal error|^\s+at .*\(.*:\d+:\d+\)$/m, s);

/** A docker-save archive of one arm64 image holding an arm64 and an x86_64 program. */
function dockerArchive(): string {
  const d = path.join(work, 'docker');
  mkdirSync(d, { recursive: true });
  const layer = rawTar([
    { name: 'bin/busybox', data: readFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox')) },
    { name: 'usr/bin/host-true', data: readFileSync('/bin/true') },
  ]);
  writeFileSync(path.join(d, 'l1.tar'), layer);
  writeFileSync(path.join(d, 'cfg.json'), JSON.stringify({ architecture: 'arm64', os: 'linux' }));
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: ['demo:arm64'], Layers: ['l1.tar'] }]));
  const archive = path.join(work, 'img.tar');
  assert.equal(spawnSync('tar', ['-cf', archive, '-C', d, 'manifest.json', 'cfg.json', 'l1.tar']).status, 0);
  return archive;
}

test('scan: a gzip or zstd image archive is an image, its x86_64 program a mismatch', { skip: needFixture('arm64') || needCommand('zstd', 'zstd') }, () => {
  const archive = dockerArchive();
  assert.equal(spawnSync('gzip', ['-kf', archive]).status, 0);
  assert.equal(spawnSync('zstd', ['-qf', archive]).status, 0);
  for (const f of [`${archive}.gz`, `${archive}.zst`]) {
    const r = xarch(['scan', '--json', f, '--expect', 'linux/arm64']);
    noStack(r.stderr);
    assert.equal(r.status, 1, f + r.stderr);
    const [rep] = jsonLines(r.stdout);
    assert.equal(rep.kind, 'docker-archive', f);
    assert.equal(rep.path, f);
    assert.deepEqual(rep.mismatches, [{ file: 'usr/bin/host-true', target: 'x86_64' }], f);
  }
});

test('scan - and /dev/stdin read an archive (plain or compressed) from standard input', { skip: needFixture('arm64') }, () => {
  const archive = dockerArchive();
  const bytes = readFileSync(archive);
  for (const [name, input] of [['-', bytes], ['/dev/stdin', bytes], ['-', spawnSync('gzip', ['-c', archive]).stdout]] as const) {
    const r = spawnSync(process.execPath, [CLI, 'scan', '--json', name], { input, encoding: 'utf8' });
    noStack(r.stderr);
    assert.equal(r.status, 1, r.stderr);
    const [rep] = jsonLines(r.stdout);
    assert.equal(rep.path, name);
    assert.equal(rep.kind, 'docker-archive');
    assert.equal(rep.mismatches.length, 1);
  }
  // A redirected file is read in place.
  const f = spawnSync('sh', ['-c', `exec "${process.execPath}" "${CLI}" scan --json - < "${archive}"`], { encoding: 'utf8' });
  assert.equal(jsonLines(f.stdout)[0].kind, 'docker-archive', f.stderr);
});

test('scan: hard links are counted by name in a tree, a tar and a docker-save alike', { skip: needFixture('arm64') }, () => {
  const root = path.join(work, 'hl');
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  copyFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), path.join(root, 'bin/busybox'));
  linkSync(path.join(root, 'bin/busybox'), path.join(root, 'bin/sh'));
  writeFileSync(path.join(root, 'text'), 'hi\n');
  linkSync(path.join(root, 'text'), path.join(root, 'text2'));
  const tar = path.join(work, 'hl.tar');
  assert.equal(spawnSync('tar', ['-cf', tar, '-C', root, '.']).status, 0);
  const d = path.join(work, 'hl-docker');
  mkdirSync(d);
  copyFileSync(tar, path.join(d, 'layer.tar'));
  writeFileSync(path.join(d, 'cfg.json'), JSON.stringify({ architecture: 'arm64', os: 'linux' }));
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: ['hl:1'], Layers: ['layer.tar'] }]));
  const saved = path.join(work, 'hl-docker.tar');
  assert.equal(spawnSync('tar', ['-cf', saved, '-C', d, 'manifest.json', 'cfg.json', 'layer.tar']).status, 0);
  const counts = [root, tar, saved].map((p) => {
    const [rep] = jsonLines(xarch(['scan', '--json', p]).stdout);
    return [rep.files, rep.elfFiles, rep.targets.aarch64.count];
  });
  assert.deepEqual(counts, [[4, 2, 2], [4, 2, 2], [4, 2, 2]]);
  assert.match(xarch(['scan', '--help']).stdout, /counted by name/);
});

test('scan on an x86_64 host does not list qemu-x86_64 as needed', { skip: needFixture('arm64') }, () => {
  const archive = dockerArchive();
  const [rep] = jsonLines(xarch(['scan', '--json', archive]).stdout);
  assert.ok(rep.targets.x86_64, 'the image holds an x86_64 program');
  if (process.arch === 'x64') assert.deepEqual(rep.emulators, ['qemu-aarch64']);
});

test('TMPDIR unwritable: shell of a tar and scan of a pipe give a one-line error or work, never an internal error', { skip: needFixture('arm64') }, () => {
  const ro = path.join(work, 'ro');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  const archive = dockerArchive();
  const env = { ...process.env, TMPDIR: path.join(work, 'missing-dir') };
  const s = spawnSync(process.execPath, [CLI, 'scan', '-'], { input: readFileSync(archive), encoding: 'utf8', env });
  noStack(s.stderr);
  assert.equal(s.status, 1);
  assert.match(s.stderr, /^xarch: cannot make a temporary directory in .*\n  hint: set TMPDIR to a writable directory\n$/);
  const tar = path.join(work, 'root.tar');
  assert.equal(spawnSync('tar', ['-cf', tar, '-C', fixtureRoot('arm64')!, '.']).status, 0);
  const cache = path.join(work, 'cache');
  const sh = xarch(['shell', tar, '--', '/bin/busybox', 'true'], { env: { ...process.env, TMPDIR: ro, XDG_CACHE_HOME: cache } });
  noStack(sh.stderr);
  assert.ok(sh.status === 0 || sh.status === 1, sh.stderr);
});

test('verify --engine --image: the targets are the image\'s own platform', async () => {
  // Without an engine on PATH: one result, not one per default target.
  const r = xarch(['verify', '--engine', 'docker', '--image', 'busybox', '--json'], { env: { ...process.env, PATH: '/nonexistent' } });
  noStack(r.stderr);
  assert.equal(jsonLines(r.stdout).length, 1, r.stdout);
  const { targetOfPlatform } = await import('../src/verify/engine.js');
  assert.equal(targetOfPlatform('linux', 'arm64', 'v8'), 'aarch64');
  assert.equal(targetOfPlatform('linux', 'arm', 'v7'), 'arm');
  assert.equal(targetOfPlatform('linux', 's390x'), 's390x');
  assert.equal(targetOfPlatform('linux', 'amd64'), 'x86_64');
  assert.equal(targetOfPlatform('plan9', 'vax'), null);
});

test('doctor: an armhf program in an arm64 root needs libc6:armhf, and run --sysroot is offered', { skip: needFixture('arm64') || needFixture('armhf') }, () => {
  const r = xarch(['doctor', '--json', '--binfmt-dir', path.join(work, 'no-binfmt'), '--root', fixtureRoot('arm64')!, path.join(fixtureRoot('armhf')!, 'usr/bin/hello')]);
  const f = JSON.parse(r.stdout).findings.find((x: any) => x.id === 'loader-missing');
  assert.ok(f, r.stdout);
  assert.match(f.hint, /libc6:armhf/);
  assert.doesNotMatch(f.hint, /install libc6 /);
  assert.match(f.hint, /xarch run --sysroot ROOTFS /);
  const host = xarch(['doctor', '--json', '--binfmt-dir', path.join(work, 'no-binfmt'), path.join(fixtureRoot('arm64')!, 'usr/bin/hello')]);
  assert.match(JSON.parse(host.stdout).findings.find((x: any) => x.id === 'loader-missing').hint, /libc6:arm64.*run --sysroot/);
});

test('doctor with no argument fails while an entry of xarch\'s is disabled', { skip: needSandbox() }, () => {
  const setup = `"${process.execPath}" "${CLI}" install aarch64 --binfmt-dir "$XARCH_SANDBOX_BINFMT" >/dev/null && "${process.execPath}" "${CLI}" disable aarch64 --binfmt-dir "$XARCH_SANDBOX_BINFMT" >/dev/null`;
  const r = xarchInSandbox(['doctor', '--json'], { setup });
  const out = JSON.parse(r.stdout);
  assert.ok(out.findings.some((f: any) => f.id === 'entry-disabled' && f.status === 'fail'), r.stdout + r.stderr);
  assert.equal(r.status, 1);
});

test('doctor as an unprivileged user of this machine: no "inside a container" from a /.dockerenv file', { skip: needTestUser() }, () => {
  const r = asUser([process.execPath, CLI, 'doctor', '--json']);
  const f = JSON.parse(r.stdout).findings.find((x: any) => x.id === 'no-privilege');
  assert.ok(f, r.stdout + r.stderr);
  assert.doesNotMatch(f.message, /container/);
  assert.match(f.hint, /run as root/);
});

test('uninstall: removes xarch\'s persisted file when the live entry of that name is Debian\'s, and leaves Debian\'s entry', { skip: needSandbox() }, () => {
  const etc = path.join(work, 'etc-debian');
  const debian = `printf '%s' ':qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:POF' > "$XARCH_SANDBOX_BINFMT/register"`;
  // xarch persisted its rule, then Debian's package replaced the live entry.
  const setup = `"${process.execPath}" "${CLI}" install aarch64 --persist --etc-dir "${etc}" --binfmt-dir "$XARCH_SANDBOX_BINFMT" >/dev/null && echo -1 > "$XARCH_SANDBOX_BINFMT/qemu-aarch64" && ${debian}`;
  const r = xarchInSandbox(['uninstall', '--etc-dir', etc, '--json'], { setup: setup });
  noStack(r.stderr);
  const items = jsonLines(r.stdout);
  const it = items.find((i: any) => i.name === 'qemu-aarch64');
  assert.ok(it, r.stdout + r.stderr);
  assert.equal(it.persistedRemoved, path.join(etc, 'binfmt.d/qemu-aarch64.conf'));
  assert.equal(it.status, 'skipped');
  assert.equal(r.status, 0, r.stderr);
  assert.throws(() => readFileSync(path.join(etc, 'binfmt.d/qemu-aarch64.conf')), /ENOENT/);
});

test('uninstall: a binfmt_misc mount xarch made is unmounted with its last entry; one it did not make stays', { skip: needSandbox() }, () => {
  const x = `"${process.execPath}" "${CLI}"`;
  const install = `${x} install aarch64 --binfmt-dir "$XARCH_SANDBOX_BINFMT" >/dev/null`;
  const then = `${x} uninstall; echo "mounts=$(grep -c " $XARCH_SANDBOX_BINFMT .* - binfmt_misc " /proc/self/mountinfo)"`;
  const ours = inSandbox(['sh', '-c', then], { setup: `umount "$XARCH_SANDBOX_BINFMT" && ${install}` });
  assert.equal(ours.status, 0, ours.stderr);
  assert.match(ours.stdout, /unmounted binfmt_misc at .* \(xarch had mounted it; no entries left\)/);
  assert.match(ours.stdout, /mounts=0/);
  const theirs = inSandbox(['sh', '-c', then], { setup: install });
  assert.equal(theirs.status, 0, theirs.stderr);
  assert.doesNotMatch(theirs.stdout, /unmounted/);
  assert.match(theirs.stdout, /mounts=1/);
});

test('scan and shell: a zero-length layer is an empty layer, not ERR_OUT_OF_RANGE', { skip: needFixture('arm64') }, () => {
  const d = path.join(work, 'zero');
  mkdirSync(d);
  writeFileSync(path.join(d, 'l0.tar'), '');
  writeFileSync(path.join(d, 'l1.tar'), rawTar([{ name: 'bin/busybox', data: readFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox')), mode: 0o755 }]));
  writeFileSync(path.join(d, 'cfg.json'), JSON.stringify({ architecture: 'arm64', os: 'linux' }));
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: ['zero:1'], Layers: ['l0.tar', 'l1.tar'] }]));
  const archive = path.join(work, 'zero.tar');
  assert.equal(spawnSync('tar', ['-cf', archive, '-C', d, 'manifest.json', 'cfg.json', 'l0.tar', 'l1.tar']).status, 0);
  const r = xarch(['scan', '--json', archive]);
  noStack(r.stderr);
  assert.doesNotMatch(r.stderr, /out of range/);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(jsonLines(r.stdout)[0].elfFiles, 1);
});

test('disable/enable without arguments while uninstall removes entries concurrently: never a failure', { skip: needSandbox(), timeout: 120_000 }, () => {
  const x = `"${process.execPath}" "${CLI}"`;
  const targets = 'aarch64 arm riscv64 ppc64le s390x mips64el';
  // Each round installs, then races an uninstall against a disable/enable.
  const script = `fails=0; for i in $(seq 12); do ${x} install ${targets} >/dev/null 2>&1; ${x} uninstall >/dev/null 2>&1 & ${x} disable >/tmp/out.$$ 2>&1 || { fails=$((fails+1)); cat /tmp/out.$$; }; wait; ${x} install ${targets} >/dev/null 2>&1; ${x} uninstall >/dev/null 2>&1 & ${x} enable >/tmp/out.$$ 2>&1 || { fails=$((fails+1)); cat /tmp/out.$$; }; wait; done; rm -f /tmp/out.$$; echo "fails=$fails"`;
  const r = inSandbox(['sh', '-c', script]);
  assert.match(r.stdout, /fails=0$/m, r.stdout + r.stderr);
});

test('interpreter safety: a symlink in the middle of the chain owned by another user is refused', { skip: needTestUser() || (existsSync(QEMU_AARCH64) ? false : 'qemu-user-static is not installed') }, async () => {
  const safety = await import('../src/manage/interpreter-safety.js');
  const { interpreterProblem } = safety;
  const d = path.join(work, 'chain');
  mkdirSync(d);
  chmodSync(work, 0o755);
  symlinkSync(QEMU_AARCH64, path.join(d, 'user-link'));
  symlinkSync(path.join(d, 'user-link'), path.join(d, 'qemu'));
  assert.equal(interpreterProblem(path.join(d, 'qemu')), null, 'all root-owned: accepted');
  const uid = Number(spawnSync('id', ['-u', 'xarch-test'], { encoding: 'utf8' }).stdout.trim());
  lchownSync(path.join(d, 'user-link'), uid, uid);
  const p = interpreterProblem(path.join(d, 'qemu'));
  assert.equal(p?.code, 'EMULATOR_UNSAFE');
  assert.match(p!.message, new RegExp(`${path.join(d, 'user-link')} is owned by uid ${uid}`));
  // A relative link resolved through a directory another user can write.
  const w = path.join(work, 'writable');
  mkdirSync(w);
  chmodSync(w, 0o777);
  symlinkSync(QEMU_AARCH64, path.join(w, 'q'));
  symlinkSync('../writable/q', path.join(d, 'rel'));
  assert.match(interpreterProblem(path.join(d, 'rel'))!.message, /writable by group or others/);
  assert.ok(safety.resolutionChain(path.join(d, 'qemu')).includes(path.join(d, 'user-link')));
});

test('file names that are not UTF-8 are kept as bytes from argv and readdir to open and output', { skip: needFixture('arm64') || needSandbox() }, async () => {
  const d = path.join(work, 'bytes');
  mkdirSync(d);
  const raw = Buffer.concat([Buffer.from(d + '/'), Buffer.from([0xff, 0xfe])]);
  copyFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), raw);
  // Through a shell so argv carries the raw bytes.
  const run = (args: string) => spawnSync('sh', ['-c', `exec "${process.execPath}" "${CLI}" ${args} "$(printf '${d}/\\377\\376')"`]);
  const human = run('inspect');
  assert.equal(human.status, 0, String(human.stderr));
  assert.ok(human.stdout.subarray(0, raw.length + 1).equals(Buffer.concat([raw, Buffer.from(':')])), 'the name printed as its bytes');
  const json = JSON.parse(String(run('inspect --json').stdout));
  assert.equal(json.file, `${d}/\udcff\udcfe`);
  assert.ok(Buffer.from(json.file.replace(/[\udc80-\udcff]/g, (c: string) => String.fromCharCode(c.charCodeAt(0) - 0xdc00)), 'latin1').equals(raw), 'JSON carries the bytes losslessly');
  const [rep] = jsonLines(xarch(['scan', '--json', d, '--expect', 'x86_64']).stdout);
  assert.equal(rep.elfFiles, 1);
  assert.deepEqual(rep.mismatches, [{ file: '\udcff\udcfe', target: 'aarch64' }]);
  const w = inSandbox(['sh', '-c', `"${process.execPath}" "${CLI}" install aarch64 >/dev/null && exec "${process.execPath}" "${CLI}" which --json "$(printf '${d}/\\377\\376')"`]);
  assert.equal(JSON.parse(w.stdout).entry, 'qemu-aarch64', w.stdout + w.stderr);
  const { decodePath, encodePath } = await import('../src/core/path-bytes.js');
  assert.equal(decodePath(Buffer.from([0x61, 0xc3, 0xa9, 0xff])), 'aé\udcff');
  assert.ok(Buffer.from(encodePath(json.file)).equals(raw));
});

test('verify --engine docker --image IMG through a real dockerd: one result, for the platform the image declares', { skip: needCommand('dockerd', 'docker.io') || needFixture('arm64') || (process.getuid?.() !== 0 ? 'dockerd needs root' : false), timeout: 180_000 }, async () => {
  // A dockerd of this test's own (data root, socket), stopped after.
  const engine = await startDockerd('xarch-dockerd-');
  const { dir, env } = engine;
  try {
    // docker load keeps the config's architecture (docker import would label it amd64).
    const d = path.join(dir, 'img');
    mkdirSync(d);
    assert.equal(spawnSync('tar', ['-C', fixtureRoot('arm64')!, '-cf', path.join(d, 'layer.tar'), '.']).status, 0);
    const diff = spawnSync('sha256sum', [path.join(d, 'layer.tar')], { encoding: 'utf8' }).stdout.slice(0, 64);
    writeFileSync(path.join(d, 'config.json'), JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`] }, config: {} }));
    writeFileSync(path.join(d, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['xarch-harden:arm64'], Layers: ['layer.tar'] }]));
    const tar = spawnSync('tar', ['-C', d, '-c', 'manifest.json', 'config.json', 'layer.tar'], { maxBuffer: 1 << 28 });
    const load = spawnSync('docker', ['load'], { env, input: tar.stdout, encoding: 'utf8' });
    assert.equal(load.status, 0, load.stderr);
    const r = xarch(['verify', '--engine', 'docker', '--image', 'xarch-harden:arm64', '--json'], { env });
    noStack(r.stderr);
    const results = jsonLines(r.stdout);
    assert.deepEqual(results.map((x: any) => x.target), ['aarch64'], r.stdout);
    assert.notEqual(results[0].result, 'wrong-output');
    // And the image read back from docker save through a pipe, compressed.
    const save = spawnSync('sh', ['-c', `docker save xarch-harden:arm64 | gzip | "${process.execPath}" "${CLI}" scan --json -`], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    const [rep] = jsonLines(save.stdout);
    assert.equal(rep.platform, 'linux/arm64', save.stderr);
    assert.ok(rep.targets.aarch64.count > 100);
  } finally {
    await engine.stop();
  }
});
