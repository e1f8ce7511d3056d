// Which live entries the NAME|TARGET|GLOB arguments of uninstall, enable,
// disable and export mean. Values only.
import { resolveTarget, xarchEntryName, type Target } from '../core/arch.js';
import type { LiveEntry } from '../core/match.js';
import { isOurs } from './ownership.js';

export interface SelectResult {
  entries: LiveEntry[];
  /** Arguments that selected nothing, or selected another tool's entry without force. */
  problems: { arg: string; status: 'absent' | 'skipped' | 'failed'; reason: string; name?: string }[];
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) re += ch === '*' ? '.*' : ch === '?' ? '.' : /[\\^$.|+()[\]{}]/.test(ch) ? '\\' + ch : ch;
  return new RegExp(`^${re}$`);
}

/**
 * Which live entries NAME|TARGET|GLOB arguments mean. No arguments: every
 * entry of xarch's. An exact entry name or a target selects that entry; a
 * glob selects matching entries of xarch's (others' too with force). Another
 * tool's entry is only selected with force.
 */
export function selectEntries(args: readonly string[], entries: readonly LiveEntry[], force = false): SelectResult {
  const out: LiveEntry[] = [];
  const problems: SelectResult['problems'] = [];
  const add = (e: LiveEntry) => { if (!out.includes(e)) out.push(e); };
  if (args.length === 0) {
    for (const e of entries) if (isOurs(e.rule)) add(e);
    return { entries: out, problems };
  }
  for (const arg of args) {
    const exact = entries.find((e) => e.name === arg);
    if (exact) {
      if (isOurs(exact.rule) || force) add(exact);
      else problems.push({ arg, name: exact.name, status: 'skipped', reason: `${arg} is not xarch's entry (another tool registered it); add --force to change it` });
      continue;
    }
    if (/[*?]/.test(arg)) {
      const re = globToRegExp(arg);
      const hits = entries.filter((e) => re.test(e.name) && (force || isOurs(e.rule)));
      if (hits.length === 0) problems.push({ arg, status: 'absent', reason: `no ${force ? '' : "xarch "}entry matches ${arg}` });
      hits.forEach(add);
      continue;
    }
    let t: Target;
    try {
      t = resolveTarget(arg).target;
    } catch (e) {
      problems.push({ arg, status: 'failed', reason: `no entry named ${arg}, and it is not an architecture name: ${(e as Error).message}` });
      continue;
    }
    const name = xarchEntryName(t);
    const hit = entries.find((e) => e.name === name);
    if (!hit) problems.push({ arg, name, status: 'absent', reason: `${name} is not registered` });
    else if (isOurs(hit.rule) || force) add(hit);
    else problems.push({ arg, name, status: 'skipped', reason: `${name} is not xarch's entry (another tool registered it); add --force to change it` });
  }
  return { entries: out, problems };
}
