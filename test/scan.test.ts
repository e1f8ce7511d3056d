// xarch scan over trees, tars and images built here from real Debian
// packages, with a host binary mixed in, whiteouts and hostile archives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fork, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES, fixtureRoot, needCommand, needFixture, xarch } from './helpers/env.js';
import type { Progress } from '../src/core/progress.js';
import { scanTree } from '../src/scan/scan.js';
import { Walker } from '../src/scan/walk.js';
import type { WalkReply, WalkRequest } from '../src/scan/walk-worker.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-scan-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const scan = (args: string[]) => {
  const r = xarch(['scan', '--json', ...args]);
  return { status: r.status, stderr: r.stderr, reports: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
};

/** A ustar header + data, for archives the tar tool would refuse to make. */
function tarEntry(name: string, data: Uint8Array | string, opts: { type?: string; size?: number; linkname?: string } = {}): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
  h.write((opts.size ?? body.length).toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(opts.type ?? '0', 156);
  if (opts.linkname) h.write(opts.linkname, 157);
  h.write('ustar\0', 257); h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}
const tarEnd = () => Buffer.alloc(1024);

function mixedTree(): string {
  const root = path.join(work, 'tree');
  cpSync(fixtureRoot('arm64')!, root, { recursive: true, verbatimSymlinks: true });
  copyFileSync('/bin/true', path.join(root, 'usr/bin/host-true'));
  return root;
}

test('tree: a host binary in an arm64 tree is the only mismatch; counts agree with scanelf', { skip: needFixture('arm64') || needCommand('scanelf', 'pax-utils') }, () => {
  const root = mixedTree();
  const r = scan([root, '--expect', 'linux/arm64']);
  assert.equal(r.status, 1);
  const [rep] = r.reports;
  assert.deepEqual(rep.mismatches, [{ file: 'usr/bin/host-true', target: 'x86_64' }]);
  assert.equal(rep.targets.x86_64.count, 1);
  assert.ok(rep.targets.aarch64.count > 100);
  assert.deepEqual(rep.loaders.find((l: any) => l.path === '/lib/ld-linux-aarch64.so.1'), { path: '/lib/ld-linux-aarch64.so.1', present: true, count: 2, targets: ['aarch64'] });
  assert.deepEqual(rep.emulators.sort(), ['qemu-aarch64'], 'the x86_64 host runs its own program without an emulator');
  const se = spawnSync('scanelf', ['-R', '-B', '-F', '%a %F', root], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  assert.equal(rep.elfFiles, se.length, 'same number of ELF files as scanelf');
  assert.equal(se.filter((l) => l.startsWith('EM_AARCH64')).length, rep.targets.aarch64.count);
  const ok = scan([root, '--expect', 'x86_64']);
  assert.equal(ok.reports[0].mismatches.length, rep.targets.aarch64.count);
});

test('tar, tar.gz and tar.zst of the tree give the same counts as the tree', { skip: needFixture('arm64') || needCommand('zstd', 'zstd') }, () => {
  const root = path.join(work, 'tree');
  const tree = scan([root]).reports[0];
  for (const [name, flag] of [['t.tar', ''], ['t.tar.gz', '-z'], ['t.tar.zst', '--zstd']] as const) {
    const file = path.join(work, name);
    const t = spawnSync('tar', ['-c', ...(flag ? [flag] : []), '-f', file, '-C', root, '.']);
    assert.equal(t.status, 0, String(t.stderr));
    const r = scan([file, '--expect', 'aarch64']);
    assert.equal(r.status, 1, r.stderr);
    const rep = r.reports[0];
    assert.equal(rep.kind, 'tar');
    assert.equal(rep.elfFiles, tree.elfFiles, name);
    assert.deepEqual(Object.fromEntries(Object.entries(rep.targets).map(([k, v]: any) => [k, v.count])), Object.fromEntries(Object.entries(tree.targets).map(([k, v]: any) => [k, v.count])));
    assert.deepEqual(rep.mismatches, [{ file: 'usr/bin/host-true', target: 'x86_64' }]);
    assert.equal(rep.loaders.find((l: any) => l.path === '/lib/ld-linux-aarch64.so.1').present, true);
  }
});

function layerTar(dir: string, name: string, entries: Buffer[]): string {
  const f = path.join(dir, name);
  writeFileSync(f, Buffer.concat([...entries, tarEnd()]));
  return f;
}

test('docker save archive: layers in order, whiteouts, declared platform', { skip: needFixture('arm64') }, () => {
  const d = path.join(work, 'docker');
  mkdirSync(d);
  const bb = readFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'));
  const hello = readFileSync(path.join(fixtureRoot('arm64')!, 'usr/bin/hello'));
  const host = readFileSync('/bin/true');
  const l1 = layerTar(d, 'l1.tar', [tarEntry('bin/busybox', bb), tarEntry('usr/bin/hello', hello), tarEntry('opt/tool/a', bb), tarEntry('opt/tool/b', host)]);
  const l2 = layerTar(d, 'l2.tar', [tarEntry('usr/bin/.wh.hello', ''), tarEntry('opt/tool/.wh..wh..opq', ''), tarEntry('usr/local/bin/host-true', host)]);
  writeFileSync(path.join(d, 'cfg.json'), JSON.stringify({ architecture: 'arm64', os: 'linux' }));
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: ['demo:arm64'], Layers: ['l1.tar', 'l2.tar'] }]));
  const archive = path.join(work, 'docker.tar');
  assert.equal(spawnSync('tar', ['-cf', archive, '-C', d, 'manifest.json', 'cfg.json', path.basename(l1), path.basename(l2)]).status, 0);
  const r = scan([archive]);
  assert.equal(r.status, 1, r.stderr);
  const [rep] = r.reports;
  assert.equal(rep.kind, 'docker-archive');
  assert.equal(rep.image, 'demo:arm64');
  assert.equal(rep.platform, 'linux/arm64');
  assert.equal(rep.expect, 'aarch64');
  assert.equal(rep.files, 2, 'hello whited out, opaque /opt/tool emptied');
  assert.deepEqual(rep.mismatches, [{ file: 'usr/local/bin/host-true', target: 'x86_64' }]);
});

