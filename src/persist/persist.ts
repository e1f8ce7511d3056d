// The writing side of persistence: `install --persist` writes one binfmt.d
// file per entry under <etcDir>/binfmt.d, `uninstall` removes it again. The
// reading side (what `apply` restores) is config.ts.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { XarchError, fromSystemError } from '../core/errors.js';
import { stringBytes } from '../core/bytes.js';
import { type Rule } from '../core/rule.js';
import { renderBinfmtD } from '../formats/binfmt-d.js';
import { writeFileAtomic } from '../host/atomic.js';
import { listNames } from '../host/file.js';

// The mark removePersisted looks for: a file without it is the admin's.
const MARK = 'written by xarch';

function persistPath(name: string, etcDir = '/etc'): string {
  if (name.includes('/') || name === '.' || name === '..') {
    throw new XarchError('RULE_INVALID', `entry name '${name}' cannot be a file name`, { hint: 'binfmt_misc names never contain /' });
  }
  return path.join(etcDir, 'binfmt.d', `${name}.conf`);
}

/**
 * Write `rule` to <etcDir>/binfmt.d/<name>.conf atomically (src/host/atomic.ts),
 * mode 0644. A file of the same name masks the distribution's
 * /usr/lib/binfmt.d/<name>.conf, so the persisted rule is the one restored.
 * Returns the path; unchanged files are not rewritten.
 */
export function writePersisted(rule: Rule, opts: { etcDir?: string } = {}): string {
  const file = persistPath(rule.name, opts.etcDir);
  const text = renderBinfmtD([rule], `${MARK} install --persist; removed by xarch uninstall`);
  writeFileAtomic(file, stringBytes(text), { mode: 0o644, ifChanged: true, what: 'binfmt.d file' });
  return file;
}

/** Remove <etcDir>/binfmt.d/<name>.conf if xarch wrote it. Returns the path when removed. */
export function removePersisted(name: string, opts: { etcDir?: string } = {}): string | false {
  const file = persistPath(name, opts.etcDir);
  try {
    if (!existsSync(file)) return false;
    if (!readFileSync(file, 'latin1').includes(MARK)) return false;
    rmSync(file);
    return file;
  } catch (e) {
    throw fromSystemError(e, file, 'binfmt.d file');
  }
}

/** Names of the entries whose <etcDir>/binfmt.d/<name>.conf xarch wrote. */
export function listPersisted(opts: { etcDir?: string } = {}): string[] {
  const dir = path.join(opts.etcDir ?? '/etc', 'binfmt.d');
  return listNames(dir).filter((n) => n.endsWith('.conf')).map((n) => n.slice(0, -5)).filter((name) => {
    try {
      return readFileSync(path.join(dir, `${name}.conf`), 'latin1').includes(MARK);
    } catch {
      return false;
    }
  }).sort();
}
