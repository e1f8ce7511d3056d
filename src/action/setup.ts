// What the action does, as library calls: get the emulators (the runner's
// apt qemu-user-static, or a cached file or directory added to the
// emulator store so the interpreters are root-owned), install handlers,
// run each platform's probe through the kernel, and take back the entries
// this run registered for a platform that does not run. Never prints:
// progress goes to `log`, results come back per platform.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { getTarget, isHostTarget, TARGETS } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { hasProbe } from '../core/probe.js';
import { findEmulators } from '../emulators/discover.js';
import type { Emulator } from '../emulators/emulator.js';
import { unpackSource } from '../emulators/sources.js';
import { Store } from '../emulators/store.js';
import { installTargets } from '../manage/install.js';
import { uninstall } from '../manage/change.js';
import type { PersistHooks } from '../manage/options.js';
import type { InstallItem } from '../manage/plan.js';
import { removePersisted, writePersisted } from '../persist/persist.js';
import { verifyTargets } from '../verify/verify.js';
import type { ActionRequest, PlatformRequest } from './inputs.js';
import { platformName } from './inputs.js';

export interface SetupOptions {
  binfmtDir: string;
  etcDir: string;
  storeDir: string;
  /** PATH to look for the runner's emulators in. */
  path: string;
  machine?: string;
  log?: (line: string) => void;
}

export interface PlatformResult {
  platform: string;
  target: string;
  ok: boolean;
  /** install's status, or 'native' for the host's own family. */
  status: string;
  /** The probe's result (src/verify/verify.ts), null when not verified. */
  result: string | null;
  entry: string | null;
  interpreter: string | null;
  flags: string | null;
  /** The entry this run registered was removed again because the platform does not run. */
  removed?: boolean;
  error?: { code: string; message: string; hint?: string };
}

const IN_EFFECT = new Set(['installed', 'replaced', 'unchanged']);

function aptInstalled(): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'qemu-user-static'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** apt-get install qemu-user-static (an update first only when the package lists are stale). */
function aptInstall(log: (l: string) => void): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'qemu-user-static'], { encoding: 'utf8', env });
  log('apt-get install qemu-user-static');
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
    r = install();
  }
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? (r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status}`;
    throw new XarchError('SOURCE_UNAVAILABLE', `apt-get install qemu-user-static failed: ${why}`, { hint: "give 'emulators' a cached .deb or store set instead of apt" });
  }
}

/** A path source: a store directory gives its newest set; anything else is what `xarch emulators add` takes. */
async function fromPath(source: string, opts: SetupOptions, log: (l: string) => void): Promise<Emulator[]> {
  if (!existsSync(source)) throw new XarchError('PATH_NOT_FOUND', `emulators: ${source} does not exist`, { path: source, hint: "give 'apt', a .deb, a tarball of qemu-* binaries, a set directory or a store directory" });
  let from = source;
  if (existsSync(path.join(source, 'sets'))) {
    const newest = new Store(source).list().at(-1);
    if (!newest) throw new XarchError('SET_NOT_FOUND', `the store ${source} holds no set`, { path: source, hint: 'xarch emulators add apt --store DIR' });
    from = new Store(source).setDir(newest.id);
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'xarch-action-'));
  try {
    const unpacked = await unpackSource(from, work);
    const store = new Store(opts.storeDir);
    // No canary here: the probes below run through the instance itself.
    const added = await store.add(unpacked.candidates, unpacked, () => []);
    log(`emulator set ${added.manifest.id} (QEMU ${added.manifest.version ?? '?'}, ${added.manifest.files.length} emulators) in ${store.dir}`);
    return store.emulators(added.manifest);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function wantedPlatforms(req: ActionRequest, emulators: readonly Emulator[], machine: string): PlatformRequest[] {
  if (req.platforms !== 'all') return req.platforms;
  const served = new Set(emulators.map((e) => e.target));
  return TARGETS.filter((t) => served.has(t.name) && hasProbe(t.name) && !isHostTarget(t, machine)).map((t) => platformName(t.name));
}

export async function setUp(req: ActionRequest, opts: SetupOptions): Promise<PlatformResult[]> {
  const log = opts.log ?? (() => {});
  const machine = opts.machine ?? os.machine();
  let emulators: Emulator[];
  if (req.emulators.kind === 'path') {
    emulators = await fromPath(req.emulators.path, opts, log);
  } else {
    emulators = findEmulators({ path: opts.path });
    const missing = req.platforms === 'all' || req.platforms.some((p) => !emulators.some((e) => e.target === p.target) && !isHostTarget(getTarget(p.target)!, machine));
    if (missing && !aptInstalled()) {
      aptInstall(log);
      emulators = findEmulators({ path: opts.path });
    }
  }
  const platforms = wantedPlatforms(req, emulators, machine);
  const foreign = platforms.filter((p) => !isHostTarget(getTarget(p.target)!, machine));
  const persist: PersistHooks | undefined = req.persist ? { write: (r) => writePersisted(r, { etcDir: opts.etcDir }), remove: (n) => removePersisted(n, { etcDir: opts.etcDir }) } : undefined;
  const items = foreign.length ? await installTargets({ targets: foreign.map((p) => p.target) }, { binfmtDir: opts.binfmtDir, emulators, machine, ...(persist ? { persist } : {}) }) : [];
  const byTarget = new Map<string, InstallItem>(items.filter((i) => i.target).map((i) => [i.target!, i]));
  for (const i of items) log(`${i.status.padEnd(10)} ${i.name}${i.interpreter ? ` → ${i.interpreter} (flags ${i.flags || 'none'})` : ''}${i.reason ? `: ${i.reason}` : ''}`);
  const probes = req.verify ? verifyTargets(platforms.map((p) => p.target), { binfmtDir: opts.binfmtDir, machine }) : [];
  const results = platforms.map((p, n): PlatformResult => {
    const item = byTarget.get(p.target);
    const native = isHostTarget(getTarget(p.target)!, machine);
    const v = probes[n];
    const status = native ? 'native' : item?.status ?? 'failed';
    const r: PlatformResult = {
      platform: p.platform, target: p.target, status, ok: v ? v.ok : native || IN_EFFECT.has(status), result: v?.result ?? null,
      entry: v?.entry ?? null, interpreter: v?.interpreter ?? item?.interpreter ?? null, flags: v?.flags ?? item?.flags ?? null,
    };
    if (!r.ok) {
      if (item?.error) r.error = { ...item.error };
      else if (v?.error) r.error = { code: 'PROBE_FAILED', message: v.error.message, ...(v.error.hint ? { hint: v.error.hint } : {}) };
      else if (!item) r.error = { code: 'EMULATOR_NOT_FOUND', message: `no emulator for ${p.target}`, hint: "use emulators: apt, or a set that has it" };
      else r.error = { code: 'PROBE_FAILED', message: item.reason ?? status };
    }
    return r;
  });
  // Entries this run registered for a platform that does not run come out
  // again: a failed job must not leave a handler that runs nothing.
  const undo = results.filter((r) => !r.ok && (r.status === 'installed' || r.status === 'replaced'));
  if (undo.length) {
    const names = undo.map((r) => byTarget.get(r.target)!.name);
    uninstall(names, { binfmtDir: opts.binfmtDir, ...(persist ? { persist } : {}) });
    for (const r of undo) r.removed = true;
    log(`removed ${names.join(', ')}: registered but did not run`);
  }
  return results;
}
