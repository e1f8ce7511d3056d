// Managing handlers on a live binfmt_misc instance: install (reconcile, never
// flush), uninstall, enable, disable, status. The decisions (what is ours,
// what to refuse, what conflicts) are made on values; the kernel is touched
// only through src/kernel.ts. Every path is injectable.
//
// Naming and ownership. xarch names its entries `qemu-<target>` (qemu-aarch64,
// qemu-arm, qemu-ppc64le…): the name Docker/buildx, tonistiigi/binfmt and
// Debian use, so tools that look for `qemu-aarch64` find it. An entry counts
// as xarch's own when its name is `qemu-<target>` for a catalogue target AND
// its offset, magic and mask are exactly the catalogue's for that target.
// Debian's qemu-user-static and tonistiigi/binfmt entries share the name but
// use other magic/mask tables, so they are recognised as another tool's and
// left alone unless named with --force. (An entry byte-identical to what
// xarch writes is indistinguishable from one xarch wrote, and is treated as
// xarch's: replacing it changes nothing another tool relies on.)
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TARGETS, getTarget, isHostTarget, resolveTarget, targetForEntryName, xarchEntryName, type Target } from '../core/arch.js';
import { XarchError, isXarchError } from '../core/errors.js';
import {
  DEFAULT_BINFMT_DIR, ensureMounted, isMounted, readEntry, readGlobalStatus,
  readLiveEntries, registerRule, removeEntry, setEntryEnabled,
} from '../host/kernel.js';
import { kernelAtLeast, kernelFeatures, type KernelFeatures } from '../core/kernel-version.js';
import { bestEmulator, elfIsStatic, emulatorHint, findEmulators, withVersions, type Emulator, type FindOptions } from '../emulators/discover.js';
import { matchRule, whichEntry, type LiveEntry } from '../core/match.js';
import { displayBytes, toHex } from '../core/bytes.js';
import { canonicalFlags, renderRegister, ruleFromTarget, sameRule, type Rule } from '../core/rule.js';
import { lint } from '../core/lint.js';

export interface ManageOptions {
  /** binfmt_misc mount (default /proc/sys/fs/binfmt_misc). */
  binfmtDir?: string;
  /** Passed to the persistence hooks (default /etc). */
  etcDir?: string;
  /** Where to look for emulators. */
  emulatorSearch?: FindOptions;
  /** Emulators already found (skips the search). */
  emulators?: Emulator[];
  /** `uname -m` (default os.machine()). */
  machine?: string;
  /** `uname -r` (default os.release()). */
  kernelRelease?: string;
}

/** Persistence, injected by the CLI (src/persist.ts) so this module stays synchronous and free of it. */
export interface PersistHooks {
  write(rule: Rule): string | void;
  remove(name: string): string | boolean | void;
}

export interface InstallOptions extends ManageOptions {
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
  persist?: PersistHooks;
}

export type InstallStatus = 'installed' | 'unchanged' | 'replaced' | 'skipped' | 'failed';

export interface Conflict {
  /** Another enabled entry that matches the same binaries. */
  name: string;
  /** The entry the kernel uses for those binaries (newest enabled match). */
  winner: string;
}

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
  error?: { code: string; message: string; hint?: string };
}

/** The plan for one rule before anything is written. */
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

const C_WARNING = 'flag C: a setuid/setgid foreign binary runs the emulator with the binary owner\'s privileges (root for setuid-root files); a bug in QEMU then becomes a privilege escalation. Only use it for chroots/containers that need sudo/su/ping.';

// ---------------------------------------------------------------- ownership

/** The catalogue target an entry name stands for in xarch's scheme, if any. */

const bytesEqual = (a: Uint8Array | null, b: Uint8Array | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]);

/** Is this entry xarch's own? (see the comment at the top of this file) */
export function isOurs(rule: Rule): boolean {
  const t = targetForEntryName(rule.name);
  return !!t && rule.type === 'M' && rule.offset === 0 && bytesEqual(rule.magic, t.magic) && bytesEqual(rule.mask, t.mask);
}

// ---------------------------------------------------------------- matching helpers

