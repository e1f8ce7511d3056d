// prepareRoot over real archives: a 100+ MB root tar built from the Debian
// fixtures (first start unpacks, second costs nothing), a killed unpack and
// racing starts, and images built here by umoci and skopeo from the arm64 and
// s390x fixtures (docker-archive, OCI layout as directory, tar and tar.zst,
// a multi-platform index) with a whiteout, an opaque directory and a config.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asUser, DEBIAN_ARCHES, fixtureRoot, needCommand, needFixture, needTestUser, REPO, TEST_USER } from './helpers/env.js';
import { rawTar } from './helpers/tar.js';
import { buildImages, imageSkip } from './helpers/images.js';
import { defaultCacheDir, prepareRoot } from '../src/session/roots.js';
import { isXarchError } from '../src/core/errors.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-roots-'));
// The unprivileged test user reads the images built here.
chmodSync(work, 0o755);
after(() => rmSync(work, { recursive: true, force: true }));
const ROOTS_JS = path.join(REPO, 'dist/src/session/roots.js');

const sh = (script: string, ...args: string[]) => {
  const r = spawnSync('sh', ['-ec', script, 'sh', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${script}\n${r.stderr}`);
  return r.stdout;
};
const entries = (cache: string) => (existsSync(cache) ? readdirSync(cache).filter((n) => n !== 'sources').sort() : []);
const ms = (t0: number) => Number((performance.now() - t0).toFixed(1));

/** Every fixture root side by side: the biggest real root we can build without a network. */
let bigTar: string | undefined;
function bigRootTar(): string {
  if (bigTar) return bigTar;
  const tree = path.join(work, 'big');
  const base = fixtureRoot('arm64')!;
  sh('cp -a "$1/." "$2/"', base, (mkdirSync(tree, { recursive: true }), tree));
  for (const a of DEBIAN_ARCHES) if (fixtureRoot(a)) sh('mkdir -p "$2/opt/$3" && cp -a "$1/." "$2/opt/$3/"', fixtureRoot(a)!, tree, a);
  bigTar = path.join(work, 'big.tar');
  sh('tar -C "$1" -cf "$2" .', tree, bigTar);
  return bigTar;
}

test('the default cache directory', () => {
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }, 1000), '/x/cache/xarch/roots');
  assert.equal(defaultCacheDir({ HOME: '/home/u' }, 1000), '/home/u/.cache/xarch/roots');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 0), '/var/cache/xarch/roots');
  assert.equal(defaultCacheDir({ XARCH_ROOTS_CACHE: '/y/roots', XDG_CACHE_HOME: '/x/cache' }, 0), '/y/roots');
});

test('a directory is used as it is; bad specs are one-line errors', { skip: needFixture('arm64') }, async () => {
  const root = fixtureRoot('arm64')!;
  assert.deepEqual(await prepareRoot(root, { cacheDir: path.join(work, 'c-dir') }), { root, kind: 'dir', cached: false });
  assert.ok(!existsSync(path.join(work, 'c-dir')), 'a directory root touches no cache');
  await assert.rejects(prepareRoot(root, { platform: 'linux/arm64' }), (e) => isXarchError(e) && e.code === 'USAGE');
  await assert.rejects(prepareRoot(path.join(work, 'nope')), (e) => isXarchError(e) && e.code === 'PATH_NOT_FOUND');
  const junk = path.join(work, 'junk.tar');
  writeFileSync(junk, 'not a tar at all, just text'.repeat(40));
  await assert.rejects(prepareRoot(junk, { cacheDir: path.join(work, 'c-junk') }), (e) => isXarchError(e) && e.code === 'ARCHIVE_INVALID' && e.message.startsWith(junk));
  assert.deepEqual(entries(path.join(work, 'c-junk')), [], 'a failed unpack leaves nothing');
});

test('a 100+ MB root tar: unpacked once, the second start costs no unpacking, re-hashed only when the file changes', { skip: needFixture('arm64'), timeout: 300_000 }, async () => {
  const tar = bigRootTar();
  const cache = path.join(work, 'c-big');
  const size = readFileSync(tar).length;
  assert.ok(size > 100e6, `${size} bytes`);
  let t0 = performance.now();
  const first = await prepareRoot(tar, { cacheDir: cache });
  const firstMs = ms(t0);
  t0 = performance.now();
  const second = await prepareRoot(tar, { cacheDir: cache });
  const secondMs = ms(t0);
  console.log(`# ${(size / 1e6).toFixed(0)} MB root tar: first start ${firstMs} ms (hash + unpack), second ${secondMs} ms`);
  assert.equal(first.cached, false);
  assert.equal(second.cached, true);
  assert.equal(second.root, first.root);
  assert.equal(first.digest, `sha256:${createHash('sha256').update(readFileSync(tar)).digest('hex')}`);
  assert.ok(secondMs < 100, `second start took ${secondMs} ms`);
  assert.equal(spawnSync('diff', ['-r', '--no-dereference', path.join(work, 'big'), first.root]).status, 0, 'the cached root equals the tree');
  assert.deepEqual(entries(cache), [first.digest!.replace(':', '-')]);

  // Touched (same bytes): re-hashed, the same entry.
  utimesSync(tar, new Date(), new Date(Date.now() - 3600_000));
  const touched = await prepareRoot(tar, { cacheDir: cache });
  assert.equal(touched.digest, first.digest);
  assert.equal((await prepareRoot(tar, { cacheDir: cache })).cached, true);
  // Changed bytes (a member appended before the end blocks would do; a trailing block is simpler): a new entry.
  const copy = path.join(work, 'big2.tar');
  sh('cp "$1" "$2"', tar, copy);
  appendFileSync(copy, Buffer.alloc(512));
  const changed = await prepareRoot(copy, { cacheDir: cache });
  assert.notEqual(changed.digest, first.digest);
  assert.equal(entries(cache).length, 2);
  rmSync(copy);
});

/** Start prepareRoot in a child process; resolves to its stdout (the PreparedRoot JSON) or rejects. */
function child(spec: string, cache: string): { proc: ReturnType<typeof spawn>; result: Promise<{ code: number | null; signal: string | null; out: string }> } {
  const script = `import { prepareRoot } from ${JSON.stringify(ROOTS_JS)}; process.stdout.write(JSON.stringify(await prepareRoot(${JSON.stringify(spec)}, { cacheDir: ${JSON.stringify(cache)} })));`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  return { proc, result: new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, out }))) };
}

