// Emulator store benchmarks (npm run bench:store): the time of
// `xarch emulators add` (a tarball of every host emulator: copy, sha256,
// --version, probes in a private instance) and of `xarch emulators use`
// for all its targets (canary probes, then one install per target) in a
// private binfmt_misc instance. Optionally `add apt` when apt can fetch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxArgv } from '../src/host/namespace.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin/xarch.js');

function timed(argv: string[]): { ms: number; stdout: string } {
  const s = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - s) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 6).join(' ')}: exit ${r.status} ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'xarch-bench-store-'));
try {
  const names = readdirSync('/usr/bin').filter((n) => /^qemu-.+-static$/.test(n));
  if (!names.length) throw new Error('no /usr/bin/qemu-*-static: apt-get install qemu-user-static');
  spawnSync('tar', ['-C', '/usr/bin', '-cf', path.join(work, 'q.tar'), ...names]);
  const store = path.join(work, 'store');
  const added = timed([process.execPath, CLI, 'emulators', 'add', path.join(work, 'q.tar'), '--store', store, '--json']);
  const set = JSON.parse(added.stdout) as { id: string; files: number; probes: unknown[] };
  console.log(`emulators add (tarball, ${set.files} emulators, ${set.probes.length} probes): ${added.ms.toFixed(0)} ms`);
  const use = sandboxArgv([process.execPath, CLI, 'emulators', 'use', set.id, '--store', store, '--binfmt-dir', '/proc/sys/fs/binfmt_misc', '--json']);
  const used = timed(use);
  console.log(`emulators use (all ${used.stdout.trim().split('\n').length} targets, canary included, private instance): ${used.ms.toFixed(0)} ms`);
  try {
    const apt = timed([process.execPath, CLI, 'emulators', 'add', 'apt', '--store', path.join(work, 'apt'), '--json']);
    console.log(`emulators add apt (download, unpack, copy, probes): ${apt.ms.toFixed(0)} ms`);
  } catch (e) {
    console.log(`emulators add apt: skipped (${(e as Error).message.split('\n')[0]})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
