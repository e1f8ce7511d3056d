import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needSandbox } from './helpers/env.js';
import { errorOf, runInSandbox, valueOf, type RuleSpec } from './helpers/in-sandbox.js';
import { mountErrno, registerError } from '../src/host/kernel.js';
import { kernelFeatures } from '../src/core/kernel-version.js';
import { getTarget } from '../src/core/arch.js';
import { ruleFromTarget } from '../src/core/rule.js';

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
  const rule: RuleSpec = { target: 'aarch64', interpreter: '/usr/bin/qemu-aarch64-static', flags: 'F' };
  const name = 'qemu-aarch64';
  const { outcomes: o } = runInSandbox([
    ['registerRule', rule],
    ['registerRule', rule],
    ['setEntryEnabled', { name, enabled: false }],
    ['setEntryEnabled', { name, enabled: true }],
    ['setGlobalEnabled', { enabled: false }],
    ['setGlobalEnabled', { enabled: true }],
    ['registerRule', { ...rule, name: 'm', interpreter: '/nonexistent/qemu' }],
    ['registerRule', { ...rule, name: 'd', interpreter: '/usr/bin' }],
    ['registerRule', { ...rule, name: 'a/b' }],
    ['removeEntry', { name }],
    ['removeEntry', { name }],
    ['setEntryEnabled', { name: 'nope', enabled: true }],
    ['listEntryNames'],
  ]);
  const [first, again, off, on, g0, g1, missingF, dirF, bad, removed, removedAgain, missingEnable, left] = o;
  assert.equal(valueOf(first).sameAsGiven, true);
  assert.equal(valueOf(first).enabled, true);
  assert.equal(errorOf(again).code, 'BINFMT_EXISTS');
  assert.deepEqual([valueOf(off), valueOf(on), valueOf(g0), valueOf(g1)], [false, true, 'disabled', 'enabled']);
  assert.deepEqual([errorOf(missingF).code, errorOf(missingF).errno], ['EMULATOR_NOT_FOUND', 'ENOENT']);
  assert.deepEqual([errorOf(dirF).code, errorOf(dirF).errno], ['EMULATOR_UNSAFE', 'EACCES']);
  assert.deepEqual([errorOf(bad).code, errorOf(bad).errno], ['RULE_INVALID', 'EINVAL']);
  assert.match(errorOf(bad).hint ?? '', /F needs Linux 4\.8/);
  assert.deepEqual([valueOf(removed), valueOf(removedAgain)], [true, false]);
  assert.equal(errorOf(missingEnable).code, 'PATH_NOT_FOUND');
  assert.deepEqual(valueOf(left), []);
});

test('registerRule on a read-only instance → READ_ONLY (EROFS)', { skip: needSandbox() }, () => {
  const { outcomes: [ro] } = runInSandbox([['registerRule', { target: 'aarch64', interpreter: '/usr/bin/qemu-aarch64-static', flags: '' }]], { setup: 'mount -o remount,ro "$XARCH_SANDBOX_BINFMT"' });
  assert.deepEqual([errorOf(ro).code, errorOf(ro).errno], ['READ_ONLY', 'EROFS']);
});

test('ensureMounted: mounts when not mounted, no-op when mounted, typed error for a missing dir', { skip: needSandbox() }, () => {
  const { outcomes: [a, missing] } = runInSandbox([['ensureMounted', {}], ['ensureMounted', { dir: '/nonexistent-xarch-dir' }]], {
    setup: 'umount "$XARCH_SANDBOX_BINFMT"; test -e "$XARCH_SANDBOX_BINFMT/register" && exit 3',
  });
  assert.deepEqual(valueOf(a), { dir: '/proc/sys/fs/binfmt_misc', mounted: true });
  assert.equal(errorOf(missing).code, 'BINFMT_NOT_MOUNTED');
  const { outcomes: [again] } = runInSandbox([['ensureMounted', {}]]);
  assert.equal(valueOf(again).mounted, false);
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
