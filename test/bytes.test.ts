// core/bytes.ts: byte strings, hex in its three forms, and the one
// magic/mask comparison that the catalogue (headerMatches), the matcher
// (matchRule) and lint all use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  byteString, displayBytes, escapeHex, firstMaskedMismatch, fromHex, maskedByteMatches, stringBytes, textToByteString, toHex, unescapeHex,
} from '../src/core/bytes.js';
import { TARGETS, headerMatches, targetsForHeader } from '../src/core/arch.js';
import { matchRule } from '../src/core/match.js';
import { parseRegister, type Rule } from '../src/core/rule.js';

const ALL = Uint8Array.from({ length: 256 }, (_, i) => i);

test('byte strings: every byte round-trips; text is UTF-8; display escapes control and invalid bytes', () => {
  assert.deepEqual(stringBytes(byteString(ALL)), ALL);
  assert.equal(byteString(ALL).length, 256);
  assert.equal(byteString(new Uint8Array(20000).fill(0x41)), 'A'.repeat(20000), 'longer than one fromCharCode batch');
  assert.deepEqual(stringBytes('é'), Uint8Array.of(0xe9), 'a char up to U+00FF is one byte');
  assert.deepEqual(stringBytes('→'), Uint8Array.of(0xe2, 0x86, 0x92), 'above U+00FF the string is text: UTF-8');
  assert.equal(textToByteString('é'), '\xc3\xa9');
  const rows: [string, string][] = [
    ['qemu-aarch64', 'qemu-aarch64'],
    [textToByteString('café'), 'café'], // valid UTF-8 shows decoded
    ['a\nb\x7f', 'a\\x0ab\\x7f'],
    ['\xff\xfe', '\\xff\\xfe'], // invalid UTF-8: bytes >= 0x80 escaped
    ['back\\slash', 'back\\slash'],
  ];
  for (const [s, want] of rows) assert.equal(displayBytes(s), want, JSON.stringify(s));
});

test('hex: toHex/fromHex and escapeHex/unescapeHex are inverses over every byte', () => {
  assert.equal(toHex(Uint8Array.of(0x7f, 0x45, 0x00, 0xff)), '7f4500ff');
  assert.deepEqual(fromHex(toHex(ALL)), ALL);
  assert.deepEqual(fromHex('7F45'), Uint8Array.of(0x7f, 0x45));
  for (const bad of ['7', '7g', 'zz']) assert.throws(() => fromHex(bad), (e: any) => e.code === 'RULE_INVALID');
  assert.equal(escapeHex(Uint8Array.of(0x7f, 0x45, 0x0a)), '\\x7f\\x45\\x0a');
  assert.deepEqual(unescapeHex(escapeHex(ALL)), ALL);
  assert.deepEqual(unescapeHex('\\x7fELF'), Uint8Array.of(0x7f, 0x45, 0x4c, 0x46), 'plain chars stand for themselves');
  // The register line decodes what escapeHex writes.
  const r = parseRegister(`:t:M::${escapeHex(ALL.subarray(1, 128))}::/x:`);
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.rule.magic, ALL.subarray(1, 128));
});

test('mask comparison: a table, zero fill past the end, the kernel window', () => {
  assert.equal(maskedByteMatches(0x03, 0x02, 0xfe), true);
  assert.equal(maskedByteMatches(0x01, 0x02, 0xfe), false);
  assert.equal(maskedByteMatches(0xab, 0x00, 0x00), true);
  const magic = Uint8Array.of(0x7f, 0x45, 0x02);
  const rows: [Uint8Array, Uint8Array | null, number, number, number][] = [
    // data, mask, offset, end, first mismatch
    [Uint8Array.of(0x7f, 0x45, 0x02), null, 0, 3, -1],
    [Uint8Array.of(0x7f, 0x45, 0x03), null, 0, 3, 2],
    [Uint8Array.of(0x7f, 0x45, 0x03), Uint8Array.of(0xff, 0xff, 0xfe), 0, 3, -1],
    [Uint8Array.of(0x7f, 0x45), null, 0, 2, 2], // past the end reads 0
    [Uint8Array.of(0x7f, 0x45), Uint8Array.of(0xff, 0xff, 0x00), 0, 2, -1],
    [Uint8Array.of(0, 0x7f, 0x45, 0x02), null, 1, 4, -1], // at an offset
    [Uint8Array.of(0, 0x7f, 0x45, 0x02), null, 1, 3, 2], // the window ends before the data does
  ];
  for (const [data, mask, offset, end, want] of rows) assert.equal(firstMaskedMismatch(data, magic, mask, offset, end), want, `${toHex(data)} ${mask && toHex(mask)} @${offset}`);
});

test('mask comparison: the catalogue and the matcher agree on every target and every flipped header byte', () => {
  for (const t of TARGETS) {
    const rule: Rule = { name: t.name, type: 'M', offset: 0, magic: t.magic, mask: t.mask, extension: '', interpreter: '/x', flags: '' };
    const head = new Uint8Array(64);
    head.set(t.magic);
    for (let i = 0; i < t.magic.length; i++) {
      for (const bit of [0x01, 0x02, 0x20, 0x80]) {
        const h = head.slice();
        h[i]! ^= bit;
        const want = (t.mask[i]! & bit) === 0;
        assert.equal(headerMatches(t, h), want, `${t.name} byte ${i} bit ${bit}`);
        assert.equal(matchRule(rule, h, '/p').matches, want, `${t.name} byte ${i} bit ${bit}`);
      }
    }
    assert.ok(targetsForHeader(head).includes(t), t.name);
  }
});
