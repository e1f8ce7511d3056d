// Which entries are xarch's, which catalogue targets an entry serves, and
// which other entries compete for the same binaries. Values only.
//
// Naming and ownership. xarch names its entries `qemu-<target>` (qemu-aarch64,
// qemu-arm, qemu-ppc64le…; built by xarchEntryName in src/core/arch.ts): the
// name Docker/buildx, tonistiigi/binfmt and Debian use, so tools that look
// for `qemu-aarch64` find it. An entry counts as xarch's own when its name is
// `qemu-<target>` for a catalogue target AND its offset, magic and mask are
// exactly the catalogue's for that target. Debian's qemu-user-static and
// tonistiigi/binfmt entries share the name but use other magic/mask tables,
// so they are recognised as another tool's and left alone unless named with
// --force. (An entry byte-identical to what xarch writes is
// indistinguishable from one xarch wrote, and is treated as xarch's:
// replacing it changes nothing another tool relies on.)
import { TARGETS, targetForEntryName } from '../core/arch.js';
import { matchRule, whichEntry, type LiveEntry } from '../core/match.js';
import type { Rule } from '../core/rule.js';
import { bytesEqual } from '../core/bytes.js';

export interface Conflict {
  /** Another enabled entry that matches the same binaries. */
  name: string;
  /** The entry the kernel uses for those binaries (newest enabled match). */
  winner: string;
}

/** Is this entry xarch's own? (see the comment at the top of this file) */
export function isOurs(rule: Rule): boolean {
  const t = targetForEntryName(rule.name);
  return !!t && rule.type === 'M' && rule.offset === 0 && bytesEqual(rule.magic, t.magic) && bytesEqual(rule.mask, t.mask);
}

/** A file header and path that this rule matches (its own magic, masked bits as given). */
export function sampleFor(rule: Rule): { head: Uint8Array; path: string } {
  if (rule.type === 'E') return { head: new Uint8Array(0), path: `/x/file.${rule.extension}` };
  const head = new Uint8Array(Math.min(256, rule.offset + rule.magic.length));
  head.set(rule.magic.subarray(0, head.length - rule.offset), rule.offset);
  return { head, path: '/x/file' };
}

/** Catalogue targets whose binaries this rule captures. */
export function servedTargets(rule: Rule): string[] {
  if (rule.type !== 'M') return [];
  return TARGETS.filter((t) => matchRule(rule, t.magic, '/x/file').matches).map((t) => t.name);
}

/**
 * Other enabled entries that match the binaries `rule` is for, and which
 * entry the kernel uses for them (newest enabled match first).
 */
export function conflictsFor(rule: Rule, entries: readonly LiveEntry[], globalEnabled = true): Conflict[] {
  const s = sampleFor(rule);
  const others = entries.filter((e) => e.name !== rule.name && e.enabled && matchRule(e.rule, s.head, s.path).matches);
  if (others.length === 0) return [];
  const w = whichEntry(entries, globalEnabled, s.head, s.path);
  const winner = w.entry?.name ?? rule.name;
  return others.map((e) => ({ name: e.name, winner }));
}

/** Newer enabled entries (earlier in `entries`, which is newest first) that take this entry's binaries first. */
export function shadowingEntries(entries: readonly LiveEntry[], index: number): string[] {
  const e = entries[index]!;
  if (!e.enabled) return [];
  const s = sampleFor(e.rule);
  return entries.slice(0, index).filter((n) => n.enabled && matchRule(n.rule, s.head, s.path).matches).map((n) => n.name);
}
