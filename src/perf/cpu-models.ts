// QEMU CPU models: the list `qemu-<cpu> -cpu help` prints, and the handful
// `xarch bench --cpu-models` tries by default. Pure: text in, names out.

/**
 * Model names from `-cpu help`. The format differs per target: bare or
 * indented names (arm, aarch64, riscv, m68k, sh4, alpha, loongarch), a
 * family word first (`x86 486 ...`, `PowerPC power9 ...`, `s390 z14 ...`,
 * `MIPS '24Kf'`), Sparc's names with spaces before ` IU `. The list ends at
 * the first blank line after a model (x86 and s390x list feature flags
 * after it) or at Sparc's feature lines.
 */
export function parseCpuHelp(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!line.trim()) {
      if (out.length) break;
      continue;
    }
    if (/^Available CPUs:?$/i.test(line.trim())) continue;
    if (/^(Default|Available|Numerical) CPU feature|^Numerical features/.test(line)) break;
    const sparc = /^Sparc\s+(.+?)\s+IU\s/.exec(line);
    const family = /^(x86|PowerPC|s390|MIPS)\s+(\S+)/.exec(line);
    const name = sparc ? sparc[1]! : family ? family[2]! : line.trim().split(/\s+/)[0]!;
    const clean = name.replace(/^'(.*)'$/, '$1');
    if (clean && !out.includes(clean)) out.push(clean);
  }
  return out;
}

// Models worth comparing per target: the newest and oldest cores QEMU has
// that Debian's baseline still runs on, plus one below the baseline where
// there is one (it shows as failing, which is the point of marking them).
const PREFERRED: Record<string, readonly string[]> = {
  aarch64: ['max', 'cortex-a53', 'cortex-a72', 'neoverse-n1', 'a64fx'],
  arm: ['max', 'cortex-a7', 'cortex-a15', 'cortex-a9', 'arm1176'],
  i386: ['max', 'qemu32', 'Nehalem', 'Skylake-Client', 'pentium'],
  ppc64le: ['max', 'power8', 'power9', 'power10'],
  ppc64: ['max', 'power7', 'power8', 'power9'],
  s390x: ['max', 'qemu', 'z13', 'z14', 'z15'],
  mips64el: ['Loongson-3A4000', 'I6400', '5KEf', 'MIPS64R2-generic'],
  mips64: ['I6400', '5KEf', 'MIPS64R2-generic'],
  mipsel: ['74Kf', '24Kf', 'P5600', 'mips32r6-generic'],
  mips: ['74Kf', '24Kf', 'P5600', 'mips32r6-generic'],
  riscv64: ['max', 'rv64', 'sifive-u54'],
};

/** The models tried when none are named: the preferred ones QEMU has, else `max` and the first few listed. */
export function defaultModels(target: string, available: readonly string[], count = 5): string[] {
  const preferred = (PREFERRED[target] ?? []).filter((m) => available.includes(m));
  if (preferred.length) return preferred.slice(0, count);
  const rest = available.filter((m) => m !== 'max');
  return [...(available.includes('max') ? ['max'] : []), ...rest].slice(0, count);
}
