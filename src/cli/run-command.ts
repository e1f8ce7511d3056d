// One command, once its module is loaded: --help, or run it and turn what
// it throws into one line and an exit code. main.ts calls it after loading
// the module from its table; a command's own bundle (bundle.ts) calls it
// with the module bundled in.
import { EXIT_FAILURE, EXIT_USAGE, UsageError, formatError, type Io } from './io.js';
import { renderHelp, wantsHelp, type CommandDeclaration } from './options.js';

export interface CommandModule {
  /** Options, positionals and help text: see options.ts. */
  command: CommandDeclaration;
  run(argv: string[], io: Io): Promise<number>;
}

export async function runCommand(name: string, mod: CommandModule, rest: string[], io: Io): Promise<number> {
  if (wantsHelp(mod.command, rest)) {
    io.out(renderHelp(mod.command));
    return 0;
  }
  try {
    return await mod.run(rest, io);
  } catch (e) {
    io.err(formatError(e));
    if (e instanceof UsageError) {
      io.err(`  hint: run 'xarch ${name} --help'\n`);
      return EXIT_USAGE;
    }
    return EXIT_FAILURE;
  }
}
