// Bytes as the kernel sees them, and the text forms people and files use for
// them. Pure: no IO.
//
// A *byte string* is a JavaScript string whose every char is one byte
// (U+0000..U+00FF, i.e. latin1), so ASCII is unchanged. binfmt_misc treats
// names, interpreters and extensions as bytes, not text, and Rule keeps them
// as byte strings: byteString()/stringBytes() cross to Uint8Array,
// displayBytes() shows one to a person (UTF-8 when it decodes).
//
// Also here: the one magic/mask comparison (fs/binfmt_misc.c check_file:
// `(header[j] ^ magic[j]) & mask[j]`), used by the catalogue, the matcher and
// lint alike.
import { XarchError } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Uint8Array → byte string (one char per byte). */
export function byteString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Byte string → Uint8Array. Chars above U+00FF are taken as text and encoded as UTF-8. */
export function stringBytes(s: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u00ff]/.test(s)) return new TextEncoder().encode(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Text a person typed (UTF-8) → byte string. */
export function textToByteString(text: string): string {
  return byteString(new TextEncoder().encode(text));
}

/** `\xHH` of a char's code (a byte string's char is a byte). */
const escapeChar = (c: string) => '\\x' + HEX[c.charCodeAt(0)]!;

/**
 * Show a byte string to a person: decoded as UTF-8 when it is valid UTF-8,
 * with control bytes (and, for invalid UTF-8, bytes >= 0x80) as \xHH.
 * Backslashes are left as they are: this is for reading, not round trips.
 */
export function displayBytes(s: string): string {
  const bytes = stringBytes(s);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = s.replace(/[\u0080-\u00ff]/g, escapeChar);
  }
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, escapeChar);
}

/** Lowercase hex, two digits a byte: the form of /proc entry files and JSON. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x]!;
  return s;
}

export function fromHex(h: string): Uint8Array {
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new XarchError('RULE_INVALID', `not a hex string: ${h}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** "\xHH" for every byte: the register-line, binfmt.d and Debian binfmts form of magic and mask. */
export function escapeHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += '\\x' + HEX[x]!;
  return s;
}

/** Decode `\xHH` notation (other chars stand for their own code): the inverse of escapeHex, for tables written by hand. */
export function unescapeHex(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      out.push(s.charCodeAt(i));
      i += 1;
    }
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------- magic and mask

/** Does byte `actual` equal `magic` in every bit `mask` selects? */
export function maskedByteMatches(actual: number, magic: number, mask: number): boolean {
  return ((actual ^ magic) & mask) === 0;
}

/**
 * The index j of the first magic byte that `data` does not match under the
 * mask (null mask: every bit compared), with magic[0] at `offset` in `data`;
 * -1 when all match. Bytes at or past `end` read as 0, as in the kernel's
 * zero-filled header buffer.
 */
export function firstMaskedMismatch(data: Uint8Array, magic: Uint8Array, mask: Uint8Array | null, offset = 0, end = data.length): number {
  const stop = Math.min(end, data.length);
  for (let j = 0; j < magic.length; j++) {
    const at = offset + j;
    if (!maskedByteMatches(at < stop ? data[at]! : 0, magic[j]!, mask ? mask[j]! : 0xff)) return j;
  }
  return -1;
}

/** Two byte strings are equal; null (no mask) equals only null. The one byte comparison. */
export function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]);
}
