// Where a set's emulators come from (`xarch emulators add SOURCE`): apt
// (downloaded, not installed, so apt's signature and checksum chain
// verifies them; `--suite` through a private apt configuration built from
// the host's own source entries), a .deb, an .rpm, a tarball of qemu-*
// binaries, or a container image archive (docker save / OCI, unpacked by
// the one image reader, src/session/roots.ts). Each source is unpacked
// into a work directory and the qemu-<cpu> files found in it are offered to
// the store; the store decides which are static enough to enter.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { XarchError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { resolveInRoot } from '../host/rootfs.js';
import { readElfFile, readHead } from '../host/file.js';
import { prepareRoot } from '../session/roots.js';
import { parseEmulatorName } from './discover.js';
import { qemuVersion } from './emulator.js';
import { sha256File, type AddMeta, type Candidate } from './store.js';

export interface SourceOptions {
  /** apt: the suite to take the packages from (a private apt configuration). */
  suite?: string;
  /** A file source's expected sha256, checked before anything is unpacked. */
  sha256?: string;
  /** /etc, for the host's apt sources (default /etc). */
  etcDir?: string;
  /** Told each step (download, unpack) as it starts, and how far an archive's unpack has got. */
  progress?: (p: Progress) => void;
}

export interface Unpacked extends AddMeta {
  candidates: Candidate[];
}

function run(argv: string[], what: string, opts: { cwd?: string; input?: Uint8Array } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: opts.cwd, maxBuffer: 64 << 20, timeout: 900_000 });
  if (r.error) {
    throw new XarchError('SOURCE_UNAVAILABLE', `${what}: cannot run ${argv[0]}: ${r.error.message}`, { hint: `install ${argv[0]}` });
  }
  if (r.status !== 0) {
    const last = (r.stderr || r.stdout || '').trim().split('\n').filter((l) => !l.startsWith('W:')).pop() ?? `exit ${r.status}`;
    throw new XarchError('SOURCE_UNAVAILABLE', `${what} failed: ${last}`, { hint: 'check the source name and the network' });
  }
  return r.stdout;
}

/** Unpack SOURCE into `work` and find its emulators. */
export function unpackSource(source: string, work: string, opts: SourceOptions = {}): Promise<Unpacked> | Unpacked {
  if (source === 'apt') {
    if (opts.sha256) throw new XarchError('USAGE', '--sha256 applies to a file source; apt verifies its own downloads', { hint: 'drop --sha256' });
    return fromApt(work, opts);
  }
  if (opts.suite) throw new XarchError('USAGE', '--suite applies to the apt source only', { hint: 'xarch emulators add apt --suite NAME' });
  if (!existsSync(source)) {
    throw new XarchError('PATH_NOT_FOUND', `source ${source} is neither 'apt' nor an existing file`, { path: source, hint: "give 'apt', a .deb, an .rpm, a tarball of qemu-* binaries or a docker save archive" });
  }
  const abs = path.resolve(source);
  const digest = lstatSync(abs).isFile() ? sha256File(abs) : undefined;
  if (opts.sha256 && opts.sha256.toLowerCase() !== digest) {
    throw new XarchError('CHECKSUM_MISMATCH', `${source} has sha256 ${digest ?? '(a directory)'}, not ${opts.sha256}`, { path: abs, hint: 'the file is not the one you meant: download it again or check the checksum you were given' });
  }
  const meta = (kind: string, packages: string[]): AddMeta => (digest ? { source: `${kind}:${abs}`, packages, sourceSha256: digest } : { source: `${kind}:${abs}`, packages });
  const root = path.join(work, 'root');
  mkdirSync(root, { recursive: true });
  const kind = digest ? packageKind(abs) : null;
  opts.progress?.({ phase: `unpacking ${path.basename(abs)}`, done: 0, unit: 'files' });
  if (kind === 'deb') {
    const pkg = run(['dpkg-deb', '-W', '--showformat', '${Package}=${Version}', abs], `reading ${source}`);
    run(['dpkg-deb', '-x', abs, root], `unpacking ${source}`);
    return { ...meta('deb', [pkg]), candidates: findCandidates(root) };
  }
  if (kind === 'rpm') {
    const pkg = run(['rpm', '-qp', '--nosignature', '--qf', '%{NAME}=%{VERSION}-%{RELEASE}', abs], `reading ${source}`);
    // rpm2cpio → cpio: rpm's own tools, no database touched.
    const sh = `rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames`;
    run(['sh', '-c', sh, 'sh', abs], `unpacking ${source}`, { cwd: root });
    return { ...meta('rpm', [pkg]), candidates: findCandidates(root) };
  }
  return prepareRoot(abs, { cacheDir: path.join(work, 'roots'), ...(opts.progress ? { progress: opts.progress } : {}) }).then((p) => ({
    ...meta(p.kind === 'image' ? 'image' : p.kind, p.image ? [p.image] : []),
    candidates: findCandidates(p.root),
  }));
}

