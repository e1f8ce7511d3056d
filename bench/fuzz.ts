// npm run fuzz -- --cases N --seed S: the hostile-input suite
// (test/helpers/hostile.ts) at any size. Prints each failure with the seed
// and case index that reproduce it; exit 1 if any case failed.
import { parseArgs } from 'node:util';
import { runHostile } from '../test/helpers/hostile.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '2000' }, seed: { type: 'string' }, 'process-every': { type: 'string', default: '50' } } });
const cases = Number(values.cases);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const every = Number(values['process-every']);
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed) || !Number.isInteger(every) || every < 0) {
  console.error('usage: npm run fuzz -- [--cases N] [--seed S] [--process-every K]');
  process.exit(2);
}
console.log(`hostile inputs: ${cases} cases, seed ${seed}, every ${every || 'no'}th also as a process`);
const r = await runHostile({ cases, seed, processEvery: every, keepFailures: true, onProgress: (n) => process.stderr.write(`\r  ${n} cases`) });
process.stderr.write('\r\x1b[K');
console.log(`${r.cases} cases (${Object.entries(r.byKind).map(([k, n]) => `${n} ${k}`).join(', ')}), ${r.processCases} also as processes, in ${r.seconds.toFixed(1)} s`);
console.log(`exit codes: ${Object.entries(r.byExit).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
for (const f of r.failures) console.log(`FAIL seed ${f.seed} case ${f.index} (${f.kind}): ${f.why}\n  xarch ${f.argv.map((a) => JSON.stringify(a)).join(' ')}\n  ${f.output.split('\n').slice(0, 6).join('\n  ')}`);
console.log(r.failures.length ? `${r.failures.length} failure(s)${r.kept ? `; their inputs are kept in ${r.kept}` : ''}` : 'no failures');
process.exitCode = r.failures.length ? 1 : 0;
