// The ELF reader's file edge: one descriptor, positioned reads of only the
// bytes the parser asks for.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fromSystemError, XarchError } from '../core/errors.js';
import { parseDynamic, parseElf, type DynamicInfo, type ElfInfo, type ReadAt } from '../core/elf.js';

/** A ReadAt over an open file descriptor. */
export function fdReadAt(fd: number): ReadAt {
  return (offset, length) => {
    const b = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, b, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? b : b.subarray(0, got);
  };
}

/** Parse the ELF headers of `file`. Errors name the file (and the byte offset for ELF errors). */
export function readElfFile(file: string | Buffer): ElfInfo {
  return withElfFile(file, parseElf);
}

/** Open `file` (never blocking on a FIFO), check it is a regular file, run `parse` over it. */
function withElfFile<T>(path: string | Buffer, parse: (read: ReadAt) => T): T {
  // A Buffer path carries raw bytes (a binfmt_misc interpreter need not be UTF-8); messages show it as latin1.
  const file = typeof path === 'string' ? path : path.toString('latin1');
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw fromSystemError(e, file, 'file');
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new XarchError('PATH_NOT_FILE', `${file} is a directory`, { path: file, errno: 'EISDIR', hint: 'give a file (xarch scan walks directories)' });
    if (!st.isFile()) throw new XarchError('PATH_NOT_FILE', `${file} is not a regular file`, { path: file, hint: 'give a regular file' });
    return parse(fdReadAt(fd));
  } catch (e) {
    if (e instanceof XarchError && e.code.startsWith('ELF_')) {
      throw new XarchError(e.code, `${file}: ${e.message}${e.offset !== undefined ? ` (at byte ${e.offset})` : ''}`, { path: file, offset: e.offset, hint: e.hint });
    }
    throw fromSystemError(e, file, 'file');
  } finally {
    closeSync(fd);
  }
}

/** DT_NEEDED and DT_RUNPATH of `file` (null without a dynamic section). */
export function readDynamicFile(file: string): DynamicInfo | null {
  return withElfFile(file, parseDynamic);
}
