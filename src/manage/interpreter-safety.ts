// Whether an interpreter path is safe to register: the file-system checks
// (IO), gathered before planning so the planner decides on values
// (InterpreterCheck in src/manage/plan.ts).
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { XarchError } from '../core/errors.js';
import { displayBytes } from '../core/bytes.js';
import { emulatorHint } from '../emulators/emulator.js';
import { elfIsStatic } from '../emulators/discover.js';
import type { InterpreterCheck } from './plan.js';

/**
 * Why an interpreter must not be registered, or null. Absolute, present,
 * an executable regular file, and neither it nor any directory on its path
 * (the path as given and the resolved one) writable by anyone but root:
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
  const chains = [interpreter];
  try {
    const real = realpathSync(interpreter);
    if (real !== interpreter) chains.push(real);
  } catch { /* stat worked, so realpath will too */ }
  for (const p of chains) {
    let cur = p;
    for (;;) {
      let s;
      try {
        s = lstatSync(cur);
      } catch {
        break;
      }
      const isLink = s.isSymbolicLink();
      const groupOrOtherWritable = (s.mode & 0o022) !== 0;
      const sticky = (s.mode & 0o1000) !== 0;
      const bad = !trustedOwner(s.uid) ? `is owned by uid ${s.uid}` : !isLink && groupOrOtherWritable && !(s.isDirectory() && sticky && cur !== p) ? 'is writable by group or others' : null;
      if (bad) {
        return new XarchError('EMULATOR_UNSAFE', `interpreter ${shown} is unsafe: ${cur} ${bad}, so a non-root user could replace the emulator every foreign program runs through`, {
          path: cur, hint: `install the emulator in a root-owned directory that only root can write (chmod go-w ${cur}; chown root ${cur})`,
        });
      }
      if (cur === '/') break;
      cur = path.dirname(cur);
    }
  }
  return null;
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
