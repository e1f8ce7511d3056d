// uninstall, enable, disable: change selected live entries (src/manage/select.ts)
// through src/host/kernel.ts and report what the kernel did, item by item.
import { rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { XarchError } from '../core/errors.js';
import type { LiveEntry } from '../core/match.js';
import { DEFAULT_BINFMT_DIR, isMounted, readEntry, readLiveEntries, removeEntry, setEntryEnabled } from '../host/kernel.js';
import { unmountIfOurs } from '../host/mount.js';
import { asXarchError, errorJson, type ItemError, type ManageOptions, type PersistHooks } from './options.js';
import { selectEntries } from './select.js';

export type ChangeStatus = 'removed' | 'enabled' | 'disabled' | 'unchanged' | 'absent' | 'skipped' | 'failed';

export interface ChangeItem {
  name: string;
  arg?: string;
  status: ChangeStatus;
  reason?: string;
  /** State read back from the kernel after the write. */
  enabled?: boolean | null;
  persistedRemoved?: string | boolean;
  /** The install --cpu wrapper removed with the entry. */
  wrapperRemoved?: string;
  error?: ItemError;
}

export interface ChangeOptions extends ManageOptions {
  force?: boolean;
  dryRun?: boolean;
  persist?: PersistHooks;
  /** uninstall took down the binfmt_misc mount xarch had made, now empty. */
  onUnmounted?: (dir: string) => void;
  /** Where install --cpu writes its wrappers: a removed entry's wrapper that no entry left uses is removed too. */
  cpuWrapperDir?: string;
}

/** Live entries; an unmounted instance has none (uninstall) or is an error (enable/disable). */
function liveEntries(dir: string, unmountedIsEmpty: boolean): LiveEntry[] {
  if (!isMounted(dir)) {
    if (unmountedIsEmpty) return [];
    throw new XarchError('BINFMT_NOT_MOUNTED', `binfmt_misc is not mounted at ${dir}`, { path: dir, hint: "nothing is registered; 'xarch install' mounts it and registers handlers" });
  }
  return readLiveEntries(dir);
}

/** Remove entries (default: all of xarch's). */
export function uninstall(args: readonly string[], opts: ChangeOptions = {}): ChangeItem[] {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const live = liveEntries(dir, true);
  const sel = selectEntries(args, live, opts.force);
  const items: ChangeItem[] = sel.problems.map((p) => ({ name: p.name ?? p.arg, arg: p.arg, status: p.status, reason: p.reason }));
  // Without arguments every file xarch persisted goes too, also where the
  // live entry of that name is another tool's (Debian's qemu-aarch64) or
  // there is none: otherwise the next boot registers xarch's rule again.
  if (args.length === 0 && opts.persist?.list) {
    for (const name of opts.persist.list()) {
      if (sel.entries.some((e) => e.name === name)) continue;
      const other = live.some((e) => e.name === name);
      items.push({ name, status: other ? 'skipped' : 'absent', reason: other ? `${name} is not xarch's entry (another tool registered it); only xarch's persisted file is removed` : `${name} is not registered` });
    }
  }
  for (const e of sel.entries) {
    const item: ChangeItem = { name: e.name, status: 'failed' };
    try {
      if (opts.dryRun) {
        Object.assign(item, { status: 'removed', reason: 'would remove' });
      } else {
        const gone = removeEntry(dir, e.name);
        Object.assign(item, { status: gone ? 'removed' : 'absent', enabled: readEntry(dir, e.name)?.enabled ?? null, reason: gone ? 'removed' : 'already gone (removed concurrently)' });
      }
    } catch (err) {
      const x = asXarchError(err);
      Object.assign(item, { status: 'failed', reason: x.message, error: errorJson(x) });
    }
    items.push(item);
  }
  // Persisted configuration goes with the entry (and for absent targets too: uninstall means "not any more").
  if (opts.persist && !opts.dryRun) {
    for (const item of items) {
      // A skipped item is another tool's live entry: the file of that name, if xarch wrote it, is still xarch's.
      if (item.status !== 'removed' && item.status !== 'absent' && item.status !== 'skipped') continue;
      try {
        const r = opts.persist.remove(item.name);
        if (r !== undefined && r !== false) item.persistedRemoved = r;
      } catch (err) {
        const x = asXarchError(err);
        Object.assign(item, { status: 'failed', reason: `removing the persisted file failed: ${x.message}`, error: errorJson(x) });
      }
    }
  }
  if (!opts.dryRun && opts.cpuWrapperDir) removeUnusedWrappers(dir, opts.cpuWrapperDir, sel.entries, items);
  // A mount xarch made for its entries goes with the last of them; one that
  // holds another tool's entries, or that xarch did not make, stays.
  if (!opts.dryRun && isMounted(dir) && readLiveEntries(dir).length === 0 && unmountIfOurs(dir)) opts.onUnmounted?.(dir);
  return items;
}

/**
 * install --cpu's wrapper of each removed entry, when no entry still
 * registered in this instance uses it. Handlers elsewhere (another user
 * namespace's instance) registered it with F: the kernel holds the file open,
 * so they keep working without its path.
 */
function removeUnusedWrappers(dir: string, wrapperDir: string, removed: readonly LiveEntry[], items: ChangeItem[]): void {
  const inside = path.resolve(wrapperDir) + path.sep;
  const stillUsed = new Set(isMounted(dir) ? readLiveEntries(dir).map((e) => e.rule.interpreter) : []);
  for (const e of removed) {
    const item = items.find((i) => i.name === e.name && i.status === 'removed');
    const file = e.rule.interpreter;
    if (!item || !file || !path.resolve(file).startsWith(inside) || stillUsed.has(file)) continue;
    try {
      rmSync(file, { force: true });
      item.wrapperRemoved = file;
      // Its <model>-<digest> directory, once empty.
      rmdirSync(path.dirname(file));
    } catch { /* still holds another wrapper, or already gone */ }
  }
}

function vanished(dir: string, name: string): boolean {
  try {
    return readEntry(dir, name) === null;
  } catch {
    return false;
  }
}

/** Enable or disable entries (default: all of xarch's); reports the state read back. */
export function setEnabled(args: readonly string[], enabled: boolean, opts: ChangeOptions = {}): ChangeItem[] {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const sel = selectEntries(args, liveEntries(dir, false), opts.force);
  const items: ChangeItem[] = sel.problems.map((p) => ({ name: p.name ?? p.arg, arg: p.arg, status: p.status === 'absent' ? 'failed' : p.status, reason: p.reason }));
  const want: ChangeStatus = enabled ? 'enabled' : 'disabled';
  for (const e of sel.entries) {
    if (e.enabled === enabled) {
      items.push({ name: e.name, status: 'unchanged', enabled, reason: `already ${want}` });
      continue;
    }
    if (opts.dryRun) {
      items.push({ name: e.name, status: want, enabled: e.enabled, reason: `would be ${want}` });
      continue;
    }
    try {
      const back = setEntryEnabled(dir, e.name, enabled);
      items.push(back.enabled === enabled
        ? { name: e.name, status: want, enabled: back.enabled }
        : { name: e.name, status: 'failed', enabled: back.enabled, reason: `the kernel still reports it ${back.enabled ? 'enabled' : 'disabled'}` });
    } catch (err) {
      // Listed, then removed by someone else (a concurrent uninstall) before
      // or just after the write: there is nothing left to switch, as for
      // an entry that was never there.
      if (vanished(dir, e.name)) {
        items.push({ name: e.name, status: 'absent', reason: 'already gone (removed concurrently)' });
        continue;
      }
      const x = asXarchError(err);
      items.push({ name: e.name, status: 'failed', reason: x.message, error: errorJson(x) });
    }
  }
  return items;
}
