/**
 * ADD's `http(s)://` sources, fetched as BuildKit's Dockerfile frontend and HTTP source do: the
 * file is named after the last element of the URL's path (`__unnamed__` when there is none; no
 * Content-Disposition), it gets mode 0600 (unless `--chmod`) and the mtime of the answer's
 * Last-Modified (the Unix epoch without one), and remote archives are not unpacked.
 *
 * Everything from the server is treated as hostile: the size is capped (Content-Length up front,
 * then while streaming), the connection must make progress (idle timeout), redirects are limited
 * and must stay on http/https, status texts come from Node's table rather than the server, and
 * messages name the URL without its userinfo. The body streams to a temporary file, hashed as it
 * arrives; the file is removed when the download fails or is interrupted.
 */
import { createHash } from 'node:crypto';
import { rm, open } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Digest } from '../image/digest.js';
import { errnoCode, interrupted, RuntimeError } from '../errors.js';
import { RUNTIME_VERSION } from '../version.js';
import { backOff } from '../concurrency.js';

export interface DownloadLimits {
  /** Largest body accepted, in bytes (default `$KUBEFILE_ADD_MAX_BYTES`, else 1 GiB). */
  maxBytes?: number;
  /** How long connecting, waiting for the answer or for more data may take, in ms (default 30 000). */
  idleTimeoutMs?: number;
  /** Tries for network errors and 5xx/429 answers, with back-off in between (default 3). */
  attempts?: number;
  /** Redirects followed (default 10). */
  maxRedirects?: number;
}

export interface DownloadOptions extends DownloadLimits {
  signal?: AbortSignal;
  /** Bytes received, as they arrive. */
  onBytes?: (bytes: number) => void;
  /** The environment `KUBEFILE_ADD_MAX_BYTES` is read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

export interface Downloaded {
  /** The file's name in the image when the destination is a directory. */
  name: string;
  /** Where the body is (the `path` given). */
  path: string;
  size: number;
  digest: Digest;
  /** From Last-Modified; 0 (the epoch) without one, as BuildKit. */
  mtimeMs: number;
}

export const DEFAULT_MAX_BYTES = 1024 ** 3;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The name BuildKit's Dockerfile frontend gives a downloaded file: `path.Base` of the URL's
 * (percent-decoded) path, `__unnamed__` when that is empty or `/`. Names that could leave the
 * destination (`..`) or hold a NUL are `__unnamed__` too.
 */
export function downloadName(url: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return '__unnamed__';
  }
  const trimmed = path.replace(/\/+$/, '');
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return base === '' || base === '.' || base === '..' || base.includes('\0') ? '__unnamed__' : base;
}

/** The URL without `user:password@`, for messages and cache keys. */
export function withoutUserinfo(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  }
}

/** The size cap: the option, else `KUBEFILE_ADD_MAX_BYTES` (bytes, or with a K/M/G suffix, binary), else 1 GiB. */
export function maxDownloadBytes(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return option;
  const text = env.KUBEFILE_ADD_MAX_BYTES?.trim();
  if (!text) return DEFAULT_MAX_BYTES;
  const match = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(text);
  if (!match) throw new RuntimeError('SOURCE', `KUBEFILE_ADD_MAX_BYTES=${JSON.stringify(text)}: not a size (write bytes, or a number with K, M or G)`);
  return Number(match[1]) * 1024 ** ' kmg'.indexOf((match[2] || ' ').toLowerCase());
}

/** `1 GiB`, `512 MiB`, `1000 bytes`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** Downloads `url` into the new file `path`: the body, its size and digest, and BuildKit's name and mtime for it. */
export async function downloadFile(url: string, path: string, options: DownloadOptions = {}): Promise<Downloaded> {
  const { signal } = options;
  const shown = withoutUserinfo(url);
  const fail = (message: string): RuntimeError => new RuntimeError('SOURCE', `downloading ${shown}: ${message}`);
  let start: URL;
  try {
    start = new URL(url);
  } catch {
    throw fail('not a valid URL');
  }
  if (start.protocol !== 'http:' && start.protocol !== 'https:') throw fail('only http and https URLs are downloaded');
  const limits: Limits = {
    maxBytes: maxDownloadBytes(options.maxBytes, options.env),
    idleMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
  };
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  try {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw interrupted();
      try {
        const got = await fetchOnce(start, path, limits, options);
        return { name: downloadName(url), path, ...got };
      } catch (error) {
        if (signal?.aborted) throw interrupted();
        if (!(error instanceof Failure)) throw error;
        if (!error.retry || attempt >= attempts) throw fail(attempts > 1 && error.retry ? `${error.message} (${attempts} attempts)` : error.message);
        await backOff(attempt, signal, 250);
      }
    }
  } catch (error) {
    await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
}

interface Limits {
  maxBytes: number;
  idleMs: number;
  maxRedirects: number;
}

/** What went wrong in one attempt, and whether another may go better. */
class Failure extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/** One try: follows redirects, then streams the body into `path` (replacing what an earlier try left). */
async function fetchOnce(start: URL, path: string, limits: Limits, options: DownloadOptions): Promise<Omit<Downloaded, 'name' | 'path'>> {
  let url = start;
  for (let redirects = 0; ; redirects++) {
    const { response, idle } = await request(url, start, limits.idleMs, options.signal);
    try {
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        const location = response.headers.location;
        if (location === undefined) throw new Failure(`${statusText(status)} without a Location`, false);
        if (redirects >= limits.maxRedirects) throw new Failure(`more than ${limits.maxRedirects} redirects`, false);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new Failure('redirected to an invalid URL', false);
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Failure(`redirected to a ${next.protocol.replace(/:$/, '')} URL; only http and https are downloaded`, false);
        url = next;
        continue;
      }
      if (status < 200 || status > 299) {
        const via = url.href === start.href ? '' : ` (redirected to ${withoutUserinfo(url.href)})`;
        throw new Failure(`${statusText(status)}${via}`, status >= 500 || status === 429);
      }
      return await receive(response, idle, path, limits, options);
    } finally {
      idle.stop();
      response.destroy();
    }
  }
}

