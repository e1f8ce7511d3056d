// xarch agent: keeps a desired set of handlers in effect. The desired state
// is gathered once at start (the persisted configuration as `apply` reads it,
// or catalogue targets as `install` picks them); each pass reads the
// instance (a directory read), lets the planner decide (src/agent/reconcile.ts
// over src/manage/plan.ts), carries the plan out (src/manage/apply.ts),
// probes through the kernel (src/verify), and records the state file and the
// NFD feature file. Events go to the caller's `emit`; the library never
// prints and never exits.
import os from 'node:os';
import path from 'node:path';
import { stringBytes } from '../core/bytes.js';
import { renderRegister } from '../core/rule.js';
import { hasProbe } from '../core/probe.js';
import { findEmulators, withVersions, emulatorVersion, type FindOptions } from '../emulators/discover.js';
import type { Emulator } from '../emulators/emulator.js';
import { writeFileAtomic } from '../host/atomic.js';
import { ensureMounted, readEntry, removeEntry } from '../host/kernel.js';
import { applyPlan, readInstance } from '../manage/apply.js';
import { checkInterpreters } from '../manage/interpreter-safety.js';
import { asXarchError } from '../manage/options.js';
import { servedTargets } from '../manage/ownership.js';
import { ruleCandidates, targetCandidates, wantedTargets, type PlanFacts, type PlannedRule } from '../manage/plan.js';
import { readConfig } from '../persist/config.js';
import { itemProbe } from '../verify/installed.js';
import { verifyTargets } from '../verify/verify.js';
import { sameRule } from '../core/rule.js';
import { FEATURES_FILE, renderFeatures } from './features.js';
import { conflictKey, decidePass, repairOf, type AgentEvent } from './reconcile.js';
import { writeState, type AgentState, type TargetState } from './state.js';

export interface DesiredOptions {
  /** Catalogue targets (any name 'xarch arches' knows, or 'all'); without them: the persisted configuration. */
  arches?: string[];
  /** Root of the configuration directories (default /). */
  configRoot?: string;
  /** Read Debian's /usr/share/binfmts too (default true). */
  debian?: boolean;
  emulatorSearch?: FindOptions;
  /** The emulators of a store set: the desired targets are the set's (or --arches among them), the interpreters the set's files. */
  emulators?: Emulator[];
  machine?: string;
  kernelRelease?: string;
}

export interface Desired {
  candidates: PlannedRule[];
  /** What cannot be kept in effect (refused rules, unreadable configuration lines): said once at start. */
  problems: AgentEvent[];
  /** The QEMU version of the desired emulators, for the feature file. */
  qemuVersion: string | null;
}

/** The rules to keep in effect (runnable candidates only), gathered from the edges once. */
export async function desiredState(opts: DesiredOptions = {}): Promise<Desired> {
  const machine = opts.machine ?? os.machine();
  const kernelRelease = opts.kernelRelease ?? os.release();
  const problems: AgentEvent[] = [];
  const noInstance = { mounted: false, entries: [], globalEnabled: true };
  let all: PlannedRule[];
  if (opts.arches || opts.emulators) {
    const targets = opts.arches ?? [];
    const found = opts.emulators ?? findEmulators({ ...(opts.emulatorSearch ?? {}), kernelRelease });
    const wanted = new Set(wantedTargets({ targets }, machine, found).map((w) => w.target.name));
    // A store set's emulators come with the versions its manifest recorded.
    const chosen = found.filter((e) => wanted.has(e.target));
    const emulators = opts.emulators ? chosen : await withVersions(chosen, kernelRelease);
    const facts: PlanFacts = { machine, kernelRelease, interpreters: checkInterpreters(emulators.map((e) => e.path)), instance: noInstance };
    all = targetCandidates({ targets }, emulators, facts);
  } else {
    const cfg = readConfig([], opts.configRoot ?? '/', { debian: opts.debian !== false });
    for (const e of cfg.errors) problems.push({ event: 'error', name: e.source, message: e.message });
    const rules = cfg.rules.map((r) => r.rule);
    all = ruleCandidates(rules, { machine, kernelRelease, interpreters: checkInterpreters(rules.map((r) => r.interpreter)), instance: noInstance });
  }
  for (const c of all) {
    if (c.refusal) problems.push({ event: 'error', name: c.rule.name, ...(c.target ? { target: c.target } : {}), message: c.refusal.message, ...(c.refusal.hint ? { hint: c.refusal.hint } : {}) });
  }
  const candidates = all.filter((c) => !c.refusal && !c.skip);
  const versions = candidates.map((c) => c.emulator?.version ?? emulatorVersion(c.rule.interpreter)).filter((v): v is string => !!v).sort();
  return { candidates, problems, qemuVersion: versions[0] ?? null };
}

/** The target a candidate's probe is for: its catalogue target, or the first the rule serves (another tool's rule). */
function probeTarget(c: PlannedRule): string | undefined {
  const t = c.target ?? servedTargets(c.rule)[0];
  return t && hasProbe(t) ? t : undefined;
}

export interface AgentOptions {
  binfmtDir: string;
  stateDir: string;
  /** Seconds between passes. */
  interval: number;
  featuresDir?: string;
  probeTimeoutMs?: number;
  emit(event: AgentEvent): void;
  /** Clock, for the state file (default Date.now). */
  now?: () => number;
}

