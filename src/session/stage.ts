// The session's stage: the POSIX sh script that runs as PID 1 of the new
// namespaces and builds the session's view before starting the command.
// Pure: a plan in, script text out; host/namespace.ts launches it.
//
// Why each step is as it is:
// - Writable layers are staged on a tmpfs mounted over the lower root's own
//   path, after `cd` into it: the stage's cwd still holds the lower, so
//   `lowerdir=.` names it, and nothing of the session (ephemeral upper,
//   merged mount point) exists outside the mount namespace, which the kernel
//   removes with its last process, SIGKILL of xarch included.
// - /dev is a small tmpfs with six nodes bound from the host and a new
//   devpts instance, not the host's devtmpfs.
// - The command is not exec'd: this shell stays PID 1, which the kernel
//   shields from default signal actions; when it exits, the kernel kills
//   whatever is left inside.
// - The command runs in a session of its own (setsid, or script's pty), so
//   xarch can signal its process group as a terminal would.
import { binfmtStage, shellQuote, stagePrelude } from '../host/namespace.js';
import { DEFAULT_BINFMT_DIR } from '../host/kernel.js';

export interface Bind {
  /** Absolute host path. */
  source: string;
  /** Path inside the root (resolved against the lower root's symlinks). */
  target: string;
  readOnly: boolean;
  directory: boolean;
}

export type Layer =
  | { kind: 'none' }
  | { kind: 'overlay'; upper: string; work: string }
  | { kind: 'ephemeral' };

export interface StagePlan {
  /** Register lines for the private instance; null: use the host's handlers (--global). */
  rules: string[] | null;
  lower: string;
  layer: Layer;
  binds: Bind[];
  workdir: string;
  /** Give the command a pseudo-terminal of its own (stdin and stdout are terminals). */
  terminal: boolean;
  /** The command's IDs inside (an image's User); default 0. */
  user?: { uid: number; gid: number };
  /** Host tools by absolute path (looked up before the session's PATH is in force). */
  tools: { unshare: string; setsid: string; script: string; env: string };
}

/** Where the command's root is, on the host side, once the layer is mounted. */
export function mergedRoot(p: Pick<StagePlan, 'lower' | 'layer'>): string {
  return p.layer.kind === 'none' ? p.lower : `${p.lower}/merged`;
}

const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/** The stage script that ends by running `argv` inside the root. */
export function stageScript(p: StagePlan, argv: readonly string[]): string {
  const q = shellQuote;
  const command = argv.map(q).join(' ');
  const r = q(mergedRoot(p));
  const lines = [
    stagePrelude(),
    // The session's PATH may be an image's; the stage's own tools are the host's.
    'session_path=$PATH; PATH=/usr/sbin:/usr/bin:/sbin:/bin',
  ];
  if (p.rules) lines.push(binfmtStage(q(DEFAULT_BINFMT_DIR), p.rules));
  if (p.layer.kind !== 'none') {
    const lower = q(p.lower);
    lines.push(`cd ${lower} && mount -t tmpfs -o mode=0755 xarch-stage ${lower} && mkdir ${r} || fail mount ${lower}`);
    let upper = q(`${p.lower}/upper`);
    let work = q(`${p.lower}/work`);
    if (p.layer.kind === 'ephemeral') lines.push(`mkdir ${upper} ${work} || fail mount`);
    else {
      upper = q(p.layer.upper);
      work = q(p.layer.work);
    }
    // In a user namespace overlayfs cannot write trusted.overlay.* xattrs,
    // and renaming a new directory into a merged one (dpkg installing any
    // package directory) needs the opaque xattr: without userxattr that
    // rename fails with EXDEV (fs/overlayfs/dir.c ovl_rename).
    const xattrs = p.rules === null ? '' : ',userxattr';
    lines.push(`mount -t overlay -o lowerdir=.,upperdir=${upper},workdir=${work}${xattrs} xarch ${r} 2>/dev/null || fail overlay`, 'cd /');
  }
  const dev = `${r}/dev`;
  const mkdirs = p.layer.kind === 'none' ? '' : `mkdir -p ${dev} ${r}/proc ${r}/sys && `;
  lines.push(
    `if ${mkdirs}[ -d ${dev} ]; then`,
    `  mount -t tmpfs -o mode=0755,nosuid,size=1m xarch-dev ${dev} || fail mount /dev`,
    `  for n in ${DEVICES.join(' ')}; do : > ${dev}/$n && mount --bind /dev/$n ${dev}/$n || fail mount /dev/$n; done`,
    `  mkdir ${dev}/pts ${dev}/shm && ln -s pts/ptmx ${dev}/ptmx && ln -s /proc/self/fd ${dev}/fd || fail mount /dev`,
    `  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts ${dev}/pts && mount -t tmpfs -o mode=1777,nosuid,nodev shm ${dev}/shm || fail mount /dev/pts`,
    'fi',
    `[ -d ${r}/proc ] && { mount -t proc proc ${r}/proc || fail mount /proc; }`,
    `[ -d ${r}/sys ] && { mount --rbind /sys ${r}/sys 2>/dev/null || true; }`,
  );
  for (const b of p.binds) {
    const t = q(`${mergedRoot(p)}${b.target}`);
    const make = b.directory ? `mkdir -p ${t}` : `mkdir -p ${q(`${mergedRoot(p)}${parentOf(b.target)}`)} && : > ${t}`;
    lines.push(`{ [ -e ${t} ] || ${make}; } && mount --bind${b.readOnly ? ' -o ro' : ''} ${q(b.source)} ${t} || fail bind ${q(b.source)}`);
  }
  const ids = p.user ? ` --setgid=${p.user.gid} --setuid=${p.user.uid}` : '';
  const run = `${q(p.tools.unshare)} --root=${r} --wd=${q(p.workdir)}${ids} --`;
  if (p.terminal) {
    // script(1) allocates from /dev/ptmx of its own (host) view: point that
    // at the session's devpts so the command's terminal exists inside.
    lines.push(`mount --bind ${dev}/pts /dev/pts && mount --bind ${dev}/pts/ptmx /dev/ptmx || fail mount /dev/pts`);
  }
  lines.push('echo started >&4 2>/dev/null; exec 3<&- 4>&-; unset XARCH_REPORT; PATH=$session_path');
  if (p.terminal) {
    // script runs $SHELL -c; the command's own environment must not see that SHELL.
    lines.push(`SHELL=/bin/sh ${q(p.tools.script)} -q -e -c ${q(`exec ${q(p.tools.env)} -u SHELL ${run} ${command}`)} /dev/null`);
  } else lines.push(`${q(p.tools.setsid)} ${run} ${command}`);
  lines.push('exit $?');
  return lines.join('\n');
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
