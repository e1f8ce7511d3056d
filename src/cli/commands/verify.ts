// xarch verify [TARGET...]: the self-test. Runs a tiny probe per target
// through binfmt_misc and reports which handler ran it and how.
import { spawnSync } from 'node:child_process';
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, table, type Io } from '../io.js';
import { defineCommand, parseCommand, wrap } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { XarchError } from '../../core/errors.js';
import { DEFAULT_BINFMT_DIR, isMounted, readLiveEntries } from '../../host/kernel.js';
import { sandboxArgv, sandboxSupport } from '../../host/namespace.js';
import { describeInstance, type InstanceReport } from '../../host/instance.js';
import { findEmulators } from '../../emulators/discover.js';
import { emulatorHint } from '../../emulators/emulator.js';
import { installTargets } from '../../manage/install.js';
import { defaultVerifyTargets, resolveVerifyTargets, verifyTargets, type VerifyResult } from '../../verify/verify.js';
import { PROBE_TARGETS } from '../../core/probe.js';
import { verifyWithEngine, type EngineOptions } from '../../verify/engine.js';

export const command = defineCommand({
  name: 'verify',
  description: `
Self-test: for each target, build a tiny static probe executable in memory
(it writes "xarch-probe <target>" and exits 42), exec it the way any program
is exec'd, so the kernel's binfmt_misc handler must pick the emulator, and
report the handler used, the interpreter, the result and the time.

Without TARGET: every foreign target xarch has a probe for that has an
emulator on this machine or a handler registered.
${wrap('Probes: ', PROBE_TARGETS.join(' '), '  ')}`,
  positionals: [{ name: 'TARGET', repeatable: true, complete: 'target' }],
  options: {
    sandbox: { type: 'boolean', description: 'test in a private binfmt_misc instance of a new user namespace (Linux 6.7+): register handlers for every emulator found there, run the probes, leave nothing behind. Needs no root and changes nothing on the host.' },
    'binfmt-dir': binfmtDirOption('the binfmt_misc mount whose handlers predict the entry'),
    engine: { type: 'string', value: 'E', choices: ['docker', 'podman'], description: "docker or podman: run each target as a foreign container (a one-file image built locally from the probe, or 'uname -m' in --image IMG) with the host's handlers; the engine's errors are explained. Default targets: aarch64 arm riscv64 ppc64le s390x" },
    image: { type: 'string', value: 'IMG', description: "with --engine: a local image to run 'uname -m' in, for its own platform unless TARGETs are named" },
    timeout: { type: 'string', value: 'MS', description: 'per probe (default 20000; 120000 with --engine)' },
  },
  json: 'one line per target: {"target","ok","result","entry","interpreter","flags","exitCode","signal","stdout","ms","error","instance":{"kind","hostInstance","userNamespace","container","detail"}}',
  notes: `
The first line says whose binfmt_misc instance the probes went through: the
host's, a user namespace's private one, an automount, or not mounted.

Results: ok, native (host CPU), no-handler (exec format error),
interpreter-missing, wrong-output, crashed, timeout, no-probe.
Exit 0 when every target passed, 1 when one failed.`,
});

