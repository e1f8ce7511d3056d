// xarch which FILE...: the binfmt_misc entry the kernel would run for each file.
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { fromSystemError, XarchError } from '../../core/errors.js';
import { DEFAULT_BINFMT_DIR, readGlobalStatus, readLiveEntries } from '../../host/kernel.js';
import { whichEntry, type NearMiss } from '../../core/match.js';
import { displayBytes, textToByteString } from '../../core/bytes.js';
import { readExecHead } from '../../host/file.js';

export const command = defineCommand({
  name: 'which',
  description: `
Predict which binfmt_misc entry the kernel runs when FILE is executed, in the
kernel's order: newest registration first, disabled entries skipped, the
first match final; magic compared on the first 256 bytes (zero-padded past
end-of-file), extensions on the text after the last '.' of FILE as typed
(give the path exactly as it would be passed to exec). For files no entry
matches, the nearest entries are shown with the first byte that differs.`,
  positionals: [{ name: 'FILE', repeatable: true, required: true, complete: 'file' }],
  options: {
    'binfmt-dir': binfmtDirOption('the binfmt_misc mount to read'),
  },
  json: 'one line per file: {"file","entry":name|null,"interpreter","flags","reason","nearMisses":[{"name","reason","firstDiff":{"offset","fileByte","magicByte","mask"}}],"skipped":[disabled entries passed over]}',
  notes: `
Registration order comes from the raw readdir order of the binfmt_misc
directory, which on Linux 6.x lists the newest entry first.
Exit 0 when every file has an entry, 1 when one has none or cannot be read.`,
});

function missJson(m: NearMiss): Record<string, unknown> {
  const o: Record<string, unknown> = { name: m.name, reason: m.reason };
  if (m.firstDiff) o.firstDiff = { offset: m.firstDiff.offset, fileByte: m.firstDiff.actual, magicByte: m.firstDiff.expected, mask: m.firstDiff.mask };
  if (m.matched !== undefined) o.matchedBytes = m.matched;
  if (m.extension !== undefined) o.extension = m.extension;
  return o;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  if (positionals.length === 0) throw new UsageError('which needs at least one FILE');
  const dir: string = values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR;
  const entries = readLiveEntries(dir);
  const enabled = readGlobalStatus(dir) === 'enabled';
  let failed = false;
  for (const file of positionals) {
    let head: Uint8Array;
    try {
      head = readExecHead(file.startsWith('/') ? file : `${io.cwd}/${file}`);
    } catch (e) {
      failed = true;
      const err = e instanceof XarchError ? e : fromSystemError(e, file);
      if (values.json) jsonLine(io, { file, entry: null, error: err.toJSON() });
      else io.out(`${file}: error: ${err.message}\n`);
      continue;
    }
    const w = whichEntry(entries, enabled, head, textToByteString(file));
    if (!w.entry) failed = true;
    if (values.json) {
      jsonLine(io, {
        file,
        entry: w.entry?.name ?? null,
        interpreter: w.entry?.rule.interpreter ?? null,
        flags: w.entry?.rule.flags ?? null,
        reason: w.reason,
        nearMisses: w.nearMisses.map(missJson),
        skipped: w.skipped,
      });
      continue;
    }
    if (w.entry) {
      const f = w.entry.rule.flags;
      io.out(`${file}: ${displayBytes(w.entry.name)} → ${displayBytes(w.entry.rule.interpreter)}${f ? ` (flags ${f})` : ''}\n  ${w.reason}\n`);
    } else {
      io.out(`${file}: no entry\n  ${w.reason}\n`);
    }
    for (const m of w.nearMisses) io.out(`  not ${displayBytes(m.name)}: ${m.reason}\n`);
    if (w.skipped.length) io.out(`  skipped (disabled): ${w.skipped.map(displayBytes).join(', ')}\n`);
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}
