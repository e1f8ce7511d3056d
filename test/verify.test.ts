// xarch verify: probes through the real kernel's binfmt_misc handlers, in
// private instances, as root and as an unprivileged user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CLI, asUser, needSandbox, needTestUser, xarch, xarchInSandbox, inSandbox } from './helpers/env.js';

const skipSandbox = needSandbox();
const CORE = ['aarch64', 'arm', 'riscv64', 'ppc64le', 's390x', 'mips64el'];
const lines = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => /binfmt_misc/.test(l)).length;

test('verify --sandbox runs every core target through a private instance and leaves the host alone', { skip: skipSandbox }, () => {
  const before = mounts();
  const r = xarch(['verify', '--sandbox', '--json', ...CORE]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const rows = lines(r.stdout);
  assert.deepEqual(rows.map((x) => x.target), CORE);
  for (const row of rows) {
    assert.equal(row.ok, true, JSON.stringify(row));
    assert.equal(row.result, 'ok');
    assert.equal(row.entry, `qemu-${row.target}`);
    assert.equal(row.exitCode, 42);
    assert.equal(row.stdout, `xarch-probe ${row.target}\n`);
    assert.match(row.interpreter, /qemu-.*static|binfmt-P/);
  }
  assert.equal(mounts(), before, 'no binfmt_misc mount left on the host');
});

test('verify --sandbox human output is one table with a summary line', { skip: skipSandbox }, () => {
  const r = xarch(['verify', '--sandbox', 'arm64', 'linux/s390x']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^sandbox: private binfmt_misc instance/);
  assert.match(r.stdout, /TARGET\s+STATUS\s+RESULT\s+ENTRY/);
  assert.match(r.stdout, /aarch64\s+ok\s+ok\s+qemu-aarch64/);
  assert.match(r.stdout, /2 of 2 targets ran\n$/);
});

test('verify --sandbox works as an unprivileged user', { skip: skipSandbox || needTestUser() }, () => {
  const r = asUser([process.execPath, CLI, 'verify', '--sandbox', '--json', 'aarch64', 'ppc64le']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.deepEqual(lines(r.stdout).map((x) => [x.target, x.result]), [['aarch64', 'ok'], ['ppc64le', 'ok']]);
});

test('a target without a handler is an exec format error and exit 1', { skip: skipSandbox }, () => {
  const r = inSandbox(['sh', '-c', `"${process.execPath}" "${CLI}" install aarch64 >/dev/null && exec "${process.execPath}" "${CLI}" verify --json aarch64 s390x`]);
  assert.equal(r.status, 1, r.stderr);
  const [a, s] = lines(r.stdout);
  assert.equal(a.result, 'ok');
  assert.equal(s.result, 'no-handler');
  assert.equal(s.entry, null);
  assert.match(s.error.hint, /xarch install s390x/);
});

test('a handler whose interpreter is missing is reported as such', { skip: skipSandbox }, () => {
  const setup = `printf ':qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/nonexistent/qemu-aarch64:' > "$XARCH_SANDBOX_BINFMT/register"`;
  const r = xarchInSandbox(['verify', '--json', 'aarch64'], { setup });
  assert.equal(r.status, 1, r.stderr);
  const [row] = lines(r.stdout);
  assert.equal(row.result, 'interpreter-missing');
  assert.equal(row.entry, 'qemu-aarch64');
  assert.equal(row.interpreter, '/nonexistent/qemu-aarch64');
});

test('a disabled handler is not used', { skip: skipSandbox }, () => {
  const r = inSandbox(['sh', '-c', `"${process.execPath}" "${CLI}" install arm >/dev/null && echo 0 > "$XARCH_SANDBOX_BINFMT/qemu-arm" && exec "${process.execPath}" "${CLI}" verify --json arm`]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(lines(r.stdout)[0].result, 'no-handler');
});

test('the host family runs natively', () => {
  const r = xarch(['verify', '--json', 'i386', '--binfmt-dir', '/nonexistent']);
  const [row] = lines(r.stdout);
  assert.equal(row.result, 'native');
  assert.equal(row.entry, null);
  assert.equal(r.status, 0);
});

test('an unknown target or a bad timeout is refused with a hint', () => {
  const r = xarch(['verify', 'vax']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown architecture 'vax'\n\s+hint:/);
  const t = xarch(['verify', '--timeout', 'soon']);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /--timeout/);
});
