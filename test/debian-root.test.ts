// A real Debian root (issue 8's test): the arm64 root scripts/fetch-rootfs.sh
// builds with mmdebstrap, root-owned like a real installation. In an
// --overlay DIR session over it, `apt-get install ./local.deb` (a tiny arm64
// package whose postinst chowns its file to a non-root ID), `dpkg -s`,
// `chown` and `ls -l` work as on the real machine; the tree stays
// byte-identical and every write is in DIR. As root and as the unprivileged
// test user with subordinate ranges.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asUser, CLI, FIXTURES, TEST_USER, needSandbox, xarch } from './helpers/env.js';
import { needSubordinateIds, SUBID_START } from './helpers/subids.js';
import { treeDigest } from './helpers/tree.js';

const ROOT = path.join(FIXTURES, 'rootfs-arm64', 'root');

function needDebianRoot(): string | false {
  const r = existsSync(path.join(FIXTURES, 'rootfs-arm64', '.done')) ? false : "no mmdebstrap arm64 root: run 'bash scripts/fetch-rootfs.sh' (as root, with mmdebstrap installed)";
  if (r) console.log(`# skip reason: ${r}`);
  return r;
}

const work = mkdtempSync(path.join(tmpdir(), 'xarch-debian-'));
chmodSync(work, 0o755);
after(() => rmSync(work, { recursive: true, force: true }));
const skip = needSandbox() || needDebianRoot() || (spawnSync('sh', ['-c', 'command -v dpkg-deb']).status !== 0 && 'dpkg-deb is missing');

/** A tiny arm64 package: one file, and a postinst that gives it to 1234:2345. */
function localDeb(): string {
  const dir = path.join(work, 'debs');
  const deb = path.join(dir, 'xarch-local_1.0_arm64.deb');
  if (existsSync(deb)) return dir;
  const pkg = path.join(work, 'pkg');
  mkdirSync(path.join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(pkg, 'usr/share/xarch-local'), { recursive: true });
  mkdirSync(dir);
  writeFileSync(path.join(pkg, 'usr/share/xarch-local/data'), 'from a local .deb\n');
  writeFileSync(path.join(pkg, 'DEBIAN/control'), 'Package: xarch-local\nVersion: 1.0\nArchitecture: arm64\nMaintainer: xarch tests <xarch@localhost>\nDescription: a local package for the session tests\n');
  writeFileSync(path.join(pkg, 'DEBIAN/postinst'), '#!/bin/sh\nset -e\nchown 1234:2345 /usr/share/xarch-local/data\n', { mode: 0o755 });
  const r = spawnSync('dpkg-deb', ['--root-owner-group', '--build', pkg, deb], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  chmodSync(dir, 0o755);
  chmodSync(deb, 0o644);
  return dir;
}

const SCRIPT = [
  'apt-get install -y -q ./xarch-local_1.0_arm64.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }',
  "dpkg -s xarch-local | sed -n 's/^Status: //p'",
  'ls -ln /usr/share/xarch-local/data',
  'chown 42:43 /etc/hostname && ls -ln /etc/hostname',
  'ls -ln /etc/shadow 2>/dev/null || echo no-shadow',
].join('; ');

for (const who of ['root', 'user'] as const) {
  const skipWho = skip || (who === 'user' && needSubordinateIds());
  test(`Debian root (${who}): apt-get install ./local.deb, dpkg -s, chown and ls -l in an --overlay session; the tree stays byte-identical`, { skip: skipWho, timeout: 600_000 }, () => {
    const debs = localDeb();
    const overlay = path.join(work, `layer-${who}`);
    mkdirSync(overlay);
    const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim());
    if (who === 'user') spawnSync('chown', [String(uid), overlay]);
    const before = treeDigest(ROOT);
    const args = ['shell', ROOT, '--overlay', path.join(overlay, 'o'), '--bind', `${debs}:/debs:ro`, '--workdir', '/debs', '--env', 'DEBIAN_FRONTEND=noninteractive', '--', '/bin/sh', '-c', SCRIPT];
    const t0 = performance.now();
    const run = (a: string[]) => (who === 'root' ? xarch(a) : asUser([process.execPath, CLI, ...a], { env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', XDG_CACHE_HOME: path.join(overlay, 'cache') }, timeout: 300_000 }));
    const r = run(args);
    console.log(`# ${who}: apt-get install session ${Math.round(performance.now() - t0)} ms`);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const [status, data, hostname, shadow] = r.stdout.trim().split('\n');
    assert.equal(status, 'install ok installed');
    assert.match(data!, /^-rw-r--r--\s+1\s+1234\s+2345\s+18 .* \/usr\/share\/xarch-local\/data$/, 'the postinst chown');
    assert.match(hostname!, /^-\S+\s+1\s+42\s+43\s/);
    if (who === 'root') assert.match(shadow!, /^-rw-r-----\s+1\s+0\s+42\s/, 'a file of another group keeps its owner');
    else {
      // The user's session runs on a copy of the root-owned tree (its owner
      // cannot be mapped); what the user may not read is missing, and said.
      assert.equal(shadow, 'no-shadow');
      assert.match(r.stderr, /belongs to another user, so this session uses a copy in the roots cache; \d+ paths you cannot read are missing from it \(.*\/etc\/shadow/);
    }
    assert.equal(treeDigest(ROOT), before, 'the lower root is untouched');
    // Every write is in DIR, owned by the mapped IDs on the host.
    const upper = path.join(overlay, 'o', 'upper');
    const hostId = (p: string) => spawnSync('stat', ['-c', '%u:%g', path.join(upper, p)], { encoding: 'utf8' }).stdout.trim();
    const shift = (n: number) => (who === 'root' ? n : SUBID_START + n - 1);
    assert.equal(hostId('usr/share/xarch-local/data'), `${shift(1234)}:${shift(2345)}`);
    assert.equal(hostId('etc/hostname'), `${shift(42)}:${shift(43)}`);
    assert.ok(existsSync(path.join(upper, 'var/lib/dpkg/info/xarch-local.list')));
    // The next session over the same DIR sees the package installed.
    const again = run(['shell', ROOT, '--overlay', path.join(overlay, 'o'), '--', 'dpkg-query', '-W', '-f', '${Package} ${Version}\\n', 'xarch-local']);
    assert.equal(again.status, 0, `${again.stderr} ${again.signal} ${again.error}`);
    assert.equal(again.stdout, 'xarch-local 1.0\n');
    if (who === 'user') {
      const p = run(['shell', ROOT, '--overlay', path.join(overlay, 'o'), '--dry-run', '--json']);
      assert.equal(p.status, 0, p.stderr);
      assert.equal(JSON.parse(p.stdout).cached, true, 'the copy is made once');
    }
  });
}
