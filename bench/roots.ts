// Root preparation (node dist/bench/roots.js): a 100+ MB root tar built from
// every Debian fixture root, unpacked by GNU tar (what each session start
// cost before the cache), by prepareRoot's first start (hash + unpack in one
// pass) and its second start (the cache entry found by the digest record).
// Medians of 5 runs; each first start on an empty cache.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareRoot } from '../src/session/roots.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARCHES = ['arm64', 'armhf', 'armel', 'i386', 'mips64el', 'mipsel', 'ppc64el', 's390x'];
const RUNS = 5;

const median = (t: number[]) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
const sh = (script: string, ...args: string[]) => {
  const r = spawnSync('sh', ['-ec', script, 'sh', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
};

async function timed(fn: () => unknown): Promise<number> {
  const s = performance.now();
  await fn();
  return performance.now() - s;
}

const work = mkdtempSync(path.join(tmpdir(), 'xarch-bench-roots-'));
try {
  const tree = path.join(work, 'tree');
  mkdirSync(tree);
  for (const a of ARCHES) {
    const root = path.join(REPO, '.fixtures', a, 'root');
    if (existsSync(root)) sh('mkdir -p "$2/opt/$3" && cp -a "$1/." "$2/opt/$3/"', root, tree, a);
  }
  const tar = path.join(work, 'root.tar');
  sh('tar -C "$1" -cf "$2" .', tree, tar);
  const mb = statSync(tar).size / 1e6;
  const gnu: number[] = [];
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = path.join(work, 'gnu');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    gnu.push(await timed(() => sh('tar -xf "$1" -C "$2" --no-same-owner', tar, out)));
    const cache = path.join(work, 'cache');
    rmSync(cache, { recursive: true, force: true });
    first.push(await timed(() => prepareRoot(tar, { cacheDir: cache })));
    second.push(await timed(() => prepareRoot(tar, { cacheDir: cache })));
  }
  console.log(`root tar ${mb.toFixed(0)} MB, median of ${RUNS}`);
  console.log(`  GNU tar -x (every start before the cache)  ${median(gnu).toFixed(0)} ms`);
  console.log(`  prepareRoot, first start (hash + unpack)    ${median(first).toFixed(0)} ms`);
  console.log(`  prepareRoot, second start (cached)          ${median(second).toFixed(2)} ms`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
