// Unpacking with the one tar reader: real roots from the Debian fixtures packed
// by GNU tar in every compression, compared file by file with the tree; hostile
// archives written byte by byte never reach outside the target; layers with
// whiteouts; owners and setuid bits as root and as an unprivileged user.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { asUser, fixtureRoot, needCommand, needFixture, needTestUser, REPO, TEST_USER } from './helpers/env.js';
import { rawTar } from './helpers/tar.js';
import { Unpacker, unpackTarFile } from '../src/host/unpack.js';
import { isXarchError } from '../src/core/errors.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-unpack-'));
// The unprivileged test user must reach its own box inside.
chmodSync(work, 0o755);
after(() => rmSync(work, { recursive: true, force: true }));

/** Every entry of a tree: type, mode, size, mtime (seconds), link target and content digest. */
function listing(root: string): string[] {
  const r = spawnSync('sh', ['-c', `cd "$1" && find . -mindepth 1 -printf '%y %m %U %s %Ts %p -> %l\\n' | sort`, 'sh', root], { encoding: 'utf8' });
  return r.stdout.trim().split('\n');
}

function fresh(name: string): string {
  const d = path.join(work, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
}

test('a fixture root packed by GNU tar (plain, gzip, zstd, xz, bzip2) unpacks to the same tree', { skip: needFixture('arm64') || needCommand('zstd', 'zstd') || needCommand('xz', 'xz-utils') || needCommand('bzip2', 'bzip2') }, async () => {
  // A copy with a hard link and a long (pax) name, which the fixture lacks.
  const src = fresh('src');
  assert.equal(spawnSync('cp', ['-a', `${fixtureRoot('arm64')}/.`, src]).status, 0);
  linkSync(path.join(src, 'bin/busybox'), path.join(src, 'bin/busybox-hardlink'));
  const deep = path.join(src, 'opt', 'a'.repeat(90), 'b'.repeat(90));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'c'.repeat(120)), 'long name\n');
  chmodSync(path.join(src, 'opt'), 0o555);
  const want = listing(src);
  for (const [ext, flag] of [['tar', ''], ['tar.gz', '-z'], ['tar.zst', '--zstd'], ['tar.xz', '-J'], ['tar.bz2', '-j']] as const) {
    const file = path.join(work, `root.${ext}`);
    const t = spawnSync('tar', ['--format=pax', '-c', ...(flag ? [flag] : []), '-f', file, '-C', src, '.']);
    assert.equal(t.status, 0, String(t.stderr));
    const out = fresh(`out-${ext}`);
    const stats = await unpackTarFile(file, out);
    assert.deepEqual(listing(out), want, ext);
    assert.equal(spawnSync('diff', ['-r', '--no-dereference', src, out]).status, 0, `${ext}: contents differ`);
    assert.equal(lstatSync(path.join(out, 'bin/busybox')).ino, lstatSync(path.join(out, 'bin/busybox-hardlink')).ino, 'hard link kept');
    assert.equal(stats.hardlinks, 1);
    assert.ok(stats.files > 300 && stats.symlinks > 0 && stats.dirs > 50, JSON.stringify(stats));
    chmodSync(path.join(out, 'opt'), 0o755);
  }
  chmodSync(path.join(src, 'opt'), 0o755);
});

test('hostile members never write outside the target', async () => {
  const box = fresh('box');
  const target = path.join(box, 'target');
  mkdirSync(target);
  const outside = path.join(box, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'keep'), 'untouched\n');
  const archive = path.join(box, 'evil.tar');
  writeFileSync(archive, rawTar([
    { name: '../escape-dotdot', data: 'x' },
    { name: 'a/../../escape-inner', data: 'x' },
    { name: '/abs-file', data: 'absolute is taken inside\n' },
    // A symlink out, then a file and a directory through it.
    { name: 'out', type: '2', linkname: '../outside' },
    { name: 'out/planted', data: 'x' },
    { name: 'abs', type: '2', linkname: outside },
    { name: 'abs/planted', data: 'x' },
    // An absolute link to / resolves to the target's own root.
    { name: 'root', type: '2', linkname: '/' },
    { name: 'root/via-root', data: 'inside\n' },
    // A symlink at a name, then a regular file of that name: the link is replaced, not followed.
    { name: 'keep', type: '2', linkname: path.join(outside, 'keep') },
    { name: 'keep', data: 'replaced\n' },
    // Hard links to things outside.
    { name: 'hl-dotdot', type: '1', linkname: '../outside/keep' },
    { name: 'hl-abs', type: '1', linkname: path.join(outside, 'keep') },
    { name: 'hl-through-link', type: '1', linkname: 'out/keep' },
    { name: 'dev/null', type: '3' },
    { name: 'fifo', type: '6' },
  ]));
  const stats = await unpackTarFile(archive, target);
  assert.deepEqual(readdirSync(box).sort(), ['evil.tar', 'outside', 'target']);
  assert.deepEqual(readdirSync(outside), ['keep']);
  assert.equal(readFileSync(path.join(outside, 'keep'), 'utf8'), 'untouched\n');
  assert.equal(readFileSync(path.join(target, 'abs-file'), 'utf8'), 'absolute is taken inside\n');
  assert.equal(readFileSync(path.join(target, 'via-root'), 'utf8'), 'inside\n');
  assert.equal(readFileSync(path.join(target, 'keep'), 'utf8'), 'replaced\n');
  assert.ok(lstatSync(path.join(target, 'keep')).isFile());
  assert.equal(readlinkSync(path.join(target, 'out')), '../outside');
  assert.ok(!existsSync(path.join(target, 'dev/null')) && !existsSync(path.join(target, 'fifo')));
  assert.deepEqual(stats.skipped, { devices: 2, unsafe: 4, links: 3 });
});

