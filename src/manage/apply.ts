// Carrying an install plan out against the kernel (src/host/kernel.ts): the
// writes a step asks for, the re-read when a concurrent install got in the
// way, persistence, and the conflicts as the instance ends up. Every
// decision is the planner's (src/manage/plan.ts); this only writes and reads.
import os from 'node:os';
import { displayBytes } from '../core/bytes.js';
import { isXarchError } from '../core/errors.js';
import {
  DEFAULT_BINFMT_DIR, isMounted, readEntry, readGlobalStatus, readLiveEntries, registerRule, removeEntry, setEntryEnabled,
} from '../host/kernel.js';
import { asXarchError, errorJson, type PersistHooks } from './options.js';
import { decide, setConflicts, type DecisionContext, type InstallItem, type InstanceFacts, type Plan, type PlanStep } from './plan.js';

export interface ApplyOptions {
  /** binfmt_misc mount (default /proc/sys/fs/binfmt_misc). */
  binfmtDir?: string;
  /** `uname -r`, for the kernel's error hints (default os.release()). */
  kernelRelease?: string;
  persist?: PersistHooks;
}

/** The instance as the planner needs it; an unmounted one has no entries. */
export function readInstance(dir: string): InstanceFacts {
  if (!isMounted(dir)) return { mounted: false, entries: [], globalEnabled: true };
  return { mounted: true, entries: readLiveEntries(dir), globalEnabled: readGlobalStatus(dir) === 'enabled' };
}

/**
 * Do what one step says. When the register write finds the name taken
 * (EEXIST: another install got there first) or the entry gone right after
 * (another install removed it, having read the old one), the entry is read
 * again and the step decided again, up to five rounds.
 */
function carryOut(dir: string, step: PlanStep, ctx: DecisionContext, release: string): InstallItem {
  const rule = step.candidate.rule;
  let { action, item } = step;
  for (let round = 0; round < 5; round++) {
    if (round > 0) ({ action, item } = decide(step.candidate, ctx.mounted ? readEntry(dir, rule.name) : null, ctx, round));
    if (action === 'enable') setEntryEnabled(dir, rule.name, true);
    if (action !== 'register' && action !== 'replace') return { ...item };
    if (action === 'replace') removeEntry(dir, rule.name);
    try {
      registerRule(dir, rule, { release });
    } catch (e) {
      if (isXarchError(e) && (e.code === 'BINFMT_EXISTS' || (e.code === 'BINFMT_WRITE_FAILED' && e.errno === 'ENOENT'))) continue;
      throw e;
    }
    return { ...item };
  }
  return { ...item, status: 'failed', reason: `${displayBytes(rule.name)} kept changing under concurrent installs; run install again`, error: { code: 'BINFMT_WRITE_FAILED', message: 'concurrent modification' } };
}

/** Register what the plan says, reporting every item; per-item failures do not stop the others. */
export function applyPlan(plan: Plan, opts: ApplyOptions = {}): InstallItem[] {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const release = opts.kernelRelease ?? os.release();
  const { dryRun } = plan.context;
  const items = plan.steps.map((step): InstallItem => {
    let item: InstallItem;
    try {
      item = dryRun ? { ...step.item } : carryOut(dir, step, plan.context, release);
    } catch (e) {
      const err = asXarchError(e);
      const rule = step.candidate.rule;
      item = { name: rule.name, status: 'failed', reason: err.message, error: errorJson(err), interpreter: rule.interpreter, flags: rule.flags };
      if (step.candidate.target) item.target = step.candidate.target;
    }
    if (opts.persist && !dryRun && (item.status === 'installed' || item.status === 'replaced' || item.status === 'unchanged')) {
      try {
        const p = opts.persist.write(step.candidate.rule);
        if (typeof p === 'string') item.persisted = p;
      } catch (e) {
        const err = asXarchError(e);
        item.status = 'failed';
        item.reason = `${item.reason ?? ''}; persisting failed: ${err.message}`.replace(/^; /, '');
        item.error = errorJson(err);
      }
    }
    return item;
  });
  // A dry run keeps the planner's prediction; otherwise the kernel says how the instance ended up.
  if (!dryRun) {
    const after = readInstance(dir);
    setConflicts(items, plan.steps.map((s) => s.candidate.rule), after.entries, after.globalEnabled);
  }
  return items;
}
