// Roots for sessions: a directory as it is; a tar (plain or compressed) or a
// container image (docker/podman save archive, OCI layout as a directory or a
// tar) unpacked once into a cache keyed by its digest and then used read-only
// as the lower layer.
//
// A cache entry is <cacheDir>/<algorithm>-<hex>/{root/,meta.json}. It is
// built in a temporary sibling (.tmp-<pid>-*) and renamed into place only when
// complete, so a killed unpack never leaves a half root that is later used;
// two starts racing on the same entry both succeed (the second rename finds
// the first's entry and drops its own). Once renamed, an entry is never
// written again. Temporaries of dead processes are swept on the next call.
import { processAlive as alive } from '../host/process.js';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import { listNames } from '../host/file.js';
import { fromSystemError, XarchError } from '../core/errors.js';
import { digestPath, resolveDockerImages, resolveOciImages, selectImage, type ImageConfig, type ImageRef } from '../core/image.js';
import { writeFileAtomic } from '../host/atomic.js';
import { isOciLayout, resolveInRoot, usableInPlace } from '../host/rootfs.js';
import { openTar, type RawTap } from '../host/tar.js';
import type { Progress } from '../core/progress.js';
import { Unpacker, type UnpackStats } from '../host/unpack.js';
import { defaultCacheDir } from './cache-dir.js';

export { defaultCacheDir };

export interface PreparedRoot {
  /** A directory, used read-only as the lower layer. */
  root: string;
  /** tree: a directory this user cannot write under an overlay, copied into the cache. */
  kind: 'dir' | 'tar' | 'image' | 'tree';
  /** True when this call unpacked nothing (the cache entry was already there). */
  cached: boolean;
  /** sha256 of the tar; the manifest digest (OCI) or config digest (docker save) of an image. */
  digest?: string;
  /** What the image's config says a container runs with. */
  config?: ImageConfig;
  /** The image's platform (os/architecture[/variant]) and tag. */
  platform?: string;
  image?: string;
  /** Of a tree: paths this user could not read, missing from the copy. */
  unreadable?: string[];
}

export interface PrepareOptions {
  /** Pick this platform from a multi-platform image. */
  platform?: string;
  cacheDir?: string;
  /** For the default cache directory ($XDG_CACHE_HOME, $HOME). */
  env?: NodeJS.ProcessEnv;
  /** Who will use the root (default: this process). */
  uid?: number;
  /** The session writes to a layer over the root: a directory this user cannot write under one is copied. */
  writable?: boolean;
  /** Told how far an unpack or a copy has got (bytes of the archive, entries of a tree); nothing when cached. */
  progress?: (p: Progress) => void;
}

interface EntryMeta {
  kind: 'tar' | 'image' | 'tree';
  digest: string;
  source: string;
  config?: ImageConfig;
  platform?: string;
  image?: string;
  stats?: UnpackStats;
  unreadable?: string[];
}

/** Records which digest a source file had when it had this identity: re-hashed only when it changes. */
interface SourceMemo {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  /** sha256 of the archive itself. */
  archive: string;
  kind: 'tar' | 'image';
  /** The entry digest per requested platform ('' for none); for a tar, the archive's. */
  entries: Record<string, string>;
}

const entryName = (digest: string) => digest.replace(':', '-');

function statOrThrow(spec: string): Stats {
  try {
    return statSync(spec);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new XarchError('PATH_NOT_FOUND', `root ${spec} does not exist`, { path: spec, hint: 'give a directory, a tar (optionally compressed) or a container image (docker save archive or OCI layout)' });
    }
    throw fromSystemError(e, spec, 'root');
  }
}


/** Prepare SPEC (a directory, a tar or an image) as a session's lower layer. */
export async function prepareRoot(spec: string, opts: PrepareOptions = {}): Promise<PreparedRoot> {
  const st = statOrThrow(spec);
  const abs = path.resolve(spec);
  if (st.isDirectory() && !isOciLayout(abs)) {
    if (opts.platform !== undefined) throw new XarchError('USAGE', `--platform applies to images; ${spec} is a plain directory`, { path: spec, hint: 'drop --platform' });
    if (usableInPlace(abs, st, !!opts.writable, opts.uid)) return { root: abs, kind: 'dir', cached: false };
  }
  if (!st.isDirectory() && !st.isFile()) throw new XarchError('PATH_NOT_FILE', `${spec} is neither a directory nor a file`, { path: spec });
  const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir(opts.env));
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw fromSystemError(e, cacheDir, 'cache directory');
  }
  sweepStale(cacheDir);
  if (st.isDirectory() && !isOciLayout(abs)) return prepareTree(abs, cacheDir, opts.progress);
  if (st.isDirectory()) return prepareLayoutDir(abs, cacheDir, opts.platform, opts.progress);
  const memo = readMemo(cacheDir, abs, st);
  const known = memo?.entries[opts.platform ?? ''];
  if (known) {
    const meta = readEntry(cacheDir, known);
    if (meta) return fromEntry(cacheDir, meta, true);
  }
  return prepareArchive(abs, st, cacheDir, opts.platform, opts.progress);
}

