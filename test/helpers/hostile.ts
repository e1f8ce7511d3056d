// The hostile-input suite (issue 11): seeded generators of mutated ELF files,
// registration strings, binfmt.d/Debian files and malformed tar, compressed,
// docker-save and OCI archives, each case run through the real CLI and
// checked for: an exit code of 0, 1 or 2; no stack trace or "internal
// error"; JSON lines that parse; an answer within a time bound; nothing
// written outside where the command writes (its TMPDIR is empty after, its
// inputs and working directory unchanged).
//
// Cases run in-process (main() with a recording Io: thousands fit in CI) and,
// every `processEvery`th one, also as a real process with a timeout (what a
// blocking open or a crash would look like from outside). The same seed
// gives the same cases: a failure names its seed and index to rerun it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../src/cli/main.js';
import { bufferIo } from '../../src/cli/io.js';
import { encodePath } from '../../src/core/path-bytes.js';
import { CLI, FIXTURES } from './env.js';
import { rawMember, type RawMember } from './tar.js';

// ---------------------------------------------------------------- randomness

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  bytes(n: number): Buffer { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b; }
}

// ---------------------------------------------------------------- inputs

/** Real foreign ELF files (their first 8 KiB: headers, program headers, PT_INTERP). */
function elfBases(): Buffer[] {
  const files = [
    'arm64/root/bin/busybox', 'armhf/root/bin/busybox', 'mips64el/root/bin/busybox', 's390x/root/bin/busybox',
    'arm64/root/usr/bin/hello', 'i386/root/usr/bin/hello', 'ppc64el/root/usr/bin/hello', 'mipsel/root/usr/bin/hello', 'armel/root/usr/bin/hello',
  ].map((f) => path.join(FIXTURES, f));
  files.push('/bin/true');
  return files.filter((f) => existsSync(f)).map((f) => readFileSync(f).subarray(0, 8192));
}

const EDGE32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

/** An ELF file mutated: bit flips, header fields set to edge values, truncation, garbage appended. */
export function mutateElf(rng: Rng, bases: readonly Buffer[]): Buffer {
  let b = Buffer.from(rng.pick(bases));
  const n = 1 + rng.int(6);
  for (let i = 0; i < n; i++) {
    switch (rng.int(6)) {
      case 0: { const o = rng.chance(0.6) ? rng.int(64) : rng.int(b.length); b[o] = b[o]! ^ (1 << rng.int(8)); break; }
      case 1: { // e_phoff/e_shoff/e_phnum/e_phentsize of either class
        const o = rng.pick([0x1c, 0x20, 0x28, 0x2a, 0x2c, 0x30, 0x36, 0x38, 0x3c]);
        if (o + 4 <= b.length) rng.chance(0.5) ? b.writeUInt32LE(rng.pick(EDGE32), o) : b.writeUInt32BE(rng.pick(EDGE32), o);
        break;
      }
      case 2: { // a program header field (p_type/p_offset/p_filesz), PT_INTERP's most of all
        const o = 64 + rng.int(8) * 56 + rng.pick([0, 8, 32]);
        if (o + 4 <= b.length) b.writeUInt32LE(rng.pick([...EDGE32, 3]), o);
        break;
      }
      case 3: b = b.subarray(0, rng.int(b.length + 1)); break;
      case 4: b = Buffer.concat([b, rng.bytes(rng.int(64))]); break;
      default: { const o = rng.int(20); if (o < b.length) b[o] = rng.pick([0, 1, 2, 3, 0x7f, 0xff]); }
    }
  }
  return b;
}

const SPECIAL = ['fifo', 'dir', 'loop', '/dev/null', '/dev/zero', '/dev/tty', '/proc/self/mem', '/nonexistent/qemu', 'relative/qemu', '/usr/bin/qemu-aarch64-static', '/bin/sh'];
const AARCH64_MAGIC = '\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00';
const AARCH64_MASK = '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff';

