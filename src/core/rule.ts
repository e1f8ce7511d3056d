// The binfmt_misc rule: one typed value, and the renderers/parsers of its
// kernel forms (the register line, the /proc entry text; file formats are
// in src/formats). Pure: no IO. The one check the kernel does with IO (an F
// rule's interpreter is opened at registration) is an injected callback.
//
// Bytes in text fields. The kernel treats name, interpreter and extension as
// bytes, not text (a name may hold a raw 0xff or a newline). Rule keeps them
// as *byte strings* (see core/bytes.ts); registerBytes() gives the bytes of
// the register line.
import { byteString, bytesEqual, displayBytes, escapeHex, fromHex, stringBytes, toHex } from './bytes.js';
import { xarchEntryName, type Target } from './arch.js';
import { XarchError } from './errors.js';

export interface Rule {
  name: string;
  type: 'M' | 'E';
  /** M only; 0 for E. */
  offset: number;
  /** M: decoded magic bytes; E: empty. */
  magic: Uint8Array;
  /** M: decoded mask, same length as magic, or null (compare every bit). E: null. */
  mask: Uint8Array | null;
  /** E only (byte string, stored verbatim by the kernel, without the dot); '' for M. */
  extension: string;
  /** Byte string, verbatim. */
  interpreter: string;
  /** Canonical subset of "POCF" in that order; C always brings O (the kernel sets both). */
  flags: string;
}

export type RegisterErrno = 'EINVAL' | 'ENAMETOOLONG' | 'EEXIST' | 'ENOENT' | 'EACCES' | (string & {});

export type RuleParse =
  | { ok: true; rule: Rule }
  | { ok: false; errno: RegisterErrno; message: string };

export interface ParseOptions {
  /**
   * Called for F rules only, after the syntax checks and before the name
   * checks (the kernel's order in bm_register_write): open the interpreter
   * the way open_exec(2) does and return the errno name, or null when it
   * would open. Not given: F interpreters are assumed to open.
   */
  openInterpreter?: (interpreter: string) => string | null;
  /** Names already registered (EEXIST). 'register' and 'status' always are. */
  existing?: Iterable<string>;
}

/** fs/binfmt_misc.c MAX_REGISTER_LENGTH */
export const MAX_REGISTER_LENGTH = 1920;
/** BINPRM_BUF_SIZE: the header window the kernel reads. */
export const BINPRM_BUF_SIZE = 256;
/** NAME_MAX of the binfmt_misc file system (simple_lookup). */
export const NAME_MAX = 255;

const CH = (c: string) => c.charCodeAt(0);
const BACKSLASH = CH('\\');
const LOWER_X = CH('x');
const NL = 0x0a;

// ---------------------------------------------------------------- flags

/** Canonical flags: each of P, O, C, F at most once, in that order; C brings O. */
export function canonicalFlags(flags: string): string {
  const has = (c: string) => flags.includes(c);
  return (has('P') ? 'P' : '') + (has('O') || has('C') ? 'O' : '') + (has('C') ? 'C' : '') + (has('F') ? 'F' : '');
}

// ---------------------------------------------------------------- register line

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * The kernel's lib/string_helpers.c string_unescape(UNESCAPE_HEX), reading
 * from `start` up to the first NUL: `\x` with one or two hex digits becomes
 * that byte, every other backslash stays literal.
 */
function unescapeHexInPlace(buf: Uint8Array, start: number): Uint8Array {
  const out: number[] = [];
  let i = start;
  const at = (k: number) => (k < buf.length ? buf[k]! : 0);
  while (at(i) !== 0) {
    if (at(i) === BACKSLASH && at(i + 1) !== 0) {
      i++;
      if (at(i) === LOWER_X && hexVal(at(i + 1)) >= 0) {
        let num = hexVal(at(i + 1));
        i += 2;
        if (hexVal(at(i)) >= 0) {
          num = (num << 4) | hexVal(at(i));
          i++;
        }
        out.push(num);
        continue;
      }
      out.push(BACKSLASH);
    }
    out.push(at(i));
    i++;
  }
  return Uint8Array.from(out);
}

class Einval {
  constructor(readonly message: string) {}
}

/** kstrtoint(s, 10) as create_entry uses it for the offset (s has no NUL). */
function parseOffset(s: string): number | null {
  // "+7", "010" (decimal), "-0" and one trailing "\n" are accepted;
  // "-1", " 1", "0x10", "1e2", "+", "" are not (lib/kstrtox.c).
  const m = /^(?:\+?([0-9]+)|-(0+))\n?$/.exec(s);
  if (!m) return null;
  if (m[2] !== undefined) return 0;
  const v = Number(m[1]);
  return v > 0x7fffffff ? null : v;
}

