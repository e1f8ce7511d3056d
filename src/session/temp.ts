// Temporary directories of sessions on the host. Each carries its owner's
// PID in its name (xarch-rootfs-<pid>-XXXXXX), so a later start can tell a
// live session's directory from one a killed xarch (SIGKILL leaves no chance
// to clean up) left behind, and sweep it.
import { processAlive as alive } from '../host/process.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { fromSystemError } from '../core/errors.js';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'xarch-rootfs-';
const OWNED = /^xarch-rootfs-(\d+)-/;

/** A new temporary directory owned by this process. */
export function makeSessionTemp(tmp = os.tmpdir()): string {
  try {
    return mkdtempSync(path.join(tmp, `${PREFIX}${process.pid}-`));
  } catch (e) {
    const err = fromSystemError(e, tmp, 'temporary directory');
    // The directory is TMPDIR (or /tmp): say so, since the user never named it.
    throw Object.assign(err, { message: `cannot make a temporary directory in ${tmp}: ${err.message}`, hint: 'set TMPDIR to a writable directory' });
  }
}

export interface GcReport {
  removed: string[];
  /** Directories of sessions still running. */
  live: string[];
  failed: { path: string; error: string }[];
}

/** Remove the temporary directories whose owning xarch is gone. */
export function sweepSessionTemps(tmp = os.tmpdir()): GcReport {
  const report: GcReport = { removed: [], live: [], failed: [] };
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return report;
  }
  for (const n of names) {
    const m = OWNED.exec(n);
    if (!m) continue;
    const p = path.join(tmp, n);
    if (Number(m[1]) !== process.pid && alive(Number(m[1]))) {
      report.live.push(p);
      continue;
    }
    if (Number(m[1]) === process.pid) continue;
    try {
      rmSync(p, { recursive: true, force: true });
      report.removed.push(p);
    } catch (e) {
      report.failed.push({ path: p, error: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
  }
  return report;
}
