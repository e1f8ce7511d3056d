// The install planner: values in, plan out. What to register, replace,
// re-enable, leave unchanged, skip or refuse, with the reasons, warnings,
// predicted conflicts and register lines, decided from facts gathered
// beforehand by the edges (src/manage/install.ts): the requested targets or
// rules, the live entries, the emulators with their versions, the machine,
// the kernel release and the interpreter facts. No fs, no process, no
// kernel; src/manage/apply.ts carries the plan out.
import { TARGETS, isHostTarget, resolveTarget, targetForEntryName, xarchEntryName, type Target } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { kernelAtLeast } from '../core/kernel-version.js';
import { lint } from '../core/lint.js';
import type { LiveEntry } from '../core/match.js';
import { displayBytes } from '../core/bytes.js';
import { canonicalFlags, renderRegister, ruleFromTarget, sameRule, type Rule } from '../core/rule.js';
import { bestEmulator, emulatorHint, type Emulator } from '../emulators/emulator.js';
import { errorJson, type ItemError } from './options.js';
import { conflictsFor, isOurs, type Conflict } from './ownership.js';
import { bytesEqual } from '../core/bytes.js';

export type InstallStatus = 'installed' | 'unchanged' | 'replaced' | 'skipped' | 'failed';

/** One item of an install's result (the JSON line of `xarch install --json`). */
export interface InstallItem {
  name: string;
  target?: string;
  status: InstallStatus;
  reason?: string;
  dryRun?: boolean;
  interpreter?: string;
  flags?: string;
  /** The register line (display form). */
  register?: string;
  /** Emulator kind when chosen from the catalogue. */
  emulator?: { path: string; kind: Emulator['kind']; static: boolean; version: string | null; preserveArgv0: boolean };
  conflicts?: Conflict[];
  warnings?: string[];
  persisted?: string;
  error?: ItemError;
  /** The self-test probe run through the kernel after registering (src/verify/installed.ts); absent with --no-verify. */
  probe?: ItemProbe;
}

/** What the probe of an installed item did: "installed" means "ran". */
export interface ItemProbe {
  ok: boolean;
  /** A VerifyResultKind (src/verify/verify.ts). */
  result: string;
  /** The entry the kernel used. */
  entry: string | null;
  ms: number;
  error?: { message: string; hint?: string };
}

export interface PlanOptions {
  /** Flags instead of the defaults (subset of POCF). */
  flags?: string;
  /** Add C (credentials from the binary). */
  credentials?: boolean;
  /** Replace another tool's entry of the same name; allow F with a dynamic emulator; install despite lint errors. */
  force?: boolean;
  /** Allow targets of the host's own family. */
  allowHost?: boolean;
  dryRun?: boolean;
  /** Mount binfmt_misc when it is not mounted (default true). */
  mount?: boolean;
}

export interface PlanRequest {
  /** Target names (any scheme), 'all', or empty for the default selection. */
  targets: string[];
}

/** What the file system says about one interpreter path (src/manage/interpreter-safety.ts). */
export interface InterpreterCheck {
  /** Why it must not be registered (relative, missing, not executable, writable by non-root), or null. */
  problem: XarchError | null;
  /** Statically linked; null when it is not a readable ELF file or was not looked at because of `problem`. */
  static: boolean | null;
}

/** The binfmt_misc instance as read before planning. */
export interface InstanceFacts {
  mounted: boolean;
  /** Newest registration first: the order the kernel tries them. */
  entries: readonly LiveEntry[];
  globalEnabled: boolean;
}

export interface PlanFacts {
  /** `uname -m` */
  machine: string;
  /** `uname -r` */
  kernelRelease: string;
  /** Facts about every interpreter a candidate may use, by path. */
  interpreters: ReadonlyMap<string, InterpreterCheck>;
  instance: InstanceFacts;
}

/** One rule to install, before it is compared with the live instance. */
export interface PlannedRule {
  rule: Rule;
  target?: string;
  emulator?: Emulator;
  /** Set when this item is refused or cannot be done. */
  refusal?: XarchError;
  /** Refusal that is a skip, not a failure (targets the default selection could not serve). */
  skip?: string;
  warnings: string[];
}

/** What to do with one item: the kernel writes for register/replace/enable, nothing for the others. */
export type PlanAction = 'register' | 'replace' | 'enable' | 'unchanged' | 'skip' | 'refuse';

export interface Decision {
  action: PlanAction;
  /** The item as reported when the action succeeds (for a dry run: as reported). */
  item: InstallItem;
}

export interface PlanStep extends Decision {
  candidate: PlannedRule;
  /** An identical entry registered again on purpose (src/agent/reconcile.ts: F pins the emulator file). */
  repin?: boolean;
}

