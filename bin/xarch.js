#!/usr/bin/env node
// Thin launcher (CommonJS: bin/package.json): the CLI lives in dist/ after
// `npm run build`; dist/src/cli/launcher.cjs picks the command's bundle.
require('../dist/src/cli/launcher.cjs').launch();
