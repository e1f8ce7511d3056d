// xarch doctor: every diagnosis reproduced for real in a private
// binfmt_misc instance, then checked by its finding id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { diagnose, gatherFacts } from '../src/doctor/doctor.js';
import { parseRegister } from '../src/core/rule.js';
import { CLI, asUser, fixtureRoot, needFixture, needSandbox, needTestUser, xarch, xarchInSandbox } from './helpers/env.js';

const skip = needSandbox() || needFixture('arm64');
const work = mkdtempSync(path.join(tmpdir(), 'xarch-doctor-'));
chmodSync(work, 0o755);
test.after(() => rmSync(work, { recursive: true, force: true }));

const MAGIC = '\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00';
const MASK = '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff';
const reg = (name: string, interp: string, flags: string) => `printf '%s' ':${name}:M::${MAGIC}:${MASK}:${interp}:${flags}' > "$XARCH_SANDBOX_BINFMT/register"`;
const STATIC = '/usr/bin/qemu-aarch64-static';

function doctor(setup: string, args: string[]) {
  const r = xarchInSandbox(['doctor', '--json', ...args], { setup });
  assert.ok(r.stdout.trim(), r.stderr);
  const out = JSON.parse(r.stdout);
  return { status: r.status, ids: out.findings.map((f: any) => `${f.status}:${f.id}`) as string[], out };
}

const bb = () => path.join(fixtureRoot('arm64')!, 'bin/busybox');
const hello = () => path.join(fixtureRoot('arm64')!, 'usr/bin/hello');

test('doctor: a healthy static handler', { skip }, () => {
  const d = doctor(reg('qemu-aarch64', STATIC, 'POF'), [bb()]);
  assert.equal(d.status, 0, d.ids.join(' '));
  assert.ok(d.ids.includes('ok:handler') && d.ids.includes('ok:interpreter-ok'));
});

const CASES: [string, string, () => string[], string][] = [
  ['no handler', '', () => [bb()], 'fail:no-handler'],
  ['a disabled entry', `${reg('qemu-aarch64', STATIC, 'F')}; echo 0 > "$XARCH_SANDBOX_BINFMT/qemu-aarch64"`, () => [bb()], 'fail:handler-disabled'],
  ['binfmt_misc disabled as a whole', `${reg('qemu-aarch64', STATIC, 'F')}; echo 0 > "$XARCH_SANDBOX_BINFMT/status"`, () => [bb()], 'fail:disabled-globally'],
  ['a missing interpreter', reg('qemu-aarch64', '/nonexistent/qemu-aarch64', ''), () => [bb()], 'fail:interpreter-missing'],
  ['a dynamic interpreter without F', reg('qemu-aarch64', '/usr/bin/true', ''), () => [bb()], 'fail:interpreter-dynamic-unpinned'],
  ['an unpinned static interpreter', reg('qemu-aarch64', STATIC, ''), () => [bb()], 'warn:interpreter-unpinned'],
  ['a newer entry shadowing an older one', `${reg('old-aarch64', STATIC, 'F')}; ${reg('new-aarch64', STATIC, 'F')}`, () => [bb()], 'warn:shadowed'],
  ['a loader missing from the root', reg('qemu-aarch64', STATIC, 'F'), () => [hello()], 'fail:loader-missing'],
  ['not mounted', `umount "$XARCH_SANDBOX_BINFMT"`, () => [bb()], 'fail:not-mounted'],
];

for (const [name, setup, args, id] of CASES) {
  test(`doctor finds ${name}`, { skip }, () => {
    const d = doctor(setup, args());
    assert.ok(d.ids.includes(id), `${id} in ${d.ids.join(' ')}`);
    if (id.startsWith('fail')) assert.equal(d.status, 1);
  });
}

test('doctor: the loader is found in the root given with --root', { skip }, () => {
  const d = doctor(reg('qemu-aarch64', STATIC, 'F'), ['--root', fixtureRoot('arm64')!, hello()]);
  assert.ok(d.ids.includes('ok:loader'), d.ids.join(' '));
  assert.equal(d.status, 0);
});

test('doctor: a setuid program without C', { skip }, () => {
  const f = path.join(work, 'suid-busybox');
  copyFileSync(bb(), f);
  chmodSync(f, 0o4755);
  const d = doctor(reg('qemu-aarch64', STATIC, 'F'), [f]);
  assert.ok(d.ids.includes('warn:setuid-without-C'), d.ids.join(' '));
});

test('doctor: an entry that would hijack host binaries (pure: it cannot be registered safely, even privately)', () => {
  // Registering it would send this test's own node and sh to the emulator,
  // so the facts are built around the real parsed rule instead.
  const parsed = parseRegister(':hijack:M::\\x7fELF\\x02\\x01\\x01::/usr/bin/qemu-aarch64-static:F');
  assert.ok(parsed.ok);
  const facts = gatherFacts(undefined, { binfmtDir: '/nonexistent' });
  const findings = diagnose({ ...facts, mounted: true, globalEnabled: true, entries: [{ name: 'hijack', enabled: true, rule: parsed.rule }] });
  const f = findings.find((x) => x.id === 'matches-host');
  assert.ok(f, findings.map((x) => x.id).join(' '));
  assert.equal(f.status, 'fail');
  assert.match(f.message, /hijack/);
});

test('doctor ROOTFS: per architecture, with the shell\'s loader', { skip }, () => {
  const root = path.join(work, 'root');
  cpSync(fixtureRoot('arm64')!, root, { recursive: true, verbatimSymlinks: true });
  const d = doctor(reg('qemu-aarch64', STATIC, 'F'), [root]);
  assert.equal(d.status, 0, d.ids.join(' '));
  assert.ok(d.ids.includes('ok:handler'));
  const none = doctor('', [root]);
  assert.ok(none.ids.includes('fail:no-handler'));
});

test('doctor: machine report and usage errors', () => {
  const r = xarch(['doctor', '--binfmt-dir', '/nonexistent']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /not mounted/);
  assert.equal(xarch(['doctor', 'a', 'b']).status, 2);
  assert.equal(xarch(['doctor', '/nonexistent/file']).status, 1);
});

test('doctor: without CAP_SYS_ADMIN it says handlers cannot be changed from here', { skip: needTestUser() }, () => {
  const r = asUser([process.execPath, CLI, 'doctor', '--json']);
  const out = JSON.parse(r.stdout);
  const f = out.findings.find((x: any) => x.id === 'no-privilege');
  assert.ok(f, r.stdout);
  assert.match(f.hint, /xarch verify --sandbox|xarch install|root/);
});
