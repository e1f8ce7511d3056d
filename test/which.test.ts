import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTarget, isHostTarget } from '../src/core/arch.js';
import { CLI, needSandbox, xarch, xarchInSandbox, fixtureRoot, needFixture } from './helpers/env.js';

test('xarch which: JSON, human output and exit codes in a private instance', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-which-'));
  try {
    writeFileSync(path.join(tmp, 'q'), 'QZ');
    writeFileSync(path.join(tmp, 'none'), 'ZZ');
    writeFileSync(path.join(tmp, 'doc.foo'), 'ZZ');
    const setup = [
      `printf ':old:M::Q::/bin/old:' > "$XARCH_SANDBOX_BINFMT/register"`,
      `printf ':new:M::QZ::/bin/new:P' > "$XARCH_SANDBOX_BINFMT/register"`,
      `printf ':off:M::QZ::/bin/off:' > "$XARCH_SANDBOX_BINFMT/register"`,
      `echo 0 > "$XARCH_SANDBOX_BINFMT/off"`,
      `printf ':ext:E::foo::/bin/ext:' > "$XARCH_SANDBOX_BINFMT/register"`,
    ].join('\n');
    const files = ['q', 'none', 'doc.foo'].map((f) => path.join(tmp, f));
    const j = xarchInSandbox(['which', '--json', ...files], { setup });
    assert.equal(j.status, 1, j.stderr); // 'none' has no entry
    const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [path.basename(l.file), l.entry]), [['q', 'new'], ['none', null], ['doc.foo', 'ext']]);
    assert.equal(lines[0].interpreter, '/bin/new');
    assert.deepEqual(lines[0].skipped, ['off']);
    assert.deepEqual(lines[1].nearMisses[0], { name: 'new', reason: 'byte 0 is 0x5a, the magic wants 0x51 under mask 0xff', firstDiff: { offset: 0, fileByte: 0x5a, magicByte: 0x51, mask: 0xff }, matchedBytes: 0 });

    const h = xarchInSandbox(['which', files[0]!], { setup });
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /q: new → \/bin\/new \(flags P\)/);
    assert.match(h.stdout, /skipped \(disabled\): off/);

    const missing = xarchInSandbox(['which', path.join(tmp, 'nope'), files[0]!], { setup });
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /nope: error: .*does not exist/);
    assert.match(missing.stdout, /q: new/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('xarch which: usage and an unmounted directory', () => {
  const u = xarch(['which']);
  assert.equal(u.status, 2);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-which-'));
  try {
    const r = xarch(['which', '--binfmt-dir', path.join(tmp, 'nothing'), '/bin/sh']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not mounted/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('xarch rule check: JSON contract, --from bytes, exit codes', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-rule-'));
  try {
    const f = path.join(tmp, 'nul.rule');
    writeFileSync(f, Buffer.from(':n:M::a\0b::/x:\n', 'latin1'));
    const ok = path.join(tmp, 'interp');
    writeFileSync(ok, '#!/bin/sh\n');
    chmodSync(ok, 0o644);
    const r = xarch(['rule', 'check', '--json', ':a:M:+7:ab::/x:PC', '--from', f, `:f:M::ab::${ok}:F`, ':register:E::x::/x:']);
    assert.equal(r.status, 1, r.stderr);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(out.length, 4);
    assert.deepEqual(out.map((o) => [o.source, o.valid, o.errno]), [[':a:M:+7:ab::/x:PC', true, undefined], [f, true, undefined], [`:f:M::ab::${ok}:F`, false, 'EACCES'], [':register:E::x::/x:', false, 'EEXIST']]);
    assert.equal(out[0].entry, 'enabled\ninterpreter /x\nflags: POC\noffset 7\nmagic 6162\n');
    assert.equal(out[1].entry, 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 61\n');
    const good = xarch(['rule', 'check', ':a:E::foo::/usr/bin/true:']);
    assert.equal(good.status, 0);
    assert.match(good.stdout, /^OK/);
    assert.equal(xarch(['rule', 'check']).status, 2);
    assert.equal(xarch(['rule', 'frobnicate']).status, 2);
    const lint = xarch(['rule', 'lint', ':x:M::\\x7fELF\\x02\\x01\\x01::/bin/true:C']);
    assert.equal(lint.status, 1);
    assert.match(lint.stdout, /MATCHES_HOST_BINARIES/);
    assert.match(lint.stdout, /C_FLAG/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// Debian fixture binaries: the derived rule matches its own sample, is
// accepted by the parser, and names the catalogue target.
const DERIVE: [Parameters<typeof fixtureRoot>[0], string, string][] = [
  ['arm64', 'bin/busybox', 'aarch64'], ['armhf', 'bin/busybox', 'arm'], ['armel', 'bin/busybox', 'arm'], ['i386', 'bin/busybox', 'i386'],
  ['mips64el', 'bin/busybox', 'mips64el'], ['mipsel', 'bin/busybox', 'mipsel'], ['ppc64el', 'bin/busybox', 'ppc64le'], ['s390x', 'bin/busybox', 's390x'],
  ['arm64', 'usr/bin/hello', 'aarch64'], ['mipsel', 'usr/bin/hello', 'mipsel'], ['s390x', 'usr/bin/hello', 's390x'],
];
for (const [arch, rel, target] of DERIVE) {
  test(`xarch rule derive on Debian ${arch} ${rel}`, { skip: needFixture(arch) }, () => {
    const file = path.join(fixtureRoot(arch)!, rel);
    const r = xarch(['rule', 'derive', '--json', file]);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.target, target);
    assert.equal(o.rule.name, `qemu-${target}`);
    assert.equal(o.rule.flags, 'F');
    // i386 on an x86_64 host is the host's own family: derive still prints it, lint says so.
    const expected = isHostTarget(getTarget(target)!, os.machine()) ? ['MATCHES_HOST_BINARIES'] : [];
    assert.deepEqual(o.lint.map((f: { code: string }) => f.code).filter((c: string) => c !== 'F_DYNAMIC_INTERPRETER'), expected);
    const check = xarch(['rule', 'check', '--json', o.line]);
    assert.equal(JSON.parse(check.stdout).valid, true);
    const h = xarch(['rule', 'derive', file, '--name', 'mine', '--interpreter', '/opt/q', '--flags', 'POC']);
    assert.match(h.stdout, /^:mine:M:0:\\x7f\\x45\\x4c\\x46.*:\/opt\/q:POC\n$/);
  });
}

test('xarch rule derive refuses non-ELF files', () => {
  const r = xarch(['rule', 'derive', '/etc/hostname']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not an ELF file/);
});

// Issue 11: a FIFO (or any non-regular file) as interpreter or FILE made
// these commands wait forever for a writer. Each must now answer at once.
test('FIFOs, sockets and devices never block: rule lint, rule check, which, inspect, rule derive', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-fifo-'));
  try {
    const fifo = path.join(tmp, 'f');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const binfmt = path.join(tmp, 'binfmt');
    mkdirSync(binfmt);
    writeFileSync(path.join(binfmt, 'status'), 'enabled\n');
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.error, undefined, `xarch ${args.join(' ')} did not return: ${r.error}`);
      return r;
    };
    const hostMagic = ':x:M::\\x7fELF\\x02\\x01\\x01::';
    const lint = run(['rule', 'lint', `${hostMagic}${fifo}:PO`]);
    assert.equal(lint.status, 1); // the magic matches the host's binaries
    assert.match(lint.stdout, /MATCHES_HOST_BINARIES/);
    for (const flags of ['PO', '']) {
      const check = run(['rule', 'check', '--json', `${hostMagic}${fifo}:${flags}`]);
      assert.equal(check.status, 0, check.stderr);
      assert.equal(JSON.parse(check.stdout).valid, true);
    }
    // F opens the interpreter at registration: the kernel refuses a FIFO with EACCES.
    assert.equal(JSON.parse(run(['rule', 'check', '--json', `${hostMagic}${fifo}:F`]).stdout).errno, 'EACCES');
    const which = run(['which', '--json', '--binfmt-dir', binfmt, fifo, '/dev/null', tmp]);
    assert.equal(which.status, 1);
    const lines = which.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.entry, l.error.code]), [[null, 'PATH_NOT_FILE'], [null, 'PATH_NOT_FILE'], [null, 'PATH_NOT_FILE']]);
    assert.equal(lines[0].error.message, `${fifo} is not a regular file (exec would fail with EACCES)`);
    assert.equal(lines[2].error.message, `${tmp} is a directory, not a file (exec would fail with EACCES)`);
    const inspect = run(['inspect', fifo, '/dev/null']);
    assert.equal(inspect.status, 1);
    assert.equal(inspect.stderr, `xarch: ${fifo} is not a regular file\n  hint: give a regular file\nxarch: /dev/null is not a regular file\n  hint: give a regular file\n`);
    const derive = run(['rule', 'derive', fifo]);
    assert.equal(derive.status, 1);
    assert.match(derive.stderr, /is not a regular file/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