/** A registration string: a valid rule with fields replaced and characters mutated. */
export function registration(rng: Rng, dir: string): Buffer {
  const interp = (s: string) => (s.startsWith('/') || s.startsWith('relative') ? s : path.join(dir, s));
  const fields = [
    rng.pick(['qemu-aarch64', 'x', '', '.', '..', 'a/b', 'status', 'register', 'n'.repeat(rng.pick([64, 255, 300])), 'é\u00ff']),
    rng.pick(['M', 'M', 'E', 'X', '', 'MM']),
    rng.pick(['', '0', '1', '127', '128', '-1', '4294967296', '0x10', ' 1']),
    rng.pick([AARCH64_MAGIC, '\\x7fELF', '', '\\x', '\\xZZ', '\\x4', 'ab\\', '\\x00'.repeat(rng.pick([1, 127, 130])), '#!', 'exe']),
    rng.pick([AARCH64_MASK, '', '\\xff', '\\xff'.repeat(200), '\\xZZ', 'zz']),
    interp(rng.pick(SPECIAL)),
    [...'POCFX '].filter(() => rng.chance(0.35)).join(''),
  ];
  const delim = rng.chance(0.9) ? ':' : rng.pick(['|', '\\', 'x', '\n', '\0']);
  let s = Buffer.from(delim + fields.join(delim) + (rng.chance(0.2) ? delim : '') + (rng.chance(0.2) ? '\n' : ''), 'latin1');
  const edits = rng.int(4);
  for (let i = 0; i < edits && s.length; i++) {
    const o = rng.int(s.length);
    const c = rng.chance(0.5) ? rng.pick([0x3a, 0x5c, 0x78, 0x00, 0x0a, 0xff]) : rng.int(256);
    s = rng.chance(0.5) ? Buffer.concat([s.subarray(0, o), Buffer.from([c]), s.subarray(o)]) : Buffer.concat([s.subarray(0, o), s.subarray(o + 1)]);
  }
  return s;
}

const DEBIAN_KEYS = ['package', 'interpreter', 'magic', 'offset', 'mask', 'extension', 'credentials', 'fix_binary', 'preserve', 'detector', 'type', 'bogus'];

/** A binfmt.d or Debian binfmts file: valid, mutated and garbage lines. */
export function configFile(rng: Rng, dir: string): { name: string; bytes: Buffer } {
  if (rng.chance(0.5)) {
    const lines: Buffer[] = [];
    for (let i = rng.int(6); i >= 0; i--) {
      lines.push(rng.pick([() => Buffer.from('# comment'), () => Buffer.from(''), () => Buffer.from('; other comment'), () => registration(rng, dir), () => rng.bytes(rng.int(80)), () => Buffer.from('x'.repeat(rng.pick([10, 5000])))])());
    }
    return { name: 'fuzz.conf', bytes: Buffer.concat(lines.flatMap((l) => [l, Buffer.from(rng.chance(0.1) ? '\r\n' : '\n')])) };
  }
  const value = (k: string): string => {
    switch (k) {
      case 'interpreter': return path.join(dir, rng.pick(['fifo', 'dir', 'loop'])) + (rng.chance(0.5) ? '' : 'x');
      case 'magic': case 'mask': return rng.pick([AARCH64_MAGIC, '\\x7fELF', '', '\\xZZ', '\\x']);
      case 'offset': return rng.pick(['0', '-1', '999999999999', 'x', '']);
      case 'type': return rng.pick(['magic', 'extension', 'both', '']);
      default: return rng.pick(['yes', 'no', '', 'maybe', 'qemu-user-static']);
    }
  };
  const lines = [];
  for (let i = 2 + rng.int(8); i > 0; i--) {
    const k = rng.pick(DEBIAN_KEYS);
    lines.push(rng.chance(0.9) ? `${k} ${value(k)}` : rng.pick(['', '   ', k, `${k}`.toUpperCase() + ' x']));
  }
  return { name: 'qemu-fuzz', bytes: Buffer.from(lines.join('\n') + (rng.chance(0.8) ? '\n' : ''), 'latin1') };
}

