// The CLI entry: picks a command, loads only that command's module (start-up
// stays close to bare Node), and turns errors into one line and an exit code.
import { readFileSync } from 'node:fs';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo, type Io } from './io.js';
// options.ts is imported when a command runs (its module needs it anyway), not for --version.
import type { CommandSpec } from './options.js';
import type { CommandModule } from './run-command.js';

export type { CommandModule };

export { processArgs } from './io.js';

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

// The head of each command's declaration: its name, its one-line summary and
// where it lives. The rest (usage, prose, options) is declared at the top of
// its module under ./commands, which is imported only when the command runs
// or prints its help: loading every module to list the summaries would cost
// start-up more than a hundred milliseconds (their imports reach most of
// src/), so `xarch --help` reads only this table.
export const COMMANDS: Record<string, CommandEntry> = {
  inspect: { summary: 'read ELF headers: class, byte order, ABI, loader, target', load: () => import('./commands/inspect.js') },
  arches: { summary: 'list the QEMU targets and every name they go by', load: () => import('./commands/arches.js') },
  rule: { summary: 'check, lint and derive binfmt_misc registration strings', load: () => import('./commands/rule.js') },
  which: { summary: 'predict which binfmt_misc entry the kernel runs for a file', load: () => import('./commands/which.js') },
  emulators: { summary: 'find QEMU user-mode emulators on this machine', load: () => import('./commands/emulators.js') },
  install: { summary: 'register handlers for foreign architectures', load: () => import('./commands/install.js') },
  uninstall: { summary: "remove handlers (xarch's own by default)", load: () => import('./commands/uninstall.js') },
  enable: { summary: 'enable handlers', load: () => import('./commands/enable.js') },
  disable: { summary: 'disable handlers', load: () => import('./commands/disable.js') },
  status: { summary: 'show every binfmt_misc entry and kernel features', load: () => import('./commands/status.js') },
  export: { summary: 'render rules as binfmt.d, Debian binfmts or JSON', load: () => import('./commands/export.js') },
  apply: { summary: 'register rules from binfmt.d and Debian binfmts configuration', load: () => import('./commands/apply.js') },
  agent: { summary: 'keep handlers in effect: re-register, probe, report drift', load: () => import('./commands/agent.js') },
  verify: { summary: 'self-test: run a tiny probe for each architecture', load: () => import('./commands/verify.js') },
  run: { summary: 'run one foreign program through its emulator, no registration', load: () => import('./commands/run.js') },
  shell: { summary: 'enter a foreign root filesystem, rootless', load: () => import('./commands/shell.js') },
  doctor: { summary: 'explain why a foreign program does not run', load: () => import('./commands/doctor.js') },
  scan: { summary: 'count the architectures of the ELF files in trees and images', load: () => import('./commands/scan.js') },
  completion: { summary: 'print shell completions (bash, zsh, fish) generated from the declarations', load: () => import('./commands/completion.js') },
  bench: { summary: 'measure the emulation penalty per target and the fastest QEMU CPU model', load: () => import('./commands/bench.js') },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Every command's declaration as plain data (for completions and a man page); loads every command module. */
export async function commandSpecs(): Promise<CommandSpec[]> {
  const { commandSpec } = await import('./options.js');
  return Promise.all(Object.entries(COMMANDS).map(async ([name, c]) => {
    const { command } = await c.load();
    if (command.name !== name) throw new Error(`command table entry '${name}' loads the declaration of '${command.name}'`);
    return commandSpec(command, c.summary);
  }));
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `Usage: xarch COMMAND [OPTIONS] [ARGS...]

Run programs built for other CPU architectures through QEMU and binfmt_misc.

Commands:
${lines.join('\n')}

Every command takes --help and --json. Exit codes: 0 ok, 1 failure, 2 usage.
`;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && COMMANDS[rest[0]]) return main([rest[0], '--help'], io);
    io.out(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`xarch ${version()}\n`);
    return EXIT_OK;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const close = Object.keys(COMMANDS).filter((c) => c.startsWith(name.slice(0, 2)));
    io.err(`xarch: unknown command '${name}'${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}\n  hint: run 'xarch --help' for the list\n`);
    return EXIT_USAGE;
  }
  let mod: CommandModule;
  try {
    mod = await entry.load();
  } catch (e) {
    io.err(`xarch: command '${name}' is not available in this build: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  const { runCommand } = await import('./run-command.js');
  return runCommand(name, mod, rest, io);
}
