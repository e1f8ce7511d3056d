// A dockerd of a test's own: its own data root, exec root and socket under a
// temporary directory, so it never touches (or needs) the machine's engine.
// stop() ends it, unmounts what it left under the directory and removes it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Dockerd {
  /** The temporary directory that holds the daemon's state (free for the test's own files too). */
  dir: string;
  /** process.env with DOCKER_HOST pointing at this daemon. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startDockerd(prefix: string): Promise<Dockerd> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const sock = `unix://${dir}/sock`;
  const env = { ...process.env, DOCKER_HOST: sock };
  const daemon = spawn('dockerd', ['--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '--pidfile', `${dir}/pid`, '-H', sock, '--iptables=false', '--bridge=none'], { stdio: 'ignore' });
  const exited = new Promise((r) => daemon.once('exit', r));
  const stop = async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
    await exited;
    spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  };
  let up = false;
  for (let i = 0; i < 60 && !up; i++) {
    await new Promise((r) => setTimeout(r, 500));
    up = spawnSync('docker', ['info'], { env, stdio: 'ignore' }).status === 0;
  }
  if (!up) await stop();
  assert.ok(up, 'dockerd started');
  return { dir, env, stop };
}
