// What the parallel scan forks (scan/parallel.ts): the worker's CommonJS
// bundle with the CLI's code cache (cli/launcher.cts), which answers about
// 20 ms sooner than tsc's ESM module, or that module in a build without
// bundles.
import launcher = require('../cli/launcher.cjs');

launcher.launchBundle('worker.walk', () => import('./walk-worker.js'));
