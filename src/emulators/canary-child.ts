// Runs inside a private binfmt_misc instance (src/emulators/canary.ts starts
// it through src/host/namespace.ts sandboxArgv): registers a set's
// emulators there with install's own planner and applier, then runs the
// self-test probes through the kernel (src/verify/verify.ts). Prints one
// JSON line; nothing it registers outlives the namespace.
import os from 'node:os';
import { installTargets } from '../manage/install.js';
import { verifyTargets } from '../verify/verify.js';
import type { Emulator } from './emulator.js';

interface CanaryRequest {
  emulators: Emulator[];
  targets: string[];
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '{}') as CanaryRequest;
  const binfmtDir = process.env.XARCH_SANDBOX_BINFMT ?? '/proc/sys/fs/binfmt_misc';
  const installed = await installTargets({ targets: req.targets }, { emulators: req.emulators, binfmtDir, kernelRelease: os.release() });
  const verified = verifyTargets(req.targets, { binfmtDir });
  process.stdout.write(JSON.stringify({ installed, verified }) + '\n');
}

main().catch((e: unknown) => {
  process.stdout.write(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) + '\n');
  process.exitCode = 1;
});
