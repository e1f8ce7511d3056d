// xarch export: render live entries for other tools.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { DEFAULT_BINFMT_DIR, readLiveEntries } from '../../host/kernel.js';
import { isOurs, selectEntries } from '../../manage/manage.js';
import { displayBytes, renderBinfmtD, renderRegister, stringBytes } from '../../core/rule.js';
import { renderDebianBinfmt } from '../../persist/persist.js';

export const command = defineCommand({
  name: 'export',
  description: `
Render the registered binfmt_misc entries (default: all of them, xarch's
and other tools'; --ours: only xarch's) for other tools:
  binfmt.d  systemd-binfmt lines (/etc/binfmt.d/*.conf)
  debian    update-binfmts --import files (/usr/share/binfmts/<name>)
  json      one line per entry: {"name","enabled","type","offset","magic",
            "mask","extension","interpreter","flags","register"}
--out-dir writes one file per entry (<name>.conf for binfmt.d, <name> for
debian) instead of printing.`,
  positionals: [{ name: 'NAME|TARGET|GLOB', repeatable: true, complete: 'entry' }],
  options: {
    format: { type: 'string', value: 'F', choices: ['binfmt.d', 'debian', 'json'], description: 'the format, one of those above', complete: 'format' },
    ours: { type: 'boolean', description: "only xarch's own entries" },
    'out-dir': { type: 'string', value: 'DIR', description: 'write one file per entry into DIR', complete: 'dir' },
    'binfmt-dir': binfmtDirOption('the binfmt_misc mount the entries are read from'),
  },
  json: 'without --format: --format json; with another format, a last line {"exported":N}',
});

const hex = (b: Uint8Array | null) => (b ? [...b].map((x) => '\\x' + x.toString(16).padStart(2, '0')).join('') : null);

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  const format = values.format ?? (values.json ? 'json' : undefined);
  if (format !== 'binfmt.d' && format !== 'debian' && format !== 'json') throw new UsageError("export needs --format binfmt.d, debian or json");
  const dir = values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR;
  const live = readLiveEntries(dir);
  let entries = live;
  let failed = false;
  if (positionals.length) {
    const sel = selectEntries(positionals, live, true);
    entries = sel.entries;
    for (const p of sel.problems) {
      failed = true;
      io.err(`xarch: ${p.arg}: ${p.reason}\n`);
    }
  }
  if (values.ours) entries = entries.filter((e) => isOurs(e.rule));
  const outDir = values['out-dir'];
  if (outDir) mkdirSync(outDir, { recursive: true });
  for (const e of entries) {
    let text: string;
    let file: string;
    if (format === 'json') {
      const r = e.rule;
      text = JSON.stringify({ name: displayBytes(r.name), enabled: e.enabled, type: r.type, offset: r.offset, magic: hex(r.magic), mask: hex(r.mask), extension: displayBytes(r.extension), interpreter: displayBytes(r.interpreter), flags: r.flags, register: displayBytes(renderRegister(r)) }) + '\n';
      file = `${e.name}.json`;
    } else if (format === 'binfmt.d') {
      text = renderBinfmtD([e.rule]);
      file = `${e.name}.conf`;
    } else {
      text = renderDebianBinfmt(e.rule);
      file = e.name;
    }
    if (outDir) {
      writeFileSync(path.join(outDir, file), Buffer.from(stringBytes(text)), { mode: 0o644 });
      io.out(`wrote ${path.join(outDir, file)}\n`);
    } else if (format === 'json') io.out(text);
    else io.out(`${format === 'debian' ? `# ${e.name}\n` : ''}${text}${format === 'debian' ? '\n' : ''}`);
  }
  if (values.json && format !== 'json') jsonLine(io, { exported: entries.length });
  return failed ? EXIT_FAILURE : EXIT_OK;
}
