// What bin/xarch.js runs first: the bundle of the command named on the
// command line (bundle.ts), compiled with a V8 code cache, or dist/src's
// ESM modules when this build has no bundles. CommonJS (a .cts file) so
// that Node's ESM loader is never started for a command.
//
// The code cache: V8's compiled code of a bundle, written after a run to
// $XDG_CACHE_HOME/xarch/code-cache (default ~/.cache), so that the next run
// skips most of compiling. Its name carries the bundle's size, mtime and
// inode and Node's version and CPU: V8 itself checks only the source's
// length and its own version and flags, so a rebuilt bundle must not meet an
// old cache. A cache file is used only when it belongs to this user and no
// one else can write it (a root process must never run code another user
// put in its cache). XARCH_CODE_CACHE=0 turns it off; any failure to read or
// write it just means compiling as without one.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import path = require('node:path');
import vm = require('node:vm');

const BUNDLES = path.join(__dirname, 'bundle');

function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.XARCH_CODE_CACHE === '0') return undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : undefined);
  return base && path.isAbsolute(base) ? path.join(base, 'xarch', 'code-cache') : undefined;
}

function cacheName(bundle: string, st: Stats): string {
  return `${bundle}-${process.version}-${process.arch}-${st.size}-${Math.round(st.mtimeMs)}-${st.ino}.v8`;
}

/** The cache's bytes, when the file is this user's own and writable by no one else. */
function readCache(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write the cache atomically and drop this bundle's caches of older builds. */
function writeCache(dir: string, bundle: string, name: string, data: Buffer): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(dir, `.${name}.${process.pid}`);
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path.join(dir, name));
    for (const f of readdirSync(dir)) if (f.startsWith(`${bundle}-`) && f !== name) unlinkSync(path.join(dir, f));
  } catch { /* no cache this time */ }
}

/** Run bundle `bundle` (its file read as `source`) as a CommonJS module. */
function runBundle(bundle: string, file: string, source: string, st: Stats): void {
  const dir = cacheDir(process.env);
  const name = cacheName(bundle, st);
  const cachedData = dir ? readCache(path.join(dir, name)) : undefined;
  // The CommonJS wrapper, written out: node:module would start loading the
  // ESM loader (about 0.6 ms). Bundles require only Node's built-in modules,
  // which this module's own require resolves alike.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (dir && (!cachedData || script.cachedDataRejected)) {
    // After the run, so the functions compiled while it ran are in it.
    process.once('exit', () => writeCache(dir, bundle, name, script.createCachedData()));
  }
  const m = { exports: {} };
  const fn = script.runInThisContext() as (exports: unknown, req: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  fn(m.exports, require, m, file, path.dirname(file));
}

function readBundle(bundle: string): { file: string; source: string; st: Stats } | undefined {
  const file = path.join(BUNDLES, `${bundle}.cjs`);
  try {
    const st = statSync(file);
    return { file, source: readFileSync(file, 'utf8'), st };
  } catch {
    return undefined;
  }
}

/**
 * A worker process's entry (scan/walk-worker-start.cts): bundle `bundle`
 * (a name no command can have, bundle.ts WORKERS) with the code cache, else,
 * in a build without bundles, `fallback`, which imports the ESM module.
 */
export function launchBundle(bundle: string, fallback: () => Promise<unknown>): void {
  const b = readBundle(bundle);
  if (b) runBundle(bundle, b.file, b.source, b.st);
  else void fallback();
}

export function launch(argv: readonly string[] = process.argv.slice(2)): void {
  const first = argv[0] === 'help' ? argv[1] : argv[0];
  // The command's own bundle, else main.cjs (--help, --version, an unknown name).
  for (const bundle of first !== undefined && /^[a-z][a-z-]*$/.test(first) ? [first, 'main'] : ['main']) {
    const b = readBundle(bundle);
    if (b) return runBundle(bundle, b.file, b.source, b.st);
  }
  // A build without bundles (tsc only): the ESM modules.
  void Promise.all([import('./start.js'), import('./main.js')]).then(([s, m]) => s.start(m.main));
}
