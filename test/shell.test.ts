// xarch shell: rootless sessions in Debian root file systems of other
// architectures, with real QEMU, as root and as an unprivileged user, and
// nothing left behind afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, asUser, fixtureRoot, needFixture, needSandbox, needTestUser, xarch, type DebianArch } from './helpers/env.js';

const skipNs = needSandbox();
const mountCount = () => readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length;
const xarchTemps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('xarch-rootfs-')).sort();

const CASES: [DebianArch, string][] = [['arm64', 'aarch64'], ['armhf', 'armv7l'], ['ppc64el', 'ppc64le'], ['s390x', 's390x']];

for (const [deb, machine] of CASES) {
  test(`shell: ${deb} root reports ${machine}, runs dynamic hello and many processes`, { skip: skipNs || needFixture(deb) }, () => {
    const before = mountCount();
    const r = xarch(['shell', fixtureRoot(deb)!, '--', 'sh', '-c',
      'uname -m; ls / | wc -l; /usr/bin/hello; i=0; while [ $i -lt 20 ]; do echo $i | cat | wc -c >/dev/null; i=$((i+1)); done; echo loops $i; sh -c "sh -c \\"uname -m\\""']);
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim().split('\n');
    assert.equal(out[0], machine);
    assert.ok(Number(out[1]) >= 3, `ls / | wc -l: ${out[1]}`);
    assert.equal(out[2], 'Hello, world!');
    assert.equal(out[3], 'loops 20');
    assert.equal(out[4], machine);
    assert.equal(mountCount(), before, 'no mount left on the host');
    assert.equal(existsSync('/proc/sys/fs/binfmt_misc/register'), false, 'the host instance stays unmounted');
  });
}

test('shell: exit status passes through, and a killed command is 128+N', { skip: skipNs || needFixture('arm64') }, () => {
  const root = fixtureRoot('arm64')!;
  assert.equal(xarch(['shell', root, '--', 'sh', '-c', 'exit 9']).status, 9);
  assert.equal(xarch(['shell', root, '--', 'sh', '-c', 'kill -KILL $$']).status, 137);
});

test('shell: runs as an unprivileged user', { skip: skipNs || needFixture('arm64') || needTestUser() }, () => {
  const r = asUser([process.execPath, CLI, 'shell', fixtureRoot('arm64')!, '--', 'sh', '-c', 'uname -m; id -u']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['aarch64', '0']);
});

test('shell: a tar root file system is unpacked privately and removed afterwards', { skip: skipNs || needFixture('s390x') }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-shelltest-'));
  try {
    const tar = path.join(dir, 'root.tar.gz');
    const t = spawnSync('tar', ['-czf', tar, '-C', fixtureRoot('s390x')!, '.']);
    assert.equal(t.status, 0);
    const before = xarchTemps();
    const r = xarch(['shell', tar, '--', 'uname', '-m']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 's390x');
    assert.deepEqual(xarchTemps(), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shell: SIGKILL of the command and SIGINT to xarch leave nothing behind', { skip: skipNs || needFixture('arm64') }, async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'xarch-shelltest-'));
  chmodSync(work, 0o755);
  const root = path.join(work, 'root');
  cpSync(fixtureRoot('arm64')!, root, { recursive: true, verbatimSymlinks: true });
  try {
    const before = mountCount();
    // 1. the inner command is killed from outside.
    const a = spawn(process.execPath, [CLI, 'shell', root, '--', 'sh', '-c', 'echo $$ > /tmp-pid; sleep 30'], { stdio: 'ignore' });
    const pidFile = path.join(root, 'tmp-pid');
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(pidFile), 'the command started');
    // The pid is inside the session's PID namespace: find the host pid of the emulated sleep.
    const ps = spawnSync('pgrep', ['-f', 'tmp-pid; sleep 30'], { encoding: 'utf8' });
    const pids = ps.stdout.trim().split('\n').filter(Boolean);
    assert.ok(pids.length > 0, 'found the emulated command on the host');
    for (const p of pids) process.kill(Number(p), 'SIGKILL');
    const codeA = await new Promise<number | null>((r) => a.on('exit', (c) => r(c)));
    assert.ok(codeA !== 0, `status ${codeA}`);
    // 2. Ctrl-C: SIGINT to xarch's process group.
    const b = spawn(process.execPath, [CLI, 'shell', root, '--', 'sleep', '30'], { stdio: 'ignore', detached: true });
    await new Promise((r) => setTimeout(r, 800));
    process.kill(-b.pid!, 'SIGINT');
    const codeB = await new Promise<number | null>((r) => b.on('exit', (c) => r(c)));
    assert.equal(codeB, 130);
    assert.equal(mountCount(), before, 'no mount left on the host');
    assert.equal(spawnSync('pgrep', ['-f', 'tmp-pid; sleep 30|/bin/sleep sleep 30'], { encoding: 'utf8' }).stdout.trim(), '', 'no process left');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('shell: errors are one line with a hint', () => {
  const missing = xarch(['shell', '/nonexistent/root']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /does not exist\n\s+hint:/);
  const two = xarch(['shell', '/a', '/b']);
  assert.equal(two.status, 2);
  const empty = mkdtempSync(path.join(tmpdir(), 'xarch-shelltest-'));
  try {
    const r = xarch(['shell', empty]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /has no \/bin\/sh/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('shell --dry-run --json shows the handlers it would register', { skip: needFixture('armhf') }, () => {
  const r = xarch(['shell', fixtureRoot('armhf')!, '--dry-run', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.deepEqual(plan.targets, ['arm']);
  assert.equal(plan.mode, 'rootless');
  assert.match(plan.register[0], /^:xarch-arm:M:0:\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01.*F$/);
});
