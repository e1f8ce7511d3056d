// The registry of renderers (src/formats): every format against every flag
// combination (what it carries round-trips, what it cannot is a warning),
// and export's --format list, --help and validation read from the table,
// proven by adding a format to it here and nowhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FORMATS, formatChoices, getFormat } from '../src/formats/registry.js';
import { defineFormat, droppedFlags, type Format, type FormatEntry } from '../src/formats/format.js';
import { parseDebianBinfmt } from '../src/formats/debian.js';
import { canonicalFlags, renderEntry, renderRegister, ruleFromTarget, sameRule, type Rule } from '../src/core/rule.js';
import { getTarget } from '../src/core/arch.js';
import { main } from '../src/cli/main.js';
import { bufferIo } from '../src/cli/io.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-formats-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

// A format added the way a new one would be: one entry pushed into the table
// (before export.js is first loaded, as it reads the table once).
const lines = defineFormat({
  name: 'lines',
  description: 'bare register lines, one file per entry (added by test/formats.test.ts)',
  carries: { flags: 'PF', disabled: true },
  fileName: (name) => `${name}.line`,
  renderEntry: ({ rule }) => renderRegister(rule) + '\n',
});
const REAL = FORMATS.map((f) => f.name);
(FORMATS as Format[]).push(lines);

const aarch64 = getTarget('aarch64')!;
const mRule = (flags: string): Rule => ruleFromTarget(aarch64, { interpreter: '/usr/bin/qemu-aarch64-static', flags });
const eRule = (flags: string): Rule => ({ name: 'ext', type: 'E', offset: 0, magic: new Uint8Array(0), mask: null, extension: 'foo', interpreter: '/bin/true', flags: canonicalFlags(flags) });
const ALL_FLAGS = [...new Set(Array.from({ length: 16 }, (_, i) => canonicalFlags([...'POCF'].filter((_, b) => i & (1 << b)).join(''))))];

/** A directory laid out like a binfmt_misc mount (the kernel's entry text, see renderEntry), for export in-process. */
function binfmtDir(entries: FormatEntry[]): string {
  const dir = mkdtempSync(path.join(work, 'binfmt-'));
  writeFileSync(path.join(dir, 'register'), '');
  writeFileSync(path.join(dir, 'status'), 'enabled\n');
  for (const e of entries) writeFileSync(path.join(dir, e.rule.name), Buffer.from(renderEntry(e.rule, e.enabled), 'latin1'));
  return dir;
}

test('the table holds binfmt.d, debian, json and the agent deployments, each with a description and a file name', () => {
  assert.deepEqual(REAL, ['binfmt.d', 'debian', 'json', 'systemd-unit', 'kubernetes']);
  assert.deepEqual(['systemd-unit', 'kubernetes'].map((n) => getFormat(n)!.fileName('qemu-arm')), ['xarch-agent.service', 'xarch-agent.yaml']);
  assert.deepEqual(['binfmt.d', 'debian', 'json'].map((n) => getFormat(n)!.fileName('qemu-arm')), ['qemu-arm.conf', 'qemu-arm', 'qemu-arm.json']);
  for (const f of FORMATS) assert.ok(f.description && !f.description.includes('\n'), `${f.name}: one-line description`);
  assert.equal(getFormat('yaml'), undefined);
});

test('every format x every flag set x enabled/disabled x M/E: what it carries comes back, the rest is one warning each', () => {
  // The agent deployments render no entries (test/systemd-unit.test.ts, test/kubernetes.test.ts).
  for (const f of FORMATS.filter((x) => x.input !== 'agent')) {
    for (const flags of ALL_FLAGS) {
      for (const rule of [mRule(flags), eRule(flags)]) {
        for (const enabled of [true, false]) {
          const r = f.render([{ rule, enabled }]);
          const what = `${f.name} ${rule.type} '${flags}' ${enabled ? 'enabled' : 'disabled'}`;
          assert.deepEqual(r.failures, [], what);
          assert.equal(r.documents.length, 1, what);
          assert.equal(r.documents[0]!.file, f.fileName(rule.name));
          const { dropped, kept } = droppedFlags(rule, f.carries);
          const expected = (dropped ? 1 : 0) + (!enabled && !f.carries.disabled ? 1 : 0);
          assert.equal(r.warnings.length, expected, `${what}: ${JSON.stringify(r.warnings)}`);
          for (const c of dropped) assert.match(r.warnings[0]!.message, new RegExp(`\\b${c} \\(`), what);
          if (dropped) assert.match(r.warnings[0]!.message, new RegExp(`flags '${kept}'`));
          // Read back by the format itself: exactly the carried rule.
          if (f.parse) {
            const back = f.parse(r.documents[0]!.text, `/x/${r.documents[0]!.file}`);
            assert.deepEqual(back.errors, [], what);
            assert.ok(sameRule(back.rules[0]!.rule, { ...rule, flags: kept }), `${what}: read back as ${renderRegister(back.rules[0]!.rule)}`);
          }
        }
      }
    }
  }
});

test('issue 11: debian cannot carry O without C and says so; binfmt.d and json carry it', () => {
  const entry = { rule: mRule('POF'), enabled: true };
  const d = getFormat('debian')!.render([entry]);
  assert.deepEqual(d.warnings, [{ name: 'qemu-aarch64', message: "the debian format cannot carry the O (open-binary) flag; registered from it, the entry gets flags 'PF'" }]);
  assert.equal(parseDebianBinfmt(d.documents[0]!.text, 'qemu-aarch64', 'f').rule!.flags, 'PF');
  // C brings O in the kernel, so credentials yes carries both.
  assert.deepEqual(getFormat('debian')!.render([{ rule: mRule('POCF'), enabled: true }]).warnings, []);
  assert.deepEqual(getFormat('binfmt.d')!.render([entry]).warnings, []);
  assert.deepEqual(getFormat('json')!.render([entry]).warnings, []);
  assert.equal(JSON.parse(getFormat('json')!.render([entry]).text).flags, 'POF');
});

