// A worker process of the parallel tree scan (scan/parallel.ts): it says it
// is ready, walks the directories it is sent up to the budget, and sends
// back what it found and what it left, one result per directory it started.
// It exits when the scan closes the channel.
import { Walker, walkEach, type WalkResult } from './walk.js';

/** Directories to walk, in walk order, and how much of them: entries, and milliseconds (scan/walk.ts walkEach). */
export interface WalkRequest { id: number; dirs: string[]; budget: number; ms: number }
export type WalkReply = { ready: true } | { id: number; results: WalkResult[] };

const walker = new Walker(process.argv[2]!);
// The scan may be over (a small tree) before this process has started: then there is no one to tell.
const reply = (m: WalkReply) => { if (process.connected) process.send!(m, undefined, undefined, () => {}); };
process.on('message', (m: WalkRequest) => reply({ id: m.id, results: walkEach(walker, m.dirs, m.budget, m.ms) }));
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