/** A file header and path that this rule matches (its own magic, masked bits as given). */
export function sampleFor(rule: Rule): { head: Uint8Array; path: string } {
  if (rule.type === 'E') return { head: new Uint8Array(0), path: `/x/file.${rule.extension}` };
  const head = new Uint8Array(Math.min(256, rule.offset + rule.magic.length));
  head.set(rule.magic.subarray(0, head.length - rule.offset), rule.offset);
  return { head, path: '/x/file' };
}

/** Catalogue targets whose binaries this rule captures. */
export function servedTargets(rule: Rule): string[] {
  if (rule.type !== 'M') return [];
  return TARGETS.filter((t) => matchRule(rule, t.magic, '/x/file').matches).map((t) => t.name);
}

/**
 * Other enabled entries that match the binaries `rule` is for, and which
 * entry the kernel uses for them (newest enabled match first).
 */
export function conflictsFor(rule: Rule, entries: readonly LiveEntry[], globalEnabled = true): Conflict[] {
  const s = sampleFor(rule);
  const others = entries.filter((e) => e.name !== rule.name && e.enabled && matchRule(e.rule, s.head, s.path).matches);
  if (others.length === 0) return [];
  const w = whichEntry(entries, globalEnabled, s.head, s.path);
  const winner = w.entry?.name ?? rule.name;
  return others.map((e) => ({ name: e.name, winner }));
}

// ---------------------------------------------------------------- interpreter safety

/**
 * Why an interpreter must not be registered, or null. Absolute, present,
 * an executable regular file, and neither it nor any directory on its path
 * (the path as given and the resolved one) writable by anyone but root:
 * otherwise that user could swap the emulator and run code inside every
 * foreign exec on the machine.
 */
export function interpreterProblem(interpreter: string): XarchError | null {
  const trustedOwner = ownerTrust();
  const shown = displayBytes(interpreter);
  if (!interpreter.startsWith('/')) {
    return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} is a relative path (the kernel would resolve it against each program's working directory)`, {
      path: interpreter, hint: 'give an absolute path',
    });
  }
  let st;
  try {
    st = statSync(interpreter);
  } catch {
    return new XarchError('EMULATOR_NOT_FOUND', `interpreter ${shown} does not exist`, { path: interpreter, errno: 'ENOENT', hint: emulatorHint() });
  }
  if (!st.isFile() || (st.mode & 0o111) === 0) {
    return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} is not an executable file`, { path: interpreter, errno: 'EACCES', hint: 'chmod 755 it, or name another emulator' });
  }
  const chains = [interpreter];
  try {
    const real = realpathSync(interpreter);
    if (real !== interpreter) chains.push(real);
  } catch { /* stat worked, so realpath will too */ }
  for (const p of chains) {
    let cur = p;
    for (;;) {
      let s;
      try {
        s = lstatSync(cur);
      } catch {
        break;
      }
      const isLink = s.isSymbolicLink();
      const groupOrOtherWritable = (s.mode & 0o022) !== 0;
      const sticky = (s.mode & 0o1000) !== 0;
      const bad = !trustedOwner(s.uid) ? `is owned by uid ${s.uid}` : !isLink && groupOrOtherWritable && !(s.isDirectory() && sticky && cur !== p) ? 'is writable by group or others' : null;
      if (bad) {
        return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} is unsafe: ${cur} ${bad}, so a non-root user could replace the emulator every foreign program runs through`, {
          path: cur, hint: `install the emulator in a root-owned directory that only root can write (chmod go-w ${cur}; chown root ${cur})`,
        });
      }
      if (cur === '/') break;
      cur = path.dirname(cur);
    }
  }
  return null;
}

/**
 * Owners an interpreter path may have: root. Inside a user namespace (a
 * private binfmt_misc instance) files whose host owner is not mapped show
 * as the overflow uid; nobody in the namespace can change them, and the
 * instance only serves the namespace, so they are trusted too.
 */
