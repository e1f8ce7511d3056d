import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lint, hostSampleHeaders, type LintContext } from '../src/core/lint.js';
import { parseRegister, ruleFromTarget } from '../src/core/rule.js';
import { TARGETS, isHostTarget } from '../src/core/arch.js';

const codes = (line: string, ctx: Partial<LintContext> = {}) => {
  const r = parseRegister(line);
  assert.ok(r.ok, line);
  return lint(r.rule, { hostMachine: 'x86_64', ...ctx }).map((f) => f.code).sort();
};

const AARCH64 = ':q:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:F';

test('lint: table of rules and findings', () => {
  const cases: [string, string[], Partial<LintContext>?][] = [
    [AARCH64, []],
    [AARCH64.replace(':\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00', ':\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff'), ['MISSES_GNU_OSABI']],
    [AARCH64.replace('\\xfe\\xff\\xff\\xff:/usr', '\\xff\\xff\\xff\\xff:/usr'), ['MISSES_PIE']],
    [AARCH64.replace(':F', ':F'), ['F_DYNAMIC_INTERPRETER'], { interpreter: { linkage: 'dynamic', loader: '/lib64/ld-linux-x86-64.so.2' } }],
    [AARCH64.replace('/usr/bin/qemu-aarch64-static:F', 'qemu-aarch64:'), ['RELATIVE_INTERPRETER']],
    [AARCH64.replace(':F', ':C'), ['C_FLAG']],
    [AARCH64.replace(':F', ':O'), ['O_SCRIPT_INTERPRETER'], { interpreter: { linkage: 'script' } }],
    [':x:M::\\x7fELF\\x02\\x01\\x01::/bin/true:', ['MATCHES_HOST_BINARIES']],
    [':x:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x3e\\x00::/x:', ['MATCHES_HOST_BINARIES', 'MISSES_GNU_OSABI', 'MISSES_PIE']],
    [':x:M::#!::/x:', ['MATCHES_SCRIPTS']],
    [':x:M::\\x00:\\x00:/x:', ['MATCHES_HOST_BINARIES', 'MATCHES_SCRIPTS']],
    [':x:M::\\x21\\x21:\\xf0\\xf0:/x:', ['MASK_IGNORES_MAGIC', 'MATCHES_SCRIPTS']],
    [':x:M::QZ:\\xff\\x0f:/x:', ['MASK_IGNORES_MAGIC']],
    [':x:E::foo::/x:', []],
  ];
  for (const [line, want, ctx] of cases) assert.deepEqual(codes(line, ctx), want, line);
});

test('lint: real host samples are used, and every catalogue target is clean except the host family', () => {
  const elf = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0xb7, 0]);
  assert.deepEqual(codes(AARCH64, { hostMachine: 'aarch64' }), ['MATCHES_HOST_BINARIES']);
  assert.deepEqual(codes(AARCH64, { hostSamples: [{ label: '/bin/busybox', head: elf }] }), ['MATCHES_HOST_BINARIES']);
  for (const t of TARGETS) {
    const r = ruleFromTarget(t, { interpreter: `/usr/bin/qemu-${t.cpu}-static`, flags: 'F' });
    const found = lint(r, { hostMachine: 'x86_64' }).map((f) => f.code);
    assert.deepEqual(found, isHostTarget(t, 'x86_64') ? ['MATCHES_HOST_BINARIES'] : [], t.name);
  }
  assert.equal(hostSampleHeaders('x86_64').length, 12);
});