/**
 * A transcription of fs/binfmt_misc.c create_entry() (Linux 6.x). Verified
 * against Linux 6.18 by test/kernel-diff.test.ts (3,000+ generated lines, no
 * mismatch). Corners it confirmed: a NUL byte works as delimiter; '\n' works
 * as delimiter only when the line ends with an extra '\n' (the padding would
 * otherwise be eaten as the optional newline); "\xZZ", "\x4:" and "\\xZZ"
 * are EINVAL (scanarg) while "\X41", "\n", a trailing '\' stay literal;
 * "\x414" is 0x41 '4'; a raw NUL truncates magic/mask, and one at the start
 * of the mask means "no mask"; E rules skip offset and mask unread but a NUL
 * in them is still EINVAL (strchr stops at it). The buffer
 * is padded with 8 delimiter bytes, fields are cut with strchr (which stops
 * at a NUL), magic and mask with scanarg (which does not stop at a NUL but
 * requires two hex digits after every "\x"), then decoded up to the first
 * NUL. Every failure here is EINVAL.
 */
function createEntry(input: Uint8Array): Rule {
  const count = input.length;
  if (count < 11 || count > MAX_REGISTER_LENGTH) {
    throw new Einval(`a registration is 11 to ${MAX_REGISTER_LENGTH} bytes long (this one is ${count})`);
  }
  const del = input[0]!;
  // Linux 6.18 refuses a flag letter as delimiter up front ("A flag-char
  // delimiter runs the flag scan off the buffer", a stable fix); observed
  // here: "PnamePMP0PaPP/xP\n" → EINVAL. Older kernels refused most such
  // lines only after the out-of-bounds scan.
  if (del === CH('P') || del === CH('O') || del === CH('C') || del === CH('F')) {
    throw new Einval(`the delimiter cannot be a flag letter (P, O, C, F), not '${String.fromCharCode(del)}'`);
  }
  const buf = new Uint8Array(count + 8);
  buf.set(input);
  buf.fill(del, count);
  // Past the padding the kernel reads kmalloc slack; any path that gets
  // there ends in EINVAL (p != buf + count), so 0 is as good as anything.
  const at = (k: number) => (k < buf.length ? buf[k]! : 0);
  const strchr = (from: number): number => {
    for (let k = from; ; k++) {
      const c = at(k);
      if (c === del) return k;
      if (c === 0) return -1;
    }
  };
  // Cut the field that starts at p at its delimiter (as the kernel writes a
  // NUL there) and return where the next one starts; `never` says why not.
  const endField = (never: string): number => {
    const end = strchr(p);
    if (end < 0) throw new Einval(never);
    buf[end] = 0;
    return end + 1;
  };
  const scanarg = (from: number): number => {
    let k = from;
    for (;;) {
      if (k >= buf.length + 16) return -1;
      const c = at(k++);
      if (c === del) break;
      if (c === BACKSLASH && at(k) === LOWER_X) {
        k++;
        if (!isHexDigit(at(k++))) return -1;
        if (!isHexDigit(at(k++))) return -1;
      }
    }
    buf[k - 1] = 0;
    return k;
  };
  const str = (from: number) => {
    let e = from;
    while (at(e) !== 0) e++;
    return byteString(buf.subarray(from, e));
  };
  const delName = displayBytes(String.fromCharCode(del));

  let p = 1;
  const nameStart = p;
  p = endField(`the name field never ends: no delimiter '${delName}' after it (or a NUL byte inside it)`);
  const name = str(nameStart);
  if (name === '') throw new Einval('the name is empty');
  if (name === '.' || name === '..') throw new Einval(`the name cannot be '${name}'`);
  if (name.includes('/')) throw new Einval("the name cannot contain '/'");

  const typeByte = at(p++);
  if (typeByte !== CH('E') && typeByte !== CH('M')) {
    throw new Einval(`the type must be M (magic) or E (extension), not '${displayBytes(String.fromCharCode(typeByte))}'`);
  }
  const type = typeByte === CH('M') ? 'M' : 'E';
  if (at(p++) !== del) throw new Einval('the type field must be exactly one letter, M or E');

  let offset = 0;
  let magic: Uint8Array = new Uint8Array(0);
  let mask: Uint8Array | null = null;
  let extension = '';
  if (type === 'M') {
    const s = strchr(p);
    if (s < 0) throw new Einval('the offset field never ends (missing delimiter or a NUL byte)');
    buf[s] = 0;
    if (p !== s) {
      const v = parseOffset(str(p));
      if (v === null) throw new Einval(`the offset '${displayBytes(str(p))}' is not a non-negative decimal number`);
      offset = v;
    }
    p = s + 1;
    const magicStart = p;
    p = scanarg(p);
    if (p < 0) throw new Einval('the magic has "\\x" not followed by two hex digits');
    if (at(magicStart) === 0) throw new Einval('the magic is empty');
    const maskStart = p;
    p = scanarg(p);
    if (p < 0) throw new Einval('the mask has "\\x" not followed by two hex digits');
    magic = unescapeHexInPlace(buf, magicStart);
    if (at(maskStart) !== 0) {
      mask = unescapeHexInPlace(buf, maskStart);
      if (mask.length !== magic.length) {
        throw new Einval(`the mask is ${mask.length} bytes but the magic is ${magic.length}: they must be the same length`);
      }
    }
    if (magic.length > BINPRM_BUF_SIZE || BINPRM_BUF_SIZE - magic.length < offset) {
      throw new Einval(`offset ${offset} + magic length ${magic.length} exceeds the ${BINPRM_BUF_SIZE}-byte header the kernel reads`);
    }
  } else {
    // E: the offset and mask fields are skipped unread, whatever they hold.
    p = endField('the offset field never ends (missing delimiter or a NUL byte)');
    const extStart = p;
    p = endField('the extension field never ends (missing delimiter or a NUL byte)');
    extension = str(extStart);
    if (extension === '') throw new Einval('the extension is empty');
    if (extension.includes('/')) throw new Einval("the extension cannot contain '/'");
    p = endField('the mask field never ends (missing delimiter or a NUL byte)');
  }

  const interpStart = p;
  p = endField('the interpreter field never ends: the delimiter after the interpreter is required (or a NUL byte is inside it)');
  const interpreter = str(interpStart);
  if (interpreter === '') throw new Einval('the interpreter is empty');

  let flags = '';
  for (;;) {
    const c = at(p);
    if (c === CH('P') || c === CH('O') || c === CH('C') || c === CH('F')) {
      flags += String.fromCharCode(c);
      p++;
    } else break;
  }
  if (at(p) === NL) p++;
  if (p !== count) {
    if (p > count) throw new Einval('the registration ends early: seven delimiters are required (the last one after the interpreter)');
    throw new Einval(`unexpected '${displayBytes(byteString(input.subarray(p, Math.min(count, p + 8))))}' in the flags: only P, O, C, F and one trailing newline are allowed`);
  }
  return { name, type, offset, magic, mask, extension, interpreter, flags: canonicalFlags(flags) };
}

