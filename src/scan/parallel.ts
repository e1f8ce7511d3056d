// A tree scan on every core: worker processes (scan/walk-worker.ts) walk
// subtrees, each handing back after a budget of entries what it found and
// the directories it left; the main thread hands those out again and keeps
// every result in its place in the sequential walk order (scan/walk.ts), so
// the report is the one a single thread makes, byte for byte.
//
// Directories, not file lists, are what travels: the walk itself (readdir)
// is a third of the work and is shared out with the rest, and a message
// carries only the few ELF files a part found.
//
// Processes, not worker threads: measured here (2 cores, /usr/lib and
// /usr/share walked at once), two processes take 1.07x and 1.14x the time
// each takes alone, two threads of one process 1.56x and 1.07x: threads
// share one file descriptor table, whose lock every open(2) and close(2)
// takes.
import os from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { XarchError } from '../core/errors.js';
import { scanTree, treeReport, WALK_CHUNK, type ScanReport, type TreeOptions } from './scan.js';
import { Walker, walkEach, type WalkPart, type WalkResult } from './walk.js';
import type { WalkReply, WalkRequest } from './walk-worker.js';

export interface ParallelTreeOptions extends TreeOptions {
  /**
   * Walkers: this thread and `jobs - 1` processes; 1 walks in this thread
   * only. Default: one per core, less the cores other work kept busy while
   * this thread walked the first entries (see idleCores).
   */
  jobs?: number;
  /**
   * Entries this thread walks alone before it starts workers (default
   * FIRST_BUDGET, 8192); twice as many where the walk so far has left
   * fewer than WIDE directories (see there).
   */
  firstBudget?: number;
  /** Counted as the scan goes: walks of a directory done by worker processes, and the processes started. */
  stats?: ScanStats;
}

/** What a parallel scan counts as it goes (ParallelTreeOptions.stats). */
export interface ScanStats { workerWalks: number; workers?: number }

/** A directory's place in walk order, filled in when its walk comes back: what it found, then the directories it left. */
interface Slot {
  dir: string;
  parts?: (WalkPart | Slot)[];
}

/**
 * What a worker walks per request: at most this many entries, and for at
 * most WORKER_MS. A message costs a hundredth of either, and small requests
 * leave little for the last worker to finish alone (a new process walks
 * slower until its JIT has warmed). Entries alone do not bound the time:
 * on the fixtures, full of ELF files, a cold worker's requests came back
 * after 10 to 25 ms for 200 to 420 files, while this thread walked
 * directories of a few files each between them.
 */
const WORKER_BUDGET = WALK_CHUNK;
const WORKER_MS = 8;

/**
 * Entries this thread walks before it starts workers (about 50 ms): a tree
 * this small is done sooner than a worker starts and warms up (measured on
 * the 8.8k-file fixtures: 1024 made two walkers 1.7x slower than one, and
 * starting the workers at 1024 but handing them work only after 8192 made
 * them 2.2x slower with another core's worth of other work on the machine:
 * a starting worker takes 60 ms of CPU). Larger trees start them then, and
 * this thread walks on meanwhile.
 */
const FIRST_BUDGET = 8192;

/**
 * A first part that leaves fewer directories than this is followed by a
 * second one before workers start. Measured here after 8192 entries, cold:
 * the trees of 43k files and more (/usr, /usr/lib, /usr/share) had left 86
 * to 111 directories; the fixtures (8.8k files), /usr/include and an arm64
 * root, at most 31, with 55 to 3,200 files to go, which one walker finished
 * sooner than a worker starts and warms up: a worker made the fixtures'
 * scan 18% slower (351 against 428 ms). A large tree that is narrow pays
 * the second part alone: 8192 entries, about 120 ms.
 */
const WIDE = 64;

/**
 * A worker's first request: its budgets double from this to WORKER_BUDGET
 * as its replies come back, so that a worker still cold holds little of
 * what is left when this thread runs out of work.
 */
const FIRST_WORKER_BUDGET = 512;

