// The launcher (src/cli/launcher.cts): bin/xarch.js runs the named command's
// CommonJS bundle with a V8 code cache, or dist/src's ESM modules when the
// build has no bundles. Real processes, real files, the real V8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, REPO } from './helpers/env.js';
import { BUNDLE_DIR, commandNames } from '../src/cli/bundle.js';
import { COMMANDS } from '../src/cli/main.js';

const haveBundles = existsSync(path.join(BUNDLE_DIR, 'main.cjs'));
const needBundles = haveBundles ? false : 'no bundles in dist/src/cli/bundle: run npm run build';
if (needBundles) console.log(`# skip reason: ${needBundles}`);

function withDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-launcher-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run the CLI with a preload that names every file of the repository read through fs.readFileSync, and an ESM hook that names every ESM module (format 'module') loaded. */
function traced(cli: string, args: string[], dir: string): { status: number | null; stdout: string; reads: string[]; esm: string[] } {
  writeFileSync(path.join(dir, 'reads.cjs'), "const fs = require('fs'); const orig = fs.readFileSync; fs.readFileSync = function (p, ...a) { if (typeof p === 'string') process.stderr.write('READ ' + p + '\\n'); return orig.call(this, p, ...a); };\n");
  writeFileSync(path.join(dir, 'hooks.mjs'), "export async function load(url, c, next) { const r = await next(url, c); if (url.startsWith('file:') && r.format === 'module') process.stderr.write('LOAD ' + url + '\\n'); return r; }\n");
  writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`);
  const r = spawnSync(process.execPath, ['--require', path.join(dir, 'reads.cjs'), '--import', path.join(dir, 'register.mjs'), cli, ...args], { encoding: 'utf8', env: { ...process.env, XARCH_CODE_CACHE: '0' } });
  const root = path.dirname(path.dirname(cli));
  const rel = (f: string) => path.relative(root, f);
  const lines = r.stderr.split('\n');
  return {
    status: r.status,
    stdout: r.stdout,
    reads: [...new Set(lines.filter((l) => l.startsWith('READ ')).map((l) => l.slice(5)).filter((f) => f.startsWith(root + '/')).map(rel))].sort(),
    esm: lines.filter((l) => l.startsWith('LOAD ')).map((l) => new URL(l.slice(5)).pathname).filter((f) => f.startsWith(root + '/')).map(rel).sort(),
  };
}

test('there is a bundle for every command of the table, and main.cjs holds no command module', { skip: needBundles }, async () => {
  assert.deepEqual(commandNames(), Object.keys(COMMANDS).sort());
  for (const name of ['main', ...commandNames()]) assert.ok(existsSync(path.join(BUNDLE_DIR, `${name}.cjs`)), name);
  // A line of each command's help text (a string minifying keeps) is in its own bundle and not in main.cjs.
  const main = readFileSync(path.join(BUNDLE_DIR, 'main.cjs'), 'utf8');
  for (const name of commandNames()) {
    const own = readFileSync(path.join(BUNDLE_DIR, `${name}.cjs`), 'utf8');
    // Plain lines only: one built with ${...} is not in the bundle as it prints.
    const { command } = await COMMANDS[name]!.load();
    const decls = [command, ...(command.subcommands ?? [])];
    const texts = decls.flatMap((d) => [d.description ?? '', d.notes ?? '', ...Object.values(d.options ?? {}).map((o) => o.description ?? '')]);
    const lines = texts.flatMap((t) => t.split('\n')).map((l) => /^[A-Za-z0-9 ,.()'-]{25,}/.exec(l)?.[0]).filter((l): l is string => !!l);
    const line = lines.find((l) => own.includes(l));
    assert.ok(line, `${name}.cjs holds none of its help text's lines`);
    assert.ok(!main.includes(line), `main.cjs (${main.length} bytes) contains the command module ${name}`);
  }
  // import() in a vm.Script needs --experimental-vm-modules on Node 20: none may be left in a bundle.
  for (const name of ['main', ...commandNames()]) assert.doesNotMatch(readFileSync(path.join(BUNDLE_DIR, `${name}.cjs`), 'utf8'), /\bimport\(/, `${name}.cjs has a dynamic import`);
});

test('start-up: --version and --help read main.cjs only; a command reads its own bundle only; no ESM module is loaded', { skip: needBundles }, () => withDir((dir) => {
  for (const arg of ['--version', '--help']) {
    const r = traced(CLI, [arg], dir);
    assert.equal(r.status, 0, arg);
    assert.deepEqual(r.esm, [], `${arg} loads ESM modules`);
    assert.deepEqual(r.reads.filter((f) => f !== 'package.json'), ['dist/src/cli/bundle/main.cjs', 'dist/src/cli/launcher.cjs'], arg);
  }
  const r = traced(CLI, ['status', '--json'], dir);
  assert.equal(r.status, 0);
  assert.equal(JSON.parse(r.stdout).binfmtDir, '/proc/sys/fs/binfmt_misc');
  assert.deepEqual(r.esm, []);
  assert.deepEqual(r.reads.filter((f) => f.includes('/bundle/')), ['dist/src/cli/bundle/status.cjs']);
  // help COMMAND goes to that command's bundle too.
  const h = traced(CLI, ['help', 'which'], dir);
  assert.match(h.stdout, /^Usage: xarch which/m);
  assert.deepEqual(h.reads.filter((f) => f.includes('/bundle/')), ['dist/src/cli/bundle/which.cjs']);
}));

