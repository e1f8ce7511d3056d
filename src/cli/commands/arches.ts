// xarch arches [NAME...]: the QEMU target catalogue, and name resolution.
import os from 'node:os';
import { EXIT_OK, jsonLine, parseCommand, table, type Io } from '../io.js';
import { TARGETS, emulatorName, isHostTarget, resolveTarget, type Target } from '../../arch.js';
import { displayBytes } from '../../rule.js';
import { findEmulators } from '../../emulators.js';

export const help = `Usage: xarch arches [NAME...] [--json]

Without NAME: every QEMU user-mode target xarch knows, with its family, its
emulator (and whether one is installed here), whether it is the host's own
family (never registered: it would hijack native programs), and its names
in Docker/OCI, Debian, uname -m, GNU and Go schemes.

With NAMEs: resolve each (linux/arm/v7, armhf, aarch64-linux-gnu, GOARCH
mips64le, ...) to its target and say which scheme and ABI variant it named.
An unknown name fails with the closest names.

  --json   one line per target: {"name","family","cpu","emulator","installed",
           "host","class","byteOrder","machine","magic","mask","names":{docker,debian,uname,gnu,go}}
           with NAMEs: {"input","target","scheme","variant","host","installed"}
`;

function names(t: Target): string {
  const n = t.names;
  return [...(n.docker ?? []).filter((x) => x.startsWith('linux/')), ...(n.debian ?? []), ...(n.uname ?? [])]
    .filter((x, i, a) => x !== t.name && a.indexOf(x) === i).join(' ');
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(argv, {});
  const machine = os.machine();
  const installed = new Set(findEmulators({ path: io.env.PATH ?? '' }).map((e) => e.target));
  if (positionals.length) {
    // Resolve everything first: an unknown name fails before anything prints.
    const resolved = positionals.map((p) => resolveTarget(p));
    for (const r of resolved) {
      const out = { input: r.input, target: r.target.name, scheme: r.scheme, variant: r.variant ?? null, host: isHostTarget(r.target, machine), installed: installed.has(r.target.name) };
      if (values.json) jsonLine(io, out);
      else io.out(`${out.input} → ${out.target} (${out.scheme} name${out.variant ? `, variant ${out.variant}` : ''}; ${out.host ? 'host family' : 'foreign'}; emulator ${emulatorName(r.target)} ${out.installed ? 'installed' : 'not installed'})\n`);
    }
    return EXIT_OK;
  }
  if (values.json) {
    for (const t of TARGETS) {
      jsonLine(io, {
        name: t.name, family: t.family, cpu: t.cpu, emulator: emulatorName(t), installed: installed.has(t.name), host: isHostTarget(t, machine),
        class: t.elfClass, byteOrder: t.byteOrder, machine: t.machine, magic: displayBytes(latin1(t.magic)), mask: displayBytes(latin1(t.mask)), names: t.names,
      });
    }
    return EXIT_OK;
  }
  const rows = TARGETS.map((t) => [t.name, t.family, emulatorName(t), installed.has(t.name) ? 'yes' : '-', isHostTarget(t, machine) ? 'host' : 'foreign', names(t)]);
  io.out(table(['TARGET', 'FAMILY', 'EMULATOR', 'INSTALLED', 'HOST', 'ALSO KNOWN AS'], rows));
  return EXIT_OK;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}
