// Builds the action into one file (`npm run build:action`): the runner runs
// what is committed and never builds, so test/action.test.ts compares the
// committed file with a fresh build of the same options.
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ACTION_FILE = path.join(REPO, 'action', 'dist', 'index.mjs');

/** The bundle's text, built from the TypeScript sources. */
export async function buildAction(): Promise<string> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [path.join(REPO, 'src', 'action', 'main.ts')],
    absWorkingDir: REPO, bundle: true, platform: 'node', target: 'node20', format: 'esm',
    write: false, legalComments: 'none', logLevel: 'warning',
    banner: { js: '// Built by npm run build:action from src/action/main.ts; do not edit.' },
  });
  return r.outputFiles[0]!.text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(path.dirname(ACTION_FILE), { recursive: true });
  writeFileSync(ACTION_FILE, await buildAction());
  console.log(`wrote ${path.relative(REPO, ACTION_FILE)}`);
}
