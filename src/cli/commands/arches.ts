// xarch arches [NAME...]: the QEMU target catalogue, and name resolution.
import os from 'node:os';
import { EXIT_FAILURE, EXIT_OK, errorJson, formatError, jsonLine, table, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { TARGETS, emulatorName, isHostTarget, resolveTarget, type NameScheme, type Resolved, type Target } from '../../core/arch.js';
import { isXarchError } from '../../core/errors.js';
import { byteString, displayBytes } from '../../core/bytes.js';
import { installedTargets } from '../../emulators/discover.js';

export const command = defineCommand({
  name: 'arches',
  description: `
Without NAME: every QEMU user-mode target xarch knows, with its family, its
emulator (and whether one is installed here, found on PATH as
qemu-<cpu>-static or qemu-<cpu>), whether it is the host's own family (never
registered: it would hijack native programs), and its other names.

With NAMEs: resolve each (linux/arm/v7, armhf, armv7l, aarch64-linux-gnu,
GOARCH mips64le, ...) to its target and say which scheme and ABI variant it
named. An unknown name is reported with the closest names; the others still
resolve; exit 1 if any was unknown.`,
  positionals: [{ name: 'NAME', repeatable: true, complete: 'target' }],
  options: {
    all: { type: 'boolean', description: "also each target's binfmt_misc magic and mask, and its names in every scheme (docker, debian, uname, gnu, go)" },
  },
  json: 'one line per target: {"name","family","cpu","emulator","installed","host","class","byteOrder","machine","magic","mask","description","names":{docker,debian,uname,gnu,go}}\nwith NAMEs, one line per NAME: {"input","ok":true,"target","scheme","variant","family","emulator","host","installed"} or {"input","ok":false,"error":{"code","message","hint"}}',
});

const SCHEMES: Exclude<NameScheme, 'qemu'>[] = ['docker', 'debian', 'uname', 'gnu', 'go'];

/** Other names of a target, each once: Docker platforms, Debian, uname -m, Go (GNU CPU names are mostly QEMU's). */
function aliases(t: Target): string {
  const n = t.names;
  return [...(n.docker ?? []).filter((x) => x.startsWith('linux/')), ...(n.debian ?? []), ...(n.uname ?? []), ...(n.go ?? [])]
    .filter((x, i, a) => x !== t.name && a.indexOf(x) === i).join(' ');
}

function resolvedLine(r: Resolved, machine: string, installed: Set<string>): Record<string, unknown> {
  return {
    input: r.input, ok: true, target: r.target.name, scheme: r.scheme, variant: r.variant ?? null, family: r.target.family,
    emulator: emulatorName(r.target), host: isHostTarget(r.target, machine), installed: installed.has(r.target.name),
  };
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  const machine = os.machine();
  const installed = installedTargets({ path: io.env.PATH ?? '' });

  if (positionals.length) {
    let failed = 0;
    for (const p of positionals) {
      let r: Resolved;
      try {
        r = resolveTarget(p);
      } catch (e) {
        if (!isXarchError(e)) throw e;
        failed++;
        if (values.json) jsonLine(io, { input: p, ok: false, error: errorJson(e) });
        else io.err(formatError(e));
        continue;
      }
      const o = resolvedLine(r, machine, installed);
      if (values.json) jsonLine(io, o);
      else {
        io.out(`${o.input} → ${o.target} (${o.scheme} name${o.variant ? `, variant ${o.variant}` : ''}; family ${o.family}, ` +
          `${o.host ? 'host family' : 'foreign'}; emulator ${o.emulator} ${o.installed ? 'installed' : 'not installed'})\n`);
      }
    }
    return failed ? EXIT_FAILURE : EXIT_OK;
  }

  if (values.json) {
    for (const t of TARGETS) {
      jsonLine(io, {
        name: t.name, family: t.family, cpu: t.cpu, emulator: emulatorName(t), installed: installed.has(t.name), host: isHostTarget(t, machine),
        class: t.elfClass, byteOrder: t.byteOrder, machine: t.machine, magic: displayBytes(byteString(t.magic)), mask: displayBytes(byteString(t.mask)),
        description: t.description, names: t.names,
      });
    }
    return EXIT_OK;
  }
  const rows = TARGETS.map((t) => [t.name, t.family, emulatorName(t), installed.has(t.name) ? 'yes' : '-', isHostTarget(t, machine) ? 'host' : 'foreign', aliases(t)]);
  io.out(table(['TARGET', 'FAMILY', 'EMULATOR', 'INSTALLED', 'HOST', 'ALSO KNOWN AS'], rows));
  if (values.all) {
    for (const t of TARGETS) {
      io.out(`\n${t.name}: ${t.description}, ELF${t.elfClass} ${t.byteOrder}-endian, e_machine ${t.machine}\n`);
      io.out(`  magic ${displayBytes(byteString(t.magic))}\n  mask  ${displayBytes(byteString(t.mask))}\n`);
      for (const s of SCHEMES) if (t.names[s]?.length) io.out(`  ${s.padEnd(6)} ${t.names[s]!.join(' ')}\n`);
    }
  }
  return EXIT_OK;
}
