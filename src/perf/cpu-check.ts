// Checking a QEMU CPU model before anything runs, on its own so that run
// and shell load only this (the wrappers' module below it, cpu.ts, cost
// 8-11 ms of their start-up even without --cpu).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { XarchError } from '../core/errors.js';
import { parseCpuHelp } from './cpu-models.js';

const listed = new Map<string, string[]>();

/** The models `emulator -cpu help` lists (cached per path); empty when it lists none or cannot run. */
export function cpuModels(emulator: string): string[] {
  const hit = listed.get(emulator);
  if (hit) return hit;
  const r = spawnSync(emulator, ['-cpu', 'help'], { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } });
  // QEMU 7.2's linux-user exits 1 after printing the list: the text is the answer.
  const models = r.error ? [] : parseCpuHelp(r.stdout ?? '');
  listed.set(emulator, models);
  return models;
}

/** Throws CPU_MODEL_UNKNOWN (with the models it has) when `emulator` does not list `model`. */
export function checkCpuModel(emulator: string, model: string, target: string): void {
  const models = cpuModels(emulator);
  if (models.includes(model)) return;
  const shown = models.length > 12 ? `${models.slice(0, 12).join(', ')}, ... (${models.length})` : models.join(', ');
  throw new XarchError('CPU_MODEL_UNKNOWN', `${path.basename(emulator)} has no CPU model '${model}' for ${target}`, {
    path: emulator,
    hint: models.length ? `models it has: ${shown} ('${path.basename(emulator)} -cpu help'; 'xarch bench --cpu-models ${target}' finds the fastest)` : `'${emulator} -cpu help' lists none`,
  });
}