function member(rng: Rng, bases: readonly Buffer[]): RawMember {
  const name = rng.pick(['bin/busybox', 'usr/bin/x', '../escape', '/abs/file', 'a/'.repeat(60) + 'deep', 'lib/ld.so', '.wh.bin', 'usr/.wh..wh..opq', './', 'dir/', '']);
  switch (rng.int(7)) {
    case 0: return { name, type: '5' };
    case 1: return { name, type: '2', linkname: rng.pick(['../../../etc/passwd', '/etc/shadow', name, 'bin/busybox', '']) };
    case 2: return { name, type: '1', linkname: rng.pick(['bin/busybox', 'missing', name, '../x']) };
    case 3: return { name, type: rng.pick(['3', '4', '6', 'x', 'L', 'K', 'x', 'g']), data: rng.chance(0.5) ? rng.bytes(rng.int(600)) : '' };
    default: return { name, data: rng.chance(0.7) ? mutateElf(rng, bases) : rng.bytes(rng.int(2000)), mode: rng.pick([0o755, 0o4755, 0o777, 0]) };
  }
}

/** A tar: random members, then header bytes damaged, blocks cut or the end blocks left off. */
export function tarArchive(rng: Rng, bases: readonly Buffer[], members?: RawMember[]): Buffer {
  const parts = (members ?? Array.from({ length: rng.int(6) }, () => member(rng, bases))).map((m) => Buffer.from(rawMember(m)));
  for (const p of parts) {
    if (!rng.chance(0.15)) continue;
    // size (124), checksum (148), type (156), mode (100), or base-256 huge size
    const o = rng.pick([100, 124, 148, 156, 257]);
    if (rng.chance(0.3) && o === 124) { p[124] = 0x80; p.fill(0xff, 125, 136); } else p[o + rng.int(8)] = rng.int(256);
  }
  let t = Buffer.concat([...parts, rng.chance(0.85) ? Buffer.alloc(1024) : Buffer.alloc(rng.int(1024))]);
  if (rng.chance(0.1)) t = t.subarray(0, rng.int(t.length + 1));
  return t;
}

