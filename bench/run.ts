// Benchmarks (npm run bench): xarch scan against the peer tools on the same
// tree in the same run, warm cache, with the ratios printed and the ELF
// counts cross-checked against scanelf.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanTree } from '../src/scan/scan.js';
import { scanPath } from '../src/scan/image.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin/xarch.js');

function time(fn: () => void, runs: number): number {
  fn(); // warm the page cache and the JIT
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - s) / 1e9);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return r.stdout;
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function benchTree(label: string, tree: string, withFile: boolean): void {
  console.log(`\n## ${label}: ${tree}`);
  const report = scanTree(tree);
  const files = report.files;
  const rows: [string, number][] = [];
  rows.push(['xarch scan (library)', time(() => scanTree(tree), 5)]);
  rows.push(['xarch scan (CLI, --json)', time(() => sh(process.execPath, [CLI, 'scan', '--json', tree]), 3)]);
  let scanelfCount = -1;
  if (have('scanelf')) {
    rows.push(['scanelf -R (pax-utils)', time(() => sh('scanelf', ['-R', '-B', '-F', '%a %F', tree]), 3)]);
    scanelfCount = sh('scanelf', ['-R', '-B', '-F', '%a %F', tree]).trim().split('\n').filter(Boolean).length;
  }
  if (withFile && have('file')) rows.push(['find -type f -exec file {} +', time(() => sh('sh', ['-c', `find "$1" -type f -exec file {} + >/dev/null`, 'sh', tree]), 1)]);
  const base = rows[0]![1];
  console.log(`${fmt(files)} regular files, ${fmt(report.elfFiles)} ELF`);
  for (const [name, secs] of rows) {
    const ratio = name.startsWith('xarch') ? '' : `  ratio ${(secs / base).toFixed(2)} (xarch is ${secs >= base ? `${(secs / base).toFixed(2)}x faster` : `${(base / secs).toFixed(2)}x slower`})`;
    console.log(`  ${name.padEnd(32)} ${secs.toFixed(3).padStart(8)} s  ${fmt(files / secs).padStart(10)} files/s${ratio}`);
  }
  if (scanelfCount >= 0) {
    const agree = scanelfCount === report.elfFiles;
    console.log(`  ELF count: xarch ${report.elfFiles}, scanelf ${scanelfCount}: ${agree ? 'agree' : 'DISAGREE'}`);
    if (!agree) process.exitCode = 1;
  }
}

async function benchTar(tree: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-bench-'));
  try {
    for (const [ext, flag, dec] of [['tar.gz', '-z', 'gzip'], ['tar.zst', '--zstd', 'zstd']] as const) {
      if (!have(dec)) continue;
      const f = path.join(dir, `root.${ext}`);
      sh('tar', ['-c', flag, '-f', f, '-C', tree, '.']);
      let t = 0;
      const runs = 3;
      await scanPath(f);
      for (let i = 0; i < runs; i++) {
        const s = process.hrtime.bigint();
        await scanPath(f);
        t += Number(process.hrtime.bigint() - s) / 1e9;
      }
      t /= runs;
      const d = time(() => sh('sh', ['-c', `${dec} -dc "$1" | wc -c >/dev/null`, 'sh', f]), 3);
      console.log(`  ${ext.padEnd(8)} xarch scan ${t.toFixed(3)} s, ${dec} -dc | wc -c ${d.toFixed(3)} s: scanning runs at ${(d / t * 100).toFixed(0)}% of decompression speed`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fixtures = path.join(REPO, '.fixtures');
console.log('# xarch scan benchmark (warm cache, median of runs)');
if (existsSync(fixtures)) benchTree('Debian root file systems (8 architectures)', fixtures, true);
benchTree('this machine', '/usr', false);
if (existsSync('/usr/bin')) benchTree('this machine, with file(1)', '/usr/bin', true);
if (existsSync(path.join(fixtures, 'arm64/root'))) {
  console.log('\n## image-style tarballs of the arm64 root');
  await benchTar(path.join(fixtures, 'arm64/root'));
}
