// A tree scan on every core: worker threads (scan/walk-worker.ts) walk
// subtrees, each handing back after a budget of entries what it found and
// the directories it left; the main thread hands those out again and keeps
// every result in its place in the sequential walk order (scan/walk.ts), so
// the report is the one a single thread makes, byte for byte.
//
// Directories, not file lists, are what travels: the walk itself (readdir)
// is a third of the work and is shared out with the rest, and a message
// carries only the few ELF files a part found.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { XarchError } from '../core/errors.js';
import { scanTree, treeReport, WALK_CHUNK, type ScanReport, type TreeOptions } from './scan.js';
import { Walker, type WalkPart } from './walk.js';
import type { WalkReply, WalkRequest } from './walk-worker.js';

export interface ParallelTreeOptions extends TreeOptions {
  /** Threads to walk with (default os.availableParallelism()); 1 walks in this thread. */
  jobs?: number;
}

/** A directory's place in walk order, filled in when its walk comes back: what it found, then the directories it left. */
interface Slot {
  dir: string;
  parts?: (WalkPart | Slot)[];
}

/** Entries the main thread walks before starting workers: a small tree is done before a worker would have started. */
const FIRST_BUDGET = 4096;

/** The number of threads for `jobs` (undefined: one per core). */
export function resolveJobs(jobs?: number): number {
  if (jobs === undefined) return os.availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new XarchError('USAGE', `--jobs must be a whole number of at least 1, not ${jobs}`, { hint: 'e.g. --jobs 4; 1 scans in one thread' });
  return jobs;
}

/** Scan a directory tree without following symlinks, over `jobs` worker threads. */
export async function scanTreeParallel(root: string, opts: ParallelTreeOptions = {}): Promise<ScanReport> {
  const jobs = resolveJobs(opts.jobs);
  if (jobs === 1) return scanTree(root, opts);
  const start = process.hrtime.bigint();
  let files = 0;
  const count = (n: number) => {
    files += n;
    opts.progress?.({ phase: 'scan', done: files, unit: 'files' });
  };
  const first = new Walker(root).walk([root], { left: FIRST_BUDGET });
  count(first.part.files);
  if (!first.rest.length) return treeReport(root, [first.part], opts, start);
  const queue: Slot[] = first.rest.map((dir) => ({ dir }));
  const top: Slot = { dir: root, parts: [first.part, ...queue] };
  await walkOnWorkers(root, queue, jobs, count);
  return treeReport(root, inWalkOrder(top), opts, start);
}

/** Walk every queued slot (and what they leave) on `jobs` workers. */
function walkOnWorkers(root: string, queue: Slot[], jobs: number, count: (files: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    const idle: Worker[] = [];
    const sent = new Map<number, Slot[]>();
    let nextId = 0;
    let finished = false;
    const finish = (err?: unknown) => {
      if (finished) return;
      finished = true;
      Promise.all(workers.map((w) => w.terminate())).then(() => (err ? reject(err) : resolve()), reject);
    };
    const dispatch = () => {
      while (idle.length && queue.length) {
        const slots = queue.splice(0, Math.ceil(queue.length / jobs));
        const id = nextId++;
        sent.set(id, slots);
        idle.pop()!.postMessage({ id, dirs: slots.map((s) => s.dir), budget: WALK_CHUNK } satisfies WalkRequest);
      }
      if (!sent.size && !queue.length) finish();
    };
    const url = new URL('./walk-worker.js', import.meta.url);
    for (let i = 0; i < jobs; i++) {
      const w = new Worker(url, { workerData: { root } });
      w.on('message', (m: WalkReply) => {
        const slots = sent.get(m.id)!;
        sent.delete(m.id);
        m.results.forEach((r, i) => {
          const left: Slot[] = r.rest.map((dir) => ({ dir }));
          slots[i]!.parts = [r.part, ...left];
          queue.push(...left);
          count(r.part.files);
        });
        // The budget ran out before these were started.
        queue.unshift(...slots.slice(m.results.length));
        idle.push(w);
        dispatch();
      });
      w.on('error', finish);
      w.on('exit', (code) => { if (!finished) finish(new Error(`a scan worker exited with code ${code}`)); });
      workers.push(w);
      idle.push(w);
    }
    dispatch();
  });
}

/** The parts under `top` in walk order. */
function* inWalkOrder(top: Slot): Generator<WalkPart> {
  const stack: (WalkPart | Slot)[] = [top];
  while (stack.length) {
    const x = stack.pop()!;
    if (!('dir' in x)) {
      yield x;
      continue;
    }
    const parts = x.parts!;
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
  }
}
