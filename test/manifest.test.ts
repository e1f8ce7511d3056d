import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyState, lastStep, parseManifest, recordRollback, recordUse, renderManifest, resolveSet, setId, setsInUse, setVersion, type Manifest,
} from '../src/emulators/manifest.js';
import { rewriteSuites } from '../src/emulators/sources.js';
import { isXarchError } from '../src/core/errors.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function manifest(files = [{ name: 'qemu-aarch64', sha256: A }, { name: 'qemu-arm', sha256: B }]): Manifest {
  return {
    id: setId(files), version: '7.2.22', source: 'tar:/x.tar', packages: [], addedAt: '2026-01-01T00:00:00.000Z', probes: [],
    files: files.map((f) => ({ ...f, cpu: f.name.slice(5), targets: [f.name.slice(5)], size: 1, static: true, version: '7.2.22', preserveArgv0: true })),
  };
}

test('setId: content address, independent of order, changes with any file', () => {
  const one = setId([{ name: 'qemu-aarch64', sha256: A }, { name: 'qemu-arm', sha256: B }]);
  assert.equal(one, setId([{ name: 'qemu-arm', sha256: B }, { name: 'qemu-aarch64', sha256: A }]));
  assert.match(one, /^[0-9a-f]{16}$/);
  assert.notEqual(one, setId([{ name: 'qemu-aarch64', sha256: B }, { name: 'qemu-arm', sha256: B }]));
  assert.notEqual(one, setId([{ name: 'qemu-aarch64', sha256: A }]));
});

test('setVersion: the version most files report', () => {
  assert.equal(setVersion([{ version: '10.0.3' }, { version: '10.0.3' }, { version: '7.2' }, { version: null }]), '10.0.3');
  assert.equal(setVersion([{ version: null }]), null);
});

test('parseManifest: round trip; a tampered file list or id is refused', () => {
  const m = manifest();
  assert.deepEqual(parseManifest(renderManifest(m), 'm.json'), m);
  const tampered = { ...m, files: m.files.map((f, i) => (i === 0 ? { ...f, sha256: B } : f)) };
  assert.throws(() => parseManifest(renderManifest(tampered), 'm.json'), (e: unknown) => isXarchError(e) && e.code === 'STORE_INVALID' && /do not hash/.test(e.message));
  assert.throws(() => parseManifest('{', 'm.json'), (e: unknown) => isXarchError(e) && e.code === 'STORE_INVALID');
  const badName = { ...m, files: [{ ...m.files[0]!, name: '../etc/passwd' }] };
  assert.throws(() => parseManifest(JSON.stringify(badName), 'm.json'), (e: unknown) => isXarchError(e) && /file name/.test(e.message));
});

test('history: use records the previous entry, rollback pops it and names the set it returns to', () => {
  let s = emptyState();
  s = recordUse(s, '/b', 'aarch64', { set: 'one', before: ':qemu-aarch64:M::x::/usr/bin/q:F', beforeEnabled: true, beforeSet: null, at: 't1' });
  s = recordUse(s, '/b', 'aarch64', { set: 'two', before: ':qemu-aarch64:M::x::/s/one/q:F', beforeEnabled: true, beforeSet: 'one', at: 't2' });
  assert.deepEqual([...setsInUse(s)], ['two']);
  assert.equal(lastStep(s, '/b', 'aarch64')!.set, 'two');
  s = recordRollback(s, '/b', 'aarch64');
  assert.equal(s.instances['/b']!.aarch64!.current, 'one');
  assert.equal(lastStep(s, '/b', 'aarch64')!.before, ':qemu-aarch64:M::x::/usr/bin/q:F');
  s = recordRollback(s, '/b', 'aarch64');
  assert.equal(s.instances['/b']!.aarch64!.current, null);
  assert.equal(lastStep(s, '/b', 'aarch64'), null);
  assert.equal(lastStep(s, '/other', 'aarch64'), null);
});

test('resolveSet: id, unique prefix, version; unknown and ambiguous refused', () => {
  const sets = [{ id: 'aaaa1111', version: '7.2.22 (Debian 1:7.2)' }, { id: 'aaaa2222', version: '10.0.3' }];
  assert.equal(resolveSet('aaaa1', sets), 'aaaa1111');
  assert.equal(resolveSet('10.0.3', sets), 'aaaa2222');
  assert.equal(resolveSet('7.2.22', sets), 'aaaa1111');
  assert.equal(resolveSet('10.0', sets), 'aaaa2222');
  assert.throws(() => resolveSet('10', sets.concat({ id: 'bbbb', version: '10.1.0' })), (e: unknown) => isXarchError(e) && /ambiguous/.test(e.message));
  assert.throws(() => resolveSet('aaaa', sets), (e: unknown) => isXarchError(e) && /ambiguous/.test(e.message));
  assert.throws(() => resolveSet('ffff', sets), (e: unknown) => isXarchError(e) && e.code === 'SET_NOT_FOUND');
});

test('rewriteSuites: deb822 and one-line entries of the host suite move to the new suite; others are dropped', () => {
  const deb822 = 'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /k.gpg\n\n' +
    'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n' +
    'Types: deb\nURIs: http://other.example/node\nSuites: nodistro\nComponents: main\n';
  const r = rewriteSuites(deb822, true, 'bookworm', 'trixie');
  assert.equal(r.count, 2);
  assert.match(r.text, /Suites: trixie trixie-updates\n/);
  assert.match(r.text, /Suites: trixie-security\n/);
  assert.match(r.text, /Signed-By: \/k\.gpg/);
  assert.doesNotMatch(r.text, /nodistro|bookworm/);
  const line = rewriteSuites('deb [signed-by=/k.gpg] http://mirror.example/debian bookworm main\ndeb-src http://mirror.example/debian bookworm main\n# deb x bookworm main\ndeb http://o.example/x stable main\n', false, 'bookworm', 'trixie');
  assert.equal(line.count, 1);
  assert.equal(line.text, 'deb [signed-by=/k.gpg] http://mirror.example/debian trixie main\n');
});