test('damaged archives give ARCHIVE_INVALID, never a stack', async () => {
  const t = fresh('damaged');
  const good = rawTar([{ name: 'f', data: 'x'.repeat(5000) }]);
  const cases: [string, Buffer][] = [['truncated', good.subarray(0, 1500)], ['bad checksum', Buffer.concat([Buffer.alloc(100, 0x41), Buffer.alloc(924)])]];
  for (const [what, bytes] of cases) {
    const f = path.join(t, `${what}.tar`);
    writeFileSync(f, bytes);
    await assert.rejects(unpackTarFile(f, fresh(`damaged-${what.replace(' ', '-')}`)), (e) => isXarchError(e) && e.code === 'ARCHIVE_INVALID', what);
  }
  await assert.rejects(unpackTarFile(path.join(t, 'missing.tar'), t), (e) => isXarchError(e) && e.code === 'PATH_NOT_FOUND');
});

test('layers: a whiteout removes a lower file, an opaque directory hides lower contents but keeps its own layer', async () => {
  const target = fresh('layers');
  const u = new Unpacker(target);
  await u.layer(Readable.from([rawTar([
    { name: 'etc/', type: '5' },
    { name: 'etc/hidden', data: 'lower\n' },
    { name: 'etc/kept', data: 'lower\n' },
    { name: 'opt/tool/', type: '5' },
    { name: 'opt/tool/old', data: 'lower\n' },
    { name: 'opt/tool/sub/deep', data: 'lower\n' },
  ])]));
  await u.layer(Readable.from([rawTar([
    { name: 'opt/tool/new', data: 'upper\n' },
    { name: 'opt/tool/.wh..wh..opq' },
    { name: 'etc/.wh.hidden' },
    { name: 'opt/tool/newer', data: 'upper\n' },
  ])]));
  const stats = u.finish();
  assert.ok(!existsSync(path.join(target, 'etc/hidden')));
  assert.ok(!existsSync(path.join(target, 'etc/.wh.hidden')));
  assert.equal(readFileSync(path.join(target, 'etc/kept'), 'utf8'), 'lower\n');
  assert.deepEqual(readdirSync(path.join(target, 'opt/tool')).sort(), ['new', 'newer']);
  assert.equal(stats.whiteouts, 2);
  // Outside layer mode a .wh. name is an ordinary file.
  const plain = fresh('plain-wh');
  await new Unpacker(plain).tar(Readable.from([rawTar([{ name: '.wh.x', data: '' }])]));
  assert.ok(existsSync(path.join(plain, '.wh.x')));
});

test('a symlinked directory replaced later: members go where the root now points, whiteouts create nothing', async () => {
  const target = fresh('relink');
  const u = new Unpacker(target);
  await u.layer(Readable.from([rawTar([
    { name: 'usr/lib/', type: '5' },
    { name: 'lib', type: '2', linkname: 'usr/lib' },
    { name: 'lib/a', data: 'a' },
    { name: 'lib/', type: '5' },
    { name: 'lib/b', data: 'b' },
    { name: 'nowhere/.wh.x' },
  ])]));
  u.finish();
  assert.deepEqual(readdirSync(path.join(target, 'usr/lib')), ['a']);
  assert.deepEqual(readdirSync(path.join(target, 'lib')), ['b']);
  assert.ok(!existsSync(path.join(target, 'nowhere')));
});

const ownersTar = () => rawTar([
  { name: 'd/', type: '5', mode: 0o750, uid: 1234, gid: 2345 },
  { name: 'd/suid', data: '#!/bin/sh\n', mode: 0o4755, uid: 1234, gid: 2345 },
  { name: 'd/link', type: '2', linkname: 'suid', uid: 1234, gid: 2345 },
  { name: 'ro/', type: '5', mode: 0o555 },
  { name: 'ro/f', data: 'x', mode: 0o444 },
]);

test('as root: owners and setuid bits kept, read-only directories still filled', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async () => {
  const target = fresh('owners-root');
  const f = path.join(work, 'owners.tar');
  writeFileSync(f, ownersTar());
  await unpackTarFile(f, target);
  const st = lstatSync(path.join(target, 'd/suid'));
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1234, 2345, 0o4755]);
  assert.equal(lstatSync(path.join(target, 'd/link')).uid, 1234);
  assert.equal(lstatSync(path.join(target, 'd')).mode & 0o7777, 0o750);
  assert.equal(lstatSync(path.join(target, 'ro')).mode & 0o7777, 0o555);
  assert.equal(lstatSync(path.join(target, 'd/suid')).mtime.getTime(), 1_700_000_000_000);
});

test('as an unprivileged user: owners dropped, setuid dropped, read-only directories still filled', { skip: needTestUser() }, () => {
  const box = fresh('owners-user');
  const f = path.join(box, 'owners.tar');
  writeFileSync(f, ownersTar());
  const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout);
  chownSync(box, uid, uid);
  const script = `import { unpackTarFile } from ${JSON.stringify(path.join(REPO, 'dist/src/host/unpack.js'))}; import { mkdirSync } from 'node:fs';
mkdirSync(${JSON.stringify(path.join(box, 'out'))}); await unpackTarFile(${JSON.stringify(f)}, ${JSON.stringify(path.join(box, 'out'))});`;
  const r = asUser([process.execPath, '--input-type=module', '-e', script]);
  assert.equal(r.status, 0, r.stderr);
  const st = lstatSync(path.join(box, 'out/d/suid'));
  assert.deepEqual([st.uid, st.mode & 0o7777], [uid, 0o755]);
  assert.equal(lstatSync(path.join(box, 'out/ro')).mode & 0o7777, 0o555);
  assert.equal(readFileSync(path.join(box, 'out/ro/f'), 'utf8'), 'x');
});