test('SIGKILL mid-unpack leaves no cache entry; the next start sweeps it and succeeds', { skip: needFixture('arm64'), timeout: 300_000 }, async () => {
  const tar = bigRootTar();
  const cache = path.join(work, 'c-kill');
  const { proc, result } = child(tar, cache);
  // Kill once the unpack is well under way: its temporary holds files.
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const tmp = entries(cache).find((n) => n.startsWith('.tmp-'));
    if (tmp && existsSync(path.join(cache, tmp, 'root', 'opt'))) break;
  }
  proc.kill('SIGKILL');
  const r = await result;
  assert.equal(r.signal, 'SIGKILL', 'killed before it finished');
  assert.ok(entries(cache).every((n) => n.startsWith('.tmp-')), `no entry: ${entries(cache)}`);
  assert.equal(entries(cache).length, 1, 'the killed temporary is still there until the next start');
  const next = await prepareRoot(tar, { cacheDir: cache });
  assert.equal(next.cached, false);
  assert.deepEqual(entries(cache), [next.digest!.replace(':', '-')], 'swept');
  assert.ok(existsSync(path.join(next.root, 'opt/s390x/bin/busybox')) || !fixtureRoot('s390x'));
});

test('racing starts on an empty cache agree on one entry', { skip: needFixture('arm64'), timeout: 120_000 }, async () => {
  const tar = path.join(work, 'small.tar');
  sh('tar -C "$1" -cf "$2" .', fixtureRoot('arm64')!, tar);
  const cache = path.join(work, 'c-race');
  const runs = await Promise.all([0, 1, 2, 3].map(() => child(tar, cache).result));
  for (const r of runs) assert.equal(r.code, 0, r.out);
  const roots = runs.map((r) => JSON.parse(r.out));
  assert.equal(new Set(roots.map((x) => x.root)).size, 1);
  assert.deepEqual(entries(cache), [roots[0].digest.replace(':', '-')]);
  assert.ok(existsSync(path.join(roots[0].root, 'bin/busybox')));
});

