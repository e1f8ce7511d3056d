// A node, simulated for real: the agent image built locally (Containerfile
// over a Debian root from mmdebstrap imported into a dockerd started by hand,
// its own data root and socket), the DaemonSet's container spec run with
// `docker run` (the manifest's command, args, privileged flag and mounts; the
// hostPath at a temp directory). The container registers arm64 and s390x in
// the machine's global instance (they cannot match x86_64 programs or
// scripts): the host then runs a Debian arm64 binary, the feature file is
// written, a flush of the host's table is repaired, `docker stop` leaves the
// entries; the test removes what was registered. Skipped when the global
// instance already has entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { agentContainer } from '../src/formats/kubernetes.js';
import { fixtureRoot, needCommand, needFixture, REPO } from './helpers/env.js';

const GLOBAL = '/proc/sys/fs/binfmt_misc';
const ROOT_TAR = process.env.XARCH_AGENT_ROOT_TAR ?? path.join(REPO, '.fixtures/agent-root-trixie.tar');
const ARCHES = ['arm64', 's390x'];
const NAMES = ['qemu-aarch64', 'qemu-s390x'];

function globalEntries(): string[] {
  return existsSync(`${GLOBAL}/register`) ? readdirSync(GLOBAL).filter((n) => n !== 'register' && n !== 'status') : [];
}

function setupSkip(): string | false {
  const r = needCommand('dockerd', 'docker.io') || needCommand('docker', 'docker.io') || needFixture('arm64');
  if (r) return r;
  let reason: string | false = false;
  if (process.getuid?.() !== 0) reason = 'dockerd and the global binfmt_misc instance need root';
  else if (!existsSync(ROOT_TAR)) reason = `no Debian root for the agent image at ${ROOT_TAR}: run 'bash scripts/build-agent-image.sh' once (mmdebstrap)`;
  else if (globalEntries().length) reason = `the machine's global binfmt_misc already has entries (${globalEntries().join(' ')}); not touching it`;
  if (reason) console.log(`# skip reason: ${reason}`);
  return reason;
}

