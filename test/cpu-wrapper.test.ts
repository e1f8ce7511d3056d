// QEMU CPU models reaching QEMU: the wrapper binfmt_misc handlers run
// (src/core/cpu-wrapper.ts), run --cpu and shell --cpu (QEMU_CPU), and
// install --cpu registered in a private binfmt_misc instance with a real
// Debian arm64 busybox. The oracle is the guest's AT_HWCAP, which QEMU
// computes from the CPU model's features (cortex-a53 has far fewer than max).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixtureRoot, inSandbox, needFixture, needSandbox, xarch } from './helpers/env.js';
import { buildCpuWrapper, CPU_WRAPPER_EXIT } from '../src/core/cpu-wrapper.js';
import { bytesReadAt, parseElf } from '../src/core/elf.js';

const QEMU = '/usr/bin/qemu-aarch64-static';
const needQemu = (): string | false => {
  const r = existsSync(QEMU) ? false : `${QEMU} is not installed (apt-get install qemu-user-static)`;
  if (r) console.log(`# skip reason: ${r}`);
  return r;
};
const busybox = () => path.join(fixtureRoot('arm64')!, 'bin', 'busybox');
// Root-owned parents without world-writable directories: install's interpreter checks refuse /tmp.
const wrappers = mkdtempSync('/var/lib/xarch-test-cpu-wrappers-');
test.after(() => rmSync(wrappers, { recursive: true, force: true }));

/** The AT_HWCAP value in a guest's `od -t x8 /proc/self/auxv` output. */
function hwcap(odOutput: string): string {
  const words = odOutput.trim().split(/\s+/);
  for (let i = 0; i + 1 < words.length; i += 2) if (BigInt(`0x${words[i]}`) === 16n) return words[i + 1]!;
  throw new Error(`no AT_HWCAP in ${odOutput}`);
}
const AUXV = ['od', '-A', 'n', '-t', 'x8', '/proc/self/auxv'];
const direct = (model: string) => hwcap(spawnSync(QEMU, ['-cpu', model, busybox(), ...AUXV], { encoding: 'utf8' }).stdout);

test('the wrapper is a static x86_64 ELF executable; bad input is a typed error', () => {
  const elf = parseElf(bytesReadAt(buildCpuWrapper('x86_64', { emulator: QEMU, model: 'cortex-a53' })));
  assert.equal(elf.machine, 62);
  assert.equal(elf.linkage, 'static');
  assert.throws(() => buildCpuWrapper('aarch64', { emulator: QEMU, model: 'max' }), (e: any) => e.code === 'HOST_FAMILY');
  assert.throws(() => buildCpuWrapper('x86_64', { emulator: 'qemu-aarch64', model: 'max' }), (e: any) => e.code === 'EMULATOR_UNSAFE');
  assert.throws(() => buildCpuWrapper('x86_64', { emulator: QEMU, model: 'max; rm -rf /' }), (e: any) => e.code === 'CPU_MODEL_UNKNOWN');
});

test('the wrapper execs QEMU with -cpu MODEL and the program; a missing emulator exits 127 with one line', { skip: needFixture('arm64') || needQemu() }, () => {
  const dir = mkdtempSync(path.join(wrappers, 'direct-'));
  const write = (name: string, emulator: string, model: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, buildCpuWrapper('x86_64', { emulator, model }));
    chmodSync(f, 0o755);
    return f;
  };
  const a53 = write('a53', QEMU, 'cortex-a53');
  // Started as binfmt_misc starts it without P: [interpreter, filename, args...].
  const r = spawnSync(a53, [busybox(), ...AUXV], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(hwcap(r.stdout), direct('cortex-a53'));
  assert.notEqual(direct('cortex-a53'), direct('max'));
  // `--` ends QEMU's options: arguments that look like options reach the program.
  assert.equal(spawnSync(a53, [busybox(), 'echo', '-cpu', '--', '-L'], { encoding: 'utf8' }).stdout, '-cpu -- -L\n');
  const missing = spawnSync(write('missing', '/nonexistent/qemu-aarch64', 'max'), [busybox(), 'true'], { encoding: 'utf8' });
  assert.equal(missing.status, CPU_WRAPPER_EXIT);
  assert.equal(missing.stderr.split('\n').filter(Boolean).length, 1);
  assert.match(missing.stderr, /cannot exec \/nonexistent\/qemu-aarch64 -cpu max/);
  const alone = spawnSync(a53, [], { encoding: 'utf8' });
  assert.equal(alone.status, CPU_WRAPPER_EXIT);
});

