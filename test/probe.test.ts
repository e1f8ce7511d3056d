// Every probe is a valid ELF for exactly its own catalogue target and, run
// under its real QEMU emulator, prints its message and exits with 42.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildProbe, PROBE_EXIT, PROBE_TARGETS, probeMessage } from '../src/core/probe.js';
import { getTarget, targetsForHeader } from '../src/core/arch.js';

const dir = mkdtempSync(path.join(tmpdir(), 'xarch-probe-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('probes exist for the targets the issue names', () => {
  for (const t of ['aarch64', 'arm', 'riscv64', 'ppc64le', 's390x', 'mips64el', 'i386']) assert.ok(PROBE_TARGETS.includes(t), t);
});

test('an unknown target is a typed error', () => {
  assert.throws(() => buildProbe('vax'), (e: any) => e.code === 'ARCH_UNKNOWN' && /probes exist for/.test(e.hint));
});

for (const name of PROBE_TARGETS) {
  const target = getTarget(name)!;
  test(`${name} probe matches its own magic and no other target`, () => {
    const bytes = buildProbe(name);
    assert.ok(target, `${name} is in the catalogue`);
    assert.deepEqual(targetsForHeader(bytes.subarray(0, 256)).map((t) => t.name), [name]);
  });
  const emulator = name === 'x86_64' ? null : `/usr/bin/qemu-${target.cpu}-static`;
  const skip = emulator && !existsSync(emulator) ? `${emulator} is not installed (apt-get install qemu-user-static)` : false;
  if (skip) console.log(`# skip reason: ${skip}`);
  test(`${name} probe runs under ${emulator ?? 'the host CPU'}`, { skip }, () => {
    const file = path.join(dir, `probe-${name}`);
    writeFileSync(file, buildProbe(name));
    chmodSync(file, 0o755);
    const r = emulator ? spawnSync(emulator, [file], { encoding: 'utf8', timeout: 20_000 }) : spawnSync(file, { encoding: 'utf8' });
    assert.equal(r.stdout, probeMessage(name));
    assert.equal(r.status, PROBE_EXIT, r.stderr);
  });
}