export class Agent {
  private readonly desired: Desired;
  private readonly opts: AgentOptions;
  private readonly targets: Map<string, TargetState>;
  private conflicts = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private finish: (() => void) | null = null;
  private passes = 0;

  constructor(desired: Desired, opts: AgentOptions) {
    this.desired = desired;
    this.opts = opts;
    this.targets = new Map(desired.candidates.map((c) => [c.rule.name, {
      name: c.rule.name, ...(c.target ? { target: c.target } : {}), register: renderRegister(c.rule), probedAt: null, probe: null,
    }]));
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** One reconcile pass; true when every desired entry is in effect and every probe ran. */
  pass(): boolean {
    const { binfmtDir: dir, emit } = this.opts;
    const candidates = this.desired.candidates;
    const repin = this.passes++ === 0;
    let decision = decidePass(candidates, readInstance(dir), repin);
    const conflicts = new Set<string>();
    const say = (events: AgentEvent[]) => {
      for (const e of events) {
        const key = conflictKey(e);
        if (key) {
          conflicts.add(key);
          if (this.conflicts.has(key)) continue;
        }
        emit(e);
      }
    };
    if (decision.plan.mount) {
      say(decision.events);
      ensureMounted(dir);
      emit({ event: 'repaired', name: '*', action: 'mounted' });
      decision = decidePass(candidates, readInstance(dir), repin);
    }
    say(decision.events);
    this.conflicts = conflicts;
    const items = applyPlan(decision.plan, { binfmtDir: dir });
    const toProbe = candidates.map(probeTarget);
    const probed = toProbe.filter((t): t is string => t !== undefined);
    const results = probed.length ? verifyTargets(probed, { binfmtDir: dir, ...(this.opts.probeTimeoutMs ? { timeoutMs: this.opts.probeTimeoutMs } : {}) }) : [];
    const at = this.now();
    let ready = true;
    decision.plan.steps.forEach((step, i) => {
      const item = items[i]!;
      const name = step.candidate.rule.name;
      const target = step.candidate.target ? { target: step.candidate.target } : {};
      const state = this.targets.get(name)!;
      const t = toProbe[i];
      const result = t === undefined ? undefined : results[probed.indexOf(t)];
      const probe = result ? itemProbe(result) : undefined;
      const wasOk = state.probe?.ok !== false;
      if (probe) Object.assign(state, { probe, probedAt: at });
      if (item.status === 'failed' || item.status === 'skipped') {
        ready = false;
        if (item.status === 'failed') emit({ event: 'error', name, ...target, message: item.reason ?? 'failed', ...(item.error?.hint ? { hint: item.error.hint } : {}) });
        return;
      }
      const repaired = repairOf(step);
      if (probe && !probe.ok) {
        ready = false;
        if (repaired || wasOk) emit({ event: 'probe-failed', name, ...target, probe });
        return;
      }
      if (repaired) emit({ event: 'repaired', name, ...target, action: repaired, ...(probe ? { probe } : {}) });
    });
    this.record(at);
    return ready;
  }

  private record(at: number): void {
    const state: AgentState = { pid: process.pid, binfmtDir: this.opts.binfmtDir, interval: this.opts.interval, passAt: at, targets: [...this.targets.values()] };
    writeState(this.opts.stateDir, state);
    if (this.opts.featuresDir) {
      const ran = [...this.targets.values()].filter((t) => t.probe?.ok && t.probe.result === 'ok').map((t) => (t.target ?? this.probeOf(t.name))).filter((t): t is string => !!t);
      writeFileAtomic(path.join(this.opts.featuresDir, FEATURES_FILE), stringBytes(renderFeatures(ran, this.desired.qemuVersion)), { mode: 0o644, ifChanged: true, what: 'feature file' });
    }
  }

  private probeOf(name: string): string | undefined {
    const c = this.desired.candidates.find((d) => d.rule.name === name);
    return c ? probeTarget(c) : undefined;
  }

  /** A pass now, then one every interval until stop(); a failing pass is reported and the loop goes on. */
  run(): Promise<void> {
    const { emit } = this.opts;
    emit({ event: 'started', desired: this.desired.candidates.map((c) => c.rule.name), binfmtDir: this.opts.binfmtDir, interval: this.opts.interval });
    for (const p of this.desired.problems) emit(p);
    return new Promise((resolve) => {
      this.finish = resolve;
      const tick = () => {
        try {
          this.pass();
        } catch (e) {
          const x = asXarchError(e);
          emit({ event: 'error', name: '*', message: x.message, ...(x.hint ? { hint: x.hint } : {}) });
        }
        if (this.finish) this.timer = setTimeout(tick, this.opts.interval * 1000);
      };
      tick();
    });
  }

  /** End the loop; with `removeEntries`, remove the desired entries that are still as the agent registered them (never another's). */
  stop(removeEntries = false): string[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const removed: string[] = [];
    if (removeEntries) {
      for (const c of this.desired.candidates) {
        const live = readEntry(this.opts.binfmtDir, c.rule.name);
        if (live && sameRule(live.rule, c.rule) && removeEntry(this.opts.binfmtDir, c.rule.name)) removed.push(c.rule.name);
      }
    }
    this.opts.emit({ event: 'stopped', removed });
    const finish = this.finish;
    this.finish = null;
    finish?.();
    return removed;
  }
}