/** A .deb (an ar archive whose first member is debian-binary) or an .rpm (its lead's magic), by content, not by name. */
function packageKind(file: string): 'deb' | 'rpm' | null {
  const head = Buffer.from(readHead(file, 16));
  if (head.subarray(0, 8).toString('latin1') === '!<arch>\n' && head.subarray(8, 16).toString('latin1').startsWith('debian-b')) return 'deb';
  if (head.length >= 4 && head.readUInt32BE(0) === 0xedabeedb) return 'rpm';
  return null;
}

/**
 * The apt source: which package holds the static emulators depends on the
 * QEMU version (Debian moved them into qemu-user at 9.1, leaving
 * qemu-user-static as -static links), so ask apt for the candidate
 * version first, then download that one package.
 */
function fromApt(work: string, opts: SourceOptions): Unpacked {
  const aptOpts = opts.suite ? privateAptConfig(work, opts.suite, opts.etcDir ?? '/etc') : [];
  const label = opts.suite ? `apt:${opts.suite}` : 'apt';
  if (opts.suite) run(['apt-get', ...aptOpts, 'update'], `apt-get update for ${opts.suite}`);
  const candidate = (pkg: string) => aptCandidate(aptOpts, pkg);
  const userVersion = candidate('qemu-user');
  const v = qemuVersion(userVersion?.replace(/^\d+:/, '') ?? null);
  const pkg = v && (v[0] > 9 || (v[0] === 9 && v[1] >= 1)) ? 'qemu-user' : 'qemu-user-static';
  const version = pkg === 'qemu-user' ? userVersion : candidate(pkg);
  if (!version) {
    throw new XarchError('SOURCE_UNAVAILABLE', `apt knows no ${pkg}${opts.suite ? ` in ${opts.suite}` : ''}`, { hint: opts.suite ? 'check the suite name (bookworm, trixie, …)' : 'apt-get update, or name a suite with --suite' });
  }
  const root = path.join(work, 'root');
  aptDownloadUnpack(aptOpts, `${pkg}=${version}`, path.join(work, 'download'), root, (phase) => opts.progress?.({ phase, done: 0, unit: 'files' }));
  return { source: label, packages: [`${pkg}=${version}`], candidates: findCandidates(root) };
}

/** apt's candidate version of `pkg` (apt-cache policy with the options `apt`), or null. */
export function aptCandidate(apt: readonly string[], pkg: string): string | null {
  const out = spawnSync('apt-cache', [...apt, 'policy', pkg], { encoding: 'utf8' }).stdout ?? '';
  const m = /Candidate:\s*(\S+)/.exec(out);
  return m && m[1] !== '(none)' ? m[1]! : null;
}

/**
 * Download `spec` (PKG=VERSION, PKG:ARCH=VERSION) with apt into the new
 * directory `dl` (not installed: apt verifies the download's signature and
 * checksum chain) and unpack it into `into`. SOURCE_UNAVAILABLE on failure.
 */
export function aptDownloadUnpack(apt: readonly string[], spec: string, dl: string, into: string, phase?: (text: string) => void): void {
  mkdirSync(dl, { recursive: true, mode: 0o755 });
  // Root's downloads run as _apt, which must be able to write here.
  spawnSync('chmod', ['0777', dl]);
  phase?.(`downloading ${spec}`);
  run(['apt-get', ...apt, 'download', spec], `apt-get download ${spec}`, { cwd: dl });
  const deb = readdirSync(dl).find((n) => n.endsWith('.deb'));
  if (!deb) throw new XarchError('SOURCE_UNAVAILABLE', `apt-get download ${spec} left no .deb`, { hint: 'run it by hand to see why' });
  mkdirSync(into, { recursive: true });
  phase?.(`unpacking ${deb}`);
  run(['dpkg-deb', '-x', path.join(dl, deb), into], `unpacking ${deb}`);
}

/**
 * apt options for a private configuration: the host's own deb822 and
 * one-line source entries and keyrings, with the host's suite replaced by
 * `suite` (bookworm-updates → trixie-updates), and private state, cache and
 * status, so the host's apt lists are never touched.
 */
