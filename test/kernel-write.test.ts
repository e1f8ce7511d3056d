import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { inSandbox, needSandbox, REPO } from './helpers/env.js';
import { mountErrno, registerError } from '../src/host/kernel.js';
import { kernelFeatures } from '../src/core/kernel-version.js';
import { getTarget } from '../src/core/arch.js';
import { ruleFromTarget } from '../src/core/rule.js';

const KERNEL = path.join(REPO, 'dist/src/host/kernel.js');
const RULE = path.join(REPO, 'dist/src/core/rule.js');
const ARCH = path.join(REPO, 'dist/src/core/arch.js');

/** Run an ES module snippet inside a private instance; it prints one JSON value. */
function sandboxEval(code: string, setup?: string): unknown {
  const prelude = `import * as K from ${JSON.stringify(KERNEL)}; import * as R from ${JSON.stringify(RULE)}; import * as A from ${JSON.stringify(ARCH)};
const D = process.env.XARCH_SANDBOX_BINFMT;
const tryIt = (f) => { try { return f(); } catch (e) { return { code: e.code, errno: e.errno, message: e.message, hint: e.hint }; } };
`;
  const r = inSandbox([process.execPath, '--input-type=module', '-e', prelude + code], setup === undefined ? {} : { setup });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('kernelFeatures by release', () => {
  const table: [string, boolean, boolean, boolean][] = [
    ['4.4.0-generic', false, false, false],
    ['4.8.0', true, false, false],
    ['5.11.22', true, false, false],
    ['5.12.0', true, true, false],
    ['6.6.30', true, true, false],
    ['6.7.0-rc1', true, true, true],
    ['6.18.44-fc', true, true, true],
  ];
  for (const [rel, f, p, ns] of table) {
    const k = kernelFeatures(rel);
    assert.deepEqual([k.fixBinary, k.preserveArgv0AuxFlag, k.perUserNamespace], [f, p, ns], rel);
  }
});

test('mountErrno maps mount(8) messages', () => {
  const table: [string, string][] = [
    ['mount: /x: permission denied.', 'EPERM'],
    ['mount: only root can use "--types" option', 'EPERM'],
    ['mount: /x: cannot mount binfmt_misc read-only.', 'EROFS'],
    ["mount: /x: unknown filesystem type 'binfmt_misc'.", 'ENOENT'],
    ['mount: /x: binfmt_misc already mounted or mount point busy.', 'EBUSY'],
    ['mount: /x: mount point does not exist.', 'ENOENT_DIR'],
  ];
  for (const [m, e] of table) assert.equal(mountErrno(m), e, m);
});

test('registerRule/setEntryEnabled/removeEntry/setGlobalEnabled against the kernel', { skip: needSandbox() }, () => {
  const out = sandboxEval(`
const t = A.getTarget('aarch64');
const rule = R.ruleFromTarget(t, { interpreter: '/usr/bin/qemu-aarch64-static', flags: 'F' });
const first = K.registerRule(D, rule);
const again = tryIt(() => K.registerRule(D, rule));
const off = K.setEntryEnabled(D, rule.name, false);
const on = K.setEntryEnabled(D, rule.name, true);
const g0 = K.setGlobalEnabled(D, false); const g1 = K.setGlobalEnabled(D, true);
const missingF = tryIt(() => K.registerRule(D, { ...rule, name: 'm', interpreter: '/nonexistent/qemu' }));
const dirF = tryIt(() => K.registerRule(D, { ...rule, name: 'd', interpreter: '/usr/bin' }));
const bad = tryIt(() => K.registerRule(D, { ...rule, name: 'a/b' }));
const removed = K.removeEntry(D, rule.name);
const removedAgain = K.removeEntry(D, rule.name);
const missingEnable = tryIt(() => K.setEntryEnabled(D, 'nope', true));
console.log(JSON.stringify({ same: R.sameRule(first.rule, rule), firstEnabled: first.enabled, again, off: off.enabled, on: on.enabled, g0, g1,
  missingF, dirF, bad, removed, removedAgain, missingEnable, left: K.listEntryNames(D) }));
`) as Record<string, any>;
  assert.equal(out.same, true);
  assert.equal(out.firstEnabled, true);
  assert.equal(out.again.code, 'BINFMT_EXISTS');
  assert.deepEqual([out.off, out.on, out.g0, out.g1], [false, true, 'disabled', 'enabled']);
  assert.deepEqual([out.missingF.code, out.missingF.errno], ['EMULATOR_NOT_FOUND', 'ENOENT']);
  assert.deepEqual([out.dirF.code, out.dirF.errno], ['EMULATOR_UNSAFE', 'EACCES']);
  assert.deepEqual([out.bad.code, out.bad.errno], ['RULE_INVALID', 'EINVAL']);
  assert.match(out.bad.hint, /F needs Linux 4\.8/);
  assert.deepEqual([out.removed, out.removedAgain], [true, false]);
  assert.equal(out.missingEnable.code, 'PATH_NOT_FOUND');
  assert.deepEqual(out.left, []);
});

test('registerRule on a read-only instance → READ_ONLY (EROFS)', { skip: needSandbox() }, () => {
  const out = sandboxEval(`
const rule = R.ruleFromTarget(A.getTarget('aarch64'), { interpreter: '/usr/bin/qemu-aarch64-static', flags: '' });
console.log(JSON.stringify(tryIt(() => K.registerRule(D, rule))));
`, 'mount -o remount,ro "$XARCH_SANDBOX_BINFMT"') as Record<string, any>;
  assert.deepEqual([out.code, out.errno], ['READ_ONLY', 'EROFS']);
});

test('ensureMounted: mounts when not mounted, no-op when mounted, typed error for a missing dir', { skip: needSandbox() }, () => {
  const out = sandboxEval(`
const a = K.ensureMounted(D);
const missing = tryIt(() => K.ensureMounted('/nonexistent-xarch-dir'));
console.log(JSON.stringify({ a, missing }));
`, 'umount "$XARCH_SANDBOX_BINFMT"; test -e "$XARCH_SANDBOX_BINFMT/register" && exit 3') as Record<string, any>;
  assert.deepEqual(out.a, { dir: '/proc/sys/fs/binfmt_misc', mounted: true });
  assert.equal(out.missing.code, 'BINFMT_NOT_MOUNTED');
  const again = sandboxEval(`console.log(JSON.stringify(K.ensureMounted(D)));`) as Record<string, any>;
  assert.equal(again.mounted, false);
});

test('registerError maps errno to meaning', () => {
  const t = getTarget('aarch64')!;
  const F = ruleFromTarget(t, { interpreter: '/usr/bin/qemu-aarch64-static', flags: 'F' });
  const noF = { ...F, flags: 'P' };
  const err = (spec: string) => {
    const [stage, code] = spec.includes(':') ? spec.split(':') : ['write', spec];
    return Object.assign(new Error(code), { code, stage });
  };
  const table: [string, typeof F, string, string, RegExp][] = [
    ['EINVAL', F, '4.4.0', 'KERNEL_TOO_OLD', /F needs Linux 4\.8 \(this is 4\.4\.0\)/],
    ['EINVAL', F, '6.1.0', 'RULE_INVALID', /xarch rule check/],
    ['EEXIST', F, '6.1.0', 'BINFMT_EXISTS', /--force/],
    ['ENOENT', F, '6.1.0', 'EMULATOR_NOT_FOUND', /xarch emulators/],
    ['ENOENT', noF, '6.1.0', 'BINFMT_NOT_MOUNTED', /mount/],
    ['EACCES', F, '6.1.0', 'EMULATOR_UNSAFE', /chmod/],
    ['EACCES', noF, '6.1.0', 'PERMISSION_DENIED', /root/],
    ['EPERM', noF, '6.1.0', 'PERMISSION_DENIED', /CAP_SYS_ADMIN/],
    ['EROFS', noF, '6.1.0', 'READ_ONLY', /read-only|privileged/],
    ['open:EACCES', F, '6.1.0', 'PERMISSION_DENIED', /root/],
    ['open:ENOENT', F, '6.1.0', 'BINFMT_NOT_MOUNTED', /mount/],
    ['open:EROFS', F, '6.1.0', 'READ_ONLY', /privileged/],
    ['ENOMEM', noF, '6.1.0', 'BINFMT_WRITE_FAILED', /memory|remove/],
  ];
  for (const [errno, rule, rel, code, hint] of table) {
    const e = registerError(err(errno), '/b', rule, rel);
    assert.equal(e.code, code, errno);
    assert.equal(e.errno, errno.replace(/^open:/, ''));
    assert.match(e.hint ?? '', hint, errno);
  }
});
