// The caller's terminal mode, restored however xarch ends. An interactive
// session's script(1) puts the terminal in raw mode and restores it on its
// way out, but SIGKILL of xarch takes script down with the session's PID
// namespace (the kernel's SIGKILL, no chance to restore), and the user's
// shell comes back to a terminal without echo or line editing.
//
// So a small sh outside every namespace keeps the mode saved before the
// session (stty -g) and waits on a pipe only xarch holds: the kernel closes
// it when xarch ends, SIGKILL included, and the watcher puts the mode back.
// A normal end restores the mode itself while xarch still has the terminal
// and tells the watcher `done`: a late restore would race the user's shell,
// which sets its own line-editing mode as soon as xarch is gone. The watcher
// ignores SIGTTOU (tcsetattr from outside the foreground process group).
import { spawn, spawnSync } from 'node:child_process';

const WATCHER = 'trap "" TTOU INT HUP TERM QUIT; read said; [ "$said" = done ] || exec stty "$1" <&3';

export interface TerminalGuard {
  /** The session ended while xarch runs: restore the mode now and end the watcher. */
  release(): void;
}

/** Start the watcher for the terminal on `fd` (default: stdin); null when there is no terminal mode to keep. */
export function guardTerminalMode(fd = 0): TerminalGuard | null {
  const saved = spawnSync('stty', ['-g'], { stdio: [fd, 'pipe', 'ignore'], encoding: 'utf8' });
  const mode = saved.status === 0 ? saved.stdout.trim() : '';
  if (!mode) return null;
  const watcher = spawn('sh', ['-c', WATCHER, 'xarch-terminal', mode], { stdio: ['pipe', 'ignore', 'ignore', fd], detached: true });
  watcher.on('error', () => {});
  watcher.stdin!.on('error', () => {});
  // Neither the watcher nor its pipe may keep xarch alive; the pipe's write
  // end stays open until this process ends.
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    release() {
      spawnSync('stty', [mode], { stdio: [fd, 'ignore', 'ignore'] });
      watcher.stdin!.end('done\n');
    },
  };
}
