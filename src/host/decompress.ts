// An archive's bytes, decompressed as its first bytes say, for the one tar
// reader (host/tar.ts, which re-exports this): gzip in-process, zstd, xz and
// bzip2 through their tools, and the feeding of a parser from either.
//
// A tool's output reaches this process through a Unix socket that is read
// into one buffer reused for every read (net.Socket's onread), not as a
// stream: a stream allocates a new 64 KiB buffer for every read, and for a
// 188 MB tar.zst that was 116 ms of this process's CPU against 38 ms with one
// buffer (measured here), time in which the tool waits on a full socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import { fromSystemError, XarchError } from '../core/errors.js';
import { readRange } from './file.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'none';
}

/** Sees the archive's raw (still compressed) bytes as they are read, e.g. to hash them in the same pass. */
export type RawTap = (chunk: Uint8Array) => void;

/** A decompressed byte stream; `consumed()`: how much of the archive (compressed bytes) has been read so far. */
export interface Decompressed {
  stream: Readable;
  done: Promise<void>;
  consumed: () => number;
}

/** What takes the decompressed bytes in order (a TarParser): a chunk is only valid during its feed. */
export interface ChunkSink {
  feed(chunk: Uint8Array): void;
  end(): void;
}

type Range = { start: number; end: number };
type Tool = 'zstd' | 'xz' | 'bzip2';

const TOOLS = { zstd: 'zstd', xz: 'xz-utils', bzip2: 'bzip2' } as const;

/** Bytes of a tool's output taken at once: more than a socket holds, so each read takes all there is. */
const READ_BUFFER = 1 << 20;

/** The file offset of descriptor `fd`, shared with a child it was handed to (0 when /proc cannot say). */
function fdPosition(fd: number): number {
  try {
    return Number(/^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function toolOf(compression: Compression): Tool | null {
  return compression === 'none' || compression === 'gzip' ? null : compression;
}

/** The archive as a tool's standard input, and how much of it the tool has read. */
interface ToolInput {
  stdin: number | 'pipe';
  consumed: () => number;
  /** Connect the input to the started tool. */
  attach(child: ChildProcess): void;
}

function toolInput(file: string, range?: Range, tap?: RawTap): ToolInput {
  if (!range && !tap) {
    // The tool reads the file itself: copying it through this process into
    // a pipe cost a third of a tar.zst scan. It shares the descriptor's
    // offset, which tells how far it has got.
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw fromSystemError(e, file, 'archive');
    }
    let closed = false;
    return {
      stdin: fd,
      consumed: () => (closed ? 0 : fdPosition(fd)),
      attach: (child) => child.on('close', () => { closed = true; closeSync(fd); }),
    };
  }
  const { raw, consumed } = rawStream(file, range, tap);
  return {
    stdin: 'pipe',
    consumed,
    attach: (child) => {
      raw.pipe(child.stdin!);
      child.stdin!.on('error', () => {});
    },
  };
}

/** The archive's own bytes through this process (a range of it, or tapped). */
function rawStream(file: string, range?: Range, tap?: RawTap): { raw: Readable; consumed: () => number } {
  const source = createReadStream(file, range ? { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
  const raw: Readable = tap ? source.pipe(new Transform({ transform(chunk: Uint8Array, _enc, cb) { tap(chunk); cb(null, chunk); } })) : source;
  if (tap) source.on('error', (e) => raw.destroy(e));
  return { raw, consumed: () => source.bytesRead };
}

/** Start `tool -dc` with `stdout`; `done` settles when it has exited (an XarchError unless with 0). */
function runTool(tool: Tool, file: string, input: ToolInput, stdout: 'pipe' | net.Socket): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(tool, ['-dc'], { stdio: [input.stdin, stdout, 'pipe'] });
  input.attach(child);
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new XarchError('ARCHIVE_INVALID', `cannot run ${tool} to decompress ${file}: ${e.message}`, { path: file, hint: `apt-get install ${TOOLS[tool]}` })));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new XarchError('ARCHIVE_INVALID', `${tool} could not decompress ${file}: ${err.trim().split('\n')[0]}`, { path: file }))));
  });
  return { child, done };
}

/** A byte stream of `file` (or a range of it), decompressed. */
export function openDecompressed(file: string, compression: Compression, range?: Range, tap?: RawTap): Decompressed {
  // createReadStream refuses end < start (ERR_OUT_OF_RANGE): an empty range,
  // e.g. a zero-length layer, is an empty archive, as tar(1) reads it.
  if (range && range.end <= range.start) return { stream: Readable.from([]), done: Promise.resolve(), consumed: () => 0 };
  const tool = toolOf(compression);
  if (!tool) {
    const { raw, consumed } = rawStream(file, range, tap);
    return { stream: compression === 'gzip' ? raw.pipe(createGunzip({ chunkSize: 1 << 18 })) : raw, done: Promise.resolve(), consumed };
  }
  const input = toolInput(file, range, tap);
  const { child, done } = runTool(tool, file, input, 'pipe');
  return { stream: child.stdout!, done, consumed: input.consumed };
}

