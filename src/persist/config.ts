// The reading side of persistence: the configuration `apply` restores.
// systemd's binfmt.d directories with their precedence and masking, then
// Debian's /usr/share/binfmts; each file parsed by its format in
// src/formats. Every path is built from an injectable root.
import { lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { listNames } from '../host/file.js';
import { fromSystemError } from '../core/errors.js';
import { binfmtD } from '../formats/binfmt-d.js';
import { debian } from '../formats/debian.js';
import type { ConfigError, ConfigRule, Format, Parsed } from '../formats/format.js';
import { isAtomicTemp } from '../host/atomic.js';

export type { ConfigError, ConfigRule } from '../formats/format.js';

/** systemd-binfmt's search path, highest precedence first. */
export const BINFMT_D_DIRS = ['/etc/binfmt.d', '/run/binfmt.d', '/usr/local/lib/binfmt.d', '/usr/lib/binfmt.d'];
export const DEBIAN_BINFMTS_DIR = '/usr/share/binfmts';

/**
 * The binfmt.d files systemd would read, in its order: by file name across
 * all directories, a name in an earlier directory masking the same name in
 * later ones (a /dev/null symlink or an empty file masks without rules).
 */
export function binfmtDFiles(root = '/', dirs = BINFMT_D_DIRS): string[] {
  const chosen = new Map<string, string>();
  for (const d of dirs) {
    const dir = path.join(root, d);
    for (const n of listNames(dir)) {
      if (!n.endsWith('.conf') || chosen.has(n)) continue;
      chosen.set(n, path.join(dir, n));
    }
  }
  return [...chosen.keys()].sort().map((n) => chosen.get(n)!).filter((f) => !isMask(f));
}

function isMask(file: string): boolean {
  try {
    const l = lstatSync(file);
    if (l.isSymbolicLink()) {
      const st = statSync(file);
      return st.isCharacterDevice(); // -> /dev/null
    }
    return false;
  } catch {
    return true; // dangling link: nothing to read
  }
}

// A named FILE in binfmt.d syntax, or Debian's when it has no line starting
// with ':' and an interpreter line.
function formatOf(text: string): Format {
  return /^\s*:/m.test(text) || !/^\s*interpreter\s/m.test(text) ? binfmtD : debian;
}

/**
 * Rules from FILEs (binfmt.d syntax, or Debian's when a file has no line
 * starting with ':'), or, without FILEs, from the binfmt.d directories and
 * Debian's /usr/share/binfmts under `root`. Later duplicates of a name are
 * reported and skipped.
 */
export function readConfig(files: readonly string[], root = '/', opts: { debian?: boolean } = {}): Parsed {
  const rules: ConfigRule[] = [];
  const errors: ConfigError[] = [];
  const seen = new Map<string, string>();
  const take = (p: Parsed) => {
    for (const r of p.rules) {
      const prev = seen.get(r.rule.name);
      if (prev) {
        errors.push({ source: r.source, message: `entry ${r.rule.name} is already defined at ${prev}; skipped` });
        continue;
      }
      seen.set(r.rule.name, r.source);
      rules.push(r);
    }
    errors.push(...p.errors);
  };
  const read = (f: string, format?: Format) => {
    let text: string;
    try {
      text = readFileSync(f, 'latin1');
    } catch (e) {
      errors.push({ source: f, message: fromSystemError(e, f, 'configuration file').message });
      return;
    }
    take((format ?? formatOf(text)).parse!(text, f));
  };
  if (files.length) {
    for (const f of files) read(f);
    return { rules, errors };
  }
  for (const f of binfmtDFiles(root)) read(f, binfmtD);
  if (opts.debian !== false) {
    const dir = path.join(root, DEBIAN_BINFMTS_DIR);
    for (const n of listNames(dir).sort()) {
      // The binfmt.d file of the same entry wins (Debian ships both for
      // QEMU); a half-written file of xarch's own is not configuration.
      if (seen.has(n) || isAtomicTemp(n)) continue;
      read(path.join(dir, n), debian);
    }
  }
  return { rules, errors };
}