/** Streams the body into `path`, hashing it, within the size cap. */
async function receive(response: IncomingMessage, idle: Idle, path: string, limits: Limits, options: DownloadOptions): Promise<Omit<Downloaded, 'name' | 'path'>> {
  const { signal, onBytes } = options;
  const lengthHeader = response.headers['content-length'];
  const length = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const tooLarge = (): Failure => new Failure(`larger than ${formatBytes(limits.maxBytes)} (KUBEFILE_ADD_MAX_BYTES sets the limit)`, false);
  if (length !== undefined && length > limits.maxBytes) throw tooLarge();
  const hash = createHash('sha256');
  let size = 0;
  const file = await open(path, 'w', 0o600);
  const stop = (): void => void response.destroy(interrupted());
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) throw interrupted();
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limits.maxBytes) throw tooLarge();
      hash.update(chunk);
      await file.write(chunk);
      idle.touch();
      onBytes?.(chunk.length);
    }
  } catch (error) {
    throw error instanceof Failure || signal?.aborted ? error : networkFailure(error, `the connection broke after ${size} bytes`);
  } finally {
    signal?.removeEventListener('abort', stop);
    await file.close();
  }
  if (length !== undefined && size !== length && !response.headers['content-encoding']) throw new Failure(`the answer ended after ${size} of ${length} bytes`, true);
  const modified = response.headers['last-modified'];
  const parsed = modified === undefined ? Number.NaN : Date.parse(modified);
  return { size, digest: `sha256:${hash.digest('hex')}`, mtimeMs: Number.isFinite(parsed) ? parsed : 0 };
}

/** `HTTP 404 Not Found`: the reason from Node's table, never the server's text. */
function statusText(status: number): string {
  const reason = http.STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

/** The idle timeout: restarted by every sign of progress; its message says what was awaited. */
class Idle {
  phase: 'connect' | 'answer' | 'data' = 'connect';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly expire: (failure: Failure) => void,
  ) {}

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const seconds = this.ms % 1000 === 0 ? `${this.ms / 1000} s` : `${this.ms} ms`;
      const message = this.phase === 'connect' ? `could not connect within ${seconds}` : this.phase === 'answer' ? `no answer for ${seconds}` : `no data for ${seconds}`;
      this.expire(new Failure(message, false));
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** A GET of `url`; resolves on the answer's headers. Credentials in `origin`'s userinfo go only to its own origin. */
function request(url: URL, origin: URL, idleMs: number, signal: AbortSignal | undefined): Promise<{ response: IncomingMessage; idle: Idle }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': `kubefilec/${RUNTIME_VERSION}`, accept: '*/*' };
    const credentials = url.username !== '' || url.password !== '' ? url : url.origin === origin.origin ? origin : undefined;
    if (credentials && (credentials.username !== '' || credentials.password !== '')) {
      const user = `${decoded(credentials.username)}:${decoded(credentials.password)}`;
      headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    }
    const target = new URL(url.href);
    target.username = '';
    target.password = '';
    const client = target.protocol === 'https:' ? https : http;
    let response: IncomingMessage | undefined;
    const req = client.request(target, { method: 'GET', headers, agent: false, ...(signal ? { signal } : {}) });
    const idle = new Idle(idleMs, (failure) => (response ? response.destroy(failure) : req.destroy(failure)));
    req.on('socket', (socket) => {
      socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        idle.phase = 'answer';
        idle.touch();
      });
    });
    req.on('response', (answer) => {
      response = answer;
      // Errors reach the reader through its iterator; until it starts, they must not go unheard.
      answer.on('error', () => undefined);
      idle.phase = 'data';
      idle.touch();
      resolve({ response: answer, idle });
    });
    req.on('error', (error) => {
      idle.stop();
      reject(error instanceof Failure ? error : networkFailure(error));
    });
    idle.touch();
    req.end();
  });
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Node's network errors in words; the transient ones are retried. */
function networkFailure(error: unknown, fallback?: string): Failure {
  const code = errnoCode(error);
  const words: Record<string, [string, boolean]> = {
    ECONNREFUSED: ['connection refused', true],
    ECONNRESET: [fallback ?? 'connection reset', true],
    ENOTFOUND: ['host not found', false],
    EAI_AGAIN: ['host name lookup failed', true],
    ETIMEDOUT: ['connection timed out', true],
    EHOSTUNREACH: ['host unreachable', true],
    ENETUNREACH: ['network unreachable', true],
    EPIPE: ['connection closed', true],
    ERR_STREAM_PREMATURE_CLOSE: [fallback ?? 'connection closed', true],
  };
  const known = code === undefined ? undefined : words[code];
  if (known) return new Failure(known[0], known[1]);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return new Failure(`TLS: ${message}`, false);
  if (message === 'aborted') return new Failure(fallback ?? 'connection closed', true);
  return new Failure(message, code !== undefined && /^E[A-Z]+$/.test(code));
}
