// The stage script (pure): what it mounts for each kind of session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stageScript, type StagePlan } from '../src/session/stage.js';

const plan = (over: Partial<StagePlan>): StagePlan => ({
  rules: [], lower: '/r', layer: { kind: 'overlay', upper: '/o/upper', work: '/o/work' }, binds: [], workdir: '/', terminal: false,
  tools: { unshare: '/usr/bin/unshare', setsid: '/usr/bin/setsid', script: '/usr/bin/script', env: '/usr/bin/env' }, ...over,
});
const overlayLine = (s: string) => s.split('\n').find((l) => l.startsWith('mount -t overlay'));

/** The stage's inner shell (what touches the root), unquoted, and the stage without it. */
function split(s: string): { inner: string; outer: string } {
  const m = /sh -c '((?:[^']|'\\'')*)' xarch-stage \|\| exit 125/.exec(s);
  assert.ok(m, s);
  return { inner: m[1]!.replaceAll("'\\''", "'"), outer: s.replace(m[0], 'INNER') };
}

test('stage: an overlay in a user namespace uses user.overlay.* xattrs (userxattr); --global (no user namespace) keeps trusted.*', () => {
  // Without userxattr, dpkg renaming a new directory into a merged one fails with EXDEV (test/debian-root.test.ts).
  assert.match(overlayLine(stageScript(plan({}), ['true']))!, /lowerdir=\.,upperdir=\/o\/upper,workdir=\/o\/work,userxattr /);
  assert.match(overlayLine(stageScript(plan({ layer: { kind: 'ephemeral' } }), ['true']))!, /,userxattr /);
  assert.doesNotMatch(overlayLine(stageScript(plan({ rules: null }), ['true']))!, /userxattr/);
  assert.equal(overlayLine(stageScript(plan({ layer: { kind: 'none' } }), ['true'])), undefined);
});

test('stage: what touches the root runs in an exec\'d shell, which has the namespace\'s capabilities; the stage itself only mounts binfmt_misc, registers and starts the command', () => {
  const binds = [{ source: '/h/f', target: '/etc/f', readOnly: true, directory: false }, { source: '/h/d', target: '/mnt', readOnly: false, directory: true }];
  for (const layer of [{ kind: 'none' }, { kind: 'ephemeral' }, { kind: 'overlay', upper: '/o/upper', work: '/o/work' }] as const) {
    const { inner, outer } = split(stageScript(plan({ layer, rules: 'sent', binds }), ['true']));
    // Builtins that reach into the root: a redirection, cd, test -e.
    assert.doesNotMatch(outer, /> \/r|cd \/r|-e \/r/, outer);
    assert.match(inner, /^fail\(\) \{/, 'the inner shell reports failures itself');
    assert.match(inner, /mount --bind -o ro \/h\/f \/r(\/merged)?\/etc\/f \|\| fail bind \/h\/f/);
    assert.match(inner, /mount --bind \/h\/d \/r(\/merged)?\/mnt \|\| fail bind \/h\/d/);
    if (layer.kind !== 'none') assert.match(inner, /^cd \/r && mount -t tmpfs/m);
  }
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
      if (rules === 'sent') {
        assert.match(lines[writes[0]!]!, /^while IFS= read -r rule <&3 && \[ "\$rule" != \. \]; do printf '%s' "\$rule" > /);
        // EOF before the '.' that ends the lines: xarch gave up, and the command never starts.
        assert.equal(lines[writes[0]! + 1], '[ "$rule" = . ] || exit 125');
      }
    }
  }
});

test('stage: the mount table is written over the dev/null placeholder, which its first entry covers, and no link replaces it', () => {
  const s = split(stageScript(plan({ layer: { kind: 'none' }, rules: 'sent' }), ['true'])).inner;
  const table = /printf '%s' '([^']*)' > \/r\/dev\/null && mount --all --fstab \/r\/dev\/null/.exec(s);
  assert.ok(table, s);
  assert.match(table[1]!, /^\/dev\/null \/r\/dev\/null none bind 0 0\n/);
  assert.match(s, /^ln -s pts\/ptmx \/proc\/self\/fd \/r\/dev\/ & dev_links=\$!$/m);
  assert.match(s, /^wait \$dev_links \|\| fail mount \/dev$/m);
});
