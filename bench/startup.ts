// Start-up benchmark (npm run bench, or npm run bench:startup): every
// read-only command against `node -e 0`, and `run` against invoking the
// emulator directly plus `node -e 0`, in the same run.
//
// The runs are interleaved (one of each command per round) and the median
// is taken, so a load that comes and goes (other builds on a shared 2-core
// machine) falls on every command alike; the ratios are what to read, the
// milliseconds vary with the load printed alongside.
//
// XARCH_BENCH_BEFORE=/path/to/an/older/bin/xarch.js adds that build's
// figures to the same rounds, for before/after ratios under the same load.
//
// NODE_EXTRA_CA_CERTS, when set, is read by Node itself before any script
// runs (it parses every certificate of the file: about 80 ms of `node -e 0`
// on the development VM), so it hides how much xarch adds; the figures are
// printed with the environment as it is and again without that variable.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin/xarch.js');
const ROOT = path.join(REPO, '.fixtures/arm64/root');
const QEMU = '/usr/bin/qemu-aarch64-static';
const ROUNDS = Number(process.env.XARCH_BENCH_ROUNDS ?? 21);

const DEBIAN_ROOT = path.join(REPO, '.fixtures/rootfs-arm64/root');
const BEFORE = process.env.XARCH_BENCH_BEFORE ? path.resolve(process.env.XARCH_BENCH_BEFORE) : undefined;

interface Case { label: string; argv: string[]; goal?: { limit: number; base: string[] }; before?: string[] }

function cases(): Case[] {
  const node0 = 'node -e 0';
  const program = path.join(ROOT, 'bin/busybox');
  const list: Case[] = [{ label: node0, argv: [process.execPath, '-e', '0'] }];
  const xarch = (label: string, args: string[], base: string[]) => list.push({
    label: `xarch ${label}`, argv: [process.execPath, CLI, ...args], goal: { limit: 1.3, base },
    ...(BEFORE ? { before: [process.execPath, BEFORE, ...args] } : {}),
  });
  for (const a of [['--version'], ['--help'], ['status', '--json'], ['arches'], ['which', program], ['inspect', program]]) {
    xarch(a.join(' ').replace(REPO + '/', ''), a, [node0]);
  }
  if (existsSync(program) && existsSync(QEMU)) {
    const direct = 'qemu-aarch64-static -L ROOT busybox true';
    list.push({ label: direct, argv: [QEMU, '-L', ROOT, program, 'true'] });
    xarch('run --sysroot ROOT busybox true', ['run', '--sysroot', ROOT, program, 'true'], [direct, node0]);
    // Session start (issue 8): the same figure bench/session.ts prints, here under the same rounds.
    xarch('shell BUSYBOX-ROOT -- /bin/true', ['shell', ROOT, '--', '/bin/true'], [node0]);
    if (existsSync(path.join(DEBIAN_ROOT, 'usr/bin/true'))) xarch('shell DEBIAN-ROOT -- /bin/true', ['shell', DEBIAN_ROOT, '--', '/bin/true'], [node0]);
  }
  return list;
}

function once(argv: string[], env: NodeJS.ProcessEnv): number {
  const s = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  const ms = Number(process.hrtime.bigint() - s) / 1e6;
  // which exits 1 on a machine without global binfmt_misc: its start-up is what counts here.
  if (r.error || r.status === null || r.status > 1) throw new Error(`${argv.join(' ')}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr}`);
  return ms;
}

function table(title: string, env: NodeJS.ProcessEnv): void {
  const list = cases();
  const runs = list.flatMap((c) => [{ key: c.label, argv: c.argv }, ...(c.before ? [{ key: `before ${c.label}`, argv: c.before }] : [])]);
  const times = new Map(runs.map((r) => [r.key, [] as number[]]));
  for (const r of runs) once(r.argv, env); // warm the page cache
  for (let i = 0; i < ROUNDS; i++) for (const r of runs) times.get(r.key)!.push(once(r.argv, env));
  const median = new Map([...times].map(([k, t]) => [k, t.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!]));
  console.log(`\n## ${title} (median of ${ROUNDS} interleaved rounds, load ${loadavg()})`);
  for (const c of list) {
    const ms = median.get(c.label)!;
    let line = `  ${c.label.padEnd(44)} ${ms.toFixed(1).padStart(7)} ms`;
    if (c.goal) {
      const base = c.goal.base.reduce((s, b) => s + median.get(b)!, 0);
      const ratio = ms / base;
      line += `  ${ratio.toFixed(2)}x of ${c.goal.base.join(' + ')} (goal ${c.goal.limit}x: ${ratio <= c.goal.limit ? 'met' : 'NOT met'})`;
      const before = median.get(`before ${c.label}`);
      if (before !== undefined) line += `; before ${before.toFixed(1)} ms, ${(before / base).toFixed(2)}x`;
    }
    console.log(line);
  }
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

console.log('# xarch start-up benchmark');
table('environment as it is', process.env);
if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  table('without NODE_EXTRA_CA_CERTS (Node\'s own certificate loading left out of both sides)', env);
}
