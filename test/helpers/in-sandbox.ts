// Library calls inside a private binfmt_misc instance, compile-checked.
//
// A private instance lives in a new user namespace, which only a new process
// can enter (src/host/namespace.ts wraps unshare(1)); so a test that drives
// the library against the kernel runs this file there:
//   node dist/test/helpers/in-sandbox.js '<JSON steps>'
// Each step names an operation of OPS below (which import the real modules)
// and its argument; the steps run in order in one process, and one JSON
// array of outcomes comes back. A renamed or retyped export breaks OPS, and a
// wrong step breaks the test that builds it: both fail `tsc`.
import { fileURLToPath } from 'node:url';
import type { SpawnSyncReturns } from 'node:child_process';
import { getTarget } from '../../src/core/arch.js';
import { isXarchError } from '../../src/core/errors.js';
import { ruleFromTarget, sameRule, type Rule } from '../../src/core/rule.js';
import {
  DEFAULT_BINFMT_DIR, ensureMounted, listEntryNames, registerRule, removeEntry, setEntryEnabled, setGlobalEnabled,
} from '../../src/host/kernel.js';
import { installRules, installTargets, type InstallOptions } from '../../src/manage/install.js';
import type { PlanRequest } from '../../src/manage/plan.js';
import { inSandbox } from './env.js';

/** A catalogue target's rule, as JSON can carry it (magic and mask come from the catalogue). */
export interface RuleSpec {
  target: string;
  name?: string;
  interpreter: string;
  flags: string;
}

function ruleOf(s: RuleSpec): Rule {
  const t = getTarget(s.target);
  if (!t) throw new Error(`unknown target ${s.target}`);
  return ruleFromTarget(t, s);
}

/** The private instance (src/host/namespace.ts exports its mount point to the namespace). */
const sandboxDir = (): string => process.env.XARCH_SANDBOX_BINFMT ?? DEFAULT_BINFMT_DIR;

/** Options of manage calls that JSON can carry (no persistence hooks). */
type JsonInstallOptions = Omit<InstallOptions, 'persist'>;

const OPS = {
  registerRule(s: RuleSpec) {
    const rule = ruleOf(s);
    const back = registerRule(sandboxDir(), rule);
    return { name: back.name, enabled: back.enabled, sameAsGiven: sameRule(back.rule, rule) };
  },
  setEntryEnabled: (a: { name: string; enabled: boolean }) => setEntryEnabled(sandboxDir(), a.name, a.enabled).enabled,
  removeEntry: (a: { name: string }) => removeEntry(sandboxDir(), a.name),
  setGlobalEnabled: (a: { enabled: boolean }) => setGlobalEnabled(sandboxDir(), a.enabled),
  listEntryNames: () => listEntryNames(sandboxDir()),
  /** dir defaults to the private instance's mount point. */
  ensureMounted: (a: { dir?: string }) => ensureMounted(a.dir ?? sandboxDir()),
  installTargets: (a: { request: PlanRequest; options?: JsonInstallOptions }) => installTargets(a.request, { binfmtDir: sandboxDir(), ...a.options }),
  installRules: (a: { rules: RuleSpec[]; options?: JsonInstallOptions }) => installRules(a.rules.map(ruleOf), { binfmtDir: sandboxDir(), ...a.options }),
} satisfies Record<string, (arg: never) => unknown>;

type Ops = typeof OPS;
type OpName = keyof Ops;

/** One call: [operation, argument]. */
export type Step = { [K in OpName]: Parameters<Ops[K]> extends [] ? [K] : [K, Parameters<Ops[K]>[0]] }[OpName];

/** What a thrown error looks like in an outcome. */
export interface ThrownError {
  code?: string;
  errno?: string;
  message: string;
  hint?: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ThrownError };

/** The outcome of each step, typed by the operation it names (values as JSON carries them). */
export type Outcomes<S extends readonly Step[]> = { [I in keyof S]: S[I] extends [infer K extends OpName, ...unknown[]] ? Outcome<Awaited<ReturnType<Ops[K]>>> : never };

/** argv that runs the steps with this file (compiled, in dist/) in the current namespace. */
export function stepsArgv(steps: readonly Step[]): string[] {
  return [process.execPath, fileURLToPath(import.meta.url), JSON.stringify(steps)];
}

/** The same as one shell command (for scripts that also run the CLI in the namespace). */
export function stepsCommand(steps: readonly Step[]): string {
  return stepsArgv(steps).map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** The steps' outcomes, from the JSON array this file printed as the last line of `stdout`. */
export function parseOutcomes<S extends readonly Step[]>(stdout: string, _steps: S): Outcomes<S> {
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Outcomes<S>;
}

/** Run the steps in a fresh private instance; `setup` runs first in its shell (see src/host/namespace.ts). */
export function runInSandbox<const S extends readonly Step[]>(steps: S, opts: { setup?: string } = {}): { outcomes: Outcomes<S>; result: SpawnSyncReturns<string> } {
  const result = inSandbox(stepsArgv(steps), opts);
  if (result.status !== 0) throw new Error(`in-sandbox steps exited ${result.status}: ${result.stderr}`);
  return { outcomes: parseOutcomes(result.stdout, steps), result };
}

/** The value of a successful outcome; a failed one fails the test with the error. */
export function valueOf<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`step failed: ${o.error.code ?? ''} ${o.error.message}`);
  return o.value;
}

/** The error of a failed outcome; a successful one fails the test. */
export function errorOf<T>(o: Outcome<T>): ThrownError {
  if (o.ok) throw new Error(`step succeeded, but an error was expected: ${JSON.stringify(o.value)}`);
  return o.error;
}

async function main(json: string): Promise<void> {
  const steps = JSON.parse(json) as Step[];
  const outcomes: Outcome<unknown>[] = [];
  for (const [name, arg] of steps as [OpName, never][]) {
    try {
      outcomes.push({ ok: true, value: await OPS[name](arg) });
    } catch (e) {
      const x = e as { code?: string; errno?: string; message?: string; hint?: string };
      outcomes.push({ ok: false, error: isXarchError(e) ? { code: x.code, errno: x.errno, message: e.message, hint: x.hint } : { message: String(x.message ?? e) } });
    }
  }
  process.stdout.write(JSON.stringify(outcomes) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv[2] ?? '[]');