/** What a decision depends on besides the candidate and the live entry; kept for re-deciding after a concurrent change. */
export interface DecisionContext {
  mounted: boolean;
  dryRun: boolean;
  force: boolean;
}

export interface Plan {
  steps: PlanStep[];
  /** binfmt_misc has to be mounted first (then read again and planned again). */
  mount: boolean;
  context: DecisionContext;
}

const C_WARNING = 'flag C: a setuid/setgid foreign binary runs the emulator with the binary owner\'s privileges (root for setuid-root files); a bug in QEMU then becomes a privilege escalation. Only use it for chroots/containers that need sudo/su/ping.';

// ---------------------------------------------------------------- candidates

function validFlags(flags: string): string {
  if (/[^POCF]/.test(flags)) throw new XarchError('USAGE', `invalid flags '${flags}': only P, O, C and F are binfmt_misc flags`, { hint: 'e.g. --flags POF' });
  return canonicalFlags(flags);
}

/** The default flags for an emulator: P where it honours it, O, F when static; C only on request. */
export function defaultFlags(e: Emulator, credentials: boolean, kernelRelease: string): string {
  let f = (e.preserveArgv0 ? 'P' : '') + 'O' + (credentials ? 'C' : '');
  if (e.static && kernelAtLeast(kernelRelease, 4, 8)) f += 'F';
  return canonicalFlags(f);
}

function factsOf(facts: PlanFacts, interpreter: string): InterpreterCheck {
  const f = facts.interpreters.get(interpreter);
  if (!f) throw new XarchError('INTERNAL', `no file-system facts were gathered for interpreter ${displayBytes(interpreter)}`);
  return f;
}

/** Checks shared by catalogue targets and raw rules (apply). */
function checkRule(rule: Rule, opts: PlanOptions, facts: PlanFacts, emulator?: Emulator): { refusal?: XarchError; warnings: string[] } {
  const warnings: string[] = [];
  const interpreter = factsOf(facts, rule.interpreter);
  if (interpreter.problem) return { refusal: interpreter.problem, warnings };
  const isWrapper = /-binfmt-P$/.test(rule.interpreter);
  if (isWrapper && !rule.flags.includes('P')) {
    return {
      refusal: new XarchError('EMULATOR_UNSAFE', `${displayBytes(rule.interpreter)} is a Debian -binfmt-P wrapper: QEMU run under that name expects the kernel to pass argv[0] (flag P) and would take the program's first argument as its argv[0] without it`, {
        path: rule.interpreter, hint: 'add P to the flags, or use the plain emulator (e.g. /usr/bin/qemu-<cpu>-static)',
      }), warnings,
    };
  }
  const isStatic = emulator ? emulator.static : interpreter.static;
  if (rule.flags.includes('F') && isStatic === false) {
    if (!opts.force) {
      return {
        refusal: new XarchError('EMULATOR_UNSAFE', `F pins ${displayBytes(rule.interpreter)}, but it is dynamically linked: inside chroots and containers its libraries are missing and every foreign program fails`, {
          path: rule.interpreter, hint: 'install a static emulator (apt-get install qemu-user-static), drop F (--flags PO), or --force',
        }), warnings,
      };
    }
    warnings.push('F with a dynamically linked emulator: it will fail inside chroots/containers that lack its libraries');
  }
  if (rule.flags.includes('C')) warnings.push(C_WARNING);
  // Rules that would capture the host's own binaries or scripts.
  for (const f of lint(rule, { hostMachine: facts.machine })) {
    if (f.severity !== 'error') continue;
    if (f.code === 'MATCHES_HOST_BINARIES' && opts.allowHost) {
      warnings.push(f.message);
      continue;
    }
    if (opts.force && f.code !== 'MATCHES_HOST_BINARIES') {
      warnings.push(f.message);
      continue;
    }
    return { refusal: new XarchError(f.code === 'MATCHES_HOST_BINARIES' ? 'HOST_FAMILY' : 'RULE_INVALID', f.message, { hint: f.fix }), warnings };
  }
  return { warnings };
}

/**
 * The catalogue targets a request means: the names given (deduplicated;
 * an unknown name throws ARCH_UNKNOWN, a usage problem: nothing is done),
 * 'all' foreign targets, or (no names) the foreign targets with an emulator.
 */
export function wantedTargets(req: PlanRequest, machine: string, emulators: readonly Emulator[]): { target: Target; explicit: boolean }[] {
  const all = req.targets.length === 1 && req.targets[0] === 'all';
  if (req.targets.length === 0 || all) {
    return TARGETS.filter((t) => !isHostTarget(t, machine)).filter((t) => all || emulators.some((e) => e.target === t.name)).map((t) => ({ target: t, explicit: false }));
  }
  const seen = new Set<string>();
  const wanted: { target: Target; explicit: boolean }[] = [];
  for (const name of req.targets) {
    const t = resolveTarget(name).target;
    if (!seen.has(t.name)) wanted.push({ target: t, explicit: true });
    seen.add(t.name);
  }
  return wanted;
}

