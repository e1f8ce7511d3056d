// The emulator store's records as values: a set's manifest, its
// content address, the store's per-target history, and how `use` and
// `rollback` change that history. No fs, no process: src/emulators/store.ts
// reads and writes these.
import { createHash } from 'node:crypto';
import { XarchError } from '../core/errors.js';

/** One emulator file of a set. */
export interface ManifestFile {
  /** File name inside the set directory (qemu-<cpu>). */
  name: string;
  cpu: string;
  /** Catalogue targets it serves. */
  targets: string[];
  sha256: string;
  size: number;
  static: boolean;
  /** `--version` of this very file. */
  version: string | null;
  /** Honours P on the kernel that added it (src/emulators/emulator.ts honoursP). */
  preserveArgv0: boolean;
}

/** A probe result recorded for one target (by add and by use). */
export interface ManifestProbe {
  target: string;
  ok: boolean;
  result: string;
  at: string;
  message?: string;
}

export interface Manifest {
  /** The content address: see setId(). */
  id: string;
  /** QEMU version of the set (the most common --version among its files). */
  version: string | null;
  /** Where it came from: "apt", "apt:trixie", "deb:/path", "rpm:/path", "tar:/path", "docker-save:/path". */
  source: string;
  /** The packages or archive members it was taken from, with their versions where known. */
  packages: string[];
  /** sha256 of the file given to `add`, when a single file was. */
  sourceSha256?: string;
  addedAt: string;
  files: ManifestFile[];
  probes: ManifestProbe[];
}

/**
 * A set's address: the first 16 hex digits of sha256 over its sorted
 * "name sha256" lines. The same emulators from two sources are the same set.
 */
export function setId(files: readonly Pick<ManifestFile, 'name' | 'sha256'>[]): string {
  const lines = files.map((f) => `${f.name} ${f.sha256}\n`).sort().join('');
  return createHash('sha256').update(lines).digest('hex').slice(0, 16);
}

/** The version most files report: a set is one QEMU build, a stray file does not name it. */
export function setVersion(files: readonly Pick<ManifestFile, 'version'>[]): string | null {
  const counts = new Map<string, number>();
  for (const f of files) if (f.version) counts.set(f.version, (counts.get(f.version) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, n] of counts) if (best === null || n > counts.get(best)!) best = v;
  return best;
}

export function renderManifest(m: Manifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parse and check a manifest (a store edited by hand or half-written is refused, not trusted). */
export function parseManifest(text: string, where: string): Manifest {
  const bad = (why: string) => new XarchError('STORE_INVALID', `manifest ${where} is invalid: ${why}`, { path: where, hint: 'remove that set directory and add it again' });
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (!m || typeof m !== 'object' || typeof m.id !== 'string' || !Array.isArray(m.files) || !Array.isArray(m.probes)) throw bad('missing id, files or probes');
  for (const f of m.files) {
    if (typeof f.name !== 'string' || !/^qemu-[A-Za-z0-9_]+$/.test(f.name)) throw bad(`file name ${JSON.stringify(f.name)}`);
    if (typeof f.sha256 !== 'string' || !HEX64.test(f.sha256)) throw bad(`sha256 of ${f.name}`);
  }
  if (setId(m.files) !== m.id) throw bad(`its files do not hash to its id ${m.id}`);
  return m;
}

/** One change of a target's handler made by `use` (or by `install --emulators`), newest last. */
export interface HistoryStep {
  /** The set the handler points into after this step. */
  set: string;
  /** The entry's register line before this step (null: there was none), restored by rollback. */
  before: string | null;
  /** Whether that previous entry was enabled. */
  beforeEnabled: boolean;
  /** The set the previous entry pointed into, when it did. */
  beforeSet: string | null;
  at: string;
}

/** The store's state file: which set each target's handler uses, and how it got there. */
export interface StoreState {
  /** By binfmt_misc instance directory, then by target. */
  instances: Record<string, Record<string, { current: string | null; history: HistoryStep[] }>>;
}

export function emptyState(): StoreState {
  return { instances: {} };
}

export function parseState(text: string, where: string): StoreState {
  try {
    const s = JSON.parse(text) as StoreState;
    if (s && typeof s === 'object' && s.instances && typeof s.instances === 'object') return s;
  } catch { /* reported below */ }
  throw new XarchError('STORE_INVALID', `store state ${where} is not valid JSON state`, { path: where, hint: 'move it aside; the sets stay usable, only the history is lost' });
}

/** State after `target` in `instance` was pointed into `set`. */
export function recordUse(state: StoreState, instance: string, target: string, step: HistoryStep): StoreState {
  const inst = { ...(state.instances[instance] ?? {}) };
  const cur = inst[target] ?? { current: null, history: [] };
  inst[target] = { current: step.set, history: [...cur.history, step] };
  return { instances: { ...state.instances, [instance]: inst } };
}

/** The step a rollback of `target` undoes, or null when there is none. */
export function lastStep(state: StoreState, instance: string, target: string): HistoryStep | null {
  const h = state.instances[instance]?.[target]?.history ?? [];
  return h.length ? h[h.length - 1]! : null;
}

/** State after the last step of `target` was undone (the history keeps the step's record as undone: popped). */
export function recordRollback(state: StoreState, instance: string, target: string): StoreState {
  const inst = { ...(state.instances[instance] ?? {}) };
  const cur = inst[target];
  if (!cur || !cur.history.length) return state;
  const history = cur.history.slice(0, -1);
  const undone = cur.history[cur.history.length - 1]!;
  inst[target] = { current: undone.beforeSet, history };
  return { instances: { ...state.instances, [instance]: inst } };
}

/** Sets a registered handler uses (per the state), for remove and gc. */
export function setsInUse(state: StoreState): Set<string> {
  const out = new Set<string>();
  for (const inst of Object.values(state.instances)) for (const t of Object.values(inst)) if (t.current) out.add(t.current);
  return out;
}

/** Resolve what the user typed (an id, a unique id prefix, or a unique version) to a set id. */
export function resolveSet(query: string, manifests: readonly Pick<Manifest, 'id' | 'version'>[]): string {
  const exact = manifests.find((m) => m.id === query);
  if (exact) return exact.id;
  const plain = (v: string | null) => (v ?? '').split(' ')[0]!;
  // "10.0" names the 10.0.x set: what users say when they pin a QEMU release.
  const matches = manifests.filter((m) => m.id.startsWith(query) || m.version === query || plain(m.version) === query || plain(m.version).startsWith(`${query}.`));
  if (matches.length === 1) return matches[0]!.id;
  const known = manifests.map((m) => `${m.id.slice(0, 8)} (${m.version ?? '?'})`).join(', ') || 'none';
  if (matches.length > 1) throw new XarchError('USAGE', `set ${query} is ambiguous: ${matches.map((m) => m.id).join(', ')}`, { hint: 'give more of the id' });
  throw new XarchError('SET_NOT_FOUND', `no emulator set ${query} in the store (sets: ${known})`, { hint: 'add one: xarch emulators add apt; list them: xarch emulators list' });
}
