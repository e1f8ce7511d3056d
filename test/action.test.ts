// The GitHub Action's built file, run the way the runner runs it (INPUT_*
// variables, a GITHUB_OUTPUT file) inside a private binfmt_misc instance,
// with the host's real QEMU and the arm64 busybox of the fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACTION_FILE, buildAction } from '../src/action/build.js';
import { outputBlock, workflowCommand } from '../src/action/protocol.js';
import { FIXTURES, inSandbox, needFixture, needSandbox } from './helpers/env.js';

const QEMU = '/usr/bin/qemu-aarch64-static';
const noQemu = existsSync(QEMU) ? false : `${QEMU} missing (apt-get install qemu-user-static)`;
const skip = needSandbox() || needFixture('arm64') || noQemu;

/** Parse GITHUB_OUTPUT's heredoc blocks. */
function outputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2\n/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = m[3]!;
  return out;
}

/** Run the action in a private instance, then `after` there; the entries left are listed last. */
function runAction(inputs: Record<string, string>, after = '') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-action-test-'));
  const outFile = path.join(dir, 'output');
  writeFileSync(outFile, '');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_OUTPUT: outFile, INPUT_STORE: path.join(dir, 'store') };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v.replace('$DIR', dir);
  const script = `${process.execPath} "${ACTION_FILE}"; echo "rc=$?"; ${after || ":"}; echo "entries: $(ls "$XARCH_SANDBOX_BINFMT" | grep -v -e register -e status | tr '\\n' ' ')"`;
  const r = inSandbox(['sh', '-c', script], { env });
  const text = readFileSync(outFile, 'utf8');
  return { r, dir, out: outputs(text), rc: Number(/rc=(\d+)/.exec(r.stdout)?.[1]), entries: /entries: (.*)/.exec(r.stdout)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [] };
}

test('the committed action file equals a fresh build', async () => {
  assert.equal(readFileSync(ACTION_FILE, 'utf8'), await buildAction(), 'run npm run build:action and commit action/dist/index.mjs');
});

test('protocol: escaped commands and heredoc outputs', () => {
  assert.equal(workflowCommand('error', 'a%b\nc', { title: 'x: y,z' }), '::error title=x%3A y%2Cz::a%25b%0Ac');
  assert.equal(outputBlock('platforms', '["linux/arm64"]', 'EOF1'), 'platforms<<EOF1\n["linux/arm64"]\nEOF1\n');
});

test('success: the arm64 handler is installed, verified and runs busybox', { skip }, () => {
  const busybox = path.join(FIXTURES, 'arm64', 'root', 'bin', 'busybox');
  const a = runAction({ platforms: 'linux/arm64', emulators: 'apt' }, `"${busybox}" echo hello-from-arm64`);
  try {
    assert.equal(a.rc, 0, a.r.stdout + a.r.stderr);
    assert.deepEqual(JSON.parse(a.out.platforms!), ['linux/arm64']);
    const [d] = JSON.parse(a.out.details!);
    assert.equal(d.ok, true);
    assert.equal(d.target, 'aarch64');
    assert.equal(d.result, 'ok');
    assert.equal(d.entry, 'qemu-aarch64');
    assert.match(a.r.stdout, /^hello-from-arm64$/m);
    assert.deepEqual(a.entries, ['qemu-aarch64']);
  } finally {
    rmSync(a.dir, { recursive: true, force: true });
  }
});

test('failure: a platform without a working emulator fails the job and leaves no entry', { skip }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-action-emu-'));
  try {
    mkdirSync(path.join(dir, 'emu'));
    copyFileSync(QEMU, path.join(dir, 'emu', 'qemu-aarch64'));
    // An aarch64 emulator posing as riscv64: the kernel accepts the entry, the probe does not run.
    copyFileSync(QEMU, path.join(dir, 'emu', 'qemu-riscv64'));
    const a = runAction({ platforms: 'linux/arm64,linux/riscv64,linux/s390x', emulators: path.join(dir, 'emu') });
    try {
      assert.equal(a.rc, 1, a.r.stdout + a.r.stderr);
      assert.deepEqual(JSON.parse(a.out.platforms!), ['linux/arm64']);
      assert.match(a.r.stdout, /^::error title=xarch%3A linux\/riscv64::linux\/riscv64 does not run: expected exit 42/m);
      assert.match(a.r.stdout, /^::error title=xarch%3A linux\/s390x::linux\/s390x does not run: /m);
      const details = JSON.parse(a.out.details!);
      assert.equal(details.find((d: { target: string }) => d.target === 'riscv64').removed, true);
      assert.deepEqual(a.entries, ['qemu-aarch64']);
    } finally {
      rmSync(a.dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: exit 1 with one ::error:: line, nothing registered', { skip: needSandbox() }, () => {
  const bad: Record<string, string>[] = [{ platforms: 'linux/arm65' }, { platforms: 'linux/arm64', verify: 'maybe' }, { platforms: 'linux/arm64', emulators: "/nonexistent/qemu.deb" }];
  for (const inputs of bad) {
    const a = runAction(inputs);
    try {
      assert.equal(a.rc, 1, a.r.stdout);
      const lines = a.r.stdout.split('\n').filter((l) => !/^(rc=|entries:)/.test(l) && l !== '');
      const errors = lines.filter((l) => l.startsWith('::error::xarch: '));
      assert.equal(errors.length, 1, a.r.stdout);
      assert.match(errors[0]!, /hint: /);
      assert.deepEqual(a.entries, []);
      assert.equal(a.r.stderr.includes('    at '), false, 'no stack trace');
    } finally {
      rmSync(a.dir, { recursive: true, force: true });
    }
  }
});
