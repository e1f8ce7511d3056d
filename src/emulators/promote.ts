// Promotion and rollback: pointing handlers into a store set only after
// its canary passed, one target at a time through install's own planner
// and applier, with each previous entry kept in the store's history so a
// rollback re-registers exactly what was there.
import os from 'node:os';
import path from 'node:path';
import { getTarget, isHostTarget, resolveTarget, targetForEntryName, xarchEntryName } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { parseRegister, renderRegister } from '../core/rule.js';
import { DEFAULT_BINFMT_DIR, isMounted, readEntry, readLiveEntries, removeEntry, setEntryEnabled } from '../host/kernel.js';
import { installRules, installTargets, type InstallOptions } from '../manage/install.js';
import type { InstallItem } from '../manage/plan.js';
import { canaryCommand, probeEmulators, probeableTargets } from './canary.js';
import { lastStep, recordRollback, recordUse, setsInUse, type HistoryStep, type Manifest, type ManifestProbe } from './manifest.js';
import type { Emulator } from './emulator.js';
import type { Store } from './store.js';

export interface UseOptions extends Omit<InstallOptions, 'emulators' | 'persist'> {
  /** Skip the self-test probes (no private instance here). */
  noCanary?: boolean;
  /** Also run this command in a session on this root with the set's emulators. */
  canary?: { rootfs: string; command: string[]; env: NodeJS.ProcessEnv };
}

export interface UseResult {
  probes: ManifestProbe[];
  items: InstallItem[];
}

const instanceKey = (dir: string) => path.resolve(dir);

/** The set a live entry's interpreter lies in, or null. */
export function setOfInterpreter(store: Store, interpreter: string): string | null {
  const rel = path.relative(store.setsDir, interpreter);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const id = rel.split(path.sep)[0]!;
  return id.startsWith('.') ? null : id;
}

/** Which targets' live entries point into which set (target → set id). */
export function liveUse(store: Store, binfmtDir = DEFAULT_BINFMT_DIR): Map<string, string> {
  const out = new Map<string, string>();
  if (!isMounted(binfmtDir)) return out;
  for (const e of readLiveEntries(binfmtDir)) {
    const id = setOfInterpreter(store, e.rule.interpreter);
    const t = id ? targetForEntryName(e.name) : undefined;
    if (id && t) out.set(t.name, id);
  }
  return out;
}

/**
 * The targets `use` changes: those asked for, or else the set's foreign
 * targets that already have an xarch entry, or else all its foreign targets.
 */
function useTargets(m: Manifest, names: readonly string[], machine: string, binfmtDir: string): string[] {
  const inSet = new Set(m.files.flatMap((f) => f.targets));
  if (names.length) {
    return names.map((n) => {
      const t = resolveTarget(n).target.name;
      if (!inSet.has(t)) throw new XarchError('EMULATOR_NOT_FOUND', `set ${m.id} has no emulator for ${t}`, { hint: `its targets: ${[...inSet].join(', ')}` });
      return t;
    });
  }
  const foreign = [...inSet].filter((t) => !isHostTarget(getTarget(t)!, machine));
  const registered = foreign.filter((t) => isMounted(binfmtDir) && readEntry(binfmtDir, xarchEntryName(getTarget(t)!)) !== null);
  return registered.length ? registered : foreign;
}

/**
 * `emulators use`: canary first (probes in a private instance, then the
 * user's command if given); a failure throws CANARY_FAILED and nothing is
 * registered. Then each target is installed from the set under the store's
 * lock, its previous entry recorded.
 */
export async function useSet(store: Store, id: string, names: readonly string[], opts: UseOptions = {}): Promise<UseResult> {
  const m = store.read(id);
  const machine = opts.machine ?? os.machine();
  const binfmtDir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const emulators = store.emulators(m, opts.kernelRelease);
  const targets = useTargets(m, names, machine, binfmtDir);
  let probes: ManifestProbe[] = [];
  if (!opts.noCanary) {
    probes = probeEmulators(emulators, probeableTargets(emulators, machine).filter((t) => targets.includes(t)));
    store.recordProbes(m.id, probes);
    const failed = probes.filter((p) => !p.ok);
    if (failed.length) {
      throw new XarchError('CANARY_FAILED', `set ${m.id} failed its canary, nothing changed: ${failed.map((p) => `${p.target}: ${p.message ?? p.result}`).join('; ')}`, {
        hint: 'keep the current emulators; try another set (xarch emulators list)',
      });
    }
    if (opts.canary) {
      const code = await canaryCommand(emulators, opts.canary.rootfs, opts.canary.command, opts.canary.env);
      if (code !== 0) {
        throw new XarchError('CANARY_FAILED', `the canary command ${opts.canary.command.join(' ')} exited ${code} in ${opts.canary.rootfs} with set ${m.id}, nothing changed`, { hint: 'keep the current emulators; try another set' });
      }
    }
  }
  const items = await store.withLock(async () => {
    const out: InstallItem[] = [];
    for (const t of targets) out.push(await installOne(store, m.id, t, emulators, { ...opts, binfmtDir }));
    return out;
  });
  return { probes, items };
}

