// The kernel is the oracle: write many generated registration strings to a
// private binfmt_misc instance (one write(2) each), and compare what the
// kernel accepted, the errno it returned and the entry text it printed with
// parseRegister/renderEntry. Then register handlers that report their own
// name, exec files through them, and compare with `xarch which`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inSandbox, needSandbox, CLI } from './helpers/env.js';
import { parseRegister, renderEntry, renderRegister, type Rule } from '../src/core/rule.js';
import { escapeHex, byteString } from '../src/core/bytes.js';
import { matchRule } from '../src/core/match.js';
import { interpreterOpenErrno } from '../src/host/kernel.js';

// Runs inside the namespace: one write(2) per case on a fresh fd, then reads
// back and removes whatever entries appeared (names handled as raw bytes).
const REGISTER_DRIVER = String.raw`
const fs = require('fs');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const dir = input.dir;
const kept = new Set();
const list = () => fs.readdirSync(Buffer.from(dir), { encoding: 'buffer' })
  .map((n) => n.toString('latin1')).filter((n) => n !== 'register' && n !== 'status');
const out = [];
for (const c of input.cases) {
  let errno = null;
  const fd = fs.openSync(dir + '/register', 'w');
  try { fs.writeSync(fd, Buffer.from(c.b64, 'base64')); } catch (e) { errno = e.code; } finally { fs.closeSync(fd); }
  const entries = [];
  for (const n of list()) {
    if (kept.has(n)) continue;
    const p = Buffer.concat([Buffer.from(dir + '/'), Buffer.from(n, 'latin1')]);
    entries.push({ name: n, text: fs.readFileSync(p, 'latin1') });
    if (c.keep) kept.add(n); else fs.writeFileSync(p, '-1');
  }
  out.push({ errno, entries });
}
process.stdout.write(JSON.stringify(out));
`;

interface Case { line: string; keep?: boolean; note?: string }

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const X = (bytes: number[]) => escapeHex(Uint8Array.from(bytes));

