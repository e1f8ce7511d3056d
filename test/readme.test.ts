// The README is part of the interface: its layout table must match the
// source tree, and the library names it documents must be exported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './helpers/env.js';
import * as api from '../src/index.js';

const README = readFileSync(path.join(REPO, 'README.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO, dir)).flatMap((n) => {
    const rel = `${dir}/${n}`;
    return statSync(path.join(REPO, rel)).isDirectory() ? sourceFiles(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Rows of the "## Layout" table: the paths each row names, and the folders it covers whole. */
function layoutRows(): { files: string[]; folders: string[] }[] {
  const section = README.slice(README.indexOf('## Layout'), README.indexOf('\n## ', README.indexOf('## Layout') + 1));
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  assert.ok(rows.length > 10, 'the layout table has rows');
  return rows.map((row) => {
    const [first = '', second = ''] = row.split(' | ').map((c) => c.replace(/^\| /, ''));
    const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const files: string[] = [];
    const folders: string[] = [];
    let base = '';
    for (const t of ticks(first)) {
      if (t.endsWith('/')) folders.push(t.slice(0, -1));
      else files.push(t);
      base = t.endsWith('/') ? t.slice(0, -1) : path.posix.dirname(t);
    }
    // Names in the description are relative to the row's folder (`plan.ts`, `commands/`).
    for (const t of ticks(second)) {
      if (/^[\w.-]+\.ts$/.test(t)) files.push(`${base}/${t}`);
      else if (/^[\w-]+\/$/.test(t)) folders.push(`${base}/${t.slice(0, -1)}`);
    }
    return { files, folders };
  });
}

test('README layout table: every path it names exists, and every source file is in it', () => {
  const rows = layoutRows();
  const named = rows.flatMap((r) => r.files);
  const folders = rows.flatMap((r) => r.folders);
  for (const p of [...named, ...folders]) assert.ok(existsSync(path.join(REPO, p)), `README names ${p}, which does not exist`);
  const missing = sourceFiles('src').filter((f) => !named.includes(f) && !folders.some((d) => f.startsWith(`${d}/`) && folderListsAll(d, named)));
  assert.deepEqual(missing, [], 'source files the README layout table does not mention');
});

/** A folder row covers its files only where it names them, unless no file of it is named at all (`src/cli/commands/`). */
function folderListsAll(dir: string, named: string[]): boolean {
  return !named.some((f) => path.posix.dirname(f) === dir);
}

test('README library section: every name it shows is exported by src/index.ts', () => {
  const section = README.slice(README.indexOf('## Library'), README.indexOf('## Layout'));
  const names = new Set([...section.matchAll(/`([A-Za-z]\w+)`/g)].map((m) => m[1]!).filter((n) => n !== 'xarch'));
  for (const m of section.matchAll(/import \{([^}]+)\}/g)) for (const n of m[1]!.split(',')) names.add(n.trim());
  const exported = new Set(Object.keys(api));
  const ignore = new Set(['code', 'hint']);
  const absent = [...names].filter((n) => !ignore.has(n) && !exported.has(n));
  assert.deepEqual(absent, [], 'names in the README library section that src/index.ts does not export');
  assert.ok(names.size >= 20, `the section names the API (${names.size} names)`);
});
