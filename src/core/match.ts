// The kernel's choice of binfmt_misc entry for an exec: a transcription of
// fs/binfmt_misc.c search_binfmt_handler(). Pure: the caller reads the header
// and the live entries.
import { displayBytes, firstMaskedMismatch } from './bytes.js';
import { BINPRM_BUF_SIZE, type Rule } from './rule.js';

export interface FirstDiff {
  /** Byte offset in the file. */
  offset: number;
  /** The magic byte. */
  expected: number;
  /** The file's byte (0 past end-of-file). */
  actual: number;
  /** The mask byte (0xff without a mask). */
  mask: number;
}

export interface MatchResult {
  matches: boolean;
  /** M rules that do not match: the first byte that differs under the mask. */
  firstDiff?: FirstDiff;
  /** How many magic bytes matched before firstDiff (M rules). */
  matched?: number;
  /** E rules: the path's extension (text after its last '.'), or null when it has no '.'. */
  extension?: string | null;
}

/**
 * The extension the kernel compares for E rules: everything after the last
 * '.' of the path string given to execve, directories included
 * (strrchr(bprm->interp, '.')). "/a.b/c" has extension "b/c", which no rule
 * can equal (extensions cannot contain '/'); "./x" has "/x".
 */
export function pathExtension(execPath: string): string | null {
  const i = execPath.lastIndexOf('.');
  return i < 0 ? null : execPath.slice(i + 1);
}

/**
 * Does this rule match a file? `head` is the start of the file (any length;
 * bytes past it count as 0, as in the kernel's zero-filled buffer);
 * `execPath` is the path string as passed to execve (a byte string, see
 * rule.ts).
 */
export function matchRule(rule: Rule, head: Uint8Array, execPath: string): MatchResult {
  if (rule.type === 'E') {
    const extension = pathExtension(execPath);
    return { matches: extension !== null && extension === rule.extension, extension };
  }
  // Bytes past the file's end or the kernel's window read as 0 (prepare_binprm zero-fills it).
  const j = firstMaskedMismatch(head, rule.magic, rule.mask, rule.offset, BINPRM_BUF_SIZE);
  if (j < 0) return { matches: true, matched: rule.magic.length };
  const offset = rule.offset + j;
  const actual = offset < head.length && offset < BINPRM_BUF_SIZE ? head[offset]! : 0;
  return { matches: false, matched: j, firstDiff: { offset, expected: rule.magic[j]!, actual, mask: rule.mask ? rule.mask[j]! : 0xff } };
}

export interface LiveEntry {
  name: string;
  enabled: boolean;
  rule: Rule;
}

export interface NearMiss {
  name: string;
  reason: string;
  firstDiff?: FirstDiff;
  /** Magic bytes that matched before the first difference. */
  matched?: number;
  extension?: string | null;
}

export interface WhichResult {
  entry: LiveEntry | null;
  reason: string;
  /** Entries tried before the outcome that did not match, closest first (at most `nearMissCount`). */
  nearMisses: NearMiss[];
  /** Disabled entries that were skipped before the outcome, newest first. */
  skipped: string[];
}

const hex2 = (n: number) => '0x' + n.toString(16).padStart(2, '0');

export function describeMiss(rule: Rule, m: MatchResult): string {
  if (rule.type === 'E') {
    return m.extension === null
      ? `the path has no '.', so no extension to compare with .${displayBytes(rule.extension)}`
      : `extension .${displayBytes(m.extension ?? '')} is not .${displayBytes(rule.extension)} (exact, case-sensitive)`;
  }
  const d = m.firstDiff!;
  return `byte ${d.offset} is ${hex2(d.actual)}, the magic wants ${hex2(d.expected)} under mask ${hex2(d.mask)}`;
}

/**
 * Which entry the kernel runs: `entries` newest registration first (the
 * kernel's list order), disabled entries skipped, the first match final (no
 * fall-through even if its interpreter then fails to open; observed on 6.18:
 * an O or C entry whose interpreter is a #! script is still chosen, and the
 * exec then fails with ENOEXEC). `globalEnabled`
 * is the `status` file; when it is disabled no entry runs.
 */
export function whichEntry(entries: readonly LiveEntry[], globalEnabled: boolean, head: Uint8Array, execPath: string, nearMissCount = 3): WhichResult {
  if (!globalEnabled) {
    return { entry: null, reason: 'binfmt_misc is disabled (status reads "disabled"): no entry runs', nearMisses: [], skipped: [] };
  }
  const misses: (NearMiss & { score: number; order: number })[] = [];
  const skipped: string[] = [];
  let winner: LiveEntry | null = null;
  entries.forEach((e, order) => {
    if (winner) return;
    if (!e.enabled) {
      skipped.push(e.name);
      return;
    }
    const m = matchRule(e.rule, head, execPath);
    if (m.matches) {
      winner = e;
      return;
    }
    const miss: NearMiss & { score: number; order: number } = { name: e.name, reason: describeMiss(e.rule, m), score: 0, order };
    if (m.firstDiff) {
      miss.firstDiff = m.firstDiff;
      miss.matched = m.matched!;
      miss.score = m.matched! / e.rule.magic.length;
    }
    if (e.rule.type === 'E') {
      miss.extension = m.extension ?? null;
      miss.score = -1;
    }
    misses.push(miss);
  });
  misses.sort((a, b) => b.score - a.score || a.order - b.order);
  const nearMisses = misses.slice(0, nearMissCount).map(({ score: _s, order: _o, ...rest }) => rest);
  const w = winner as LiveEntry | null;
  if (w) {
    const how = w.rule.type === 'E' ? `extension .${displayBytes(w.rule.extension)}` : `magic at offset ${w.rule.offset}`;
    const older = skipped.length ? `; disabled entries skipped: ${skipped.map(displayBytes).join(', ')}` : '';
    return { entry: w, reason: `entry ${displayBytes(w.name)} matches (${how}) and is the newest enabled match${older}`, nearMisses, skipped };
  }
  const none = entries.length === 0 ? 'no binfmt_misc entries are registered' : 'no enabled binfmt_misc entry matches';
  return { entry: null, reason: `${none}: the kernel's own loaders (ELF, #! scripts) decide, or the exec fails with ENOEXEC`, nearMisses, skipped };
}
