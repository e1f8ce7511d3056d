// The progress contract between long library operations and whoever shows
// them. The library never prints: it calls an optional `progress` callback
// from its options, and src/cli/progress.ts renders it on a terminal.

export interface Progress {
  phase: string;
  done: number;
  total?: number;
  unit: 'files' | 'bytes' | 'entries';
}
