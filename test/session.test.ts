// Sessions a user can work in (issue 8): lifecycle under SIGKILL/SIGTERM of
// xarch, a real terminal, full ID maps, writable layers, binds and /dev.
// Real QEMU, real Debian busybox/hello roots, the kernel as the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, FIXTURES, TEST_USER, asUser, fixtureRoot, needFixture, needSandbox, xarch } from './helpers/env.js';
import { needSubordinateIds, SUBID_START } from './helpers/subids.js';
import { treeDigest } from './helpers/tree.js';
import { planIdMap, subordinateRanges } from '../src/session/idmap.js';

const skipNs = needSandbox() || needFixture('arm64');
const mountCount = () => readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length;
const temps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('xarch-rootfs-')).sort();
const TEST_GID = () => spawnSync("id", ["-g", TEST_USER], { encoding: "utf8" }).stdout.trim();
/** The host's own static busybox (scripts/fetch-fixtures.sh): it runs in a foreign root without any handler. */
const HOST_BUSYBOX = path.join(FIXTURES, 'amd64', 'root', 'bin', 'busybox');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pgrep = (pattern: string) => spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim();

/** A private copy of the arm64 fixture owned by `uid`. */
function copyRoot(uid = 0): { work: string; root: string } {
  const work = mkdtempSync(path.join(tmpdir(), 'xarch-sessiontest-'));
  chmodSync(work, 0o755);
  const root = path.join(work, 'root');
  cpSync(fixtureRoot('arm64')!, root, { recursive: true, verbatimSymlinks: true });
  if (uid) spawnSync("chown", ["-R", `${uid}:${TEST_GID()}`, work]);
  return { work, root };
}

test('ID map plan: identity for root, subordinate ranges for a user, a stated fallback without them', () => {
  assert.deepEqual(subordinateRanges('# c\nalice:100000:65536\nbob:200000:10\n1000:300000:5\n', 'alice', 1000), [{ start: 100000, count: 65536 }, { start: 300000, count: 5 }]);
  const root = planIdMap({ uid: 0, gid: 0, user: 'root', helpers: true });
  assert.deepEqual(root.map.uid, [{ inside: 0, outside: 0, count: 4294967295 }]);
  assert.equal(root.full, true);
  const user = planIdMap({ uid: 1000, gid: 1000, user: 'alice', subuid: 'alice:100000:65536\n', subgid: 'alice:200000:65536\n', helpers: true });
  assert.deepEqual(user.map.gid, [{ inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 200000, count: 65536 }]);
  assert.equal(user.full, true);
  const none = planIdMap({ uid: 1000, gid: 1000, user: 'alice', subuid: '', subgid: '', helpers: true });
  assert.deepEqual(none.map.uid, [{ inside: 0, outside: 1000, count: 1 }]);
  assert.match(none.note!, /no subordinate IDs for alice.*chown.*usermod --add-subuids/);
  assert.match(planIdMap({ uid: 1000, gid: 1000, user: 'alice', subuid: 'alice:1:65536', subgid: 'alice:1:65536', helpers: false }).note!, /apt-get install uidmap/);
});

