// Container image metadata: an OCI index and its manifests, a `docker save`
// manifest.json, an image config. Pure: bytes in (through a reader the caller
// gives), typed values out, every field checked, so a damaged or hostile
// archive is an ARCHIVE_INVALID naming the file and the field, never a
// TypeError. Used by scan (which architectures) and roots (unpacking).
import { createHash } from 'node:crypto';
import { XarchError } from './errors.js';

export interface ImageConfig {
  env: string[];
  workingDir?: string;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
}

export interface ImageRef {
  /** The tag (RepoTags, ref.name annotation) or a stand-in. */
  name: string;
  /** os/architecture[/variant], from the index or the config. */
  platform?: string;
  /** What identifies the unpacked root: the manifest digest (OCI) or the config's (docker save). */
  digest: string;
  config: ImageConfig;
  /** Blob keys of the layers, lowest first: digests (OCI) or member names (docker save). */
  layers: string[];
}

/** Reads a blob by key (a digest for OCI, a member name for docker save); throws when it is missing. */
export type BlobReader = (key: string) => Uint8Array;

type Json = unknown;

/** Where a document sits: the archive (or layout) path and, inside it, the member. */
export interface Where {
  path: string;
  member?: string;
}

const label = (w: Where) => (w.member ? `${w.path}: ${w.member}` : w.path);
const inside = (w: Where, member: string): Where => ({ path: w.path, member });

function invalid(where: Where, what: string): XarchError {
  return new XarchError('ARCHIVE_INVALID', `${label(where)}: ${what}`, { path: where.path, hint: 'the image archive is damaged or was not written by docker/podman save or an OCI tool' });
}

/** JSON.parse with the file named in the error. */
export function parseImageJson(bytes: Uint8Array, where: Where): Json {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw invalid(where, `not valid JSON (${(e as Error).message})`);
  }
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: Json, where: Where, field: string): Record<string, Json> {
  if (!isObject(v)) throw invalid(where, `${field} is not an object`);
  return v;
}

function optString(o: Record<string, Json>, key: string, where: Where, field: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(where, `${field}.${key} is not a string`);
  return v;
}

function string(o: Record<string, Json>, key: string, where: Where, field: string): string {
  const v = optString(o, key, where, field);
  if (v === undefined) throw invalid(where, `${field}.${key} is missing`);
  return v;
}

/** A list of strings, or undefined when absent/null (Cmd: null is common). */
function optStrings(o: Record<string, Json>, key: string, where: Where, field: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(where, `${field}.${key} is not a list of strings`);
  return v as string[];
}

function list(v: Json, where: Where, field: string): Json[] {
  if (!Array.isArray(v)) throw invalid(where, `${field} is not a list`);
  return v;
}

const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-fA-F0-9]{32,128})$/;

function digestOf(o: Record<string, Json>, where: Where, field: string): string {
  const d = string(o, 'digest', where, field);
  if (!DIGEST.test(d)) throw invalid(where, `${field}.digest '${d}' is not a digest (algorithm:hex)`);
  return d;
}

/** Where a blob lives inside an OCI layout: blobs/<algorithm>/<hex>. */
export function digestPath(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new XarchError('ARCHIVE_INVALID', `invalid digest '${digest}'`, { hint: 'the image index or manifest is damaged' });
  return `blobs/${m[1]}/${m[2]}`;
}

function platformOfObject(p: Record<string, Json>, where: Where, field: string): string {
  const os = string(p, 'os', where, field);
  const architecture = string(p, 'architecture', where, field);
  const variant = optString(p, 'variant', where, field);
  return `${os}/${architecture}${variant ? `/${variant}` : ''}`;
}

/** An image config: its platform and what a container of it runs. */
export function parseImageConfig(bytes: Uint8Array, where: Where): { platform?: string; config: ImageConfig } {
  const doc = object(parseImageJson(bytes, where), where, 'the config');
  const out: { platform?: string; config: ImageConfig } = { config: { env: [] } };
  const architecture = optString(doc, 'architecture', where, 'config');
  if (architecture) out.platform = `${optString(doc, 'os', where, 'config') ?? 'linux'}/${architecture}${doc.variant ? `/${optString(doc, 'variant', where, 'config')}` : ''}`;
  if (doc.config === undefined || doc.config === null) return out;
  const c = object(doc.config, where, 'config.config');
  const cfg = out.config;
  cfg.env = optStrings(c, 'Env', where, 'config') ?? [];
  const workingDir = optString(c, 'WorkingDir', where, 'config');
  if (workingDir) cfg.workingDir = workingDir;
  const user = optString(c, 'User', where, 'config');
  if (user) cfg.user = user;
  const entrypoint = optStrings(c, 'Entrypoint', where, 'config');
  if (entrypoint) cfg.entrypoint = entrypoint;
  const cmd = optStrings(c, 'Cmd', where, 'config');
  if (cmd) cfg.cmd = cmd;
  return out;
}

