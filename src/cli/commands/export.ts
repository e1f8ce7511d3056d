// xarch export: render live entries for other tools, in a format picked from
// the registry (src/formats/registry.ts): the format list, the help and the
// validation below all come from that table.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UsageError, formatError, jsonLine, parseCommand, type Io } from '../io.js';
import { DEFAULT_BINFMT_DIR, readLiveEntries } from '../../host/kernel.js';
import { writeFileAtomic } from '../../host/atomic.js';
import { isOurs } from '../../manage/ownership.js';
import { selectEntries } from '../../manage/select.js';
import { displayBytes, stringBytes } from '../../core/bytes.js';
import { fromSystemError } from '../../core/errors.js';
import { FORMATS, formatChoices, getFormat } from '../../formats/registry.js';
import type { AgentDeployment, DeploymentOption } from '../../formats/format.js';
import { DEFAULT_IMAGE, DEFAULT_NAMESPACE } from '../../formats/kubernetes.js';

/** Greedy wrap at `width`, breaking after a space or a comma; later lines get `indent`. */
function wrap(first: string, text: string, indent: string, width = 76): string {
  const lines: string[] = [];
  let line = first;
  for (const word of text.match(/[^ ,]*[ ,]*/g)!.filter(Boolean)) {
    if (line.trimEnd().length + word.trimEnd().length > width && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += word;
  }
  return [...lines, line.trimEnd()].join('\n');
}

const nameWidth = Math.max(...FORMATS.map((f) => f.name.length));
const formatList = FORMATS.map((f) => wrap(`  ${f.name.padEnd(nameWidth)}  `, f.description, ' '.repeat(nameWidth + 4))).join('\n');
const files = FORMATS.map((f) => `${f.fileName('<name>')} for ${f.name}`).join(', ');

const agentFormats = FORMATS.filter((f) => f.input === 'agent').map((f) => f.name);

export const help = `Usage: xarch export [NAME|TARGET|GLOB...] --format ${FORMATS.map((f) => f.name).join('|')} [--ours] [--out-dir DIR] [--binfmt-dir DIR]
       xarch export --format ${agentFormats.join('|')} [--arches LIST] [--image IMAGE] [--namespace NS] [--out-dir DIR]

Render the registered binfmt_misc entries (default: all of them, xarch's
and other tools'; --ours: only xarch's) for other tools:
${formatList}
${wrap('', `--out-dir writes one file per entry (${files}) instead of printing. Entries are read from --binfmt-dir (default ${DEFAULT_BINFMT_DIR}).`, '')}
What a format cannot carry (a flag, an entry being disabled) is said on
stderr, and in the --json summary line as "warnings".
${wrap('', `${agentFormats.join(' and ')} render a deployment of 'xarch agent' instead of entries: it keeps --arches (comma-separated, repeatable; default: the persisted configuration on the machine) in effect. --image and --namespace are for kubernetes (default ${DEFAULT_IMAGE}, ${DEFAULT_NAMESPACE}).`, '')}
`;

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    format: { type: 'string' }, ours: { type: 'boolean' }, 'out-dir': { type: 'string' }, 'binfmt-dir': { type: 'string' },
    arches: { type: 'string', multiple: true }, image: { type: 'string' }, namespace: { type: 'string' },
  });
  const format = getFormat(values.format ?? (values.json ? 'json' : ''));
  if (!format) throw new UsageError(`export needs --format ${formatChoices()}`);
  const deployment: AgentDeployment = {};
  for (const option of ['arches', 'image', 'namespace'] as const satisfies readonly DeploymentOption[]) {
    if (values[option] === undefined) continue;
    if (!format.takes?.includes(option)) throw new UsageError(`--${option} is not an option of the ${format.name} format`);
  }
  if (values.arches) deployment.arches = (values.arches as string[]).flatMap((a) => a.split(',')).filter(Boolean);
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
