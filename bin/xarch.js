#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ after `npm run build`.
import { main } from '../dist/src/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