/** The number of walkers for `jobs` (undefined: one per core, fewer where cores are busy: scanTreeParallel). */
export function resolveJobs(jobs?: number): number {
  if (jobs === undefined) return os.availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new XarchError('USAGE', `--jobs must be a whole number of at least 1, not ${jobs}`, { hint: 'e.g. --jobs 4; 1 scans in this process alone' });
  return jobs;
}

/** The machine's busy CPU time so far, this process's, and the time (seconds; null where /proc/stat cannot be read). */
function cpuTimes(): { machine: number; own: number; at: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'latin1').slice(0, 200).split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
    const own = process.cpuUsage();
    // /proc/stat counts in USER_HZ, 100 a second on Linux.
    return { machine: busy / 100, own: (own.user + own.system) / 1e6, at: performance.now() / 1e3 };
  } catch {
    return null;
  }
}

/**
 * The cores that neither this process (this thread walking, V8's compiler
 * and collector threads) nor other work used since `since`. A worker on a
 * core that other work keeps busy only takes turns with this thread and that
 * work (measured here, with another core's worth of other work: two walkers
 * took 1.35x the time of one on /usr), so the default starts no more
 * workers than there are idle cores. /proc/stat counts in 10 ms ticks: over
 * the 50 ms of the first entries, enough to tell a busy core from an idle
 * one, not more.
 */
function idleCores(since: ReturnType<typeof cpuTimes>, cores: number): number {
  const now = cpuTimes();
  if (!since || !now || now.at <= since.at) return cores - 1;
  const others = (now.machine - since.machine - (now.own - since.own)) / (now.at - since.at);
  return Math.max(0, cores - 1 - others);
}

/** Scan a directory tree without following symlinks, here and on `jobs - 1` worker processes. */
export async function scanTreeParallel(root: string, opts: ParallelTreeOptions = {}): Promise<ScanReport> {
  let jobs = resolveJobs(opts.jobs);
  if (jobs === 1) return scanTree(root, opts);
  const before = opts.jobs === undefined ? cpuTimes() : null;
  const start = process.hrtime.bigint();
  let files = 0;
  const count = (n: number) => {
    files += n;
    opts.progress?.({ phase: 'scan', done: files, unit: 'files' });
  };
  const walker = new Walker(root);
  const firstBudget = opts.firstBudget ?? FIRST_BUDGET;
  // The sequential walk goes on where a part stops: its parts, in order, then what the last left.
  const parts: WalkPart[] = [];
  let rest = [root];
  for (let i = 0; i < 2 && rest.length && (i === 0 || rest.length < WIDE); i++) {
    const r = walker.walk(rest, { left: firstBudget });
    parts.push(r.part);
    count(r.part.files);
    rest = r.rest;
  }
  if (!rest.length) return treeReport(root, parts, opts, start);
  const queue: Slot[] = rest.map((dir) => ({ dir }));
  const top: Slot = { dir: root, parts: [...parts, ...queue] };
  if (before) jobs = Math.min(jobs, 1 + Math.round(idleCores(before, jobs)));
  await walkOnWorkers(walker, root, queue, jobs, count, opts.stats);
  return treeReport(root, inWalkOrder(top), opts, start);
}

/**
 * Requests in flight per worker: the next is there when one is done, while
 * this thread is busy walking; no more, since what a worker holds no one
 * else can walk at the end.
 */
const IN_FLIGHT = 2;
/**
 * A request takes this share of the queued directories per walker (the
 * worker hands back those it did not start): a request of a few small
 * directories would leave the worker waiting for this thread's next turn.
 */
const SHARES_PER_WALKER = 2;
/** Entries, and milliseconds, this thread walks between two turns of handing out work. */
const HERE_CHUNK = 1024;
const HERE_MS = 8;

/**
 * Walk every queued slot (and what they leave) here and on `jobs - 1`
 * worker processes. This thread walks in short parts and hands out work in
 * between; it is one of the `jobs`, so the walk starts at once while the
 * workers start (a Node process and its modules: tens of milliseconds).
 */
