// The one in-root resolver, on disk (resolveInRoot) and over an archive's
// in-memory map (virtualLookup), with one table: '..', absolute and relative
// symlinks, loops, the 40-link limit, escaping the root, non-directories in
// the middle. The kernel is the oracle: openat2(2) with RESOLVE_IN_ROOT
// resolves every row in the same tree, and must give the table's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveInRoot, resolveWith } from '../src/host/rootfs.js';
import { virtualHas, virtualLookup, type VirtualEntry } from '../src/scan/scan.js';
import { needCommand } from './helpers/env.js';

const CHAIN = 41; // chain0 → chain1 → … → chain40 → the loader: 41 links from chain0, 40 from chain1

// [path, 'dir' | 'file' | symlink target]. Directories marked implicit are
// left out of the archive map, as many archives do.
const TREE: [string, string, 'implicit'?][] = [
  ['/usr', 'dir'], ['/usr/lib', 'dir'], ['/usr/bin', 'dir'], ['/etc', 'dir'],
  ['/usr/lib/deep', 'dir', 'implicit'], ['/usr/lib/deep/er', 'dir', 'implicit'],
  ['/usr/lib/ld.so', 'file'], ['/usr/bin/busybox', 'file'], ['/etc/passwd', 'file'], ['/usr/lib/deep/er/f', 'file'],
  ['/lib', 'usr/lib'],
  ['/lib64', '/usr/lib'],
  ['/bin', 'usr/bin'],
  ['/usr/bin/sh', 'busybox'],
  ['/usr/lib/up', '../..'],
  ['/usr/lib/esc', '../../../../../etc'],
  ['/abs-esc', '/../../etc'],
  ['/shortcut', 'usr/lib/deep/er'],
  ['/usr/lib/deep/er/back', '../../ld.so'],
  ['/loop1', 'loop2'], ['/loop2', 'loop1'],
  ['/self', 'self'],
  ['/dangling', '/nowhere'],
  ...Array.from({ length: CHAIN }, (_, i): [string, string] => [`/chain${i}`, i === CHAIN - 1 ? '/usr/lib/ld.so' : `chain${i + 1}`]),
];

// [query, resolved path or null (ENOENT, ENOTDIR, ELOOP)]
const TABLE: [string, string | null][] = [
  ['/usr/lib/ld.so', '/usr/lib/ld.so'],
  ['/lib/ld.so', '/usr/lib/ld.so'], // relative link
  ['/lib64/ld.so', '/usr/lib/ld.so'], // absolute link: from the root, not the host's /
  ['lib/ld.so', '/usr/lib/ld.so'], // a relative query starts at the root too
  ['/bin/sh', '/usr/bin/busybox'], // two links, the last one followed
  ['/', '/'],
  ['/..', '/'],
  ['/../../usr/lib/ld.so', '/usr/lib/ld.so'], // '..' never climbs above the root
  ['/usr/./lib//ld.so', '/usr/lib/ld.so'],
  ['/usr/lib/', '/usr/lib'],
  ['/usr/lib/up/etc/passwd', '/etc/passwd'], // a link to '../..' is the root
  ['/usr/lib/esc/passwd', '/etc/passwd'], // a relative link climbing out lands inside
  ['/abs-esc/passwd', '/etc/passwd'], // so does an absolute one with '..'
  ['/lib64/../etc/passwd', null], // '..' after a link leaves /usr/lib, to /usr: no /usr/etc
  ['/shortcut/../../ld.so', '/usr/lib/ld.so'], // physically /usr/lib/deep/er/../.. (lexically it would be /ld.so)
  ['/shortcut/back', '/usr/lib/ld.so'], // a relative link inside a directory reached through a link
  ['/shortcut/f', '/usr/lib/deep/er/f'], // implicit directories in the archive
  ['/missing/../etc/passwd', null], // a missing component fails even when '..' follows
  ['/usr/bin/busybox/x', null], // ENOTDIR
  ['/usr/bin/busybox/', null], // ENOTDIR: a trailing slash needs a directory
  ['/usr/bin/busybox/..', null],
  ['/loop1', null], // ELOOP
  ['/self/x', null],
  ['/dangling', null],
  ['/chain1', '/usr/lib/ld.so'], // 40 links: the kernel's MAXSYMLINKS
  ['/chain0', null], // 41 links: ELOOP
];

