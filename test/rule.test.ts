import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseRegister, renderEntry, renderRegister, parseEntry, ruleFromTarget,
  canonicalFlags, registerBytes, sameRule, type Rule,
} from '../src/core/rule.js';
import { deriveRule } from '../src/core/derive.js';
import { displayBytes } from '../src/core/bytes.js';
import { TARGETS, getTarget } from '../src/core/arch.js';
import { elfHeaderFor } from '../src/core/lint.js';
import { parseBinfmtDLine, parseBinfmtD, renderBinfmtD } from '../src/formats/binfmt-d.js';

// [line, expected errno or entry text] — each row was checked against Linux
// 6.18 by test/kernel-diff.test.ts, which also covers thousands more.
const TABLE: [string, string][] = [
  [':a:M::ab::/x:', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 6162\n'],
  [':a:M:+7:ab::/x:PPOC\n', 'enabled\ninterpreter /x\nflags: POC\noffset 7\nmagic 6162\n'],
  [':a:M:-0:ab::/x:', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 6162\n'],
  [':a:M:010:ab::/x:', 'enabled\ninterpreter /x\nflags: \noffset 10\nmagic 6162\n'],
  [':a:M:7\n:ab::/x:', 'enabled\ninterpreter /x\nflags: \noffset 7\nmagic 6162\n'],
  [':a:M:-1:ab::/x:', 'EINVAL'],
  [':a:M: 1:ab::/x:', 'EINVAL'],
  [':a:M:0x10:ab::/x:', 'EINVAL'],
  [':a:M:1e2:ab::/x:', 'EINVAL'],
  [':a:M:255:ab::/x:', 'EINVAL'],
  [':a:M:254:ab::/x:', 'enabled\ninterpreter /x\nflags: \noffset 254\nmagic 6162\n'],
  [':a:M::\\x7fELF:\\xff\\x00\\xFF\\xff:/x:C', 'enabled\ninterpreter /x\nflags: OC\noffset 0\nmagic 7f454c46\nmask ff00ffff\n'],
  [':a:M::\\X41\\n::/x:', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 5c5834315c6e\n'],
  [':a:M::\\xZZ::/x:', 'EINVAL'],
  [':a:M::\\\\xZZ::/x:', 'EINVAL'],
  [':a:M::\\x414::/x:', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 4134\n'],
  [':a:M::a\0b::/x:', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 61\n'],
  [':a:M::ab:\0:/x:', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 6162\n'],
  [':a:M::\0a::/x:', 'EINVAL'],
  [':a:M::abc:ab:/x:', 'EINVAL'],
  [':a:E:junk:b\\x41:\\xZZ:/x:F', 'enabled\ninterpreter /x\nflags: F\nextension .b\\x41\n'],
  [':a:E:\0:ext::/x:', 'EINVAL'],
  [':a:E::a/b::/x:', 'EINVAL'],
  [':a:E::::/x:', 'EINVAL'],
  [':a:M::ab::/x', 'EINVAL'],
  [':a:M::ab::/x:P\n\n', 'EINVAL'],
  [':a:M::ab::/x:p', 'EINVAL'],
  [':a:M::ab:::', 'EINVAL'],
  ['PaPMPPabPP/xP\n', 'EINVAL'],
  ['\0a\0M\0\0ab\0\0/x\0', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 6162\n'],
  ['\na\nM\n\nab\n\n/x\n', 'EINVAL'],
  ['\na\nM\n\nab\n\n/x\n\n', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 6162\n'],
  [':a:E::b::c:', 'enabled\ninterpreter c\nflags: \nextension .b\n'],
  [':a:E::b::c', 'EINVAL'],
  [':.:M::ab::/x:', 'EINVAL'],
  [':a/b:M::ab::/x:', 'EINVAL'],
  [':register:M::ab::/x:', 'EEXIST'],
  [':status:E::b::/x:', 'EEXIST'],
  [`:${'n'.repeat(255)}:M::ab::/x:`, `enabled\ninterpreter /x\nflags: \noffset 0\nmagic 6162\n`],
  [`:${'n'.repeat(256)}:M::ab::/x:`, 'ENAMETOOLONG'],
  [`:a:M::ab::/${'i'.repeat(1908)}:`, `enabled\ninterpreter /${'i'.repeat(1908)}\nflags: \noffset 0\nmagic 6162\n`], // 1920 bytes
  [`:a:M::ab::/${'i'.repeat(1909)}:`, 'EINVAL'], // 1921 bytes
  [`:a:M::ab::/${'i'.repeat(1907)}:\n`, `enabled\ninterpreter /${'i'.repeat(1907)}\nflags: \noffset 0\nmagic 6162\n`], // 1920 with the newline
];

test('parseRegister/renderEntry: table of kernel-verified lines', () => {
  for (const [line, want] of TABLE) {
    const r = parseRegister(line);
    const got = r.ok ? renderEntry(r.rule) : r.errno;
    assert.equal(got, want, JSON.stringify(line));
  }
});

test('errno precedence: syntax, then the F interpreter, then the name', () => {
  const open = (ip: string) => (ip === '/missing' ? 'ENOENT' : ip === '/dir' ? 'EACCES' : null);
  const cases: [string, string | null][] = [
    [':status:M::ab::/missing:F', 'ENOENT'],
    [`:${'n'.repeat(300)}:M::ab::/dir:F`, 'EACCES'],
    [':status:M:-1:ab::/missing:F', 'EINVAL'],
    [':status:M::ab::/ok:F', 'EEXIST'],
    [':a:M::ab::/missing:', null],
    [':a:M::ab::/ok:F', null],
    [':dup:M::ab::/ok:', 'EEXIST'],
  ];
  for (const [line, errno] of cases) {
    const r = parseRegister(line, { openInterpreter: open, existing: ['dup'] });
    assert.equal(r.ok ? null : r.errno, errno, line);
  }
});

test('renderRegister round-trips through parseRegister, picking a free delimiter', () => {
  const rules: Rule[] = [
    { name: 'a', type: 'M', offset: 3, magic: Uint8Array.from([0x3a, 0, 0xff]), mask: Uint8Array.from([0xff, 0, 0xfe]), extension: '', interpreter: '/x', flags: 'OC' },
    { name: 'with:colon', type: 'E', offset: 0, magic: new Uint8Array(0), mask: null, extension: 'e:x', interpreter: '/a:b', flags: 'PF' },
    { name: 'caf\xc3\xa9 \xff', type: 'M', offset: 0, magic: Uint8Array.from([0x5c, 0x78]), mask: null, extension: '', interpreter: '/x y', flags: '' },
    ...TARGETS.map((t) => ruleFromTarget(t, { interpreter: `/usr/bin/qemu-${t.cpu}-static`, flags: 'F' })),
  ];
  for (const rule of rules) {
    const line = renderRegister(rule);
    const r = parseRegister(registerBytes(rule));
    assert.ok(r.ok, line);
    assert.ok(sameRule(r.rule, rule), line);
    const back = parseEntry(rule.name, renderEntry(rule, false));
    assert.equal(back.enabled, false);
    assert.ok(sameRule(back.rule, rule), line);
  }
  assert.match(renderRegister(rules[1]!), /^\|with:colon\|E\|/);
});

test('parseEntry reads interpreters with newlines and rejects other text', () => {
  const r = parseEntry('n', 'enabled\ninterpreter /a\nflags: b\nflags: P\noffset 0\nmagic 41\n');
  assert.equal(r.rule.interpreter, '/a\nflags: b');
  assert.equal(r.rule.flags, 'P');
  assert.throws(() => parseEntry('n', 'enabled\n'), /cannot parse/);
});

test('ruleFromTarget uses the catalogue magic and mask', () => {
  const t = getTarget('aarch64')!;
  const r = ruleFromTarget(t, { interpreter: '/usr/bin/qemu-aarch64-static', flags: 'CF' });
  assert.equal(r.name, 'qemu-aarch64');
  assert.equal(r.flags, 'OCF');
  assert.equal(renderEntry(r), 'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OCF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff0000fffffffffffffffeffffff\n');
});

test('binfmt.d lines: comments, whitespace, round trip', () => {
  assert.equal(parseBinfmtDLine('# comment'), null);
  assert.equal(parseBinfmtDLine('  ; other'), null);
  assert.equal(parseBinfmtDLine('   '), null);
  const r = parseBinfmtDLine('  :a:M::ab::/x:F  ');
  assert.ok(r && r.ok && r.rule.name === 'a' && r.rule.flags === 'F');
  const bad = parseBinfmtDLine(':a:M:-1:ab::/x:');
  assert.ok(bad && !bad.ok && bad.errno === 'EINVAL');
  const t = getTarget('riscv64')!;
  const text = renderBinfmtD([ruleFromTarget(t, { interpreter: '/usr/bin/qemu-riscv64-static', flags: 'F' })], 'written by xarch');
  const parsed = parseBinfmtD(text);
  assert.equal(parsed.length, 1);
  assert.equal(parsed[0]!.line, 2);
  assert.ok(parsed[0]!.result.ok);
});

test('flags and display helpers', () => {
  for (const [i, o] of [['', ''], ['C', 'OC'], ['FCPO', 'POCF'], ['PPP', 'P']]) assert.equal(canonicalFlags(i!), o);
  assert.equal(displayBytes('caf\xc3\xa9'), 'café');
  assert.equal(displayBytes('a\xffb\n'), 'a\\xffb\\x0a');
});

test('deriveRule (pure): the catalogue rule for a header, the installed emulator, MIPS ABI bit, refusals', () => {
  const t = getTarget('aarch64')!;
  const head = elfHeaderFor(t, 3, 3); // a PIE with OSABI GNU
  const { rule, target } = deriveRule(head, { file: 'x' });
  assert.equal(target, 'aarch64');
  assert.deepEqual([rule.name, rule.interpreter, rule.flags], ['qemu-aarch64', '/usr/bin/qemu-aarch64-static', 'F']);
  assert.deepEqual(rule.magic, Uint8Array.from(t.magic).map((b, i) => b & t.mask[i]!));
  assert.deepEqual(rule.mask, t.mask);
  // The emulator found where it is installed (IO injected), else Debian's static path.
  assert.equal(deriveRule(head, { file: 'x', exists: (p) => p === '/usr/bin/qemu-aarch64' }).rule.interpreter, '/usr/bin/qemu-aarch64');
  assert.equal(deriveRule(head, { file: 'x', exists: () => false }).rule.interpreter, '/usr/bin/qemu-aarch64-static');
  assert.equal(deriveRule(head, { file: 'x', interpreter: '/opt/q', name: 'n', flags: 'CP' }).rule.flags, 'POC');
  // 32-bit MIPS: o32 and n32 stay apart by EF_MIPS_ABI2.
  for (const name of ['mipsel', 'mipsn32el', 'mips', 'mipsn32']) {
    const m = getTarget(name)!;
    const h = new Uint8Array(64);
    h.set(m.magic);
    h[16 + (m.byteOrder === 'little' ? 0 : 1)] = 2;
    const d = deriveRule(h, { file: name });
    assert.equal(d.target, name);
    assert.equal(d.rule.magic.length, 40);
  }
  assert.throws(() => deriveRule(new TextEncoder().encode('#!/bin/sh\n'), { file: 's' }), (e: any) => e.code === 'ELF_NOT_ELF');
  assert.throws(() => deriveRule(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2), { file: 's' }), (e: any) => e.code === 'ELF_TRUNCATED');
  const odd = head.slice();
  odd[18] = 0x34; odd[19] = 0x12;
  assert.deepEqual([deriveRule(odd, { file: 'o' }).target, deriveRule(odd, { file: 'o' }).rule.name], [null, 'elf-machine-4660']);
});