/** A tar file (or a byte range of one, e.g. a layer inside an image archive), decompressed as its first bytes say. */
export function openTar(file: string, range?: Range, tap?: RawTap): Decompressed {
  let head: Uint8Array;
  try {
    head = readRange(file, range?.start ?? 0, 8);
  } catch (e) {
    throw fromSystemError(e, file, 'archive');
  }
  return openDecompressed(file, detectCompression(head), range, tap);
}

/**
 * Feed every chunk of `stream` to `sink`, then end it. 'data' events, not
 * an async iterator: a promise per 64 KiB chunk cost a third of the time
 * this process spends taking a decompressor's output from its pipe.
 */
export function feedAll(stream: Readable, sink: ChunkSink): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Uint8Array) => {
      try {
        sink.feed(chunk);
      } catch (e) {
        stream.destroy();
        reject(e);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      try {
        sink.end();
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

/**
 * A connected pair of Unix stream sockets: `write` for a child's standard
 * output, `read` reading into `buffer`. Through a socket file in a new
 * directory of TMPDIR (mode 0700: no one else can connect), removed as soon
 * as the two ends are connected.
 */
async function socketPair(buffer: Uint8Array, onData: (n: number) => boolean): Promise<{ read: net.Socket; write: net.Socket }> {
  // Loaded here, not at the top: node:net costs 3.5 ms to load, at the start
  // of every command that can read a tar. (In the CLI's bundles this import()
  // is a require(): src/cli/bundle.ts.)
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    let dir: string;
    try {
      dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-pipe-'));
    } catch (e) {
      reject(e);
      return;
    }
    const server = net.createServer();
    let read: net.Socket | undefined;
    let write: net.Socket | undefined;
    const close = () => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    };
    const fail = (e: Error) => {
      close();
      read?.destroy();
      write?.destroy();
      reject(e);
    };
    const settle = () => {
      if (!read || !write) return;
      close();
      resolve({ read, write });
    };
    server.on('error', fail);
    server.once('connection', (c) => { write = c; settle(); });
    const name = path.join(dir, 's');
    server.listen(name, () => {
      const r = net.connect({ path: name, onread: { buffer, callback: onData } });
      r.once('error', fail);
      r.once('connect', () => { r.off('error', fail); read = r; settle(); });
    });
  });
}

/**
 * Decompress `file` (or a range of it) into `sink`, the whole of it; the
 * promise settles when the sink has ended and the tool has exited. A tool's
 * output is read through one reused buffer (see the top of this file); where
 * no socket can be made (a TMPDIR too long for a socket's name), as a stream.
 */
export function feedDecompressed(file: string, compression: Compression, sink: ChunkSink, range?: Range): { done: Promise<void>; consumed: () => number } {
  const tool = toolOf(compression);
  if (!tool || (range && range.end <= range.start)) {
    const d = openDecompressed(file, compression, range);
    return { done: Promise.all([feedAll(d.stream, sink), d.done]).then(() => {}), consumed: d.consumed };
  }
  let consumed = () => 0;
  const done = (async () => {
    const buffer = new Uint8Array(READ_BUFFER);
    let child: ChildProcess | undefined;
    let settleEnded: { resolve: () => void; reject: (e: unknown) => void } | undefined;
    // Settled by the end of the data or by the first error, whichever comes first.
    const ended = new Promise<void>((resolve, reject) => { settleEnded = { resolve, reject }; });
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      child?.kill();
      settleEnded!.reject(e);
    };
    const onData = (n: number) => {
      if (failed) return false;
      try {
        sink.feed(buffer.subarray(0, n));
        return true;
      } catch (e) {
        fail(e);
        return false;
      }
    };
    let sockets;
    try {
      sockets = await socketPair(buffer, onData);
    } catch {
      const d = openDecompressed(file, compression, range);
      consumed = d.consumed;
      await Promise.all([feedAll(d.stream, sink), d.done]);
      return;
    }
    const { read, write } = sockets;
    read.on('end', () => {
      if (failed) return;
      try {
        sink.end();
        settleEnded!.resolve();
      } catch (e) {
        fail(e);
      }
    });
    read.on('error', fail);
    let run;
    try {
      const input = toolInput(file, range);
      consumed = input.consumed;
      run = runTool(tool, file, input, write);
    } catch (e) {
      read.destroy();
      throw e;
    } finally {
      // The child has its own copy now: the reader sees the end of the data when the tool closes it.
      write.destroy();
    }
    child = run.child;
    // The data's error (the parser's) before the tool's: a tool killed for it fails too.
    try {
      await Promise.all([ended, run.done.catch((e) => { fail(e); })]);
    } finally {
      read.destroy();
    }
  })();
  return { done, consumed: () => consumed() };
}