/** An OCI layout directory: the manifest is read in place, only the layers are unpacked. */
async function prepareLayoutDir(dir: string, cacheDir: string, platform: string | undefined, progress?: Progressed): Promise<PreparedRoot> {
  const ref = selectImage(imagesIn(dir, true), platform, { path: dir });
  const meta = readEntry(cacheDir, ref.digest);
  if (meta) return fromEntry(cacheDir, meta, true);
  const tmp = tempDir(cacheDir);
  try {
    return commit(cacheDir, tmp, await unpackImage(dir, ref, dir, tmp, progress));
  } finally {
    if (existsSync(tmp)) removeTree(tmp);
  }
}

/**
 * The sha256 of `file`, hashed on another thread while this one unpacks
 * (hashing in this thread was a quarter of a first start: 160 ms of 550 for
 * a 188 MB root, measured on tmpfs; coreutils' sha256sum, without the CPU's
 * SHA instructions, took 1 s). The file is read twice, the second time from
 * the page cache. `cancel` stops it (the unpack failed).
 */
function fileDigest(file: string): { digest: Promise<string>; cancel: () => void } {
  // execArgv []: a parent started with --input-type=module would make the eval'd code ESM.
  const worker = new Worker(HASH_WORKER, { eval: true, workerData: file, execArgv: [] });
  const digest = new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { hex: string } | { error: { code?: string; message: string } }) => {
      if ('hex' in m) resolve(m.hex);
      else reject(fromSystemError(Object.assign(new Error(m.error.message), { code: m.error.code }), file, 'archive'));
    });
    worker.once('error', (e) => reject(fromSystemError(e, file, 'archive')));
    worker.once('exit', () => reject(new XarchError('ARCHIVE_INVALID', `${file}: not hashed`, { path: file })));
  });
  digest.catch(() => {});
  return { digest, cancel: () => { void worker.terminate(); } };
}

const HASH_WORKER = `const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
require('node:fs').createReadStream(workerData)
  .on('data', (c) => hash.update(c))
  .on('error', (e) => parentPort.postMessage({ error: { code: e.code, message: e.message } }))
  .on('end', () => parentPort.postMessage({ hex: hash.digest('hex') }));`;

/**
 * A file: one pass unpacks it as a plain tar while it is hashed beside. A root tar is then
 * complete; an image archive's unpacked members are its layout, whose layers
 * are applied next, and which is dropped afterwards.
 */
async function prepareArchive(file: string, st: Stats, cacheDir: string, platform: string | undefined, progress?: Progressed): Promise<PreparedRoot> {
  const tmp = tempDir(cacheDir);
  try {
    const extracted = path.join(tmp, 'root');
    mkdirSync(extracted);
    const u = new Unpacker(extracted);
    const counted = byteCounter(progress, `unpacking ${path.basename(file)}`, st.size);
    const hashing = fileDigest(file);
    const { stream, done } = openTar(file, undefined, counted);
    try {
      await Promise.all([u.tar(stream), done]);
    } catch (e) {
      hashing.cancel();
      throw named(e, file);
    }
    const stats = u.finish();
    const archive = `sha256:${await hashing.digest}`;
    const isImage = isOciLayout(extracted) || existsSync(path.join(extracted, 'manifest.json'));
    if (!isImage) {
      if (platform !== undefined) throw new XarchError('USAGE', `--platform applies to images; ${file} is a root file system tar`, { path: file, hint: 'drop --platform' });
      writeMemo(cacheDir, file, st, { archive, kind: 'tar', entries: { '': archive } });
      return commit(cacheDir, tmp, { kind: 'tar', digest: archive, source: file, stats });
    }
    const layout = path.join(tmp, 'layout');
    renameSync(extracted, layout);
    const ref = selectImage(imagesIn(layout, isOciLayout(layout), file), platform, { path: file });
    writeMemo(cacheDir, file, st, { archive, kind: 'image', entries: { ...readMemo(cacheDir, file, st)?.entries, [platform ?? '']: ref.digest } });
    const existing = readEntry(cacheDir, ref.digest);
    if (existing) return fromEntry(cacheDir, existing, true);
    const meta = await unpackImage(layout, ref, file, tmp, progress);
    removeTree(layout);
    return commit(cacheDir, tmp, meta);
  } finally {
    if (existsSync(tmp)) removeTree(tmp);
  }
}

