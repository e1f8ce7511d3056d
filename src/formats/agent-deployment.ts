// What the agent deployment formats (systemd-unit, kubernetes) share: the
// `xarch agent` command line they run, from export's options. Pure.
import { resolveTarget } from '../core/arch.js';
import type { AgentDeployment } from './format.js';

export const AGENT_STATE_DIR = '/run/xarch';

/** `agent [--arches a,b]` plus `extra`; each --arches name must be one 'xarch arches' knows (throws ARCH_UNKNOWN). */
export function agentArgs(d: AgentDeployment, extra: readonly string[] = []): string[] {
  const args = ['agent'];
  if (d.arches?.length) {
    const names = d.arches.map((a) => (a === 'all' ? 'all' : resolveTarget(a).target.name));
    args.push('--arches', [...new Set(names)].join(','));
  }
  return [...args, ...extra];
}
