// File names are bytes; xarch's strings are UTF-16. A name that is valid
// UTF-8 is its decoded string; every byte that is not part of a valid UTF-8
// sequence becomes the lone surrogate U+DC00+byte (U+DC80..U+DCFF), as
// Python's surrogateescape does (PEP 383). Valid UTF-8 can never encode a
// surrogate, so the mapping is one to one: argv, readdir, open and output
// carry any name losslessly, and JSON.stringify writes such a character as
// the escape "\udcff", which a reader decodes with surrogateescape.

const ESCAPE_LOW = 0xdc80;
const ESCAPE_HIGH = 0xdcff;

/** The length of the valid UTF-8 sequence at b[i], or 0 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes of a file name to its string, losslessly. */
export function decodePath(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch { /* not valid UTF-8: escape byte by byte below */ }
  let out = '';
  for (let i = 0; i < b.length;) {
    const n = sequenceLength(b, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + b[i]!);
      i++;
    } else {
      out += utf8.decode(b.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

/** Does `s` hold an escaped byte (so it must reach the file system as bytes)? */
export function hasEscapedBytes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= ESCAPE_LOW && c <= ESCAPE_HIGH && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) return true;
  }
  return false;
}

/** A file name's string back to its bytes (the inverse of decodePath). */
export function encodePath(s: string): Uint8Array {
  if (!hasEscapedBytes(s)) return new TextEncoder().encode(s);
  const parts: number[] = [];
  const enc = new TextEncoder();
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= ESCAPE_LOW && c <= ESCAPE_HIGH) parts.push(c - 0xdc00);
    else for (const x of enc.encode(ch)) parts.push(x);
  }
  return Uint8Array.from(parts);
}
