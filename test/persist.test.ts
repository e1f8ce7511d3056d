// Persistence: binfmt.d and Debian formats, systemd precedence, atomic
// writes, and apply restoring handlers in a private kernel instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, fixtureRoot, inSandbox, needFixture, needSandbox } from './helpers/env.js';
import { removePersisted, writePersisted } from '../src/persist/persist.js';
import { binfmtDFiles, readConfig } from '../src/persist/config.js';
import { parseDebianBinfmt, renderDebianBinfmt } from '../src/formats/debian.js';
import { getTarget } from '../src/core/arch.js';
import { ruleFromTarget, renderRegister } from '../src/core/rule.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-persist-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const rule = ruleFromTarget(getTarget('aarch64')!, { interpreter: '/usr/bin/qemu-aarch64-static', flags: 'POF' });

test('writePersisted: atomic, 0644, idempotent, removed again', () => {
  const etc = path.join(work, 'etc1');
  const f = writePersisted(rule, { etcDir: etc });
  assert.equal(f, path.join(etc, 'binfmt.d/qemu-aarch64.conf'));
  assert.equal(statSync(f).mode & 0o777, 0o644);
  const mtime = statSync(f).mtimeMs;
  writePersisted(rule, { etcDir: etc });
  assert.equal(statSync(f).mtimeMs, mtime, 'identical content is not rewritten');
  assert.deepEqual(readdirSync(path.dirname(f)), ['qemu-aarch64.conf'], 'no temp file left');
  assert.match(readFileSync(f, 'utf8'), new RegExp(`^# written by xarch.*\\n${renderRegister(rule).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}\\n$`));
  assert.equal(removePersisted('qemu-aarch64', { etcDir: etc }), f);
  assert.equal(removePersisted('qemu-aarch64', { etcDir: etc }), false);
});

test('binfmt.d precedence: earlier directories mask, /dev/null masks, lexical order, comments, file:line errors', () => {
  const root = path.join(work, 'root1');
  for (const d of ['etc/binfmt.d', 'run/binfmt.d', 'usr/lib/binfmt.d']) mkdirSync(path.join(root, d), { recursive: true });
  const line = (name: string, interp = '/usr/bin/qemu-aarch64-static') => `:${name}:M::\\x7fELF\\x02\\x01\\x01::${interp}:F\n`;
  writeFileSync(path.join(root, 'usr/lib/binfmt.d/b.conf'), line('from-usr'));
  writeFileSync(path.join(root, 'etc/binfmt.d/b.conf'), '# comment\n; other comment\n\n' + line('from-etc'));
  writeFileSync(path.join(root, 'usr/lib/binfmt.d/a.conf'), line('a-usr') + ':bad:Q::x::/i:\n' + line('a-second'));
  writeFileSync(path.join(root, 'usr/lib/binfmt.d/c.conf'), line('masked'));
  symlinkSync('/dev/null', path.join(root, 'run/binfmt.d/c.conf'));
  writeFileSync(path.join(root, 'usr/lib/binfmt.d/ignored.txt'), line('ignored'));
  assert.deepEqual(binfmtDFiles(root).map((f) => path.relative(root, f)), ['usr/lib/binfmt.d/a.conf', 'etc/binfmt.d/b.conf']);
  const cfg = readConfig([], root, { debian: false });
  assert.deepEqual(cfg.rules.map((r) => r.rule.name), ['a-usr', 'a-second', 'from-etc']);
  assert.equal(cfg.rules[2]!.source, path.join(root, 'etc/binfmt.d/b.conf:4'));
  assert.equal(cfg.errors.length, 1);
  assert.equal(cfg.errors[0]!.source, path.join(root, 'usr/lib/binfmt.d/a.conf:2'));
  assert.equal(cfg.errors[0]!.errno, 'EINVAL');
});

test('Debian binfmts: the real qemu-user-static files parse, and rendering round-trips', () => {
  const real = '/usr/share/binfmts/qemu-aarch64';
  let text: string | null = null;
  try { text = readFileSync(real, 'utf8'); } catch { console.log('# skip reason: no /usr/share/binfmts/qemu-aarch64 (qemu-user-static)'); }
  if (text) {
    const d = parseDebianBinfmt(text, 'qemu-aarch64', real);
    assert.equal(d.package, 'qemu-user-static');
    assert.equal(d.rule!.interpreter, '/usr/libexec/qemu-binfmt/aarch64-binfmt-P');
    assert.equal(d.rule!.flags, 'PF');
    assert.equal(d.rule!.magic.length, 20);
  }
  const back = parseDebianBinfmt(renderDebianBinfmt(rule), 'qemu-aarch64', 'x');
  assert.equal(renderRegister(back.rule!), renderRegister({ ...rule, flags: 'PF' }), 'O has no Debian key; the rest round-trips');
  assert.match(parseDebianBinfmt('package x\ninterpreter /bin/true\ndetector /bin/d\nmagic ab\n', 'x', 'f').error!.message, /detector/);
  assert.match(parseDebianBinfmt('package x\nmagic ab\n', 'x', 'f').error!.message, /no interpreter/);
});

test('apply restores what install --persist wrote, keeps foreign entries, reports broken lines', { skip: needSandbox() || needFixture('arm64') }, () => {
  const root = path.join(work, 'root2');
  const x = `"${process.execPath}" "${CLI}"`;
  const script = [
    'set -e',
    'D="$XARCH_SANDBOX_BINFMT"',
    `${x} install aarch64 s390x --persist --etc-dir "${root}/etc" >/dev/null`,
    'cat "$D/qemu-aarch64" > /tmp/xarch-before-$$',
    'echo -1 > "$D/status"',
    `printf ':box64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x3e\\x01::/bin/true:' > "$D/register"`,
    `echo ':broken:M::zz' >> "${root}/etc/binfmt.d/qemu-s390x.conf"`,
    `${x} apply --root "${root}" --no-debian --json > /tmp/xarch-apply-$$ || echo "apply exit $?"`,
    'cat /tmp/xarch-apply-$$',
    'cmp "$D/qemu-aarch64" /tmp/xarch-before-$$ && echo same-entry',
    'test -e "$D/box64" && echo foreign-kept',
    `"${fixtureRoot('arm64')}/bin/busybox" uname -m`,
    'rm -f /tmp/xarch-apply-$$ /tmp/xarch-before-$$',
  ].join('\n');
  const r = inSandbox(['sh', '-c', script]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const out = r.stdout.trim().split('\n');
  assert.ok(out.includes('apply exit 1'), 'a broken line makes apply fail');
  const items = out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.deepEqual(items.map((i) => [i.name ?? null, i.status]), [[null, 'failed'], ['qemu-aarch64', 'installed'], ['qemu-s390x', 'installed']]);
  assert.match(items[0].source, /qemu-s390x\.conf:3$/);
  assert.ok(out.includes('same-entry'));
  assert.ok(out.includes('foreign-kept'));
  assert.equal(out.at(-1), 'aarch64');
});
