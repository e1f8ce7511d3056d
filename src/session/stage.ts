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
// - Everything that touches the root (the layer, /dev, /proc, the binds)
//   runs in a shell of its own, exec'd once the IDs are mapped: the stage
//   has no capabilities (host/namespace.ts), so its builtins could not
//   reach a root inside a directory only its owner may search (another
//   user's 0700 home, as host root); an exec'd shell gets the namespace's
//   capabilities, as mount does. Its `cd` into a lower root stays its own,
//   so no OLDPWD of the host reaches the command.
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

export interface MountPoints { dev: boolean; proc: boolean; sys: boolean }

export interface StagePlan {
  /** Register lines for the private instance, or 'sent': read from fd 3 after "go" (StageChannel.send); null: use the host's handlers (--global). */
  rules: readonly string[] | 'sent' | null;
  lower: string;
  layer: Layer;
  binds: Bind[];
  workdir: string;
  /** Give the command a pseudo-terminal of its own (stdin and stdout are terminals). */
  terminal: boolean;
  /** The command's IDs inside (an image's User); default 0. */
  user?: { uid: number; gid: number };
  /** Which of /dev, /proc and /sys a root used as it is has (a layered root gets all three made); default: all. */
  mountPoints?: MountPoints;
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
    // The stage's own tools in the C locale: loading C.UTF-8 was about a
    // third of each mount's and ln's start. The command gets its own back.
    'session_lc_all=${LC_ALL-}; session_lc_set=${LC_ALL+1}; export LC_ALL=C',
  ];

  // The binfmt_misc mount runs while the root's view is made (see
  // binfmtStage); each of the stage's processes is a fork and exec of
  // about 1-1.5 ms here, so two at once use the second core instead of
  // lengthening the start.
  const views: string[] = [];
  if (p.layer.kind !== 'none') {
    const lower = q(p.lower);
    const ephemeral = p.layer.kind === 'ephemeral';
    const upper = q(p.layer.kind === 'overlay' ? p.layer.upper : `${p.lower}/upper`);
    const work = q(p.layer.kind === 'overlay' ? p.layer.work : `${p.lower}/work`);
    views.push(`cd ${lower} && mount -t tmpfs -o mode=0755 xarch-stage ${lower} && mkdir ${r}${ephemeral ? ` ${upper} ${work}` : ''} || fail mount ${lower}`);
    // In a user namespace overlayfs cannot write trusted.overlay.* xattrs,
    // and renaming a new directory into a merged one (dpkg installing any
    // package directory) needs the opaque xattr: without userxattr that
    // rename fails with EXDEV (fs/overlayfs/dir.c ovl_rename).
    const xattrs = p.rules === null ? '' : ',userxattr';
    views.push(`mount -t overlay -o lowerdir=.,upperdir=${upper},workdir=${work}${xattrs} xarch ${r} 2>/dev/null || fail overlay`, 'cd /');
  }
  const dev = `${r}/dev`;
  const root = mergedRoot(p);
  // One `mount --all` over a generated fstab does every mount of /dev and
  // /proc (and the pty binds) in one process. libmount reads only a regular
  // file as fstab (not a pipe or here-document), so the table is written
  // with the shell's builtin printf into the dev/null placeholder: the
  // table's first entry binds the host's /dev/null over it, so nothing of
  // it is left in the view. The /dev/fd and /dev/ptmx links are made
  // meanwhile (ln in the background).
  const entries: FstabEntry[] = [
    ...DEVICES.map((n) => ({ source: `/dev/${n}`, target: `${root}/dev/${n}`, type: 'none', options: 'bind' })),
    { source: 'devpts', target: `${root}/dev/pts`, type: 'devpts', options: 'newinstance,ptmxmode=0666,mode=0620,X-mount.mkdir' },
    { source: 'shm', target: `${root}/dev/shm`, type: 'tmpfs', options: 'mode=1777,nosuid,nodev,X-mount.mkdir' },
  ];
  if (p.terminal) {
    // script(1) allocates from /dev/ptmx of its own (host) view: point that
    // at the session's devpts so the command's terminal exists inside.
    entries.push({ source: `${root}/dev/pts`, target: '/dev/pts', type: 'none', options: 'bind' }, { source: `${root}/dev/pts/ptmx`, target: '/dev/ptmx', type: 'none', options: 'bind' });
  }
  const layered = p.layer.kind !== 'none';
  const has = (d: keyof MountPoints) => layered || (p.mountPoints?.[d] ?? true);
  // X-mount.mkdir (util-linux 2.23+) makes the mount point in the upper layer.
  const mkdir = layered ? ',X-mount.mkdir' : '';
  if (has('proc')) entries.push({ source: 'proc', target: `${root}/proc`, type: 'proc', options: `defaults${mkdir}` });
  const sys: FstabEntry[] = has('sys') ? [{ source: '/sys', target: `${root}/sys`, type: 'none', options: `rbind${mkdir}` }] : [];
  const mounts: string[] = [];
  if (has('dev')) {
    const mountAll = (file: string, list: FstabEntry[]) => `printf '%s' ${q(renderFstab(list))} > ${q(file)} && mount --all --fstab ${q(file)}`;
    const retry = `${root}/dev/.fstab`;
    views.push(
      `mount -t tmpfs -o mode=0755,nosuid,size=1m${mkdir} xarch-dev ${dev} || fail mount /dev`,
      `for n in ${DEVICES.join(' ')}; do : > ${dev}/$n || fail mount /dev/$n; done`,
    );
    mounts.push(
      `ln -s pts/ptmx /proc/self/fd ${dev}/ & dev_links=$!`,
      // /sys is best effort (a container may refuse it): on a failure the
      // table less /sys runs again (mount --all skips what is mounted), from
      // a file of its own since the placeholder is covered by then.
      sys.length
        ? `{ ${mountAll(`${root}/dev/null`, [...entries, ...sys])}; } 2>/dev/null || { ${mountAll(retry, entries)}; r=$?; rm -f ${q(retry)}; [ $r = 0 ]; } || fail mount /dev`
        : `${mountAll(`${root}/dev/null`, entries)} || fail mount /dev`,
      'wait $dev_links || fail mount /dev',
    );
  } else {
    // Without a /dev of its own the command's terminal could not exist inside.
    if (p.terminal) views.push('fail mount /dev');
    if (has('proc')) mounts.push(`mount -t proc proc ${r}/proc || fail mount /proc`);
    if (has('sys')) mounts.push(`mount --rbind /sys ${r}/sys 2>/dev/null || true`);
  }
  for (const b of p.binds) {
    const t = q(`${mergedRoot(p)}${b.target}`);
    const make = b.directory ? `mkdir -p ${t}` : `mkdir -p ${q(`${mergedRoot(p)}${parentOf(b.target)}`)} && : > ${t}`;
    mounts.push(`{ [ -e ${t} ] || ${make}; } && mount --bind${b.readOnly ? ' -o ro' : ''} ${q(b.source)} ${t} || fail bind ${q(b.source)}`);
  }
  // The inner shell reports its own failure (fail exits 125); any other end of it is 125 too.
  const view = `sh -c ${q([stagePrelude(), ...views, ...mounts].join('\n'))} xarch-stage || exit 125`;
  lines.push(p.rules ? binfmtStage(q(DEFAULT_BINFMT_DIR), p.rules, [view]) : view);
  const ids = p.user ? ` --setgid=${p.user.gid} --setuid=${p.user.uid}` : '';
  const run = `${q(p.tools.unshare)} --root=${r} --wd=${q(p.workdir)}${ids} --`;
  lines.push('echo started >&4 2>/dev/null; exec 3<&- 4>&-; unset XARCH_REPORT; PATH=$session_path; if [ "$session_lc_set" ]; then LC_ALL=$session_lc_all; else unset LC_ALL; fi');
  if (p.terminal) {
    // script runs $SHELL -c; the command's own environment must not see that SHELL.
    lines.push(`SHELL=/bin/sh ${q(p.tools.script)} -q -e -c ${q(`exec ${q(p.tools.env)} -u SHELL ${run} ${command}`)} /dev/null`);
  } else lines.push(`${q(p.tools.setsid)} ${run} ${command}`);
  lines.push('exit $?');
  return lines.join('\n');
}

export interface FstabEntry { source: string; target: string; type: string; options: string }

/** fstab(5) text; fields are octal-escaped as libmount unescapes them, so any path survives. */
export function renderFstab(entries: readonly FstabEntry[]): string {
  const field = (f: string) => f.replace(/[\\\s]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return entries.map((e) => `${field(e.source)} ${field(e.target)} ${field(e.type)} ${field(e.options)} 0 0\n`).join('');
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
