// The install planner (src/manage/plan.ts) on values: requested targets or
// rules, live entries, emulators, machine, kernel release, options and
// interpreter facts in; the plan out. No kernel, no file system: the facts a
// real install gathers (test/manage.test.ts drives those against the kernel)
// are written here as the values the edges would produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTarget } from '../src/core/arch.js';
import { XarchError } from '../src/core/errors.js';
import type { LiveEntry } from '../src/core/match.js';
import { stringBytes } from '../src/core/bytes.js';
import { renderRegister, ruleFromTarget, type Rule } from '../src/core/rule.js';
import type { Emulator } from '../src/emulators/emulator.js';
import {
  decide, defaultFlags, planRules, planTargets, type InstallItem, type InterpreterCheck, type Plan, type PlanAction, type PlanFacts, type PlanOptions,
} from '../src/manage/plan.js';

const STATIC = '/usr/bin/qemu-aarch64-static';
const DYNAMIC = '/usr/bin/qemu-aarch64';
const WRAPPER = '/usr/libexec/qemu-binfmt/aarch64-binfmt-P';

const emulator = (target: string, p: string, kind: Emulator['kind'], more: Partial<Emulator> = {}): Emulator => ({
  target, cpu: getTarget(target)!.cpu, path: p, kind, static: kind !== 'dynamic', version: '7.2.22 (Debian 1:7.2+dfsg-7)', preserveArgv0: true, ...more,
});
const QEMU_AARCH64 = emulator('aarch64', STATIC, 'static');
const QEMU_S390X = emulator('s390x', '/usr/bin/qemu-s390x-static', 'static');
const QEMU_X86_64 = emulator('x86_64', '/usr/bin/qemu-x86_64-static', 'static');

const safe: InterpreterCheck = { problem: null, static: true };
const problem = (code: 'EMULATOR_UNSAFE' | 'EMULATOR_NOT_FOUND', message: string): InterpreterCheck => ({ problem: new XarchError(code, message), static: null });

/** Facts as the edges would gather them: every interpreter safe and static unless given. */
function facts(more: { entries?: LiveEntry[]; mounted?: boolean; globalEnabled?: boolean; interpreters?: Record<string, InterpreterCheck>; kernelRelease?: string } = {}): PlanFacts {
  const interpreters = new Map<string, InterpreterCheck>([
    [STATIC, safe], [DYNAMIC, { problem: null, static: false }], [WRAPPER, safe],
    ['/usr/bin/qemu-s390x-static', safe], ['/usr/bin/qemu-x86_64-static', safe],
    ...Object.entries(more.interpreters ?? {}),
  ]);
  return {
    machine: 'x86_64', kernelRelease: more.kernelRelease ?? '6.18.0', interpreters,
    instance: { mounted: more.mounted ?? true, entries: more.entries ?? [], globalEnabled: more.globalEnabled ?? true },
  };
}

const aarch64 = (interpreter = STATIC, flags = 'POF'): Rule => ruleFromTarget(getTarget('aarch64')!, { interpreter, flags });
const live = (rule: Rule, enabled = true): LiveEntry => ({ name: rule.name, enabled, rule });
// Debian's qemu-user-static entry: our name, its own mask (EI_OSABI 0xfc).
const debianMask = Uint8Array.from(getTarget('aarch64')!.mask);
debianMask[7] = 0xfc;
const DEBIAN_ENTRY = live({ ...aarch64(WRAPPER, 'POCF'), mask: debianMask });
const BOX64 = live({ ...aarch64('/usr/local/bin/box64', ''), name: 'box64', mask: null, magic: getTarget('aarch64')!.magic.subarray(0, 20) });

interface Row {
  label: string;
  targets?: string[];
  emulators?: Emulator[];
  facts?: Parameters<typeof facts>[0];
  options?: PlanOptions;
  /** What the one item of the plan comes to. */
  action: PlanAction;
  status: InstallItem['status'];
  reason: string | RegExp;
  code?: string;
  flags?: string;
  warning?: RegExp;
  conflicts?: InstallItem['conflicts'];
}