test('an entry a format cannot express fails alone; the others are rendered', () => {
  const bad = { rule: { ...mRule('F'), name: 'bad', interpreter: '/bin/a\nb' }, enabled: true };
  for (const name of ['binfmt.d', 'debian']) {
    const r = getFormat(name)!.render([bad, { rule: mRule('F'), enabled: true }]);
    assert.deepEqual(r.failures.map((x) => [x.name, x.error.code]), [['bad', 'RULE_INVALID']], name);
    assert.match(r.failures[0]!.error.message, /^rule bad cannot be written as a (binfmt\.d line|Debian binfmts file)$/);
    assert.ok(r.failures[0]!.error.hint);
    assert.deepEqual(r.documents.map((x) => x.name), ['qemu-aarch64']);
  }
});

test('debian parse errors name file:line where a line is at fault', () => {
  const p = getFormat('debian')!.parse!('package x\ninterpreter /bin/true\nmagic ab\ndetector /bin/d\n', '/usr/share/binfmts/x');
  assert.deepEqual(p.errors.map((e) => e.source), ['/usr/share/binfmts/x:4']);
  assert.deepEqual(getFormat('debian')!.parse!('package x\n', '/d/x').errors.map((e) => [e.source, e.message]), [['/d/x', 'no interpreter line']]);
  const ok = getFormat('debian')!.parse!('package x\ninterpreter /bin/true\nextension foo\npreserve yes\n', '/d/name');
  assert.equal(ok.rules[0]!.rule.name, 'name');
  assert.equal(ok.rules[0]!.source, '/d/name');
});

test("export's usage, format list, validation and --out-dir names come from the table (a format added there is complete)", async () => {
  const io = bufferIo();
  assert.equal(await main(['export', '--help'], io), 0);
  // One synopsis for the entry formats, one for the agent deployments.
  for (const agent of [false, true]) assert.ok(io.stdout.includes(`--format ${FORMATS.filter((f) => (f.input === 'agent') === agent).map((f) => f.name).join('|')} `), io.stdout);
  const width = Math.max(...FORMATS.map((f) => f.name.length));
  for (const f of FORMATS) {
    const at = io.stdout.indexOf(`\n  ${f.name.padEnd(width)}  `);
    assert.ok(at >= 0, `${f.name} listed`);
    // The description, wrapped under its hanging indent, reads back whole.
    const block = io.stdout.slice(at + 1).split('\n');
    let text = block[0]!.slice(width + 4);
    for (const l of block.slice(1)) {
      if (!l.startsWith(' '.repeat(width + 4))) break;
      text += (/[ ,]$/.test(text) ? '' : ' ') + l.trim();
    }
    assert.equal(text.replace(/, /g, ','), f.description.replace(/, /g, ','));
    assert.ok(io.stdout.replace(/\n/g, ' ').includes(`${f.fileName('<name>')} for ${f.name}`), `${f.name} file name in help`);
  }
  assert.equal(formatChoices(), 'binfmt.d, debian, json, systemd-unit, kubernetes or lines');
  for (const args of [['--format', 'yaml'], []]) {
    const bad = bufferIo();
    assert.equal(await main(['export', ...args, '--binfmt-dir', work], bad), 2);
    assert.equal(bad.stderr.split('\n')[0], 'xarch: export needs --format binfmt.d, debian, json, systemd-unit, kubernetes or lines');
  }
  // The added format renders, writes files with its own names, and warns from its own carries.
  const dir = binfmtDir([{ rule: mRule('POF'), enabled: true }]);
  const out = bufferIo();
  assert.equal(await main(['export', '--format', 'lines', '--binfmt-dir', dir], out), 0);
  assert.equal(out.stdout, renderRegister(mRule('POF')) + '\n');
  assert.equal(out.stderr, "xarch: warning: qemu-aarch64: the lines format cannot carry the O (open-binary) flag; registered from it, the entry gets flags 'PF'\n");
  const od = path.join(work, 'lines-out');
  const w = bufferIo();
  assert.equal(await main(['export', '--format', 'lines', '--binfmt-dir', dir, '--out-dir', od, '--json'], w), 0);
  assert.deepEqual(readdirSync(od), ['qemu-aarch64.line']);
  assert.equal(readFileSync(path.join(od, 'qemu-aarch64.line'), 'latin1'), renderRegister(mRule('POF')) + '\n');
  const summary = JSON.parse(w.stdout.trim().split('\n').at(-1)!);
  assert.equal(summary.exported, 1);
  assert.deepEqual(summary.warnings.map((x: { name: string }) => x.name), ['qemu-aarch64']);
});

test('export goes on past an entry its format cannot express, and exits 1', async () => {
  const dir = binfmtDir([{ rule: mRule('F'), enabled: true }, { rule: { ...mRule(''), name: 'odd', interpreter: '/bin/a\nb' }, enabled: true }]);
  const io = bufferIo();
  assert.equal(await main(['export', '--format', 'binfmt.d', '--binfmt-dir', dir], io), 1);
  assert.equal(io.stdout, renderRegister(mRule('F')) + '\n');
  assert.match(io.stderr, /^xarch: rule odd cannot be written as a binfmt\.d line\n {2}hint: /);
});
