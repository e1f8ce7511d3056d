// xarch export: render live entries for other tools, in a format picked from
// the registry (src/formats/registry.ts): the format list, the help and the
// validation below all come from that table.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UsageError, formatError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand, wrap } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { DEFAULT_BINFMT_DIR, readLiveEntries } from '../../host/kernel.js';
import { writeFileAtomic } from '../../host/atomic.js';
import { isOurs } from '../../manage/ownership.js';
import { selectEntries } from '../../manage/select.js';
import { displayBytes, stringBytes } from '../../core/bytes.js';
import { fromSystemError } from '../../core/errors.js';
import { FORMATS, formatChoices, getFormat } from '../../formats/registry.js';
import type { AgentDeployment, DeploymentOption } from '../../formats/format.js';
import { DEFAULT_IMAGE, DEFAULT_NAMESPACE } from '../../formats/kubernetes.js';

const nameWidth = Math.max(...FORMATS.map((f) => f.name.length));
const formatList = FORMATS.map((f) => wrap(`  ${f.name.padEnd(nameWidth)}  `, f.description, ' '.repeat(nameWidth + 4))).join('\n');
const files = FORMATS.map((f) => `${f.fileName('<name>')} for ${f.name}`).join(', ');

const agentFormats = FORMATS.filter((f) => f.input === 'agent').map((f) => f.name);

export const command = defineCommand({
  name: 'export',
  usage: [
    `[NAME|TARGET|GLOB...] --format ${FORMATS.filter((f) => f.input !== 'agent').map((f) => f.name).join('|')} [--ours]\n[--out-dir DIR] [--binfmt-dir DIR] [--json]`,
    `--format ${agentFormats.join('|')} [--arches LIST]\n[--emulators SET] [--image IMAGE] [--namespace NS]\n[--out-dir DIR]`,
  ],
  description: `
Render the registered binfmt_misc entries (default: all of them, xarch's
and other tools'; --ours: only xarch's) for other tools:
${formatList}
${wrap('', `--out-dir writes one file per entry (${files}) instead of printing.`, '')}
What a format cannot carry (a flag, an entry being disabled) is said on
stderr, and in the --json summary line as "warnings".
${wrap('', `${agentFormats.join(' and ')} render a deployment of 'xarch agent' instead of entries: it keeps --arches, or the handlers of the emulator set --emulators names (default: the persisted configuration on the machine), in effect.`, '')}`,
  positionals: [{ name: 'NAME|TARGET|GLOB', repeatable: true, complete: 'entry' }],
  options: {
    // Checked below against the registry, not with `choices`: the message names every format.
    format: { type: 'string', value: 'F', complete: 'format', description: 'one of the formats above' },
    ours: { type: 'boolean', description: "only xarch's own entries" },
    'out-dir': { type: 'string', value: 'DIR', complete: 'dir', description: 'write one file per entry into DIR' },
    'binfmt-dir': binfmtDirOption('the binfmt_misc mount the entries are read from'),
    arches: { type: 'string', value: 'LIST', multiple: true, complete: 'target', description: `${agentFormats.join(', ')}: the targets the agent keeps in effect (comma-separated, repeatable; 'all')` },
    emulators: { type: 'string', value: 'SET', description: `${agentFormats.join(', ')}: the agent keeps the handlers of this emulator store set (agent --emulators SET; the agent image's set: bash scripts/build-agent-image.sh prints it)` },
    image: { type: 'string', value: 'IMAGE', description: `kubernetes: the agent image (default ${DEFAULT_IMAGE})` },
    namespace: { type: 'string', value: 'NS', description: `kubernetes: the namespace (default ${DEFAULT_NAMESPACE})` },
  },
  json: 'without --format: --format json; with another format, a last line {"exported":N,"warnings"}',
});

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  const format = getFormat(values.format ?? (values.json ? 'json' : ''));
  if (!format) throw new UsageError(`export needs --format ${formatChoices()}`);
  const deployment: AgentDeployment = {};
  for (const option of ['arches', 'emulators', 'image', 'namespace'] as const satisfies readonly DeploymentOption[]) {
    if (option === 'arches' ? values.arches.length === 0 : values[option] === undefined) continue;
    if (!format.takes?.includes(option)) throw new UsageError(`--${option} is not an option of the ${format.name} format`);
  }
  if (values.arches.length) deployment.arches = values.arches.flatMap((a) => a.split(',')).filter(Boolean);
  if (values.emulators !== undefined) deployment.emulators = values.emulators;
  if (values.image !== undefined) deployment.image = values.image;
  if (values.namespace !== undefined) deployment.namespace = values.namespace;
  if (format.input === 'agent' && (positionals.length || values.ours)) throw new UsageError(`the ${format.name} format renders a deployment of xarch agent, not entries: use --arches instead of names`);
  const dir = values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR;
  const live = format.input === 'agent' ? [] : readLiveEntries(dir);
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
  const rendered = format.render(entries, deployment);
  const outDir = values['out-dir'];
  if (outDir) {
    try {
      mkdirSync(outDir, { recursive: true });
    } catch (e) {
      throw fromSystemError(e, outDir, 'directory');
    }
    for (const doc of rendered.documents) {
      const file = path.join(outDir, doc.file);
      writeFileAtomic(file, stringBytes(doc.text), { mode: 0o644, what: `${format.name} file` });
      io.out(`wrote ${file}\n`);
    }
  } else io.out(rendered.text);
  for (const f of rendered.failures) {
    failed = true;
    io.err(formatError(f.error));
  }
  const warnings = rendered.warnings.map((w) => ({ name: displayBytes(w.name), message: w.message }));
  for (const w of warnings) io.err(`xarch: warning: ${w.name}: ${w.message}\n`);
  if (values.json && format.name !== 'json') jsonLine(io, { exported: rendered.documents.length, ...(warnings.length ? { warnings } : {}) });
  return failed ? EXIT_FAILURE : EXIT_OK;
}
