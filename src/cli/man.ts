// The man page xarch.1, generated from the same declarations as --help and
// the completions (the CommandSpec of options.ts), so the three cannot
// disagree. renderManPage is pure; run as a script (`npm run man`, and
// prepack) this module writes the page:
//   node dist/src/cli/man.js xarch.1
import { pathToFileURL } from 'node:url';
import type { CommandSpec, OptionSpec } from './options.js';

/** What xarch reads from its environment, and why: the ENVIRONMENT section. */
export const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['PATH', 'where QEMU emulators are looked for after /usr/bin and /usr/local/bin, and where the tools xarch runs (tar, zstd, xz, unshare, newuidmap, apt-get, dpkg-deb) are found.'],
  ['XARCH_ROOTS_CACHE', 'the cache of unpacked tar and image roots (shell, emulators add).'],
  ['XDG_CACHE_HOME, HOME', 'without XARCH_ROOTS_CACHE, the roots cache of a user other than root: $XDG_CACHE_HOME/xarch/roots, else ~/.cache/xarch/roots.'],
  ['XDG_DATA_HOME', 'the emulator store of a user other than root: $XDG_DATA_HOME/xarch/emulators, else ~/.local/share/xarch/emulators.'],
  ['TMPDIR', 'temporary directories: sessions, copies of archives read from a pipe, emulator sources being unpacked.'],
  ['TERM', "passed into a shell session (default dumb)."],
  ['KUBERNETES_SERVICE_HOST', 'when set, status and verify say the binfmt_misc instance is seen from a Kubernetes pod.'],
];

/** The FILES section. */
export const FILES: readonly (readonly [string, string])[] = [
  ['/proc/sys/fs/binfmt_misc', 'the kernel binfmt_misc instance read and changed (--binfmt-dir).'],
  ['/etc/binfmt.d/qemu-TARGET.conf', 'written by install --persist, removed by uninstall; apply reads /etc, /run, /usr/local/lib and /usr/lib binfmt.d.'],
  ['/usr/share/binfmts', "Debian's binfmt-support formats, read by apply."],
  ['/var/lib/xarch/emulators', "root's emulator store (emulators add, use, rollback)."],
  ['/var/cache/xarch/roots', "root's cache of unpacked roots."],
  ['/run/xarch', "the agent's state file (agent --check)."],
  ['/etc/subuid, /etc/subgid', 'the subordinate ID ranges a rootless session maps.'],
];

export interface ManPageInfo {
  version: string;
  /** YYYY-MM-DD */
  date: string;
  /** The one-line summary of the package. */
  description: string;
}

