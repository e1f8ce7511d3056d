// The action's entry (built into action/dist/index.mjs, which action.yml
// runs with the runner's Node 20). The one place that reads process.env,
// prints and exits. binfmt_misc needs root: on a hosted runner the job runs
// as an ordinary user with password-less sudo, so the file runs itself
// again under `sudo -E` (which keeps INPUT_* and GITHUB_OUTPUT).
import { spawnSync } from 'node:child_process';
import { DEFAULT_BINFMT_DIR } from '../host/kernel.js';
import { defaultStoreDir } from '../emulators/store.js';
import { isXarchError } from '../core/errors.js';
import { parseInputs } from './inputs.js';
import { setUp } from './setup.js';
import { setOutput, workflowCommand } from './protocol.js';

function oneLine(e: unknown): string {
  if (isXarchError(e)) return `xarch: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}`;
  return `xarch: ${(e as Error).message}`;
}

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const request = parseInputs(env);
  if (process.getuid?.() !== 0 && !env.XARCH_ACTION_SUDO) {
    const r = spawnSync('sudo', ['-n', '-E', process.execPath, process.argv[1]!], { stdio: 'inherit', env: { ...env, XARCH_ACTION_SUDO: '1' } });
    if (r.error) throw new Error(`registering handlers needs root and sudo cannot run: ${r.error.message}`);
    return r.status ?? 1;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(workflowCommand('group', 'xarch: install and verify handlers'));
  let results;
  try {
    results = await setUp(request, {
      binfmtDir: env.XARCH_BINFMT_DIR || DEFAULT_BINFMT_DIR,
      etcDir: env.XARCH_ETC_DIR || '/etc',
      storeDir: request.store ?? defaultStoreDir(env),
      path: env.PATH ?? '',
      log: out,
    });
  } finally {
    out('::endgroup::');
  }
  for (const r of results) {
    out(`${r.ok ? 'runs     ' : 'FAILED   '} ${r.platform} (${r.target})${r.entry ? ` through ${r.entry}` : ''}${r.result ? `: ${r.result}` : ''}`);
    if (!r.ok) {
      const e = r.error;
      out(workflowCommand('error', `${r.platform} does not run: ${e?.message ?? r.status}${e?.hint ? ` (hint: ${e.hint})` : ''}`, { title: `xarch: ${r.platform}` }));
    }
  }
  const ran = results.filter((r) => r.ok).map((r) => r.platform);
  if (!setOutput(env, 'platforms', JSON.stringify(ran))) out(workflowCommand('warning', 'GITHUB_OUTPUT is not set: no outputs written'));
  setOutput(env, 'details', JSON.stringify(results));
  return results.every((r) => r.ok) ? 0 : 1;
}

main(process.env).then(
  (code) => { process.exitCode = code; },
  (e) => {
    process.stdout.write(`${workflowCommand('error', oneLine(e))}\n`);
    process.exitCode = 1;
  },
);