function compress(rng: Rng, b: Buffer): Buffer {
  const r = rng.int(10);
  if (r < 6) return b;
  if (r < 9) {
    const z = gzipSync(b);
    if (rng.chance(0.2)) return z.subarray(0, rng.int(z.length + 1));
    if (rng.chance(0.1)) z[10 + rng.int(Math.max(1, z.length - 10))] ^= 0xff;
    return z;
  }
  const z = spawnSync('zstd', ['-q', '-c'], { input: b }).stdout;
  return z && z.length ? z : b;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A JSON value with parts swapped for the wrong type (null, number, string, array). */
function wrongTyped(rng: Rng, v: Json, depth = 0): Json {
  if (rng.chance(0.08)) return rng.pick<Json>([null, 5, 'abc', [], {}, [null], -1, 1e300, '../../etc/passwd']);
  if (Array.isArray(v)) return v.map((x) => wrongTyped(rng, x, depth + 1));
  if (v && typeof v === 'object') {
    const o: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) if (!rng.chance(0.05)) o[k] = wrongTyped(rng, x, depth + 1);
    return o;
  }
  return v;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function jsonText(rng: Rng, v: Json): string {
  const s = JSON.stringify(wrongTyped(rng, v));
  return rng.chance(0.05) ? s.slice(0, rng.int(s.length)) : s;
}

/** A docker-save archive or an OCI layout (tar or directory), its JSON and layers damaged. */
export function imageArchive(rng: Rng, bases: readonly Buffer[], dir: string): string {
  const layers = Array.from({ length: 1 + rng.int(3) }, () => (rng.chance(0.1) ? Buffer.alloc(0) : compress(rng, tarArchive(rng, bases))));
  const config = Buffer.from(jsonText(rng, { architecture: rng.pick(['arm64', 'amd64', 's390x', 'bogus']), os: 'linux', variant: 'v8', config: { Env: ['A=1'], Cmd: ['/bin/sh'] } }));
  const files: RawMember[] = [];
  if (rng.chance(0.5)) {
    const names = layers.map((_, i) => rng.chance(0.9) ? `l${i}/layer.tar` : rng.pick(['missing.tar', '../x', 'manifest.json', '']));
    files.push({ name: 'manifest.json', data: jsonText(rng, [{ Config: 'config.json', RepoTags: ['fuzz:1'], Layers: names }]) }, { name: 'config.json', data: config });
    layers.forEach((l, i) => files.push({ name: `l${i}/layer.tar`, data: l }));
  } else {
    const blobs = new Map<string, Buffer>();
    const add = (b: Buffer) => { const d = rng.chance(0.95) ? `sha256:${sha(b)}` : rng.pick(['sha256:../../../etc', 'md5:x', 'sha256:' + '0'.repeat(64)]); blobs.set(d, b); return d; };
    const layerDescs = layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: add(l), size: l.length }));
    const manifest = Buffer.from(jsonText(rng, { schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: add(config), size: config.length }, layers: layerDescs }));
    const md = add(manifest);
    const index = jsonText(rng, { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, platform: { os: 'linux', architecture: 'arm64' }, annotations: { 'org.opencontainers.image.ref.name': 'fuzz' } }] });
    files.push({ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }, { name: 'index.json', data: index });
    for (const [d, b] of blobs) files.push({ name: `blobs/${d.replace(':', '/')}`, data: b });
  }
  if (rng.chance(0.2) && files.some((f) => f.name === 'index.json')) {
    // An OCI layout as a directory.
    const out = mkdtempSync(path.join(dir, 'oci-'));
    for (const f of files) {
      const p = path.join(out, f.name);
      if (!p.startsWith(out + '/')) continue;
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, f.data ?? '');
    }
    return out;
  }
  const file = path.join(dir, `image-${rng.int(1e9)}.tar`);
  writeFileSync(file, compress(rng, Buffer.concat([...files.map(rawMember), Buffer.alloc(1024)])));
  return file;
}

// ---------------------------------------------------------------- running

export type Kind = 'elf' | 'rule' | 'config' | 'archive';
export const KINDS: readonly Kind[] = ['elf', 'rule', 'config', 'archive'];

export interface Case { index: number; kind: Kind; argv: string[]; input: string }
export interface Failure { seed: number; index: number; kind: Kind; argv: string[]; why: string; output: string }
export interface RunReport { cases: number; byKind: Record<Kind, number>; byExit: Record<string, number>; processCases: number; failures: Failure[]; seconds: number; /** Where the failing cases' inputs were kept (only with keepFailures). */ kept?: string }

export interface RunOptions {
  cases: number;
  seed: number;
  /** Also run every Nth case as a real process (0: never). */
  processEvery?: number;
  /** Per case, in-process (ms). */
  boundMs?: number;
  /** Per case, as a process (ms). */
  processBoundMs?: number;
  onProgress?: (done: number) => void;
  /** Keep the failing cases' inputs for a reader (npm run fuzz); the test suite leaves nothing behind. */
  keepFailures?: boolean;
}

/** Fixed special files the generators point at: a FIFO, a directory, a symlink loop. */
function specials(dir: string): void {
  spawnSync('mkfifo', [path.join(dir, 'fifo')]);
  mkdirSync(path.join(dir, 'dir'));
  symlinkSync('loop', path.join(dir, 'loop'));
}

