// The seed articles' own test, through a container engine: a foreign
// container run by docker or podman, which uses the host's (global)
// binfmt_misc handlers. Errors of the engine are explained, not passed on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTarget, resolveTarget } from '../core/arch.js';
import { buildProbe, hasProbe, PROBE_EXIT, probeMessage } from '../core/probe.js';
import type { VerifyResult } from './verify.js';

export type Engine = 'docker' | 'podman';

export interface EngineOptions {
  engine: Engine;
  /** Run `uname -m` in this image instead of a locally built probe image. */
  image?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The OCI platform a target runs as (linux/arm64, linux/arm/v7...). */
export function platformOf(target: string): string | null {
  return getTarget(target)?.names.docker?.find((n) => n.startsWith('linux/')) ?? null;
}

/** Turn an engine's stderr into a result kind, a message and a fix. */
export function explainEngineError(engine: Engine, target: string, stderr: string): { result: VerifyResult['result']; message: string; hint: string } {
  const first = stderr.trim().split('\n').filter((l) => l.trim() && !/^Run '.* --help'/.test(l)).at(-1) ?? '';
  if (/exec format error/i.test(stderr)) return { result: 'no-handler', message: `exec format error inside the container: the host has no binfmt_misc handler for ${target}`, hint: `register one on the host: xarch install ${target} (the engine uses the host's handlers, not a private instance)` };
  if (/Cannot connect to the Docker daemon|connect: no such file or directory|Is the docker daemon running/i.test(stderr)) return { result: 'exec-failed', message: `the ${engine} daemon is not running`, hint: engine === 'docker' ? 'start it: systemctl start docker, or dockerd & as root' : 'check podman system service / podman info' };
  if (/Unable to find image|pull access denied|manifest unknown|dial tcp|no such host|repository does not exist|image not known/i.test(stderr)) return { result: 'exec-failed', message: `the image is not available locally and cannot be pulled: ${first}`, hint: 'load or build it locally (docker load / docker import), or name a local image with --image' };
  if (/no such file or directory/i.test(stderr)) return { result: 'interpreter-missing', message: `the handler's interpreter cannot be found inside the container: ${first}`, hint: 'register a static emulator with F: xarch install --force ' + target };
  return { result: 'exec-failed', message: `${engine} failed: ${first || 'no error output'}`, hint: `run xarch doctor, and the same ${engine} command by hand` };
}

function engineMissing(engine: Engine, env: NodeJS.ProcessEnv): boolean {
  return spawnSync('sh', ['-c', `command -v ${engine}`], { env }).status !== 0;
}

/** The target an image's declared platform (`docker image inspect` .Os/.Architecture/.Variant) names, or null. */
export function targetOfPlatform(os: string, architecture: string, variant = ''): string | null {
  for (const p of variant ? [`${os}/${architecture}/${variant}`, `${os}/${architecture}`] : [`${os}/${architecture}`]) {
    try {
      return resolveTarget(p).target.name;
    } catch { /* not a name the catalogue knows: try without the variant */ }
  }
  return null;
}

/** The target of a local image's own platform, or why there is none. */
function imageTarget(engine: Engine, image: string, env: NodeJS.ProcessEnv, timeout: number): { target: string } | { error: string } {
  const r = spawnSync(engine, ['image', 'inspect', '--format', '{{.Os}} {{.Architecture}} {{.Variant}}', image], { env, encoding: 'utf8', timeout });
  if (r.status !== 0) return { error: `${image} is not a local image: ${(r.stderr ?? r.error?.message ?? '').trim().split('\n')[0]}` };
  const [os = '', arch = '', variant = ''] = (r.stdout ?? '').trim().split(' ');
  const target = targetOfPlatform(os, arch, variant);
  return target ? { target } : { error: `${image} declares the platform ${os}/${arch}${variant ? '/' + variant : ''}, which xarch does not know` };
}

/**
 * Run each target's foreign container through the engine. With an image and
 * no targets, the one target is the image's own platform: one image holds
 * one architecture, so running it for other targets can only fail.
 */
export function verifyWithEngine(requested: readonly string[], opts: EngineOptions): VerifyResult[] {
  const env = opts.env ?? process.env;
  const timeout = opts.timeoutMs ?? 120_000;
  let targets = requested;
  if (opts.image && targets.length === 0) {
    const t = engineMissing(opts.engine, env) ? { target: 'aarch64' } : imageTarget(opts.engine, opts.image, env, timeout);
    if ('error' in t) return [{ target: opts.image, ok: false, result: 'exec-failed', entry: null, interpreter: null, flags: null, exitCode: null, signal: null, stdout: '', ms: 0, error: { message: t.error, hint: `load it (docker load / docker pull --platform P ${opts.image}), or name the targets to test` } }];
    targets = [t.target];
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-engine-'));
  try {
    return targets.map((target) => {
      const base: VerifyResult = { target, ok: false, result: 'exec-failed', entry: null, interpreter: null, flags: null, exitCode: null, signal: null, stdout: '', ms: 0 };
      if (engineMissing(opts.engine, env)) {
        return { ...base, error: { message: `${opts.engine} is not installed`, hint: opts.engine === 'docker' ? 'apt-get install docker.io' : 'apt-get install podman' } };
      }
      const platform = platformOf(target);
      if (!platform) return { ...base, result: 'no-probe', error: { message: `${target} has no OCI platform name`, hint: 'container engines run linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le, linux/s390x, linux/riscv64, linux/386, linux/mips64le...' } };
      let image = opts.image;
      let cmd: string[] = ['uname', '-m'];
      if (!image) {
        if (!hasProbe(target)) return { ...base, result: 'no-probe', error: { message: `no probe for ${target}`, hint: 'name an image with --image' } };
        // A one-file image built from the in-memory probe: no registry needed.
        const dir = mkdtempSync(path.join(tmp, 'img-'));
        writeFileSync(path.join(dir, 'probe'), buildProbe(target), { mode: 0o755 });
        image = `xarch-probe:${target}`;
        const tar = spawnSync('tar', ['-C', dir, '-c', 'probe'], { maxBuffer: 1 << 26 });
        const imp = spawnSync(opts.engine, ['import', '--platform', platform, '-', image], { input: tar.stdout, env, encoding: 'utf8', timeout });
        if (imp.status !== 0) {
          const x = explainEngineError(opts.engine, target, imp.stderr ?? imp.error?.message ?? '');
          return { ...base, result: x.result, error: { message: `cannot build the probe image: ${x.message}`, hint: x.hint } };
        }
        cmd = ['/probe'];
      }
      // A local image runs as it is: `docker import` labels images amd64
      // whatever they hold, so --platform would send the engine to a registry.
      const local = spawnSync(opts.engine, ['image', 'inspect', image], { env, stdio: 'ignore', timeout }).status === 0;
      const start = process.hrtime.bigint();
      const r = spawnSync(opts.engine, ['run', '--rm', '--network', 'none', ...(local ? [] : ['--platform', platform]), image, ...cmd], { env, encoding: 'utf8', timeout });
      const ms = Number((process.hrtime.bigint() - start) / 1_000_000n);
      const out: VerifyResult = { ...base, ms, exitCode: r.status, signal: r.signal, stdout: r.stdout ?? '' };
      const unames = getTarget(target)?.names.uname ?? [];
      const good = opts.image ? r.status === 0 && unames.includes((r.stdout ?? '').trim()) : r.status === PROBE_EXIT && r.stdout === probeMessage(target);
      if (good) return { ...out, ok: true, result: 'ok' };
      if (r.error) return { ...out, result: 'timeout', error: { message: `${opts.engine} did not finish within ${timeout} ms`, hint: 'is the daemon responsive?' } };
      if (opts.image && r.status === 0) return { ...out, result: 'wrong-output', error: { message: `uname -m printed '${(r.stdout ?? '').trim()}', expected one of ${unames.join(', ')}`, hint: 'the image is not the architecture its platform says' } };
      const x = explainEngineError(opts.engine, target, r.stderr ?? '');
      return { ...out, result: x.result, error: { message: x.message, hint: x.hint } };
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
