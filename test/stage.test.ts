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

test('stage: nothing is written to a register file before the private binfmt_misc mount has succeeded; sent register lines are read from fd 3', () => {
  for (const layer of [{ kind: 'none' }, { kind: 'ephemeral' }] as const) {
    for (const rules of [['RULE-A', 'RULE-B'], 'sent'] as const) {
      const lines = stageScript(plan({ layer, rules }), ['true']).split('\n');
      const mounted = lines.findIndex((l) => l.startsWith('wait $binfmt_mount || fail binfmt'));
      const writes = lines.map((l, i) => (l.includes('/register') ? i : -1)).filter((i) => i >= 0);
      assert.ok(mounted > 0 && writes.length > 0, lines.join('\n'));
      assert.ok(writes.every((i) => i > mounted), 'every register write waits for the mount');
      assert.ok(lines.some((l) => l.startsWith('mount -t binfmt_misc') && l.includes(' & binfmt_mount=$!')), 'the mount runs while /dev is made');
      if (rules === 'sent') assert.match(lines[writes[0]!]!, /^while IFS= read -r rule <&3; do printf '%s' "\$rule" > /);
    }
  }
});

test('stage: the mount table is written over the dev/null placeholder, which its first entry covers, and no link replaces it', () => {
  const s = stageScript(plan({ layer: { kind: 'none' }, rules: 'sent' }), ['true']);
  const table = /printf '%s' '([^']*)' > \/r\/dev\/null && mount --all --fstab \/r\/dev\/null/.exec(s);
  assert.ok(table, s);
  assert.match(table[1]!, /^\/dev\/null \/r\/dev\/null none bind 0 0\n/);
  assert.match(s, /^ln -s pts\/ptmx \/proc\/self\/fd \/r\/dev\/ & dev_links=\$!$/m);
  assert.match(s, /^wait \$dev_links \|\| fail mount \/dev$/m);
});
