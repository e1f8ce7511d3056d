// xarch apply [FILE...]: register persisted configuration without flushing.
import { EXIT_FAILURE, EXIT_OK, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { DEFAULT_BINFMT_DIR } from '../../host/kernel.js';
import { installRules } from '../../manage/install.js';
import { readConfig } from '../../persist/config.js';
import { summary, warnLines } from '../manage-common.js';

export const command = defineCommand({
  name: 'apply',
  description: `
Register handlers from configuration files, reconciling with what is
registered (never flushing): identical entries stay 'unchanged'.

Without FILE: systemd's binfmt.d with its precedence (/etc/binfmt.d,
/run/binfmt.d, /usr/local/lib/binfmt.d, /usr/lib/binfmt.d; a file name in an
earlier directory masks the same name in later ones, a /dev/null link masks
it entirely; files in lexical order; '#' and ';' comments), then Debian's
/usr/share/binfmts (update-binfmts --import format) for names not already
given. This restores handlers after a reboot on machines without
systemd-binfmt (containers, WSL, minimal systems).

A FILE may be in either format. Errors name file:line; the rest is applied.`,
  positionals: [{ name: 'FILE', repeatable: true, complete: 'file' }],
  options: {
    root: { type: 'string', value: 'DIR', description: 'read the configuration directories under DIR', default: '/', complete: 'dir' },
    'no-debian': { type: 'boolean', description: 'skip /usr/share/binfmts' },
    'dry-run': { type: 'boolean', description: 'report what would happen, change nothing' },
    'binfmt-dir': binfmtDirOption(),
  },
  json: 'one line per item: {"name","source","status","reason",...}',
  notes: 'Exit 1 if any line or entry failed.',
});

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  const cfg = readConfig(positionals, values.root ?? '/', { debian: !values['no-debian'] });
  const items = cfg.rules.length
    ? installRules(cfg.rules.map((r) => r.rule), { binfmtDir: values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR, dryRun: !!values['dry-run'], emulatorSearch: { path: io.env.PATH ?? '' } })
    : [];
  const statuses: string[] = [];
  for (const err of cfg.errors) {
    statuses.push('failed');
    if (values.json) jsonLine(io, { source: err.source, status: 'failed', error: { message: err.message, errno: err.errno } });
    else io.out(`${'failed'.padEnd(10)} ${err.source}: ${err.message}${err.errno ? ` (${err.errno})` : ''}\n`);
  }
  items.forEach((it, i) => {
    const source = cfg.rules[i]?.source;
    statuses.push(it.status);
    if (values.json) {
      jsonLine(io, { ...it, source });
      return;
    }
    io.out(`${it.status.padEnd(10)} ${it.name} (${source})${it.reason ? `: ${it.reason}` : ''}\n`);
    if (it.error?.hint) io.out(`    hint: ${it.error.hint}\n`);
    for (const c of it.conflicts ?? []) io.out(`    conflict: ${c.name} also matches these binaries; the kernel uses ${c.winner}\n`);
    warnLines(io, it.warnings);
  });
  if (!values.json) io.out(`${summary(statuses) || 'nothing to apply'}${values['dry-run'] ? ' (dry run: nothing changed)' : ''}\n`);
  return statuses.includes('failed') ? EXIT_FAILURE : EXIT_OK;
}