test('hostile tars as roots never write outside the cache entry', async () => {
  const box = path.join(work, 'hostile');
  mkdirSync(box);
  const tar = path.join(box, 'evil.tar');
  writeFileSync(tar, rawTar([
    { name: '../../escape', data: 'x' },
    { name: '/etc/abs', data: 'inside\n' },
    { name: 'link', type: '2', linkname: '../../..' },
    { name: 'link/escape-through', data: 'x' },
    { name: 'bin/', type: '5' },
  ]));
  const cache = path.join(box, 'cache');
  const r = await prepareRoot(tar, { cacheDir: cache });
  assert.deepEqual(readdirSync(box).sort(), ['cache', 'evil.tar']);
  // A link climbing out resolves, as inside a chroot, to the root itself.
  assert.deepEqual(readdirSync(r.root).sort(), ['bin', 'escape-through', 'etc', 'link']);
  assert.equal(readFileSync(path.join(r.root, 'etc/abs'), 'utf8'), 'inside\n');
  assert.deepEqual(entries(cache), [r.digest!.replace(':', '-')]);
});

// ---- images built by umoci (OCI) and skopeo (docker-archive) from the fixtures (test/helpers/images.ts)

test('images (docker-archive, OCI layout as directory, tar, tar.zst): layers in order, whiteout and opaque directory applied, config read', { skip: imageSkip(), timeout: 300_000 }, async () => {
  const img = buildImages(work);
  const cache = path.join(work, 'c-img');
  const seen = new Map<string, string>();
  for (const spec of [img.layout, img.docker, img.ociTar, img.ociZst]) {
    const r = await prepareRoot(spec, { cacheDir: cache });
    assert.equal(r.kind, 'image', spec);
    assert.equal(r.platform, 'linux/arm64');
    assert.deepEqual(r.config, { env: ['PATH=/bin:/usr/bin', 'GREETING=hi'], workingDir: '/opt/tool', user: '1000:1000', entrypoint: ['/bin/busybox'], cmd: ['echo', 'from-the-image'] }, spec);
    assert.ok(existsSync(path.join(r.root, 'bin/busybox')), 'the base layer');
    assert.ok(!existsSync(path.join(r.root, 'usr/bin/hello')), 'the whiteout hides a lower file');
    assert.deepEqual(readdirSync(path.join(r.root, 'opt/tool')), ['new'], 'the opaque directory hides its lower contents');
    assert.equal(readdirSync(r.root).filter((n) => n.startsWith('.wh.')).length, 0);
    seen.set(spec, r.digest!);
    // The second start of each costs no unpacking.
    const again = await prepareRoot(spec, { cacheDir: cache });
    assert.equal(again.cached, true, spec);
    assert.equal(again.root, r.root);
  }
  // One OCI image is one entry however it is packed; docker save is keyed by its config.
  assert.equal(new Set([seen.get(img.layout), seen.get(img.ociTar), seen.get(img.ociZst)]).size, 1);
  assert.equal(entries(cache).filter((n) => !n.startsWith('.')).length, 2);
  assert.ok(!entries(cache).some((n) => n.startsWith('.tmp-')));
  // The image's command runs on its root under the real emulator.
  const r = await prepareRoot(img.docker, { cacheDir: cache });
  const qemu = spawnSync('/usr/bin/qemu-aarch64-static', ['-L', r.root, path.join(r.root, r.config!.entrypoint![0]!), ...r.config!.cmd!], { encoding: 'utf8' });
  if (qemu.error) console.log(`# skip reason: qemu-aarch64-static: ${qemu.error.message}`);
  else assert.equal(qemu.stdout, 'from-the-image\n');
});

test('a multi-platform index: --platform picks, no default on the host\'s behalf, unknown platforms listed', { skip: imageSkip(), timeout: 300_000 }, async () => {
  const img = buildImages(work);
  const cache = path.join(work, 'c-multi');
  await assert.rejects(prepareRoot(img.multi, { cacheDir: cache }), (e) => isXarchError(e) && e.code === 'USAGE' && /linux\/arm64\/v8, linux\/s390x/.test(e.message) && /--platform/.test(e.hint ?? ''));
  const arm = await prepareRoot(img.multi, { cacheDir: cache, platform: 'linux/arm64' });
  assert.equal(arm.platform, 'linux/arm64/v8');
  assert.ok(existsSync(path.join(arm.root, 'bin/busybox')) && !existsSync(path.join(arm.root, 'usr/bin/hello')));
  const s390 = await prepareRoot(img.multi, { cacheDir: cache, platform: 's390x' });
  assert.equal(s390.platform, 'linux/s390x');
  assert.deepEqual(s390.config, { env: [], cmd: ['/bin/busybox', 'uname'] });
  assert.deepEqual(readdirSync(s390.root).sort(), ['bin']);
  assert.notEqual(s390.root, arm.root);
  await assert.rejects(prepareRoot(img.multi, { cacheDir: cache, platform: 'linux/riscv64' }), (e) => isXarchError(e) && /no image for platform linux\/riscv64 \(it has linux\/arm64\/v8, linux\/s390x\)/.test(e.message));
  // The same index packed as a tar: --platform through the archive path, remembered per platform.
  const tar = path.join(work, 'multi.tar');
  sh('tar -C "$1" -cf "$2" .', img.multi, tar);
  const viaTar = await prepareRoot(tar, { cacheDir: cache, platform: 'linux/s390x' });
  assert.equal(viaTar.root, s390.root);
  assert.equal((await prepareRoot(tar, { cacheDir: cache, platform: 'linux/arm64' })).root, arm.root);
  assert.equal((await prepareRoot(tar, { cacheDir: cache, platform: 'linux/s390x' })).cached, true);
});