function makeCase(rng: Rng, index: number, bases: readonly Buffer[], inputs: string): Case {
  const kind = KINDS[index % KINDS.length]!;
  const dir = path.join(inputs, `c${index}`);
  mkdirSync(dir);
  const json = rng.chance(0.7) ? ['--json'] : [];
  switch (kind) {
    case 'elf': {
      const f = path.join(dir, rng.pick(['prog', 'prog.exe', 'a b', '\udcff\udcfe']));
      writeFileSync(Buffer.from(encodePath(f)), mutateElf(rng, bases));
      const argv = rng.pick([['inspect', ...json, f], ['rule', 'derive', f, ...json], ['scan', ...json, dir], ['scan', ...json, '--expect', 'arm64', dir]]);
      return { index, kind, argv, input: dir };
    }
    case 'rule': {
      const reg = registration(rng, inputs);
      const verb = rng.pick(['lint', 'check']);
      // argv cannot carry NUL: those go through --from, as one write(2).
      if (reg.includes(0) || rng.chance(0.3)) {
        const f = path.join(dir, 'rule');
        writeFileSync(f, reg);
        return { index, kind, argv: ['rule', verb, ...json, '--from', f], input: dir };
      }
      return { index, kind, argv: ['rule', verb, ...json, reg.toString('latin1')], input: dir };
    }
    case 'config': {
      const c = configFile(rng, inputs);
      const f = path.join(dir, c.name);
      writeFileSync(f, c.bytes);
      // --dry-run never mounts or writes; the binfmt_misc directory does not exist.
      return { index, kind, argv: ['apply', f, '--dry-run', '--no-debian', '--binfmt-dir', path.join(dir, 'no-binfmt'), ...json], input: dir };
    }
    default: {
      const p = rng.chance(0.4) ? (() => { const f = path.join(dir, 'a.tar'); writeFileSync(f, compress(rng, tarArchive(rng, bases))); return f; })() : imageArchive(rng, bases, dir);
      return { index, kind, argv: ['scan', ...json, ...(rng.chance(0.3) ? ['--expect', 'arm64'] : []), p], input: dir };
    }
  }
}

/** Names, sizes and modification times under `dir`: what a command must leave as it was. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: Buffer) => {
    for (const n of readdirSync(d, { encoding: 'buffer' })) {
      const p = Buffer.concat([d, Buffer.from('/'), n]);
      const st = lstatSync(p);
      out.push(`${p.toString('latin1')} ${st.size} ${st.mtimeMs} ${st.mode}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(Buffer.from(dir));
  return out.sort().join('\n');
}

const STACK = /internal error|this is a bug in xarch|^\s+at .+[:(].*\d+:\d+\)?$|Error \[ERR_|Unhandled|TypeError|RangeError|ReferenceError/m;

function check(code: unknown, out: string, err: string, ms: number, bound: number, json: boolean): string | null {
  if (code !== 0 && code !== 1 && code !== 2) return `exit code ${String(code)}`;
  if (STACK.test(out) || STACK.test(err)) return 'a stack trace or internal error';
  if (ms > bound) return `took ${ms} ms (bound ${bound})`;
  if (json) {
    for (const l of out.split('\n').filter(Boolean)) {
      try { JSON.parse(l); } catch { return `a --json line that does not parse: ${l.slice(0, 80)}`; }
    }
  }
  return null;
}

/**
 * The shell command running the CLI with `argv`: Node's spawn encodes
 * arguments as UTF-8, so an argument holding escaped bytes (a name that is
 * not UTF-8) is made by printf from its octal bytes instead.
 */
function processCommand(argv: readonly string[]): string {
  // Every argument from its octal bytes; the x keeps a trailing newline from $(...).
  const sets = argv.map((a, i) => {
    const octal = [...Buffer.from(encodePath(a))].map((b) => '\\' + b.toString(8).padStart(3, '0')).join('');
    return `a${i}=$(printf '${octal}x'); a${i}=\${a${i}%x}`;
  });
  return `${sets.join('; ')}; exec "${process.execPath}" "${CLI}" ${argv.map((_, i) => `"$a${i}"`).join(' ')}`;
}

