// xarch agent against the kernel, in a private binfmt_misc instance: an
// entry removed, the table flushed, an entry disabled, another tool's entry
// taking a name or shadowing one; each is reported and repaired within one
// interval, others' entries are left alone, --check follows, SIGTERM leaves
// the entries (and --remove-on-exit removes only the agent's). Plus the
// pure parts: the pass decision, the check verdict and the feature file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { getTarget } from '../src/core/arch.js';
import { ruleFromTarget } from '../src/core/rule.js';
import { decidePass } from '../src/agent/reconcile.js';
import { checkState, type AgentState } from '../src/agent/state.js';
import { platformLabel, renderFeatures } from '../src/agent/features.js';
import { renderRegister } from '../src/core/rule.js';
import type { PlannedRule } from '../src/manage/plan.js';
import { CLI, FIXTURES, inSandbox, needCommand, needFixture, needSandbox } from './helpers/env.js';

const aarch64 = getTarget('aarch64')!;
const rule = ruleFromTarget(aarch64, { name: 'qemu-aarch64', interpreter: '/usr/bin/qemu-aarch64-static', flags: 'POF' });
const desired: PlannedRule[] = [{ rule, target: 'aarch64', warnings: [] }];

test('decidePass: missing, disabled, changed, another tool\'s name, shadowed, switched off', () => {
  const inst = (entries: { name: string; enabled: boolean; rule: typeof rule }[], globalEnabled = true) => ({ mounted: true, entries, globalEnabled });
  assert.deepEqual(decidePass(desired, inst([])).events.map((e) => [e.event, 'what' in e ? e.what : '']), [['drift', 'missing']]);
  assert.deepEqual(decidePass(desired, inst([{ name: rule.name, enabled: false, rule }])).events.map((e) => 'what' in e && e.what), ['disabled']);
  const changed = { ...rule, interpreter: '/usr/local/bin/qemu-aarch64' };
  assert.deepEqual(decidePass(desired, inst([{ name: rule.name, enabled: true, rule: changed }])).plan.steps.map((s) => s.action), ['replace']);
  const foreign = { ...rule, mask: new Uint8Array(rule.mask!.length).fill(0xff) };
  const taken = decidePass(desired, inst([{ name: rule.name, enabled: true, rule: foreign }]));
  assert.deepEqual([taken.plan.steps[0]!.action, taken.events[0]!.event, (taken.events[0] as { what: string }).what], ['skip', 'conflict', 'name-taken']);
  const shadow = decidePass(desired, inst([{ name: 'other', enabled: true, rule: { ...foreign, name: 'other' } }, { name: rule.name, enabled: true, rule }]));
  assert.deepEqual(shadow.events.map((e) => [e.event, 'by' in e ? e.by : '']), [['conflict', 'other']]);
  assert.deepEqual(decidePass(desired, inst([{ name: rule.name, enabled: true, rule }], false)).events.map((e) => 'what' in e && e.what), ['global-disabled']);
  assert.equal(decidePass(desired, { mounted: false, entries: [], globalEnabled: true }).plan.mount, true);
});

test('checkState: ready only with every target registered, identical and probed within the interval', () => {
  const now = 1_000_000;
  const state: AgentState = { pid: 1, binfmtDir: '/b', interval: 10, passAt: now - 1000, targets: [{ name: rule.name, target: 'aarch64', register: renderRegister(rule), probedAt: now - 1000, probe: { ok: true, result: 'ok', entry: rule.name, ms: 5 } }] };
  const live = [{ name: rule.name, enabled: true, rule }];
  assert.equal(checkState(state, live, now).ready, true);
  assert.equal(checkState(null, live, now).ready, false);
  assert.match(checkState(state, [], now).problems[0]!, /not registered/);
  assert.match(checkState(state, [{ ...live[0]!, enabled: false }], now).problems[0]!, /disabled/);
  assert.match(checkState(state, null, now).problems[0]!, /not mounted/);
  assert.match(checkState(state, live, now + 60_000).problems[0]!, /last pass was 61 s ago/);
  const failed = { ...state, targets: [{ ...state.targets[0]!, probe: { ok: false, result: 'wrong-output', entry: rule.name, ms: 5, error: { message: 'bad' } } }] };
  assert.match(checkState(failed, live, now).problems[0]!, /last probe failed: bad/);
});

test('the feature file: one line per target that ran, the QEMU version', () => {
  assert.equal(platformLabel('aarch64'), 'linux-arm64');
  assert.equal(platformLabel('arm'), 'linux-arm');
  assert.equal(renderFeatures(['s390x', 'aarch64'], '7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)').split('\n').slice(1).join('\n'),
    'xarch.emulate.linux-arm64=true\nxarch.emulate.linux-s390x=true\nxarch.qemu.version=7.2.22\n');
});