const SANDBOXED_ENV = 'XARCH_VERIFY_SANDBOXED';

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  const timeoutMs = values.timeout === undefined ? 20_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout wants a positive number of milliseconds, not '${values.timeout}'`);
  const requested = resolveVerifyTargets(positionals);
  const inSandbox = io.env[SANDBOXED_ENV] === '1';

  if (values.engine !== undefined) {
    if (values.engine !== 'docker' && values.engine !== 'podman') throw new UsageError(`--engine is docker or podman, not '${values.engine}'`);
    if (values.sandbox) throw new UsageError('--engine uses the host\'s handlers; it cannot be combined with --sandbox');
    // With --image and no targets: the image's own platform (verify/engine.ts).
    const targets = requested.length || values.image ? requested : ['aarch64', 'arm', 'riscv64', 'ppc64le', 's390x'];
    const opts: EngineOptions = { engine: values.engine, timeoutMs: values.timeout === undefined ? 120_000 : timeoutMs, env: io.env };
    if (values.image) opts.image = values.image;
    const results = verifyWithEngine(targets, opts);
    render(io, results, !!values.json, `through ${values.engine} (${values.image ? `uname -m in ${values.image}` : 'a probe image built locally'}), with the host's handlers`, 'engine');
    return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILURE;
  }

  if (values.sandbox && !inSandbox) {
    const support = sandboxSupport();
    if (!support.ok) {
      throw new XarchError('SANDBOX_UNAVAILABLE', `cannot create a private binfmt_misc instance: ${support.reason}`, {
        hint: 'needs Linux 6.7+ with unprivileged user namespaces; as root, run xarch install and then xarch verify without --sandbox',
      });
    }
    const args = sandboxArgv([process.execPath, process.argv[1]!, 'verify', ...argv]);
    const r = spawnSync(args[0]!, args.slice(1), { stdio: 'inherit', env: { ...io.env, [SANDBOXED_ENV]: '1' } });
    if (r.error) throw new XarchError('SANDBOX_UNAVAILABLE', `cannot start the sandbox: ${r.error.message}`, { hint: 'is util-linux unshare installed?' });
    return r.status ?? EXIT_FAILURE;
  }

  const binfmtDir = values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR;
  // Read before anything looks into the directory (a stat there triggers an automount).
  const instance = describeInstance(binfmtDir);
  let setup: string | null = null;
  if (values.sandbox) {
    // Inside the private instance: register a handler for every emulator found.
    const items = await installTargets({ targets: requested.length ? requested.filter((t) => PROBE_TARGETS.includes(t)) : [] }, { binfmtDir, emulatorSearch: { path: io.env.PATH ?? '' } });
    const installed = items.filter((i) => i.status === 'installed' || i.status === 'unchanged' || i.status === 'replaced');
    if (installed.length === 0 && requested.length === 0) {
      throw new XarchError('EMULATOR_NOT_FOUND', 'no QEMU emulator found for any foreign target', { hint: emulatorHint() });
    }
    setup = `private binfmt_misc instance, ${installed.length} handler${installed.length === 1 ? '' : 's'} registered; nothing changes on the host`;
    for (const f of items.filter((i) => i.status === 'failed')) {
      setup += `\n  could not register ${f.name}: ${f.reason ?? f.error?.message ?? 'failed'}`;
    }
  }

  let targets = requested;
  if (targets.length === 0) {
    const entries = isMounted(binfmtDir) ? safeEntries(binfmtDir) : [];
    targets = defaultVerifyTargets(entries, findEmulators({ path: io.env.PATH ?? '' }));
    if (targets.length === 0) {
      throw new XarchError('EMULATOR_NOT_FOUND', 'nothing to verify: no emulator and no handler for any foreign target', { hint: emulatorHint() });
    }
  }
  const results = verifyTargets(targets, { binfmtDir, timeoutMs });
  render(io, results, !!values.json, setup, 'sandbox', instance);
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILURE;
}

function safeEntries(dir: string) {
  try {
    return readLiveEntries(dir);
  } catch {
    return [];
  }
}

function render(io: Io, results: VerifyResult[], json: boolean, setup: string | null, label = 'sandbox', instance?: InstanceReport): void {
  if (json) {
    for (const r of results) jsonLine(io, instance ? { ...r, instance } : r);
    return;
  }
  if (setup) io.out(`${label}: ${setup}\n\n`);
  if (instance) io.out(`instance: ${instance.detail}\n`);
  const rows = results.map((r) => [r.target, r.ok ? 'ok' : 'FAIL', r.result, r.entry ?? '-', r.interpreter ?? '-', `${r.ms} ms`]);
  io.out(table(['TARGET', 'STATUS', 'RESULT', 'ENTRY', 'INTERPRETER', 'TIME'], rows));
  const failed = results.filter((r) => !r.ok);
  for (const f of failed) {
    io.out(`${f.target}: ${f.error?.message ?? f.result}\n`);
    if (f.error?.hint) io.out(`  hint: ${f.error.hint}\n`);
  }
  io.out(`${results.length - failed.length} of ${results.length} target${results.length === 1 ? '' : 's'} ran${failed.length ? `, ${failed.length} failed` : ''}\n`);
}
