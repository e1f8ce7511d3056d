// A systemd service running `xarch agent` (xarch export --format
// systemd-unit): the handlers come back after a reboot, after
// `systemd-binfmt --unregister` or another tool flushing the table, within
// one interval. Pure.
import { XarchError } from '../core/errors.js';
import { AGENT_STATE_DIR, agentArgs } from './agent-deployment.js';
import { defineAgentFormat, type AgentDeployment } from './format.js';

/** A word of ExecStart= (systemd splits on whitespace, honours double quotes, expands % and $). */
function execWord(w: string): string {
  if (/[\n\r]/.test(w)) throw new XarchError('USAGE', `cannot put a newline in a systemd ExecStart= word: ${JSON.stringify(w)}`, { hint: 'pass the names without newlines' });
  const escaped = w.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_./,:=+-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["\\])/g, '\\$1')}"`;
}

export function renderSystemdUnit(d: AgentDeployment): string {
  const xarch = d.xarch ?? '/usr/local/bin/xarch';
  if (!xarch.startsWith('/')) throw new XarchError('USAGE', `ExecStart= needs an absolute path, not ${xarch}`, { hint: 'give the absolute path of xarch' });
  const exec = [xarch, ...agentArgs(d, ['--state-dir', AGENT_STATE_DIR])].map(execWord).join(' ');
  return `# xarch agent: keeps binfmt_misc handlers in effect (xarch export --format systemd-unit).
# Install as /etc/systemd/system/xarch-agent.service, then:
#   systemctl daemon-reload && systemctl enable --now xarch-agent
[Unit]
Description=xarch agent: keep binfmt_misc handlers in effect
Documentation=man:binfmt.d(5)
# The automount (proc-sys-fs-binfmt_misc.automount) is triggered by the mount
# unit; systemd-binfmt registers the persisted entries first, the agent then
# only repairs.
Wants=proc-sys-fs-binfmt_misc.mount
After=proc-sys-fs-binfmt_misc.mount systemd-binfmt.service

[Service]
Type=simple
ExecStart=${exec}
# SIGTERM ends the agent cleanly; the handlers stay registered.
KillSignal=SIGTERM
Restart=always
RestartSec=5
RuntimeDirectory=xarch
# Hardening that still allows what the agent does: registering needs
# CAP_SYS_ADMIN and a writable /proc/sys/fs/binfmt_misc (so no
# ProtectKernelTunables=, which makes /proc/sys read-only); the probes are
# written to the private /tmp and exec'd (so no noexec there); Node's JIT and
# QEMU's translator need writable executable memory (so no
# MemoryDenyWriteExecute=); QEMU makes the syscalls of the host (so
# SystemCallArchitectures=native would do, but a probe of the host's own
# 32-bit family would be killed: left out).
CapabilityBoundingSet=CAP_SYS_ADMIN
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateNetwork=yes
PrivateDevices=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
UMask=0022

[Install]
WantedBy=multi-user.target
`;
}

export const systemdUnit = defineAgentFormat({
  name: 'systemd-unit',
  description: 'a systemd service running xarch agent (xarch-agent.service), from --arches, --emulators or the persisted configuration',
  takes: ['arches', 'emulators'],
  file: 'xarch-agent.service',
  renderDeployment: renderSystemdUnit,
});
