// uninstall / enable / disable share their argument handling and output.
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, parseCommand, type Io } from './io.js';
import { DEFAULT_BINFMT_DIR } from '../host/kernel.js';
import { setEnabled, uninstall, type ChangeItem, type ChangeOptions } from '../manage/change.js';
import { persistHooks, summary } from './manage-common.js';

export function changeHelp(verb: 'uninstall' | 'enable' | 'disable'): string {
  const what = verb === 'uninstall' ? 'Remove' : verb === 'enable' ? 'Enable' : 'Disable';
  return `Usage: xarch ${verb} [NAME|TARGET|GLOB...] [--force] [--dry-run] [--binfmt-dir DIR] [--json]

${what} binfmt_misc entries. Without arguments: every entry of xarch's own
(qemu-<target> with xarch's magic). NAME is an entry name, TARGET any
architecture name (arm64 → qemu-aarch64), GLOB a shell pattern ('qemu-mips*').
Another tool's entry is only touched when named and --force is given.
Each entry is read back after the write and the kernel's answer reported.
${verb === 'uninstall' ? "The entry's persisted file (/etc/binfmt.d, see install --persist) is removed too\n(without arguments: every file xarch persisted), and a binfmt_misc mount\nxarch made is unmounted once no entry is left in it.\n" : ''}
  --force            also act on entries of other tools
  --dry-run          say what would change; change nothing
  --binfmt-dir DIR   binfmt_misc mount (default ${DEFAULT_BINFMT_DIR})
${verb === 'uninstall' ? '  --etc-dir DIR      where persisted files live (default /etc)\n' : ''}  --json             one line per entry: {"name","arg","status","reason","enabled","persistedRemoved","error"}

Status: ${verb === 'uninstall' ? 'removed, absent' : `${verb}d, unchanged, absent (removed concurrently)`}, skipped, failed. Exit 1 if any failed.
`;
}

export async function runChange(verb: 'uninstall' | 'enable' | 'disable', argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(argv, { force: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'binfmt-dir': { type: 'string' }, 'etc-dir': { type: 'string' } });
  if (verb !== 'uninstall' && values['etc-dir'] !== undefined) throw new UsageError(`--etc-dir is an option of uninstall, not ${verb}`);
  const opts: ChangeOptions = { binfmtDir: values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR, force: !!values.force, dryRun: !!values['dry-run'] };
  if (verb === 'uninstall') opts.persist = persistHooks(values['etc-dir']);
  let unmounted: string | undefined;
  opts.onUnmounted = (dir) => { unmounted = dir; };
  const items: ChangeItem[] = verb === 'uninstall' ? uninstall(positionals, opts) : setEnabled(positionals, verb === 'enable', opts);
  for (const it of items) {
    if (values.json) {
      jsonLine(io, it);
      continue;
    }
    io.out(`${it.status.padEnd(10)} ${it.name}${it.reason && it.reason !== it.status ? `: ${it.reason}` : ''}\n`);
    if (it.error?.hint) io.out(`    hint: ${it.error.hint}\n`);
    if (typeof it.persistedRemoved === 'string') io.out(`    removed ${it.persistedRemoved}\n`);
  }
  if (unmounted && !values.json) io.out(`unmounted binfmt_misc at ${unmounted} (xarch had mounted it; no entries left)\n`);
  if (!values.json) io.out(items.length ? `${summary(items.map((i) => i.status))}${opts.dryRun ? ' (dry run: nothing changed)' : ''}\n` : `no xarch entries to ${verb}\n`);
  return items.some((i) => i.status === 'failed') ? EXIT_FAILURE : EXIT_OK;
}
