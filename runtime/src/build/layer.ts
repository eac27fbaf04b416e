/**
 * Layer entries → a layer blob: a POSIX tar (ustar headers, PAX extended headers where ustar falls
 * short), optionally gzipped, streamed into the store. Owners are root (uid/gid 0, no names),
 * modes and whole-second mtimes are kept, so equal entries over equal files give identical bytes.
 *
 * Speed: the tar is assembled in reused 4 MiB buffers, file content read straight into them with
 * synchronous reads (for small files the async fs calls cost several times the copy). A large
 * layer is assembled by worker threads, each turning a run of entries into tar bytes, while this
 * thread hashes and writes their buffers in order: reading, hashing and writing then use every core.
 */
import { createHash, hash as oneShotHash, type Hash } from 'node:crypto';
import { closeSync, constants, openSync, readlinkSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { createGzip } from 'node:zlib';
import { Header, Pax } from 'tar';
import type { LayerEntry } from './copy.js';
import type { Digest } from '../image/digest.js';
import { errnoCode, interrupted, RuntimeError, throwIfAborted, type RuntimeErrorCode } from '../errors.js';
import type { FileDigestCache } from './file-digests.js';
import { MEDIA_TYPE, type Descriptor } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

export interface LayerResult {
  /** The blob as stored (plain or gzipped tar). */
  descriptor: Descriptor;
  /** SHA-256 of the uncompressed tar (the image config's `rootfs.diff_ids`). */
  diffId: Digest;
}

export interface WriteLayerOptions {
  compress?: boolean;
  /** Supplies known content digests and receives those of every file hashed. */
  digests: FileDigestCache;
  signal?: AbortSignal;
  /** File content bytes handed to the blob since the last call, for progress. */
  onBytes?: (bytes: number) => void;
  /** Worker threads for a large layer; 0 or 1 assembles it on this thread. Defaults to the cores. */
  workers?: number;
}

const BLOCK = 512;
/**
 * A multiple of BLOCK, so headers and padding never straddle two buffers. Each buffer costs a
 * message from its worker, a turn of the writing and a write call (tens of microseconds of
 * thread wake-ups on a virtual machine): 4 MiB ones cost a quarter of what 1 MiB ones did.
 */
const CHUNK = 4 << 20;
/** Buffers per producer: bounds memory, and how far a worker may run ahead of the writing. */
const INLINE_BUFFERS = 4;
const WORKER_BUFFERS = 4;
/** A worker's unit of work: consecutive entries holding about this much content (or this many entries). */
const BATCH_BYTES = 2 << 20;
const BATCH_ENTRIES = 1024;
/** Below this, starting workers costs more than they save. */
const PARALLEL_MIN_BYTES = 32 << 20;
const PARALLEL_MIN_FILES = 2048;
/** The largest size or mtime a ustar header holds (11 octal digits). */
const USTAR_MAX = 0o77777777777;
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
/** Marks the worker threads this module starts (see the end of the file). */
const WORKER_ROLE = 'kubefile-layer-tar';

export async function writeLayer(store: ImageStore, entries: readonly LayerEntry[], options: WriteLayerOptions): Promise<LayerResult> {
  throwIfAborted(options.signal);
  const writer = await store.createBlobWriter();
  const gzip = options.compress ? createGzip({ chunkSize: 1 << 18 }) : undefined;
  const piped = gzip ? pipeline(gzip, writer) : undefined;
  // Awaited below; this only keeps an early failure from being reported as unhandled.
  piped?.catch(() => undefined);
  // The blob writer hashes what it stores: for a plain tar that already is the diff ID.
  const diffHash = gzip ? createHash('sha256') : undefined;
  const sink = new LayerSink(gzip ?? writer, diffHash, options.onBytes);
  try {
    const workers = Math.max(0, Math.floor(options.workers ?? availableParallelism()));
    // Entries still arriving are written in order as they come, on this thread.
    if (workers > 1 && isLarge(entries) && !entries.some((entry) => entry.ready)) await new ParallelTar(entries, sink, options, workers).run();
    else await writeInline(entries, sink, options);
    sink.write(END_OF_ARCHIVE, 0, () => undefined);
    if (sink.failure) throw sink.failure;
    if (gzip && piped) {
      gzip.end();
      await piped;
    }
    const ref = await writer.commit();
    return {
      descriptor: { mediaType: gzip ? MEDIA_TYPE.layerGzip : MEDIA_TYPE.layer, digest: ref.digest, size: ref.size },
      diffId: diffHash ? `sha256:${diffHash.digest('hex')}` : ref.digest,
    };
  } catch (error) {
    gzip?.destroy();
    await piped?.catch(() => undefined);
    await writer.abort();
    throw error;
  }
}

function isLarge(entries: readonly LayerEntry[]): boolean {
  let bytes = 0;
  let files = 0;
  for (const entry of entries) {
    if (entry.type !== 'file') continue;
    bytes += entry.size;
    files++;
  }
  return bytes >= PARALLEL_MIN_BYTES || files >= PARALLEL_MIN_FILES;
}

async function writeInline(entries: readonly LayerEntry[], sink: LayerSink, options: WriteLayerOptions): Promise<void> {
  const tar = new TarWriter(new InlineBuffers(sink));
  for (const entry of entries) {
    throwIfAborted(options.signal);
    if (entry.ready) await entry.ready;
    const digest = await tar.add(entry, entry.type === 'file' && options.digests.lookup(entry) === undefined);
    if (digest) options.digests.record(entry, digest);
  }
  tar.finish();
}

/** The blob side: hashes the uncompressed tar when it is gzipped, writes, reports progress. */
class LayerSink {
  failure: Error | undefined;
  private readonly listeners: ((error: Error) => void)[] = [];

  constructor(
    private readonly stream: Writable,
    private readonly diffHash: Hash | undefined,
    private readonly onBytes: ((bytes: number) => void) | undefined,
  ) {
    stream.on('error', (error: Error) => this.fail(error));
  }

  /** `written` runs once the sink is done with `bytes` (the buffer may then be reused). */
  write(bytes: Buffer, contentBytes: number, written: () => void): void {
    this.diffHash?.update(bytes);
    this.stream.write(bytes, (error) => {
      if (error) this.fail(error);
      written();
    });
    if (contentBytes > 0) this.onBytes?.(contentBytes);
  }

  onFailure(listener: (error: Error) => void): void {
    this.listeners.push(listener);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const listener of this.listeners) listener(error);
  }
}