/** For each requested target, the rule to register (or why not). */
export function targetCandidates(req: PlanRequest, emulators: readonly Emulator[], facts: PlanFacts, opts: PlanOptions = {}): PlannedRule[] {
  const { machine, kernelRelease: release } = facts;
  const plans: PlannedRule[] = [];
  for (const { target: t, explicit } of wantedTargets(req, machine, emulators)) {
    const name = xarchEntryName(t);
    const placeholder = ruleFromTarget(t, { name, interpreter: '', flags: '' });
    const refuse = (refusal: XarchError) => plans.push({ rule: placeholder, target: t.name, warnings: [], refusal });
    if (isHostTarget(t, machine) && !opts.allowHost) {
      refuse(new XarchError('HOST_FAMILY', `${t.name} is the host's own family (${machine}): a handler would send this machine's native programs through QEMU`, {
        hint: 'only for a CPU feature the host lacks: --allow-host',
      }));
      continue;
    }
    const emu = bestEmulator(t.name, emulators);
    if (!emu) {
      const err = new XarchError('EMULATOR_NOT_FOUND', `no emulator for ${t.name} (looked for ${`qemu-${t.cpu}-static`}, qemu-${t.cpu}, ${t.cpu}-binfmt-P)`, { hint: emulatorHint() });
      if (explicit) refuse(err);
      else plans.push({ rule: placeholder, target: t.name, warnings: [], skip: err.message });
      continue;
    }
    let flags: string;
    try {
      flags = opts.flags !== undefined ? validFlags(opts.flags + (opts.credentials ? 'C' : '')) : defaultFlags(emu, !!opts.credentials, release);
    } catch (e) {
      refuse(e as XarchError);
      continue;
    }
    if (flags.includes('F') && !kernelAtLeast(release, 4, 8)) {
      refuse(new XarchError('KERNEL_TOO_OLD', `flag F needs Linux 4.8 (this is ${release})`, { hint: 'drop F: --flags PO' }));
      continue;
    }
    const warnings: string[] = [];
    if (flags.includes('P') && !emu.preserveArgv0) warnings.push(`${emu.path} may not honour P (QEMU ${emu.version ?? 'version unknown'}; needs QEMU 6.0+ on Linux 5.12+, or Debian's -binfmt-P wrapper): programs would see an extra argument`);
    const rule = ruleFromTarget(t, { name, interpreter: emu.path, flags });
    // The host check above is the catalogue's own; lint repeats it for raw rules only.
    const check = checkRule(rule, opts, facts, emu);
    plans.push({ rule, target: t.name, emulator: emu, warnings: [...warnings, ...check.warnings], ...(check.refusal ? { refusal: check.refusal } : {}) });
  }
  return plans;
}

/** Arbitrary rules (what `xarch apply` reads from binfmt.d/Debian files): the same checks as catalogue targets. */
export function ruleCandidates(rules: readonly Rule[], facts: PlanFacts, opts: PlanOptions = {}): PlannedRule[] {
  return rules.map((rule) => {
    const check = checkRule(rule, opts, facts);
    const t = targetForEntryName(rule.name);
    const plan: PlannedRule = { rule, warnings: check.warnings };
    if (t && isOurs(rule)) plan.target = t.name;
    if (check.refusal) plan.refusal = check.refusal;
    return plan;
  });
}

// ---------------------------------------------------------------- against the live instance

function differences(a: Rule, b: Rule): string {
  const d: string[] = [];
  if (a.interpreter !== b.interpreter) d.push(`interpreter ${displayBytes(a.interpreter)} → ${displayBytes(b.interpreter)}`);
  if (canonicalFlags(a.flags) !== canonicalFlags(b.flags)) d.push(`flags '${a.flags}' → '${b.flags}'`);
  if (a.type !== b.type || a.offset !== b.offset || !bytesEqual(a.magic, b.magic) || !bytesEqual(a.mask, b.mask) || a.extension !== b.extension) d.push('magic/mask');
  return d.join(', ');
}

/**
 * Reconcile one candidate with the live entry of its name (null: none):
 * identical → unchanged (re-enabled when disabled); ours (or --force) and
 * different → replace; another tool's → skipped; absent → register.
 * `round` > 0 is a decision taken again after a concurrent install changed
 * the entry under the applier.
 */
