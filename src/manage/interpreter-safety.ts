// Whether an interpreter path is safe to register: the file-system checks
// (IO), gathered before planning so the planner decides on values
// (InterpreterCheck in src/manage/plan.ts).
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { XarchError } from '../core/errors.js';
import { displayBytes } from '../core/bytes.js';
import { emulatorHint } from '../emulators/emulator.js';
import { elfIsStatic } from '../emulators/discover.js';
import type { InterpreterCheck } from './plan.js';

/**
 * Why an interpreter must not be registered, or null. Absolute, present,
 * an executable regular file, and neither it nor any directory or symlink
 * the kernel passes through to reach it (resolutionChain) writable or owned
 * by anyone but root:
 * otherwise that user could swap the emulator and run code inside every
 * foreign exec on the machine.
 */
export function interpreterProblem(interpreter: string): XarchError | null {
  const trustedOwner = ownerTrust();
  const shown = displayBytes(interpreter);
  if (!interpreter.startsWith('/')) {
    return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} is a relative path (the kernel would resolve it against each program's working directory)`, {
      path: interpreter, hint: 'give an absolute path',
    });
  }
  let st;
  try {
    st = statSync(interpreter);
  } catch {
    return new XarchError('EMULATOR_NOT_FOUND', `interpreter ${shown} does not exist`, { path: interpreter, errno: 'ENOENT', hint: emulatorHint() });
  }
  if (!st.isFile() || (st.mode & 0o111) === 0) {
    return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} is not an executable file`, { path: interpreter, errno: 'EACCES', hint: 'chmod 755 it, or name another emulator' });
  }
  let chain: string[];
  try {
    chain = resolutionChain(interpreter);
  } catch {
    return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} cannot be resolved (a symlink loop or an unreadable directory)`, { path: interpreter, errno: 'ELOOP', hint: 'name the emulator by a path without symlink loops' });
  }
  const final = chain[chain.length - 1];
  for (const cur of chain) {
    let s;
    try {
      s = lstatSync(cur);
    } catch {
      continue;
    }
    const isLink = s.isSymbolicLink();
    const groupOrOtherWritable = (s.mode & 0o022) !== 0;
    const sticky = (s.mode & 0o1000) !== 0;
    const bad = !trustedOwner(s.uid) ? `is owned by uid ${s.uid}` : !isLink && groupOrOtherWritable && !(s.isDirectory() && sticky && cur !== final) ? 'is writable by group or others' : null;
    if (bad) {
      return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} is unsafe: ${cur} ${bad}, so a non-root user could replace the emulator every foreign program runs through`, {
        path: cur, hint: `install the emulator in a root-owned directory that only root can write (chmod go-w ${cur}; chown root ${cur})`,
      });
    }
  }
  return null;
}

/**
 * Every path the kernel looks at to resolve `p`, in order: each directory,
 * each symlink and each link's own target path, down to the final file.
 * Without F the kernel resolves the interpreter again at every exec, so a
 * symlink in the middle (a link to a link) owned by another user, or sitting
 * in a directory another user can write, redirects every foreign program as
 * surely as the final file would; checking only the given and the resolved
 * path misses it.
 */
export function resolutionChain(p: string): string[] {
  const visited = ['/'];
  let todo = p.split('/').filter(Boolean);
  let cur = '/';
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '.') continue;
    if (c === '..') { cur = path.dirname(cur); continue; }
    const next = cur === '/' ? `/${c}` : `${cur}/${c}`;
    visited.push(next);
    // A missing component ends the walk: stat already said whether the file exists.
    if (!lstatSync(next, { throwIfNoEntry: false })?.isSymbolicLink()) { cur = next; continue; }
    // Linux follows at most 40 links in one lookup (ELOOP).
    if (++links > 40) throw new Error('ELOOP');
    const target = readlinkSync(next);
    if (target.startsWith('/')) cur = '/';
    todo = [...target.split('/').filter(Boolean), ...todo];
  }
  return [...new Set(visited)];
}

/**
 * Owners an interpreter path may have: root. Inside a user namespace (a
 * private binfmt_misc instance) files whose host owner is not mapped show
 * as the overflow uid; nobody in the namespace can change them, and the
 * instance only serves the namespace, so they are trusted too.
 */
function ownerTrust(): (uid: number) => boolean {
  let overflow = -1;
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    const initial = map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295';
    if (!initial) overflow = Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());
  } catch { /* no /proc: only root is trusted */ }
  return (uid) => uid === 0 || uid === overflow;
}

/** The facts the planner needs about each interpreter path, read from the file system. */
export function checkInterpreters(interpreters: Iterable<string>): Map<string, InterpreterCheck> {
  const out = new Map<string, InterpreterCheck>();
  for (const p of interpreters) {
    if (out.has(p)) continue;
    const problem = interpreterProblem(p);
    // Linkage only matters for an interpreter that may be registered at all.
    out.set(p, { problem, static: problem ? null : elfIsStatic(p) });
  }
  return out;
}
