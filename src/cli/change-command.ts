// uninstall / enable / disable share their argument handling and output.
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from './io.js';
import { defineCommand, parseCommand } from './options.js';
import { binfmtDirOption } from './common-options.js';
import { DEFAULT_BINFMT_DIR } from '../host/kernel.js';
import { setEnabled, uninstall, type ChangeItem, type ChangeOptions } from '../manage/change.js';
import { persistHooks, summary } from './manage-common.js';
import { defaultWrapperDir } from '../perf/wrapper-dir.js';

/** The declaration uninstall, enable and disable share (src/cli/commands/{uninstall,enable,disable}.ts). */
export function changeCommand(verb: 'uninstall' | 'enable' | 'disable') {
  const what = verb === 'uninstall' ? 'Remove' : verb === 'enable' ? 'Enable' : 'Disable';
  return defineCommand({
    name: verb,
    description: `
${what} binfmt_misc entries. Without arguments: every entry of xarch's own
(qemu-<target> with xarch's magic). NAME is an entry name, TARGET any
architecture name (arm64 → qemu-aarch64), GLOB a shell pattern ('qemu-mips*').
Another tool's entry is only touched when named and --force is given.
Each entry is read back after the write and the kernel's answer reported.
${verb === 'uninstall' ? "The entry's persisted file (/etc/binfmt.d, see install --persist) is removed\ntoo (without arguments: every file xarch persisted), and a binfmt_misc mount\nxarch made is unmounted once no entry is left in it." : ''}`,
    positionals: [{ name: 'NAME|TARGET|GLOB', repeatable: true, complete: 'entry' }],
    options: {
      force: { type: 'boolean', description: 'also act on entries of other tools' },
      'dry-run': { type: 'boolean', description: 'say what would change; change nothing' },
      'binfmt-dir': binfmtDirOption(),
      // enable and disable accept it only to say that it is uninstall's.
      'etc-dir': { type: 'string', value: 'DIR', complete: 'dir', hidden: verb !== 'uninstall', description: 'where persisted files live (default /etc)' },
    },
    json: 'one line per entry: {"name","arg","status","reason","enabled","persistedRemoved","wrapperRemoved","error"}',
    notes: `Status: ${verb === 'uninstall' ? 'removed, absent, skipped, failed' : `${verb}d, unchanged, absent (removed concurrently), skipped,\nfailed`}. Exit 1 if any failed.`,
  });
}

export async function runChange(verb: 'uninstall' | 'enable' | 'disable', argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(changeCommand(verb), argv);
  if (verb !== 'uninstall' && values['etc-dir'] !== undefined) throw new UsageError(`--etc-dir is an option of uninstall, not ${verb}`);
  const opts: ChangeOptions = { binfmtDir: values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR, force: !!values.force, dryRun: !!values['dry-run'] };
  if (verb === 'uninstall') {
    opts.persist = persistHooks(values['etc-dir']);
    opts.cpuWrapperDir = defaultWrapperDir(io.env);
  }
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
    if (it.wrapperRemoved) io.out(`    removed its CPU-model wrapper ${it.wrapperRemoved}\n`);
  }
  if (unmounted && !values.json) io.out(`unmounted binfmt_misc at ${unmounted} (xarch had mounted it; no entries left)\n`);
  if (!values.json) io.out(items.length ? `${summary(items.map((i) => i.status))}${opts.dryRun ? ' (dry run: nothing changed)' : ''}\n` : `no xarch entries to ${verb}\n`);
  return items.some((i) => i.status === 'failed') ? EXIT_FAILURE : EXIT_OK;
}