function walkOnWorkers(walker: Walker, root: string, queue: Slot[], jobs: number, count: (files: number) => void, stats?: ScanStats): Promise<void> {
  return new Promise((resolve, reject) => {
    const workers: ChildProcess[] = [];
    const ready: ChildProcess[] = [];
    const sent = new Map<number, { worker: ChildProcess; slots: Slot[] }>();
    const inFlight = new Map<ChildProcess, number>();
    const budget = new Map<ChildProcess, number>();
    let nextId = 0;
    let scheduled = false;
    let finished = false;
    const finish = (err?: unknown) => {
      if (finished) return;
      finished = true;
      // Closing the channel ends each worker (walk-worker.ts); nothing to wait for.
      // A worker still starting is stopped rather than waited for, and none
      // keeps this process's event loop (a CLI's exit) waiting.
      for (const w of workers) {
        if (!ready.includes(w)) w.kill();
        else if (w.connected) w.disconnect();
        w.unref();
      }
      if (err) reject(err);
      else resolve();
    };
    const settle = (slots: Slot[], results: WalkResult[]) => {
      results.forEach((r, i) => {
        const left: Slot[] = r.rest.map((dir) => ({ dir }));
        slots[i]!.parts = [r.part, ...left];
        queue.push(...left);
        count(r.part.files);
      });
      // The budget ran out before these were started.
      queue.unshift(...slots.slice(results.length));
    };
    const take = () => queue.splice(0, Math.ceil(queue.length / (jobs * SHARES_PER_WALKER)));
    const dispatch = () => {
      for (const w of ready) {
        while (queue.length && inFlight.get(w)! < IN_FLIGHT) {
          const slots = take();
          const id = nextId++;
          sent.set(id, { worker: w, slots });
          inFlight.set(w, inFlight.get(w)! + 1);
          w.send({ id, dirs: slots.map((s) => s.dir), budget: budget.get(w)!, ms: WORKER_MS } satisfies WalkRequest);
        }
      }
      if (!queue.length && !sent.size) finish();
      else if (queue.length && !scheduled) {
        scheduled = true;
        setImmediate(walkHere);
      }
    };
    function walkHere() {
      scheduled = false;
      if (finished || !queue.length) return;
      const slots = take();
      settle(slots, walkEach(walker, slots.map((s) => s.dir), HERE_CHUNK, HERE_MS));
      dispatch();
    }
    // Its CommonJS bundle with the code cache, which answers about 20 ms sooner than the ESM module (walk-worker-start.cts).
    const url = new URL('./walk-worker-start.cjs', import.meta.url);
    for (let i = 1; i < jobs; i++) {
      // execArgv []: not the parent's flags (--test, --cpu-prof); 'advanced': structured clone, not JSON.
      const w = fork(url, [root], { execArgv: [], env: workerEnv(), serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      w.on('message', (m: WalkReply) => {
        if ('ready' in m) {
          ready.push(w);
          inFlight.set(w, 0);
          budget.set(w, FIRST_WORKER_BUDGET);
        } else {
          const s = sent.get(m.id)!;
          sent.delete(m.id);
          inFlight.set(w, inFlight.get(w)! - 1);
          budget.set(w, Math.min(WORKER_BUDGET, budget.get(w)! * 2));
          if (stats) stats.workerWalks += m.results.length;
          settle(s.slots, m.results);
        }
        dispatch();
      });
      // A worker that cannot start or dies (its file missing from a bundle,
      // killed) costs only speed: what it held goes back in the queue, and
      // this thread walks on. The walk is the same code here, so a bug in it
      // still shows, here.
      const lost = () => {
        const i = ready.indexOf(w);
        if (i >= 0) ready.splice(i, 1);
        for (const [id, s] of sent) if (s.worker === w) { sent.delete(id); queue.unshift(...s.slots); }
        if (!finished) dispatch();
      };
      w.on('error', lost);
      w.on('exit', lost);
      workers.push(w);
      if (stats) stats.workers = (stats.workers ?? 0) + 1;
    }
    dispatch();
  });
}

/**
 * A worker's environment: this one without NODE_EXTRA_CA_CERTS, which Node
 * 20 reads and parses at every start (a worker's first message came after
 * 147 ms with Debian's bundle, 67 ms without, measured here) and a walk,
 * which makes no TLS connection, never uses.
 */
function workerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
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
