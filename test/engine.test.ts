// verify --engine docker: a real dockerd started by hand (its own data root
// and socket), foreign images built locally, and arm64/s390x handlers
// registered in the machine's global instance for the duration of the test
// only (they cannot match x86_64 programs or scripts), then removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureRoot, needCommand, needFixture, xarch } from './helpers/env.js';
import { startDockerd } from './helpers/dockerd.js';
import { explainEngineError } from '../src/verify/engine.js';

const GLOBAL = '/proc/sys/fs/binfmt_misc';

function globalEntries(): string[] {
  return existsSync(`${GLOBAL}/register`) ? readdirSync(GLOBAL).filter((n) => n !== 'register' && n !== 'status') : [];
}

function setupSkip(): string | false {
  const r = needCommand('dockerd', 'docker.io') || needFixture('arm64');
  if (r) return r;
  if (process.getuid?.() !== 0) return 'dockerd and the global binfmt_misc instance need root';
  if (globalEntries().length) {
    const reason = `the machine's global binfmt_misc already has entries (${globalEntries().join(' ')}); not touching it`;
    console.log(`# skip reason: ${reason}`);
    return reason;
  }
  return false;
}

test('engine errors are explained', () => {
  assert.equal(explainEngineError('docker', 'aarch64', 'exec /bin/uname: exec format error\n').result, 'no-handler');
  assert.match(explainEngineError('docker', 'aarch64', 'Cannot connect to the Docker daemon at unix:///x. Is the docker daemon running?').message, /not running/);
  assert.match(explainEngineError('docker', 'aarch64', 'Unable to find image \'x\' locally\ndocker: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup x: no such host\n\nRun \'docker run --help\' for more information').hint, /docker load|--image/);
  const r = xarch(['verify', '--engine', 'lxc']);
  assert.equal(r.status, 2);
});

const skip = setupSkip();
test('verify --engine docker: foreign containers through a real dockerd', { skip, timeout: 300_000 }, async () => {
  const engine = await startDockerd('xarch-docker-');
  const env = engine.env;
  let mounted = false;
  try {
    const imp = spawnSync('sh', ['-c', `tar -C "$1" -c . | docker import - xarch-test-arm64`, 'sh', fixtureRoot('arm64')!], { env, encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stderr);

    // No handler yet: the engine's exec format error, explained.
    if (!existsSync(`${GLOBAL}/register`)) {
      assert.equal(spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', GLOBAL]).status, 0);
      mounted = true;
    }
    const none = xarch(['verify', '--engine', 'docker', '--json', '--image', 'xarch-test-arm64', 'aarch64'], { env });
    assert.equal(none.status, 1);
    assert.equal(JSON.parse(none.stdout).result, 'no-handler');

    const inst = xarch(['install', 'aarch64', 's390x'], { env });
    assert.equal(inst.status, 0, inst.stderr + inst.stdout);
    const probe = xarch(['verify', '--engine', 'docker', '--json', 'aarch64', 's390x'], { env });
    assert.equal(probe.status, 0, probe.stdout + probe.stderr);
    assert.deepEqual(probe.stdout.trim().split('\n').map((l) => JSON.parse(l).result), ['ok', 'ok']);
    const uname = xarch(['verify', '--engine', 'docker', '--json', '--image', 'xarch-test-arm64', 'aarch64'], { env });
    assert.equal(uname.status, 0, uname.stdout);
    assert.equal(JSON.parse(uname.stdout).stdout.trim(), 'aarch64');
    const missing = xarch(['verify', '--engine', 'docker', '--json', '--image', 'xarch-no-such-image', 'aarch64'], { env });
    assert.equal(missing.status, 1);
    assert.match(JSON.parse(missing.stdout).error.hint, /docker load|--image/);
  } finally {
    spawnSync(process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), '../../bin/xarch.js'), 'uninstall', 'aarch64', 's390x']);
    if (mounted) spawnSync('umount', [GLOBAL]);
    await engine.stop();
  }
  assert.deepEqual(globalEntries(), [], 'nothing left in the global instance');
});
