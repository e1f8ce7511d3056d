#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ after `npm run build`.
import { main, processArgs } from '../dist/src/cli/main.js';
// A reader that went away (`xarch arches | head`) is not an error.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
main(processArgs()).then((code) => { process.exitCode = code; });