/** Build the generated cases (byte strings). `I` holds interpreter paths. */
function generate(I: { ok: string; rel: string; missing: string; dir: string; noexec: string }): Case[] {
  const cases: Case[] = [];
  const add = (line: string, note?: string) => cases.push(note === undefined ? { line } : { line, note });
  const m = (name: string, off: string, magic: string, mask: string, interp: string, flags: string, d = ':', nl = '') =>
    `${d}${name}${d}M${d}${off}${d}${magic}${d}${mask}${d}${interp}${d}${flags}${nl}`;
  const e = (name: string, off: string, ext: string, mask: string, interp: string, flags: string, d = ':', nl = '') =>
    `${d}${name}${d}E${d}${off}${d}${ext}${d}${mask}${d}${interp}${d}${flags}${nl}`;

  // Every delimiter byte, with and without a trailing newline, M and E.
  for (let c = 0; c < 256; c++) {
    const d = String.fromCharCode(c);
    for (const nl of ['', '\n']) {
      add(m('n', '', 'ab', '', '/x', '', d, nl), `delimiter ${c}`);
      add(e('n', '', 'qq', '', '/x', 'P', d, nl), `delimiter ${c} E`);
      add(m('n', '1', '\\x41', '\\xff', '/x', 'O', d, nl), `delimiter ${c} escaped`);
    }
  }

  // Names.
  const names = ['a', 'qemu-aarch64', 'with space', ' ', '\n', 'tab\there', 'caf\xc3\xa9', '\xff\xfe', '\\x41', '...', '.a', 'a.',
    '.', '..', 'a/b', '/', '', 'register', 'status', 'Register', 'status2', 'x'.repeat(254), 'x'.repeat(255), 'x'.repeat(256),
    'x'.repeat(300), 'a\x00b', '\x00', 'a\x01b', '-1', '0', '1'];
  for (const n of names) {
    add(m(n, '', 'ab', '', '/x', ''));
    add(e(n, '', 'ext', '', '/x', ''));
  }

  // Offsets (kstrtoint quirks) with magic of 1 and 2 bytes.
  const offsets = ['', '0', '+7', '-0', '-00', '010', '007', '7\n', '7\n\n', '\n', '-1', '-01', ' 1', '1 ', '0x10', '1e2', '+', '-', '+-1',
    '-+0', '++1', '254', '255', '256', '257', '2147483647', '2147483648', '4294967296', '99999999999999999999', '0000000000000000000000001',
    '1\x002', '\x00', 'a', '１'];
  for (const o of offsets) for (const magic of ['a', 'ab']) add(m('n', o, magic, '', '/x', ''));

  // Escapes in magic and mask.
  const magics = ['\\x41', '\\X41', '\\\\', '\\n', '\\t', '\\101', '\\x4', '\\x4g', '\\xZZ', '\\xg1', 'a\\', '\\', '\\\\x41', '\\\\xZZ', '\\x00',
    '\\x00\\x00', '\\x3a', 'a\\x3ab', '\\x7fELF', '\\xff\\xFF\\xfF', '\\x\\x41', 'x\\x', '\\x41\\x4', '\\x414', '\\x41\\', '\\e', '\\x0', '\\xx41',
    '\\x5c\\x78\\x34\\x31', '#!', '\\x23\\x21', 'x', 'xx', '\\\\\\x41', '\xff', '\xc3\xa9', ' ', '  ', '\n', 'a\nb'];
  for (const mg of magics) {
    add(m('n', '', mg, '', '/x', ''));
    add(m('n', '', mg, mg, '/x', ''));
    add(m('n', '', 'ab', mg, '/x', ''));
  }

  // Raw NUL bytes in every field.
  const Z = '\x00';
  for (const line of [
    m('n', '', `${Z}ab`, '', '/x', ''), m('n', '', `a${Z}b`, '', '/x', ''), m('n', '', `ab${Z}`, '', '/x', ''),
    m('n', '', 'ab', `${Z}zz`, '/x', ''), m('n', '', 'ab', `z${Z}z`, '/x', ''), m('n', '', 'ab', `zz${Z}`, '/x', ''), m('n', '', 'ab', Z, '/x', ''),
    m('n', '', `\\x41${Z}\\x42`, '\\xff', '/x', ''), m('n', '', 'ab', '', `/x${Z}`, ''), m('n', '', 'ab', '', `${Z}/x`, ''), m('n', '', 'ab', '', '/x', `P${Z}`),
    m('n', '', 'ab', '', '/x', Z), m('n', Z, 'ab', '', '/x', ''), m('n', `1${Z}`, 'ab', '', '/x', ''),
    e('n', Z, 'ext', '', '/x', ''), e('n', '', `e${Z}xt`, '', '/x', ''), e('n', '', 'ext', Z, '/x', ''), e('n', '', 'ext', '', `/x${Z}`, ''),
    `:n:${Z}::ab::/x:`, `:n:M${Z}::ab::/x:`,
  ]) add(line, 'NUL');

  // Mask lengths against a 3-byte magic.
  for (const mask of ['a', 'ab', 'abc', 'abcd', 'abcde', '\\xff', '\\xff\\xff', '\\xff\\xff\\xff', '\\xff\\xff\\xff\\xff', 'a\\x00c', '\\x00\\x00\\x00', '\\x00\\x00']) {
    add(m('n', '', 'abc', mask, '/x', ''));
    add(m('n', '', '\\x01\\x02\\x03', mask, '/x', ''));
  }

  // Magic length and offset near the 256-byte window, raw and escaped.
  for (const len of [1, 2, 128, 200, 255, 256, 257]) {
    for (const off of [0, 1, 56, 128, 254, 255, 256]) {
      const raw = 'm'.repeat(len);
      add(m('n', String(off), raw, '', '/x', ''), `len ${len} off ${off}`);
      add(m('n', String(off), raw, 'M'.repeat(len), '/x', ''));
      const bytes = Array.from({ length: len }, (_, i) => (i * 37) & 0xff);
      add(m('n', String(off), X(bytes), '', '/x', ''));
      add(m('n', String(off), X(bytes), X(bytes.map((b) => b ^ 0x5a)), '/x', ''));
    }
  }

  // Total length near 11 and 1920, with and without the trailing newline.
  for (const line of [':a:E::b::c:', ':a:E::b::c', ':a:E::b::cd:', 'a:E::b::c:', ':a:M::b::c:', ':a:M::b:c:', ':a:E::b::c:\n', ':a:E::b::c:P', ':aE::b::c:']) add(line);
  for (const total of [1900, 1917, 1918, 1919, 1920, 1921, 1922, 2000, 4096]) {
    for (const nl of ['', '\n']) {
      const base = m('n', '', 'ab', '', '', 'P', ':', nl);
      const pad = total - base.length - 1;
      if (pad < 1) continue;
      add(m('n', '', 'ab', '', '/' + 'i'.repeat(pad), 'P', ':', nl), `total ${total}`);
    }
  }
  // Interpreter and extension contents.
  for (const ip of ['/x', 'x', './x', '../x', '/a b', '/a\nb', '/\xff', '\\x41', ' ', '\n', '/x ', '/x\n']) {
    add(m('n', '', 'ab', '', ip, ''));
    add(e('n', '', 'ext', '', ip, ''));
  }
  add(m('n', '', 'ab', '', '', ''));
  add(e('n', '', 'ext', '', '', ''));

  // Flags: every word over P, O, C, F up to length 3, then junk.
  const words = [''];
  for (let len = 1; len <= 3; len++) {
    const prev = words.filter((w) => w.length === len - 1);
    for (const w of prev) for (const f of 'POCF') words.push(w + f);
  }
  for (const w of words) {
    const f = w.includes('F');
    add(m('n', '', 'ab', '', f ? I.ok : '/x', w));
    if (w.length <= 2) add(e('n', '', 'ext', '', f ? I.ok : '/x', w, ':', '\n'));
  }
  for (const junk of ['p', 'X', ' ', 'P ', ' P', 'P\n\n', '\nP', 'P\r\n', 'PP\n', 'POCFPOCF', 'PF', 'Q', '\t', ':', 'P:', 'O\x00', '1']) {
    add(m('n', '', 'ab', '', '/x', junk));
  }

  // E entries: junk offsets and masks are skipped unread.
  for (const off of ['', '-1', 'zz', '\\xZZ', '0x10', '999', ' ']) {
    for (const mask of ['', '\\xZZ', 'zzz', '\\x', '\\', 'ab']) add(e('n', off, 'ext', mask, '/x', ''));
  }
  for (const ext of ['', 'a/b', '/', 'tar.gz', '.x', '..', '\\x41', ' ', 'caf\xc3\xa9', 'EXE', 'exe\n', 'x'.repeat(300)]) add(e('n', '', ext, '', '/x', ''));

  // F: the interpreter is opened at registration; then names are checked.
  for (const [ip, what] of [[I.ok, 'ok'], [I.rel, 'relative'], [I.missing, 'missing'], [I.dir, 'dir'], [I.noexec, 'noexec'], ['/dev/null', 'chardev'], ['/bin', 'dir2'], [I.ok + '/x', 'notdir']] as const) {
    for (const name of ['f', 'register', 'status', 'y'.repeat(256), '', 'a/b']) {
      for (const flags of ['F', 'PF', 'OCF', '']) {
        add(m(name, '', 'ab', '', ip, flags), `F ${what}`);
      }
    }
    add(e('fe', '', 'ext', '', ip, 'F'), `F ${what} E`);
  }

  // Random lines assembled from field variants (seeded).
  const r = rng(20240601);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const delims = [':', ':', ':', '|', '#', '\n', '\x00', 'a', 'x', '\\', '1', 'P', 'M', 'E', '/'];
  for (let i = 0; i < 800; i++) {
    const d = pick(delims);
    const type = pick(['M', 'M', 'E', 'm', 'ME', '']);
    const fields = [pick(names.slice(0, 20)), type, pick(offsets), pick(magics), pick(['', '', ...magics]), pick([I.ok, '/x', I.missing, I.rel]), pick(words)];
    let line = d + fields.join(d);
    if (r() < 0.2) line += '\n';
    if (r() < 0.1) line = line.slice(0, Math.floor(r() * line.length));
    if (r() < 0.05) line += d;
    add(line, 'random');
  }
  return cases;
}

