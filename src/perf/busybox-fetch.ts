// `xarch bench --fetch`: Debian's static busybox of each architecture the
// benchmark needs, downloaded (not installed) through a private apt
// configuration (the host's own source entries and keyrings, its own
// suite, the foreign architectures added only there: the host's apt lists
// and dpkg's architectures are never touched, emulators/sources.ts), and
// unpacked into a cache, DIR/<debian-arch>/root, the layout --busybox-dir
// reads. apt verifies the download's signature and checksum chain.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isXarchError, XarchError } from '../core/errors.js';
import { aptCandidate, aptDownloadUnpack, hostCodename, privateAptConfig } from '../emulators/sources.js';
import type { Progress } from '../core/progress.js';

export interface FetchOptions {
  /** /etc, for the host's apt sources and os-release (default /etc). */
  etcDir?: string;
  progress?: (p: Progress) => void;
}

export interface Fetched {
  debian: string;
  /** The package version unpacked, or null where it could not be fetched. */
  version: string | null;
  /** DIR/<debian-arch>/root/bin/busybox, or null. */
  busybox: string | null;
  error?: string;
}

/** The default cache of fetched busyboxes: $XDG_CACHE_HOME/xarch/busybox (default ~/.cache). */
export function busyboxCacheDir(env: NodeJS.ProcessEnv): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : '');
  return base && path.isAbsolute(base) ? path.join(base, 'xarch', 'busybox') : null;
}

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/**
 * Download busybox-static of this host's Debian architecture and of each in `debian` into
 * `dir`/<arch>/root (replacing what was there only once the new one is
 * unpacked). One architecture that cannot be fetched (no such port in the
 * suite, a download that fails) is reported, not thrown; no apt at all is.
 */
export function fetchBusyboxes(debian: readonly string[], dir: string, opts: FetchOptions = {}): Fetched[] {
  for (const tool of ['apt-get', 'dpkg-deb', 'dpkg']) {
    if (!has(tool)) throw new XarchError('SOURCE_UNAVAILABLE', `--fetch needs ${tool} (Debian's apt and dpkg)`, { hint: "or fetch the busyboxes yourself: apt-get download busybox-static:ARCH, dpkg -x it into DIR/ARCH/root, then --busybox-dir DIR" });
  }
  mkdirSync(dir, { recursive: true });
  // apt's state and the downloads in a temporary directory that apt's _apt
  // user can reach (a cache under root's home it cannot); each busybox is
  // unpacked beside its place in `dir` and renamed into it.
  const work = mkdtempSync(path.join(os.tmpdir(), 'xarch-fetch-'));
  try {
    const etc = opts.etcDir ?? '/etc';
    const native = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
    const archs = [...new Set([native, ...debian])];
    const apt = [
      ...privateAptConfig(work, hostCodename(etc), etc),
      // Only these architectures' indexes, and no translations.
      ...archs.flatMap((a) => ['-o', `APT::Architectures::=${a}`]), '-o', 'Acquire::Languages=none',
    ];
    opts.progress?.({ phase: `apt-get update (${archs.join(', ')})`, done: 0, unit: 'files' });
    // A mirror's foreign index can be briefly out of step, which makes
    // update exit non-zero; what counts is whether each download works.
    const update = spawnSync('apt-get', [...apt, '-q', 'update'], { encoding: 'utf8' });
    if (update.error) throw new XarchError('SOURCE_UNAVAILABLE', `cannot run apt-get: ${update.error.message}`, { hint: 'install apt' });
    // apt's _apt user must reach the download directories in it (mkdtemp made it 0700).
    chmodSync(work, 0o755);
    const out: Fetched[] = [];
    for (const [i, arch] of archs.entries()) {
      opts.progress?.({ phase: `busybox-static:${arch}`, done: i, total: archs.length, unit: 'files' });
      out.push(fetchOne(apt, arch, work, dir, update.status === 0 ? '' : lastLine(update.stderr)));
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}

function fetchOne(apt: string[], arch: string, work: string, dir: string, updateError: string): Fetched {
  const fail = (error: string): Fetched => ({ debian: arch, version: null, busybox: null, error });
  const version = aptCandidate(apt, `busybox-static:${arch}`);
  if (!version) return fail(`apt knows no busybox-static:${arch}${updateError ? ` (apt-get update: ${updateError})` : ''}`);
  const fresh = path.join(dir, `.${arch}.new`);
  rmSync(fresh, { recursive: true, force: true });
  const busybox = path.join(fresh, 'root', 'bin', 'busybox');
  let error: string | undefined;
  try {
    aptDownloadUnpack(apt, `busybox-static:${arch}=${version}`, path.join(work, `download-${arch}`), path.join(fresh, 'root'));
    if (!existsSync(busybox)) error = `busybox-static:${arch}=${version} holds no bin/busybox`;
  } catch (e) {
    if (!isXarchError(e)) throw e;
    error = e.message;
  }
  if (error) {
    rmSync(fresh, { recursive: true, force: true });
    return fail(error);
  }
  const final = path.join(dir, arch);
  rmSync(final, { recursive: true, force: true });
  renameSync(fresh, final);
  return { debian: arch, version, busybox: path.join(final, 'root', 'bin', 'busybox') };
}
