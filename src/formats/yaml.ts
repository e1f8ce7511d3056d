// A YAML writer for the plain values a manifest is made of (objects, arrays,
// strings, numbers, booleans): block style, two-space indents, a string
// quoted (as JSON, which YAML reads) whenever it could read back as anything
// but that string. Pure. Enough for manifests; not a general YAML library.
export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined };

// Plain scalars that YAML 1.1 or 1.2 would read as another type, or that
// start or contain an indicator character.
const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./=+-]*$/;
const TYPED = /^(true|false|yes|no|on|off|y|n|null|~|[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v !== 'string') return String(v);
  return PLAIN.test(v) && !TYPED.test(v) ? v : JSON.stringify(v);
}

function isCollection(v: YamlValue | undefined): v is readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined } {
  return typeof v === 'object' && v !== null;
}

function empty(v: YamlValue): string | null {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : null;
  if (isCollection(v)) return Object.values(v).every((x) => x === undefined) ? '{}' : null;
  return scalar(v as string);
}

function lines(v: YamlValue, indent: string): string[] {
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const item of v as YamlValue[]) {
      const e = empty(item);
      if (e !== null) {
        out.push(`${indent}- ${e}`);
        continue;
      }
      const inner = lines(item, indent + '  ');
      out.push(`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1));
    }
    return out;
  }
  for (const [k, x] of Object.entries(v as Record<string, YamlValue | undefined>)) {
    if (x === undefined) continue;
    const e = empty(x);
    if (e !== null) out.push(`${indent}${scalar(k)}: ${e}`);
    else out.push(`${indent}${scalar(k)}:`, ...lines(x, indent + '  '));
  }
  return out;
}

/** One YAML document per value, separated by `---`. */
export function renderYaml(documents: readonly YamlValue[]): string {
  return documents.map((d) => lines(d, '').join('\n') + '\n').join('---\n');
}
