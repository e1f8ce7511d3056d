import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRule, pathExtension, whichEntry, type LiveEntry } from '../src/core/match.js';
import { parseRegister, type Rule } from '../src/core/rule.js';

const rule = (line: string): Rule => {
  const r = parseRegister(line);
  assert.ok(r.ok, line);
  return r.rule;
};
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

test('pathExtension: text after the last dot of the whole path', () => {
  const t: [string, string | null][] = [['/a/b.foo', 'foo'], ['/a.b/c', 'b/c'], ['./x', '/x'], ['x', null], ['a.tar.gz', 'gz'], ['a.', ''], ['.foo', 'foo']];
  for (const [p, e] of t) assert.equal(pathExtension(p), e, p);
});

test('matchRule: magic, mask, offset, zero padding, extensions', () => {
  const cases: [string, string, string, boolean, number?][] = [
    [':r:M::QZ::/x:', 'QZW', '/f', true],
    [':r:M::QZ::/x:', 'QW', '/f', false, 1],
    [':r:M::Q\\x00\\x00::/x:', 'Q', '/f', true], // past EOF reads as zero
    [':r:M::Q\\x01::/x:', 'Q', '/f', false, 1],
    [':r:M:2:Z::/x:', 'QQZ', '/f', true],
    [':r:M:2:Z::/x:', 'QZ', '/f', false, 2],
    [':r:M::\\x50:\\xf0:/x:', 'Q', '/f', true],
    [':r:M::\\x50:\\xff:/x:', 'Q', '/f', false, 0],
    [':r:M:255:\\x00::/x:', '', '/f', true],
    [':r:E::foo::/x:', '', '/d/f.foo', true],
    [':r:E::foo::/x:', '', '/d/f.FOO', false],
    [':r:E::foo::/x:', '', '/d.foo/f', false],
    [':r:E::gz::/x:', '', 'f.tar.gz', true],
  ];
  for (const [line, head, p, want, diffAt] of cases) {
    const m = matchRule(rule(line), bytes(head), p);
    assert.equal(m.matches, want, `${line} ${head} ${p}`);
    if (diffAt !== undefined) assert.equal(m.firstDiff?.offset, diffAt);
  }
  const m = matchRule(rule(':r:M::QZ:\\xff\\xf0:/x:'), bytes('QA'), '/f');
  assert.deepEqual(m.firstDiff, { offset: 1, expected: 0x5a, actual: 0x41, mask: 0xf0 });
});

test('whichEntry: newest first, disabled skipped, first match final, global switch', () => {
  const e = (line: string, enabled = true): LiveEntry => { const r = rule(line); return { name: r.name, enabled, rule: r }; };
  const entries = [e(':new:M::Q::/n:', false), e(':mid:M::Q::/m:'), e(':old:M::QZ::/o:'), e(':ext:E::foo::/e:')];
  const w = whichEntry(entries, true, bytes('QZ'), '/f.foo');
  assert.equal(w.entry?.name, 'mid');
  assert.deepEqual(w.skipped, ['new']);
  assert.equal(whichEntry(entries, false, bytes('QZ'), '/f').entry, null);
  const none = whichEntry(entries, true, bytes('ZZ'), '/f');
  assert.equal(none.entry, null);
  assert.deepEqual(none.nearMisses.map((n) => n.name), ['mid', 'old', 'ext']);
  assert.equal(whichEntry(entries, true, bytes('ZZ'), '/f.foo').entry?.name, 'ext');
  assert.equal(whichEntry([], true, bytes('ZZ'), '/f').entry, null);
});
