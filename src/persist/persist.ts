// Persistent handler configuration: systemd's binfmt.d (written by
// `install --persist`, read by `apply`) and Debian's binfmts format
// (update-binfmts --import files in /usr/share/binfmts). Parsing and
// rendering are pure; reading and writing take explicit roots.
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { XarchError, fromSystemError } from '../core/errors.js';
import { escapeHex, stringBytes } from '../core/bytes.js';
import { parseBinfmtD, parseRegister, renderBinfmtD, type Rule } from '../core/rule.js';

/** systemd-binfmt's search path, highest precedence first. */
export const BINFMT_D_DIRS = ['/etc/binfmt.d', '/run/binfmt.d', '/usr/local/lib/binfmt.d', '/usr/lib/binfmt.d'];
export const DEBIAN_BINFMTS_DIR = '/usr/share/binfmts';

export interface ConfigRule {
  rule: Rule;
  /** file:line it came from */
  source: string;
}

export interface ConfigError {
  source: string;
  errno?: string;
  message: string;
}

// ---------------------------------------------------------------- writing

function persistPath(name: string, etcDir = '/etc'): string {
  if (name.includes('/') || name === '.' || name === '..') {
    throw new XarchError('RULE_INVALID', `entry name '${name}' cannot be a file name`, { hint: 'binfmt_misc names never contain /' });
  }
  return path.join(etcDir, 'binfmt.d', `${name}.conf`);
}

/**
 * Write `rule` to <etcDir>/binfmt.d/<name>.conf atomically (temp file, fsync,
 * rename), mode 0644. A file of the same name masks the distribution's
 * /usr/lib/binfmt.d/<name>.conf, so the persisted rule is the one restored.
 * Returns the path; unchanged files are not rewritten.
 */
