// The caller's terminal mode, restored however xarch ends. An interactive
// session's script(1) puts the terminal in raw mode and restores it on its
// way out, but SIGKILL of xarch takes script down with the session's PID
// namespace (the kernel's SIGKILL, no chance to restore), and the user's
// shell comes back to a terminal without echo or line editing.
//
// So a small sh outside every namespace keeps the mode saved before the
// session (stty -g) and waits on a pipe only xarch holds: the kernel closes
// it when xarch ends, SIGKILL included, and the watcher puts the mode back.
// After a normal end it writes the mode script already restored. It ignores
// SIGTTOU because by then the user's shell may own the terminal again, and
// tcsetattr from a background process group would otherwise stop it.
import { spawn, spawnSync } from 'node:child_process';

const WATCHER = 'trap "" TTOU INT HUP TERM QUIT; read _ ; exec stty "$1" <&3';

/** Start the watcher for the terminal on `fd` (default: stdin); false when there is no terminal mode to keep. */
export function guardTerminalMode(fd = 0): boolean {
  const saved = spawnSync('stty', ['-g'], { stdio: [fd, 'pipe', 'ignore'], encoding: 'utf8' });
  const mode = saved.status === 0 ? saved.stdout.trim() : '';
  if (!mode) return false;
  const watcher = spawn('sh', ['-c', WATCHER, 'xarch-terminal', mode], { stdio: ['pipe', 'ignore', 'ignore', fd], detached: true });
  watcher.on('error', () => {});
  watcher.stdin!.on('error', () => {});
  // Neither the watcher nor its pipe may keep xarch alive; the pipe's write
  // end stays open until this process ends.
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  return true;
}