test('session: /dev holds only the usual nodes, a private devpts and shm', { skip: skipNs }, () => {
  const r = xarch(['shell', fixtureRoot('arm64')!, '--', 'sh', '-c', 'ls -A /dev | tr "\\n" " "; echo; ls -A /dev/pts | tr "\\n" " "; echo; echo x > /dev/null && head -c 4 /dev/zero | wc -c; head -c 8 /dev/urandom | wc -c; echo s > /dev/shm/a && cat /dev/shm/a']);
  assert.equal(r.status, 0, r.stderr);
  const [nodes, pts, zero, urandom, shm] = r.stdout.trim().split('\n');
  assert.deepEqual(nodes!.trim().split(' ').sort(), ['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'tty', 'urandom', 'zero']);
  assert.equal(pts!.trim(), 'ptmx', 'a new devpts instance: none of the host\'s terminals');
  assert.deepEqual([zero!.trim(), urandom!.trim(), shm], ['4', '8', 's']);
});

test('session: the stage mount table takes any root path (space, tab, backslash) and a root without /proc or /sys', { skip: skipNs }, () => {
  const { work, root } = copyRoot();
  try {
    const odd = path.join(work, 'a b\tc\\d');
    mkdirSync(odd);
    const moved = path.join(odd, 'root');
    spawnSync('mv', [root, moved]);
    const r = xarch(['shell', moved, '--', 'sh', '-c', 'ls -A /dev | wc -l; test -e /proc/self/mountinfo && echo proc; ls /sys | grep -c class']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), ['10', 'proc', '1']);
    rmSync(path.join(moved, 'proc'), { recursive: true });
    rmSync(path.join(moved, 'sys'), { recursive: true });
    const bare = xarch(['shell', moved, '--', 'sh', '-c', 'ls -A /dev | wc -l; [ -d /proc ] || echo noproc; [ -d /sys ] || echo nosys']);
    assert.equal(bare.status, 0, bare.stderr);
    assert.deepEqual(bare.stdout.trim().split('\n').map((l) => l.trim()), ['10', 'noproc', 'nosys'], 'no /proc or /sys made in a root used as it is');
    assert.equal(existsSync(path.join(moved, 'proc')), false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('session: the stage (PID 1) runs without capabilities of its own, the command with the namespace\'s full set', { skip: skipNs }, () => {
  // The stage never re-execs itself after the ID maps exist (host/namespace.ts),
  // so it keeps --kill-child's parent-death signal; what it execs gains the set.
  const r = xarch(['shell', fixtureRoot('arm64')!, '--', 'sh', '-c', 'grep CapEff /proc/1/status; grep CapEff /proc/self/status']);
  assert.equal(r.status, 0, r.stderr);
  const [stage, command] = r.stdout.trim().split('\n').map((l) => BigInt('0x' + l.split(/\s+/)[1]));
  assert.equal(stage, 0n);
  assert.ok(command! > 0n && (command! & (1n << 21n)) !== 0n, 'CAP_SYS_ADMIN in the namespace');
});

test('session: the C locale the stage runs its own tools in does not reach the command; an --env LC_ALL does', { skip: skipNs }, () => {
  const plain = xarch(['shell', fixtureRoot('arm64')!, '--', 'sh', '-c', 'echo "[${LC_ALL-unset}]"']);
  assert.equal(plain.stdout, '[unset]\n', plain.stderr);
  const set = xarch(['shell', fixtureRoot('arm64')!, '--env', 'LC_ALL=C.UTF-8', '--', 'sh', '-c', 'echo "[${LC_ALL-unset}]"']);
  assert.equal(set.stdout, '[C.UTF-8]\n', set.stderr);
});

test('session: staging a layer leaves no OLDPWD of the host in the command\'s environment; an --env OLDPWD is kept', { skip: skipNs }, () => {
  const show = ['--', 'sh', '-c', 'echo "[${OLDPWD-unset}]"'];
  for (const layer of [['--ephemeral'], []]) {
    const r = xarch(['shell', fixtureRoot('arm64')!, ...layer, ...show]);
    assert.equal(r.stdout, '[unset]\n', `${layer.join(' ')}: ${r.stderr}`);
  }
  const kept = xarch(['shell', fixtureRoot('arm64')!, '--ephemeral', '--env', 'OLDPWD=/srv', ...show]);
  assert.equal(kept.stdout, '[/srv]\n', kept.stderr);
});

test('session (root): a root inside another user\'s 0700 directory works, plain, --ephemeral and with a bind', { skip: skipNs || (process.getuid?.() !== 0 && 'needs root: only root can reach into another user\'s 0700 directory') }, () => {
  const { work, root } = copyRoot();
  try {
    // The stage has no capabilities of its own: what touches the root runs in an exec'd shell that has them (session/stage.ts).
    chmodSync(work, 0o700);
    chownSync(work, 65534, 65534);
    for (const layer of [[], ['--ephemeral']]) {
      const r = xarch(['shell', ...layer, '--bind', `${process.execPath}:/mnt/node:ro`, root, '--', 'sh', '-c', 'test -s /mnt/node && echo ok']);
      assert.equal(r.status, 0, `${layer.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, 'ok\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('session: a bind is visible, :ro is read-only, --workdir and --env reach the command', { skip: skipNs }, () => {
  const { work, root } = copyRoot();
  try {
    const src = path.join(work, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'f'), 'from the host\n');
    const r = xarch(['shell', root, '--ephemeral', '--bind', `${src}:/mnt/rw`, '--bind', `${src}:/mnt/ro:ro`, '--workdir', '/mnt/rw', '--env', 'GREETING=hi there', '--',
      'sh', '-c', 'pwd; echo "$GREETING"; cat /mnt/ro/f; echo w > /mnt/rw/new && echo rw-ok; echo w > /mnt/ro/x 2>/dev/null && echo ro-writable || echo ro-refused']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['/mnt/rw', 'hi there', 'from the host', 'rw-ok', 'ro-refused']);
    assert.equal(readFileSync(path.join(src, 'new'), 'utf8'), 'w\n', 'a write through the bind lands on the host');
    assert.equal(existsSync(path.join(root, 'mnt')), false, 'mount points were made in the ephemeral layer, not in the root');
    const bad = xarch(['shell', root, '--bind', '/nonexistent/src', '--', 'true']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /does not exist\n\s+hint:/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

for (const who of ['root', 'user'] as const) {
  const skip = skipNs || (who === 'user' && needSubordinateIds());
  test(`session (${who}): chown and ls -l in an --overlay session; the root tree stays byte-identical; --ephemeral discards writes`, { skip }, () => {
    const uid = who === 'root' ? 0 : Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim());
    const { work, root } = copyRoot(uid);
    try {
      const before = treeDigest(root);
      const overlay = path.join(work, 'layer');
      const run = (args: string[]) => (who === 'root' ? xarch(args) : asUser([process.execPath, CLI, ...args], { timeout: 60_000 }));
      const r = run(['shell', root, '--overlay', overlay, '--', 'sh', '-c',
        'cat /proc/self/uid_map | wc -l; echo data > /etc/new; chown 1234:4321 /etc/new; ls -ln /etc/new; chown 7:7 /bin/busybox; ls -ln /bin/busybox; rm /usr/bin/hello; ls /usr/bin/hello 2>/dev/null || echo gone']);
      assert.equal(r.status, 0, r.stderr);
      const out = r.stdout.trim().split('\n');
      assert.equal(out[0], who === "root" ? "1" : "2", 'root: one identity line; user: self + subordinate range');
      assert.match(out[1]!, /^-rw-r--r--\s+1 1234\s+4321\s+5 /);
      assert.match(out[2]!, /^-rwxr-xr-x\s+1 7\s+7 /);
      assert.equal(out[3], 'gone');
      assert.equal(treeDigest(root), before, 'the lower root is untouched');
      // The writes persist in the overlay directory, owned by the mapped IDs.
      const again = run(['shell', root, '--overlay', overlay, '--', 'sh', '-c', 'cat /etc/new; ls -ln /etc/new']);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /^data\n-rw-r--r--\s+1 1234\s+4321 /);
      const hostOwner = spawnSync('stat', ['-c', '%u', path.join(overlay, 'upper', 'etc', 'new')], { encoding: 'utf8' }).stdout.trim();
      assert.equal(hostOwner, String(who === 'root' ? 1234 : SUBID_START + 1233));
      const eph = run(['shell', root, '--ephemeral', '--', 'sh', '-c', 'echo x > /tmp/e; rm /bin/busybox 2>/dev/null; echo done']);
      assert.equal(eph.status, 0, eph.stderr);
      assert.equal(treeDigest(root), before, 'ephemeral writes are gone');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

test('session: exit 3 typed at an interactive prompt gives 3, with a controlling terminal and no job-control warning', { skip: skipNs || (spawnSync('sh', ['-c', 'command -v script']).status !== 0 && 'script (bsdutils) is missing') }, async () => {
  // script(1) is the driver: it gives xarch a real pseudo-terminal on stdin/stdout.
  const child = spawn('script', ['-q', '-e', '-c', `${process.execPath} ${CLI} shell ${fixtureRoot('arm64')!}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  await sleep(1500);
  child.stdin.write('tty; sleep 30 & jobs; kill %1; echo job-$?\n');
  await sleep(1500);
  child.stdin.write('exit 3\n');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 3, out);
  assert.match(out, /\/dev\/pts\/\d+/);
  assert.match(out, /\[1\]\+?\s+Running\s+sleep 30/);
  assert.match(out, /job-0/);
  assert.doesNotMatch(out, /can't access tty|Cannot set tty process group|job control turned off/);
});

test('session: SIGKILL of xarch in an interactive session gives the terminal back in the mode it had (echo, line editing)', { skip: skipNs || (spawnSync('sh', ['-c', 'command -v script']).status !== 0 && 'script (bsdutils) is missing') }, async () => {
  // The pty's own shell prints xarch's PID, runs it, and once xarch is gone
  // shows the pty's mode: raw (-icanon -echo) is what script(1) inside left.
  const inner = `sh -c 'echo PID=$$; exec ${process.execPath} ${CLI} shell ${fixtureRoot('arm64')!} -- sh -c "echo inside; sleep 30"'`;
  const child = spawn('script', ['-q', '-e', '-c', `${inner}; sleep 0.5; echo MODE: $(stty -a | grep -o -- '-*icanon\\|-*echo\\b' | tr '\\n' ' ')`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  for (let i = 0; i < 100 && !/inside/.test(out); i++) await sleep(100);
  const pid = Number(/PID=(\d+)/.exec(out)?.[1]);
  assert.ok(pid > 0 && /inside/.test(out), out);
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => child.on('exit', r));
  assert.match(out, /MODE: icanon echo/, out);
  assert.equal(pgrep('xarch-terminal'), '', 'the watcher ends with its work done');
});

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`session: ${signal} of xarch at random moments leaves no process, mount or temporary directory after 2 s`, { skip: skipNs }, async () => {
    const { work, root } = copyRoot();
    const tar = path.join(work, 'root.tar');
    assert.equal(spawnSync('tar', ['-cf', tar, '-C', root, '.']).status, 0);
    try {
      const mounts = mountCount();
      const tempsBefore = temps();
      // Unique to this run: other worktrees' sessions on the machine may be sleeping 60 s too.
      const sleeper = `sleep 60.${process.pid}`;
      for (let trial = 0; trial < 6; trial++) {
        const marker = `xarch-marker-${signal}-${trial}`;
        const layer = trial % 3 === 0 ? ['--ephemeral'] : trial % 3 === 1 ? ['--overlay', path.join(work, `o${trial}`)] : [];
        const rootfs = trial === 5 ? tar : root;
        const child = spawn(process.execPath, [CLI, 'shell', rootfs, ...layer, '--', 'sh', '-c', `${sleeper} | cat; : ${marker}`], { stdio: 'ignore' });
        // Early (start-up, unpacking, stage) to late (command running).
        await sleep(Math.floor(Math.random() * 900));
        child.kill(signal);
        const code = await new Promise<number | null>((r) => child.on('exit', (c, s) => r(c ?? (s ? 128 + (s === 'SIGKILL' ? 9 : 15) : null))));
        if (signal === 'SIGTERM') assert.equal(code, 143, 'the command died of SIGTERM, or the session was ended before it started');
        await sleep(2000);
        assert.equal(pgrep(marker), '', `no process of trial ${trial} is left`);
        assert.equal(mountCount(), mounts, 'no mount left on the host');
        if (signal === 'SIGKILL' && rootfs === tar) {
          // A killed xarch cannot remove its unpacked tar; the next start (or --gc) sweeps it.
          const gc = xarch(['shell', '--gc', '--json']);
          assert.equal(gc.status, 0, gc.stderr);
        }
        assert.deepEqual(temps(), tempsBefore, 'no temporary directory is left');
      }
      assert.equal(pgrep(sleeper), '');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

test('session: SIGINT, SIGTERM and SIGHUP to xarch reach the command, which can trap them', { skip: skipNs }, async () => {
  for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
    const child = spawn(process.execPath, [CLI, 'shell', fixtureRoot('arm64')!, '--', 'sh', '-c', `trap "echo got-${n}; exit 40" ${n}; echo ready; while :; do sleep 0.1; done`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    for (let i = 0; i < 100 && !out.includes('ready'); i++) await sleep(50);
    await sleep(100);
    child.kill(sig);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 40, `${sig}: ${out}`);
    assert.match(out, new RegExp(`got-${n}`));
  }
});

test('shell --gc removes the directories of dead sessions and keeps live ones', () => {
  const dead = path.join(tmpdir(), 'xarch-rootfs-999999999-gctest');
  const live = path.join(tmpdir(), `xarch-rootfs-${process.ppid}-gctest`);
  mkdirSync(path.join(dead, 'etc'), { recursive: true });
  mkdirSync(live, { recursive: true });
  try {
    const r = xarch(['shell', '--gc', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.ok(report.removed.includes(dead));
    assert.ok(report.live.includes(live));
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(live), true);
  } finally {
    rmSync(dead, { recursive: true, force: true });
    rmSync(live, { recursive: true, force: true });
  }
});



test('session: SIGTERM before the stage is ready ends xarch even when the stage outlived its launcher', { skip: skipNs }, async () => {
  // util-linux 2.38 unshare sets --kill-child's parent-death signal in its
  // child after fork(), without checking the parent is still alive: a
  // launcher killed in that window (SIGTERM during start-up, under load)
  // leaves the stage running without it, waiting on fd 3 for "go" while it
  // holds the report pipe open. The window is too short to hit on purpose,
  // so the launcher here leaves the real stage exactly so: it starts it in
  // the background, without --kill-child, after xarch has killed it.
  const { planSession, runSession } = await import('../src/session/session.js');
  const plan = await planSession({ rootfs: fixtureRoot('arm64')!, command: ['true'] });
  const stage = plan.argv[plan.argv.indexOf('-c') + 1]!;
  const marker = `xarch-orphan-stage-${process.pid}`;
  plan.argv = ['sh', '-c', `(sleep 0.5; exec unshare --user --mount --pid --fork sh -c "$1" ${marker}) & exec sleep 30`, 'launcher', stage];
  const session = runSession(plan, false);
  await sleep(150);
  process.kill(process.pid, 'SIGTERM');
  const outcome = await Promise.race([session, sleep(5000).then(() => 'hung' as const)]);
  if (outcome === 'hung') for (const pid of pgrep(marker).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
  assert.equal(outcome, 143, 'xarch ends with the signal, not waiting for the orphaned stage');
  await sleep(1000);
  assert.equal(pgrep(marker), '', 'the orphaned stage read EOF on fd 3 and exited');
});

test('session: handlers are looked up after "go", while the stage makes the root\'s view; a lookup that fails ends the session with its error, never starts the command and leaves nothing', { skip: skipNs || (!existsSync(HOST_BUSYBOX) && `no host busybox at ${HOST_BUSYBOX}: run 'bash scripts/fetch-fixtures.sh'`) }, async () => {
  const { prepareSession, runSession } = await import('../src/session/session.js');
  const { XarchError } = await import('../src/core/errors.js');
  // The command is the host's own static busybox, bound in: it runs without any handler, so
  // only the stage's refusal to start it after a failed lookup keeps /mnt/ran from existing.
  const hostBusybox = HOST_BUSYBOX;
  // A root of its own: the binds' mount points are made in it.
  const { work, root } = copyRoot();
  try {
    const ran = path.join(work, 'ran');
    const prepared = await prepareSession({ rootfs: root, binds: [`${hostBusybox}:/busybox:ro`, `${work}:/mnt`], command: ['/busybox', 'touch', '/mnt/ran'] });
    let calls = 0;
    const failing = { ...prepared, handlers: () => {
      calls++;
      // Long enough for the stage to be waiting for the register lines when the lookup gives up.
      for (const until = Date.now() + 300; Date.now() < until;);
      throw new XarchError('EMULATOR_NOT_FOUND', 'no emulator for aarch64 (test)', { hint: 'install one' });
    } };
    await assert.rejects(runSession(failing, false), (e: any) => e.code === 'EMULATOR_NOT_FOUND' && /\(test\)/.test(e.message));
    assert.equal(calls, 1);
    await sleep(300);
    assert.equal(pgrep('xarch-shell'), '', 'no stage is left');
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), /xarch-dev|xarch-stage/, 'no mount is left');
    assert.equal(existsSync(ran), false, 'the command never started');
    // And the same plan with its real lookup runs.
    let looked = 0;
    const real = { ...prepared, handlers: () => { looked++; return prepared.handlers(); } };
    assert.equal(await runSession(real, false), 0);
    assert.equal(looked, 1);
    assert.equal(existsSync(ran), true, 'the command ran');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
