// What a kernel release can do, from its version string alone (pure).

/** Kernel release ("6.18.44-foo") → [major, minor]; [0, 0] when unparsable. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [a, b] = kernelVersion(release);
  if (a === 0) return true; // unknown: do not refuse on a guess
  return a > major || (a === major && b >= minor);
}

export interface KernelFeatures {
  release: string;
  /** F (fix binary: interpreter opened at registration), Linux 4.8. */
  fixBinary: boolean;
  /** AT_FLAGS_PRESERVE_ARGV0 in the interpreter's auxv with P, Linux 5.12. */
  preserveArgv0AuxFlag: boolean;
  /** A binfmt_misc instance per user namespace, Linux 6.7. */
  perUserNamespace: boolean;
}

export function kernelFeatures(release: string): KernelFeatures {
  return {
    release,
    fixBinary: kernelAtLeast(release, 4, 8),
    preserveArgv0AuxFlag: kernelAtLeast(release, 5, 12),
    perUserNamespace: kernelAtLeast(release, 6, 7),
  };
}