/** Install one target from the set and, when the entry changed, record what it was before. */
async function installOne(store: Store, id: string, target: string, emulators: Emulator[], opts: UseOptions & { binfmtDir: string }): Promise<InstallItem> {
  const name = xarchEntryName(getTarget(target)!);
  const before = isMounted(opts.binfmtDir) ? readEntry(opts.binfmtDir, name) : null;
  const [item] = await installTargets({ targets: [target] }, { ...opts, emulators });
  if (!item) throw new XarchError('INTERNAL', `install planned nothing for ${target}`);
  if (!opts.dryRun && (item.status === 'installed' || item.status === 'replaced')) {
    const step: HistoryStep = {
      set: id, before: before ? renderRegister(before.rule) : null, beforeEnabled: before?.enabled ?? false,
      beforeSet: before ? setOfInterpreter(store, before.rule.interpreter) : null, at: new Date().toISOString(),
    };
    store.writeState(recordUse(store.readState(), instanceKey(opts.binfmtDir), target, step));
  }
  return item;
}

export interface RollbackItem {
  target: string;
  name: string;
  status: 'restored' | 'removed' | 'skipped' | 'failed';
  /** The set the handler points into now, or null. */
  set: string | null;
  interpreter?: string;
  reason?: string;
}

/**
 * `emulators rollback`: for each target (default: every target with
 * history in this instance) undo its last step: re-register the exact
 * previous entry (or remove the entry when there was none) and pop it.
 */
export async function rollback(store: Store, names: readonly string[], opts: { binfmtDir?: string; kernelRelease?: string; machine?: string } = {}): Promise<RollbackItem[]> {
  const binfmtDir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const key = instanceKey(binfmtDir);
  return store.withLock(async () => {
    const known = Object.keys(store.readState().instances[key] ?? {}).filter((t) => lastStep(store.readState(), key, t));
    const targets = names.length ? names.map((n) => resolveTarget(n).target.name) : known;
    if (targets.length === 0) throw new XarchError('SET_NOT_FOUND', 'nothing to roll back: no emulators use has been recorded for this binfmt_misc instance', { hint: 'xarch emulators use SET first' });
    const out: RollbackItem[] = [];
    for (const t of targets) {
      const name = xarchEntryName(getTarget(t)!);
      const step = lastStep(store.readState(), key, t);
      if (!step) {
        out.push({ target: t, name, status: 'skipped', set: null, reason: 'no earlier set recorded for this target' });
        continue;
      }
      try {
        out.push(restore(binfmtDir, t, name, step, opts.kernelRelease));
        store.writeState(recordRollback(store.readState(), key, t));
      } catch (e) {
        out.push({ target: t, name, status: 'failed', set: step.set, reason: (e as Error).message });
      }
    }
    return out;
  });
}

function restore(binfmtDir: string, target: string, name: string, step: HistoryStep, kernelRelease?: string): RollbackItem {
  if (step.before === null) {
    removeEntry(binfmtDir, name);
    return { target, name, status: 'removed', set: null };
  }
  const parsed = parseRegister(step.before);
  if (!parsed.ok) throw new XarchError('STORE_INVALID', `the recorded entry of ${name} does not parse: ${step.before}`, { hint: 'register it by hand: xarch install' });
  // force: the previous entry is put back as it was, whoever wrote it.
  const [item] = installRules([parsed.rule], { binfmtDir, force: true, ...(kernelRelease ? { kernelRelease } : {}) });
  if (!item || item.status === 'failed' || item.status === 'skipped') throw new XarchError('BINFMT_WRITE_FAILED', item?.reason ?? item?.error?.message ?? 'not restored');
  if (!step.beforeEnabled) setEntryEnabled(binfmtDir, name, false);
  return { target, name, status: 'restored', set: step.beforeSet, interpreter: parsed.rule.interpreter };
}

/** Sets no live entry and no recorded state uses (what gc removes, and what remove allows). */
export function unusedSets(store: Store, manifests: readonly Manifest[], binfmtDir = DEFAULT_BINFMT_DIR): Manifest[] {
  const used = new Set([...setsInUse(store.readState()), ...liveUse(store, binfmtDir).values()]);
  return manifests.filter((m) => !used.has(m.id));
}
