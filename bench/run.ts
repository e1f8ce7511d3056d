// Benchmarks (npm run bench): the scan part is bench/scan.ts.
import './scan.js';
