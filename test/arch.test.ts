// Target catalogue: names in every scheme, closest matches, host family,
// and the arches command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestNames, hostTargets, isHostTarget, getTarget, resolveTarget } from '../src/arch.js';
import { xarch } from './helpers/env.js';

const NAMES: [string, string, string, string?][] = [
  ['linux/arm64', 'aarch64', 'docker'], ['linux/arm/v7', 'arm', 'docker', 'v7'], ['linux/arm/v6', 'arm', 'docker', 'v6'],
  ['linux/riscv64', 'riscv64', 'docker'], ['linux/ppc64le', 'ppc64le', 'docker'], ['linux/s390x', 's390x', 'docker'],
  ['linux/386', 'i386', 'docker'], ['linux/mips64le', 'mips64el', 'docker'], ['linux/loong64', 'loongarch64', 'docker'],
  ['arm64', 'aarch64', 'docker'], ['armhf', 'arm', 'debian'], ['armel', 'arm', 'debian'], ['ppc64el', 'ppc64le', 'debian'],
  ['mips64el', 'mips64el', 'qemu'], ['i386', 'i386', 'qemu'], ['aarch64', 'aarch64', 'qemu'], ['armv7l', 'arm', 'uname'],
  ['aarch64-linux-gnu', 'aarch64', 'gnu'], ['arm-linux-gnueabihf', 'arm', 'gnu'], ['mips64el-linux-gnuabi64', 'mips64el', 'gnu'],
  ['powerpc64le-linux-gnu', 'ppc64le', 'gnu'], ['s390x-linux-gnu', 's390x', 'gnu'], ['riscv64-linux-gnu', 'riscv64', 'gnu'],
  ['mipsle', 'mipsel', 'docker'], ['386', 'i386', 'docker'], ['amd64', 'x86_64', 'docker'],
];

for (const [input, target, scheme, variant] of NAMES) {
  test(`resolve ${input} → ${target}`, () => {
    const r = resolveTarget(input);
    assert.equal(r.target.name, target);
    assert.equal(r.scheme, scheme);
    if (variant) assert.equal(r.variant, variant);
  });
}

test('an unknown name is an error listing the closest names', () => {
  assert.throws(() => resolveTarget('aarch46'), (e: any) => e.code === 'ARCH_UNKNOWN' && /aarch64/.test(e.hint));
  assert.ok(closestNames('ppc64l', 3).includes('ppc64le'));
});

test('the x86_64 host family is x86_64 and the 32-bit x86 targets; arm64 hosts own arm', () => {
  assert.deepEqual(hostTargets('x86_64').map((t) => t.name).sort(), ['i386', 'i486', 'x86_64']);
  assert.equal(isHostTarget(getTarget('aarch64')!, 'x86_64'), false);
  assert.equal(isHostTarget(getTarget('arm')!, 'aarch64'), true);
});

test('xarch arches: table, JSON, resolution and unknown names', () => {
  const t = xarch(['arches']);
  assert.equal(t.status, 0);
  assert.match(t.stdout, /^TARGET\s+FAMILY\s+EMULATOR/);
  assert.match(t.stdout, /\naarch64\s+arm\s+qemu-aarch64\s+\S+\s+foreign/);
  const j = xarch(['arches', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(j.length >= 30);
  assert.equal(j.find((x) => x.name === 'x86_64').host, true);
  const r = xarch(['arches', '--json', 'linux/arm/v6']);
  assert.deepEqual(JSON.parse(r.stdout), { ...JSON.parse(r.stdout), input: 'linux/arm/v6', target: 'arm', scheme: 'docker', variant: 'v6' });
  const bad = xarch(['arches', 'armv9z']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown architecture 'armv9z'\n\s+hint: did you mean/);
});