test('registration: the kernel agrees with parseRegister/renderEntry on generated lines', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-kdiff-'));
  try {
    const ok = path.join(tmp, 'ok-interp');
    writeFileSync(ok, '#!/bin/sh\nexit 0\n');
    chmodSync(ok, 0o755);
    const noexec = path.join(tmp, 'noexec-interp');
    writeFileSync(noexec, '#!/bin/sh\n');
    chmodSync(noexec, 0o644);
    mkdirSync(path.join(tmp, 'a-dir'));
    const I = { ok, rel: 'ok-interp', missing: path.join(tmp, 'missing'), dir: path.join(tmp, 'a-dir'), noexec };
    const cases = generate(I);
    // Duplicate names: the second registration under a kept name is EEXIST.
    cases.push({ line: ':dup:M::ab::/x:', keep: true }, { line: ':dup:M::cd::/y:' }, { line: ':dup:E::ext::/y:' },
      { line: `:dup:M::ab::${I.missing}:F` }, { line: ':dup2:M::ab::/x:', keep: true });
    const driver = path.join(tmp, 'driver.cjs');
    writeFileSync(driver, REGISTER_DRIVER);
    const input = JSON.stringify({
      dir: '/proc/sys/fs/binfmt_misc',
      cases: cases.map((c) => ({ b64: Buffer.from(c.line, 'latin1').toString('base64'), keep: c.keep ?? false })),
    });
    const r = inSandbox([process.execPath, driver], { input, cwd: tmp });
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(r.stdout) as { errno: string | null; entries: { name: string; text: string }[] }[];
    assert.equal(results.length, cases.length);

    const existing = new Set<string>();
    const mismatches: string[] = [];
    let accepted = 0;
    cases.forEach((c, i) => {
      const k = results[i]!;
      const p = parseRegister(Buffer.from(c.line, 'latin1'), {
        openInterpreter: (ip) => interpreterOpenErrno(ip, tmp),
        existing,
      });
      const predicted = p.ok ? { errno: null, name: p.rule.name, text: renderEntry(p.rule) } : { errno: p.errno, name: undefined, text: undefined };
      const actual = { errno: k.errno, name: k.entries[0]?.name, text: k.entries[0]?.text };
      if (k.entries.length > 1) mismatches.push(`${JSON.stringify(c.line)}: kernel created ${k.entries.length} entries`);
      if (JSON.stringify(predicted) !== JSON.stringify(actual)) {
        mismatches.push(`${JSON.stringify(c.line)} (${c.note ?? ''})\n   predicted ${JSON.stringify(predicted)}${p.ok ? '' : ' ' + p.message}\n   kernel    ${JSON.stringify(actual)}`);
      }
      if (p.ok) {
        accepted++;
        if (c.keep) existing.add(p.rule.name);
      }
    });
    console.log(`${cases.length} registration strings, ${accepted} accepted, ${mismatches.length} mismatches`);
    assert.ok(accepted > 300 && cases.length - accepted > 300, 'the generator covers both outcomes');
    assert.deepEqual(mismatches.slice(0, 20), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

export { CLI, byteString };

// ---------------------------------------------------------------- exec vs `xarch which`

// Runs inside the namespace: per scenario, clear the instance, apply the
// registration ops, exec every file (handlers print "handler-NAME"), and ask
// `xarch which --json` about the same paths.
const EXEC_DRIVER = String.raw`
const fs = require('fs');
const { spawnSync } = require('child_process');
const plan = JSON.parse(fs.readFileSync(0, 'utf8'));
const dir = '/proc/sys/fs/binfmt_misc';
const w = (p, data) => { const fd = fs.openSync(p, 'w'); try { fs.writeSync(fd, Buffer.from(data, 'latin1')); } finally { fs.closeSync(fd); } };
const out = [];
for (const sc of plan.scenarios) {
  w(dir + '/status', '-1');
  w(dir + '/status', '1');
  const errors = [];
  for (const op of sc.ops) {
    try {
      if (op.op === 'register') w(dir + '/register', op.line);
      else if (op.op === 'status') w(dir + '/status', op.value);
      else w(dir + '/' + op.name, op.value);
    } catch (e) { errors.push(op.op + ' ' + (op.name || op.line) + ': ' + e.code); }
  }
  const actual = sc.files.map((f) => {
    const r = spawnSync(f, ['arg1'], { cwd: plan.cwd, encoding: 'latin1', timeout: 10000 });
    const m = /^handler-(\S+)/.exec(r.stdout || '');
    return m ? m[1] : null;
  });
  const wr = spawnSync(process.execPath, [plan.cli, 'which', '--json', ...sc.files], { cwd: plan.cwd, encoding: 'utf8' });
  out.push({ errors, actual, which: wr.stdout, whichErr: wr.stderr });
}
process.stdout.write(JSON.stringify(out));
`;

test('exec: the handler the kernel runs is the one `xarch which` predicts', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-exec-'));
  try {
    const hdir = path.join(tmp, 'handlers');
    const fdir = path.join(tmp, 'files');
    mkdirSync(hdir);
    mkdirSync(fdir);
    mkdirSync(path.join(fdir, 'd.foo'));
    const r = rng(777);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
    const first = [0x51, 0x5a, 0x57]; // 'Q' 'Z' 'W': in no ELF header's first 24 bytes, nor in "#!"
    const alphabet = [0x51, 0x5a, 0x57, 0x00, 0x01, 0xff, 0x41];
    const masks = [0xff, 0xff, 0x00, 0xf0, 0x0f, 0xfe];
    const exts = ['foo', 'bar', 'FOO', 'gz', 'x'];
    // Flags stay within P: observed on 6.18, an O (or C) handler whose
    // interpreter is itself a #! script makes every exec fail with ENOEXEC
    // (fs/exec.c exec_binprm refuses a second interpreter level once
    // have_execfd is set), so the sh fallback of execvp runs the file instead.
    // Files the kernel execs on the way (the handlers' /bin/sh, node for
    // `xarch which`, the handler scripts): no rule may match them.
    const protectedHeads: { head: Uint8Array; p: string }[] = [];
    for (const p of ['/bin/sh', process.execPath, '/usr/bin/env']) {
      try { protectedHeads.push({ head: new Uint8Array(readFileSync(realpathSync(p))).subarray(0, 256), p }); } catch { /* absent */ }
    }
    let handlerCount = 0;
    const handler = (name: string) => {
      const p = path.join(hdir, `h-${name}`);
      writeFileSync(p, `#!/bin/sh\necho handler-${name} "$@"\n`);
      chmodSync(p, 0o755);
      handlerCount++;
      return p;
    };
    const scenarios: { ops: { op: string; line?: string; name?: string; value?: string }[]; files: string[]; rules: Rule[] }[] = [];
    let fileNo = 0;
    for (let s = 0; s < 40; s++) {
      const rules: Rule[] = [];
      const nRules = 2 + Math.floor(r() * 10);
      for (let i = 0; i < nRules; i++) {
        const name = `s${s}r${i}`;
        let rule: Rule;
        if (r() < 0.25) {
          rule = { name, type: 'E', offset: 0, magic: new Uint8Array(0), mask: null, extension: pick(exts), interpreter: handler(name), flags: pick(['', 'P']) };
        } else {
          const len = 1 + Math.floor(r() * 4);
          const magic = Uint8Array.from({ length: len }, (_, j) => (j === 0 ? pick(first) : pick(alphabet)));
          const mask = r() < 0.5 ? null : Uint8Array.from({ length: len }, (_, j) => (j === 0 ? 0xff : pick(masks)));
          const offset = r() < 0.6 ? 0 : Math.floor(r() * 9);
          rule = { name, type: 'M', offset, magic, mask, extension: '', interpreter: handler(name), flags: pick(['', 'P']) };
        }
        if (protectedHeads.some((h) => matchRule(rule, h.head, h.p).matches)) continue;
        rules.push(rule);
      }
      const ops: { op: string; line?: string; name?: string; value?: string }[] = rules.map((ru) => ({ op: 'register', line: renderRegister(ru) }));
      for (const ru of rules) {
        const x = r();
        if (x < 0.15) ops.push({ op: 'entry', name: ru.name, value: '0' });
        else if (x < 0.25) ops.push({ op: 'entry', name: ru.name, value: '-1' }, { op: 'register', line: renderRegister(ru) });
        else if (x < 0.3) ops.push({ op: 'entry', name: ru.name, value: '0' }, { op: 'entry', name: ru.name, value: '1' });
      }
      if (s === 7) ops.push({ op: 'status', value: '0' });
      const files: string[] = [];
      for (let f = 0; f < 15; f++) {
        let head: number[];
        const y = r();
        if (y < 0.5 && rules.length) {
          // Built to (almost) match a random rule: its magic at its offset, masked bits randomised.
          const ru = pick(rules);
          head = Array.from({ length: ru.offset }, () => pick(alphabet));
          ru.magic.forEach((b, j) => head.push(r() < 0.1 ? pick(alphabet) : (b & (ru.mask?.[j] ?? 0xff)) | (pick(alphabet) & ~(ru.mask?.[j] ?? 0xff) & 0xff)));
          if (r() < 0.3) while (head.length && head[head.length - 1] === 0) head.pop(); // rely on zero padding
        } else if (y < 0.7) {
          head = Array.from({ length: Math.floor(r() * 4) }, () => pick(alphabet)); // short files
        } else {
          head = Array.from({ length: 1 + Math.floor(r() * 12) }, () => pick(alphabet));
        }
        if (head.length && !first.includes(head[0]!) && r() < 0.8) head[0] = pick(first);
        if (head[0] === 0x23 || head[0] === 0x7f) head[0] = 0x51;
        const ext = pick(['', '', '.foo', '.FOO', '.bar', '.tar.gz', '.x', '.']);
        const base = `f${fileNo++}${ext}`;
        const rel = r() < 0.15 ? path.join('d.foo', base) : base;
        writeFileSync(path.join(fdir, rel), Uint8Array.from(head));
        chmodSync(path.join(fdir, rel), 0o755);
        files.push(r() < 0.3 ? `./${rel}` : path.join(fdir, rel));
      }
      scenarios.push({ ops, files, rules });
    }
    const driver = path.join(tmp, 'exec-driver.cjs');
    writeFileSync(driver, EXEC_DRIVER);
    const res = inSandbox([process.execPath, driver], { input: JSON.stringify({ cli: CLI, cwd: fdir, scenarios: scenarios.map(({ ops, files }) => ({ ops, files })) }), cwd: fdir });
    assert.equal(res.status, 0, res.stderr);
    const results = JSON.parse(res.stdout) as { errors: string[]; actual: (string | null)[]; which: string; whichErr: string }[];
    let execs = 0;
    let handled = 0;
    const mismatches: string[] = [];
    results.forEach((sr, s) => {
      assert.deepEqual(sr.errors, [], `scenario ${s} registration`);
      const lines = sr.which.trim().split('\n').map((l) => JSON.parse(l) as { file: string; entry: string | null });
      assert.equal(lines.length, scenarios[s]!.files.length, sr.whichErr);
      sr.actual.forEach((a, i) => {
        execs++;
        if (a) handled++;
        if (lines[i]!.entry !== a) mismatches.push(`scenario ${s} ${scenarios[s]!.files[i]}: kernel ran ${a}, which says ${lines[i]!.entry}\n  ops ${JSON.stringify(scenarios[s]!.ops)}`);
      });
    });
    console.log(`${execs} execs in ${results.length} scenarios (${handlerCount} handlers), ${handled} handled by binfmt_misc, ${mismatches.length} mismatches`);
    assert.ok(handled > 100 && execs - handled > 50, 'both outcomes are exercised');
    assert.deepEqual(mismatches.slice(0, 5), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