/** Run `opts.cases` seeded cases; returns what failed (empty: all held). */
export async function runHostile(opts: RunOptions): Promise<RunReport> {
  const start = Date.now();
  const bases = elfBases();
  const rng = new Rng(opts.seed);
  const root = mkdtempSync(path.join(tmpdir(), 'xarch-hostile-'));
  const inputs = path.join(root, 'in');
  const tmp = path.join(root, 'tmp');
  const cwd = path.join(root, 'cwd');
  for (const d of [inputs, tmp, cwd]) mkdirSync(d);
  specials(inputs);
  const report: RunReport = { cases: 0, byKind: { elf: 0, rule: 0, config: 0, archive: 0 }, byExit: {}, processCases: 0, failures: [], seconds: 0 };
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  // The launcher's V8 code cache (src/cli/launcher.cts) is off: it is written by any run, and what is checked is that hostile input leaves nothing behind.
  const env = { ...process.env, TMPDIR: tmp, XDG_CACHE_HOME: path.join(tmp, 'cache'), XARCH_CODE_CACHE: '0' };
  const fail = (c: Case, why: string, output: string) => report.failures.push({ seed: opts.seed, index: c.index, kind: c.kind, argv: c.argv, why, output: output.slice(0, 2000) });
  try {
    for (let i = 0; i < opts.cases; i++) {
      const c = makeCase(rng, i, bases, inputs);
      const before = snapshot(c.input);
      const io = bufferIo({ cwd, env });
      const t0 = Date.now();
      let code: unknown;
      try {
        code = await main(c.argv, io);
      } catch (e) {
        code = `a thrown ${(e as Error)?.name}: ${(e as Error)?.stack ?? String(e)}`;
      }
      const why = check(code, io.stdout, io.stderr, Date.now() - t0, opts.boundMs ?? 10_000, c.argv.includes('--json'))
        ?? (readdirSync(tmp).length ? `left ${readdirSync(tmp).join(' ')} in TMPDIR` : null)
        ?? (readdirSync(cwd).length ? `wrote ${readdirSync(cwd).join(' ')} in the working directory` : null)
        ?? (snapshot(c.input) !== before ? 'changed its input' : null);
      if (why) fail(c, why, io.stderr + io.stdout);
      report.byExit[String(code)] = (report.byExit[String(code)] ?? 0) + 1;
      if (opts.processEvery && i % opts.processEvery === 0) {
        const bound = opts.processBoundMs ?? 20_000;
        const p0 = Date.now();
        const r = spawnSync('sh', ['-c', processCommand(c.argv)], { cwd, env, encoding: 'utf8', timeout: bound, stdio: ['ignore', 'pipe', 'pipe'] });
        report.processCases++;
        const pwhy = r.error ? `no answer as a process within ${bound} ms (${r.error.message})` : r.signal ? `killed by ${r.signal}` : check(r.status, r.stdout, r.stderr, Date.now() - p0, bound, c.argv.includes('--json'));
        if (pwhy) fail(c, `as a process: ${pwhy}`, r.stderr + r.stdout);
        else if (r.status !== code) fail(c, `as a process exit ${r.status}, in-process ${String(code)}`, r.stderr);
      }
      // Inputs that held go; a failing case's stay until the end (kept with keepFailures).
      if (!why) rmSync(c.input, { recursive: true, force: true });
      report.cases++;
      report.byKind[c.kind]++;
      if (opts.onProgress && (i + 1) % 500 === 0) opts.onProgress(i + 1);
    }
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    if (opts.keepFailures && report.failures.length) report.kept = inputs;
    else rmSync(root, { recursive: true, force: true });
  }
  report.seconds = (Date.now() - start) / 1000;
  return report;
}
