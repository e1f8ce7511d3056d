// Shared by install/uninstall/enable/disable: persistence hooks bound to
// --etc-dir, and item rendering.
import type { PersistHooks } from '../manage/options.js';
import { listPersisted, removePersisted, writePersisted } from '../persist/persist.js';
import type { Io } from './io.js';

/** Persistence hooks writing and removing <etcDir>/binfmt.d/<name>.conf (default /etc). */
export function persistHooks(etcDir: string | undefined): PersistHooks {
  const opts = etcDir === undefined ? {} : { etcDir };
  return {
    write: (rule) => writePersisted(rule, opts),
    remove: (name) => removePersisted(name, opts),
    list: () => listPersisted(opts),
  };
}

/** "3 installed, 1 unchanged" */
export function summary(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

export function warnLines(io: Io, warnings: string[] | undefined): void {
  for (const w of warnings ?? []) io.out(`    warning: ${w}\n`);
}