test('run --cpu: the model is in effect; a model QEMU lacks fails before running, in one line', { skip: needFixture('arm64') || needQemu() }, () => {
  for (const model of ['cortex-a53', 'max']) {
    const r = xarch(['run', '--cpu', model, busybox(), ...AUXV]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(hwcap(r.stdout), direct(model), model);
  }
  const bad = xarch(['run', '--cpu', 'power9', busybox(), 'echo', 'ran']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^xarch: qemu-aarch64-static has no CPU model 'power9' for aarch64\n  hint: models it has: .*neoverse-n1/);
  const dry = JSON.parse(xarch(['run', '--dry-run', '--json', '--cpu', 'max', busybox()]).stdout);
  assert.equal(dry.cpu, 'max');
  assert.equal('cpu' in JSON.parse(xarch(['run', '--dry-run', '--json', busybox()]).stdout), false);
});

test('shell --cpu: QEMU_CPU reaches every emulated process of the session', { skip: needFixture('arm64') || needQemu() || needSandbox() }, () => {
  const root = fixtureRoot('arm64')!;
  // The od is a second foreign exec, through the session's own handler.
  const r = xarch(['shell', root, '--cpu', 'cortex-a53', '--', '/bin/busybox', 'sh', '-c', `busybox ${AUXV.join(' ')}; echo "cpu=$QEMU_CPU"`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(hwcap(r.stdout.split('cpu=')[0]!), direct('cortex-a53'));
  assert.match(r.stdout, /cpu=cortex-a53\n$/);
  const bad = xarch(['shell', root, '--cpu', 'z14', '--', '/bin/true']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^xarch: qemu-aarch64-static has no CPU model 'z14' for aarch64\n  hint: /);
});

function installed(flags: string[]): { status: number | null; item: any; hwcap: string; argv0: string; entry: string; stderr: string } {
  const script = `"$NODE" "$CLI" install arm64 --cpu cortex-a53 ${flags.join(' ')} --json > "$OUT" || exit 9
"$BB" ${AUXV.join(' ')} > "$OUT.auxv"
bash -c 'exec -a custom-argv0 "$BB"' > "$OUT.argv0" 2>&1
cat /proc/sys/fs/binfmt_misc/qemu-aarch64 > "$OUT.entry"`;
  const out = path.join(mkdtempSync(path.join(wrappers, 'out-')), 'o');
  const r = inSandbox(['sh', '-c', script], { env: { ...process.env, NODE: process.execPath, CLI, BB: busybox(), OUT: out, XARCH_CPU_WRAPPERS: wrappers } });
  const read = (f: string) => spawnSync('cat', [f], { encoding: 'utf8' }).stdout;
  return { status: r.status, item: r.status === 0 ? JSON.parse(read(out)) : null, hwcap: r.status === 0 ? hwcap(read(`${out}.auxv`)) : '', argv0: read(`${out}.argv0`), entry: read(`${out}.entry`), stderr: r.stderr };
}

test('install --cpu in a private instance: the wrapper is registered, probed, and the model is in effect', { skip: needFixture('arm64') || needQemu() || needSandbox() }, () => {
  const r = installed([]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.item.status, 'installed');
  assert.equal(r.item.flags, 'PF');
  assert.ok(r.item.interpreter.startsWith(`${wrappers}/cortex-a53-`), r.item.interpreter);
  assert.match(r.item.interpreter, /\/qemu-aarch64$/);
  assert.equal(r.item.probe.ok, true, JSON.stringify(r.item.probe));
  assert.match(r.entry, /^enabled\ninterpreter .*cortex-a53-.*\nflags: PF\n/);
  assert.equal(r.hwcap, direct('cortex-a53'));
  // P: the wrapper turns AT_FLAGS_PRESERVE_ARGV0 into QEMU's -0.
  assert.match(r.argv0, /^custom-argv0: applet not found/);
  // Without P the program sees its file name as argv[0], as under QEMU itself.
  const f = installed(['--flags', 'F']);
  assert.equal(f.status, 0, f.stderr);
  assert.equal(f.item.flags, 'F');
  assert.equal(f.hwcap, direct('cortex-a53'));
  assert.doesNotMatch(f.argv0, /custom-argv0/);
});

test('install --cpu: usage errors and an unknown model', () => {
  for (const args of [['install', '--cpu', 'max'], ['install', 'all', '--cpu', 'max'], ['install', 'arm64', '--cpu', 'max', '--flags', 'POF']]) {
    const r = xarch([...args, '--dry-run']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^xarch: --cpu /);
  }
  if (needQemu()) return;
  const r = xarch(['install', 'arm64', '--cpu', 'pentium', '--dry-run'], { env: { ...process.env, XARCH_CPU_WRAPPERS: wrappers } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^xarch: qemu-aarch64-static has no CPU model 'pentium' for aarch64\n  hint: /);
});

test('uninstall removes the install --cpu wrapper of the entry it removes, and its directory', { skip: needFixture('arm64') || needQemu() || needSandbox() }, () => {
  const out = path.join(mkdtempSync(path.join(wrappers, 'out-')), 'o');
  const script = `"$NODE" "$CLI" install arm64 --cpu cortex-a53 --json > "$OUT.in" || exit 9
"$NODE" "$CLI" uninstall --json > "$OUT.un" || exit 8`;
  const r = inSandbox(['sh', '-c', script], { env: { ...process.env, NODE: process.execPath, CLI, OUT: out, XARCH_CPU_WRAPPERS: wrappers } });
  assert.equal(r.status, 0, r.stderr);
  const read = (f: string) => spawnSync('cat', [f], { encoding: 'utf8' }).stdout;
  const wrapper = JSON.parse(read(`${out}.in`)).interpreter as string;
  assert.ok(wrapper.startsWith(`${wrappers}/cortex-a53-`), wrapper);
  const un = JSON.parse(read(`${out}.un`));
  assert.equal(un.status, 'removed');
  assert.equal(un.wrapperRemoved, wrapper);
  assert.equal(existsSync(wrapper), false, 'the wrapper is gone');
  assert.equal(existsSync(path.dirname(wrapper)), false, 'its directory is gone');
});