test('a build without bundles runs from dist/src as ESM, loading no command module for --version', () => withDir((dir) => {
  // A copy of the build as tsc alone leaves it.
  const copy = path.join(dir, 'xarch');
  mkdirSync(path.join(copy, 'dist'), { recursive: true });
  cpSync(path.join(REPO, 'bin'), path.join(copy, 'bin'), { recursive: true });
  cpSync(path.join(REPO, 'dist', 'src'), path.join(copy, 'dist', 'src'), { recursive: true, filter: (f) => !f.includes(`${path.sep}bundle`) });
  cpSync(path.join(REPO, 'package.json'), path.join(copy, 'package.json'));
  const cli = path.join(copy, 'bin', 'xarch.js');
  const v = traced(cli, ['--version'], dir);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^xarch \d+\.\d+\.\d+\n$/);
  assert.deepEqual(v.esm.filter((f) => !f.startsWith('dist/src/core/')), ['dist/src/cli/io.js', 'dist/src/cli/main.js', 'dist/src/cli/start.js']);
  const s = spawnSync(process.execPath, [cli, 'arches', '--json'], { encoding: 'utf8' });
  assert.equal(s.status, 0, s.stderr);
  assert.ok(s.stdout.trim().split('\n').map((l) => JSON.parse(l)).length > 20);
  const u = spawnSync(process.execPath, [cli, 'instal'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown command 'instal'/);
}));

function cacheRun(cacheHome: string, args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', XDG_CACHE_HOME: cacheHome, ...extra } });
}

test('code cache: written after a run (mode 0600, in a 0700 directory), used as it is by the next run', { skip: needBundles }, () => withDir((dir) => {
  const cacheDir = path.join(dir, 'xarch', 'code-cache');
  const first = cacheRun(dir, ['arches', '--json']);
  assert.equal(first.status, 0, first.stderr);
  const files = readdirSync(cacheDir);
  assert.equal(files.length, 1);
  assert.match(files[0]!, new RegExp(`^arches-${process.version}-${process.arch}-\\d+-\\d+-\\d+\\.v8$`));
  const file = path.join(cacheDir, files[0]!);
  const st = statSync(file);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
  assert.ok(st.size > 1000);
  // An accepted cache is not written again: same inode, same mtime.
  const second = cacheRun(dir, ['arches', '--json']);
  assert.equal(second.stdout, first.stdout);
  const st2 = statSync(file);
  assert.equal(st2.ino, st.ino);
  assert.equal(st2.mtimeMs, st.mtimeMs);
}));

test('code cache: a corrupt cache, or one others can write, is not used; the command runs and the cache is written afresh', { skip: needBundles }, () => withDir((dir) => {
  const cacheDir = path.join(dir, 'xarch', 'code-cache');
  const good = cacheRun(dir, ['which', '--help']);
  assert.equal(good.status, 0);
  const name = readdirSync(cacheDir)[0]!;
  const file = path.join(cacheDir, name);
  // Garbage of the same name: V8 rejects it.
  writeFileSync(file, Buffer.alloc(4096, 0x5a), { mode: 0o600 });
  const ino = statSync(file).ino;
  const r = cacheRun(dir, ['which', '--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, good.stdout);
  assert.notEqual(statSync(file).ino, ino, 'the rejected cache was replaced');
  assert.notDeepEqual(readFileSync(file).subarray(0, 16), Buffer.alloc(16, 0x5a), 'the garbage is gone');
  // Group-writable: never read (another user could have written it), replaced by a private one.
  chmodSync(file, 0o666);
  const ino2 = statSync(file).ino;
  const w = cacheRun(dir, ['which', '--help']);
  assert.equal(w.status, 0);
  assert.notEqual(statSync(file).ino, ino2);
  assert.equal(statSync(file).mode & 0o777, 0o600);
}));

test('code cache: a rebuilt bundle gets a new cache and the old one is removed; XARCH_CODE_CACHE=0 writes none', { skip: needBundles }, () => withDir((dir) => {
  // A private copy of the build, so touching its bundle does not disturb other tests.
  const copy = path.join(dir, 'xarch');
  mkdirSync(path.join(copy, 'dist'), { recursive: true });
  cpSync(path.join(REPO, 'bin'), path.join(copy, 'bin'), { recursive: true });
  cpSync(path.join(REPO, 'dist', 'src'), path.join(copy, 'dist', 'src'), { recursive: true });
  cpSync(path.join(REPO, 'package.json'), path.join(copy, 'package.json'));
  const cli = path.join(copy, 'bin', 'xarch.js');
  const home = path.join(dir, 'cache');
  const run = (env: Record<string, string> = {}) => spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', XDG_CACHE_HOME: home, ...env } });
  assert.equal(run({ XARCH_CODE_CACHE: '0' }).status, 0);
  assert.equal(existsSync(path.join(home, 'xarch')), false, 'XARCH_CODE_CACHE=0 wrote a cache');
  assert.equal(run().status, 0);
  const cacheDir = path.join(home, 'xarch', 'code-cache');
  const before = readdirSync(cacheDir);
  assert.equal(before.length, 1);
  const bundle = path.join(copy, 'dist', 'src', 'cli', 'bundle', 'main.cjs');
  const t = new Date(Date.now() + 5000);
  utimesSync(bundle, t, t);
  const r = run();
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^xarch /);
  const after = readdirSync(cacheDir);
  assert.equal(after.length, 1);
  assert.notEqual(after[0], before[0]);
}));