interface Event { time: string; event: string; name: string; what?: string; action?: string; by?: string; removed?: string[] }

test('the agent keeps its entries in effect in a private instance', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-agent-'));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // Another tool's entries: one shadowing qemu-aarch64 (newer, same binaries), one taking the name qemu-s390x after a flush.
  const shadow = ':other-arm64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:F';
  const taken = ':qemu-s390x:M::\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff:/usr/bin/qemu-s390x-static:F';
  const script = `
    B="$XARCH_SANDBOX_BINFMT"; S=${q(tmp)}; X="${process.execPath} ${CLI}"
    mark() { echo "$1 $(date +%s%3N)" >> "$S/marks"; }
    count() { grep -c "$1" "$S/events" || true; }
    until_n() { i=0; while [ "$(count "$1")" -lt "$2" ]; do i=$((i+1)); [ $i -gt 100 ] && { echo "timeout waiting for $1" >&2; return 1; }; sleep 0.1; done; }
    $X agent --arches arm64,s390x --interval 0.5 --state-dir "$S" --features-dir "$S/features" > "$S/events" &
    P=$!
    until_n '"repaired","name":"qemu-s390x"' 1
    sleep 0.3
    $X agent --check --state-dir "$S" >/dev/null; echo "check-ready $?" >> "$S/marks"
    # Stopped while --check looks, so the agent cannot repair first.
    kill -STOP $P; echo -1 > "$B/qemu-aarch64"
    $X agent --check --state-dir "$S" >/dev/null; echo "check-missing $?" >> "$S/marks"
    mark remove; kill -CONT $P
    until_n '"repaired","name":"qemu-aarch64"' 2
    sleep 0.3
    $X agent --check --state-dir "$S" >/dev/null; echo "check-repaired $?" >> "$S/marks"
    mark disable; echo 0 > "$B/qemu-s390x"
    until_n '"repaired","name":"qemu-s390x"' 2
    mark flush; echo -1 > "$B/status"
    until_n '"repaired","name":"qemu-aarch64"' 3
    until_n '"repaired","name":"qemu-s390x"' 3
    mark shadow; printf '%s' ${q(shadow)} > "$B/register"
    until_n '"by":"other-arm64"' 1
    echo -1 > "$B/qemu-s390x"; printf '%s' ${q(taken)} > "$B/register"
    until_n '"what":"name-taken"' 1
    sleep 1.2
    kill -TERM $P; wait $P; echo "exit $?" >> "$S/marks"
    ls "$B" > "$S/after-term"
    $X agent --arches arm64 --interval 0.5 --state-dir "$S/2" --remove-on-exit > "$S/events2" &
    P=$!
    until_n '"event":"started"' 1; sleep 1
    kill -TERM $P; wait $P
    ls "$B" > "$S/after-remove"
  `;
  try {
    const r = inSandbox(['sh', '-c', script]);
    assert.equal(r.status, 0, r.stderr);
    const events: Event[] = readFileSync(path.join(tmp, 'events'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const marks = new Map(readFileSync(path.join(tmp, 'marks'), 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]));
    const at = (e: Event) => Date.parse(e.time);
    // Each disturbance: a drift, then a repair, within one interval (0.5 s) plus the pass's own time.
    const after = (mark: string, pred: (e: Event) => boolean) => events.find((e) => at(e) >= Number(marks.get(mark)) && pred(e));
    for (const [mark, name, what, action] of [['remove', 'qemu-aarch64', 'missing', 'registered'], ['disable', 'qemu-s390x', 'disabled', 'enabled'], ['flush', 'qemu-aarch64', 'missing', 'registered'], ['flush', 'qemu-s390x', 'missing', 'registered']] as const) {
      const drift = after(mark, (e) => e.event === 'drift' && e.name === name);
      const repaired = after(mark, (e) => e.event === 'repaired' && e.name === name);
      assert.equal(drift?.what, what, `${mark}: ${name}`);
      assert.equal(repaired?.action, action, `${mark}: ${name}`);
      assert.ok(at(repaired!) - Number(marks.get(mark)) < 500 + 700, `${mark}: repaired ${at(repaired!) - Number(marks.get(mark))} ms after`);
    }
    // Others' entries are reported once, never removed.
    assert.equal(events.filter((e) => e.event === 'conflict' && e.by === 'other-arm64').length, 1);
    assert.equal(events.filter((e) => e.what === 'name-taken').length, 1);
    assert.equal(events.filter((e) => e.action === 'repinned').length, 0, 'nothing to repin in an empty instance, and only on the first pass');
    assert.deepEqual([marks.get('check-ready'), marks.get('check-missing'), marks.get('check-repaired'), marks.get('exit')], ['0', '1', '0', '0']);
    assert.deepEqual(events.at(-1), { ...events.at(-1), event: 'stopped', removed: [] });
    const left = readFileSync(path.join(tmp, 'after-term'), 'utf8').split('\n');
    for (const n of ['qemu-aarch64', 'qemu-s390x', 'other-arm64']) assert.ok(left.includes(n), `${n} still registered after SIGTERM`);
    const removed = readFileSync(path.join(tmp, 'after-remove'), 'utf8').split('\n');
    assert.ok(!removed.includes('qemu-aarch64') && removed.includes('other-arm64') && removed.includes('qemu-s390x'), removed.join(' '));
    assert.match(readFileSync(path.join(tmp, 'events2'), 'utf8'), /"event":"stopped","removed":\["qemu-aarch64"\]/);
    const features = readFileSync(path.join(tmp, 'features', 'xarch'), 'utf8');
    assert.match(features, /^xarch\.emulate\.linux-arm64=true$/m);
    assert.match(features, /^xarch\.qemu\.version=\d+\.\d+/m);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('agent --once from the persisted configuration; a new agent registers its F entries again (repinned)', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-agent-config-'));
  try {
    mkdirSync(path.join(tmp, 'etc/binfmt.d'), { recursive: true });
    writeFileSync(path.join(tmp, 'etc/binfmt.d/qemu-aarch64.conf'), `# persisted\n${renderRegister(rule)}\n`);
    const once = `${process.execPath} ${CLI} agent --once --root ${tmp} --no-debian --state-dir ${tmp}/state`;
    const r = inSandbox(['sh', '-c', `${once} && echo --- && ${once}`]);
    assert.equal(r.status, 0, r.stderr);
    const [first, second] = r.stdout.split('---\n').map((part) => part.trim().split('\n').map((l) => JSON.parse(l)));
    assert.deepEqual(first!.map((e) => [e.event, e.name, e.what ?? e.action]), [['drift', 'qemu-aarch64', 'missing'], ['repaired', 'qemu-aarch64', 'registered']]);
    assert.equal(first![1].probe.result, 'ok');
    assert.deepEqual(second!.map((e) => [e.event, e.action]), [['repaired', 'repinned']]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('agent: --once exits 0 when in effect; usage errors exit 2', { skip: needSandbox() }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-agent-once-'));
  try {
    const r = inSandbox([process.execPath, CLI, 'agent', '--once', '--arches', 'arm64', '--state-dir', tmp]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"event":"repaired","name":"qemu-aarch64","target":"aarch64","action":"registered"/);
    const bad = inSandbox([process.execPath, CLI, 'agent', '--interval', 'soon']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--interval wants a positive number/);
    const check = inSandbox([process.execPath, CLI, 'agent', '--check', '--state-dir', path.join(tmp, 'none'), '--json']);
    assert.equal(check.status, 1);
    assert.equal(JSON.parse(check.stdout).ready, false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('agent --once --emulators SET: the set\'s targets are kept, pointing into the store; the fixture busybox runs through them', { skip: needSandbox() || needRoot() || needFixture('arm64') || needCommand('qemu-aarch64-static', 'qemu-user-static') }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xarch-agent-set-'));
  try {
    const qemu = '/usr/bin/qemu-aarch64-static';
    const busybox = path.join(FIXTURES, 'arm64/root/bin/busybox');
    mkdirSync(path.join(tmp, 'in/bin'), { recursive: true });
    copyFileSync(qemu, path.join(tmp, 'in/bin/qemu-aarch64-static'));
    assert.equal(spawnSync('tar', ['-C', path.join(tmp, 'in'), '-cf', path.join(tmp, 'q.tar'), 'bin']).status, 0);
    const store = path.join(tmp, 'store');
    const add = spawnSync(process.execPath, [CLI, 'emulators', 'add', path.join(tmp, 'q.tar'), '--store', store, '--json'], { encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    const id: string = JSON.parse(add.stdout).id;
    const r = inSandbox(['sh', '-c', `${process.execPath} ${CLI} agent --once --emulators ${id} --store ${store} --state-dir ${tmp}/state && ` +
      `cat "$XARCH_SANDBOX_BINFMT/qemu-aarch64" && ${busybox} echo ran-through-the-set`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"event":"repaired","name":"qemu-aarch64","target":"aarch64","action":"registered"/);
    const interpreter = /^interpreter (.*)$/m.exec(r.stdout)?.[1] ?? '';
    assert.ok(interpreter.startsWith(store + '/'), `the entry's interpreter ${interpreter} is inside the store`);
    assert.match(r.stdout, /ran-through-the-set/);
    assert.doesNotMatch(r.stdout, /"name":"qemu-arm"/, 'only the set\'s targets');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

function needRoot(): string | false {
  if (process.getuid?.() === 0) return false;
  const reason = 'adding to a root-owned emulator store needs root';
  console.log(`# skip reason: ${reason}`);
  return reason;
}