/**
 * Parse one write(2) to `register` exactly as the kernel does, predicting the
 * errno it returns. A string is a byte string (see the top of this file).
 */
export function parseRegister(input: Uint8Array | string, opts: ParseOptions = {}): RuleParse {
  const bytes = typeof input === 'string' ? stringBytes(input) : input;
  let rule: Rule;
  try {
    rule = createEntry(bytes);
  } catch (e) {
    if (e instanceof Einval) return { ok: false, errno: 'EINVAL', message: e.message };
    throw e;
  }
  // bm_register_write: open_exec(interpreter) for F, then the dentry lookup.
  if (rule.flags.includes('F') && opts.openInterpreter) {
    const errno = opts.openInterpreter(rule.interpreter);
    if (errno) {
      return { ok: false, errno, message: `the F flag opens the interpreter now and ${displayBytes(rule.interpreter)} cannot be opened for exec (${errno})` };
    }
  }
  if (rule.name.length > NAME_MAX) {
    return { ok: false, errno: 'ENAMETOOLONG', message: `the name is ${rule.name.length} bytes; at most ${NAME_MAX} are allowed` };
  }
  if (rule.name === 'register' || rule.name === 'status') {
    return { ok: false, errno: 'EEXIST', message: `'${rule.name}' is a control file of binfmt_misc and cannot be an entry name` };
  }
  if (opts.existing) {
    for (const n of opts.existing) {
      if (n === rule.name) return { ok: false, errno: 'EEXIST', message: `an entry named '${displayBytes(n)}' is already registered` };
    }
  }
  return { ok: true, rule };
}

// Delimiters tried in turn when ':' appears in a field. Never a flag letter
// (they break an empty flags field), '\n', NUL, '\\', 'x' or a hex digit
// (scanarg treats "\x" specially).
const DELIMITERS = ':|#!,;=@%+~^&*?<>"\'`$(){}[]_-. ';

