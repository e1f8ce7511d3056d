// Subordinate ID ranges for the unprivileged test user, so sessions can map
// uid/gid 1..65536 inside (newuidmap/newgidmap check /etc/subuid, /etc/subgid).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { TEST_USER, needTestUser } from './env.js';

export const SUBID_START = 300000;
export const SUBID_COUNT = 65536;

function hasRange(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').split('\n').some((l) => l.startsWith(`${TEST_USER}:`));
  } catch {
    return false;
  }
}

/** Give the test user a subordinate range (idempotent). Returns a skip reason or false. */
export function needSubordinateIds(): string | false {
  const base = needTestUser();
  if (base) return base;
  if (spawnSync('sh', ['-c', 'command -v newuidmap && command -v newgidmap']).status !== 0) {
    const r = 'newuidmap/newgidmap are not installed (apt-get install uidmap)';
    console.log(`# skip reason: ${r}`);
    return r;
  }
  if (hasRange('/etc/subuid') && hasRange('/etc/subgid')) return false;
  const range = `${SUBID_START}-${SUBID_START + SUBID_COUNT - 1}`;
  const r = spawnSync('usermod', ['--add-subuids', range, '--add-subgids', range, TEST_USER], { encoding: 'utf8' });
  if (r.status !== 0) {
    const reason = `cannot add subordinate IDs for ${TEST_USER}: ${r.stderr.trim()}`;
    console.log(`# skip reason: ${reason}`);
    return reason;
  }
  return false;
}