/** The images an OCI layout's index.json names (nested indexes followed, attestation manifests left out). */
export function resolveOciImages(indexBytes: Uint8Array, read: BlobReader, where: Where, name: string): ImageRef[] {
  const refs: ImageRef[] = [];
  const walk = (doc: Record<string, Json>, docWhere: Where, tag: string, depth: number) => {
    if (depth > 4) throw invalid(docWhere, 'index nesting is deeper than 4');
    const manifests = list(doc.manifests, docWhere, 'manifests');
    manifests.forEach((entry, i) => {
      const field = `manifests[${i}]`;
      const m = object(entry, docWhere, field);
      const digest = digestOf(m, docWhere, field);
      const annotations = m.annotations === undefined || m.annotations === null ? {} : object(m.annotations, docWhere, `${field}.annotations`);
      const refName = annotations['org.opencontainers.image.ref.name'];
      const mTag = typeof refName === 'string' ? refName : tag;
      const declared = m.platform === undefined || m.platform === null ? undefined : object(m.platform, docWhere, `${field}.platform`);
      if (declared?.architecture === 'unknown') return; // attestation manifests (buildx)
      const blobWhere = inside(where, digestPath(digest));
      const sub = object(parseImageJson(read(digest), blobWhere), blobWhere, 'the manifest');
      if (sub.manifests !== undefined) {
        walk(sub, blobWhere, mTag, depth + 1);
        return;
      }
      const configDigest = digestOf(object(sub.config, blobWhere, 'config'), blobWhere, 'config');
      const layers = list(sub.layers, blobWhere, 'layers').map((l, j) => digestOf(object(l, blobWhere, `layers[${j}]`), blobWhere, `layers[${j}]`));
      const cfg = parseImageConfig(read(configDigest), inside(where, digestPath(configDigest)));
      const ref: ImageRef = { name: mTag, digest, config: cfg.config, layers };
      const platform = declared ? platformOfObject(declared, docWhere, `${field}.platform`) : cfg.platform;
      if (platform) ref.platform = platform;
      refs.push(ref);
    });
  };
  const indexWhere = inside(where, 'index.json');
  walk(object(parseImageJson(indexBytes, indexWhere), indexWhere, 'index.json'), indexWhere, name, 0);
  return refs;
}

/** The images of a `docker save` / `podman save` manifest.json. */
export function resolveDockerImages(manifestBytes: Uint8Array, read: BlobReader, where: Where): ImageRef[] {
  const mWhere = inside(where, 'manifest.json');
  const doc = parseImageJson(manifestBytes, mWhere);
  if (!Array.isArray(doc)) throw invalid(mWhere, 'is not a list of images');
  return doc.map((entry, i) => {
    const field = `[${i}]`;
    const m = object(entry, mWhere, field);
    const configName = string(m, 'Config', mWhere, field);
    const layers = optStrings(m, 'Layers', mWhere, field);
    if (!layers) throw invalid(mWhere, `${field}.Layers is missing`);
    const tags = optStrings(m, 'RepoTags', mWhere, field);
    const bytes = read(configName);
    const cfg = parseImageConfig(bytes, inside(where, configName));
    const ref: ImageRef = { name: tags?.[0] ?? `image ${i + 1}`, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, config: cfg.config, layers };
    if (cfg.platform) ref.platform = cfg.platform;
    return ref;
  });
}

/** os/arch[/variant] with the os defaulted, so "arm64" and "linux/arm64" name the same. */
function normalisePlatform(p: string): string {
  const parts = p.split('/');
  return (parts.length === 1 ? ['linux', ...parts] : parts).join('/');
}

/**
 * The image to use: the one matching `platform` (linux/arm64/v8 is matched by
 * linux/arm64 and arm64), or the only one. Never the host's: the default must
 * not depend on where xarch runs.
 */
export function selectImage(refs: ImageRef[], platform: string | undefined, where: Where): ImageRef {
  const listed = refs.map((r) => r.platform ?? `(${r.name}: no platform)`).join(', ');
  if (refs.length === 0) throw invalid(where, 'holds no image');
  if (platform === undefined) {
    if (refs.length === 1) return refs[0]!;
    throw new XarchError('USAGE', `${label(where)} holds ${refs.length} images (${listed})`, { path: where.path, hint: 'choose one with --platform' });
  }
  const want = normalisePlatform(platform);
  const exact = refs.filter((r) => r.platform !== undefined && normalisePlatform(r.platform) === want);
  const loose = exact.length ? exact : refs.filter((r) => r.platform !== undefined && normalisePlatform(r.platform).startsWith(want + '/'));
  if (loose.length === 1 || (loose.length > 1 && new Set(loose.map((r) => r.digest)).size === 1)) return loose[0]!;
  throw new XarchError('USAGE', loose.length ? `platform ${platform} matches several images in ${label(where)} (${loose.map((r) => r.platform).join(', ')})` : `${label(where)} has no image for platform ${platform} (it has ${listed})`, {
    path: where.path, hint: 'give one of the listed platforms to --platform',
  });
}
