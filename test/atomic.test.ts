// The one atomic writer (src/host/atomic.ts) and the sweep of temporary files
// a killed writer leaves behind (issue 11), through writePersisted (what
// install --persist calls) and readConfig (what apply reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atomicTempPath, isAtomicTemp, sweepStaleTemps, writeFileAtomic } from '../src/host/atomic.js';
import { writePersisted } from '../src/persist/persist.js';
import { readConfig } from '../src/persist/config.js';
import { renderDebianBinfmt } from '../src/formats/debian.js';
import { getTarget } from '../src/core/arch.js';
import { ruleFromTarget } from '../src/core/rule.js';
import { XarchError } from '../src/core/errors.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-atomic-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const bytes = (s: string) => new TextEncoder().encode(s);
const rule = ruleFromTarget(getTarget('aarch64')!, { interpreter: '/usr/bin/qemu-aarch64-static', flags: 'POF' });

/** Leave what a writer SIGKILLed between open and rename leaves: `<file>.xarch-<its pid>.tmp`. */
function killedWriter(file: string): string {
  const r = spawnSync('sh', ['-c', 'echo partial > "$1.xarch-$$.tmp"; echo $$; kill -9 $$', 'sh', file], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL');
  const tmp = `${file}.xarch-${r.stdout.trim()}.tmp`;
  assert.ok(existsSync(tmp));
  return tmp;
}

test('writeFileAtomic: creates the directory, exact mode whatever the umask, no temp left, replaces by rename', () => {
  const file = path.join(work, 'a/b/x.conf');
  const old = process.umask(0o077);
  try {
    assert.equal(writeFileAtomic(file, bytes('one\n'), { mode: 0o644 }), true);
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.equal(writeFileAtomic(path.join(work, 'a/b/y'), bytes('y'), { mode: 0o600 }), true);
    assert.equal(statSync(path.join(work, 'a/b/y')).mode & 0o777, 0o600);
  } finally {
    process.umask(old);
  }
  assert.equal(readFileSync(file, 'utf8'), 'one\n');
  const ino = statSync(file).ino;
  assert.equal(writeFileAtomic(file, bytes('two\n')), true);
  assert.equal(readFileSync(file, 'utf8'), 'two\n');
  assert.notEqual(statSync(file).ino, ino, 'a new inode: renamed over, never written in place');
  const mtime = statSync(file).mtimeMs;
  assert.equal(writeFileAtomic(file, bytes('two\n'), { ifChanged: true }), false);
  assert.equal(statSync(file).mtimeMs, mtime);
  assert.deepEqual(readdirSync(path.dirname(file)).sort(), ['x.conf', 'y']);
});

test('a link planted under the temporary name is replaced, not followed', () => {
  const dir = path.join(work, 'planted');
  mkdirSync(dir);
  const victim = path.join(work, 'victim');
  writeFileSync(victim, 'precious');
  const file = path.join(dir, 'x.conf');
  symlinkSync(victim, atomicTempPath(file));
  writeFileAtomic(file, bytes('new'));
  assert.equal(readFileSync(victim, 'utf8'), 'precious');
  assert.equal(readFileSync(file, 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir), ['x.conf']);
});

test('issue 11: a killed writer\'s temp is swept by the next persist write, even an unchanged one; a live writer\'s and other files stay', async () => {
  const etc = path.join(work, 'etc');
  const dir = path.join(etc, 'binfmt.d');
  const file = writePersisted(rule, { etcDir: etc });
  const dead = killedWriter(file);
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => sleeper.once('spawn', r));
  try {
    const live = atomicTempPath(path.join(dir, 'other.conf'), sleeper.pid);
    writeFileSync(live, 'in flight');
    for (const n of ['notes.tmp', 'x.xarch-abc.tmp', 'x.xarch-0.tmp']) writeFileSync(path.join(dir, n), '');
    const mtime = statSync(file).mtimeMs;
    assert.equal(writePersisted(rule, { etcDir: etc }), file);
    assert.equal(statSync(file).mtimeMs, mtime, 'unchanged content is still not rewritten');
    assert.equal(existsSync(dead), false, 'the dead writer\'s temp is gone');
    assert.deepEqual(readdirSync(dir).sort(), ['notes.tmp', path.basename(live), 'qemu-aarch64.conf', 'x.xarch-0.tmp', 'x.xarch-abc.tmp'].sort());
    assert.deepEqual(sweepStaleTemps(dir), [], 'nothing else is stale');
  } finally {
    sleeper.kill();
  }
  assert.deepEqual(sweepStaleTemps(path.join(work, 'no-such-dir')), []);
});

test('apply does not take a leftover temp in /usr/share/binfmts for configuration', () => {
  const root = path.join(work, 'root');
  const dir = path.join(root, 'usr/share/binfmts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'qemu-aarch64'), renderDebianBinfmt(rule));
  const tmp = killedWriter(path.join(dir, 'qemu-aarch64'));
  assert.ok(isAtomicTemp(path.basename(tmp)));
  const cfg = readConfig([], root);
  assert.deepEqual(cfg.errors, []);
  assert.deepEqual(cfg.rules.map((r) => r.source), [path.join(dir, 'qemu-aarch64')]);
});

test('a failed write is one XarchError naming the file', () => {
  const blocker = path.join(work, 'blocker');
  writeFileSync(blocker, '');
  assert.throws(() => writeFileAtomic(path.join(blocker, 'x.conf'), bytes('x'), { what: 'binfmt.d file' }), (e: unknown) => {
    assert.ok(e instanceof XarchError);
    assert.equal(e.path, path.join(blocker, 'x.conf'));
    return true;
  });
});
