// A node, simulated for real: the agent image built by
// scripts/build-agent-image.sh (a Debian root from mmdebstrap imported into
// a dockerd started by hand, its own data root and socket, and an emulator
// store set made by `xarch emulators add apt`; the script makes both when
// they are missing), the DaemonSet's container spec run with `docker run`
// (the manifest's command, args with --emulators SET, privileged flag and
// mounts; the hostPath at a temp directory). The container registers arm64
// and s390x in the machine's global instance (they cannot match x86_64
// programs or scripts): the handlers point into the image's set (its id, the
// files' sha256 in its manifest, its QEMU version in the feature file), the
// host runs a Debian arm64 binary through them, a flush of the host's table
// is repaired, `docker stop` leaves the entries; the test removes what was
// registered. Skipped, with the reason, only where the engine or mmdebstrap
// cannot run or the global instance already has entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { agentContainer } from '../src/formats/kubernetes.js';
import { startDockerd } from './helpers/dockerd.js';
import { fixtureRoot, needCommand, needFixture, REPO } from './helpers/env.js';

const GLOBAL = '/proc/sys/fs/binfmt_misc';
const ROOT_TAR = process.env.XARCH_AGENT_ROOT_TAR ?? path.join(REPO, '.fixtures/agent-root-trixie.tar');
const STORE = process.env.XARCH_AGENT_STORE ?? path.join(REPO, '.fixtures/agent-store');
const ARCHES = ['arm64', 's390x'];
const NAMES = ['qemu-aarch64', 'qemu-s390x'];
const IMAGE_STORE = '/var/lib/xarch/emulators';

function globalEntries(): string[] {
  return existsSync(`${GLOBAL}/register`) ? readdirSync(GLOBAL).filter((n) => n !== 'register' && n !== 'status') : [];
}

