// A worker thread of the parallel tree scan (scan/parallel.ts): it walks the
// directories it is sent, each up to the shared budget, and posts back what
// it found and what it left, one result per directory it started.
import { parentPort, workerData } from 'node:worker_threads';
import { Walker, type WalkResult } from './walk.js';

export interface WalkRequest { id: number; dirs: string[]; budget: number }
export interface WalkReply { id: number; results: WalkResult[] }

const walker = new Walker((workerData as { root: string }).root);
parentPort!.on('message', (m: WalkRequest) => {
  const budget = { left: m.budget };
  const results: WalkResult[] = [];
  // Each directory separately: they need not be neighbours in walk order.
  for (const d of m.dirs) {
    if (budget.left <= 0) break;
    results.push(walker.walk([d], budget));
  }
  parentPort!.postMessage({ id: m.id, results } satisfies WalkReply);
});
