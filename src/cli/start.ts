// The process side of one CLI run: arguments and streams of this process
// in, the exit code out. bin/xarch.js reaches it through a command's bundle
// (bundle.ts, launcher.cts) or, in a build without bundles, through main.ts.
import { processArgs, processIo, type Io } from './io.js';

export function start(run: (argv: string[], io: Io) => Promise<number>): void {
  void run(processArgs(), processIo()).then((code) => { process.exitCode = code; });
}
