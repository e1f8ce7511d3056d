// Tar members written byte by byte, for archives the tar tool refuses to make
// (names with '..', absolute names, links out, device nodes).
export interface RawMember {
  name: string;
  data?: Uint8Array | string;
  /** ustar type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '5' directory, '6' FIFO. */
  type?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

export function rawMember(m: RawMember): Buffer {
  const body = Buffer.from(m.data ?? '');
  const h = Buffer.alloc(512);
  const oct = (v: number, len: number) => v.toString(8).padStart(len - 1, '0') + '\0';
  h.write(m.name.slice(0, 100), 0);
  h.write(oct(m.mode ?? (m.type === '5' ? 0o755 : 0o644), 8), 100);
  h.write(oct(m.uid ?? 0, 8), 108);
  h.write(oct(m.gid ?? 0, 8), 116);
  h.write(oct(body.length, 12), 124);
  h.write(oct(m.mtime ?? 1_700_000_000, 12), 136);
  h.write(m.type ?? '0', 156);
  if (m.linkname) h.write(m.linkname, 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

/** A whole archive of raw members with its two zero end blocks. */
export function rawTar(members: RawMember[]): Buffer {
  return Buffer.concat([...members.map(rawMember), Buffer.alloc(1024)]);
}
