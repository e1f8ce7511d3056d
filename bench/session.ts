// Session benchmarks (npm run bench): xarch shell against chroot (handlers
// registered in a private binfmt_misc instance, so only the registration is
// left out) and proot -q, in the same run, on the arm64 Debian fixture.
// Three figures: session start, each further program, and a pipeline.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxArgv } from '../src/host/namespace.js';
import { renderRegister, ruleFromTarget } from '../src/core/rule.js';
import { getTarget } from '../src/core/arch.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin/xarch.js');
// XARCH_BENCH_ROOT: another arm64 root, e.g. a real Debian one from mmdebstrap (scripts/fetch-rootfs.sh).
const ROOT = process.env.XARCH_BENCH_ROOT ? path.resolve(process.env.XARCH_BENCH_ROOT) : path.join(REPO, '.fixtures/arm64/root');
const QEMU = '/usr/bin/qemu-aarch64-static';
const LOOP = 200;
const PIPELINE = 'ls -lR /usr/share/doc | sort | md5sum';
const PIPES = 10;
const loop = (n: number, body = '/bin/true') => `i=0; while [ $i -lt ${n} ]; do ${body}; i=$((i+1)); done`;

function median(argv: string[], runs: number): number {
  const once = () => {
    const s = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')}: exit ${r.status} ${r.stderr}`);
    return Number(process.hrtime.bigint() - s) / 1e6;
  };
  once();
  const t = Array.from({ length: runs }, once).sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

type Runner = (script: string) => string[];

const xarch: Runner = (script) => [process.execPath, CLI, 'shell', ROOT, '--', '/bin/sh', '-c', script];
const rule = renderRegister(ruleFromTarget(getTarget('aarch64')!, { name: 'bench-aarch64', interpreter: QEMU, flags: 'F' }));
// The handler is registered before the clock matters: each run pays unshare
// and one printf, as a host with global handlers pays nothing; the start
// figure below subtracts that with a no-op baseline in the same sandbox.
const chroot: Runner = (script) => sandboxArgv(['chroot', ROOT, '/bin/sh', '-c', script], { setup: `printf '%s' '${rule}' > "$XARCH_SANDBOX_BINFMT/register"` });
const sandboxOnly = sandboxArgv(['true'], { setup: `printf '%s' '${rule}' > "$XARCH_SANDBOX_BINFMT/register"` });
const proot: Runner = (script) => ['proot', '-q', QEMU, '-r', ROOT, '/bin/sh', '-c', script];

function main(): void {
  if (!existsSync(path.join(ROOT, 'bin/sh'))) {
    console.log('# skip: no arm64 fixture (bash scripts/fetch-fixtures.sh)');
    return;
  }
  const runners: [string, Runner][] = [['xarch shell', xarch], ['chroot (private instance)', chroot]];
  if (spawnSync('sh', ['-c', 'command -v proot']).status === 0) runners.push(['proot -q', proot]);
  const node0 = median([process.execPath, '-e', '0'], 15);
  const sandbox0 = median(sandboxOnly, 15);
  console.log(`\n## sessions: ${ROOT}`);
  console.log(`  node -e 0                        ${node0.toFixed(1).padStart(7)} ms`);
  const rows = runners.map(([name, run]) => {
    const start = median(run('true'), 15) - (run === chroot ? sandbox0 : 0);
    const per = (median(run(loop(LOOP)), 5) - median(run(loop(0)), 5)) / LOOP;
    // Repeated inside one session so the start's noise is spread thin.
    const pipe = (median(run(loop(PIPES, `${PIPELINE} >/dev/null`)), 5) - median(run(loop(0)), 5)) / PIPES;
    return { name, start, per, pipe };
  });
  const c = rows.find((r) => r.name.startsWith('chroot'))!;
  const x = rows[0]!;
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(28)} start ${r.start.toFixed(1).padStart(7)} ms   each further program ${r.per.toFixed(2).padStart(6)} ms   pipeline ${r.pipe.toFixed(1).padStart(7)} ms`);
  }
  const goal = (label: string, ratio: number, limit: number) => console.log(`  ${label.padEnd(44)} ${ratio.toFixed(2)}x (goal ${limit}x: ${ratio <= limit ? 'met' : 'NOT met'})`);
  goal('start: xarch shell / node -e 0', x.start / node0, 1.3);
  goal('each further program: xarch / chroot', x.per / c.per, 1.05);
  goal(`pipeline (${PIPELINE}): xarch / chroot`, x.pipe / c.pipe, 1.1);
  console.log('  (chroot start excludes unshare and registration; pipeline and per-program figures subtract each runner\'s own start)');
}

main();
