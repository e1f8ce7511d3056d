// Which IDs exist inside a session's user namespace. As rootless podman
// does: uid 0 inside is the user, 1..N their subordinate range from
// /etc/subuid (gids from /etc/subgid). Pure: the files' text comes in.
import type { IdMap, IdMapEntry } from '../host/namespace.js';

export interface SubordinateRange { start: number; count: number }

/** The ranges /etc/subuid (or /etc/subgid) text gives `user` (by name or numeric id). */
export function subordinateRanges(text: string, user: string, id: number): SubordinateRange[] {
  const out: SubordinateRange[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || owner.startsWith('#') || (owner !== user && owner !== String(id))) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && s > 0 && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

export interface IdPlan {
  map: IdMap;
  /** Every ID 0..65535 (at least) exists inside. */
  full: boolean;
  /** What will not work, when not full. */
  note?: string;
}

export interface IdFacts {
  uid: number;
  gid: number;
  user: string;
  subuid?: string;
  subgid?: string;
  /** newuidmap and newgidmap are installed. */
  helpers: boolean;
}

// The kernel's whole 32-bit ID space minus the invalid (uid_t)-1.
const ALL = 4294967295;

export function planIdMap(f: IdFacts): IdPlan {
  if (f.uid === 0) {
    const identity: IdMapEntry[] = [{ inside: 0, outside: 0, count: ALL }];
    return { map: { uid: identity, gid: identity }, full: true };
  }
  const single: IdMap = { uid: [{ inside: 0, outside: f.uid, count: 1 }], gid: [{ inside: 0, outside: f.gid, count: 1 }] };
  const subuid = subordinateRanges(f.subuid ?? '', f.user, f.uid)[0];
  const subgid = subordinateRanges(f.subgid ?? '', f.user, f.uid)[0];
  const limits = 'only uid 0 exists inside: chown, apt-get (setgroups) and files of other owners (shown as nobody) will not work';
  if (!subuid || !subgid) {
    return { map: single, full: false, note: `no subordinate IDs for ${f.user} in /etc/subuid and /etc/subgid, so ${limits}; add them with usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${f.user}` };
  }
  if (!f.helpers) return { map: single, full: false, note: `newuidmap/newgidmap are not installed (apt-get install uidmap), so ${limits}` };
  return {
    map: {
      uid: [{ inside: 0, outside: f.uid, count: 1 }, { inside: 1, outside: subuid.start, count: subuid.count }],
      gid: [{ inside: 0, outside: f.gid, count: 1 }, { inside: 1, outside: subgid.start, count: subgid.count }],
    },
    full: subuid.count >= 65535 && subgid.count >= 65535,
  };
}
