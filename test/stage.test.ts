// The stage script (pure): what it mounts for each kind of session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stageScript, type StagePlan } from '../src/session/stage.js';

const plan = (over: Partial<StagePlan>): StagePlan => ({
  rules: [], lower: '/r', layer: { kind: 'overlay', upper: '/o/upper', work: '/o/work' }, binds: [], workdir: '/', terminal: false,
  tools: { unshare: '/usr/bin/unshare', setsid: '/usr/bin/setsid', script: '/usr/bin/script', env: '/usr/bin/env' }, ...over,
});
const overlayLine = (s: string) => s.split('\n').find((l) => l.startsWith('mount -t overlay'));

test('stage: an overlay in a user namespace uses user.overlay.* xattrs (userxattr); --global (no user namespace) keeps trusted.*', () => {
  // Without userxattr, dpkg renaming a new directory into a merged one fails with EXDEV (test/debian-root.test.ts).
  assert.match(overlayLine(stageScript(plan({}), ['true']))!, /lowerdir=\.,upperdir=\/o\/upper,workdir=\/o\/work,userxattr /);
  assert.match(overlayLine(stageScript(plan({ layer: { kind: 'ephemeral' } }), ['true']))!, /,userxattr /);
  assert.doesNotMatch(overlayLine(stageScript(plan({ rules: null }), ['true']))!, /userxattr/);
  assert.equal(overlayLine(stageScript(plan({ layer: { kind: 'none' } }), ['true'])), undefined);
});
