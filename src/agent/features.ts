// The Node Feature Discovery local-source feature file: one `key=value` line
// per feature (NFD's features.d format); node-feature-discovery turns each
// into a node label, so workloads select the nodes that can run their
// architecture without the agent holding any Kubernetes API access. Pure.
import { getTarget } from '../core/arch.js';

/** NFD's directory for local-source feature files (hostPath in the DaemonSet). */
export const NFD_FEATURES_DIR = '/etc/kubernetes/node-feature-discovery/features.d';
export const FEATURES_FILE = 'xarch';

/** linux-arm64, linux-arm, linux-ppc64le: the target's Docker platform, with '-' because a label key has no '/'. */
export function platformLabel(targetName: string): string {
  const platform = getTarget(targetName)?.names.docker?.find((n) => n.startsWith('linux/')) ?? `linux/${targetName}`;
  return platform.replace(/\//g, '-');
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(s: string): string | null {
  const v = s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return v === '' ? null : v;
}

/** The file's text: the targets that ran their probe, and the QEMU version (the first token of `qemu-* --version`'s). */
export function renderFeatures(targets: readonly string[], qemuVersion: string | null): string {
  const lines = ['# written by xarch agent: the architectures this node runs through binfmt_misc (node-feature-discovery local source)'];
  for (const t of [...new Set(targets.map(platformLabel))].sort()) lines.push(`xarch.emulate.${t}=true`);
  const v = qemuVersion ? labelValue(qemuVersion.split(/\s/)[0] ?? '') : null;
  if (v) lines.push(`xarch.qemu.version=${v}`);
  return lines.join('\n') + '\n';
}
