// The emulator store on disk: content-addressed sets of static QEMU
// emulators with their manifests (src/emulators/manifest.ts), and the state
// file recording which set each handler uses and how it got there. A set is
// built in a temporary sibling directory and renamed in, so a reader sees a
// whole set or none; the state is written with the one atomic writer under
// the store's lock, so concurrent `use` runs end consistent.
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { getTarget, TARGETS } from '../core/arch.js';
import { errnoOf, fromSystemError, XarchError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { writeFileAtomic } from '../host/atomic.js';
import { processAlive } from '../host/process.js';
import { readElfFile } from '../host/file.js';
import { withVersions } from './discover.js';
import { honoursP, type Emulator } from './emulator.js';
import {
  emptyState, parseManifest, parseState, renderManifest, setId, setVersion, resolveSet, type Manifest, type ManifestFile, type ManifestProbe, type StoreState,
} from './manifest.js';

/**
 * The uid this process has outside any user namespace: root inside a
 * private instance's namespace is still the user who made it, and keeps
 * that user's store.
 */
export function hostUid(): number {
  const uid = process.getuid?.() ?? -1;
  try {
    for (const line of readFileSync('/proc/self/uid_map', 'utf8').trim().split('\n')) {
      const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
      if (uid >= inside! && uid < inside! + count!) return outside! + (uid - inside!);
    }
  } catch { /* no /proc: the uid as seen */ }
  return uid;
}

/** /var/lib/xarch/emulators for root, $XDG_DATA_HOME/xarch/emulators (~/.local/share/…) otherwise. */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, uid = hostUid()): string {
  if (uid === 0) return '/var/lib/xarch/emulators';
  const base = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'xarch', 'emulators');
}

/** One emulator file offered to the store: its QEMU CPU and where it is now. */
export interface Candidate {
  cpu: string;
  file: string;
}

export interface AddMeta {
  source: string;
  packages: string[];
  sourceSha256?: string;
}

export interface AddResult {
  manifest: Manifest;
  /** The set was already in the store (same files): nothing was written. */
  existed: boolean;
  /** Candidates left out, with why (dynamic emulators). */
  refused: { cpu: string; file: string; reason: string }[];
}

export class Store {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  get setsDir(): string {
    return path.join(this.dir, 'sets');
  }

  setDir(id: string): string {
    return path.join(this.setsDir, id);
  }

