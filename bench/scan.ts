// The scan benchmark (part of npm run bench): xarch scan against scanelf -R
// on the same trees, and archive scanning against decompression alone on
// the same archives, in the same run, warm cache, medians of runs, with the
// ratios and the goals of issue 12 printed and the ELF counts checked.
// Other work on the machine slows the two sides differently (a parallel
// scan needs every core free), so the load is printed beside each figure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanTreeParallel, resolveJobs } from '../src/scan/parallel.js';
import { scanPath } from '../src/scan/image.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin/xarch.js');
/** Issue 12's goals: a tree scan at least 2.5x scanelf, an archive scan at least 80% of decompression alone. */
const TREE_GOAL = 2.5;
const ARCHIVE_GOAL = 0.8;

async function median(fn: () => unknown, runs: number): Promise<number> {
  await fn(); // warm the page cache and the JIT
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - s) / 1e9);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return r.stdout;
}

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () => `load ${os.loadavg()[0]!.toFixed(2)}`;
const verdict = (met: boolean) => (met ? 'met' : 'NOT MET');

async function benchTree(label: string, tree: string, withFile: boolean): Promise<void> {
  console.log(`\n## ${label}: ${tree}`);
  const jobs = resolveJobs();
  const report = await scanTreeParallel(tree);
  const files = report.files;
  const rows: [string, number][] = [];
  rows.push([`xarch scan (library, ${jobs} jobs)`, await median(() => scanTreeParallel(tree), 5)]);
  rows.push(['xarch scan (library, --jobs 1)', await median(() => scanTreeParallel(tree, { jobs: 1 }), 3)]);
  rows.push(['xarch scan --json (CLI)', await median(() => sh(process.execPath, [CLI, 'scan', '--json', tree]), 3)]);
  let scanelfCount = -1;
  if (have('scanelf')) {
    rows.push(['scanelf -R (pax-utils)', await median(() => sh('scanelf', ['-R', '-B', '-F', '%a %F', tree]), 3)]);
    scanelfCount = sh('scanelf', ['-R', '-B', '-F', '%a %F', tree]).trim().split('\n').filter(Boolean).length;
  }
  if (withFile && have('file')) rows.push(['find -type f -exec file {} +', await median(() => sh('sh', ['-c', `find "$1" -type f -exec file {} + >/dev/null`, 'sh', tree]), 1)]);
  const base = rows[0]![1];
  console.log(`${fmt(files)} regular files, ${fmt(report.elfFiles)} ELF, ${load()}`);
  for (const [name, secs] of rows) {
    const ratio = secs === base ? '' : `  xarch (${jobs} jobs) is ${secs >= base ? `${(secs / base).toFixed(2)}x faster` : `${(base / secs).toFixed(2)}x slower`}`;
    console.log(`  ${name.padEnd(34)} ${secs.toFixed(3).padStart(8)} s  ${fmt(files / secs).padStart(10)} files/s${ratio}`);
  }
  const scanelf = rows.find(([n]) => n.startsWith('scanelf'));
  if (scanelf) {
    const cli = rows[2]![1];
    console.log(`  goal: at least ${TREE_GOAL}x scanelf: library ${(scanelf[1] / base).toFixed(2)}x, CLI ${(scanelf[1] / cli).toFixed(2)}x: ${verdict(scanelf[1] / base >= TREE_GOAL)}`);
  }
  if (scanelfCount >= 0) {
    const agree = scanelfCount === report.elfFiles;
    console.log(`  ELF count: xarch ${report.elfFiles}, scanelf ${scanelfCount}: ${agree ? 'equal' : 'DIFFERENT'}`);
    if (!agree) process.exitCode = 1;
  }
}

async function benchArchives(tree: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-bench-'));
  try {
    for (const [ext, flag, tool] of [['tar.gz', '-z', 'gzip'], ['tar.zst', '--zstd', 'zstd']] as const) {
      if (!have(tool)) continue;
      const f = path.join(dir, `root.${ext}`);
      sh('tar', ['-c', flag, '-f', f, '-C', tree, '.']);
      const scan = await median(() => scanPath(f), 3);
      const decompress = await median(() => sh('sh', ['-c', `${tool} -dc "$1" | wc -c >/dev/null`, 'sh', f]), 3);
      const ratio = decompress / scan;
      console.log(`  ${ext.padEnd(8)} ${fmt(statSync(f).size / 1e6)} MB: xarch scan ${scan.toFixed(3)} s, ${tool} -dc | wc -c ${decompress.toFixed(3)} s: scanning at ${(ratio * 100).toFixed(0)}% of decompression speed (goal ${ARCHIVE_GOAL * 100}%: ${verdict(ratio >= ARCHIVE_GOAL)}), ${load()}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The real path: .fixtures is a symlink in a worktree, and scanelf -R does not follow one given as the root.
const fixtures = existsSync(path.join(REPO, '.fixtures')) ? realpathSync(path.join(REPO, '.fixtures')) : path.join(REPO, '.fixtures');
console.log(`# xarch scan benchmark (warm cache, median of runs, ${os.availableParallelism()} cores)`);
if (existsSync(fixtures)) await benchTree('Debian root file systems (8 architectures and an arm64 root)', fixtures, true);
await benchTree('this machine', '/usr', false);
if (existsSync('/usr/bin')) await benchTree('this machine, with file(1)', '/usr/bin', true);
const archiveTree = [path.join(fixtures, 'rootfs-arm64'), path.join(fixtures, 'arm64/root')].find((d) => existsSync(d));
if (archiveTree) {
  console.log(`\n## tar.gz and tar.zst of ${archiveTree}`);
  await benchArchives(archiveTree);
}
