// One error type for the whole library: a code a program can switch on, a
// message that says what happened, a hint that says what to do, and where
// (path, byte offset). The CLI renders it as one line; nothing prints a stack.

export type ErrorCode =
  // ELF reader
  | 'ELF_NOT_ELF'
  | 'ELF_TRUNCATED'
  | 'ELF_INVALID'
  // catalogue
  | 'ARCH_UNKNOWN'
  // rules
  | 'RULE_INVALID'
  | 'RULE_CONFLICT'
  // files and kernel
  | 'PATH_NOT_FOUND'
  | 'PATH_NOT_FILE'
  | 'PATH_UNREADABLE'
  | 'BINFMT_NOT_MOUNTED'
  | 'BINFMT_UNAVAILABLE'
  | 'BINFMT_EXISTS'
  | 'BINFMT_WRITE_FAILED'
  | 'PERMISSION_DENIED'
  | 'READ_ONLY'
  | 'KERNEL_TOO_OLD'
  | 'EMULATOR_NOT_FOUND'
  | 'EMULATOR_UNSAFE'
  | 'HOST_FAMILY'
  | 'LOADER_NOT_FOUND'
  | 'SANDBOX_UNAVAILABLE'
  | 'ENGINE_UNAVAILABLE'
  | 'ARCHIVE_INVALID'
  | 'CONFIG_INVALID'
  // emulator store (src/emulators/store.ts)
  | 'STORE_INVALID'
  | 'SET_NOT_FOUND'
  | 'SET_IN_USE'
  | 'EMULATOR_DYNAMIC'
  | 'CHECKSUM_MISMATCH'
  | 'SOURCE_UNAVAILABLE'
  | 'CANARY_FAILED'
  | 'CPU_MODEL_UNKNOWN'
  | 'OUTPUT_FAILED'
  | 'USAGE'
  | 'INTERNAL';

export interface ErrorDetails {
  hint?: string;
  path?: string;
  offset?: number;
  errno?: string;
  cause?: unknown;
}

export class XarchError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly path?: string;
  readonly offset?: number;
  readonly errno?: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'XarchError';
    this.code = code;
    if (details.hint !== undefined) this.hint = details.hint;
    if (details.path !== undefined) this.path = details.path;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.errno !== undefined) this.errno = details.errno;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.path !== undefined) out.path = this.path;
    if (this.offset !== undefined) out.offset = this.offset;
    if (this.errno !== undefined) out.errno = this.errno;
    return out;
  }
}

export function isXarchError(e: unknown): e is XarchError {
  return e instanceof XarchError;
}

/** The errno name of a Node system error ("ENOENT"), or undefined. */
export function errnoOf(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return undefined;
}

/**
 * Map a failed file-system call on `path` to an XarchError with a hint. Used at
 * the IO edges; `what` names the thing ("ELF file", "emulator").
 */
export function fromSystemError(e: unknown, path: string, what = 'file'): XarchError {
  if (e instanceof XarchError) return e;
  const errno = errnoOf(e);
  switch (errno) {
    case 'ENOENT':
      return new XarchError('PATH_NOT_FOUND', `${what} ${path} does not exist`, { path, errno, cause: e, hint: 'check the path' });
    case 'EISDIR':
      return new XarchError('PATH_NOT_FILE', `${path} is a directory, not a ${what}`, { path, errno, cause: e, hint: 'name a regular file' });
    case 'EACCES':
    case 'EPERM':
      return new XarchError('PERMISSION_DENIED', `no permission to access ${path}`, { path, errno, cause: e, hint: 'run as a user who can read it, or as root' });
    case 'EROFS':
      return new XarchError('READ_ONLY', `${path} is on a read-only file system`, { path, errno, cause: e, hint: 'remount it read-write, or, in a container, run it with the host path writable' });
    case 'ELOOP':
      return new XarchError('PATH_UNREADABLE', `${path}: too many levels of symbolic links`, { path, errno, cause: e, hint: 'fix the symlink loop' });
    default:
      return new XarchError('PATH_UNREADABLE', `cannot read ${path}: ${(e as Error)?.message ?? String(e)}`, { path, errno, cause: e });
  }
}