const ROWS: Row[] = [
  // ---- every status
  { label: 'absent: register', action: 'register', status: 'installed', reason: 'registered', flags: 'POF' },
  { label: 'identical and enabled: unchanged', facts: { entries: [live(aarch64())] }, action: 'unchanged', status: 'unchanged', reason: 'already registered' },
  { label: 'ours, different: replace', facts: { entries: [live(aarch64(DYNAMIC, 'OF'))] }, action: 'replace', status: 'replaced', reason: `replaced: interpreter ${DYNAMIC} → ${STATIC}, flags 'OF' → 'POF'` },
  { label: 'identical but disabled: enable', facts: { entries: [live(aarch64(), false)] }, action: 'enable', status: 'replaced', reason: 'identical but disabled: enabled it' },
  { label: "another tool's entry of our name: skipped", facts: { entries: [DEBIAN_ENTRY] }, action: 'skip', status: 'skipped', reason: /^an entry named qemu-aarch64 exists and is not xarch's \(\/usr\/libexec\/qemu-binfmt\/aarch64-binfmt-P, flags 'POCF', other magic\/mask\): left alone; --force replaces it$/ },
  { label: "another tool's entry with --force: replace", facts: { entries: [DEBIAN_ENTRY] }, options: { force: true }, action: 'replace', status: 'replaced', reason: /^replaced: interpreter .*aarch64-binfmt-P → \/usr\/bin\/qemu-aarch64-static, flags 'POCF' → 'POF', magic\/mask$/ },
  { label: 'named target without an emulator: failed', targets: ['riscv64'], action: 'refuse', status: 'failed', code: 'EMULATOR_NOT_FOUND', reason: /^no emulator for riscv64 \(looked for qemu-riscv64-static, qemu-riscv64, riscv64-binfmt-P\)$/ },
  { label: "'all': a target without an emulator is skipped", targets: ['all'], emulators: [], action: 'skip', status: 'skipped', reason: /^no emulator for aarch64 / },

  // ---- conflicts, and which entry wins
  { label: 'conflict: the newly registered entry wins over an older one', facts: { entries: [BOX64] }, action: 'register', status: 'installed', reason: 'registered', conflicts: [{ name: 'box64', winner: 'qemu-aarch64' }] },
  { label: 'conflict: a newer entry wins over our unchanged one', facts: { entries: [BOX64, live(aarch64())] }, action: 'unchanged', status: 'unchanged', reason: 'already registered', conflicts: [{ name: 'box64', winner: 'box64' }] },
  { label: 'conflict: a re-enabled entry keeps its place', facts: { entries: [BOX64, live(aarch64(), false)] }, action: 'enable', status: 'replaced', reason: 'identical but disabled: enabled it', conflicts: [{ name: 'box64', winner: 'box64' }] },
  { label: 'no conflict with a disabled entry', facts: { entries: [live(BOX64.rule, false)] }, action: 'register', status: 'installed', reason: 'registered' },
  { label: 'conflict with the instance switched off: no entry wins, so our own name is given', facts: { entries: [BOX64], globalEnabled: false }, action: 'register', status: 'installed', reason: 'registered', conflicts: [{ name: 'box64', winner: 'qemu-aarch64' }] },

  // ---- refusals
  { label: 'host family', targets: ['x86_64'], emulators: [QEMU_X86_64], action: 'refuse', status: 'failed', code: 'HOST_FAMILY', reason: /^x86_64 is the host's own family \(x86_64\)/ },
  { label: 'host family with --allow-host: registered, with the lint warning', targets: ['x86_64'], emulators: [QEMU_X86_64], options: { allowHost: true }, action: 'register', status: 'installed', reason: 'registered', warning: /matches the host's own binaries/ },
  { label: 'relative interpreter (fact)', facts: { interpreters: { [STATIC]: problem('EMULATOR_UNSAFE', 'interpreter qemu is a relative path') } }, action: 'refuse', status: 'failed', code: 'EMULATOR_UNSAFE', reason: 'interpreter qemu is a relative path' },
  { label: 'missing interpreter (fact)', facts: { interpreters: { [STATIC]: problem('EMULATOR_NOT_FOUND', `interpreter ${STATIC} does not exist`) } }, action: 'refuse', status: 'failed', code: 'EMULATOR_NOT_FOUND', reason: `interpreter ${STATIC} does not exist` },
  { label: 'interpreter writable by others (fact)', facts: { interpreters: { [STATIC]: problem('EMULATOR_UNSAFE', 'interpreter x is unsafe: /usr/bin is writable by group or others') } }, action: 'refuse', status: 'failed', code: 'EMULATOR_UNSAFE', reason: /writable by group or others/ },
  { label: 'F with a dynamic emulator: refused', emulators: [emulator('aarch64', DYNAMIC, 'dynamic')], options: { flags: 'OF' }, action: 'refuse', status: 'failed', code: 'EMULATOR_UNSAFE', reason: /^F pins \/usr\/bin\/qemu-aarch64, but it is dynamically linked/ },
  { label: 'F with a dynamic emulator and --force: registered with a warning', emulators: [emulator('aarch64', DYNAMIC, 'dynamic')], options: { flags: 'OF', force: true }, action: 'register', status: 'installed', reason: 'registered', flags: 'OF', warning: /F with a dynamically linked emulator/ },
  { label: 'a dynamic emulator by default: no F', emulators: [emulator('aarch64', DYNAMIC, 'dynamic')], action: 'register', status: 'installed', reason: 'registered', flags: 'PO' },
  { label: 'the -binfmt-P wrapper without P: refused', emulators: [emulator('aarch64', WRAPPER, 'wrapper')], options: { flags: 'OF' }, action: 'refuse', status: 'failed', code: 'EMULATOR_UNSAFE', reason: /is a Debian -binfmt-P wrapper: .*flag P/ },
  { label: 'the -binfmt-P wrapper with P (its default)', emulators: [emulator('aarch64', WRAPPER, 'wrapper')], action: 'register', status: 'installed', reason: 'registered', flags: 'POF' },
  { label: 'flags that are not binfmt_misc flags', options: { flags: 'PX' }, action: 'refuse', status: 'failed', code: 'USAGE', reason: /^invalid flags 'PX'/ },
  { label: 'F on a kernel older than 4.8', facts: { kernelRelease: '4.4.0' }, options: { flags: 'OF' }, action: 'refuse', status: 'failed', code: 'KERNEL_TOO_OLD', reason: 'flag F needs Linux 4.8 (this is 4.4.0)' },
  { label: 'default flags on a kernel older than 4.8: no F', facts: { kernelRelease: '4.4.0' }, emulators: [emulator('aarch64', STATIC, 'static', { preserveArgv0: false })], action: 'register', status: 'installed', reason: 'registered', flags: 'O' },
  { label: 'P with an emulator that may not honour it: a warning', emulators: [emulator('aarch64', STATIC, 'static', { preserveArgv0: false, version: '5.2.0' })], options: { flags: 'POF' }, action: 'register', status: 'installed', reason: 'registered', warning: /may not honour P \(QEMU 5\.2\.0/ },
  { label: '--credentials: C, with the warning', options: { credentials: true }, action: 'register', status: 'installed', reason: 'registered', flags: 'POCF', warning: /^flag C: a setuid/ },

  // ---- dry run
  { label: 'dry run: would register', options: { dryRun: true }, action: 'register', status: 'installed', reason: 'would register' },
  { label: 'dry run, not mounted: would mount', facts: { mounted: false }, options: { dryRun: true }, action: 'register', status: 'installed', reason: 'would mount binfmt_misc and register' },
  { label: 'dry run: would replace', facts: { entries: [live(aarch64(DYNAMIC, 'OF'))] }, options: { dryRun: true }, action: 'replace', status: 'replaced', reason: /^would replace: interpreter/ },
  { label: 'dry run: would enable', facts: { entries: [live(aarch64(), false)] }, options: { dryRun: true }, action: 'enable', status: 'replaced', reason: 'identical but disabled: would enable it' },
  { label: 'dry run: unchanged stays unchanged', facts: { entries: [live(aarch64())] }, options: { dryRun: true }, action: 'unchanged', status: 'unchanged', reason: 'already registered' },
  { label: 'dry run: conflicts predicted', facts: { entries: [BOX64] }, options: { dryRun: true }, action: 'register', status: 'installed', reason: 'would register', conflicts: [{ name: 'box64', winner: 'qemu-aarch64' }] },
];

test('planTargets: one target, every status, conflict, refusal and dry run', () => {
  for (const row of ROWS) {
    const plan = planTargets({ targets: row.targets ?? ['arm64'] }, row.emulators ?? [QEMU_AARCH64], facts(row.facts), row.options);
    const step = row.targets?.[0] === 'all' ? plan.steps.find((s) => s.candidate.target === 'aarch64')! : plan.steps[0]!;
    assert.equal(row.targets?.[0] === 'all' || plan.steps.length === 1, true, row.label);
    assert.equal(step.action, row.action, row.label);
    assert.equal(step.item.status, row.status, row.label);
    if (typeof row.reason === 'string') assert.equal(step.item.reason, row.reason, row.label);
    else assert.match(step.item.reason ?? '', row.reason, row.label);
    assert.equal(step.item.error?.code, row.code, row.label);
    if (row.flags !== undefined) assert.equal(step.item.flags, row.flags, row.label);
    if (row.warning) assert.match((step.item.warnings ?? []).join('\n'), row.warning, row.label);
    else if (!row.options?.credentials) assert.equal(step.item.warnings, undefined, row.label);
    assert.deepEqual(step.item.conflicts, row.conflicts, row.label);
    assert.equal(step.item.dryRun, row.options?.dryRun ? true : undefined, row.label);
    // What would be written is shown for every item that gets as far as a rule.
    if (step.candidate.emulator) assert.equal(step.item.register, renderRegister(step.candidate.rule), row.label);
  }
});

test('an installed item carries the register line, the emulator and the target', () => {
  const [step] = planTargets({ targets: ['arm64'] }, [QEMU_AARCH64], facts()).steps;
  assert.deepEqual(step!.item, {
    name: 'qemu-aarch64', status: 'installed', interpreter: STATIC, flags: 'POF',
    register: ':qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00'
      + ':\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:POF',
    target: 'aarch64',
    emulator: { path: STATIC, kind: 'static', static: true, version: QEMU_AARCH64.version, preserveArgv0: true },
    reason: 'registered',
  });
});

test('selection: names in any scheme, deduplicated; the default is every foreign target with an emulator; unknown names throw', () => {
  const names = (targets: string[], emulators = [QEMU_AARCH64, QEMU_S390X, QEMU_X86_64]) => planTargets({ targets }, emulators, facts()).steps.map((s) => s.item.name);
  assert.deepEqual(names(['arm64', 'aarch64', 'linux/arm64', 's390x']), ['qemu-aarch64', 'qemu-s390x']);
  assert.deepEqual(names([]), ['qemu-aarch64', 'qemu-s390x']);
  const all = planTargets({ targets: ['all'] }, [QEMU_AARCH64], facts()).steps;
  assert.ok(all.length > 10);
  assert.ok(!all.some((s) => ['x86_64', 'i386', 'i486'].includes(s.candidate.target!)), 'the host family is not in all');
  assert.deepEqual(all.filter((s) => s.action !== 'skip').map((s) => s.item.name), ['qemu-aarch64']);
  assert.throws(() => names(['nonsense-arch']), { code: 'ARCH_UNKNOWN' });
});

test('mount: only when something will be written and binfmt_misc is not mounted', () => {
  const mount = (f: Parameters<typeof facts>[0], options: PlanOptions = {}, targets = ['arm64']): boolean =>
    planTargets({ targets }, [QEMU_AARCH64, QEMU_X86_64], facts(f), options).mount;
  const table: [string, boolean, Parameters<typeof facts>[0], PlanOptions?, string[]?][] = [
    ['not mounted', true, { mounted: false }],
    ['mounted', false, {}],
    ['not mounted, dry run', false, { mounted: false }, { dryRun: true }],
    ['not mounted, mount: false', false, { mounted: false }, { mount: false }],
    ['not mounted, everything refused', false, { mounted: false }, {}, ['x86_64']],
  ];
  for (const [label, want, f, o, t] of table) assert.equal(mount(f, o, t), want, label);
});

test('later items see what earlier ones will have done (and conflicts are against the end state)', () => {
  const a = aarch64();
  const plan = planRules([a, a, { ...BOX64.rule }], facts({ interpreters: { '/usr/local/bin/box64': safe } }));
  assert.deepEqual(plan.steps.map((s) => [s.action, s.item.status, s.item.reason]), [
    ['register', 'installed', 'registered'], ['unchanged', 'unchanged', 'already registered'], ['register', 'installed', 'registered'],
  ]);
  // box64 is registered after qemu-aarch64, so it is the newer and wins for both.
  assert.deepEqual(plan.steps[0]!.item.conflicts, [{ name: 'box64', winner: 'box64' }]);
  assert.deepEqual(plan.steps[2]!.item.conflicts, [{ name: 'qemu-aarch64', winner: 'box64' }]);
});

test('planRules: raw rules get the same checks; ours get their target; lint errors are refused unless --force', () => {
  const script: Rule = { name: 'scripts', type: 'M', offset: 0, magic: stringBytes('#!'), mask: null, extension: '', interpreter: STATIC, flags: '' };
  const rel: Rule = { ...aarch64('qemu-aarch64-static', ''), name: 'rel' };
  const f = facts({ interpreters: { 'qemu-aarch64-static': problem('EMULATOR_UNSAFE', 'interpreter qemu-aarch64-static is a relative path') } });
  const rules = [aarch64(), rel, { ...aarch64(WRAPPER, 'F'), name: 'wrap' }, { ...aarch64(DYNAMIC, 'F'), name: 'dyn' }, script];
  const plan = planRules(rules, f);
  assert.deepEqual(plan.steps.map((s) => [s.item.name, s.item.target, s.item.status, s.item.error?.code]), [
    ['qemu-aarch64', 'aarch64', 'installed', undefined],
    ['rel', undefined, 'failed', 'EMULATOR_UNSAFE'],
    ['wrap', undefined, 'failed', 'EMULATOR_UNSAFE'],
    ['dyn', undefined, 'failed', 'EMULATOR_UNSAFE'],
    ['scripts', undefined, 'failed', 'RULE_INVALID'],
  ]);
  const forced = planRules(rules, f, { force: true }).steps;
  assert.deepEqual(forced.map((s) => s.item.status), ['installed', 'failed', 'failed', 'installed', 'installed']);
  assert.match(forced[4]!.item.warnings!.join('\n'), /#! scripts match this rule/);
  const host = planRules([ruleFromTarget(getTarget('x86_64')!, { name: 'host', interpreter: '/usr/bin/qemu-x86_64-static', flags: 'F' })], facts()).steps[0]!;
  assert.deepEqual([host.item.status, host.item.error?.code], ['failed', 'HOST_FAMILY']);
});

test('an interpreter without gathered facts is a programming error, not a guess', () => {
  assert.throws(() => planRules([aarch64('/opt/unchecked', '')], facts()), { code: 'INTERNAL' });
});

test('decide again after a concurrent change: the reasons say so', () => {
  const [step] = planTargets({ targets: ['arm64'] }, [QEMU_AARCH64], facts()).steps;
  const ctx: Plan['context'] = { mounted: true, dryRun: false, force: false };
  assert.deepEqual(decide(step!.candidate, live(aarch64()), ctx, 1).item.reason, 'registered concurrently by another process, identical');
  assert.deepEqual(decide(step!.candidate, null, ctx, 1).item.reason, 'registered after a concurrent removal');
  assert.equal(decide(step!.candidate, DEBIAN_ENTRY, ctx, 1).action, 'skip');
});

test('defaultFlags: P where honoured, O, F when static on 4.8+, C on request', () => {
  const table: [Partial<Emulator>, boolean, string, string][] = [
    [{}, false, '6.18.0', 'POF'],
    [{}, true, '6.18.0', 'POCF'],
    [{ preserveArgv0: false }, false, '6.18.0', 'OF'],
    [{ kind: 'dynamic', static: false }, false, '6.18.0', 'PO'],
    [{}, false, '4.4.0', 'PO'],
  ];
  for (const [more, credentials, release, want] of table) assert.equal(defaultFlags({ ...QEMU_AARCH64, ...more }, credentials, release), want, JSON.stringify(more));
});

test('the planner is pure: no node built-ins, no host/ or emulator discovery among its imports', () => {
  // Walk the compiled import graph from plan.js.
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /\bprocess\./, `${path.relative(dist, file)} uses process`);
    for (const m of text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      assert.ok(spec.startsWith('.'), `${path.relative(dist, file)} imports ${spec}`);
      walk(path.resolve(path.dirname(file), spec));
    }
  };
  walk(path.join(dist, 'manage/plan.js'));
  const rel = [...seen].map((f) => path.relative(dist, f)).sort();
  assert.ok(rel.every((f) => f.startsWith('core/') || ['emulators/emulator.js', 'manage/options.js', 'manage/ownership.js', 'manage/plan.js'].includes(f)), rel.join(', '));
});
