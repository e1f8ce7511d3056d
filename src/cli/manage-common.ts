// Shared by install/uninstall/enable/disable: persistence hooks (loaded from
// src/persist.ts when this build has it) and item rendering.
import { XarchError } from '../core/errors.js';
import type { PersistHooks } from '../manage/manage.js';
import type { Rule } from '../core/rule.js';
import type { Io } from './io.js';

// A variable specifier: the persistence module is owned by another part of
// xarch and loaded only when --persist (or uninstall) needs it.
const PERSIST_MODULE = '../persist/persist.js';

interface PersistModule {
  writePersisted(rule: Rule, opts: { etcDir?: string }): string | void;
  removePersisted(name: string, opts: { etcDir?: string }): string | boolean | void;
}

/** Hooks bound to etcDir, or null when this build has no persistence module. */
export async function loadPersistHooks(etcDir: string | undefined): Promise<PersistHooks | null> {
  let mod: Partial<PersistModule>;
  try {
    mod = (await import(PERSIST_MODULE)) as Partial<PersistModule>;
  } catch {
    return null;
  }
  if (typeof mod.writePersisted !== 'function' || typeof mod.removePersisted !== 'function') return null;
  const opts = etcDir === undefined ? {} : { etcDir };
  return {
    write: (rule) => mod.writePersisted!(rule, opts),
    remove: (name) => mod.removePersisted!(name, opts),
  };
}

export function persistUnavailable(): XarchError {
  return new XarchError('INTERNAL', '--persist is not available in this build (no persistence module)', { hint: "use 'xarch export --format binfmt.d' instead" });
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
