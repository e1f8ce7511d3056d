// The architecture record (src/session/detect.ts): the answer is the scan's,
// it is reused while the root is unchanged, and a change to a program
// directory makes the next session scan again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectArchitectures, detectArchitecturesCached } from '../src/session/detect.js';
import { fixtureRoot, needFixture } from './helpers/env.js';

function tinyRoot(dir: string, program: string): string {
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  copyFileSync(program, path.join(root, 'bin/sh'));
  return root;
}

test('the record gives the scan\'s answer, is reused while the root is unchanged, and goes stale when a program directory changes', { skip: needFixture('arm64') || needFixture('s390x') }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-detect-'));
  try {
    const root = tinyRoot(dir, path.join(fixtureRoot('arm64')!, 'bin/busybox'));
    const cache = path.join(dir, 'cache');
    const names = (ts: { name: string }[]) => ts.map((t) => t.name).sort();
    assert.deepEqual(names(detectArchitecturesCached(root, cache, 'x86_64')), names(detectArchitectures(root, 'x86_64')));
    assert.deepEqual(names(detectArchitectures(root, 'x86_64')), ['aarch64']);
    const [record] = readdirSync(path.join(cache, 'arches'));
    assert.ok(record, 'a record is written');
    // Reuse is proven by what only the record can say: edit its answer.
    const file = path.join(cache, 'arches', record);
    const r = JSON.parse(readFileSync(file, 'utf8')) as { targets: string[] };
    writeFileSync(file, JSON.stringify({ ...r, targets: ['riscv64'] }));
    assert.deepEqual(names(detectArchitecturesCached(root, cache, 'x86_64')), ['riscv64']);
    // Another machine or another limit is another question.
    assert.deepEqual(names(detectArchitecturesCached(root, cache, 'aarch64')), []);
    // A program added to /bin changes the directory's mtime: scanned again.
    copyFileSync(path.join(fixtureRoot('s390x')!, 'bin/busybox'), path.join(root, 'bin/busybox'));
    assert.deepEqual(names(detectArchitecturesCached(root, cache, 'x86_64')), ['aarch64', 's390x']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable cache directory only means no record', { skip: needFixture('arm64') }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-detect-'));
  try {
    const root = tinyRoot(dir, path.join(fixtureRoot('arm64')!, 'bin/busybox'));
    // A file where the cache directory should be: mkdir fails for root too.
    const cache = path.join(dir, 'not-a-dir');
    writeFileSync(cache, '');
    assert.deepEqual(detectArchitecturesCached(root, cache, 'x86_64').map((t) => t.name), ['aarch64']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records of roots that are gone are swept after a scan', { skip: needFixture('arm64') }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-detect-'));
  try {
    const cache = path.join(dir, 'cache');
    const a = tinyRoot(path.join(dir, 'a'), path.join(fixtureRoot('arm64')!, 'bin/busybox'));
    detectArchitecturesCached(a, cache, 'x86_64');
    rmSync(path.join(dir, 'a'), { recursive: true });
    const b = tinyRoot(path.join(dir, 'b'), path.join(fixtureRoot('arm64')!, 'bin/busybox'));
    detectArchitecturesCached(b, cache, 'x86_64');
    const roots = readdirSync(path.join(cache, 'arches')).map((n) => (JSON.parse(readFileSync(path.join(cache, 'arches', n), 'utf8')) as { root: string }).root);
    assert.deepEqual(roots, [b]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
