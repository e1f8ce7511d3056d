// core/image.ts: image metadata parsed with every field checked. Malformed
// documents (issue 11's "internal error" cases among them) give ARCHIVE_INVALID
// naming the file, through the library and through `xarch scan`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseImageConfig, resolveDockerImages, resolveOciImages, selectImage, type ImageRef } from '../src/core/image.js';
import { isXarchError } from '../src/core/errors.js';
import { xarch } from './helpers/env.js';

const work = mkdtempSync(path.join(tmpdir(), 'xarch-image-'));
after(() => rmSync(work, { recursive: true, force: true }));

const b = (s: string) => Buffer.from(s);
const D = (c: string) => `sha256:${c.repeat(64)}`;
const cfg = JSON.stringify({ architecture: 'arm64', os: 'linux', config: { Env: ['PATH=/bin', 'A=1'], WorkingDir: '/srv', User: '1000:1000', Entrypoint: ['/bin/sh', '-c'], Cmd: null } });
const invalidIn = (file: RegExp) => (e: unknown) => isXarchError(e) && e.code === 'ARCHIVE_INVALID' && file.test(e.message) && !!e.path;

test('docker save manifests: malformed documents name the file and field', () => {
  const read = (k: string) => { if (k === 'c.json') return b(cfg); throw new Error(`no ${k}`); };
  const good = resolveDockerImages(b(JSON.stringify([{ Config: 'c.json', RepoTags: ['demo:1'], Layers: ['l1.tar'] }])), read, { path: 'a.tar' });
  assert.equal(good.length, 1);
  assert.equal(good[0]!.platform, 'linux/arm64');
  assert.match(good[0]!.digest, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(good[0]!.config, { env: ['PATH=/bin', 'A=1'], workingDir: '/srv', user: '1000:1000', entrypoint: ['/bin/sh', '-c'] });
  for (const [doc, field] of [['[null]', /\[0\] is not an object/], ['[{"Layers":"abc"}]', /Config is missing/], ['[{"Config":"c.json","Layers":"abc"}]', /Layers is not a list/], ['{"manifests":5}', /not a list of images/], ['{', /not valid JSON/], ['[{"Config":"c.json","Layers":[],"RepoTags":[5]}]', /RepoTags/]] as const) {
    assert.throws(() => resolveDockerImages(b(doc), read, { path: 'a.tar' }), (e) => invalidIn(/a\.tar: manifest\.json/)(e) && field.test((e as Error).message), doc);
  }
});

test('OCI indexes: malformed documents name the file and field', () => {
  const blobs = new Map<string, string>([[D('c'), cfg], [D('e'), JSON.stringify({ schemaVersion: 2, config: { digest: D('c') }, layers: [{ digest: D('1') }] })]]);
  const read = (k: string) => { const v = blobs.get(k); if (v === undefined) throw new Error(`no ${k}`); return b(v); };
  const refs = resolveOciImages(b(JSON.stringify({ manifests: [{ digest: D('e'), annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] })), read, { path: 'lay' }, 'lay');
  assert.deepEqual(refs.map((r) => [r.name, r.platform, r.digest, r.layers]), [['v1', 'linux/arm64', D('e'), [D('1')]]]);
  for (const [doc, field] of [['{"manifests":5}', /manifests is not a list/], ['{', /not valid JSON/], ['[]', /index.json is not an object/], ['{"manifests":[null]}', /manifests\[0\] is not an object/], ['{"manifests":[{"digest":"x"}]}', /not a digest/], ['{"manifests":[{"digest":5}]}', /digest is not a string/], [`{"manifests":[{"digest":"${D('e')}","platform":{"os":"linux"}}]}`, /platform.architecture is missing/]] as const) {
    assert.throws(() => resolveOciImages(b(doc), read, { path: 'lay' }, 'lay'), (e) => invalidIn(/lay: index\.json/)(e) && field.test((e as Error).message), doc);
  }
  blobs.set(D('e'), '{"config":{"digest":"sha256:zz"},"layers":[]}');
  assert.throws(() => resolveOciImages(b(`{"manifests":[{"digest":"${D('e')}"}]}`), read, { path: 'lay' }, 'lay'), invalidIn(/blobs\/sha256\/e+: config.digest/));
  assert.throws(() => parseImageConfig(b('{"config":{"Env":"A=1"}}'), { path: 'x', member: 'c' }), invalidIn(/Env is not a list of strings/));
});

test('selecting an image: --platform, the only one, or an error listing them', () => {
  const ref = (platform: string, digest = D(platform.length.toString(16).slice(-1))): ImageRef => ({ name: platform, platform, digest, config: { env: [] }, layers: [] });
  const refs = [ref('linux/arm64/v8', D('a')), ref('linux/s390x', D('b')), ref('linux/arm/v7', D('c'))];
  assert.equal(selectImage(refs, 'linux/arm64', { path: 'i' }).digest, D('a'));
  assert.equal(selectImage(refs, 'arm64', { path: 'i' }).digest, D('a'));
  assert.equal(selectImage(refs, 'linux/s390x', { path: 'i' }).digest, D('b'));
  assert.equal(selectImage(refs.slice(1, 2), undefined, { path: 'i' }).digest, D('b'));
  assert.throws(() => selectImage(refs, undefined, { path: 'i' }), (e) => isXarchError(e) && e.code === 'USAGE' && /linux\/arm64\/v8, linux\/s390x, linux\/arm\/v7/.test(e.message) && /--platform/.test(e.hint!));
  assert.throws(() => selectImage(refs, 'linux/riscv64', { path: 'i' }), (e) => isXarchError(e) && /no image for platform linux\/riscv64/.test(e.message));
  assert.equal(selectImage(refs, 'linux/arm', { path: 'i' }).digest, D('c'));
  assert.throws(() => selectImage([...refs, ref('linux/arm/v6', D('d'))], 'linux/arm', { path: 'i' }), (e) => isXarchError(e) && /matches several images/.test(e.message));
});

test('xarch scan of malformed image JSON: one-line ARCHIVE_INVALID with the path, exit 1', () => {
  const cases: [string, Record<string, string>][] = [
    ['null-entry', { 'manifest.json': '[null]' }],
    ['layers-string', { 'manifest.json': '[{"Layers":"abc"}]' }],
    ['manifests-number', { 'manifest.json': '{"manifests":5}' }],
    ['index-brace', { 'index.json': '{', 'oci-layout': '{"imageLayoutVersion":"1.0.0"}' }],
  ];
  for (const [name, files] of cases) {
    const d = path.join(work, name);
    mkdirSync(d);
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
    const archive = path.join(work, `${name}.tar`);
    assert.equal(spawnSync('tar', ['-cf', archive, '-C', d, ...Object.keys(files)]).status, 0);
    for (const target of name === 'index-brace' ? [archive, d] : [archive]) {
      const r = xarch(['scan', target]);
      assert.equal(r.status, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^xarch: .*(is not|is missing|not valid JSON)/, name);
      assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/, name);
      assert.ok(r.stderr.includes(target), `${name}: ${r.stderr}`);
      const j = xarch(['scan', '--json', target]);
      assert.equal(JSON.parse(j.stdout).error.code, 'ARCHIVE_INVALID', name);
    }
  }
});
