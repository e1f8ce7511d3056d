// Builds the CLI's bundles (part of `npm run build`): one CommonJS file per
// command under dist/src/cli/bundle/, holding that command's module and
// everything it imports, and main.cjs for what needs no command (--help,
// --version, an unknown name). bin/xarch.js loads one of them through
// launcher.cts, with a V8 code cache.
//
// Why: Node's ESM loader resolves, reads (through fs/promises) and compiles
// every module on its own, and its entry costs about 8 ms more than a
// CommonJS one; `xarch status` loaded 25 modules and took 2.3x `node -e 0`.
// One CommonJS file per command is one read and one compile, which the code
// cache then mostly skips. tsc's ESM output under dist/src stays the
// library and the fallback when no bundle is there; its paths are kept
// (metaUrlPlugin), so modules find their neighbours, such as the scan
// worker's entry, which runs that worker's own bundle (WORKERS).
import path from 'node:path';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BUNDLE_DIR = path.join(REPO, 'dist', 'src', 'cli', 'bundle');
const CLI_SRC = path.join(REPO, 'src', 'cli');

/** The command modules: one bundle each, named as the command. */
export function commandNames(): string[] {
  return readdirSync(path.join(CLI_SRC, 'commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3)).sort();
}

/**
 * `import.meta.url` does not exist in CommonJS. Modules use it to find files
 * beside them (the scan worker, the canary child, package.json), so in a
 * bundle it becomes the URL of the same module's tsc output in dist/src,
 * computed from the bundle's own directory at run time: the package can be
 * installed anywhere.
 */
function metaUrlPlugin(): Plugin {
  return {
    name: 'xarch-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const compiled = path.join(REPO, 'dist', path.relative(REPO, args.path)).replace(/\.ts$/, '.js');
        const rel = path.relative(BUNDLE_DIR, compiled);
        const url = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(rel)})).href`;
        return { contents: text.replaceAll('import.meta.url', `(${url})`), loader: 'ts' };
      });
    },
  };
}

/**
 * Node's child_process module loads net, dgram and the stream modules:
 * about 4 ms, paid at start-up by every command whose imports reach it even
 * when it spawns nothing (arches lists emulators without running them). In
 * a bundle it is required on its first call: each of its functions is a
 * wrapper that loads it then.
 */
function lazyChildProcessPlugin(): Plugin {
  return {
    name: 'xarch-lazy-child-process',
    setup(build) {
      build.onResolve({ filter: /^node:child_process$/ }, (args) => (args.namespace === 'xarch-lazy' ? undefined : { path: 'node:child_process', namespace: 'xarch-lazy' }));
      build.onLoad({ filter: /.*/, namespace: 'xarch-lazy' }, async () => {
        const real = await import('node:child_process');
        const names = Object.keys(real).filter((k) => typeof (real as Record<string, unknown>)[k] === 'function' && /^[a-z]/.test(k));
        const contents = [
          'let m;',
          "const load = () => m ??= require('node:child_process');",
          ...names.map((n) => `export function ${n}(...a) { return load().${n}(...a); }`),
        ].join('\n');
        return { contents, loader: 'js', resolveDir: REPO };
      });
    },
  };
}

/**
 * main.cjs runs main.ts with no command module in it: the launcher sends
 * every command (and `help COMMAND`) to that command's bundle, so the
 * table's loaders are left unreachable there and stubbed.
 */
function noCommandsPlugin(): Plugin {
  return {
    name: 'xarch-no-commands',
    setup(build) {
      build.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => (args.importer === path.join(CLI_SRC, 'main.ts') ? { path: args.path, namespace: 'xarch-stub' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'xarch-stub' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not in main.cjs: bin/xarch.js loads it from its own bundle`)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Worker processes' bundles, run by their .cts entries through
 * launcher.cts launchBundle: each name holds a dot, which the launcher never
 * takes from a command line, so no command can reach one.
 */
export const WORKERS: Record<string, string> = { 'worker.walk': '../scan/walk-worker.js' };

function entryText(name: string): string {
  if (name in WORKERS) return `import ${JSON.stringify(WORKERS[name])};\n`;
  if (name === 'main') return "import { main } from './main.js';\nimport { start } from './start.js';\nstart(main);\n";
  return `import * as mod from './commands/${name}.js';
import { runCommand } from './run-command.js';
import { start } from './start.js';
start((argv, io) => runCommand(${JSON.stringify(name)}, mod, argv[0] === 'help' ? ['--help'] : argv.slice(1), io));
`;
}

/** Build every bundle into `outDir`; the names built. */
export async function buildBundles(outDir = BUNDLE_DIR): Promise<string[]> {
  const esbuild = await import('esbuild');
  const names = ['main', ...commandNames(), ...Object.keys(WORKERS)];
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await Promise.all(names.map((name) => esbuild.build({
    stdin: { contents: entryText(name), resolveDir: CLI_SRC, sourcefile: `bundle-${name}.ts`, loader: 'ts' },
    absWorkingDir: REPO, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    outfile: path.join(outDir, `${name}.cjs`), legalComments: 'none', logLevel: 'warning',
    // Less text to read: the bundles are about 1.4 MB together.
    minify: true,
    // A bundle runs as a vm.Script, where import() needs --experimental-vm-modules
    // on Node 20: a dynamic import of a built-in becomes require().
    supported: { 'dynamic-import': false },
    banner: { js: `// Built by npm run build (src/cli/bundle.ts) from src/cli; do not edit.` },
    plugins: [metaUrlPlugin(), lazyChildProcessPlugin(), ...(name === 'main' ? [noCommandsPlugin()] : [])],
  })));
  return names;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const names = await buildBundles();
    console.log(`built ${names.length} bundles in ${path.relative(REPO, BUNDLE_DIR)}`);
  } catch (e) {
    // Without esbuild (a production install) the CLI runs from dist/src as ESM.
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') console.log('esbuild is not installed: no bundles; bin/xarch.js runs dist/src/cli/main.js');
    else throw e;
  }
}
