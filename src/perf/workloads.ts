// The emulation benchmark's workloads and its report model. Pure: what to
// run (busybox argv), the generated input, medians and penalties; running
// and timing is src/perf/bench.ts.

export const WORKLOAD_NAMES = ['sha256sum', 'gzip', 'sort', 'start'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface WorkloadSpec {
  name: WorkloadName;
  description: string;
  /** busybox's arguments; INPUT is the generated file. */
  args(input: string, starts: number, runner: readonly string[]): string[];
}

/**
 * The process-start loop runs in the host's busybox sh for both sides and
 * starts `"$@" true` each time: natively the host's busybox, emulated
 * `qemu-<cpu> busybox`, so every start under emulation is a new QEMU (no
 * binfmt_misc registration is needed or made).
 */
const START_LOOP = 'i=0; while [ $i -lt "$0" ]; do "$@" true; i=$((i+1)); done';

export const WORKLOADS: Record<WorkloadName, WorkloadSpec> = {
  sha256sum: { name: 'sha256sum', description: 'sha256sum of the input', args: (input) => ['sha256sum', input] },
  gzip: { name: 'gzip', description: 'gzip -9 of the input to stdout', args: (input) => ['gzip', '-9', '-c', input] },
  sort: { name: 'sort', description: 'sort of the input lines', args: (input) => ['sort', input] },
  start: { name: 'start', description: 'N process starts of busybox true', args: (_input, starts, runner) => ['sh', '-c', START_LOOP, String(starts), ...runner] },
};

/**
 * The benchmark's input: `size` bytes of lower-case words and numbers in
 * lines of about 60 characters, from a fixed-seed xorshift generator, so
 * every run and every machine sorts and compresses the same bytes (text
 * that gzip can compress and sort has lines to order, unlike random bytes).
 */
export function generateInput(size: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
  let col = 0;
  for (let i = 0; i < size; i++) {
    const r = next();
    if (i === size - 1 || (col > 40 && r % 23 === 0)) {
      out[i] = 0x0a;
      col = 0;
    } else if (r % 7 === 0) {
      out[i] = 0x20;
      col++;
    } else {
      out[i] = r % 5 === 0 ? 0x30 + (r >>> 8) % 10 : 0x61 + (r >>> 8) % 26;
      col++;
    }
  }
  return out;
}

/** Parse a size: 4M, 512K, 1G (powers of 1024) or bytes. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase()[0];
  const n = Math.round(Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1));
  return n > 0 ? n : null;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface WorkloadResult {
  workload: WorkloadName;
  nativeMs: number;
  emulatedMs: number;
  /** emulated / native: how many times slower emulation is. */
  penalty: number;
}

/** A result row from the two sides' medians. */
export function workloadResult(workload: WorkloadName, native: number, emulated: number): WorkloadResult {
  return { workload, nativeMs: round(native), emulatedMs: round(emulated), penalty: round(emulated / native, 2) };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A CPU model's outcome under one target: failing models carry why, and are never the fastest. */
export interface ModelResult {
  model: string;
  ok: boolean;
  error?: string;
  results: WorkloadResult[];
  /** The sum of the workloads' emulated medians (ms). */
  totalMs: number | null;
}

/** The fastest model that ran every workload correctly, with how much faster it is than the slowest that did. */
export function fastestModel(models: readonly ModelResult[]): { model: string; speedup: number } | null {
  const ok = models.filter((m) => m.ok && m.totalMs !== null);
  if (!ok.length) return null;
  const best = ok.reduce((a, b) => (b.totalMs! < a.totalMs! ? b : a));
  const worst = ok.reduce((a, b) => (b.totalMs! > a.totalMs! ? b : a));
  return { model: best.model, speedup: round(worst.totalMs! / best.totalMs!, 2) };
}