/** Where a TarWriter gets empty buffers and sends full ones (with the file content bytes they hold). */
interface BufferChannel {
  take(): Promise<Buffer>;
  send(buffer: Buffer, length: number, contentBytes: number): void;
}

/** Buffers written to the sink from this thread, each reused once written; made as needed (a small layer needs one). */
class InlineBuffers implements BufferChannel {
  private readonly free: Buffer[] = [];
  private made = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly sink: LayerSink) {
    sink.onFailure(() => this.wakeUp());
  }

  async take(): Promise<Buffer> {
    // Reads are synchronous: without a turn of the event loop here, finished writes would not be
    // noticed (nor the next ones started) until every buffer was full.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.sink.failure) throw this.sink.failure;
      const buffer = this.free.pop();
      if (buffer) return buffer;
      if (this.made < INLINE_BUFFERS) {
        this.made++;
        return Buffer.allocUnsafe(CHUNK);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  send(buffer: Buffer, length: number, contentBytes: number): void {
    this.sink.write(buffer.subarray(0, length), contentBytes, () => {
      this.free.push(buffer);
      this.wakeUp();
    });
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Turns entries into tar bytes (no end-of-archive blocks) in buffers from a channel. */
class TarWriter {
  private chunk: Buffer | undefined;
  private offset = 0;
  private unsent = 0;
  private readonly block = Buffer.alloc(BLOCK);
  private readonly probe = Buffer.alloc(1);
  // For the headers encodeUstar does not handle; one reused, as building one costs more than encoding it.
  private readonly header = new Header({ uid: 0, gid: 0, uname: '', gname: '' });

  constructor(private readonly channel: BufferChannel) {}

  /** Appends the entry; for a file with `hash`, returns the digest of the content read. */
  async add(entry: LayerEntry, hash: boolean): Promise<Digest | undefined> {
    await this.writeHeader(entry);
    return entry.type === 'file' ? this.writeContent(entry, hash) : undefined;
  }

  /** Sends the buffer being filled. */
  finish(): void {
    if (this.chunk && this.offset > 0) this.channel.send(this.chunk, this.offset, this.unsent);
    this.chunk = undefined;
    this.offset = 0;
    this.unsent = 0;
  }

  /** A buffer with room: the current one, or (sending that when full) a fresh one. */
  private async room(): Promise<Buffer> {
    if (this.chunk && this.offset < CHUNK) return this.chunk;
    this.finish();
    this.chunk = await this.channel.take();
    return this.chunk;
  }

  private async writeHeader(entry: LayerEntry): Promise<void> {
    const seconds = Math.floor(entry.mtimeMs / 1000);
    const path = entry.type === 'directory' ? `${entry.path}/` : entry.path;
    const size = entry.type === 'file' ? entry.size : 0;
    const linkpath = entry.type === 'symlink' ? (entry.linkTarget ?? '') : '';
    const type = entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2';
    const mode = entry.mode & 0o7777;
    if (fitsUstar(path, linkpath, size, seconds)) {
      encodeUstar(this.block, path, mode, size, seconds, type, linkpath);
      await this.put(this.block);
      return;
    }
    const header = this.header;
    header.path = path;
    header.mode = mode;
    header.size = size;
    header.mtime = new Date(seconds * 1000);
    header.type = type;
    header.linkpath = linkpath;
    // encode leaves some bytes alone: start from zeros so nothing of the last header remains.
    this.block.fill(0);
    if (header.encode(this.block, 0)) {
      // Only the fields ustar cannot hold, so headers stay as small and stable as they can.
      const pax = new Pax({
        path,
        ...(entry.type === 'symlink' ? { linkpath } : {}),
        ...(size > USTAR_MAX ? { size } : {}),
        ...(seconds < 0 || seconds > USTAR_MAX ? { mtime: header.mtime } : {}),
      });
      await this.put(pax.encode());
    }
    await this.put(this.block);
  }

  private async writeContent(entry: LayerEntry, hashing: boolean): Promise<Digest | undefined> {
    const { source, size } = entry;
    if (source === undefined) throw new Error(`layer entry ${entry.path} has no source file`);
    const changed = (): RuntimeError => new RuntimeError('SOURCE', `${source} changed while it was being copied`);
    let fd: number;
    try {
      // O_NOFOLLOW: a file swapped for a symlink since it was listed is not followed out of the context.
      fd = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') throw changed();
      throw error;
    }
    if (entry.listed && !openedAt(fd, source)) {
      closeSync(fd);
      throw changed();
    }
    let hash: Hash | undefined;
    let digest: string | undefined;
    try {
      let position = 0;
      let atEnd = false;
      while (position < size) {
        const chunk = this.chunk && this.offset < CHUNK ? this.chunk : await this.room();
        const want = Math.min(size - position, CHUNK - this.offset);
        // Asking one byte more when it fits tells in the same read whether the file ends where it should.
        const ask = want === size - position && this.offset + want < CHUNK ? want + 1 : want;
        const read = readSync(fd, chunk, this.offset, ask, position);
        if (read === 0 || read > want) throw changed();
        if (hashing) {
          const content = chunk.subarray(this.offset, this.offset + read);
          // Most files arrive in one read: hashing those in one call saves a Hash object each.
          if (read === size) digest = oneShotHash('sha256', content, 'hex');
          else (hash ??= createHash('sha256')).update(content);
        }
        this.offset += read;
        this.unsent += read;
        position += read;
        atEnd = ask > want && read === want;
      }
      if (!atEnd && readSync(fd, this.probe, 0, 1, size) !== 0) throw changed();
    } finally {
      closeSync(fd);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0 && this.chunk) {
      // Content that does not end a buffer ends off-block in it, so its padding fits there too.
      this.chunk.fill(0, this.offset, this.offset + pad);
      this.offset += pad;
    }
    return hashing ? `sha256:${digest ?? (hash ?? createHash('sha256')).digest('hex')}` : undefined;
  }

  private async put(bytes: Buffer): Promise<void> {
    for (let done = 0; done < bytes.length; ) {
      const chunk = await this.room();
      const n = bytes.copy(chunk, this.offset, done);
      this.offset += n;
      done += n;
    }
  }
}

/** Short ASCII names, sizes and times in range: what a plain ustar header holds exactly. */
function fitsUstar(path: string, linkpath: string, size: number, seconds: number): boolean {
  return path.length < 100 && linkpath.length <= 100 && isAscii(path) && isAscii(linkpath) && size <= USTAR_MAX && seconds >= 0 && seconds <= USTAR_MAX;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * The ustar header node-tar's Header.encode writes for these fields, byte for byte (a test holds
 * the two together), at a fraction of its cost: on many small files Header.encode took as long as
 * reading them.
 */
function encodeUstar(block: Buffer, path: string, mode: number, size: number, seconds: number, type: string, linkpath: string): void {
  block.fill(0);
  block.write(path, 0, 100, 'latin1');
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, seconds);
  block.write(type, 156, 1, 'latin1');
  block.write(linkpath, 157, 100, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  // The checksum counts its own field as eight spaces.
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i];
  for (let i = 156; i < BLOCK; i++) sum += block[i];
  writeOctal(block, 148, 8, sum);
}

/** node-tar's number format: zero-padded octal, then a space and a NUL (or just a NUL when it fills the field). */
function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  const text = digits.length === width - 1 ? `${digits}\0` : `${'0'.repeat(width - digits.length - 2)}${digits} \0`;
  block.write(text, offset, width, 'latin1');
}

/**
 * Whether `fd` is the file at `path`, no component of which is a symlink: O_NOFOLLOW guards only
 * the last one, and a directory swapped for a symlink since the context was listed would otherwise
 * be followed out of it. The kernel's own name for the open file says where it really is.
 */
function openedAt(fd: number, path: string): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === path;
  } catch {
    // No /proc: O_NOFOLLOW is the guard left.
    return true;
  }
}

