// Shared test helpers: where the real fixtures are, and how to skip with a
// printed reason when the machine lacks something.
import { existsSync } from 'node:fs';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { sandboxArgv, sandboxSupport } from '../../src/host/namespace.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO, '.fixtures');
export const CLI = path.join(REPO, 'bin', 'xarch.js');

/** Debian architectures the fixture script fetches. */
export const DEBIAN_ARCHES = ['arm64', 'armhf', 'armel', 'i386', 'mips64el', 'mipsel', 'ppc64el', 's390x'] as const;
export type DebianArch = (typeof DEBIAN_ARCHES)[number];

/** The unpacked root (busybox-static, hello, libc6) of one Debian architecture, or undefined. */
export function fixtureRoot(arch: DebianArch): string | undefined {
  const root = path.join(FIXTURES, arch, 'root');
  return existsSync(path.join(FIXTURES, arch, '.done')) ? root : undefined;
}

/** Returns a skip reason (string) or false; use as `{ skip: needFixture('arm64') }`. */
export function needFixture(arch: DebianArch): string | false {
  const r = fixtureRoot(arch) ? false : `no ${arch} fixtures: run 'bash scripts/fetch-fixtures.sh'`;
  if (r) console.log(`# skip reason: ${r}`);
  return r;
}

export function needSandbox(): string | false {
  const s = sandboxSupport();
  if (!s.ok) console.log(`# skip reason: ${s.reason}`);
  return s.ok ? false : s.reason;
}

export function needCommand(cmd: string, pkg: string): string | false {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`]);
  const reason = r.status === 0 ? false : `${cmd} is not installed (apt-get install ${pkg})`;
  if (reason) console.log(`# skip reason: ${reason}`);
  return reason;
}

/** Run the built CLI. */
export function xarch(args: string[], opts: { input?: string | Uint8Array; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, cwd: opts.cwd });
}

/** Run argv inside a private binfmt_misc instance (a new user namespace). */
export function inSandbox(argv: string[], opts: { input?: string; setup?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  const a = sandboxArgv(argv, opts.setup === undefined ? {} : { setup: opts.setup });
  return spawnSync(a[0]!, a.slice(1), { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 64 << 20 });
}

/** Run the built CLI inside a private binfmt_misc instance. */
export function xarchInSandbox(args: string[], opts: { setup?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  return inSandbox([process.execPath, CLI, ...args], opts);
}

/** The shared unprivileged test account (created once, reused by every test file). */
export const TEST_USER = 'xarch-test';

/**
 * Make sure the unprivileged test user exists and can reach the repository
 * (bin/, dist/, node_modules/, .fixtures/). Returns a skip reason or false.
 * Run commands as it with asUser().
 */
export function needTestUser(): string | false {
  if (process.getuid?.() !== 0) {
    const r = 'creating the unprivileged test user needs root';
    console.log(`# skip reason: ${r}`);
    return r;
  }
  if (spawnSync('id', ['-u', TEST_USER]).status !== 0) {
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/bin/sh', TEST_USER], { encoding: 'utf8' });
    if (r.status !== 0 && spawnSync('id', ['-u', TEST_USER]).status !== 0) {
      const reason = `cannot create test user ${TEST_USER}: ${r.stderr.trim()}`;
      console.log(`# skip reason: ${reason}`);
      return reason;
    }
  }
  // Every directory from / down to the repository must be searchable.
  const probe = spawnSync('runuser', ['-u', TEST_USER, '--', 'test', '-r', path.join(REPO, 'package.json')]);
  if (probe.status !== 0) {
    const reason = `${TEST_USER} cannot read ${REPO} (make the path world-searchable, e.g. chmod o+x on its parents)`;
    console.log(`# skip reason: ${reason}`);
    return reason;
  }
  return false;
}

/** Run argv as the unprivileged test user (call needTestUser() first). */
export function asUser(argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync('runuser', ['-u', TEST_USER, '--', ...argv], {
    encoding: 'utf8', input: opts.input, env: opts.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/tmp', LANG: 'C.UTF-8' },
    cwd: opts.cwd ?? '/', timeout: opts.timeout, maxBuffer: 64 << 20,
  });
}
