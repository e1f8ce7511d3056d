// xarch completion bash|zsh|fish: shell completions generated from every
// command's declaration (src/cli/completion.ts), and the live values the
// generated scripts ask for at completion time.
import { EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { renderCompletion, SHELLS, type Shell, type StaticValues } from '../completion.js';
import { commandSpecs, version } from '../main.js';
import { allNames } from '../../core/arch.js';
import { displayBytes } from '../../core/bytes.js';
import { FORMATS } from '../../formats/registry.js';
import { DEFAULT_BINFMT_DIR, readLiveEntries } from '../../host/kernel.js';

const KINDS = ['target', 'format', 'entry'] as const;

export const command = defineCommand({
  name: 'completion',
  usage: [`${SHELLS.join('|')}`, `--values ${KINDS.join('|')}\n[--binfmt-dir DIR] [--json]`],
  description: `
Print the completion script for a shell, generated from every command's
declared options: commands, subcommands, each command's flags, target
names (the catalogue), format names (the format registry), and entry names
(asked of 'xarch completion --values entry' when TAB is pressed, since
entries change after the script is installed). Files and directories are
completed by the shell itself. Install it with one of:
  xarch completion bash > /etc/bash_completion.d/xarch
  echo 'source <(xarch completion zsh)' >> ~/.zshrc
  xarch completion fish > ~/.config/fish/completions/xarch.fish`,
  positionals: [{ name: 'SHELL' }],
  options: {
    values: { type: 'string', value: 'KIND', choices: KINDS, description: 'print the values of KIND one a line instead (what the scripts call back)' },
    'binfmt-dir': binfmtDirOption('the binfmt_misc mount whose entry names --values entry lists'),
  },
  json: 'a script: {"shell","script"}; --values: the values as one array',
});

function staticValues(): StaticValues {
  return { target: allNames(), format: FORMATS.map((f) => f.name) };
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  if (values.values !== undefined) {
    if (positionals.length) throw new UsageError('--values takes no SHELL');
    const list = values.values === 'entry'
      ? entryNames(values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR)
      : staticValues()[values.values];
    if (values.json) jsonLine(io, list);
    else io.out(list.map((v) => `${v}\n`).join(''));
    return EXIT_OK;
  }
  const shell = positionals[0];
  if (positionals.length !== 1 || !SHELLS.includes(shell as Shell)) {
    throw new UsageError(`completion takes one SHELL: ${SHELLS.join(', ')}${shell ? `, not '${positionals.join(' ')}'` : ''}`);
  }
  const script = renderCompletion(shell as Shell, await commandSpecs(), staticValues(), version());
  if (values.json) jsonLine(io, { shell, script });
  else io.out(script);
  return EXIT_OK;
}

/** The instance's entry names; none when binfmt_misc is not there (completion must never fail loudly). */
function entryNames(dir: string): string[] {
  try {
    return readLiveEntries(dir).map((e) => displayBytes(e.name));
  } catch {
    return [];
  }
}