test('OCI layout (directory and tar): a multi-platform index, each manifest against its platform', { skip: needFixture('arm64') || needFixture('s390x') }, () => {
  const d = path.join(work, 'oci');
  mkdirSync(path.join(d, 'blobs/sha256'), { recursive: true });
  const put = (data: Buffer | string) => {
    const b = Buffer.from(data);
    const hex = createHash('sha256').update(b).digest('hex');
    writeFileSync(path.join(d, 'blobs/sha256', hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const bbArm = readFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'));
  const bbS390 = readFileSync(path.join(fixtureRoot('s390x')!, 'bin/busybox'));
  const gz = (buf: Buffer) => Buffer.from(spawnSync('gzip', ['-c'], { input: buf }).stdout);
  const manifest = (arch: string, layer: Buffer) => {
    const cfg = put(JSON.stringify({ architecture: arch, os: 'linux' }));
    const l = put(layer);
    return put(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l }] }));
  };
  const mArm = manifest('arm64', gz(Buffer.concat([tarEntry('bin/busybox', bbArm), tarEnd()])));
  const mS390 = manifest('s390x', Buffer.concat([tarEntry('bin/busybox', bbS390), tarEntry('bin/stray', bbArm), tarEnd()]));
  const idx = put(JSON.stringify({ schemaVersion: 2, manifests: [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...mArm, platform: { os: 'linux', architecture: 'arm64' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...mS390, platform: { os: 'linux', architecture: 's390x' } },
  ] }));
  writeFileSync(path.join(d, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(d, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...idx, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }));
  const archive = path.join(work, 'oci.tar');
  assert.equal(spawnSync('tar', ['-cf', archive, '-C', d, '.']).status, 0);
  for (const target of [d, archive]) {
    const r = scan([target]);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(r.reports.map((x: any) => [x.kind, x.platform, x.files, x.mismatches.map((m: any) => m.file)]), [
      ['oci-layout', 'linux/arm64', 1, []],
      ['oci-layout', 'linux/s390x', 2, ['bin/stray']],
    ]);
  }
});

test('hostile archives: escaping paths are contained, damage is a clear error, nothing is written', { skip: needFixture('arm64') }, () => {
  const canary = mkdtempSync(path.join(tmpdir(), 'xarch-canary-'));
  const before = readdirSync(canary).length;
  const bb = readFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'));
  const evil = path.join(work, 'evil.tar');
  writeFileSync(evil, Buffer.concat([
    tarEntry(`../../../../${canary.slice(1)}/escaped`, bb), tarEntry('/etc/abs', bb),
    tarEntry('lib/ld-linux-aarch64.so.1', '', { type: '2', linkname: '/../../../etc/passwd' }), tarEnd(),
  ]));
  const r = scan([evil]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.reports[0].errors.unsafePaths, 2);
  assert.equal(r.reports[0].elfFiles, 2);
  assert.equal(readdirSync(canary).length, before, 'nothing written');
  rmSync(canary, { recursive: true, force: true });

  const cases: [string, Buffer][] = [
    ['truncated', Buffer.concat([tarEntry('bin/busybox', bb)]).subarray(0, 10000)],
    ['huge', Buffer.concat([tarEntry('x', '', { size: 0o77777777777 }), tarEnd()])],
    ['gzip garbage', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(600, 0x55)])],
    ['not a tar', Buffer.from('hello world, this is not an archive'.repeat(40))],
  ];
  for (const [name, bytes] of cases) {
    const f = path.join(work, `bad-${name.replace(' ', '-')}`);
    writeFileSync(f, bytes);
    const x = xarch(['scan', f]);
    assert.equal(x.status, 1, `${name}: ${x.stdout}`);
    assert.match(x.stderr, /^xarch: .+\n/, name);
    assert.doesNotMatch(x.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
});