export function decide(c: PlannedRule, existing: LiveEntry | null, ctx: DecisionContext, round = 0): Decision {
  const rule = c.rule;
  const base: InstallItem = { name: rule.name, status: 'failed', interpreter: rule.interpreter, flags: rule.flags, register: displayBytes(renderRegister(rule)) };
  if (c.target) base.target = c.target;
  if (c.emulator) base.emulator = { path: c.emulator.path, kind: c.emulator.kind, static: c.emulator.static, version: c.emulator.version, preserveArgv0: c.emulator.preserveArgv0 };
  if (c.warnings.length) base.warnings = c.warnings;
  if (ctx.dryRun) base.dryRun = true;
  const to = (action: PlanAction, status: InstallStatus, reason: string, error?: XarchError): Decision =>
    ({ action, item: { ...base, status, reason, ...(error ? { error: errorJson(error) } : {}) } });

  if (c.skip) return to('skip', 'skipped', c.skip);
  if (c.refusal) return to('refuse', 'failed', c.refusal.message, c.refusal);
  if (existing && sameRule(existing.rule, rule)) {
    if (existing.enabled) return to('unchanged', 'unchanged', round > 0 ? 'registered concurrently by another process, identical' : 'already registered');
    return to('enable', 'replaced', `identical but disabled: ${ctx.dryRun ? 'would enable' : 'enabled'} it`);
  }
  if (existing && !isOurs(existing.rule) && !ctx.force) {
    return to('skip', 'skipped', `an entry named ${displayBytes(rule.name)} exists and is not xarch's (${displayBytes(existing.rule.interpreter)}, flags '${existing.rule.flags}', other magic/mask): left alone; --force replaces it`);
  }
  if (existing) return to('replace', 'replaced', `${ctx.dryRun ? 'would replace' : 'replaced'}: ${differences(existing.rule, rule)}`);
  if (ctx.dryRun) return to('register', 'installed', ctx.mounted ? 'would register' : 'would mount binfmt_misc and register');
  return to('register', 'installed', round > 0 ? 'registered after a concurrent removal' : 'registered');
}

/**
 * The instance as it will be after one step: a registered or replaced
 * entry becomes the newest (the kernel lists and tries it first), a
 * re-enabled one keeps its place.
 */
function afterStep(entries: readonly LiveEntry[], step: Decision, rule: Rule): LiveEntry[] {
  if (step.action === 'register' || step.action === 'replace') return [{ name: rule.name, enabled: true, rule }, ...entries.filter((e) => e.name !== rule.name)];
  if (step.action === 'enable') return entries.map((e) => (e.name === rule.name ? { ...e, enabled: true } : e));
  return [...entries];
}

/** Decide every candidate in order (a later one sees what the earlier ones will have done) and predict the conflicts. */
export function reconcile(candidates: readonly PlannedRule[], instance: InstanceFacts, opts: PlanOptions = {}): Plan {
  const context: DecisionContext = { mounted: instance.mounted, dryRun: !!opts.dryRun, force: !!opts.force };
  let entries: LiveEntry[] = instance.mounted ? [...instance.entries] : [];
  const steps: PlanStep[] = [];
  for (const candidate of candidates) {
    const d = decide(candidate, entries.find((e) => e.name === candidate.rule.name) ?? null, context);
    steps.push({ candidate, ...d });
    entries = afterStep(entries, d, candidate.rule);
  }
  // Against the instance as it ends up, as the applier reports them after writing.
  if (instance.mounted) setConflicts(steps.map((s) => s.item), steps.map((s) => s.candidate.rule), entries, instance.globalEnabled);
  const runnable = candidates.some((c) => !c.refusal && !c.skip);
  return { steps, context, mount: runnable && !instance.mounted && !context.dryRun && opts.mount !== false };
}

/** Each item's conflicts with the other entries (items failed or skipped have none); items[i] installs rules[i]. */
export function setConflicts(items: InstallItem[], rules: readonly Rule[], entries: readonly LiveEntry[], globalEnabled: boolean): void {
  items.forEach((item, i) => {
    delete item.conflicts;
    if (item.status === 'failed' || item.status === 'skipped') return;
    const c = conflictsFor(rules[i]!, entries, globalEnabled);
    if (c.length) item.conflicts = c;
  });
}

/** Plan an install of catalogue targets. */
export function planTargets(req: PlanRequest, emulators: readonly Emulator[], facts: PlanFacts, opts: PlanOptions = {}): Plan {
  return reconcile(targetCandidates(req, emulators, facts, opts), facts.instance, opts);
}

/** Plan an install of arbitrary rules. */
export function planRules(rules: readonly Rule[], facts: PlanFacts, opts: PlanOptions = {}): Plan {
  return reconcile(ruleCandidates(rules, facts, opts), facts.instance, opts);
}