test('as an unprivileged user: the default cache under $XDG_CACHE_HOME, owners dropped, the second start cached', { skip: imageSkip() || needTestUser(), timeout: 300_000 }, () => {
  const img = buildImages(work);
  const home = path.join(work, 'user-home');
  mkdirSync(home);
  const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout);
  chownSync(home, uid, uid);
  const script = `import { prepareRoot } from ${JSON.stringify(ROOTS_JS)}; const a = await prepareRoot(${JSON.stringify(img.docker)}); const b = await prepareRoot(${JSON.stringify(img.docker)}); process.stdout.write(JSON.stringify([a, b]));`;
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, XDG_CACHE_HOME: path.join(home, 'xdg') };
  const r = asUser([process.execPath, '--input-type=module', '-e', script], { env });
  assert.equal(r.status, 0, `${r.stderr} ${r.signal} ${r.error}`);
  const [a, b] = JSON.parse(r.stdout);
  assert.ok(a.root.startsWith(path.join(home, 'xdg/xarch/roots/')), a.root);
  assert.deepEqual([a.cached, b.cached, b.root], [false, true, a.root]);
  assert.equal(lstatSync(path.join(a.root, 'bin/busybox')).uid, uid);
  assert.ok(!existsSync(path.join(a.root, 'usr/bin/hello')));
});

test('as an unprivileged user, a directory of another owner is copied once into the cache for a writable session (unreadable paths listed), again when it changes', { skip: needFixture('arm64') || needTestUser(), timeout: 300_000 }, () => {
  const tree = path.join(work, 'root-owned');
  sh('cp -a "$1/." "$2/" && echo secret > "$2/etc/secret" && chmod 600 "$2/etc/secret"', fixtureRoot('arm64')!, (mkdirSync(tree), tree));
  const home = path.join(work, 'tree-home');
  mkdirSync(home);
  const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout);
  chownSync(home, uid, uid);
  const script = `import { prepareRoot } from ${JSON.stringify(ROOTS_JS)}; const o = { writable: true }; const a = await prepareRoot(${JSON.stringify(tree)}, o); const b = await prepareRoot(${JSON.stringify(tree)}, o); process.stdout.write(JSON.stringify([a, b]));`;
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', XDG_CACHE_HOME: path.join(home, 'xdg') };
  const twice = () => {
    const r = asUser([process.execPath, '--input-type=module', '-e', script], { env });
    assert.equal(r.status, 0, `${r.stderr} ${r.signal} ${r.error}`);
    return JSON.parse(r.stdout);
  };
  const [a, b] = twice();
  assert.deepEqual([a.kind, a.cached, b.cached, b.root], ['tree', false, true, a.root]);
  assert.deepEqual(a.unreadable, ['/etc/secret']);
  assert.equal(lstatSync(path.join(a.root, 'bin/busybox')).uid, uid, 'owned by the user: uid 0 inside');
  assert.ok(!existsSync(path.join(a.root, 'etc/secret')));
  // As root the directory is used as it is.
  return prepareRoot(tree, { writable: true }).then((asRoot) => {
    assert.deepEqual([asRoot.kind, asRoot.root], ['dir', tree]);
    appendFileSync(path.join(tree, 'etc/hostname'), 'changed\n');
    const [c] = twice();
    assert.equal(c.cached, false, 'a changed tree is copied again');
    assert.notEqual(c.root, a.root);
  });
});
