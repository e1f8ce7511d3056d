// Options several commands declare alike.
import { DEFAULT_BINFMT_DIR } from '../host/kernel.js';

/** --binfmt-dir DIR: which binfmt_misc instance to read or change. */
export function binfmtDirOption(description = 'binfmt_misc mount') {
  return { type: 'string', value: 'DIR', description, default: DEFAULT_BINFMT_DIR, complete: 'dir' } as const;
}
