// What every manage operation (install, apply, uninstall, enable, disable,
// status) takes, and how a per-item failure is reported in its results.
import { XarchError, isXarchError } from '../core/errors.js';
import type { Rule } from '../core/rule.js';
import type { Emulator } from '../emulators/emulator.js';
import type { FindOptions } from '../emulators/discover.js';

export interface ManageOptions {
  /** binfmt_misc mount (default /proc/sys/fs/binfmt_misc). */
  binfmtDir?: string;
  /** Passed to the persistence hooks (default /etc). */
  etcDir?: string;
  /** Where to look for emulators. */
  emulatorSearch?: FindOptions;
  /** Emulators already found (skips the search). */
  emulators?: Emulator[];
  /** `uname -m` (default os.machine()). */
  machine?: string;
  /** `uname -r` (default os.release()). */
  kernelRelease?: string;
}

/** Persistence, injected by the CLI (src/persist/persist.ts) so manage stays synchronous and free of it. */
export interface PersistHooks {
  write(rule: Rule): string | void;
  remove(name: string): string | boolean | void;
  /** Names of the entries xarch persisted (uninstall without arguments removes them all). */
  list?(): string[];
}

/** The `error` field of a per-item result. */
export interface ItemError {
  code: string;
  message: string;
  hint?: string;
}

/** Anything thrown while working on one item, as the XarchError reported for it. */
export function asXarchError(e: unknown): XarchError {
  return isXarchError(e) ? e : new XarchError('INTERNAL', (e as Error).message, { cause: e });
}

export function errorJson(e: XarchError): ItemError {
  const o: ItemError = { code: e.code, message: e.message };
  if (e.hint) o.hint = e.hint;
  return o;
}