export function writePersisted(rule: Rule, opts: { etcDir?: string } = {}): string {
  const file = persistPath(rule.name, opts.etcDir);
  const text = renderBinfmtD([rule], 'written by xarch install --persist; removed by xarch uninstall');
  try {
    if (existsSync(file) && readFileSync(file, 'latin1') === text) return file;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const tmp = `${file}.xarch-${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, Buffer.from(stringBytes(text)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return file;
  } catch (e) {
    throw fromSystemError(e, file, 'binfmt.d file');
  }
}

/** Remove <etcDir>/binfmt.d/<name>.conf if xarch wrote it. Returns the path when removed. */
export function removePersisted(name: string, opts: { etcDir?: string } = {}): string | false {
  const file = persistPath(name, opts.etcDir);
  try {
    if (!existsSync(file)) return false;
    if (!readFileSync(file, 'latin1').includes('written by xarch')) return false;
    rmSync(file);
    return file;
  } catch (e) {
    throw fromSystemError(e, file, 'binfmt.d file');
  }
}

// ---------------------------------------------------------------- systemd binfmt.d

/**
 * The binfmt.d files systemd would read, in its order: by file name across
 * all directories, a name in an earlier directory masking the same name in
 * later ones (a /dev/null symlink or an empty file masks without rules).
 */
export function binfmtDFiles(root = '/', dirs = BINFMT_D_DIRS): string[] {
  const chosen = new Map<string, string>();
  for (const d of dirs) {
    const dir = path.join(root, d);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
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

/** Parse binfmt.d text: rules and per-line errors, processing goes on. */
export function parseBinfmtDFile(text: string, file: string): { rules: ConfigRule[]; errors: ConfigError[] } {
  const rules: ConfigRule[] = [];
  const errors: ConfigError[] = [];
  for (const { line, result } of parseBinfmtD(text)) {
    const source = `${file}:${line}`;
    if (result.ok) rules.push({ rule: result.rule, source });
    else errors.push({ source, errno: result.errno, message: result.message });
  }
  return { rules, errors };
}

// ---------------------------------------------------------------- Debian binfmts

/** Parse one update-binfmts --import file (`key value` lines); its name is the entry name. */
export function parseDebianBinfmt(text: string, name: string, file: string): { rule?: Rule; error?: ConfigError; package?: string } {
  const kv = new Map<string, string>();
  text.split('\n').forEach((l) => {
    const m = /^\s*([a-z_]+)\s+(.*?)\s*$/.exec(l);
    if (m) kv.set(m[1]!, m[2]!);
  });
  const flags = (kv.get('preserve') === 'yes' ? 'P' : '') + (kv.get('credentials') === 'yes' ? 'C' : '') + (kv.get('fix_binary') === 'yes' ? 'F' : '');
  const interp = kv.get('interpreter');
  if (!interp) return { error: { source: file, message: 'no interpreter line' } };
  if (kv.has('detector')) return { error: { source: file, message: 'uses a detector program, which binfmt_misc cannot express (update-binfmts runs it in user space)' } };
  const line = kv.has('magic')
    ? `:${name}:M:${kv.get('offset') ?? ''}:${kv.get('magic')}:${kv.get('mask') ?? ''}:${interp}:${flags}`
    : `:${name}:E::${kv.get('extension') ?? ''}::${interp}:${flags}`;
  const r = parseRegister(line);
  if (!r.ok) return { error: { source: file, errno: r.errno, message: r.message } };
  const out: { rule: Rule; package?: string } = { rule: r.rule };
  const pkg = kv.get('package');
  if (pkg) out.package = pkg;
  return out;
}

/** Render a rule in Debian's update-binfmts --import format. */
export function renderDebianBinfmt(rule: Rule, pkg = 'xarch'): string {
  const lines = [`package ${pkg}`, `interpreter ${rule.interpreter}`];
  if (rule.type === 'M') {
    lines.push(`magic ${escapeHex(rule.magic)}`, `offset ${rule.offset}`);
    if (rule.mask) lines.push(`mask ${escapeHex(rule.mask)}`);
  } else {
    lines.push(`extension ${rule.extension}`);
  }
  lines.push(`credentials ${rule.flags.includes('C') ? 'yes' : 'no'}`, `preserve ${rule.flags.includes('P') ? 'yes' : 'no'}`, `fix_binary ${rule.flags.includes('F') ? 'yes' : 'no'}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- reading everything

/**
 * Rules from FILEs (binfmt.d syntax, or Debian's when a file has no line
 * starting with ':'), or, without FILEs, from the binfmt.d directories and
 * Debian's /usr/share/binfmts under `root`. Later duplicates of a name are
 * reported and skipped.
 */
export function readConfig(files: readonly string[], root = '/', opts: { debian?: boolean } = {}): { rules: ConfigRule[]; errors: ConfigError[] } {
  const rules: ConfigRule[] = [];
  const errors: ConfigError[] = [];
  const seen = new Map<string, string>();
  const add = (r: ConfigRule) => {
    const prev = seen.get(r.rule.name);
    if (prev) {
      errors.push({ source: r.source, message: `entry ${r.rule.name} is already defined at ${prev}; skipped` });
      return;
    }
    seen.set(r.rule.name, r.source);
    rules.push(r);
  };
  const readText = (f: string): string | null => {
    try {
      return readFileSync(f, 'latin1');
    } catch (e) {
      const x = fromSystemError(e, f, 'configuration file');
      errors.push({ source: f, message: x.message });
      return null;
    }
  };
  const debianFile = (f: string, text: string) => {
    const d = parseDebianBinfmt(text, path.basename(f), f);
    if (d.error) errors.push(d.error);
    else if (d.rule) add({ rule: d.rule, source: f });
  };
  if (files.length) {
    for (const f of files) {
      const text = readText(f);
      if (text === null) continue;
      if (/^\s*:/m.test(text) || !/^\s*interpreter\s/m.test(text)) {
        const p = parseBinfmtDFile(text, f);
        p.rules.forEach(add);
        errors.push(...p.errors);
      } else debianFile(f, text);
    }
    return { rules, errors };
  }
  for (const f of binfmtDFiles(root)) {
    const text = readText(f);
    if (text === null) continue;
    const p = parseBinfmtDFile(text, f);
    p.rules.forEach(add);
    errors.push(...p.errors);
  }
  if (opts.debian !== false) {
    const dir = path.join(root, DEBIAN_BINFMTS_DIR);
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch { /* no binfmt-support data */ }
    for (const n of names) {
      if (seen.has(n)) continue; // the binfmt.d file of the same entry wins (Debian ships both for QEMU)
      const f = path.join(dir, n);
      const text = readText(f);
      if (text !== null) debianFile(f, text);
    }
  }
  return { rules, errors };
}
