// The rule for a sample binary (`xarch rule derive`): what the seed articles
// build by hand from a foreign executable's header. Pure: the one question
// that needs the disk (which emulator is installed) is an injected callback.
import { emulatorName, targetsForHeader, xarchEntryName } from './arch.js';
import { XarchError } from './errors.js';
import { canonicalFlags, type Rule } from './rule.js';

export interface DeriveOptions {
  name?: string;
  interpreter?: string;
  flags?: string;
  /** The sample's path, for messages. */
  file: string;
  /**
   * Which paths exist (injected IO): without --interpreter the rule names
   * the target's emulator where it is installed. Not given: Debian's
   * qemu-<cpu>-static path.
   */
  exists?: (path: string) => boolean;
}

/**
 * The rule for a sample binary, as the seed articles build it by hand: the
 * first 20 bytes (ELF identification, e_type, e_machine) with OSABI (7) and
 * ABI version (8) masked out and e_type masked with 0xfe (EXEC and DYN); for
 * 32-bit MIPS the EF_MIPS_ABI2 bit of e_flags, as the catalogue does, so o32
 * and n32 stay apart. Magic bits outside the mask are cleared. `head` is the
 * start of the file (ElfInfo.header).
 */
export function deriveRule(head: Uint8Array, opts: DeriveOptions): { rule: Rule; target: string | null } {
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) {
    throw new XarchError(head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 ? 'ELF_TRUNCATED' : 'ELF_NOT_ELF',
      `${opts.file} is not an ELF file (or is shorter than its 20-byte header)`, { path: opts.file, offset: 0, hint: 'give a foreign executable, e.g. a binary from the target distribution' });
  }
  const little = head[5] !== 2;
  const magic = Array.from(head.subarray(0, 20));
  const mask = Array(20).fill(0xff);
  mask[7] = 0x00; // EI_OSABI: SYSV (0) and GNU (3) binaries both run
  mask[8] = 0x00; // EI_ABIVERSION
  mask[little ? 16 : 17] = 0xfe; // e_type: ET_EXEC (2) and ET_DYN (3)
  const machine = little ? head[18]! | (head[19]! << 8) : (head[18]! << 8) | head[19]!;
  if (machine === 8 && head[4] === 1 && head.length >= 40) {
    for (let i = 20; i < 40; i++) { magic.push(0); mask.push(0); }
    const at = little ? 36 : 39;
    magic[at] = head[at]! & 0x20; // EF_MIPS_ABI2: n32 when set, o32 when clear
    mask[at] = 0x20;
  }
  const m = Uint8Array.from(magic.map((b, i) => b & mask[i]!));
  const k = Uint8Array.from(mask);
  const t = targetsForHeader(head)[0];
  const rule: Rule = {
    name: opts.name ?? (t ? xarchEntryName(t) : `elf-machine-${machine}`),
    type: 'M', offset: 0, magic: m, mask: k, extension: '',
    interpreter: opts.interpreter ?? (t ? emulatorPath(emulatorName(t), opts.exists) : '/usr/bin/false'),
    flags: canonicalFlags(opts.flags ?? 'F'),
  };
  return { rule, target: t?.name ?? null };
}

/** The emulator's path: Debian's static build or the plain one, whichever is installed, else the static path. */
function emulatorPath(emulator: string, exists?: (path: string) => boolean): string {
  const candidates = [`/usr/bin/${emulator}-static`, `/usr/bin/${emulator}`];
  return candidates.find((p) => exists?.(p)) ?? candidates[0]!;
}
