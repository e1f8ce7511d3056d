// What the agent deployment formats (systemd-unit, kubernetes) share: the
// `xarch agent` command line they run, from export's options. Pure.
import { resolveTarget } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import type { AgentDeployment } from './format.js';

export const AGENT_STATE_DIR = '/run/xarch';

/** `agent [--arches a,b] [--emulators SET]` plus `extra`; each --arches name must be one 'xarch arches' knows (throws ARCH_UNKNOWN). */
export function agentArgs(d: AgentDeployment, extra: readonly string[] = []): string[] {
  const args = ['agent'];
  if (d.arches?.length) {
    const names = d.arches.map((a) => (a === 'all' ? 'all' : resolveTarget(a).target.name));
    args.push('--arches', [...new Set(names)].join(','));
  }
  if (d.emulators !== undefined) {
    // A set is named by its hex id, a prefix of it or a QEMU version: anything else is a mistake, caught before it reaches a unit line or a manifest.
    if (!/^[0-9A-Za-z][-+.:~0-9A-Za-z]*$/.test(d.emulators)) throw new XarchError('USAGE', `--emulators '${d.emulators}' is not an emulator set's id or QEMU version`, { hint: "xarch emulators list shows the sets' ids" });
    args.push('--emulators', d.emulators);
  }
  return [...args, ...extra];
}