// Messages between this thread and the tar workers.
type ToWorker =
  | { type: 'batch'; batch: number; entries: LayerEntry[]; hash: boolean[] }
  | { type: 'buffer'; buffer: ArrayBuffer };
type FromWorker =
  | { type: 'chunk'; batch: number; buffer: ArrayBuffer; length: number; contentBytes: number }
  | { type: 'done'; batch: number; digests: [number, Digest][] }
  | { type: 'error'; code?: RuntimeErrorCode; message: string; stack?: string };

interface BatchOutput {
  start: number;
  end: number;
  chunks: { worker: Worker; buffer: ArrayBuffer; length: number; contentBytes: number }[];
  done: boolean;
}

/**
 * Batches of entries go to idle workers in order; their buffers are written strictly in batch
 * order and handed back once written, so each worker holds at most WORKER_BUFFERS of memory and
 * stalls when it runs that far ahead of the batch being written.
 */
class ParallelTar {
  private readonly batches: BatchOutput[] = [];
  private readonly hash: boolean[];
  private readonly workers: Worker[] = [];
  private readonly closed = new WeakSet<Worker>();
  private current = 0;
  private next = 0;
  private settled = false;
  private resolve: () => void = () => undefined;
  private reject: (error: unknown) => void = () => undefined;

  constructor(
    private readonly entries: readonly LayerEntry[],
    private readonly sink: LayerSink,
    private readonly options: WriteLayerOptions,
    private readonly workerCount: number,
  ) {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) {
      bytes += entries[i].size;
      if (bytes >= BATCH_BYTES || i + 1 - start >= BATCH_ENTRIES || i === entries.length - 1) {
        this.batches.push({ start, end: i + 1, chunks: [], done: false });
        start = i + 1;
        bytes = 0;
      }
    }
    this.hash = entries.map((entry) => entry.type === 'file' && options.digests.lookup(entry) === undefined);
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    const onAbort = (): void => this.fail(interrupted());
    signal?.addEventListener('abort', onAbort);
    const detach: (() => void)[] = [];
    let succeeded = false;
    try {
      await new Promise<void>((resolve, reject) => {
        this.resolve = resolve;
        this.reject = reject;
        this.sink.onFailure((error) => this.fail(error));
        for (let i = 0; i < Math.min(this.workerCount, this.batches.length); i++) detach.push(this.useWorker(takeTarWorker()));
        // A second batch each, so a worker never waits for its next one.
        for (const worker of this.workers) this.assign(worker);
        this.pump();
      });
      succeeded = true;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const stop of detach) stop();
      if (succeeded) {
        // Every batch is done: the workers are idle, and their buffers still being written come back to them.
        for (const worker of this.workers) releaseTarWorker(worker);
      } else {
        // A worker may still be reading a file: stopped, not reused.
        for (const worker of this.workers) this.closed.add(worker);
        await Promise.all(this.workers.map((worker) => worker.terminate()));
      }
    }
  }

  /** Takes part of `worker` for this layer; returns what lets go of it again. */
  private useWorker(worker: Worker): () => void {
    this.workers.push(worker);
    const onMessage = (message: FromWorker): void => this.receive(worker, message);
    const onError = (error: Error): void => this.fail(error);
    const onExit = (code: number): void => {
      if (!this.closed.has(worker)) this.fail(new Error(`a layer worker stopped (exit code ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    this.assign(worker);
    return () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
  }

  private assign(worker: Worker): void {
    if (this.next >= this.batches.length) return;
    const batch = this.next++;
    const { start, end } = this.batches[batch];
    const message: ToWorker = { type: 'batch', batch, entries: this.entries.slice(start, end), hash: this.hash.slice(start, end) };
    worker.postMessage(message);
  }

  private receive(worker: Worker, message: FromWorker): void {
    if (this.settled) return;
    if (message.type === 'chunk') {
      this.batches[message.batch].chunks.push({ worker, buffer: message.buffer, length: message.length, contentBytes: message.contentBytes });
    } else if (message.type === 'done') {
      const batch = this.batches[message.batch];
      batch.done = true;
      for (const [index, digest] of message.digests) this.options.digests.record(this.entries[batch.start + index], digest);
      this.assign(worker);
    } else {
      const error = message.code ? new RuntimeError(message.code, message.message) : new Error(message.message);
      if (message.stack && !message.code) error.stack = message.stack;
      this.fail(error);
      return;
    }
    this.pump();
  }

  /** Writes what the batch in turn has ready, moving on past finished batches. */
  private pump(): void {
    while (!this.settled && this.current < this.batches.length) {
      const batch = this.batches[this.current];
      for (const chunk of batch.chunks) {
        this.sink.write(Buffer.from(chunk.buffer, 0, chunk.length), chunk.contentBytes, () => this.giveBack(chunk.worker, chunk.buffer));
      }
      batch.chunks.length = 0;
      if (!batch.done) return;
      this.current++;
    }
    if (!this.settled) {
      this.settled = true;
      this.resolve();
    }
  }

  private giveBack(worker: Worker, buffer: ArrayBuffer): void {
    if (this.closed.has(worker)) return;
    const message: ToWorker = { type: 'buffer', buffer };
    worker.postMessage(message, [buffer]);
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/**
 * Tar workers between layers, kept so that a build's layers (and a process's builds) start them
 * once: starting one and warming its code costs about as much as tarring 100 MB. Idle ones do not
 * keep the process alive.
 */
const idleTarWorkers: Worker[] = [];

function takeTarWorker(): Worker {
  const worker = idleTarWorkers.pop() ?? startTarWorker();
  worker.ref();
  return worker;
}

function startTarWorker(): Worker {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE } });
  // Always listened to: an error nobody listens to would be thrown in this thread. A layer using
  // the worker listens too, and fails; an idle worker that stops is just not reused.
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    const at = idleTarWorkers.indexOf(worker);
    if (at !== -1) idleTarWorkers.splice(at, 1);
  });
  return worker;
}

function releaseTarWorker(worker: Worker): void {
  if (idleTarWorkers.length >= availableParallelism()) {
    void worker.terminate();
    return;
  }
  worker.unref();
  idleTarWorkers.push(worker);
}

/** A tar worker: assembles the batches it is sent into its own buffers, posting them back in order. */
function serveTarBatches(port: MessagePort): void {
  const free: Buffer[] = [];
  for (let i = 0; i < WORKER_BUFFERS; i++) free.push(Buffer.allocUnsafeSlow(CHUNK));
  let wake: (() => void) | undefined;
  let batch = -1;
  const channel: BufferChannel = {
    async take() {
      for (;;) {
        const buffer = free.pop();
        if (buffer) return buffer;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    send(buffer, length, contentBytes) {
      const message: FromWorker = { type: 'chunk', batch, buffer: buffer.buffer as ArrayBuffer, length, contentBytes };
      port.postMessage(message, [buffer.buffer as ArrayBuffer]);
    },
  };
  const tar = new TarWriter(channel);
  const queue: Extract<ToWorker, { type: 'batch' }>[] = [];
  let running = false;
  const runQueue = async (): Promise<void> => {
    running = true;
    for (let message = queue.shift(); message; message = queue.shift()) {
      batch = message.batch;
      const digests: [number, Digest][] = [];
      for (let i = 0; i < message.entries.length; i++) {
        const digest = await tar.add(message.entries[i], message.hash[i]);
        if (digest) digests.push([i, digest]);
      }
      tar.finish();
      const done: FromWorker = { type: 'done', batch, digests };
      port.postMessage(done);
    }
    running = false;
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'buffer') {
      free.push(Buffer.from(message.buffer));
      const resume = wake;
      wake = undefined;
      resume?.();
      return;
    }
    // The next batch comes before this one is done (no idle gap); they run one after the other.
    queue.push(message);
    if (running) return;
    runQueue().catch((error: unknown) => {
      const failure: FromWorker =
        error instanceof RuntimeError
          ? { type: 'error', code: error.code, message: error.message }
          : { type: 'error', message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined };
      port.postMessage(failure);
    });
  });
}

function isTarWorker(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'role' in data && data.role === WORKER_ROLE;
}

if (!isMainThread && parentPort && isTarWorker(workerData)) serveTarBatches(parentPort);