/**
 * A directory owned by another user (a root-owned Debian tree, say). Its
 * owner is not mapped in this user's namespace, so under an overlay every
 * file shows as nobody and each copy-up fails (EOVERFLOW: overlayfs cannot
 * give the copy an unmapped owner); only privilege could idmap the mount.
 * So it is copied once into the cache, as a tar root is, owned by this user
 * (uid 0 inside), keyed by a digest of every entry's metadata, which changes
 * whenever anything in the tree does.
 */
async function prepareTree(dir: string, cacheDir: string, progress?: Progressed): Promise<PreparedRoot> {
  const digest = treeMetadataDigest(dir);
  const known = readEntry(cacheDir, digest);
  if (known) return fromEntry(cacheDir, known, true);
  const tmp = tempDir(cacheDir);
  try {
    const root = path.join(tmp, 'root');
    mkdirSync(root);
    const u = new Unpacker(root, progress ? { progress: (p) => progress({ ...p, phase: `copying ${path.basename(dir)}` }) } : {});
    // GNU tar reads what this user may read and goes on past the rest.
    const child = spawn('tar', ['-C', dir, '--numeric-owner', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { errors += d; });
    const exited = new Promise<number>((resolve, reject) => {
      child.on('error', (e) => reject(new XarchError('SANDBOX_UNAVAILABLE', `cannot run tar to copy ${dir}: ${e.message}`, { path: dir, hint: 'GNU tar is needed' })));
      child.on('close', (code) => resolve(code ?? 2));
    });
    const [, code] = await Promise.all([u.tar(child.stdout), exited]);
    const unreadable = [...errors.matchAll(/^tar: (?:\.\/)?(.*?): Cannot (?:open|savedir)/gm)].map((m) => `/${m[1]}`);
    if (code > 2 || (code !== 0 && !unreadable.length)) {
      throw new XarchError('ARCHIVE_INVALID', `cannot copy ${dir} into the roots cache: ${errors.trim().split('\n')[0] ?? `tar exited ${code}`}`, { path: dir, hint: 'make the tree readable by this user, or run as root' });
    }
    return commit(cacheDir, tmp, { kind: 'tree', digest, source: dir, stats: u.finish(), ...(unreadable.length ? { unreadable } : {}) });
  } finally {
    if (existsSync(tmp)) removeTree(tmp);
  }
}

/** sha256 over every entry's path, type, mode, owner, size, times and inode (what stat(2) shows this user). */
function treeMetadataDigest(dir: string): string {
  const hash = createHash('sha256').update('xarch tree v1\n');
  const walk = (d: string, rel: string) => {
    for (const n of listNames(d).sort()) {
      const p = path.join(d, n);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      hash.update(`${rel}/${n}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\n`);
      if (st.isDirectory()) walk(p, `${rel}/${n}`);
    }
  };
  const top = statSync(dir);
  hash.update(`${dir}\0${top.dev}\0${top.ino}\0${top.mtimeMs}\0${top.ctimeMs}\n`);
  walk(dir, '');
  return `sha256:${hash.digest('hex')}`;
}

/** The images of an unpacked layout (OCI, or a docker save archive's members). */
function imagesIn(dir: string, oci: boolean, shown = dir): ImageRef[] {
  const read = (member: string): Uint8Array => {
    const p = resolveInRoot(dir, member);
    if (p === null) throw new XarchError('ARCHIVE_INVALID', `${shown}: ${member} is missing`, { path: shown, hint: 'the image archive is incomplete' });
    try {
      return readFileSync(p);
    } catch (e) {
      throw fromSystemError(e, p, 'image file');
    }
  };
  if (!oci) return resolveDockerImages(read('manifest.json'), read, { path: shown });
  return resolveOciImages(read('index.json'), (d) => read(digestPath(d)), { path: shown }, path.basename(shown));
}

/** Apply an image's layers in order into <tmp>/root. */
async function unpackImage(layout: string, ref: ImageRef, shown: string, tmp: string, progress?: Progressed): Promise<EntryMeta> {
  const root = path.join(tmp, 'root');
  mkdirSync(root);
  const u = new Unpacker(root);
  const oci = isOciLayout(layout);
  const files = ref.layers.map((layer) => {
    const file = resolveInRoot(layout, oci ? digestPath(layer) : layer);
    if (file === null) throw new XarchError('ARCHIVE_INVALID', `${shown}: layer ${layer} is missing`, { path: shown, hint: 'the image archive is incomplete' });
    return file;
  });
  const counted = byteCounter(progress, `unpacking ${ref.layers.length} layers of ${path.basename(shown)}`, progress ? files.reduce((n, f) => n + statSync(f).size, 0) : 0);
  for (const [i, layer] of ref.layers.entries()) {
    const { stream, done } = openTar(files[i]!, undefined, counted);
    try {
      await Promise.all([u.layer(stream), done]);
    } catch (e) {
      throw named(e, `${shown} (layer ${layer})`);
    }
  }
  const meta: EntryMeta = { kind: 'image', digest: ref.digest, source: shown, config: ref.config, image: ref.name, stats: u.finish() };
  if (ref.platform) meta.platform = ref.platform;
  return meta;
}

type Progressed = NonNullable<PrepareOptions['progress']>;

/** A tap that reports the bytes read so far of `total`. */
function byteCounter(progress: Progressed | undefined, phase: string, total: number): RawTap | undefined {
  if (!progress) return undefined;
  let done = 0;
  return (chunk) => progress({ phase, done: (done += chunk.length), total, unit: 'bytes' });
}

/** Write meta.json and rename the temporary into place; a racing start that got there first wins. */
function commit(cacheDir: string, tmp: string, meta: EntryMeta): PreparedRoot {
  writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(meta));
  const final = path.join(cacheDir, entryName(meta.digest));
  try {
    renameSync(tmp, final);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const theirs = code === 'ENOTEMPTY' || code === 'EEXIST' ? readEntry(cacheDir, meta.digest) : null;
    if (!theirs) throw fromSystemError(e, final, 'cache entry');
    return fromEntry(cacheDir, theirs, false);
  }
  return fromEntry(cacheDir, meta, false);
}

