// The action's inputs as one typed request: pure, values in, value out.
// Names resolve through the catalogue (any scheme `xarch arches` knows);
// a bad input is a USAGE or ARCH_UNKNOWN XarchError with a hint.
import { resolveTarget } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { getBooleanInput, getInput } from './protocol.js';

export interface PlatformRequest {
  /** As reported in the outputs: Docker's name (linux/arm64) when the target has one. */
  platform: string;
  target: string;
}

export interface ActionRequest {
  /** 'all': every foreign target the emulators serve. */
  platforms: PlatformRequest[] | 'all';
  emulators: { kind: 'apt' } | { kind: 'path'; path: string };
  verify: boolean;
  persist: boolean;
  /** The store a path source is added to (default: xarch's store for the user). */
  store?: string;
}

export function platformName(input: string): PlatformRequest {
  const r = resolveTarget(input);
  const platform = input.includes('/') ? input.trim().toLowerCase() : r.target.names.docker?.[0] ?? r.target.name;
  return { platform, target: r.target.name };
}

export function parseInputs(env: NodeJS.ProcessEnv): ActionRequest {
  const raw = getInput(env, 'platforms') || 'all';
  const names = raw.split(/[\s,]+/).filter(Boolean);
  let platforms: ActionRequest['platforms'] = 'all';
  if (!(names.length === 1 && names[0] === 'all')) {
    if (names.includes('all')) throw new XarchError('USAGE', `input 'platforms' mixes 'all' with names: ${raw}`, { hint: "give 'all' alone or a list such as linux/arm64,linux/riscv64" });
    platforms = [];
    for (const n of names) {
      const p = platformName(n);
      if (!platforms.some((q) => q.target === p.target)) platforms.push(p);
    }
  }
  const source = getInput(env, 'emulators') || 'apt';
  const req: ActionRequest = {
    platforms,
    emulators: source === 'apt' ? { kind: 'apt' } : { kind: 'path', path: source },
    verify: getBooleanInput(env, 'verify', true),
    persist: getBooleanInput(env, 'persist', false),
  };
  const store = getInput(env, 'store');
  if (store) req.store = store;
  return req;
}
