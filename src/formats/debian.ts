// Debian's binfmts format: the files update-binfmts --import reads from
// /usr/share/binfmts, one per entry, `key value` lines, the file name being
// the entry name. update-binfmts 2.2 (binfmt-support, Debian 12) knows the
// keys package, interpreter, magic, offset, mask, extension, detector,
// credentials, preserve and fix_binary: it has no key for O (open-binary),
// so a rule with O but not C comes back without it (issue 11: POF became PF).
import { escapeHex } from '../core/bytes.js';
import { parseRegister, type Rule } from '../core/rule.js';
import { cannotWrite, defineFormat, type ConfigError, type Parsed } from './format.js';

/** Parse one update-binfmts --import file (`key value` lines); its name is the entry name. */
export function parseDebianBinfmt(text: string, name: string, file: string): { rule?: Rule; error?: ConfigError; package?: string } {
  const kv = new Map<string, { value: string; line: number }>();
  text.split('\n').forEach((l, i) => {
    const m = /^\s*([a-z_]+)\s+(.*?)\s*$/.exec(l);
    if (m) kv.set(m[1]!, { value: m[2]!, line: i + 1 });
  });
  const get = (k: string) => kv.get(k)?.value;
  const flags = (get('preserve') === 'yes' ? 'P' : '') + (get('credentials') === 'yes' ? 'C' : '') + (get('fix_binary') === 'yes' ? 'F' : '');
  const interp = get('interpreter');
  if (!interp) return { error: { source: file, message: 'no interpreter line' } };
  const detector = kv.get('detector');
  if (detector) return { error: { source: `${file}:${detector.line}`, message: 'uses a detector program, which binfmt_misc cannot express (update-binfmts runs it in user space)' } };
  const line = kv.has('magic')
    ? `:${name}:M:${get('offset') ?? ''}:${get('magic')}:${get('mask') ?? ''}:${interp}:${flags}`
    : `:${name}:E::${get('extension') ?? ''}::${interp}:${flags}`;
  const r = parseRegister(line);
  if (!r.ok) return { error: { source: file, errno: r.errno, message: r.message } };
  const out: { rule: Rule; package?: string } = { rule: r.rule };
  const pkg = get('package');
  if (pkg) out.package = pkg;
  return out;
}

/** Render a rule in Debian's update-binfmts --import format (O is not carried: see the top of this file). */
export function renderDebianBinfmt(rule: Rule, pkg = 'xarch'): string {
  // A value is the rest of its line with surrounding whitespace stripped.
  for (const v of [rule.interpreter, rule.extension]) {
    if (v.includes('\n') || v !== v.trim()) throw cannotWrite(rule, 'Debian binfmts file', 'avoid newlines and surrounding spaces in the interpreter and extension');
  }
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

function parseDebianFile(text: string, file: string): Parsed {
  const d = parseDebianBinfmt(text, file.slice(file.lastIndexOf('/') + 1), file);
  return d.rule ? { rules: [{ rule: d.rule, source: file }], errors: [] } : { rules: [], errors: d.error ? [d.error] : [] };
}

export const debian = defineFormat({
  name: 'debian',
  description: 'update-binfmts --import files (/usr/share/binfmts/<name>)',
  carries: { flags: 'PCF', disabled: false },
  fileName: (name) => name,
  renderEntry: (entry) => renderDebianBinfmt(entry.rule),
  // Printed together, each file is introduced by its name (which is the entry name).
  inStream: (doc) => `# ${doc.name}\n${doc.text}\n`,
  parse: parseDebianFile,
});