export function privateAptConfig(work: string, suite: string, etcDir: string): string[] {
  const dir = path.join(work, 'apt');
  for (const d of ['state/lists/partial', 'cache/archives/partial', 'etc/sources.list.d', 'etc/preferences.d']) mkdirSync(path.join(dir, d), { recursive: true });
  spawnSync('chmod', ['-R', 'a+rwX', dir]);
  writeFileSync(path.join(dir, 'status'), '');
  const host = hostCodename(etcDir);
  const parts = path.join(etcDir, 'apt', 'sources.list.d');
  const texts: { name: string; text: string }[] = [];
  const main = path.join(etcDir, 'apt', 'sources.list');
  if (existsSync(main)) texts.push({ name: 'host.list', text: readFileSync(main, 'utf8') });
  for (const n of existsSync(parts) ? readdirSync(parts) : []) {
    if (n.endsWith('.list') || n.endsWith('.sources')) texts.push({ name: n, text: readFileSync(path.join(parts, n), 'utf8') });
  }
  let entries = 0;
  for (const { name, text } of texts) {
    const out = rewriteSuites(text, name.endsWith('.sources'), host, suite);
    if (out.count) {
      writeFileSync(path.join(dir, 'etc/sources.list.d', name), out.text);
      entries += out.count;
    }
  }
  if (!entries) {
    throw new XarchError('SOURCE_UNAVAILABLE', `no apt source entry of this host names its suite ${host}`, { hint: `add the ${suite} entry to a sources file yourself, or use a .deb` });
  }
  return [
    '-o', `Dir::State=${path.join(dir, 'state')}`, '-o', `Dir::State::status=${path.join(dir, 'status')}`,
    '-o', `Dir::Cache=${path.join(dir, 'cache')}`, '-o', `Dir::Etc::sourcelist=${path.join(dir, 'etc/sources.list')}`,
    '-o', `Dir::Etc::sourceparts=${path.join(dir, 'etc/sources.list.d')}`, '-o', `Dir::Etc::preferencesparts=${path.join(dir, 'etc/preferences.d')}`,
  ];
}

export function hostCodename(etcDir: string): string {
  const text = existsSync(path.join(etcDir, 'os-release')) ? readFileSync(path.join(etcDir, 'os-release'), 'utf8') : '';
  const m = /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(text);
  if (!m) throw new XarchError('SOURCE_UNAVAILABLE', `cannot tell this host's release codename from ${etcDir}/os-release`, { hint: 'use a .deb source instead' });
  return m[1]!;
}

/** The entries of one sources file that name the host's suite, with that suite replaced (pure). */
export function rewriteSuites(text: string, deb822: boolean, host: string, suite: string): { text: string; count: number } {
  const swap = (s: string) => (s === host || s.startsWith(`${host}-`) ? suite + s.slice(host.length) : null);
  let count = 0;
  if (deb822) {
    const stanzas = text.split(/\n\s*\n/).map((st) => {
      const m = /^Suites:\s*(.+)$/m.exec(st);
      const suites = m ? m[1]!.trim().split(/\s+/).map(swap).filter((s): s is string => s !== null) : [];
      if (!m || !suites.length || /^Enabled:\s*no/im.test(st)) return null;
      count++;
      return st.replace(/^Suites:.*$/m, `Suites: ${suites.join(' ')}`);
    });
    return { text: stanzas.filter((s) => s !== null).join('\n\n') + '\n', count };
  }
  const lines = text.split('\n').flatMap((l) => {
    const m = /^(deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?\S+\s+)(\S+)(\s.*)?$/.exec(l.trim());
    const s = m ? swap(m[2]!) : null;
    if (!m || s === null || l.trim().startsWith('deb-src')) return [];
    count++;
    return [`${m[1]}${s}${m[3] ?? ''}`];
  });
  return { text: lines.join('\n') + '\n', count };
}

/**
 * The qemu-<cpu> emulators under an unpacked tree, one per CPU: a
 * `-static` link and the file it names count once (qemu-user 9.1+), links
 * resolved inside the tree; a static file is preferred over a dynamic one
 * of the same CPU.
 */
export function findCandidates(root: string): Candidate[] {
  const byCpu = new Map<string, Candidate & { static: boolean }>();
  const walk = (rel: string, depth: number) => {
    if (depth > 12) return;
    let names: string[];
    try {
      names = readdirSync(path.join(root, rel));
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const r = path.join(rel, n);
      const st = lstatSync(path.join(root, r));
      if (st.isDirectory()) {
        walk(r, depth + 1);
        continue;
      }
      const parsed = parseEmulatorName(n);
      if (!parsed || parsed.wrapper) continue;
      const file = st.isSymbolicLink() ? resolveInRoot(root, '/' + r) : path.join(root, r);
      if (!file || !existsSync(file) || !lstatSync(file).isFile()) continue;
      let isStatic = false;
      try {
        isStatic = readElfFile(file).linkage !== 'dynamic';
      } catch { /* not ELF: the store reports it */ }
      const prev = byCpu.get(parsed.cpu);
      if (!prev || (isStatic && !prev.static)) byCpu.set(parsed.cpu, { cpu: parsed.cpu, file, static: isStatic });
    }
  };
  walk('', 0);
  return [...byCpu.values()].map(({ cpu, file }) => ({ cpu, file }));
}