function ownerTrust(): (uid: number) => boolean {
  let overflow = -1;
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    const initial = map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295';
    if (!initial) overflow = Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());
  } catch { /* no /proc: only root is trusted */ }
  return (uid) => uid === 0 || uid === overflow;
}

// ---------------------------------------------------------------- planning

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

/** Checks shared by catalogue installs and installRules (apply). */
function checkRule(rule: Rule, opts: InstallOptions, machine: string, emulator?: Emulator): { refusal?: XarchError; warnings: string[] } {
  const warnings: string[] = [];
  const interpProblem = interpreterProblem(rule.interpreter);
  if (interpProblem) return { refusal: interpProblem, warnings };
  const isWrapper = /-binfmt-P$/.test(rule.interpreter);
  if (isWrapper && !rule.flags.includes('P')) {
    return {
      refusal: new XarchError('EMULATOR_UNSAFE', `${displayBytes(rule.interpreter)} is a Debian -binfmt-P wrapper: QEMU run under that name expects the kernel to pass argv[0] (flag P) and would take the program's first argument as its argv[0] without it`, {
        path: rule.interpreter, hint: 'add P to the flags, or use the plain emulator (e.g. /usr/bin/qemu-<cpu>-static)',
      }), warnings,
    };
  }
  const isStatic = emulator ? emulator.static : elfIsStatic(rule.interpreter);
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
  for (const f of lint(rule, { hostMachine: machine })) {
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

export interface PlanRequest {
  /** Target names (any scheme), 'all', or empty for the default selection. */
  targets: string[];
}

function emulatorsFor(opts: InstallOptions): Emulator[] {
  return opts.emulators ?? findEmulators({ ...(opts.emulatorSearch ?? {}), kernelRelease: opts.kernelRelease ?? os.release() });
}

/**
 * Decide, for each requested target, the rule to register (or why not).
 * Async only because emulator versions (needed to know whether P is
 * honoured) come from running them, in parallel.
 */
export async function planInstall(req: PlanRequest, opts: InstallOptions = {}): Promise<PlannedRule[]> {
  const machine = opts.machine ?? os.machine();
  const release = opts.kernelRelease ?? os.release();
  let emulators = emulatorsFor(opts);
  const explicit = req.targets.length > 0 && !(req.targets.length === 1 && req.targets[0] === 'all');
  const all = req.targets.length === 1 && req.targets[0] === 'all';
  let wanted: { target: Target; explicit: boolean }[];
  if (explicit) {
    const seen = new Set<string>();
    wanted = [];
    for (const name of req.targets) {
      const t = resolveTarget(name).target; // throws ARCH_UNKNOWN (a usage problem: nothing is done)
      if (!seen.has(t.name)) wanted.push({ target: t, explicit: true });
      seen.add(t.name);
    }
  } else {
    wanted = TARGETS.filter((t) => !isHostTarget(t, machine)).filter((t) => all || emulators.some((e) => e.target === t.name)).map((t) => ({ target: t, explicit: false }));
  }
  // Versions only for what is about to be used (each --version is ~50 ms).
  if (!opts.emulators || opts.emulators.every((e) => e.version === null)) {
    const names = new Set(wanted.map((w) => w.target.name));
    const needed = emulators.filter((e) => names.has(e.target) && e.kind !== 'wrapper');
    const versioned = await withVersions(needed, release);
    const byKey = new Map(versioned.map((e) => [`${e.target}\0${e.path}`, e]));
    emulators = emulators.map((e) => byKey.get(`${e.target}\0${e.path}`) ?? e);
  }
  const plans: PlannedRule[] = [];
  for (const { target: t, explicit: isExplicit } of wanted) {
    const name = xarchEntryName(t);
    const placeholder = ruleFromTarget(t, { name, interpreter: '', flags: '' });
    if (isHostTarget(t, machine) && !opts.allowHost) {
      plans.push({
        rule: placeholder, target: t.name, warnings: [],
        refusal: new XarchError('HOST_FAMILY', `${t.name} is the host's own family (${machine}): a handler would send this machine's native programs through QEMU`, {
          hint: 'only for a CPU feature the host lacks: --allow-host',
        }),
      });
      continue;
    }
    const emu = bestEmulator(t.name, emulators);
    if (!emu) {
      const err = new XarchError('EMULATOR_NOT_FOUND', `no emulator for ${t.name} (looked for ${`qemu-${t.cpu}-static`}, qemu-${t.cpu}, ${t.cpu}-binfmt-P)`, { hint: emulatorHint() });
      plans.push(isExplicit ? { rule: placeholder, target: t.name, warnings: [], refusal: err } : { rule: placeholder, target: t.name, warnings: [], skip: err.message });
      continue;
    }
    let flags: string;
    try {
      flags = opts.flags !== undefined ? validFlags(opts.flags + (opts.credentials ? 'C' : '')) : defaultFlags(emu, !!opts.credentials, release);
    } catch (e) {
      plans.push({ rule: placeholder, target: t.name, warnings: [], refusal: e as XarchError });
      continue;
    }
    const warnings: string[] = [];
    if (flags.includes('F') && !kernelAtLeast(release, 4, 8)) {
      plans.push({ rule: placeholder, target: t.name, warnings, refusal: new XarchError('KERNEL_TOO_OLD', `flag F needs Linux 4.8 (this is ${release})`, { hint: 'drop F: --flags PO' }) });
      continue;
    }
    if (flags.includes('P') && !emu.preserveArgv0) warnings.push(`${emu.path} may not honour P (QEMU ${emu.version ?? 'version unknown'}; needs QEMU 6.0+ on Linux 5.12+, or Debian's -binfmt-P wrapper): programs would see an extra argument`);
    const rule = ruleFromTarget(t, { name, interpreter: emu.path, flags });
    const check = checkRule(rule, opts, machine, emu);
    // The host check above is the catalogue's own; lint repeats it for raw rules only.
    plans.push({ rule, target: t.name, emulator: emu, warnings: [...warnings, ...check.warnings], ...(check.refusal ? { refusal: check.refusal } : {}) });
  }
  return plans;
}

// ---------------------------------------------------------------- applying a plan

function errorJson(e: XarchError): InstallItem['error'] {
  const o: NonNullable<InstallItem['error']> = { code: e.code, message: e.message };
  if (e.hint) o.hint = e.hint;
  return o;
}

function differences(a: Rule, b: Rule): string {
  const d: string[] = [];
  if (a.interpreter !== b.interpreter) d.push(`interpreter ${displayBytes(a.interpreter)} → ${displayBytes(b.interpreter)}`);
  if (canonicalFlags(a.flags) !== canonicalFlags(b.flags)) d.push(`flags '${a.flags}' → '${b.flags}'`);
  if (a.type !== b.type || a.offset !== b.offset || !bytesEqual(a.magic, b.magic) || !bytesEqual(a.mask, b.mask) || a.extension !== b.extension) d.push('magic/mask');
  return d.join(', ');
}

/**
 * Reconcile one rule with the live instance: identical → unchanged; ours (or
 * --force) and different → replaced (remove, register); another tool's →
 * skipped; absent → installed. EEXIST from a concurrent install is resolved
 * by reading the entry back and comparing, up to five rounds.
 */
function reconcile(dir: string, plan: PlannedRule, opts: InstallOptions, release: string): InstallItem {
  const rule = plan.rule;
  const item: InstallItem = { name: rule.name, status: 'failed', interpreter: rule.interpreter, flags: rule.flags, register: displayBytes(renderRegister(rule)) };
  if (plan.target) item.target = plan.target;
  if (plan.emulator) item.emulator = { path: plan.emulator.path, kind: plan.emulator.kind, static: plan.emulator.static, version: plan.emulator.version, preserveArgv0: plan.emulator.preserveArgv0 };
  if (plan.warnings.length) item.warnings = plan.warnings;
  if (opts.dryRun) item.dryRun = true;
  if (plan.skip) return { ...item, status: 'skipped', reason: plan.skip };
  if (plan.refusal) return { ...item, status: 'failed', reason: plan.refusal.message, error: errorJson(plan.refusal) };

  const mounted = isMounted(dir);
  for (let round = 0; round < 5; round++) {
    const existing = mounted ? readEntry(dir, rule.name) : null;
    if (existing && sameRule(existing.rule, rule)) {
      if (existing.enabled) return { ...item, status: 'unchanged', reason: round > 0 ? 'registered concurrently by another process, identical' : 'already registered' };
      if (opts.dryRun) return { ...item, status: 'replaced', reason: 'identical but disabled: would enable it' };
      setEntryEnabled(dir, rule.name, true);
      return { ...item, status: 'replaced', reason: 'identical but disabled: enabled it' };
    }
    if (existing && !isOurs(existing.rule) && !opts.force) {
      return {
        ...item, status: 'skipped',
        reason: `an entry named ${displayBytes(rule.name)} exists and is not xarch's (${displayBytes(existing.rule.interpreter)}, flags '${existing.rule.flags}', other magic/mask): left alone; --force replaces it`,
      };
    }
    if (opts.dryRun) {
      return existing ? { ...item, status: 'replaced', reason: `would replace: ${differences(existing.rule, rule)}` } : { ...item, status: 'installed', reason: mounted ? 'would register' : 'would mount binfmt_misc and register' };
    }
    if (existing) removeEntry(dir, rule.name);
    try {
      registerRule(dir, rule, { release });
    } catch (e) {
      // Another install got there first (EEXIST), or removed what we had just
      // registered because it read the old entry before we replaced it: compare again.
      if (isXarchError(e) && (e.code === 'BINFMT_EXISTS' || (e.code === 'BINFMT_WRITE_FAILED' && e.errno === 'ENOENT'))) continue;
      throw e;
    }
    return existing
      ? { ...item, status: 'replaced', reason: `replaced: ${differences(existing.rule, rule)}` }
      : { ...item, status: 'installed', reason: round > 0 ? 'registered after a concurrent removal' : 'registered' };
  }
  return { ...item, status: 'failed', reason: `${displayBytes(rule.name)} kept changing under concurrent installs; run install again`, error: { code: 'BINFMT_WRITE_FAILED', message: 'concurrent modification' } };
}

/** Register planned rules, reporting every item; per-item failures do not stop the others. */
export function applyPlan(plans: PlannedRule[], opts: InstallOptions = {}): InstallItem[] {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const release = opts.kernelRelease ?? os.release();
  const runnable = plans.some((p) => !p.refusal && !p.skip);
  if (runnable && !opts.dryRun && opts.mount !== false) ensureMounted(dir); // throws: nothing can be done
  const items: InstallItem[] = [];
  for (const plan of plans) {
    let item: InstallItem;
    try {
      item = reconcile(dir, plan, opts, release);
    } catch (e) {
      const err = isXarchError(e) ? e : new XarchError('INTERNAL', (e as Error).message, { cause: e });
      item = { name: plan.rule.name, status: 'failed', reason: err.message, error: errorJson(err), interpreter: plan.rule.interpreter, flags: plan.rule.flags };
      if (plan.target) item.target = plan.target;
    }
    if (opts.persist && !opts.dryRun && (item.status === 'installed' || item.status === 'replaced' || item.status === 'unchanged')) {
      try {
        const p = opts.persist.write(plan.rule);
        if (typeof p === 'string') item.persisted = p;
      } catch (e) {
        const err = isXarchError(e) ? e : new XarchError('INTERNAL', (e as Error).message, { cause: e });
        item.status = 'failed';
        item.reason = `${item.reason ?? ''}; persisting failed: ${err.message}`.replace(/^; /, '');
        item.error = errorJson(err);
      }
    }
    items.push(item);
  }
  // Conflicts, against the instance as it ends up (or as it would, for a dry run).
  if (isMounted(dir)) {
    let entries = readLiveEntries(dir);
    const globalEnabled = readGlobalStatus(dir) === 'enabled';
    items.forEach((item, i) => {
      if (item.status === 'failed' || item.status === 'skipped') return;
      const rule = plans[i]!.rule;
      if (opts.dryRun) entries = [{ name: rule.name, enabled: true, rule }, ...entries.filter((e) => e.name !== rule.name)];
      const c = conflictsFor(rule, entries, globalEnabled);
      if (c.length) item.conflicts = c;
    });
  }
  return items;
}

/** Install catalogue targets: plan, then reconcile each against the kernel. */
export async function installTargets(req: PlanRequest, opts: InstallOptions = {}): Promise<InstallItem[]> {
  return applyPlan(await planInstall(req, opts), opts);
}

/**
 * Reconcile and register arbitrary rules (what `xarch apply` reads from
 * binfmt.d/Debian files): the same checks and statuses as install.
 */
export function installRules(rules: readonly Rule[], opts: InstallOptions = {}): InstallItem[] {
  const machine = opts.machine ?? os.machine();
  const plans: PlannedRule[] = rules.map((rule) => {
    const check = checkRule(rule, opts, machine);
    const t = targetForEntryName(rule.name);
    const plan: PlannedRule = { rule, warnings: check.warnings };
    if (t && isOurs(rule)) plan.target = t.name;
    if (check.refusal) plan.refusal = check.refusal;
    return plan;
  });
  return applyPlan(plans, opts);
}

// ---------------------------------------------------------------- selecting entries

export interface SelectResult {
  entries: LiveEntry[];
  /** Arguments that selected nothing, or selected another tool's entry without force. */
  problems: { arg: string; status: 'absent' | 'skipped' | 'failed'; reason: string; name?: string }[];
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) re += ch === '*' ? '.*' : ch === '?' ? '.' : /[\\^$.|+()[\]{}]/.test(ch) ? '\\' + ch : ch;
  return new RegExp(`^${re}$`);
}

/**
 * Which live entries NAME|TARGET|GLOB arguments mean. No arguments: every
 * entry of xarch's. An exact entry name or a target selects that entry; a
 * glob selects matching entries of xarch's (others' too with force). Another
 * tool's entry is only selected with force.
 */
export function selectEntries(args: readonly string[], entries: readonly LiveEntry[], force = false): SelectResult {
  const out: LiveEntry[] = [];
  const problems: SelectResult['problems'] = [];
  const add = (e: LiveEntry) => { if (!out.includes(e)) out.push(e); };
  if (args.length === 0) {
    for (const e of entries) if (isOurs(e.rule)) add(e);
    return { entries: out, problems };
  }
  for (const arg of args) {
    const exact = entries.find((e) => e.name === arg);
    if (exact) {
      if (isOurs(exact.rule) || force) add(exact);
      else problems.push({ arg, name: exact.name, status: 'skipped', reason: `${arg} is not xarch's entry (another tool registered it); add --force to change it` });
      continue;
    }
    if (/[*?]/.test(arg)) {
      const re = globToRegExp(arg);
      const hits = entries.filter((e) => re.test(e.name) && (force || isOurs(e.rule)));
      if (hits.length === 0) problems.push({ arg, status: 'absent', reason: `no ${force ? '' : "xarch "}entry matches ${arg}` });
      hits.forEach(add);
      continue;
    }
    let t: Target;
    try {
      t = resolveTarget(arg).target;
    } catch (e) {
      problems.push({ arg, status: 'failed', reason: `no entry named ${arg}, and it is not an architecture name: ${(e as Error).message}` });
      continue;
    }
    const name = xarchEntryName(t);
    const hit = entries.find((e) => e.name === name);
    if (!hit) problems.push({ arg, name, status: 'absent', reason: `${name} is not registered` });
    else if (isOurs(hit.rule) || force) add(hit);
    else problems.push({ arg, name, status: 'skipped', reason: `${name} is not xarch's entry (another tool registered it); add --force to change it` });
  }
  return { entries: out, problems };
}

export type ChangeStatus = 'removed' | 'enabled' | 'disabled' | 'unchanged' | 'absent' | 'skipped' | 'failed';

export interface ChangeItem {
  name: string;
  arg?: string;
  status: ChangeStatus;
  reason?: string;
  /** State read back from the kernel after the write. */
  enabled?: boolean | null;
  persistedRemoved?: string | boolean;
  error?: { code: string; message: string; hint?: string };
}

export interface ChangeOptions extends ManageOptions {
  force?: boolean;
  dryRun?: boolean;
  persist?: PersistHooks;
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
  const sel = selectEntries(args, liveEntries(dir, true), opts.force);
  const items: ChangeItem[] = sel.problems.map((p) => ({ name: p.name ?? p.arg, arg: p.arg, status: p.status, reason: p.reason }));
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
      const x = isXarchError(err) ? err : new XarchError('INTERNAL', (err as Error).message);
      Object.assign(item, { status: 'failed', reason: x.message, error: errorJson(x) });
    }
    items.push(item);
  }
  // Persisted configuration goes with the entry (and for absent targets too: uninstall means "not any more").
  if (opts.persist && !opts.dryRun) {
    for (const item of items) {
      if (item.status !== 'removed' && item.status !== 'absent') continue;
      try {
        const r = opts.persist.remove(item.name);
        if (r !== undefined && r !== false) item.persistedRemoved = r;
      } catch (err) {
        const x = isXarchError(err) ? err : new XarchError('INTERNAL', (err as Error).message);
        Object.assign(item, { status: 'failed', reason: `removing the persisted file failed: ${x.message}`, error: errorJson(x) });
      }
    }
  }
  return items;
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
      const x = isXarchError(err) ? err : new XarchError('INTERNAL', (err as Error).message);
      items.push({ name: e.name, status: 'failed', reason: x.message, error: errorJson(x) });
    }
  }
  return items;
}

