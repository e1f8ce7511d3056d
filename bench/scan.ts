// The scan benchmark (part of npm run bench): xarch scan against scanelf -R
// on the same trees, and archive scanning against decompression alone on
// the same archives, in the same run, warm cache, medians of runs, with the
// ratios and the goals of issue 12 printed and the ELF counts checked.
// Other work on the machine slows the two sides differently (a parallel
// scan needs every core free), so beside each figure is what other
// processes took of the machine while it was measured: the CPU time of the
// whole machine (/proc/stat) less this process's and its children's
// (/proc/self/stat), in cores. The load average says the same only slowly
// and counts the benchmark itself. The CLI's own worker is counted as other
// work: it ends a few milliseconds after the CLI, no longer a child of this
// process by then.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
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

/** utime stime cutime cstime of a /proc/PID/stat (fields 14 to 17). */
function cpuOf(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return f[11]! + f[12]! + f[13]! + f[14]!;
  } catch {
    return 0; // gone in between: counted in this process's cutime now
  }
}

/**
 * CPU ticks of the whole machine, and of this process with its children:
 * the waited-for ones (cutime) and the ones still running or not yet
 * reaped, such as a parallel scan's workers, which end after the scan.
 */
function ticks(): { machine: number; own: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system (idle iowait) irq softirq steal
  const machine = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + cpu[7]!;
  let own = cpuOf('self');
  for (const pid of readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(' ').filter(Boolean)) own += cpuOf(Number(pid));
  return { machine, own };
}

type Measured = { secs: number; others: number };

/**
 * Each of `fns` once to warm the page cache and the JIT, then `rounds`
 * rounds of one run each, in turn, so that every figure meets the same
 * other work: the median of each, and the cores other processes took
 * while it ran.
 */
async function interleaved(fns: (() => unknown)[], rounds: number): Promise<Measured[]> {
  for (const fn of fns) await fn();
  const times = fns.map(() => [] as number[]);
  const othersTicks = fns.map(() => 0);
  const wall = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = ticks();
      const s = process.hrtime.bigint();
      await fn();
      const secs = Number(process.hrtime.bigint() - s) / 1e9;
      const t1 = ticks();
      times[i]!.push(secs);
      wall[i]! += secs;
      othersTicks[i]! += t1.machine - t0.machine - (t1.own - t0.own);
    }
  }
  const hz = 100; // USER_HZ on Linux
  return times.map((t, i) => ({ secs: t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!, others: Math.max(0, othersTicks[i]! / hz / wall[i]!) }));
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, env });
  if (r.error) throw r.error;
  return r.stdout;
}

/** The environment without NODE_EXTRA_CA_CERTS, which Node 20 parses at every start (60 to 100 ms here). */
const withoutCerts = (() => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
})();

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const others = (m: { others: number }) => `others ${m.others.toFixed(2)} cores`;
const verdict = (met: boolean) => (met ? 'met' : 'NOT MET');

async function benchTree(label: string, tree: string, withFile: boolean): Promise<void> {
  console.log(`\n## ${label}: ${tree}`);
  const jobs = resolveJobs();
  const report = await scanTreeParallel(tree);
  const files = report.files;
  const cli = (env: NodeJS.ProcessEnv) => () => sh(process.execPath, [CLI, 'scan', '--json', tree], env);
  const rows: [string, () => unknown][] = [
    [`xarch scan (library, default: up to ${jobs} jobs)`, () => scanTreeParallel(tree)],
    [`xarch scan (library, --jobs ${jobs})`, () => scanTreeParallel(tree, { jobs })],
    ['xarch scan (library, --jobs 1)', () => scanTreeParallel(tree, { jobs: 1 })],
    ['xarch scan --json (CLI; its worker is in others)', cli(withoutCerts)],
  ];
  if (process.env.NODE_EXTRA_CA_CERTS) rows.push(['  the CLI with NODE_EXTRA_CA_CERTS', cli(process.env)]);
  const hasScanelf = have('scanelf');
  if (hasScanelf) rows.push(['scanelf -R (pax-utils)', () => sh('scanelf', ['-R', '-B', '-F', '%a %F', tree])]);
  const measured = await interleaved(rows.map((r) => r[1]), 5);
  if (withFile && have('file')) {
    rows.push(['find -type f -exec file {} +', () => 0]);
    measured.push((await interleaved([() => sh('sh', ['-c', `find "$1" -type f -exec file {} + >/dev/null`, 'sh', tree])], 1))[0]!);
  }
  const base = measured[0]!.secs;
  console.log(`${fmt(files)} regular files, ${fmt(report.elfFiles)} ELF, load ${os.loadavg()[0]!.toFixed(2)} (NODE_EXTRA_CA_CERTS unset but where said)`);
  rows.forEach(([name], i) => {
    const m = measured[i]!;
    const ratio = i === 0 ? '' : `  xarch (default) is ${m.secs >= base ? `${(m.secs / base).toFixed(2)}x faster` : `${(base / m.secs).toFixed(2)}x slower`}`;
    console.log(`  ${name.padEnd(48)} ${m.secs.toFixed(3).padStart(8)} s  ${fmt(files / m.secs).padStart(10)} files/s  (${others(m)})${ratio}`);
  });
  if (hasScanelf) {
    const scanelf = measured[rows.findIndex(([n]) => n.startsWith('scanelf'))]!.secs;
    const lib = scanelf / base;
    const viaCli = scanelf / measured[rows.findIndex(([n]) => n.startsWith('xarch scan --json'))]!.secs;
    console.log(`  goal: at least ${TREE_GOAL}x scanelf: library ${lib.toFixed(2)}x, CLI ${viaCli.toFixed(2)}x: ${verdict(lib >= TREE_GOAL && viaCli >= TREE_GOAL)}`);
    const scanelfCount = sh('scanelf', ['-R', '-B', '-F', '%a %F', tree]).trim().split('\n').filter(Boolean).length;
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
      const [scan, decompress] = await interleaved([() => scanPath(f), () => sh('sh', ['-c', `${tool} -dc "$1" | wc -c >/dev/null`, 'sh', f])], 7);
      const ratio = decompress!.secs / scan!.secs;
      console.log(`  ${ext.padEnd(8)} ${fmt(statSync(f).size / 1e6)} MB: xarch scan ${scan!.secs.toFixed(3)} s (${others(scan!)}), ${tool} -dc | wc -c ${decompress!.secs.toFixed(3)} s (${others(decompress!)}): scanning at ${(ratio * 100).toFixed(0)}% of decompression speed (goal ${ARCHIVE_GOAL * 100}%: ${verdict(ratio >= ARCHIVE_GOAL)})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The real path: .fixtures is a symlink in a worktree, and scanelf -R does not follow one given as the root.
const fixtures = existsSync(path.join(REPO, '.fixtures')) ? realpathSync(path.join(REPO, '.fixtures')) : path.join(REPO, '.fixtures');
console.log(`# xarch scan benchmark (warm cache, medians of runs taken in turn, ${os.availableParallelism()} cores; "others": the cores other processes took meanwhile)`);
if (existsSync(fixtures)) await benchTree('Debian root file systems (8 architectures and an arm64 root)', fixtures, true);
await benchTree('this machine', '/usr', false);
if (existsSync('/usr/bin')) await benchTree('this machine, with file(1)', '/usr/bin', true);
const archiveTree = [path.join(fixtures, 'rootfs-arm64'), path.join(fixtures, 'arm64/root')].find((d) => existsSync(d));
if (archiveTree) {
  console.log(`\n## tar.gz and tar.zst of ${archiveTree}`);
  await benchArchives(archiveTree);
}