test('tree: symlink loops, FIFOs and links out of the tree are not followed', () => {
  const root = path.join(work, 'odd');
  mkdirSync(path.join(root, 'a'), { recursive: true });
  symlinkSync('..', path.join(root, 'a/loop'));
  symlinkSync('/usr/bin', path.join(root, 'out'));
  spawnSync('mkfifo', [path.join(root, 'fifo')]);
  copyFileSync('/bin/true', path.join(root, 'a/true'));
  const r = scan([root]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.reports[0].elfFiles, 1);
  assert.equal(r.reports[0].errors.special, 1);
  assert.equal(xarch(['scan']).status, 2);
  assert.equal(xarch(['scan', '/nonexistent']).status, 1);
});

/** A report without its timing: what must not change with --jobs. */
const stable = (stdout: string) => stdout.replace(/"seconds":[0-9.e+-]+/g, '"seconds":0');

test('--jobs: the report is byte for byte the same on one core and on several (/usr, the fixtures)', () => {
  for (const tree of ['/usr', FIXTURES]) {
    if (!existsSync(tree)) { console.log(`# skip reason: ${tree} is missing`); continue; }
    const one = xarch(['scan', '--json', '--jobs', '1', tree]);
    assert.equal(one.status, 0, one.stderr);
    for (const jobs of ['2', '3']) {
      const many = xarch(['scan', '--json', '--jobs', jobs, tree]);
      assert.equal(many.status, 0, many.stderr);
      assert.equal(stable(many.stdout), stable(one.stdout), `${tree} --jobs ${jobs}`);
    }
    assert.ok(JSON.parse(one.stdout).elfFiles > 100, tree);
  }
});

test('--jobs: names that are not UTF-8, in a tree larger than one walk part, come out the same', async () => {
  const root = path.join(work, 'wide');
  // More entries than the walk's first part (scan/parallel.ts FIRST_BUDGET), though too narrow for workers to start at once (WIDE).
  for (let d = 0; d < 24; d++) {
    const dir = path.join(root, `d${d}`, 'sub');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 500; f++) writeFileSync(path.join(dir, `f${f}`), f % 7 ? 'text' : '');
    copyFileSync('/bin/true', path.join(root, `d${d}`, 'true'));
  }
  const odd = Buffer.concat([Buffer.from(root + '/d5/'), Buffer.from([0x63, 0x61, 0x66, 0xe9])]);
  copyFileSync('/bin/true', odd);
  // A directory whose name is not UTF-8: the files in it are opened by their bytes too.
  const oddDir = Buffer.concat([Buffer.from(root + '/d6/'), Buffer.from([0xff])]);
  mkdirSync(oddDir);
  copyFileSync('/bin/true', Buffer.concat([oddDir, Buffer.from('/true')]));
  const one = xarch(['scan', '--json', '--jobs', '1', '--expect', 'aarch64', root]);
  const many = xarch(['scan', '--json', '--jobs', '3', '--expect', 'aarch64', root]);
  assert.equal(many.status, 1, many.stderr);
  assert.equal(stable(many.stdout), stable(one.stdout));
  const rep = JSON.parse(one.stdout);
  assert.equal(rep.files, 24 * 501 + 2);
  assert.equal(rep.elfFiles, 26);
  assert.equal(rep.errors.unreadable, 0);
  assert.ok(rep.mismatches.some((m: any) => m.file === 'd6/\udcff/true'), 'a file in a directory named by bytes');
  assert.ok(rep.mismatches.some((m: any) => m.file === 'd5/caf\udce9'), 'the name keeps its byte 0xe9');
  // Whether a worker takes part in a tree this small depends on timing; what
  // one sends back for these names is checked here directly, through the
  // same channel (structured clone) the scan uses.
  const worker = fork(new URL('../src/scan/walk-worker-start.cjs', import.meta.url), [root], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const replies: WalkReply[] = [];
  await new Promise<void>((resolve) => {
    worker.on('message', (m: WalkReply) => {
      replies.push(m);
      if ('ready' in m) {
        worker.send({ id: 7, dirs: [`${root}/d5`, `${root}/d6`], budget: Infinity, ms: Infinity } satisfies WalkRequest);
        // No time left: one directory, and the rest handed back.
        worker.send({ id: 8, dirs: [`${root}/d5`, `${root}/d6`], budget: Infinity, ms: 0 } satisfies WalkRequest);
      } else if (replies.length === 3) { worker.disconnect(); resolve(); }
    });
  });
  const walker = new Walker(root);
  const expected = [walker.walk([`${root}/d5`], { left: Infinity }), walker.walk([`${root}/d6`], { left: Infinity })];
  assert.deepEqual(replies[1], { id: 7, results: expected });
  const once = walker.walk([`${root}/d5`], { left: Infinity, until: 0 });
  assert.deepEqual(once.rest, [`${root}/d5/sub`]);
  assert.deepEqual(replies[2], { id: 8, results: [once] });
});

