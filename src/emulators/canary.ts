// The canary: a set's emulators tried before any real handler points at
// them. The self-test probes run in a private binfmt_misc instance (a new
// user namespace, src/emulators/canary-child.ts), so the machine's own
// handlers never see an untried emulator; a user's own command can run in a
// session whose handlers point into the set.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getTarget, isHostTarget } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { hasProbe } from '../core/probe.js';
import { sandboxArgv, sandboxSupport } from '../host/namespace.js';
import { planSession, runSession } from '../session/session.js';
import type { VerifyResult } from '../verify/verify.js';
import type { InstallItem } from '../manage/plan.js';
import type { Emulator } from './emulator.js';
import type { ManifestProbe } from './manifest.js';

const CHILD = fileURLToPath(new URL('./canary-child.js', import.meta.url));

/** The targets among `emulators` a probe can check on this machine. */
export function probeableTargets(emulators: readonly Emulator[], machine: string): string[] {
  const out: string[] = [];
  for (const e of emulators) {
    const t = getTarget(e.target);
    if (!t || out.includes(e.target) || !hasProbe(e.target) || isHostTarget(t, machine)) continue;
    out.push(e.target);
  }
  return out;
}

/**
 * Probe `targets` with `emulators` in a private instance. Throws
 * SANDBOX_UNAVAILABLE when no private instance can be made here (then there
 * is no safe place to try an emulator).
 */
export function probeEmulators(emulators: readonly Emulator[], targets: readonly string[]): ManifestProbe[] {
  if (targets.length === 0) return [];
  const support = sandboxSupport();
  if (!support.ok) {
    throw new XarchError('SANDBOX_UNAVAILABLE', `cannot try the emulators before use: ${support.reason}`, { hint: 'emulators use --no-canary skips the probes (at your own risk)' });
  }
  const wanted = emulators.filter((e) => targets.includes(e.target));
  const argv = sandboxArgv([process.execPath, CHILD, JSON.stringify({ emulators: wanted, targets })]);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  const at = new Date().toISOString();
  let parsed: { installed?: InstallItem[]; verified?: VerifyResult[]; error?: string } = {};
  try {
    parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch { /* reported below */ }
  if (!parsed.verified) {
    const why = parsed.error ?? ((r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`);
    throw new XarchError('CANARY_FAILED', `the canary could not run: ${why}`, { hint: 'xarch verify explains probe failures; xarch doctor checks private instances' });
  }
  const refused = new Map((parsed.installed ?? []).filter((i) => i.status === 'failed' && i.target).map((i) => [i.target!, i.reason ?? i.error?.message ?? 'not registered']));
  return parsed.verified.map((v): ManifestProbe => {
    const p: ManifestProbe = { target: v.target, ok: v.ok, result: v.result, at };
    const msg = refused.get(v.target) ?? v.error?.message;
    if (!v.ok && msg) p.message = msg;
    return p;
  });
}

/** Run the user's command in a session on `rootfs` whose handlers use `emulators`; its exit status. */
export async function canaryCommand(emulators: Emulator[], rootfs: string, command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const plan = await planSession({ rootfs, command, env, emulators });
  return runSession(plan, false);
}