// ---------------------------------------------------------------- status

export interface StatusEntry {
  name: string;
  enabled: boolean;
  ours: boolean;
  /** Catalogue targets it captures, or "other". */
  serves: string;
  targets: string[];
  type: 'M' | 'E';
  offset?: number;
  magic?: string;
  mask?: string | null;
  extension?: string;
  interpreter: string;
  interpreterExists: boolean;
  /** null when the interpreter is not an ELF file or does not exist. */
  interpreterStatic: boolean | null;
  /** F: the kernel holds the interpreter open (works in chroots, survives deletion). */
  pinned: boolean;
  flags: string;
  /** Newer enabled entries that take this entry's binaries first. */
  shadowedBy: string[];
}

export interface StatusReport {
  binfmtDir: string;
  mounted: boolean;
  global: 'enabled' | 'disabled' | null;
  machine: string;
  kernel: KernelFeatures;
  entries: StatusEntry[];
}

export function status(opts: ManageOptions = {}): StatusReport {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const machine = opts.machine ?? os.machine();
  const kernel = kernelFeatures(opts.kernelRelease ?? os.release());
  if (!isMounted(dir)) return { binfmtDir: dir, mounted: false, global: null, machine, kernel, entries: [] };
  const live = readLiveEntries(dir);
  const entries = live.map((e, i): StatusEntry => {
    const r = e.rule;
    const targets = servedTargets(r);
    let exists = false;
    try {
      exists = statSync(Buffer.from(r.interpreter, 'latin1')).isFile();
    } catch { /* missing */ }
    const s = sampleFor(r);
    // Entries earlier in `live` are newer: the kernel tries them first.
    const shadowedBy = e.enabled ? live.slice(0, i).filter((n) => n.enabled && matchRule(n.rule, s.head, s.path).matches).map((n) => n.name) : [];
    const out: StatusEntry = {
      name: e.name, enabled: e.enabled, ours: isOurs(r), serves: targets.length ? targets.join(',') : 'other', targets, type: r.type,
      interpreter: r.interpreter, interpreterExists: exists, interpreterStatic: exists ? elfIsStatic(r.interpreter) : null,
      pinned: r.flags.includes('F'), flags: r.flags, shadowedBy,
    };
    if (r.type === 'M') Object.assign(out, { offset: r.offset, magic: toHex(r.magic), mask: r.mask ? toHex(r.mask) : null });
    else out.extension = r.extension;
    return out;
  });
  return { binfmtDir: dir, mounted: true, global: readGlobalStatus(dir), machine, kernel, entries };
}
