/**
 * The framing between kubefilec and its agent on a build node, over the ssh session's standard
 * input and output: each frame is a 4-byte big-endian length, a JSON header of that length, then
 * `size` bytes of payload when the header has a size (a context file, a blob). Payloads stream:
 * a multi-gigabyte layer never sits whole in memory.
 */
import type { Readable, Writable } from 'node:stream';
import { RuntimeError } from '../errors.js';

/** Payloads up to this size are read and written whole (context files mostly are); larger ones stream. */
export const WHOLE_PAYLOAD_BYTES = 1 << 20;

/** A JSON header at most this long: a plan for a large Kubefile is a few megabytes. */
export const MAX_HEADER_BYTES = 64 << 20;

export interface FrameHeader {
  type: string;
  /** Payload bytes that follow the header. */
  size?: number;
  [key: string]: unknown;
}

/** Writes frames in order, waiting for the stream to drain when it asks to. */
export class FrameWriter {
  private closed = false;

  constructor(private readonly stream: Writable) {
    stream.on('error', () => (this.closed = true));
  }

  /** Sends a frame: any JSON object with a `type` (and its payload's `size` when there is one). */
  async send<Header extends { readonly type: string; readonly size?: number }>(header: Header, payload?: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    await this.write(Buffer.concat([length, json]));
    if (payload === undefined) return;
    if (payload instanceof Uint8Array) await this.write(payload);
    else for await (const chunk of payload) await this.write(chunk);
  }

  private async write(chunk: Uint8Array): Promise<void> {
    if (this.closed || this.stream.destroyed) throw new RuntimeError('BUILDER', 'the connection is closed');
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          this.stream.off('drain', done);
          this.stream.off('close', closed);
          if (error) reject(error);
          else resolve();
        };
        const closed = () => done(new RuntimeError('BUILDER', 'the connection is closed'));
        this.stream.once('drain', done);
        this.stream.once('close', closed);
      });
    }
  }

  end(): void {
    this.closed = true;
    this.stream.end();
  }
}

/**
 * Reads frames: `next()` gives the next header (undefined at the end of the stream), and a frame's
 * payload must be taken (`payload()`, `payloadBuffer()`) or skipped before the next header.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private pending = 0;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      // Backpressure: a fast sender waits while a payload is being written out.
      if (this.buffered > 8 << 20) stream.pause();
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (error) => {
      this.failure = error;
      this.notify();
    });
    this.resume = () => stream.resume();
  }

  private readonly resume: () => void;

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits until `n` bytes are buffered; false when the stream ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (this.failure) throw this.failure;
      if (this.ended) return false;
      this.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return true;
  }

  /** Takes up to `max` buffered bytes (at least one when any is buffered). */
  private take(max: number): Buffer {
    const first = this.chunks[0];
    if (first.length <= max) {
      this.chunks.shift();
      this.buffered -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(max);
    this.buffered -= max;
    return first.subarray(0, max);
  }

  private async read(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    const parts: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const part = this.take(left);
      parts.push(part);
      left -= part.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The next frame's header, or undefined when the other side closed the stream between frames. */
  async next(): Promise<FrameHeader | undefined> {
    if (this.pending > 0) await this.skip();
    if (this.buffered === 0 && !(await this.fill(1))) return undefined;
    const length = await this.read(4);
    if (!length) throw truncated();
    const size = length.readUInt32BE(0);
    if (size > MAX_HEADER_BYTES) throw new RuntimeError('BUILDER', `a message of ${size} bytes: more than the ${MAX_HEADER_BYTES} a header may have`);
    const json = await this.read(size);
    if (!json) throw truncated();
    let header: unknown;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch {
      throw new RuntimeError('BUILDER', 'a message that is not JSON: is the node running the same kubefilec?');
    }
    if (typeof header !== 'object' || header === null || typeof (header as FrameHeader).type !== 'string') throw new RuntimeError('BUILDER', 'a message without a type');
    const frame = header as FrameHeader;
    if (frame.size !== undefined && (!Number.isSafeInteger(frame.size) || frame.size < 0)) throw new RuntimeError('BUILDER', `a payload size of ${String(frame.size)}`);
    this.pending = frame.size ?? 0;
    return frame;
  }

  /** The current frame's payload, chunk by chunk. */
  async *payload(): AsyncGenerator<Buffer> {
    while (this.pending > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) throw truncated();
      const chunk = this.take(this.pending);
      this.pending -= chunk.length;
      yield chunk;
    }
  }

  /** The current frame's payload whole (for small ones: at most `max` bytes). */
  async payloadBuffer(max: number): Promise<Buffer> {
    if (this.pending > max) throw new RuntimeError('BUILDER', `a payload of ${this.pending} bytes: more than ${max}`);
    const parts: Buffer[] = [];
    for await (const chunk of this.payload()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  private async skip(): Promise<void> {
    for await (const _chunk of this.payload());
  }
}

function truncated(): RuntimeError {
  return new RuntimeError('BUILDER', 'the connection ended in the middle of a message');
}
