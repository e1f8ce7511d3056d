// The proof after an install: each registered target's self-test probe is
// exec'd through the kernel (src/verify/verify.ts), so an item reported
// installed is one whose binaries ran. A failing probe makes the item failed,
// with the probe's reason: a registration the kernel accepted but that runs
// nothing (a wrong interpreter, an instance nobody else sees, a shadowing
// entry) is not an install.
import { hasProbe } from '../core/probe.js';
import type { InstallItem, ItemProbe } from '../manage/plan.js';
import { verifyTargets, type VerifyOptions, type VerifyResult } from './verify.js';

const IN_EFFECT = new Set(['installed', 'replaced', 'unchanged']);

/** The part of a probe's result an item carries. */
export function itemProbe(r: VerifyResult): ItemProbe {
  const p: ItemProbe = { ok: r.ok, result: r.result, entry: r.entry, ms: r.ms };
  if (r.error) p.error = r.error;
  return p;
}

/** Probe every item that is in effect and has a catalogue target with a probe; items change in place. */
export function probeInstalled(items: InstallItem[], opts: VerifyOptions = {}): void {
  const probed = items.filter((i) => !i.dryRun && IN_EFFECT.has(i.status) && i.target !== undefined && hasProbe(i.target));
  if (probed.length === 0) return;
  const results = verifyTargets(probed.map((i) => i.target!), opts);
  probed.forEach((item, n) => {
    const r = results[n]!;
    item.probe = itemProbe(r);
    if (r.ok) return;
    item.status = 'failed';
    item.reason = `${item.reason ? `${item.reason}, but ` : ''}the probe did not run: ${r.error?.message ?? r.result}`;
    item.error = { code: 'PROBE_FAILED', message: r.error?.message ?? r.result, ...(r.error?.hint ? { hint: r.error.hint } : {}) };
  });
}
