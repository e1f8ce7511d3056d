// status: every entry of a binfmt_misc instance (xarch's and others'), what
// it serves, its interpreter as found on disk, what shadows it; the global
// switch and the kernel's features. Reads the instance and the interpreters.
import { statSync } from 'node:fs';
import os from 'node:os';
import { kernelFeatures, type KernelFeatures } from '../core/kernel-version.js';
import { toHex } from '../core/bytes.js';
import { elfIsStatic } from '../emulators/discover.js';
import { DEFAULT_BINFMT_DIR, isMounted, readGlobalStatus, readLiveEntries } from '../host/kernel.js';
import { describeInstance, type InstanceReport } from '../host/instance.js';
import type { ManageOptions } from './options.js';
import { isOurs, servedTargets, shadowingEntries } from './ownership.js';

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
  /** Whose instance this is (host, a user namespace's, automount, not mounted), read before the directory is touched. */
  instance: InstanceReport;
  global: 'enabled' | 'disabled' | null;
  machine: string;
  kernel: KernelFeatures;
  entries: StatusEntry[];
}

export function status(opts: ManageOptions = {}): StatusReport {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const machine = opts.machine ?? os.machine();
  const kernel = kernelFeatures(opts.kernelRelease ?? os.release());
  // Before isMounted: its stat inside an automount point triggers the mount.
  const instance = describeInstance(dir, opts.kernelRelease ? { kernelRelease: opts.kernelRelease } : {});
  if (!isMounted(dir)) return { binfmtDir: dir, mounted: false, instance, global: null, machine, kernel, entries: [] };
  const live = readLiveEntries(dir);
  const entries = live.map((e, i): StatusEntry => {
    const r = e.rule;
    const targets = servedTargets(r);
    let exists = false;
    try {
      exists = statSync(Buffer.from(r.interpreter, 'latin1')).isFile();
    } catch { /* missing */ }
    const out: StatusEntry = {
      name: e.name, enabled: e.enabled, ours: isOurs(r), serves: targets.length ? targets.join(',') : 'other', targets, type: r.type,
      interpreter: r.interpreter, interpreterExists: exists, interpreterStatic: exists ? elfIsStatic(r.interpreter) : null,
      pinned: r.flags.includes('F'), flags: r.flags, shadowedBy: shadowingEntries(live, i),
    };
    if (r.type === 'M') Object.assign(out, { offset: r.offset, magic: toHex(r.magic), mask: r.mask ? toHex(r.mask) : null });
    else out.extension = r.extension;
    return out;
  });
  return { binfmtDir: dir, mounted: true, instance, global: readGlobalStatus(dir), machine, kernel, entries };
}