function fromEntry(cacheDir: string, meta: EntryMeta, cached: boolean): PreparedRoot {
  const out: PreparedRoot = { root: path.join(cacheDir, entryName(meta.digest), 'root'), kind: meta.kind, cached, digest: meta.digest };
  if (meta.config) out.config = meta.config;
  if (meta.platform) out.platform = meta.platform;
  if (meta.image) out.image = meta.image;
  if (meta.unreadable?.length) out.unreadable = meta.unreadable;
  return out;
}

/** A complete entry's meta, or null (absent, or not readable as one). */
function readEntry(cacheDir: string, digest: string): EntryMeta | null {
  try {
    const meta = JSON.parse(readFileSync(path.join(cacheDir, entryName(digest), 'meta.json'), 'utf8')) as EntryMeta;
    return meta.digest === digest ? meta : null;
  } catch {
    return null;
  }
}

function memoFile(cacheDir: string, file: string): string {
  return path.join(cacheDir, 'sources', `${createHash('sha256').update(file).digest('hex').slice(0, 32)}.json`);
}

function readMemo(cacheDir: string, file: string, st: Stats): SourceMemo | null {
  try {
    const m = JSON.parse(readFileSync(memoFile(cacheDir, file), 'utf8')) as SourceMemo;
    const same = m.path === file && m.dev === st.dev && m.ino === st.ino && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ctimeMs === st.ctimeMs;
    return same && m.entries && typeof m.entries === 'object' ? m : null;
  } catch {
    return null;
  }
}

function writeMemo(cacheDir: string, file: string, st: Stats, m: Pick<SourceMemo, 'archive' | 'kind' | 'entries'>): void {
  const memo: SourceMemo = { path: file, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ...m };
  // A racing reader sees the old record or the new, never half of one.
  writeFileAtomic(memoFile(cacheDir, file), Buffer.from(JSON.stringify(memo)), { what: 'root digest record' });
}

function tempDir(cacheDir: string): string {
  const d = mkdtempSync(path.join(cacheDir, `.tmp-${process.pid}-`));
  // The entry it becomes is read by sessions of other IDs (mapped users, a shared /var/cache).
  chmodSync(d, 0o755);
  return d;
}

/** Remove temporaries whose process is gone (a killed unpack). */
function sweepStale(cacheDir: string): void {
  for (const n of listNames(cacheDir)) {
    const m = /^\.tmp-(\d+)-/.exec(n);
    if (m && !alive(Number(m[1]))) removeTree(path.join(cacheDir, n));
  }
}

/** rm -rf that also gets through directories a finished unpack made read-only (non-root). */
function removeTree(p: string): void {
  try {
    rmSync(p, { recursive: true, force: true });
  } catch {
    const open = (d: string) => {
      try {
        chmodSync(d, 0o700);
        for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) open(path.join(d, e.name));
      } catch { /* best effort: the rm below reports what is left */ }
    };
    open(p);
    rmSync(p, { recursive: true, force: true });
  }
}

/** Put the archive's name in front of a reading error. */
function named(e: unknown, file: string): XarchError {
  if (e instanceof XarchError) {
    if (e.message.includes(file)) return e;
    return new XarchError(e.code, `${file}: ${e.message}`, { path: e.path ?? file, ...(e.offset !== undefined ? { offset: e.offset } : {}), ...(e.hint ? { hint: e.hint } : {}), cause: e });
  }
  return fromSystemError(e, file, 'archive');
}
