// One reconcile pass, decided: the desired rules against the live instance
// → the install plan (src/manage/plan.ts decides every entry, exactly as
// install and apply do) and what the agent has to say about it. Pure: the
// loop (src/agent/agent.ts) reads the instance, carries the plan out and
// prints the events.
import { displayBytes } from '../core/bytes.js';
import { reconcile, type InstanceFacts, type Plan, type PlannedRule } from '../manage/plan.js';
import type { ItemProbe } from '../manage/plan.js';

/** What drifted: the entry was removed (or the whole table flushed), disabled, or changed by someone else. */
export type DriftKind = 'missing' | 'disabled' | 'changed' | 'not-mounted';

export type AgentEvent =
  | { event: 'started'; desired: string[]; binfmtDir: string; interval: number }
  | { event: 'drift'; name: string; target?: string; what: DriftKind; detail?: string }
  | { event: 'repaired'; name: string; target?: string; action: 'registered' | 'enabled' | 'replaced' | 'repinned' | 'mounted'; probe?: ItemProbe }
  | { event: 'probe-failed'; name: string; target?: string; probe: ItemProbe }
  | { event: 'conflict'; name: string; target?: string; what: 'name-taken' | 'shadowed' | 'global-disabled'; by?: string; detail: string }
  | { event: 'error'; name: string; target?: string; message: string; hint?: string }
  | { event: 'stopped'; removed: string[] };

/** A conflict's identity, so an unchanged conflict is said once, not every interval. */
export function conflictKey(e: AgentEvent): string {
  return e.event === 'conflict' ? `${e.name}\0${e.what}\0${e.by ?? ''}` : '';
}

export interface PassDecision {
  plan: Plan;
  /** drift and conflict events, before anything is written. */
  events: AgentEvent[];
}

const DRIFT: Partial<Record<Plan['steps'][number]['action'], DriftKind>> = { register: 'missing', enable: 'disabled', replace: 'changed' };

/**
 * Decide one pass: `desired` are the runnable candidates (no refusals, no
 * skips). With `repin` (the agent's first pass), an identical entry with F is
 * registered again: the kernel keeps the emulator file it opened at
 * registration, so after a new image (a new QEMU at the same path) only a new
 * registration makes the new emulator the one that runs.
 */
export function decidePass(desired: readonly PlannedRule[], instance: InstanceFacts, repin = false): PassDecision {
  const plan = reconcile(desired, instance, { mount: true });
  if (repin) {
    for (const step of plan.steps) {
      if (step.action !== 'unchanged' || !step.candidate.rule.flags.includes('F')) continue;
      step.action = 'replace';
      step.repin = true;
      step.item = { ...step.item, status: 'replaced', reason: 'registered again so the kernel holds this agent\'s emulator file (F)' };
    }
  }
  const events: AgentEvent[] = [];
  const withTarget = (target: string | undefined) => (target ? { target } : {});
  if (!instance.mounted) events.push({ event: 'drift', name: '*', what: 'not-mounted', detail: 'binfmt_misc is not mounted' });
  else if (!instance.globalEnabled) {
    events.push({ event: 'conflict', name: '*', what: 'global-disabled', detail: 'binfmt_misc is switched off (status 0) for every entry; left as it is (xarch enable does not override another tool\'s switch)' });
  }
  for (const step of plan.steps) {
    const { name, target } = step.item;
    const what = step.repin ? undefined : DRIFT[step.action];
    const existing = instance.entries.find((e) => e.name === name);
    if (what && instance.mounted) events.push({ event: 'drift', name, ...withTarget(target), what, ...(what === 'changed' && step.item.reason ? { detail: step.item.reason } : {}) });
    if (step.action === 'skip' && existing) {
      events.push({ event: 'conflict', name, ...withTarget(target), what: 'name-taken', by: displayBytes(existing.rule.interpreter), detail: step.item.reason ?? 'another tool\'s entry has this name' });
    }
    for (const c of step.item.conflicts ?? []) {
      if (c.winner === name) continue;
      events.push({ event: 'conflict', name, ...withTarget(target), what: 'shadowed', by: c.winner, detail: `${displayBytes(c.winner)} also matches these binaries and the kernel uses it first; left alone` });
    }
  }
  return { plan, events };
}

/** The repaired event of a step that wrote (null for the others). */
export function repairOf(step: Plan['steps'][number]): 'registered' | 'enabled' | 'replaced' | 'repinned' | null {
  const a = step.action;
  return step.repin ? 'repinned' : a === 'register' ? 'registered' : a === 'enable' ? 'enabled' : a === 'replace' ? 'replaced' : null;
}
