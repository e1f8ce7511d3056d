// xarch scan PATH...: the architectures a tree, tar or image contains.
import { EXIT_FAILURE, EXIT_OK, UsageError, jsonLine, table, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { progressLine } from '../progress.js';
import { resolveTarget } from '../../core/arch.js';
import { isXarchError } from '../../core/errors.js';
import { scanPath, type ScanOptions } from '../../scan/image.js';
import type { ScanReport } from '../../scan/scan.js';

export const command = defineCommand({
  name: 'scan',
  description: `
Count the ELF files in each PATH per architecture (class, byte order, ABI,
static/dynamic), list the loaders (PT_INTERP) they need and whether each is
present, and the emulators needed to run them.

PATH is a directory tree (symlinks are never followed; FIFOs and devices
are skipped unopened), a tar (plain, gzip, zstd, xz, bzip2), a docker/podman
save archive, or an OCI image layout (directory or tar). Images are read
layer by layer with whiteouts, one report per image, and per platform for a
multi-platform index. Nothing is written to disk but a temporary copy
(in TMPDIR, removed after) of an archive read from a pipe or of a
compressed image archive: image layers are read by offset.`,
  positionals: [{ name: 'PATH', repeatable: true, required: true, complete: 'file' }],
  options: {
    expect: { type: 'string', value: 'TARGET', complete: 'target', description: 'list every ELF file of another architecture (default for images: the platform the image declares); exit 1 if any' },
    list: { type: 'boolean', description: 'print every mismatching file (default: the first 20)' },
    jobs: { type: 'string', value: 'N', description: 'walkers for a tree: this process and N-1 workers (default: one per core that other work leaves idle; 1: this process alone)' },
  },
  notes: 'Files are counted by name: a file with several hard links counts once per\nname, in a tree, a tar and an image alike. PATH - (or /dev/stdin) reads an\narchive from standard input: docker save IMG | xarch scan -',
  json: 'one line per scanned unit: {"path","kind","image","platform","expect","files","elfFiles","targets":{NAME:{"count","class","byteOrder","abi","static","dynamic","shared","other"}},"loaders":[{"path","present","count","targets"}],"emulators","mismatches":[{"file","target"}],"errors":{"unreadable","invalidElf","special","unsafePaths"},"seconds"}',
});

function human(io: Io, r: ScanReport, list: boolean): void {
  const title = r.image ? `${r.path} [${r.image}${r.platform ? ` ${r.platform}` : ''}]` : r.path;
  const rate = r.seconds > 0 ? `, ${Math.round(r.files / r.seconds)} files/s` : '';
  io.out(`${title} (${r.kind}): ${r.files} files, ${r.elfFiles} ELF${rate}\n`);
  const rows = Object.entries(r.targets).map(([name, t]) => [name, String(t.count), `ELF${t.class} ${t.byteOrder}`, t.abi.join(' ') || '-', String(t.static), String(t.dynamic), String(t.shared), String(t.other)]);
  if (rows.length) io.out(table(['  TARGET', 'FILES', 'CLASS', 'ABI', 'STATIC', 'DYNAMIC', 'SHARED', 'OTHER'], rows.map((x) => ['  ' + x[0], ...x.slice(1)])));
  for (const l of r.loaders) io.out(`  loader ${l.path} (${l.count} files, ${l.targets.join(' ')}): ${l.present ? 'present' : 'MISSING'}\n`);
  if (r.emulators.length) io.out(`  emulators needed: ${r.emulators.join(' ')}\n`);
  const e = r.errors;
  if (e.unreadable || e.invalidElf || e.unsafePaths) io.out(`  skipped: ${e.unreadable} unreadable, ${e.invalidElf} damaged ELF, ${e.unsafePaths} unsafe archive paths\n`);
  if (r.expect) {
    io.out(`  expected ${r.expect}: ${r.mismatches.length ? `${r.mismatches.length} file(s) of another architecture` : 'every ELF file matches'}\n`);
    for (const m of list ? r.mismatches : r.mismatches.slice(0, 20)) io.out(`    ${m.file}: ${m.target}\n`);
    if (!list && r.mismatches.length > 20) io.out(`    ... ${r.mismatches.length - 20} more (--list shows all)\n`);
  }
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(command, argv);
  if (positionals.length === 0) throw new UsageError('scan needs at least one PATH');
  const opts: ScanOptions = {};
  if (values.expect) opts.expect = resolveTarget(values.expect).target;
  if (values.jobs !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.jobs)) throw new UsageError(`--jobs needs a whole number of at least 1, not '${values.jobs}'`);
    opts.jobs = Number(values.jobs);
  }
  const progress = progressLine(io, !!values.json);
  if (progress) opts.progress = progress.report;
  let mismatch = false;
  let failed = false;
  for (const p of positionals) {
    let reports: ScanReport[];
    try {
      reports = await scanPath(p, opts);
    } catch (e) {
      // Only xarch's own errors are a per-path answer; a Node error (which
      // has a code too, ERR_OUT_OF_RANGE) is a bug and must say so.
      if (!isXarchError(e)) throw e;
      failed = true;
      progress?.end();
      const x = e;
      if (values.json) jsonLine(io, { path: p, error: { code: x.code, message: x.message, hint: x.hint } });
      else io.err(`xarch: ${x.message}\n${x.hint ? `  hint: ${x.hint}\n` : ''}`);
      continue;
    }
    progress?.end();
    for (const r of reports) {
      if (r.mismatches.length) mismatch = true;
      if (values.json) jsonLine(io, r);
      else human(io, r, !!values.list);
    }
  }
  return mismatch || failed ? EXIT_FAILURE : EXIT_OK;
}
