// install and apply: gather the facts (edges: emulators and their versions,
// the interpreters on disk, the live instance), plan (pure,
// src/manage/plan.ts), apply (src/manage/apply.ts).
import os from 'node:os';
import { DEFAULT_BINFMT_DIR, ensureMounted } from '../host/kernel.js';
import type { Rule } from '../core/rule.js';
import { findEmulators, withVersions } from '../emulators/discover.js';
import type { Emulator } from '../emulators/emulator.js';
import { applyPlan, readInstance } from './apply.js';
import { checkInterpreters } from './interpreter-safety.js';
import type { ManageOptions, PersistHooks } from './options.js';
import { planRules, planTargets, wantedTargets, type InstallItem, type InstanceFacts, type Plan, type PlanOptions, type PlanRequest } from './plan.js';

export interface InstallOptions extends ManageOptions, PlanOptions {
  persist?: PersistHooks;
}

/**
 * Versions (needed to know whether P is honoured) for the emulators about
 * to be used: each --version is ~50 ms, run in parallel.
 */
async function withNeededVersions(found: Emulator[], wanted: ReadonlySet<string>, opts: InstallOptions, release: string): Promise<Emulator[]> {
  if (opts.emulators && opts.emulators.some((e) => e.version !== null)) return found;
  const versioned = await withVersions(found.filter((e) => wanted.has(e.target) && e.kind !== 'wrapper'), release);
  const byKey = new Map(versioned.map((e) => [`${e.target}\0${e.path}`, e]));
  return found.map((e) => byKey.get(`${e.target}\0${e.path}`) ?? e);
}

/** Plan against the instance; when the plan needs binfmt_misc mounted, mount it and plan again against the fresh instance. */
function planOnInstance(dir: string, makePlan: (instance: InstanceFacts) => Plan): Plan {
  const plan = makePlan(readInstance(dir));
  if (!plan.mount) return plan;
  ensureMounted(dir); // throws: nothing can be done
  return makePlan(readInstance(dir));
}

/** Install catalogue targets: facts, plan, apply. */
export async function installTargets(req: PlanRequest, opts: InstallOptions = {}): Promise<InstallItem[]> {
  const machine = opts.machine ?? os.machine();
  const kernelRelease = opts.kernelRelease ?? os.release();
  const found = opts.emulators ?? findEmulators({ ...(opts.emulatorSearch ?? {}), kernelRelease });
  const wanted = new Set(wantedTargets(req, machine, found).map((w) => w.target.name));
  const emulators = await withNeededVersions(found, wanted, opts, kernelRelease);
  const interpreters = checkInterpreters(emulators.filter((e) => wanted.has(e.target)).map((e) => e.path));
  const plan = planOnInstance(opts.binfmtDir ?? DEFAULT_BINFMT_DIR, (instance) => planTargets(req, emulators, { machine, kernelRelease, interpreters, instance }, opts));
  return applyPlan(plan, { ...opts, kernelRelease });
}

/**
 * Reconcile and register arbitrary rules (what `xarch apply` reads from
 * binfmt.d/Debian files): the same checks and statuses as install.
 */
export function installRules(rules: readonly Rule[], opts: InstallOptions = {}): InstallItem[] {
  const machine = opts.machine ?? os.machine();
  const kernelRelease = opts.kernelRelease ?? os.release();
  const interpreters = checkInterpreters(rules.map((r) => r.interpreter));
  const plan = planOnInstance(opts.binfmtDir ?? DEFAULT_BINFMT_DIR, (instance) => planRules(rules, { machine, kernelRelease, interpreters, instance }, opts));
  return applyPlan(plan, { ...opts, kernelRelease });
}
