// xarch export --format systemd-unit: the unit runs `xarch agent`, and
// systemd itself accepts it (systemd-analyze verify).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderSystemdUnit } from '../src/formats/systemd-unit.js';
import { CLI, needCommand, xarch } from './helpers/env.js';

test('the unit: Type=simple after the binfmt_misc mount, ExecStart runs the agent, no hardening that blocks /proc/sys', () => {
  const unit = renderSystemdUnit({ arches: ['arm64', 'linux/s390x'] });
  assert.match(unit, /^Type=simple$/m);
  assert.match(unit, /^After=proc-sys-fs-binfmt_misc\.mount /m);
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/xarch agent --arches aarch64,s390x --state-dir \/run\/xarch$/m);
  assert.match(unit, /^RuntimeDirectory=xarch$/m);
  assert.match(unit, /^CapabilityBoundingSet=CAP_SYS_ADMIN$/m);
  for (const blocks of ['ProtectKernelTunables', 'MemoryDenyWriteExecute', 'SystemCallArchitectures']) assert.doesNotMatch(unit, new RegExp(`^${blocks}=`, 'm'));
  assert.match(renderSystemdUnit({}), /^ExecStart=\/usr\/local\/bin\/xarch agent --state-dir \/run\/xarch$/m);
  assert.match(renderSystemdUnit({ emulators: '4801efae086393a9' }), /^ExecStart=\/usr\/local\/bin\/xarch agent --emulators 4801efae086393a9 --state-dir \/run\/xarch$/m);
  assert.match(renderSystemdUnit({ xarch: '/opt/x 1/xarch' }), /^ExecStart="\/opt\/x 1\/xarch" agent/m);
});

test('export --format systemd-unit prints it; --out-dir writes xarch-agent.service; bad input is one line', () => {
  const r = xarch(['export', '--format', 'systemd-unit', '--arches', 'arm64']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, renderSystemdUnit({ arches: ['arm64'] }));
  const bad = xarch(['export', '--format', 'systemd-unit', '--arches', 'nonesuch']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^xarch: unknown architecture 'nonesuch'\n {2}hint: /);
  const usage = xarch(['export', '--format', 'systemd-unit', '--image', 'x']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--image is not an option of the systemd-unit format/);
  assert.equal(xarch(['export', '--format', 'systemd-unit', 'qemu-arm']).status, 2);
});

test('systemd-analyze verify accepts the unit', { skip: needCommand('systemd-analyze', 'systemd') }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-unit-'));
  try {
    // verify checks that ExecStart's program exists: point it at this checkout's launcher.
    const file = path.join(dir, 'xarch-agent.service');
    writeFileSync(file, renderSystemdUnit({ arches: ['arm64'], xarch: CLI }));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings');
    // It does object to a broken unit: the check is real.
    writeFileSync(file, renderSystemdUnit({ arches: ['arm64'], xarch: CLI }).replace('Type=simple', 'Type=bogus'));
    const bad = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
    assert.match(bad.stderr, /xarch-agent\.service:\d+: Failed to parse service type/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
