// The one file opener and ReadAt (src/host/file.ts): regular files read by
// range, raw-byte paths, every other file type refused with PATH_NOT_FILE
// without blocking and (strace shows it) without being opened; and the
// in-memory ReadAt the parsers share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readElfFile, readExecHead, readHead, readRange, withFile } from '../src/host/file.js';
import { bytesReadAt } from '../src/core/elf.js';
import { fixtureRoot, needCommand, needFixture, REPO } from './helpers/env.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
const code = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
};

test('file: heads and ranges of regular files, short at the end', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-file-'));
  try {
    const f = path.join(dir, 'f');
    writeFileSync(f, bytes(3000));
    assert.deepEqual(readHead(f, 16), bytes(16));
    assert.deepEqual(readHead(f, 5000), bytes(3000));
    assert.deepEqual(readRange(f, 2990, 100), bytes(3000).subarray(2990));
    assert.deepEqual(readRange(f, 4000, 10), new Uint8Array(0));
    writeFileSync(path.join(dir, 'empty'), '');
    assert.deepEqual(readHead(path.join(dir, 'empty'), 4), new Uint8Array(0));
    // A path given as raw bytes (not UTF-8) is opened as those bytes; messages show them as latin1.
    const raw = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x71, 0xff, 0x0a])]);
    writeFileSync(raw, 'abc');
    assert.deepEqual(readHead(raw, 8), new TextEncoder().encode('abc'));
    assert.throws(() => readElfFile(raw), (e: any) => e.code === 'ELF_NOT_ELF' && e.message.startsWith(`${dir}/q\xff\n:`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file: withFile serves the buffered head from memory and the rest from the file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-file-'));
  try {
    const big = path.join(dir, 'big');
    const small = path.join(dir, 'small');
    writeFileSync(big, bytes(5000));
    writeFileSync(small, bytes(100));
    const buffer = new Uint8Array(1024);
    withFile(big, (read, head) => {
      assert.equal(head.length, 1024);
      assert.equal(read(0, 64).buffer, buffer.buffer, 'inside the buffer: no copy, no read');
      assert.deepEqual(read(1000, 100), bytes(5000).subarray(1000, 1100), 'across the buffer end: from the file');
      assert.deepEqual(read(4990, 100), bytes(5000).subarray(4990));
    }, { buffer });
    withFile(small, (read, head) => {
      assert.deepEqual(head, bytes(100));
      assert.deepEqual(read(90, 100), bytes(100).subarray(90), 'a file that fits is short from memory');
    }, { buffer });
    // Without a buffer the head is empty and every read goes to the file.
    withFile(small, (read, head) => {
      assert.equal(head.length, 0);
      assert.deepEqual(read(10, 5), bytes(100).subarray(10, 15));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file: directories, FIFOs, sockets, devices and links are refused as PATH_NOT_FILE, never waited on', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-file-'));
  const server = net.createServer();
  try {
    spawnSync('mkfifo', [path.join(dir, 'fifo')]);
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'sock'), resolve));
    writeFileSync(path.join(dir, 'f'), 'x');
    symlinkSync('f', path.join(dir, 'link'));
    mkdirSync(path.join(dir, 'd'));
    const rows: [string, string][] = [
      ['missing', 'PATH_NOT_FOUND'], ['d', 'PATH_NOT_FILE'], ['fifo', 'PATH_NOT_FILE'], ['sock', 'PATH_NOT_FILE'], ['link', 'ok'],
    ];
    for (const [name, want] of rows) {
      const p = path.join(dir, name);
      assert.equal(code(() => readHead(p, 4)), want, name);
      assert.equal(code(() => readExecHead(p)), want, `exec ${name}`);
      assert.equal(code(() => readElfFile(p)), want === 'ok' ? 'ELF_NOT_ELF' : want, `elf ${name}`);
    }
    // Character devices are refused before any open: /dev/tty without a
    // controlling terminal would otherwise fail to open (ENXIO), not be refused.
    for (const dev of ['/dev/null', '/dev/zero', '/dev/tty']) assert.equal(code(() => readHead(dev, 4)), 'PATH_NOT_FILE', dev);
    // Not following the last link: scan's walk.
    assert.equal(code(() => readHead(path.join(dir, 'link'), 4)), 'ok');
    assert.equal(code(() => withFile(path.join(dir, 'link'), () => 0, { noFollow: true })), 'PATH_NOT_FILE');
    assert.equal(code(() => withFile(path.join(dir, 'link'), () => 0, { noFollow: true, seenRegular: true })), 'PATH_UNREADABLE'); // ELOOP from O_NOFOLLOW
    // One line each, with a hint, and the exec view says what exec would do.
    try { readExecHead(path.join(dir, 'fifo')); } catch (e: any) {
      assert.equal(e.message, `${dir}/fifo is not a regular file (exec would fail with EACCES)`);
      assert.ok(e.hint);
    }
    try { readHead(path.join(dir, 'sock'), 1); } catch (e: any) {
      assert.equal(e.message, `${dir}/sock is not a regular file`);
      assert.equal(e.hint, 'give a regular file');
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file: a FIFO or device is never opened (strace)', { skip: needCommand('strace', 'strace') }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-file-'));
  try {
    const fifo = path.join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    writeFileSync(path.join(dir, 'f'), 'x');
    const lib = path.join(REPO, 'dist/src/host/file.js');
    const code = `const F = await import(${JSON.stringify(lib)}); for (const p of process.argv.slice(1)) { try { F.readHead(p, 4); } catch {} }`;
    const r = spawnSync('strace', ['-f', '-e', 'trace=open,openat,openat2', '-o', path.join(dir, 'trace'), process.execPath, '--input-type=module', '-e', code, fifo, '/dev/zero', path.join(dir, 'f')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const trace = spawnSync('cat', [path.join(dir, 'trace')], { encoding: 'utf8' }).stdout;
    assert.match(trace, new RegExp(`openat\\(AT_FDCWD, "${dir}/f", O_RDONLY\\|O_NOCTTY\\|O_NONBLOCK`), 'the regular file is opened, without blocking');
    assert.doesNotMatch(trace, new RegExp(`"${fifo}"`), 'the FIFO is only stat-ed');
    assert.doesNotMatch(trace, /openat\([^)]*"\/dev\/zero"/, 'the device is only stat-ed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file: ELF errors name the file and the byte offset; a Debian binary reads the same through every entry point', { skip: needFixture('arm64') }, () => {
  const f = path.join(fixtureRoot('arm64')!, 'usr/bin/hello');
  const info = readElfFile(f);
  assert.deepEqual(readHead(f, 64), info.header.subarray(0, 64));
  assert.deepEqual(readExecHead(f).subarray(0, 64), info.header.subarray(0, 64));
  assert.equal(readExecHead(f).length, 256);
});

test('bytesReadAt: placed bytes, a fallback for the rest, short reads at the end', () => {
  const b = bytes(10);
  const r = bytesReadAt(b);
  assert.deepEqual(r(2, 3), Uint8Array.of(2, 3, 4));
  assert.deepEqual(r(8, 5), Uint8Array.of(8, 9));
  assert.deepEqual(r(20, 5), new Uint8Array(0));
  const asked: [number, number][] = [];
  const rest = (o: number, n: number) => { asked.push([o, n]); return new Uint8Array(n).fill(0xee); };
  // Ten bytes placed at offset 100 in a file, the rest from `rest`.
  const placed = bytesReadAt(b, rest, 100);
  assert.deepEqual(placed(100, 10), b);
  assert.deepEqual(placed(105, 2), Uint8Array.of(5, 6));
  assert.deepEqual(placed(0, 2), Uint8Array.of(0xee, 0xee));
  assert.deepEqual(placed(108, 4), Uint8Array.of(0xee, 0xee, 0xee, 0xee), 'a range only partly inside goes to the fallback whole');
  assert.deepEqual(asked, [[0, 2], [108, 4]]);
  assert.deepEqual(bytesReadAt(b, undefined, 100)(50, 10), new Uint8Array(0), 'before the placed bytes, without a fallback: nothing');
});