function setupSkip(): string | false {
  const r = needCommand('dockerd', 'docker.io') || needCommand('docker', 'docker.io') || needFixture('arm64');
  if (r) return r;
  let reason: string | false = false;
  if (process.getuid?.() !== 0) reason = 'dockerd and the global binfmt_misc instance need root';
  // Without its inputs the build script makes them (mmdebstrap, apt): only a machine without mmdebstrap cannot.
  else if (!(existsSync(ROOT_TAR) && existsSync(path.join(STORE, 'sets')))) reason = needCommand('mmdebstrap', 'mmdebstrap');
  if (!reason && globalEntries().length) reason = `the machine's global binfmt_misc already has entries (${globalEntries().join(' ')}); not touching it`;
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

/** `docker run` arguments reproducing the DaemonSet's container (`--emulators set`): hostPath volumes at `hostDir`, emptyDir as tmpfs. */
function dockerRunArgs(name: string, image: string, set: string, hostDir: string, privileged: string[]): string[] {
  const c = agentContainer({ arches: ARCHES, emulators: set, image }) as { command: string[]; args: string[]; securityContext: { privileged: boolean }; volumeMounts: { name: string; mountPath: string }[] };
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
test('the DaemonSet container on a real engine keeps the host\'s handlers in effect with the image\'s emulator set', { skip, timeout: 900_000 }, async () => {
  const engine = await startDockerd('xarch-agent-node-');
  const docker = (...args: string[]) => spawnSync('docker', args, { env: engine.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const features = path.join(engine.dir, 'features');
  mkdirSync(features);
  let mounted = false;
  try {
    // The build script, as a user runs it: it prints the image's set id last.
    const build = spawnSync('bash', ['scripts/build-agent-image.sh', 'xarch-agent:test'], { cwd: REPO, env: { ...engine.env, XARCH_AGENT_ROOT_TAR: ROOT_TAR, XARCH_AGENT_STORE: STORE }, encoding: 'utf8', timeout: 840_000 });
    assert.equal(build.status, 0, build.stderr);
    const set = build.stdout.trim().split('\n').at(-1)!;
    assert.match(set, /^[0-9a-f]{16}$/);
    const manifest = JSON.parse(readFileSync(path.join(STORE, 'sets', set, 'manifest.json'), 'utf8')) as { id: string; version: string; files: { name: string; sha256: string }[] };

    // The image carries that set and no Debian QEMU package: `emulators list` inside it.
    const inside = docker('run', '--rm', 'xarch-agent:test', 'xarch', 'emulators', 'list', '--json');
    assert.equal(inside.status, 0, inside.stderr);
    const lines = inside.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; id?: string; files?: number });
    assert.deepEqual(lines.filter((l) => l.kind === 'set').map((l) => [l.id, l.files]), [[set, manifest.files.length]]);
    assert.deepEqual(lines.filter((l) => l.kind === 'host'), [], 'no emulator outside the store in the image');
    const copied = docker('run', '--rm', 'xarch-agent:test', 'cat', `${IMAGE_STORE}/sets/${set}/manifest.json`);
    assert.deepEqual(JSON.parse(copied.stdout), manifest, 'the image holds the set as the store made it');
    const sums = docker('run', '--rm', 'xarch-agent:test', 'sha256sum', ...NAMES.map((n) => `${IMAGE_STORE}/sets/${set}/${n}`));
    assert.equal(sums.status, 0, sums.stderr);
    for (const n of NAMES) assert.ok(sums.stdout.includes(`${manifest.files.find((f) => f.name === n)!.sha256}  ${IMAGE_STORE}/sets/${set}/${n}`), `${n} in the image is the manifest's`);

    if (!existsSync(`${GLOBAL}/register`)) {
      assert.equal(spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', GLOBAL]).status, 0);
      mounted = true;
    }
    let run = docker(...dockerRunArgs('xarch-agent-node', 'xarch-agent:test', set, features, ['--privileged']));
    if (run.status !== 0 && /unable to apply caps/.test(run.stderr)) {
      console.log('# note: this machine cannot grant every capability (--privileged refused: unable to apply caps); running with the privileges it has');
      docker('rm', '-f', 'xarch-agent-node');
      run = docker(...dockerRunArgs('xarch-agent-node', 'xarch-agent:test', set, features, privilegedAsFarAsPossible()));
    }
    assert.equal(run.status, 0, run.stderr);
    await until('the agent registering arm64 and s390x on the host', () => NAMES.every((n) => globalEntries().includes(n)), 60);
    // The host's entries point into the image's set, with F: the kernel holds those files open.
    for (const n of NAMES) {
      const entry = readFileSync(`${GLOBAL}/${n}`, 'utf8');
      assert.match(entry, new RegExp(`^interpreter ${IMAGE_STORE}/sets/${set}/${n}$`, 'm'));
      assert.match(entry, /^flags: \S*F/m);
    }
    // The host runs a Debian arm64 binary through the handler the container registered.
    const hello = spawnSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), ['echo', 'from arm64'], { encoding: 'utf8' });
    assert.equal(hello.stdout, 'from arm64\n', hello.stderr);
    await until('the feature file', () => existsSync(path.join(features, 'xarch')), 20);
    const f = readFileSync(path.join(features, 'xarch'), 'utf8');
    assert.match(f, /^xarch\.emulate\.linux-arm64=true$/m);
    assert.match(f, /^xarch\.emulate\.linux-s390x=true$/m);
    // The set's QEMU, not the host's: the label names the version the manifest recorded.
    assert.match(f, new RegExp(`^xarch\\.qemu\\.version=${manifest.version.split(' ')[0]!.replace(/\./g, '\\.')}$`, 'm'));
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
    assert.equal(spawnSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), ['true']).status, 0, 'runs again after the repair');

    // docker stop sends SIGTERM: the agent ends cleanly and the handlers stay.
    assert.equal(docker('stop', '-t', '20', 'xarch-agent-node').status, 0);
    assert.equal(docker('inspect', '-f', '{{.State.ExitCode}}', 'xarch-agent-node').stdout.trim(), '0');
    assert.deepEqual(NAMES.filter((n) => globalEntries().includes(n)), NAMES);
    assert.equal(spawnSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), ['true']).status, 0, 'still runs after the container stopped');
  } finally {
    docker('rm', '-f', 'xarch-agent-node');
    for (const n of NAMES) if (globalEntries().includes(n)) writeFileSync(`${GLOBAL}/${n}`, '-1');
    if (mounted) spawnSync('umount', [GLOBAL]);
    await engine.stop();
  }
  assert.deepEqual(NAMES.filter((n) => globalEntries().includes(n)), [], 'what the container registered is removed');
});
