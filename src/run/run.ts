// Direct runs: one foreign program through the right QEMU emulator, with no
// binfmt_misc registration. Planning (which emulator, which sysroot, what is
// missing) is separate from spawning so it can be tested and explained.
import { existsSync } from 'node:fs';
import { resolveInRoot } from '../host/rootfs.js';
import { spawnWithRelay } from '../host/process.js';
import path from 'node:path';
import { getTarget, resolveTarget, type Target } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { readDynamicFile, readElfFile } from '../host/file.js';
import { readdirSync } from 'node:fs';
import { findEmulators, type FindOptions } from '../emulators/discover.js';
import { bestEmulator, emulatorHint, type Emulator } from '../emulators/emulator.js';
import { checkCpuModel } from '../perf/cpu-check.js';

export interface RunRequest {
  program: string;
  args: string[];
  arch?: string;
  sysroot?: string;
  emulator?: string;
  emulatorSearch?: FindOptions;
  /** QEMU CPU model (QEMU_CPU), checked against the emulator's list before anything runs. */
  cpu?: string;
}

export interface RunPlan {
  target: Target;
  emulator: string;
  /** Root the loader and libraries come from (passed to QEMU as -L), or null for a static program. */
  sysroot: string | null;
  interpreter: string | null;
  argv: string[];
  /** Added to the environment: QEMU_CPU with --cpu. */
  env?: Record<string, string>;
}

/** The usual places a cross or multiarch sysroot for `t` lives. */
export function sysrootCandidates(t: Target): string[] {
  const triplets = new Set<string>();
  for (const g of t.names.gnu ?? []) {
    if (t.name === 'arm') triplets.add('arm-linux-gnueabihf').add('arm-linux-gnueabi');
    else if (t.family === 'mips' && t.elfClass === 64) triplets.add(`${g}-linux-gnuabi64`);
    else triplets.add(`${g}-linux-gnu`);
  }
  return [...triplets].map((tr) => `/usr/${tr}`).concat('/');
}

export function planRun(req: RunRequest): RunPlan {
  if (!existsSync(req.program)) {
    throw new XarchError('PATH_NOT_FOUND', `${req.program} does not exist`, { path: req.program, hint: 'give the path of a foreign program' });
  }
  const info = readElfFile(req.program);
  let target: Target | undefined;
  if (req.arch) target = resolveTarget(req.arch).target;
  else target = info.targets.length ? getTarget(info.targets[0]!) : undefined;
  if (!target) {
    throw new XarchError('ARCH_UNKNOWN', `${req.program} is an ELF file (${info.machineName}) that no QEMU target in the catalogue matches`, {
      path: req.program, hint: 'name the architecture with --arch (see xarch arches)',
    });
  }

  let emulator = req.emulator;
  if (!emulator) {
    // Debian's -binfmt-P wrappers expect the kernel's P argument layout; run the plain emulator.
    // Only this target's CPU: reading the ELF headers of every emulator on
    // the machine (35 on a Debian host with qemu-user-static) was a third of
    // run's own start-up.
    const found = findEmulators({ cpus: new Set([target.cpu]), ...req.emulatorSearch }).filter((e: Emulator) => e.kind !== 'wrapper');
    const best = bestEmulator(target.name, found);
    if (!best) {
      throw new XarchError('EMULATOR_NOT_FOUND', `no emulator for ${target.name} (qemu-${target.cpu}-static or qemu-${target.cpu})`, { hint: emulatorHint() });
    }
    emulator = best.path;
  }

  let sysroot: string | null = null;
  const interp = info.interpreter;
  if (interp) {
    const roots = req.sysroot ? [path.resolve(req.sysroot)] : sysrootCandidates(target);
    sysroot = roots.find((r) => resolveInRoot(r, interp) !== null) ?? null;
    if (!sysroot) {
      const where = req.sysroot ? path.resolve(req.sysroot) : roots.join(', ');
      const deb = target.names.debian?.[0];
      throw new XarchError('LOADER_NOT_FOUND', `${req.program} is dynamically linked and needs its loader ${interp}, which is not in ${where}`, {
        path: req.program,
        hint: `point --sysroot at a ${target.name} root file system that has it${deb ? `, or install the libraries: apt-get install libc6:${deb} (multiarch) or libc6-${deb}-cross` : ''}`,
      });
    }
  }
  if (sysroot) {
    const missing = missingLibraries(req.program, sysroot, interp!, target);
    if (missing.length) {
      const deb = target.names.debian?.[0];
      throw new XarchError('LOADER_NOT_FOUND', `${req.program} needs ${missing.join(', ')}, not found for ${target.name} in ${sysroot}`, {
        path: req.program,
        hint: `install them into the root file system (for libc: apt-get install libc6${deb ? `:${deb}` : ''}), or point --sysroot at a complete ${target.name} root`,
      });
    }
  }
  const argv = [emulator, ...(sysroot && sysroot !== '/' ? ['-L', sysroot] : []), '-0', req.program, req.program, ...req.args];
  const plan: RunPlan = { target, emulator, sysroot, interpreter: interp, argv };
  // QEMU_CPU rather than -cpu: the program's own children inherit it, so a
  // foreign child run through the host's handlers gets the same model.
  if (req.cpu) {
    checkCpuModel(emulator, req.cpu, target.name);
    plan.env = { QEMU_CPU: req.cpu };
  }
  return plan;
}

/** Library directories of a root: RUNPATH, the loader's directory, multiarch and plain lib dirs. */
function libraryDirs(root: string, interp: string, runpath: string[]): string[] {
  const dirs = [...runpath.filter((d) => d.startsWith('/')), path.posix.dirname(interp)];
  for (const base of ['/lib', '/usr/lib']) {
    const host = resolveInRoot(root, base);
    if (!host) continue;
    try {
      for (const n of readdirSync(host)) if (/-linux-/.test(n)) dirs.push(`${base}/${n}`);
    } catch { /* unreadable: skip */ }
  }
  dirs.push('/lib', '/usr/lib', '/lib64', '/usr/lib64', '/lib32', '/usr/lib32');
  return [...new Set(dirs)];
}

/**
 * DT_NEEDED libraries of `program` that are not in `root` for its target
 * (a same-named library of another architecture does not count).
 */
export function missingLibraries(program: string, root: string, interp: string, target: Target): string[] {
  const dyn = readDynamicFile(program);
  if (!dyn) return [];
  const dirs = libraryDirs(root, interp, dyn.runpath);
  return dyn.needed.filter((lib) => !dirs.some((d) => {
    const hostPath = resolveInRoot(root, `${d}/${lib}`);
    if (!hostPath) return false;
    try {
      return readElfFile(hostPath).targets.includes(target.name);
    } catch {
      return false;
    }
  }));
}

const RELAYED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** Spawn the plan with inherited stdio; resolves to the exit status (128+signal when killed). */
export function execPlan(plan: RunPlan): Promise<number> {
  return spawnWithRelay(plan.argv, {
    ...(plan.env ? { env: { ...process.env, ...plan.env } } : {}),
    relay: RELAYED,
    startError: (e) => new XarchError('EMULATOR_NOT_FOUND', `cannot start ${plan.argv[0]}: ${e.code ?? e.message}`, { path: plan.argv[0], hint: emulatorHint() }),
  });
}
