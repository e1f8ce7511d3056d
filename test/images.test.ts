// Container images as session roots end to end (issue 8): `xarch shell IMG`
// over a docker-save archive, an OCI layout directory, an OCI tar and
// compressed OCI tars built here by umoci and skopeo from the Debian arm64
// fixture. With no command the image's Entrypoint/Cmd runs with its Env,
// WorkingDir and User and xarch exits with its status; a whiteout and an
// opaque directory are seen from inside; writes go to the ephemeral layer and
// the cache entry stays byte-identical; the second start unpacks nothing.
// As root and as the unprivileged test user with subordinate ranges.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asUser, CLI, TEST_USER, needSandbox, xarch } from './helpers/env.js';
import { buildImages, imageSkip, sh } from './helpers/images.js';
import { needSubordinateIds } from './helpers/subids.js';
import { treeDigest } from './helpers/tree.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-images-'));
// The unprivileged test user reads the images built here.
chmodSync(work, 0o755);
after(() => rmSync(work, { recursive: true, force: true }));
const skip = imageSkip() || needSandbox();

// What `docker run img` prints for the run image: Env, WorkingDir, User,
// the whiteout and the opaque directory, then its exit status.
const DEFAULT_CMD = 'echo "$GREETING"; pwd; id -u; id -g; ls /opt/tool; ls /usr/bin/hello 2>/dev/null || echo hello-hidden; exit 7';
const EXPECTED = ['hi', '/opt/tool', '1000', '1000', 'new', 'hello-hidden'];

interface RunImages { docker: string; layout: string; ociTar: string; ociGz: string; ociZst: string; multi: string }
let runImages: RunImages | undefined;

/**
 * The fixture images plus a `run` tag: the arm64 image with a layer making
 * /tmp world-writable (its User is 1000) and /bin/sh -c DEFAULT_CMD as its
 * Entrypoint/Cmd, packed every way a user may have it.
 */
function buildRunImages(): RunImages {
  if (runImages) return runImages;
  const img = buildImages(work);
  const d = img.dir;
  sh(`cd "$1"
mkdir -p l4/tmp && chmod 1777 l4/tmp && tar -C l4 -cf l4.tar tmp
cp -a single run-layout
umoci raw add-layer --image run-layout:arm64 --tag run l4.tar
umoci config --image run-layout:run --config.entrypoint /bin/sh --config.entrypoint -c --config.cmd "$2"
skopeo copy -q --insecure-policy oci:run-layout:run docker-archive:"$1/run-docker.tar":demo:run
`, d, DEFAULT_CMD);
  const idx = JSON.parse(readFileSync(path.join(d, 'run-layout/index.json'), 'utf8'));
  const run = idx.manifests.find((m: any) => m.annotations?.['org.opencontainers.image.ref.name'] === 'run');
  writeFileSync(path.join(d, 'run-layout/index.json'), JSON.stringify({ schemaVersion: 2, manifests: [run] }));
  sh('cd "$1" && tar -C run-layout -cf run-oci.tar . && gzip -kn run-oci.tar && zstd -q run-oci.tar -o run-oci.tar.zst && chmod -R a+rX .', d);
  runImages = {
    docker: path.join(d, 'run-docker.tar'), layout: path.join(d, 'run-layout'), ociTar: path.join(d, 'run-oci.tar'),
    ociGz: path.join(d, 'run-oci.tar.gz'), ociZst: path.join(d, 'run-oci.tar.zst'), multi: img.multi,
  };
  return runImages;
}