function pickDelimiter(rule: Rule): string {
  const used = rule.name + rule.interpreter + rule.extension + (rule.type === 'M' ? String(rule.offset) : '');
  for (const d of DELIMITERS) if (!used.includes(d)) return d;
  for (let c = 0x01; c < 0x100; c++) {
    const d = String.fromCharCode(c);
    if (c === NL || /[POCF\\x0-9a-fA-F]/.test(d)) continue;
    if (!used.includes(d)) return d;
  }
  throw new XarchError('RULE_INVALID', `no delimiter is free for rule ${displayBytes(rule.name)}: its fields use every byte`);
}

/**
 * The canonical register line (a byte string, no trailing newline):
 * `:name:M:offset:\xHH...:\xHH...:interpreter:FLAGS`, or
 * `:name:E::ext::interpreter:FLAGS`. ':' is replaced by another delimiter
 * when a field contains one. Write it with registerBytes().
 */
export function renderRegister(rule: Rule): string {
  const d = pickDelimiter(rule);
  if (rule.type === 'E') {
    return [ '', rule.name, 'E', '', rule.extension, '', rule.interpreter, rule.flags ].join(d);
  }
  const mask = rule.mask ? escapeHex(rule.mask) : '';
  return ['', rule.name, 'M', String(rule.offset), escapeHex(rule.magic), mask, rule.interpreter, rule.flags].join(d);
}

/** The bytes of the register line: what one write(2) to `register` should carry. */
export function registerBytes(rule: Rule): Uint8Array {
  return stringBytes(renderRegister(rule));
}

// ---------------------------------------------------------------- entry text

/**
 * The exact text of /proc/sys/fs/binfmt_misc/<name> (fs/binfmt_misc.c
 * entry_status), as a byte string. "flags: " keeps its trailing space when
 * empty; magic is the decoded magic in lowercase hex, not pre-masked.
 */
export function renderEntry(rule: Rule, enabled = true): string {
  let s = `${enabled ? 'enabled' : 'disabled'}\ninterpreter ${rule.interpreter}\nflags: ${canonicalFlags(rule.flags)}\n`;
  if (rule.type === 'E') return s + `extension .${rule.extension}\n`;
  s += `offset ${rule.offset}\nmagic ${toHex(rule.magic)}`;
  if (rule.mask) s += `\nmask ${toHex(rule.mask)}`;
  return s + '\n';
}

// The interpreter and extension are printed verbatim and may contain
// newlines themselves, so the split is found by matching the whole shape.
const ENTRY_RE = /^(enabled|disabled)\ninterpreter ([\s\S]*?)\nflags: (P?O?C?F?)\n(?:offset (-?\d+)\nmagic ([0-9a-f]*)(?:\nmask ([0-9a-f]*))?\n|extension \.([\s\S]*)\n)$/;

/** Parse the text of an entry file (as a byte string) back into a rule. */
export function parseEntry(name: string, text: string): { rule: Rule; enabled: boolean } {
  const m = ENTRY_RE.exec(text);
  if (!m) {
    throw new XarchError('RULE_INVALID', `cannot parse binfmt_misc entry ${displayBytes(name)}: unexpected text ${JSON.stringify(text.slice(0, 80))}`, {
      hint: 'is this a binfmt_misc directory? (the kernel may be built without verbose status)',
    });
  }
  const [, status, interpreter, flags, offset, magicHex, maskHex, extension] = m;
  const rule: Rule = extension !== undefined
    ? { name, type: 'E', offset: 0, magic: new Uint8Array(0), mask: null, extension, interpreter: interpreter!, flags: flags! }
    : { name, type: 'M', offset: Number(offset), magic: fromHex(magicHex!), mask: maskHex !== undefined ? fromHex(maskHex) : null, extension: '', interpreter: interpreter!, flags: flags! };
  return { rule, enabled: status === 'enabled' };
}

// ---------------------------------------------------------------- from the catalogue

/** The rule for a catalogue target (magic/mask from src/arch.ts). */
export function ruleFromTarget(t: Target, opts: { name?: string; interpreter: string; flags: string }): Rule {
  return {
    name: opts.name ?? xarchEntryName(t),
    type: 'M',
    offset: 0,
    magic: Uint8Array.from(t.magic),
    mask: Uint8Array.from(t.mask),
    extension: '',
    interpreter: opts.interpreter,
    flags: canonicalFlags(opts.flags),
  };
}

/** Two rules describe the same kernel entry (names included). */
export function sameRule(a: Rule, b: Rule): boolean {
  return a.name === b.name && a.type === b.type && a.offset === b.offset && bytesEqual(a.magic, b.magic) && bytesEqual(a.mask, b.mask) &&
    a.extension === b.extension && a.interpreter === b.interpreter && canonicalFlags(a.flags) === canonicalFlags(b.flags);
}