function buildDisk(root: string): void {
  for (const [p, kind] of TREE) {
    const host = path.join(root, p);
    if (kind === 'dir') mkdirSync(host, { recursive: true });
    else if (kind === 'file') writeFileSync(host, 'x');
    else symlinkSync(kind, host);
  }
}

function buildMap(): Map<string, VirtualEntry> {
  const map = new Map<string, VirtualEntry>();
  for (const [p, kind, implicit] of TREE) {
    if (implicit) continue;
    const key = p.slice(1);
    if (kind === 'dir' || kind === 'file') map.set(key, { type: kind, linkname: '' });
    else map.set(key, { type: 'symlink', linkname: kind });
  }
  return map;
}

test('in-root resolution: one table, on disk and in an archive map', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'xarch-rootfs-'));
  try {
    buildDisk(root);
    const lookup = virtualLookup(buildMap());
    for (const [query, want] of TABLE) {
      assert.equal(resolveInRoot(root, query), want === null ? null : path.join(root, want.slice(1)), `disk: ${query}`);
      assert.equal(resolveWith(lookup, query), want, `archive map: ${query}`);
      assert.equal(virtualHas(buildMap(), query), want !== null, `virtualHas: ${query}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// openat2(rootfd, path, { O_PATH, RESOLVE_IN_ROOT }) per argument: the path
// it reached, relative to the root, or "!errno".
const ORACLE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int root = open(argv[1], O_PATH | O_DIRECTORY);
  char rootpath[4096], buf[4096], link[64];
  ssize_t rl = readlink("/proc/self/fd/3", rootpath, sizeof rootpath - 1);
  if (root != 3 || rl < 0) return 2;
  rootpath[rl] = 0;
  for (int i = 2; i < argc; i++) {
    struct open_how how = { .flags = O_PATH, .resolve = RESOLVE_IN_ROOT };
    int fd = syscall(SYS_openat2, root, argv[i], &how, sizeof how);
    if (fd < 0) { if (errno == ENOSYS) return 3; printf("!%s\n", strerrorname_np(errno)); continue; }
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    const char *rel = buf + strlen(rootpath);
    printf("%s\n", *rel ? rel : "/");
    close(fd);
  }
  return 0;
}
`;

test('in-root resolution: the kernel (openat2 RESOLVE_IN_ROOT) agrees with every row', { skip: needCommand('gcc', 'gcc') }, (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-rootfs-'));
  try {
    const root = path.join(tmp, 'root');
    mkdirSync(root);
    buildDisk(root);
    writeFileSync(path.join(tmp, 'oracle.c'), ORACLE_C);
    const cc = spawnSync('gcc', ['-O', '-o', path.join(tmp, 'oracle'), path.join(tmp, 'oracle.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const r = spawnSync(path.join(tmp, 'oracle'), [root, ...TABLE.map(([q]) => q)], { encoding: 'utf8' });
    if (r.status === 3) {
      const reason = `openat2 is not available on this kernel (${os.release()})`;
      console.log(`# skip reason: ${reason}`);
      t.skip(reason);
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    const kernel = r.stdout.trimEnd().split('\n');
    TABLE.forEach(([query, want], i) => {
      const k = kernel[i]!;
      assert.equal(k.startsWith('!') ? null : k, want, `kernel: ${query} → ${k}`);
    });
    // The failures are the errors the table's comments name.
    const errnoOf = (q: string) => kernel[TABLE.findIndex(([x]) => x === q)];
    assert.deepEqual(['/usr/bin/busybox/x', '/loop1', '/chain0', '/dangling'].map(errnoOf), ['!ENOTDIR', '!ELOOP', '!ELOOP', '!ENOENT']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
