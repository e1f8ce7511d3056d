// Spawning a foreground child the way a shell does: stdio inherited, the
// signals a user sends to xarch passed on, and the child's status as the
// result (128+N when a signal ended it). Used by `xarch run` and by sessions.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { XarchError } from '../core/errors.js';

/** A shell's exit status for a child that exited or was killed. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (osConstants.signals[signal] ?? 0);
  return code ?? 1;
}

export interface RelayOptions {
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /** Signals caught by xarch and passed on while the child runs. */
  relay: readonly NodeJS.Signals[];
  /** How a caught signal reaches its target (default: the child itself). */
  deliver?: (child: ChildProcess, signal: NodeJS.Signals) => void;
  /** Called once the child exists (extra pipes, ID maps, ...). A throw ends the child. */
  started?: (child: ChildProcess) => void;
  /** The error for a child that cannot be started (ENOENT, EACCES, ...). */
  startError: (e: NodeJS.ErrnoException) => XarchError;
  /** Runs after the child is gone, whatever happened. */
  cleanup?: () => void;
}

/** Spawn argv in the foreground; resolves to its exit status. */
export function spawnWithRelay(argv: readonly string[], opts: RelayOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: opts.stdio ?? 'inherit', env: opts.env ?? process.env });
    const deliver = opts.deliver ?? ((c, s) => { c.kill(s); });
    const handlers = opts.relay.map((s) => [s, () => deliver(child, s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      for (const [s, h] of handlers) process.off(s, h);
      try {
        opts.cleanup?.();
      } finally {
        f();
      }
    };
    child.on('error', (e) => finish(() => reject(opts.startError(e as NodeJS.ErrnoException))));
    let failure: unknown;
    // 'close', not 'exit': a stage's report pipe is read to its end first.
    child.on('close', (code, signal) => finish(() => (failure === undefined ? resolve(exitStatus(code, signal)) : reject(failure))));
    if (child.pid !== undefined && opts.started) {
      try {
        opts.started(child);
      } catch (e) {
        failure = e;
        child.kill('SIGKILL');
      }
    }
  });
}

/** Is `pid` a live process (EPERM: alive, owned by someone else)? Used to tell killed owners' leftovers from live ones. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
