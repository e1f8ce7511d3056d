// The agent's state file: what it wants, when it last looked and when each
// target's probe last ran. `xarch agent --check` (a readiness probe, run in
// another process) judges from this file and the live instance; the verdict
// itself is pure (checkState).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseRegister, sameRule } from '../core/rule.js';
import { errnoOf, XarchError } from '../core/errors.js';
import type { LiveEntry } from '../core/match.js';
import { stringBytes } from '../core/bytes.js';
import { writeFileAtomic } from '../host/atomic.js';
import type { ItemProbe } from '../manage/plan.js';

export const DEFAULT_STATE_DIR = '/run/xarch';
export const STATE_FILE = 'agent.json';

export interface TargetState {
  name: string;
  target?: string;
  /** The register line (byte string) the agent keeps in effect. */
  register: string;
  /** The last probe (ms since the epoch), or null when the target has no probe. */
  probedAt: number | null;
  probe: ItemProbe | null;
}

export interface AgentState {
  pid: number;
  binfmtDir: string;
  /** Seconds between passes. */
  interval: number;
  /** End of the last pass (ms since the epoch). */
  passAt: number;
  targets: TargetState[];
}

export function stateFile(dir: string): string {
  return path.join(dir, STATE_FILE);
}

export function writeState(dir: string, state: AgentState): void {
  writeFileAtomic(stateFile(dir), stringBytes(JSON.stringify(state) + '\n'), { mode: 0o644, what: 'agent state file' });
}

/** The state file, or null when no agent has written one. */
export function readState(dir: string): AgentState | null {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'latin1')) as AgentState;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw new XarchError('CONFIG_INVALID', `cannot read the agent state file ${stateFile(dir)}: ${(e as Error).message}`, { path: stateFile(dir), hint: 'it is rewritten by the running agent at every pass; remove it and restart the agent' });
  }
}

export interface CheckResult {
  ready: boolean;
  problems: string[];
}

/**
 * Ready when every desired target is registered, enabled and identical in
 * the live instance, and its probe ran and passed within the interval. Two
 * intervals of slack: a --check that lands while a pass is running must not
 * see the previous pass as stale.
 */
export function checkState(state: AgentState | null, live: readonly LiveEntry[] | null, now: number): CheckResult {
  if (!state) return { ready: false, problems: ['no agent state file: the agent has not completed a pass'] };
  const problems: string[] = [];
  const fresh = 2 * state.interval * 1000 + 1000;
  if (now - state.passAt > fresh) problems.push(`the last pass was ${Math.round((now - state.passAt) / 1000)} s ago (interval ${state.interval} s): is the agent running?`);
  if (!live) problems.push(`binfmt_misc is not mounted at ${state.binfmtDir}`);
  for (const t of state.targets) {
    const parsed = parseRegister(t.register);
    const entry = live?.find((e) => e.name === t.name);
    if (live && !entry) problems.push(`${t.name} is not registered`);
    else if (entry && !entry.enabled) problems.push(`${t.name} is disabled`);
    else if (entry && parsed.ok && !sameRule(entry.rule, parsed.rule)) problems.push(`${t.name} differs from the desired rule`);
    if (t.probedAt === null) continue;
    if (!t.probe?.ok) problems.push(`${t.name}: the last probe failed: ${t.probe?.error?.message ?? t.probe?.result ?? 'not run'}`);
    else if (now - t.probedAt > fresh) problems.push(`${t.name}: the last probe ran ${Math.round((now - t.probedAt) / 1000)} s ago`);
  }
  return { ready: problems.length === 0, problems };
}
