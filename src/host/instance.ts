// Which binfmt_misc instance a directory is: the host's (the initial user
// namespace's), a user namespace's private one (Linux 6.7+ gives each user
// namespace that mounts binfmt_misc its own), an autofs automount not yet
// triggered (systemd's proc-sys-fs-binfmt_misc.automount), not mounted, or a
// plain directory standing in for one (tests, --binfmt-dir). "Installed"
// only means something once it is known whose instance got the entries: a
// registration in a container's own user-namespace instance is invisible to
// the host.
//
// classifyInstance is pure (facts in, verdict out); describeInstance reads
// the facts from /proc (under an injectable root) without touching the
// directory itself: a stat inside an automount point would trigger it.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kernelFeatures } from '../core/kernel-version.js';

export type InstanceKind = 'host' | 'user-namespace' | 'automount' | 'not-mounted' | 'directory';

export interface InstanceFacts {
  /** /proc/self/uid_map */
  uidMap: string;
  /** The file systems mounted on the directory, bottom first (from /proc/self/mountinfo). */
  mountTypes: string[];
  /** The directory has a `register` file (looked at only when no mount covers it). */
  hasRegister: boolean;
  /** The kernel gives each user namespace its own instance (6.7+). */
  perUserNamespace: boolean;
  /** The container runtime this process runs under, or null. */
  container: string | null;
}

export interface InstanceReport {
  kind: InstanceKind;
  /** Entries written here are the host's: they act on every process of the machine. null: nothing is mounted. */
  hostInstance: boolean | null;
  userNamespace: 'initial' | 'nested';
  container: string | null;
  /** What a person reads. */
  detail: string;
}

/** The initial user namespace maps every id onto itself: "0 0 4294967295". */
export function isInitialUserNamespace(uidMap: string): boolean {
  return /^\s*0\s+0\s+4294967295\s*$/.test(uidMap);
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mounts at `mountPoint` (file system type and source), in mount order (the last is on top). */
export function mountsAt(mountinfo: string, mountPoint: string): { type: string; source: string }[] {
  const out: { type: string; source: string }[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0 || fields.length < sep + 2) continue;
    if (unescapeMountinfo(fields[4] ?? '') === mountPoint) out.push({ type: fields[sep + 1]!, source: unescapeMountinfo(fields[sep + 2] ?? '') });
  }
  return out;
}

/** The file system types mounted at `mountPoint`, in mount order (the last is on top). */
export function mountTypesAt(mountinfo: string, mountPoint: string): string[] {
  return mountsAt(mountinfo, mountPoint).map((m) => m.type);
}

export function classifyInstance(f: InstanceFacts): InstanceReport {
  const initial = isInitialUserNamespace(f.uidMap);
  const base = { userNamespace: initial ? 'initial' as const : 'nested' as const, container: f.container };
  const inContainer = f.container ? ` inside a ${f.container} container` : '';
  const top = f.mountTypes.at(-1);
  if (top === 'autofs') {
    return { ...base, kind: 'automount', hostInstance: null, detail: `an automount not yet triggered${inContainer}: the first access mounts the instance (systemd's proc-sys-fs-binfmt_misc.automount)` };
  }
  if (top === 'binfmt_misc') {
    // Before 6.7 there is one instance for the whole machine, whoever mounts it.
    if (initial || !f.perUserNamespace) {
      return { ...base, kind: 'host', hostInstance: true, detail: `the host's instance (${initial ? 'initial user namespace' : 'one instance per machine on this kernel'})${inContainer}: entries act on every process` };
    }
    return { ...base, kind: 'user-namespace', hostInstance: false, detail: `a user namespace's private instance${inContainer}: entries act only inside that namespace, not on the host` };
  }
  if (top === undefined && f.hasRegister) {
    return { ...base, kind: 'directory', hostInstance: false, detail: 'a plain directory, not a binfmt_misc mount: the kernel does not read it' };
  }
  return { ...base, kind: 'not-mounted', hostInstance: null, detail: `not mounted${top ? ` (${top} is mounted there)` : ''}${inContainer}` };
}

/** The container runtime, from the marker files runtimes leave and the `container` variable systemd's convention uses. */
function containerOf(procRoot: string, root: string, env: NodeJS.ProcessEnv): string | null {
  if (existsSync(path.join(root, '.dockerenv'))) return 'docker';
  if (existsSync(path.join(root, 'run/.containerenv'))) return 'podman';
  if (env.KUBERNETES_SERVICE_HOST) return 'kubernetes';
  if (env.container) return env.container;
  const cgroup = readOr(path.join(procRoot, 'self/cgroup'), '');
  if (/kubepods/.test(cgroup)) return 'kubernetes';
  if (/docker|containerd/.test(cgroup)) return 'docker';
  if (/libpod/.test(cgroup)) return 'podman';
  return null;
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export interface DescribeOptions {
  /** Where proc is (default /proc). */
  procRoot?: string;
  /** The file system root, for the container marker files (default /). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  kernelRelease?: string;
}

/** The instance at `dir`, from /proc/self/{uid_map,mountinfo}; the directory itself is only looked into when nothing is mounted on it. */
export function describeInstance(dir: string, opts: DescribeOptions = {}): InstanceReport {
  const proc = opts.procRoot ?? '/proc';
  let mountPoint = path.resolve(dir);
  try {
    mountPoint = realpathSync(mountPoint);
  } catch { /* missing: compared as given */ }
  const mountTypes = mountTypesAt(readOr(path.join(proc, 'self/mountinfo'), ''), mountPoint);
  return classifyInstance({
    uidMap: readOr(path.join(proc, 'self/uid_map'), '0 0 4294967295'),
    mountTypes,
    hasRegister: mountTypes.length === 0 && existsSync(path.join(dir, 'register')),
    perUserNamespace: kernelFeatures(opts.kernelRelease ?? os.release()).perUserNamespace,
    container: containerOf(proc, opts.root ?? '/', opts.env ?? process.env),
  });
}