/** Text made safe for roff: backslashes, a leading period or quote, hyphens of flags. */
function esc(s: string): string {
  // Characters beyond ASCII as \[uXXXX]: troff reads its input as Latin-1 unless preconv runs first.
  const t = s.replace(/\\/g, '\\e').replace(/-/g, '\\-')
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
  // A JSON shape is one long word: it may break after each comma (\: is a break point that prints nothing).
  const b = t.replace(/,(?=\S)/g, ',\\:');
  return /^[.']/.test(b) ? `\\&${b}` : b;
}

function escLines(s: string): string {
  return s.split('\n').map(esc).join('\n');
}

/** A paragraph: filled text, or kept as written when a line is indented (lists, examples). */
function paragraph(p: string): string {
  const lines = p.split('\n');
  if (lines.slice(1).some((l) => /^\s/.test(l))) return `.PP\n.nf\n${escLines(p)}\n.fi`;
  return `.PP\n${lines.map((l) => esc(l.trim())).join('\n')}`;
}

function optionTag(o: OptionSpec): string {
  const long = `\\fB\\-\\-${esc(o.name)}\\fR`;
  const short = o.short ? `\\fB\\-${esc(o.short)}\\fR, ` : '';
  const value = o.type === 'string' ? ` \\fI${esc(o.choices ? o.choices.join('|') : o.value ?? '')}\\fR` : '';
  return short + long + value;
}

function optionText(o: OptionSpec): string {
  let s = o.description;
  if (o.multiple) s += ' (repeatable)';
  if (o.default !== null) s += ` (default ${o.default})`;
  // --json's text may hold a JSON shape broken over lines: kept as one flowing line.
  return esc(s.replace(/\n\s*/g, ' '));
}

/** One command (or subcommand) block: synopsis, prose, options, notes. */
function commandBlock(c: CommandSpec, summary: string | null): string {
  const out = [`.SS "xarch ${esc(c.name)}"`];
  if (summary) out.push(esc(summary.charAt(0).toUpperCase() + summary.slice(1)) + '.');
  for (const u of c.usage) out.push(`.PP\n.B xarch ${esc(c.name)}\n${esc(u)}`);
  out.push(...c.description.map(paragraph));
  const options = c.options.filter((o) => o.name !== 'help');
  if (options.length) out.push(...options.map((o) => `.TP\n${optionTag(o)}\n${optionText(o)}`));
  out.push(...c.notes.map(paragraph));
  return out.join('\n');
}

/** The whole page in man(7) markup. */
export function renderManPage(specs: readonly CommandSpec[], info: ManPageInfo): string {
  const commands = specs.flatMap((c) => {
    const own = c.subcommands.find((s) => s.name === c.name);
    const blocks = [commandBlock(own ? { ...own, notes: [...own.notes, ...c.notes] } : c, c.summary)];
    for (const s of c.subcommands) if (s !== own) blocks.push(commandBlock(s, null));
    return blocks;
  });
  const width = Math.max(...specs.map((c) => c.name.length));
  const list = specs.map((c) => `.TP ${width + 2}\n\\fB${esc(c.name)}\\fR\n${esc(c.summary ?? '')}`);
  const table = (rows: readonly (readonly [string, string])[]) => rows.map(([k, v]) => `.TP\n\\fB${esc(k)}\\fR\n${esc(v)}`).join('\n');
  return `.\\" Generated by src/cli/man.ts from the commands' declarations; do not edit.
.TH XARCH 1 ${info.date} "xarch ${esc(info.version)}" "User Commands"
.\\" Left-aligned, unhyphenated: JSON shapes are long words that a justified line cannot take.
.ad l
.nh
.SH NAME
xarch \\- ${esc(info.description.charAt(0).toLowerCase() + info.description.slice(1))}
.SH SYNOPSIS
.B xarch
.I COMMAND
[\\fIOPTIONS\\fR] [\\fIARGS\\fR...]
.br
.B xarch
\\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR
.SH DESCRIPTION
xarch runs programs, root file systems and containers built for other CPU
architectures through QEMU user\\-mode emulation and the kernel's binfmt_misc.
It never touches handlers that are not its own, explains every failure with
a hint, and on Linux 6.7+ works without root in a private binfmt_misc instance.
.PP
Every command takes \\fB\\-\\-help\\fR, prints tables for a person and
\\fB\\-\\-json\\fR for a program.
.SH COMMANDS
${list.join('\n')}
.SH "COMMANDS IN DETAIL"
${commands.join('\n')}
.SH "EXIT STATUS"
.TP
.B 0
success
.TP
.B 1
failure: an item failed, a file had another architecture, a probe did not run
.TP
.B 2
usage error (an unknown command or option, a missing argument)
.PP
\\fBrun\\fR and \\fBshell\\fR exit with the program's status (128+N when it was
killed by signal N).
.SH ENVIRONMENT
${table(ENVIRONMENT)}
.SH FILES
${table(FILES)}
.SH "SEE ALSO"
.BR qemu\\-user (1),
.BR binfmt.d (5),
.BR systemd\\-binfmt.service (8),
.BR update\\-binfmts (8)
`;
}

/** Write the page for the installed commands to `file` (the build's step, not a command). */
export async function writeManPage(file: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { writeFileAtomic } = await import('../host/atomic.js');
  const { commandSpecs } = await import('./main.js');
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };
  // A reproducible page: the date of SOURCE_DATE_EPOCH when the build gives one.
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const date = new Date(Number.isFinite(epoch) && epoch > 0 ? epoch * 1000 : Date.now()).toISOString().slice(0, 10);
  const page = renderManPage(await commandSpecs(), { version: pkg.version, date, description: pkg.description });
  writeFileAtomic(file, Buffer.from(page), { mode: 0o644, what: 'man page' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'xarch.1';
  writeManPage(file).then(() => process.stdout.write(`wrote ${file}\n`), (e: Error) => {
    process.stderr.write(`xarch: cannot write the man page ${file}: ${e.message}\n`);
    process.exitCode = 1;
  });
}