// What --privileged grants, spelled out, for a machine whose own bounding
// set lacks a capability (this VM has no CAP_SYS_RESOURCE: runc then refuses
// --privileged with "unable to apply caps"): every capability it has,
// /proc/sys writable and unmasked, no seccomp or AppArmor profile.
function privilegedAsFarAsPossible(): string[] {
  const bnd = BigInt('0x' + (/^CapBnd:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'));
  const missing = [[24n, 'SYS_RESOURCE'], [21n, 'SYS_ADMIN'], [16n, 'SYS_MODULE'], [25n, 'SYS_TIME']].filter(([bit]) => !((bnd >> (bit as bigint)) & 1n)).map(([, n]) => n as string);
  return ['--cap-add', 'ALL', ...missing.flatMap((n) => ['--cap-drop', n]), '--security-opt', 'systempaths=unconfined', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined'];
}

/** `docker run` arguments reproducing the DaemonSet's container: hostPath volumes at `hostDir`, emptyDir as tmpfs. */
function dockerRunArgs(name: string, image: string, hostDir: string, privileged: string[]): string[] {
  const c = agentContainer({ arches: ARCHES, image }) as { command: string[]; args: string[]; securityContext: { privileged: boolean }; volumeMounts: { name: string; mountPath: string }[] };
  const args = ['run', '-d', '--name', name];
  if (c.securityContext.privileged) args.push(...privileged);
  for (const m of c.volumeMounts) {
    if (m.name === 'features') args.push('-v', `${hostDir}:${m.mountPath}`);
    else args.push('--tmpfs', m.mountPath);
  }
  return [...args, '--entrypoint', c.command[0]!, image, ...c.args];
}

async function until(what: string, ok: () => boolean, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`timed out after ${seconds} s waiting for ${what}`);
}

const skip = setupSkip();
test('the DaemonSet container on a real engine keeps the host\'s handlers in effect', { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-agent-node-'));
  const sock = `unix://${dir}/sock`;
  const env = { ...process.env, DOCKER_HOST: sock };
  const docker = (...args: string[]) => spawnSync('docker', args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const daemon = spawn('dockerd', ['--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '--pidfile', `${dir}/pid`, '-H', sock, '--iptables=false', '--bridge=none'], { stdio: 'ignore' });
  const features = path.join(dir, 'features');
  mkdirSync(features);
  let mounted = false;
  try {
    await until('dockerd', () => docker('info').status === 0, 30);
    const imp = docker('import', ROOT_TAR, 'xarch-debian-trixie:latest');
    assert.equal(imp.status, 0, imp.stderr);
    const build = spawnSync('docker', ['build', '-q', '-f', 'Containerfile', '-t', 'xarch-agent:test', '.'], { cwd: REPO, env: { ...env, DOCKER_BUILDKIT: '0' }, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);

    if (!existsSync(`${GLOBAL}/register`)) {
      assert.equal(spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', GLOBAL]).status, 0);
      mounted = true;
    }
    let run = docker(...dockerRunArgs('xarch-agent-node', 'xarch-agent:test', features, ['--privileged']));
    if (run.status !== 0 && /unable to apply caps/.test(run.stderr)) {
      console.log('# note: this machine cannot grant every capability (--privileged refused: unable to apply caps); running with the privileges it has');
      docker('rm', '-f', 'xarch-agent-node');
      run = docker(...dockerRunArgs('xarch-agent-node', 'xarch-agent:test', features, privilegedAsFarAsPossible()));
    }
    assert.equal(run.status, 0, run.stderr);
    await until('the agent registering arm64 and s390x on the host', () => NAMES.every((n) => globalEntries().includes(n)), 60);
    // The host runs a Debian arm64 binary through the handler the container registered (F: its emulator file).
    const hello = spawnSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), ['echo', 'from arm64'], { encoding: 'utf8' });
    assert.equal(hello.stdout, 'from arm64\n', hello.stderr);
    await until('the feature file', () => existsSync(path.join(features, 'xarch')), 20);
    const f = readFileSync(path.join(features, 'xarch'), 'utf8');
    assert.match(f, /^xarch\.emulate\.linux-arm64=true$/m);
    assert.match(f, /^xarch\.emulate\.linux-s390x=true$/m);
    await until('readiness (agent --check)', () => docker('exec', 'xarch-agent-node', 'xarch', 'agent', '--check', '--state-dir', '/run/xarch').status === 0, 30);

    // The host's table flushed (systemd-binfmt --unregister, WSL2): restored within one interval (10 s).
    writeFileSync(`${GLOBAL}/status`, '-1');
    assert.deepEqual(globalEntries(), []);
    await until('the agent restoring the flushed entries', () => NAMES.every((n) => globalEntries().includes(n)), 20);
    // The engine's log lags the container's stdout a little.
    const repairedTwice = (logs: string, n: string) => logs.split('\n').filter((l) => l.includes(`"event":"repaired","name":"${n}"`)).length >= 2;
    await until('the repaired events in the container log', () => NAMES.every((n) => repairedTwice(docker('logs', 'xarch-agent-node').stdout, n)), 10).catch((e) => {
      throw new Error(`${(e as Error).message}\n${docker('logs', 'xarch-agent-node').stdout}`);
    });
    const logs = docker('logs', 'xarch-agent-node').stdout;
    for (const n of NAMES) assert.match(logs, new RegExp(`"event":"drift","name":"${n}","target":"[a-z0-9]+","what":"missing"`));

    // docker stop sends SIGTERM: the agent ends cleanly and the handlers stay.
    assert.equal(docker('stop', '-t', '20', 'xarch-agent-node').status, 0);
    assert.equal(docker('inspect', '-f', '{{.State.ExitCode}}', 'xarch-agent-node').stdout.trim(), '0');
    assert.deepEqual(NAMES.filter((n) => globalEntries().includes(n)), NAMES);
    assert.equal(spawnSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), ['true']).status, 0, 'still runs after the container stopped');
  } finally {
    docker('rm', '-f', 'xarch-agent-node');
    for (const n of NAMES) if (globalEntries().includes(n)) writeFileSync(`${GLOBAL}/${n}`, '-1');
    if (mounted) spawnSync('umount', [GLOBAL]);
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
