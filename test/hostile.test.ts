// The hostile-input suite at CI size (test/helpers/hostile.ts; any size:
// npm run fuzz -- --cases N --seed S). A failure prints the seed and case
// index that reproduce it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needFixture } from './helpers/env.js';
import { Rng, mutateElf, registration, runHostile } from './helpers/hostile.js';

const SEED = Number(process.env.XARCH_FUZZ_SEED ?? 20261201);

test('generators are deterministic for a seed', () => {
  const a = new Rng(7);
  const b = new Rng(7);
  const base = [Buffer.from('\x7fELF\x02\x01\x01' + '\0'.repeat(120), 'latin1')];
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(mutateElf(a, base), mutateElf(b, base));
    assert.deepEqual(registration(a, '/x'), registration(b, '/x'));
  }
});

test(`hostile inputs: 3000 cases (seed ${SEED}), every 100th also as a process`, { skip: needFixture('arm64'), timeout: 120_000 }, async () => {
  const r = await runHostile({ cases: 3000, seed: SEED, processEvery: 100 });
  console.log(`${r.cases} cases (${Object.entries(r.byKind).map(([k, n]) => `${n} ${k}`).join(', ')}), ${r.processCases} as processes, ${r.seconds.toFixed(1)} s; exit codes ${JSON.stringify(r.byExit)}`);
  assert.equal(r.cases, 3000);
  assert.ok((r.byExit['0'] ?? 0) > 0 && (r.byExit['1'] ?? 0) > 0, 'both answers occur: the generators reach valid and invalid inputs');
  assert.deepEqual(r.failures.map((f) => `case ${f.index} (${f.kind}) ${f.why}: xarch ${f.argv.join(' ')}\n${f.output}`), []);
});
