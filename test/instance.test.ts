// Whose binfmt_misc instance: the classifier on a table of facts, and the
// real answer for a private instance, a plain directory and the host;
// install's probe through the kernel (a wrong emulator is caught).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { classifyInstance, describeInstance, mountTypesAt, type InstanceFacts } from '../src/host/instance.js';
import { needSandbox, xarch, xarchInSandbox } from './helpers/env.js';

const INITIAL = '         0          0 4294967295\n';
const NESTED = '         0       1000          1\n';
const base: InstanceFacts = { uidMap: INITIAL, mountTypes: [], hasRegister: false, perUserNamespace: true, container: null };

test('classifyInstance: every case', () => {
  const cases: [Partial<InstanceFacts>, string, boolean | null][] = [
    [{ mountTypes: ['binfmt_misc'] }, 'host', true],
    [{ mountTypes: ['binfmt_misc'], container: 'docker' }, 'host', true],
    [{ mountTypes: ['binfmt_misc'], uidMap: NESTED }, 'user-namespace', false],
    [{ mountTypes: ['binfmt_misc'], uidMap: NESTED, perUserNamespace: false }, 'host', true],
    [{ mountTypes: ['autofs'] }, 'automount', null],
    [{ mountTypes: ['autofs', 'binfmt_misc'] }, 'host', true],
    [{}, 'not-mounted', null],
    [{ hasRegister: true }, 'directory', false],
    [{ mountTypes: ['tmpfs'] }, 'not-mounted', null],
  ];
  for (const [facts, kind, hostInstance] of cases) {
    const r = classifyInstance({ ...base, ...facts });
    assert.deepEqual([r.kind, r.hostInstance], [kind, hostInstance], JSON.stringify(facts));
  }
  assert.match(classifyInstance({ ...base, mountTypes: ['binfmt_misc'], container: 'docker' }).detail, /host's instance .*inside a docker container/);
});

test('mountTypesAt reads mountinfo, octal escapes and stacking', () => {
  const info = [
    '36 25 0:32 / /proc/sys/fs/binfmt_misc rw,relatime shared:12 - autofs systemd-1 rw,fd=29',
    '99 36 0:50 / /proc/sys/fs/binfmt_misc rw,nosuid shared:50 - binfmt_misc binfmt_misc rw',
    '40 25 0:33 / /a\\040b rw - tmpfs tmpfs rw',
  ].join('\n');
  assert.deepEqual(mountTypesAt(info, '/proc/sys/fs/binfmt_misc'), ['autofs', 'binfmt_misc']);
  assert.deepEqual(mountTypesAt(info, '/a b'), ['tmpfs']);
});

test('a plain directory with a register file is not an instance', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-inst-'));
  try {
    writeFileSync(path.join(dir, 'register'), '');
    writeFileSync(path.join(dir, 'status'), 'enabled\n');
    assert.equal(describeInstance(dir).kind, 'directory');
    const r = xarch(['status', '--binfmt-dir', dir, '--json']);
    assert.equal(JSON.parse(r.stdout).instance.kind, 'directory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the host: status says whose instance /proc/sys/fs/binfmt_misc is', () => {
  const r = JSON.parse(xarch(['status', '--json']).stdout);
  assert.equal(r.instance.userNamespace, 'initial');
  assert.equal(r.instance.kind, r.mounted ? 'host' : 'not-mounted');
  assert.match(xarch(['status']).stdout, /^instance: /m);
});

test('a private instance: status and verify say it is not the host\'s', { skip: needSandbox() }, () => {
  const r = xarchInSandbox(['status', '--json']);
  const s = JSON.parse(r.stdout);
  assert.deepEqual([s.instance.kind, s.instance.hostInstance, s.instance.userNamespace], ['user-namespace', false, 'nested']);
  const v = xarchInSandbox(['verify', 'aarch64', '--sandbox']);
  assert.match(v.stdout, /^instance: a user namespace's private instance/m);
});

test('install probes what it registered; --no-verify skips; a wrong emulator fails the item', { skip: needSandbox() }, () => {
  const ok = xarchInSandbox(['install', 'arm64', '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const item = JSON.parse(ok.stdout.trim());
  assert.deepEqual([item.status, item.probe.ok, item.probe.result, item.probe.entry], ['installed', true, 'ok', 'qemu-aarch64']);
  const skipped = JSON.parse(xarchInSandbox(['install', 'arm64', '--json', '--no-verify']).stdout.trim());
  assert.equal(skipped.status, 'installed');
  assert.equal(skipped.probe, undefined);
  // qemu-arm under the aarch64 emulator's name: the kernel accepts the entry, the probe cannot run.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-fake-emu-'));
  try {
    cpSync('/usr/bin/qemu-arm-static', path.join(dir, 'qemu-aarch64-static'));
    const bad = xarchInSandbox(['install', 'arm64', '--dir', dir, '--json']);
    assert.equal(bad.status, 1);
    const b = JSON.parse(bad.stdout.trim());
    assert.deepEqual([b.status, b.probe.ok, b.probe.result, b.error.code], ['failed', false, 'wrong-output', 'PROBE_FAILED']);
    assert.match(b.reason, /registered, but the probe did not run/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