for (const who of ['root', 'user'] as const) {
  const skipWho = skip || (who === 'user' && needSubordinateIds());
  // Each identity gets a cache of its own, so its first start unpacks.
  const cache = path.join(work, `cache-${who}`);
  const run = (args: string[]) => {
    // Root's default cache is the shared /var/cache/xarch/roots: the test's own instead.
    if (who === 'root') return xarch(args, { env: { ...process.env, XARCH_ROOTS_CACHE: cache } });
    return asUser([process.execPath, CLI, ...args], { env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: cache, XDG_CACHE_HOME: cache }, timeout: 120_000 });
  };
  const plan = (spec: string, extra: string[] = []) => {
    const r = run(['shell', spec, ...extra, '--dry-run', '--json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { root: string; cached?: boolean; command: string[]; layer: string; workdir: string };
  };

  test(`images (${who}): with no command, xarch shell IMG runs Entrypoint/Cmd with Env, WorkingDir and User and exits with its status`, { skip: skipWho, timeout: 600_000 }, () => {
    const img = buildRunImages();
    mkdirSync(cache, { recursive: true });
    if (who === 'user') chownSync(cache, Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout), 0);
    for (const [kind, spec] of Object.entries({ docker: img.docker, layout: img.layout, ociTar: img.ociTar, ociGz: img.ociGz, ociZst: img.ociZst })) {
      const r = run(['shell', spec]);
      assert.equal(r.status, 7, `${kind}: ${r.stderr}`);
      assert.deepEqual(r.stdout.trim().split('\n'), EXPECTED, kind);
      const p = plan(spec);
      assert.deepEqual([p.command.slice(0, 2), p.workdir, p.layer], [['/bin/sh', '-c'], '/opt/tool', 'ephemeral'], kind);
      assert.equal(p.cached, true, `${kind}: the second start unpacks nothing`);
    }
    // A command after -- replaces Cmd (Entrypoint stays, as docker run does).
    const c = run(['shell', img.docker, '--', 'echo "args $0"; exit 3']);
    assert.equal(c.status, 3, c.stderr);
    assert.equal(c.stdout, 'args /bin/sh\n');
  });

  test(`images (${who}): writes go to the ephemeral layer, the cache entry stays byte-identical and is not unpacked again`, { skip: skipWho, timeout: 600_000 }, () => {
    const img = buildRunImages();
    const first = plan(img.ociZst);
    const entry = path.dirname(first.root);
    const before = treeDigest(entry);
    const st = statSync(first.root);
    const w = run(['shell', img.ociZst, '--', 'echo w > /tmp/w && cat /tmp/w && echo upper > /tmp/new && rm /tmp/new && ls /tmp']);
    assert.equal(w.status, 0, w.stderr);
    assert.equal(w.stdout, 'w\nw\n');
    const again = run(['shell', img.ociZst, '--', 'ls -A /tmp; echo end']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, 'end\n', 'the last session\'s writes are gone');
    assert.equal(treeDigest(entry), before, 'the cache entry is untouched');
    const later = plan(img.ociZst);
    assert.equal(later.cached, true);
    assert.equal(later.root, first.root);
    const st2 = statSync(later.root);
    assert.deepEqual([st2.ino, st2.mtimeMs, st2.ctimeMs], [st.ino, st.mtimeMs, st.ctimeMs], 'the entry was neither rebuilt nor touched');
  });

  test(`images (${who}): --platform picks from a multi-platform index; without it the choices are listed`, { skip: skipWho, timeout: 600_000 }, () => {
    const img = buildRunImages();
    const none = run(['shell', img.multi]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /linux\/arm64\/v8, linux\/s390x/);
    assert.match(none.stderr, /hint:.*--platform/);
    assert.doesNotMatch(none.stderr, /\n\s+at /, 'one line and a hint, no stack trace');
    const s390 = run(['shell', img.multi, '--platform', 'linux/s390x']);
    assert.equal(s390.status, 0, s390.stderr);
    assert.equal(s390.stdout, 'Linux\n', 'the s390x image\'s Cmd (busybox uname) under qemu-s390x');
    const arm = run(['shell', img.multi, '--platform', 'linux/arm64', '--', '/bin/busybox', 'uname', '-m']);
    assert.equal(arm.status, 0, arm.stderr);
    assert.equal(arm.stdout, 'aarch64\n');
  });
}
