// systemd's binfmt.d: one register line per rule (what `install --persist`
// writes to /etc/binfmt.d and `apply` reads back). Carries every flag; it
// cannot say an entry is disabled (systemd-binfmt registers every line).
import { parseRegister, renderRegister, type ParseOptions, type Rule, type RuleParse } from '../core/rule.js';
import { cannotWrite, defineFormat, type ConfigError, type ConfigRule, type Parsed } from './format.js';

/**
 * One binfmt.d line (systemd-binfmt): same syntax as the register line.
 * systemd strips surrounding whitespace, skips empty lines and lines starting
 * with '#' or ';', and writes the line plus "\n" in one write.
 * Returns null for comments and blank lines.
 */
export function parseBinfmtDLine(line: string, opts: ParseOptions = {}): RuleParse | null {
  const stripped = line.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  if (stripped === '' || stripped[0] === '#' || stripped[0] === ';') return null;
  return parseRegister(stripped + '\n', opts);
}

/** Parse a whole binfmt.d file (byte string); line numbers are 1-based. */
export function parseBinfmtD(text: string, opts: ParseOptions = {}): { line: number; result: RuleParse }[] {
  const out: { line: number; result: RuleParse }[] = [];
  text.split('\n').forEach((l, i) => {
    const r = parseBinfmtDLine(l, opts);
    if (r) out.push({ line: i + 1, result: r });
  });
  return out;
}

/** Parse binfmt.d text: rules and per-line errors (`file:line`), processing goes on. */
export function parseBinfmtDFile(text: string, file: string): Parsed {
  const rules: ConfigRule[] = [];
  const errors: ConfigError[] = [];
  for (const { line, result } of parseBinfmtD(text)) {
    const source = `${file}:${line}`;
    if (result.ok) rules.push({ rule: result.rule, source });
    else errors.push({ source, errno: result.errno, message: result.message });
  }
  return { rules, errors };
}

/** A binfmt.d file for these rules, with an optional comment header. */
export function renderBinfmtD(rules: readonly Rule[], comment?: string): string {
  let s = '';
  if (comment) for (const l of comment.split('\n')) s += `# ${l}\n`;
  for (const r of rules) {
    const line = renderRegister(r);
    // A line that would change under systemd's whitespace strip, or contains
    // a newline, cannot be expressed in binfmt.d.
    if (/[\n]/.test(line) || line !== line.trim() || line[0] === '#' || line[0] === ';') {
      throw cannotWrite(r, 'binfmt.d line', 'avoid newlines and surrounding spaces in the name and interpreter');
    }
    s += line + '\n';
  }
  return s;
}

export const binfmtD = defineFormat({
  name: 'binfmt.d',
  description: 'systemd-binfmt lines (/etc/binfmt.d/*.conf)',
  carries: { flags: 'POCF', disabled: false },
  fileName: (name) => `${name}.conf`,
  renderEntry: (entry) => renderBinfmtD([entry.rule]),
  parse: parseBinfmtDFile,
});
