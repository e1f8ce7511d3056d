// QEMU CPU models at the IO edge: the models an emulator lists, checking a
// model before anything runs, and install's wrappers on disk. The model
// reaches QEMU in two ways: QEMU_CPU in the environment (run, shell, bench:
// the environment passes through the session's stage, the chroot and every
// exec into the emulator) or, for binfmt_misc handlers, which get no
// environment of their own, a wrapper program (src/core/cpu-wrapper.ts).
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { buildCpuWrapper } from '../core/cpu-wrapper.js';
import { XarchError } from '../core/errors.js';
import { kernelAtLeast } from '../core/kernel-version.js';
import { writeFileAtomic } from '../host/atomic.js';
import { bestEmulator, emulatorHint, type Emulator } from '../emulators/emulator.js';
import { emulatorVersion } from '../emulators/discover.js';
import type { Target } from '../core/arch.js';
import { checkCpuModel } from './cpu-check.js';

export { cpuModels, checkCpuModel } from './cpu-check.js';

export { defaultWrapperDir } from './wrapper-dir.js';

export interface WrapOptions {
  dir: string;
  machine?: string;
  kernelRelease?: string;
}

/**
 * For each emulator, a wrapper that execs it with `-cpu model`, written once
 * under dir/<model>-<digest>/qemu-<cpu> (the name keeps `status` saying
 * which target it serves), and the emulator record that registers it. The
 * wrapper honours P itself when the kernel sets AT_FLAGS (5.12+), whatever
 * QEMU's version.
 */
export function cpuWrappedEmulators(emulators: readonly Emulator[], model: string, opts: WrapOptions): Emulator[] {
  const machine = opts.machine ?? os.machine();
  const release = opts.kernelRelease ?? os.release();
  return emulators.filter((e) => e.kind !== 'wrapper').map((e) => {
    checkCpuModel(e.path, model, e.target);
    const bytes = buildCpuWrapper(machine, { emulator: e.path, model });
    const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    const file = path.join(opts.dir, `${model}-${digest}`, `qemu-${e.cpu}`);
    writeFileAtomic(file, bytes, { mode: 0o755, ifChanged: true, what: 'CPU-model wrapper' });
    // The emulator's version, so install does not ask the wrapper (which would run '--version' as a program).
    return { ...e, path: file, kind: 'static', static: e.static, version: e.version ?? emulatorVersion(e.path), preserveArgv0: kernelAtLeast(release, 5, 12), via: e.path };
  });
}

/** install --cpu's flags: P (the wrapper passes it on as -0) where the kernel sets AT_FLAGS, and F; never O (see core/cpu-wrapper.ts). */
export function cpuWrapperFlags(kernelRelease = os.release()): string {
  return kernelAtLeast(kernelRelease, 5, 12) ? 'FP' : 'F';
}

/** The wrapped emulator of each target (the best plain one found), for install --cpu. */
export function cpuHandlerEmulators(targets: readonly Target[], found: readonly Emulator[], model: string, opts: WrapOptions): Emulator[] {
  const plain = found.filter((e) => e.kind !== 'wrapper');
  const chosen = targets.map((t) => {
    const e = bestEmulator(t.name, plain);
    if (!e) throw new XarchError('EMULATOR_NOT_FOUND', `no emulator for ${t.name} (qemu-${t.cpu}-static or qemu-${t.cpu}) to run with --cpu ${model}`, { hint: emulatorHint() });
    return e;
  });
  return cpuWrappedEmulators(chosen, model, opts);
}