test('--jobs: workers take part in a large tree, and the report is the one of a single walk', { skip: existsSync('/usr/lib') ? false : '/usr/lib is missing' }, async () => {
  const { scanTreeParallel } = await import('../src/scan/parallel.js');
  const stats = { workerWalks: 0 };
  // Workers start after the first 1024 entries.
  const shared = await scanTreeParallel('/usr/lib', { jobs: 2, firstBudget: 1024, stats });
  assert.ok(stats.workerWalks > 0, 'a worker walked part of the tree');
  assert.deepEqual({ ...shared, seconds: 0 }, { ...scanTree('/usr/lib'), seconds: 0 });
});

test('--jobs: a tree the first part leaves narrow gets a second part before any worker, and the report of a single walk', async () => {
  const { scanTreeParallel } = await import('../src/scan/parallel.js');
  const root = path.join(work, 'narrow');
  for (let d = 0; d < 10; d++) {
    mkdirSync(path.join(root, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(path.join(root, `d${d}`, `f${f}`), 'text');
    copyFileSync('/bin/true', path.join(root, `d${d}`, 'true'));
  }
  // 1,021 entries: the first 600 leave fewer than WIDE (64) directories, and the second 600 finish the tree.
  const stats = { workerWalks: 0, workers: 0 };
  const rep = await scanTreeParallel(root, { jobs: 2, firstBudget: 600, stats });
  assert.deepEqual(stats, { workerWalks: 0, workers: 0 }, 'no worker started');
  // Wide: 120 directories left after the first 600 entries, and a worker starts at once.
  const wide = path.join(work, 'narrow-wide');
  for (let d = 0; d < 120; d++) {
    mkdirSync(path.join(wide, `d${d}`), { recursive: true });
    for (let f = 0; f < 10; f++) writeFileSync(path.join(wide, `d${d}`, `f${f}`), 'text');
  }
  const wideStats = { workerWalks: 0, workers: 0 };
  const wideRep = await scanTreeParallel(wide, { jobs: 2, firstBudget: 600, stats: wideStats });
  assert.equal(wideStats.workers, 1);
  assert.deepEqual({ ...wideRep, seconds: 0 }, { ...scanTree(wide), seconds: 0 });
  assert.deepEqual({ ...rep, seconds: 0 }, { ...scanTree(root), seconds: 0 });
  assert.equal(rep.files, 1010);
  assert.equal(rep.elfFiles, 10);
});

test('--jobs: not a whole number of at least 1 is a usage error', () => {
  for (const bad of ['0', 'two', '-1', '1.5']) {
    const r = xarch(['scan', '--jobs', bad, '/usr/bin']);
    assert.equal(r.status, 2, bad);
    assert.match(r.stderr, /^xarch: .*--jobs/, bad);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('progress: a tree reports files done, an archive bytes read of its size', { skip: needCommand('zstd', 'zstd') }, async () => {
  const { scanPath } = await import('../src/scan/image.js');
  for (const jobs of [1, 2]) {
    const seen: Progress[] = [];
    const [rep] = await scanPath('/usr/lib', { jobs, progress: (p) => seen.push(p) });
    assert.ok(seen.length > 1, `jobs ${jobs}: more than one report`);
    assert.ok(seen.every((p) => p.phase === 'scan' && p.unit === 'files' && p.total === undefined));
    assert.ok(seen.every((p, i) => i === 0 || p.done >= seen[i - 1]!.done), 'never goes back');
    assert.equal(seen.at(-1)!.done, rep!.files);
  }
  const file = path.join(work, 'python.tar.zst');
  assert.equal(spawnSync('tar', ['-c', '--zstd', '-f', file, '-C', '/usr/lib', 'python3.11']).status, 0);
  const size = statSync(file).size;
  const seen: Progress[] = [];
  await scanPath(file, { progress: (p) => seen.push(p) });
  assert.ok(seen.length > 1);
  assert.ok(seen.every((p) => p.phase === 'scan' && p.unit === 'bytes' && p.total === size && p.done <= size));
  assert.ok(seen.some((p) => p.done > 0), 'the decompressor\'s offset is seen');
});
