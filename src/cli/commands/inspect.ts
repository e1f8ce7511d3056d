// xarch inspect FILE...: what an ELF file is and which target runs it.
import { EXIT_FAILURE, EXIT_OK, UsageError, errorJson, formatError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { isXarchError } from '../../core/errors.js';
import { readElfFile } from '../../host/file.js';
import type { ElfInfo } from '../../core/elf.js';
import { emulatorName, getTarget } from '../../core/arch.js';

export const command = defineCommand({
  name: 'inspect',
  description: `
Read the ELF identification, header and program headers of each FILE (never
the whole file) and show: class, byte order, OSABI and ABI version, type
(EXEC, DYN, PIE), machine, the e_flags that decide the ABI (ARM EABI and
float ABI, MIPS o32/n32/n64, RISC-V float ABI, PowerPC64 ELFv1/ELFv2), the
loader (PT_INTERP), static or dynamic, and the catalogue target(s) that run it.

A file that cannot be read or is not a valid ELF file is reported on stderr
with the reason (and byte offset); the others still print. Exit 1 if any
failed.`,
  positionals: [{ name: 'FILE', repeatable: true, required: true, complete: 'file' }],
  options: {},
  json: 'one line per file: {"file","ok":true,"class","byteOrder","osabi","osabiName","abiVersion","type","pie","machine","machineName","flags","abi","entry","interpreter","linkage","targets","emulators"}\nor {"file","ok":false,"error":{"code","message","offset","path","hint"}}\n(entry is a hex string; pie: a PIE, static or dynamic, not a library)',
});

export function inspectJson(file: string, i: ElfInfo): Record<string, unknown> {
  return {
    file, ok: true, class: i.elfClass, byteOrder: i.byteOrder, osabi: i.osabi, osabiName: i.osabiName, abiVersion: i.abiVersion,
    type: i.type, pie: i.pie, machine: i.machine, machineName: i.machineName, flags: i.flags, abi: i.abi,
    entry: '0x' + i.entry.toString(16), interpreter: i.interpreter, linkage: i.linkage, targets: i.targets,
    emulators: i.targets.map((t) => emulatorName(getTarget(t)!)),
  };
}

function human(file: string, i: ElfInfo): string {
  const type = i.type === 'DYN'
    ? (i.pie ? (i.interpreter ? 'DYN (position-independent executable)' : 'DYN (static position-independent executable)') : 'DYN (shared object)')
    : i.type === 'EXEC' ? 'EXEC (position-dependent executable)' : i.type === 'UNKNOWN' ? `unknown (${i.eType})` : i.type;
  const rows: [string, string][] = [
    ['class', `ELF${i.elfClass}, ${i.byteOrder}-endian`],
    ['osabi', `${i.osabiName} (${i.osabi}), ABI version ${i.abiVersion}`],
    ['type', type],
    ['machine', `${i.machineName} (${i.machine})`],
    ['flags', `0x${i.flags.toString(16)}${i.abi.length ? ` (${i.abi.join(', ')})` : ''}`],
    ['entry', `0x${i.entry.toString(16)}`],
    ['linkage', i.linkage],
    ['loader', i.interpreter ?? '-'],
    ['target', i.targets.length ? i.targets.map((t) => `${t} (${emulatorName(getTarget(t)!)})`).join(', ') : 'none in the catalogue'],
  ];
  return `${file}:\n${rows.map(([k, v]) => `  ${k.padEnd(8)} ${v}`).join('\n')}\n`;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  if (positionals.length === 0) throw new UsageError('inspect needs at least one FILE');
  let failed = 0;
  for (const file of positionals) {
    try {
      const info = readElfFile(file);
      if (values.json) jsonLine(io, inspectJson(file, info));
      else io.out(human(file, info));
    } catch (e) {
      if (!isXarchError(e)) throw e;
      failed++;
      if (values.json) jsonLine(io, { file, ok: false, error: errorJson(e) });
      else io.err(formatError(e));
    }
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}