  /**
   * Create the store's directories (0755). A root-owned store must not be
   * writable by anyone else: install's interpreter checks would refuse
   * every emulator in it, and rightly.
   */
  ensure(): void {
    try {
      mkdirSync(this.setsDir, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw fromSystemError(e, this.setsDir, 'store directory');
    }
    this.sweep();
    for (const d of [this.dir, this.setsDir]) {
      const st = statSync(d);
      if (st.uid === 0 && (st.mode & 0o022) !== 0) {
        throw new XarchError('STORE_INVALID', `store directory ${d} is writable by group or others`, { path: d, hint: `chmod go-w ${d}` });
      }
    }
  }

  /** Temporary set directories (`.add-<pid>-…`, `.rm-…-<pid>`) whose process is gone: what a crash mid-add leaves. */
  private sweep(): void {
    let names: string[] = [];
    try {
      names = readdirSync(this.setsDir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = /^\.(?:add-(\d+)-\d+|rm-[0-9a-f]+-(\d+))$/.exec(n);
      const pid = m ? Number(m[1] ?? m[2]) : 0;
      if (pid && !processAlive(pid)) rmSync(path.join(this.setsDir, n), { recursive: true, force: true });
    }
  }

  /** Every set's manifest, oldest first. A set directory without a valid manifest is reported, not skipped. */
  list(): Manifest[] {
    let names: string[];
    try {
      names = readdirSync(this.setsDir);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return [];
      throw fromSystemError(e, this.setsDir, 'store directory');
    }
    return names.filter((n) => !n.startsWith('.')).map((n) => this.read(n)).sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  }

  read(id: string): Manifest {
    const file = path.join(this.setDir(id), 'manifest.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') throw new XarchError('SET_NOT_FOUND', `no emulator set ${id} in ${this.dir}`, { path: file, hint: 'xarch emulators list' });
      throw fromSystemError(e, file, 'manifest');
    }
    const m = parseManifest(text, file);
    if (m.id !== id) throw new XarchError('STORE_INVALID', `set directory ${id} holds the manifest of ${m.id}`, { path: file, hint: 'remove that directory and add the set again' });
    return m;
  }

  /** The set's emulators as install's planner takes them. */
  emulators(m: Manifest, kernelRelease = os.release()): Emulator[] {
    return emulatorsIn(this.setDir(m.id), m.files, kernelRelease);
  }

  /**
   * Copy the static candidates into a new set: temporary sibling directory,
   * files 0755, sha256 and --version of each copy, `probe` on the whole
   * directory (the canary of src/emulators/canary.ts), the manifest, then one
   * rename. Returns the existing set when the same files are already there.
   * `progress` is told each file copied and each step after.
   */
  async add(candidates: readonly Candidate[], meta: AddMeta, probe: (dir: string, files: ManifestFile[]) => ManifestProbe[], progress?: (p: Progress) => void): Promise<AddResult> {
    this.ensure();
    const refused: AddResult['refused'] = [];
    const tmp = path.join(this.setsDir, `.add-${process.pid}-${Date.now()}`);
    mkdirSync(tmp, { mode: 0o755 });
    try {
      const files: ManifestFile[] = [];
      for (const [i, c] of candidates.entries()) {
        progress?.({ phase: 'copying emulators', done: i, total: candidates.length, unit: 'files' });
        const linkage = linkageOf(c.file);
        if (linkage !== 'static') {
          refused.push({ cpu: c.cpu, file: c.file, reason: linkage === 'dynamic' ? 'dynamically linked (has PT_INTERP): it cannot start inside a foreign root or a container' : 'not an ELF executable' });
          continue;
        }
        const name = `qemu-${c.cpu}`;
        const dest = path.join(tmp, name);
        copyFileSync(c.file, dest);
        chmodSync(dest, 0o755);
        const st = statSync(dest);
        files.push({ name, cpu: c.cpu, targets: TARGETS.filter((t) => t.cpu === c.cpu).map((t) => t.name), sha256: sha256File(dest), size: st.size, static: true, version: null, preserveArgv0: false });
      }
      if (files.length === 0) {
        const why = refused.length ? refused.map((r) => `${path.basename(r.file)}: ${r.reason}`).slice(0, 3).join('; ') : 'no qemu-<cpu> emulator in it';
        throw new XarchError('EMULATOR_DYNAMIC', `${meta.source} gives no static emulator (${why})`, { hint: 'only static emulators enter the store: on Debian use qemu-user-static (QEMU < 9.1) or qemu-user (9.1+)' });
      }
      progress?.({ phase: 'asking each emulator its version', done: 0, total: files.length, unit: 'files' });
      const versioned = await withVersions(emulatorsIn(tmp, files, os.release()));
      for (const f of files) {
        const e = versioned.find((v) => v.path === path.join(tmp, f.name));
        f.version = e?.version ?? null;
        f.preserveArgv0 = e?.preserveArgv0 ?? false;
      }
      files.sort((a, b) => a.name.localeCompare(b.name));
      const id = setId(files);
      if (existsSync(this.setDir(id))) return { manifest: this.read(id), existed: true, refused };
      const manifest: Manifest = { id, version: setVersion(files), source: meta.source, packages: meta.packages, addedAt: new Date().toISOString(), files, probes: [] };
      if (meta.sourceSha256) manifest.sourceSha256 = meta.sourceSha256;
      progress?.({ phase: 'probing each target in a private binfmt_misc instance', done: 0, unit: 'files' });
      manifest.probes = probe(tmp, files);
      writeFileAtomic(path.join(tmp, 'manifest.json'), Buffer.from(renderManifest(manifest)), { what: 'manifest' });
      try {
        renameSync(tmp, this.setDir(id));
      } catch (e) {
        // Another add of the same files won the rename: theirs is the set.
        if (errnoOf(e) === 'ENOTEMPTY' || errnoOf(e) === 'EEXIST') return { manifest: this.read(id), existed: true, refused };
        throw fromSystemError(e, this.setDir(id), 'set directory');
      }
      return { manifest, existed: false, refused };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Record new probe results in a set's manifest (atomic rewrite). */
  recordProbes(id: string, probes: readonly ManifestProbe[]): void {
    const m = this.read(id);
    const byTarget = new Map(m.probes.map((p) => [p.target, p]));
    for (const p of probes) byTarget.set(p.target, p);
    m.probes = [...byTarget.values()].sort((a, b) => a.target.localeCompare(b.target));
    writeFileAtomic(path.join(this.setDir(id), 'manifest.json'), Buffer.from(renderManifest(m)), { what: 'manifest' });
  }

  remove(id: string): void {
    const dir = this.setDir(id);
    const tmp = path.join(this.setsDir, `.rm-${id}-${process.pid}`);
    // Renamed out first: a reader never sees a half-removed set.
    renameSync(dir, tmp);
    rmSync(tmp, { recursive: true, force: true });
  }

  get stateFile(): string {
    return path.join(this.dir, 'state.json');
  }

  readState(): StoreState {
    try {
      return parseState(readFileSync(this.stateFile, 'utf8'), this.stateFile);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return emptyState();
      throw e;
    }
  }

  writeState(s: StoreState): void {
    writeFileAtomic(this.stateFile, Buffer.from(JSON.stringify(s, null, 2) + '\n'), { what: 'store state' });
  }

  /**
   * Run `fn` holding the store's lock (an exclusively created file naming
   * its holder; a dead holder's lock is taken over), so two `use` runs
   * read and write the state one after the other.
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    this.ensure();
    const lock = path.join(this.dir, 'lock');
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const fd = openSync(lock, 'wx', 0o644);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw fromSystemError(e, lock, 'store lock');
        const holder = Number(readOr(lock));
        if (holder > 0 && !processAlive(holder)) {
          rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new XarchError('STORE_INVALID', `the store ${this.dir} stayed locked by process ${holder} for 2 minutes`, { path: lock, hint: `if that process is gone, remove ${lock}` });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function linkageOf(file: string): 'static' | 'dynamic' | null {
  try {
    return readElfFile(file).linkage === 'dynamic' ? 'dynamic' : 'static';
  } catch {
    return null;
  }
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A set directory's files as install's planner takes emulators. */
export function emulatorsIn(dir: string, files: readonly ManifestFile[], kernelRelease = os.release()): Emulator[] {
  const out: Emulator[] = [];
  for (const f of files) {
    for (const t of f.targets) {
      if (!getTarget(t)) continue;
      out.push({ target: t, cpu: f.cpu, path: path.join(dir, f.name), kind: 'static', static: true, version: f.version, preserveArgv0: f.version ? honoursP('static', f.version, kernelRelease) : false });
    }
  }
  return out;
}

/** The emulators of a store set named by id, prefix or QEMU version (install and agent --emulators SET). */
export function setEmulators(set: string, storeDir: string): Emulator[] {
  const store = new Store(storeDir);
  return store.emulators(store.read(resolveSet(set, store.list())));
}
