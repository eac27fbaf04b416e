/**
 * A client for the OCI Distribution API (what Docker Hub, distribution's docker-registry, Harbor,
 * ghcr.io... serve), on Node's own fetch and streams.
 *  - Auth: a 401 names how (`WWW-Authenticate`): Bearer, a token from the realm (with the user's
 *    credentials, when any), cached per scope; or Basic with the credentials.
 *  - Retries with back-off on 5xx, 429 and broken connections.
 *  - Everything from the registry is treated as hostile: a request must be answered within
 *    `connectTimeoutMs`, a body must keep coming (`idleTimeoutMs`) at a minimum rate
 *    (`minBytesPerSecond` over `lowSpeedTimeMs`), a blob body is read up to its declared size + 1
 *    byte and a manifest up to `maxManifestBytes` (4 MiB, as containerd and Docker), then fails.
 *  - Blobs are streamed to disk and checked against their digest before they are stored; a
 *    download that breaks, or whose process is killed, goes on from where it stopped (Range).
 *  - Uploads try a cross-repository mount first when the blob is known to be in another
 *    repository of the same registry.
 * Credentials only ever go in request headers: never in errors or logs.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { RegistryCredentials } from './credentials.js';
import type { Digest } from '../image/digest.js';
import { errnoCode, RuntimeError, throwIfAborted } from '../errors.js';
import { backOff } from '../concurrency.js';
import { withLock } from '../store/lock.js';
import { MEDIA_TYPE, type Descriptor } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

/** How long and how much a registry may take before its answer is given up on (all have defaults). */
export interface RegistryLimits {
  /** Attempts for a request that fails with 5xx, 429, a broken connection or a timeout (default 5). */
  attempts?: number;
  /** How long connecting and waiting for an answer's headers may take, in ms (default 30 000; for an upload, counted from the last byte sent). */
  connectTimeoutMs?: number;
  /** How long a body may send nothing, in ms (default 30 000). */
  idleTimeoutMs?: number;
  /** The slowest a body may come, in bytes per second, averaged over `lowSpeedTimeMs` (default 1024; 0: no minimum). */
  minBytesPerSecond?: number;
  /** The span `minBytesPerSecond` is measured over, in ms (default 60 000). */
  lowSpeedTimeMs?: number;
  /** The largest manifest or index accepted, in bytes (default 4 MiB, as containerd and Docker). */
  maxManifestBytes?: number;
}

export interface RegistryClientOptions extends RegistryLimits {
  /** false: plain HTTP, for registries on localhost without TLS (`--tls-verify=false`). */
  tlsVerify?: boolean;
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
}

export const DEFAULT_REGISTRY_LIMITS: Required<RegistryLimits> = {
  attempts: 5,
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  minBytesPerSecond: 1024,
  lowSpeedTimeMs: 60_000,
  maxManifestBytes: 4 << 20,
};

/** The most of an error answer's body read (for the registry's message). */
const MAX_ERROR_BODY = 64 << 10;
/** The most of a token service's answer read. */
const MAX_TOKEN_BODY = 1 << 20;

export interface FetchedManifest {
  mediaType: string;
  digest: Digest;
  bytes: Buffer;
}

/** What a registry may answer a manifest request with, best first. */
const MANIFEST_ACCEPT = [MEDIA_TYPE.index, MEDIA_TYPE.dockerManifestList, MEDIA_TYPE.manifest, MEDIA_TYPE.dockerManifest].join(', ');

/** fetch's init with `duplex`, which Node needs for a streamed request body. */
type StreamingInit = RequestInit & { duplex?: 'half' };
type RequestBody = NonNullable<RequestInit['body']>;

interface SendOptions {
  headers?: Record<string, string>;
  /** Made again for every attempt: a stream can be read only once. */
  body?: () => RequestBody;
  /** Token scopes (`repository:team/app:pull`). */
  scopes: string[];
  /** An absolute URL (an upload location) instead of `/v2/` + path. */
  url?: string;
  /** What is asked for, for messages (`blob sha256:...`). */
  what: string;
}

export class RegistryClient {
  private readonly base: string;
  private readonly tokens = new Map<string, string>();
  private readonly authenticating = new Map<string, Promise<void>>();
  private basic = false;
  private readonly limits: Required<RegistryLimits>;

  constructor(
    /** `docker.io`, `127.0.0.1:5000`: for messages. */
    readonly registry: string,
    host: string,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.base = `${options.tlsVerify === false ? 'http' : 'https'}://${host}`;
    const given = Object.fromEntries(Object.entries(options).filter(([key, value]) => key in DEFAULT_REGISTRY_LIMITS && value !== undefined)) as RegistryLimits;
    this.limits = { ...DEFAULT_REGISTRY_LIMITS, ...given };
    this.limits.attempts = Math.max(1, this.limits.attempts);
  }

  /** Checks that the registry answers and accepts the credentials (what `login` does). */
  async ping(): Promise<void> {
    const response = await this.send('GET', '/v2/', { scopes: [], what: 'the registry API' });
    await this.expect(response, [200], 'the registry API');
    await response.body?.cancel();
  }

  /**
   * A manifest or index, read up to `maxManifestBytes` (and, when the referrer gave one, its
   * descriptor's `size`): more fails without being read. Broken or stalled answers are retried.
   */
  async getManifest(repository: string, reference: string, size?: number): Promise<FetchedManifest> {
    const what = `manifest ${reference} of ${this.registry}/${repository}`;
    const { attempts, maxManifestBytes } = this.limits;
    let bytes: Buffer;
    let contentType: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const response = await this.send('GET', `/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT }, scopes: [pullScope(repository)], what });
      if (response.status === 404) {
        await response.body?.cancel();
        throw new RuntimeError('IMAGE_NOT_FOUND', `${this.registry}/${repository}:${reference} was not found in the registry`);
      }
      await this.expect(response, [200], `manifest ${reference} of ${repository}`);
      const limit = size !== undefined && size < maxManifestBytes ? `the ${size} bytes its descriptor gives` : `the ${formatSize(maxManifestBytes)} a manifest may have`;
      const tooLarge = (announced?: number): RuntimeError =>
        new RuntimeError('REGISTRY', `${what}: ${announced === undefined ? 'the registry sent more than' : `the registry announced ${formatSize(announced)}, more than`} ${limit}: refused`);
      const cap = size !== undefined ? Math.min(size, maxManifestBytes) : maxManifestBytes;
      try {
        bytes = await this.readCapped(response, cap, tooLarge);
        contentType = response.headers.get('content-type') ?? undefined;
        break;
      } catch (error) {
        throwIfAborted(this.options.signal);
        if (error instanceof RuntimeError) throw error;
        if (attempt >= attempts) throw new RuntimeError('REGISTRY', `${what}: ${describeFault(error)} (${tries(attempts)})`);
        await backOff(attempt, this.options.signal);
      }
    }
    const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new RuntimeError('DIGEST_MISMATCH', `manifest ${reference} of ${this.registry}/${repository} does not match its digest (got ${digest})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new RuntimeError('REGISTRY', `${what}: not JSON (${bytes.length} bytes)`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RuntimeError('REGISTRY', `${what}: not a JSON object`);
    const declared = (parsed as { mediaType?: unknown }).mediaType;
    const mediaType = (typeof declared === 'string' ? declared : undefined) ?? contentType?.split(';')[0] ?? MEDIA_TYPE.manifest;
    return { mediaType, digest, bytes };
  }

  /**
   * The body, at most `cap` bytes: a Content-Length above it fails before reading, a body that
   * goes beyond it fails (`tooLarge`, given the announced length when there is one) after at most
   * `cap` + one network chunk. Network errors and timeouts escape as they are (the caller retries).
   */
  private async readCapped(response: Response, cap: number, tooLarge: (announced?: number) => Error): Promise<Buffer> {
    const length = contentLength(response);
    if (length !== undefined && length > cap) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(length);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.bodyOf(response)) {
      total += chunk.length;
      if (total > cap) throw tooLarge();
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return Buffer.concat(chunks, total);
  }

  /**
   * The body's chunks, watched: no chunk for `idleTimeoutMs`, or less than `minBytesPerSecond` over
   * `lowSpeedTimeMs`, fails with a Fault (retryable). Leaving the loop early closes the connection.
   */
  private async *bodyOf(response: Response): AsyncGenerator<Uint8Array> {
    if (!response.body) return;
    const watch = watches.get(response);
    const reader = response.body.getReader();
    const { minBytesPerSecond, lowSpeedTimeMs } = this.limits;
    let windowStart = Date.now();
    let windowBytes = 0;
    let done = false;
    try {
      for (;;) {
        watch?.arm('idle');
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (error) {
          throw watch?.fault ?? error;
        } finally {
          watch?.disarm();
        }
        if (read.done) {
          done = true;
          return;
        }
        windowBytes += read.value.byteLength;
        const now = Date.now();
        if (minBytesPerSecond > 0 && now - windowStart >= lowSpeedTimeMs) {
          if ((windowBytes * 1000) / (now - windowStart) < minBytesPerSecond) {
            throw new Fault(`slower than ${formatSize(minBytesPerSecond)}/s for ${seconds(now - windowStart)}`);
          }
          windowStart = now;
          windowBytes = 0;
        }
        yield read.value;
      }
    } finally {
      watch?.disarm();
      if (!done) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }

  async putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<void> {
    const response = await this.send('PUT', `/v2/${repository}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: () => bytes, scopes: [pushScope(repository)], what: `manifest ${reference} of ${this.registry}/${repository}` });
    await this.expect(response, [201, 200], `manifest ${reference} of ${repository}`);
    await response.body?.cancel();
  }

  async hasBlob(repository: string, digest: Digest): Promise<boolean> {
    const response = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, { scopes: [pushScope(repository)], what: `blob ${digest} of ${this.registry}/${repository}` });
    await response.body?.cancel();
    if (response.status === 404) return false;
    await this.expect(response, [200], `blob ${digest}`);
    return true;
  }

  /**
   * Downloads a blob into the store, unless it is there. The bytes go to `downloads/<hex>` first
   * (kept across runs: a later pull resumes it with a Range request) and become a blob only once
   * size and digest match. Returns how many bytes an earlier attempt had already fetched.
   */
  async downloadBlob(store: ImageStore, repository: string, blob: Descriptor, onBytes?: (bytes: number) => void): Promise<{ resumedAt: number; downloaded: boolean }> {
    if (await store.hasBlob(blob.digest)) {
      onBytes?.(blob.size);
      return { resumedAt: 0, downloaded: false };
    }
    const hex = blob.digest.slice('sha256:'.length);
    const partial = join(store.dir('downloads'), hex);
    // One process per blob at a time: two appending to one file would garble it.
    return withLock(join(store.dir('locks'), `download-${hex}`), async () => {
      if (await store.hasBlob(blob.digest)) return { resumedAt: 0, downloaded: false };
      const resumedAt = await stat(partial).then((s) => Math.min(s.size, blob.size), () => 0);
      const { attempts } = this.limits;
      let fetched: { hash: Hash; size: number };
      for (let attempt = 1; ; attempt++) {
        // What an earlier attempt left is hashed from the file; the rest as it arrives.
        const have = await hashFile(partial);
        try {
          fetched = have.size < blob.size ? await this.fetchInto(partial, repository, blob, have, onBytes) : have;
          break;
        } catch (error) {
          throwIfAborted(this.options.signal);
          if (error instanceof RuntimeError) throw error;
          if (attempt >= attempts) {
            const got = await stat(partial).then((s) => s.size, () => 0);
            throw new RuntimeError('REGISTRY', `blob ${blob.digest} from ${this.registry}/${repository}: ${describeFault(error)} after ${formatSize(got)} of ${formatSize(blob.size)} (${tries(attempts)})`);
          }
          await backOff(attempt, this.options.signal);
        }
      }
      const digest = `sha256:${fetched.hash.digest('hex')}`;
      const size = fetched.size;
      if (digest !== blob.digest || size !== blob.size) {
        await rm(partial, { force: true });
        throw new RuntimeError('DIGEST_MISMATCH', `blob ${blob.digest} from ${this.registry}/${repository} does not match its digest or size (got ${digest}, ${size} of ${blob.size} bytes): not stored`);
      }
      await store.adoptBlob(partial, blob.digest);
      return { resumedAt, downloaded: true };
    });
  }

  /**
   * Appends the blob's bytes from `have.size` to `path`, hashing them on the way (onto `have.hash`,
   * the hash of what is there). Network errors escape (the caller retries).
   */
  private async fetchInto(path: string, repository: string, blob: Descriptor, have: { hash: Hash; size: number }, onBytes?: (bytes: number) => void): Promise<{ hash: Hash; size: number }> {
    const offset = have.size;
    const what = `blob ${blob.digest} from ${this.registry}/${repository}`;
    const response = await this.send('GET', `/v2/${repository}/blobs/${blob.digest}`, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, scopes: [pullScope(repository)], what });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new RuntimeError('IMAGE_NOT_FOUND', `blob ${blob.digest} is not in ${this.registry}/${repository}`);
    }
    await this.expect(response, [200, 206], `blob ${blob.digest}`);
    // A registry that ignores Range sends everything again.
    const start = response.status === 206 ? offset : 0;
    // Read no further than the declared size + 1 byte: a longer body fails before it fills the disk.
    const tooLong = (announced?: number): RuntimeError =>
      new RuntimeError('REGISTRY', `${what}: ${announced === undefined ? 'the registry sent more than' : `the registry announced ${formatSize(start + announced)}, more than`} its declared ${formatSize(blob.size)}: refused`);
    const length = contentLength(response);
    if (length !== undefined && start + length > blob.size) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLong(length);
    }
    const hash = start === offset ? have.hash : createHash('sha256');
    let size = start;
    let oversized = false;
    const file = await open(path, start === 0 ? 'w' : 'a');
    // Written a megabyte at a time: one write per network chunk costs more than the copy.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await file.writev(pending);
      onBytes?.(pendingBytes);
      pending = [];
      pendingBytes = 0;
    };
    try {
      onBytes?.(start);
      if (!response.body) throw new Fault('an answer without a body');
      try {
        for await (const chunk of this.bodyOf(response)) {
          if (size + chunk.byteLength > blob.size) {
            oversized = true;
            throw tooLong();
          }
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          hash.update(bytes);
          size += bytes.length;
          pending.push(bytes);
          pendingBytes += bytes.length;
          if (pendingBytes >= WRITE_BATCH) await flush();
        }
      } catch (error) {
        // What came before a broken connection is kept: the next attempt resumes after it.
        if (!(error instanceof RuntimeError)) await flush().catch(() => undefined);
        throw error;
      }
      await flush();
      await file.sync();
    } finally {
      await file.close();
      // More than the descriptor says: what came is not to be trusted, nor resumed.
      if (oversized) await rm(path, { force: true });
    }
    // A body that ended early (a chunked answer cut short): the next attempt resumes it.
    if (size < blob.size) throw new Fault('the answer ended early');
    return { hash, size };
  }

  /**
   * Uploads a blob unless the repository has it: a cross-repository mount from `mountFrom` when
   * given (no bytes sent), else one monolithic PUT streamed from the store.
   */
  async uploadBlob(store: ImageStore, repository: string, blob: Descriptor, mountFrom?: string): Promise<'present' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(repository, blob.digest)) return 'present';
    const { attempts } = this.limits;
    const what = `blob ${blob.digest} of ${this.registry}/${repository}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const query = mountFrom && mountFrom !== repository ? `?mount=${blob.digest}&from=${encodeURIComponent(mountFrom)}` : '';
        const scopes = [pushScope(repository), ...(query ? [pullScope(mountFrom ?? '')] : [])];
        const started = await this.send('POST', `/v2/${repository}/blobs/uploads/${query}`, { scopes, what: `an upload to ${this.registry}/${repository}` });
        await started.body?.cancel();
        if (started.status === 201) return 'mounted';
        await this.expect(started, [202], `an upload to ${repository}`);
        const location = started.headers.get('location');
        if (!location) throw new RuntimeError('REGISTRY', `${this.registry} started an upload without a location`);
        const url = new URL(location, this.base);
        url.searchParams.set('digest', blob.digest);
        const response = await this.send('PUT', '', {
          url: url.toString(),
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
          body: () => Readable.toWeb(store.blobStream(blob.digest)) as unknown as RequestBody,
          scopes: [pushScope(repository)],
          what,
        });
        await response.body?.cancel();
        await this.expect(response, [201], `blob ${blob.digest}`);
        return 'uploaded';
      } catch (error) {
        if ((error instanceof RuntimeError && error.code !== 'REGISTRY') || attempt >= attempts) throw error;
        await backOff(attempt, this.options.signal);
      }
    }
  }

  /**
   * One request, authenticated as the registry asks, retried on 5xx, 429, broken connections and
   * answers that do not come within `connectTimeoutMs`. The body is read through `bodyOf`.
   */
  private async send(method: string, path: string, options: SendOptions): Promise<Response> {
    const { attempts } = this.limits;
    let authenticated = false;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(this.options.signal);
      const headers: Record<string, string> = { ...options.headers };
      const authorization = this.authorization(options.scopes);
      if (authorization) headers.authorization = authorization;
      let response: Response;
      try {
        response = await this.fetchWatched(options.url ?? `${this.base}${path}`, { method, headers, ...(options.body ? { body: options.body(), duplex: 'half' } : {}) });
      } catch (error) {
        throwIfAborted(this.options.signal);
        if (attempt >= attempts) {
          throw new RuntimeError('REGISTRY', error instanceof Fault ? `${options.what}: ${error.message} (${tries(attempts)})` : `cannot reach ${this.registry} (${this.base}) for ${options.what}: ${causeOf(error)} (${tries(attempts)})`);
        }
        await backOff(attempt, this.options.signal);
        continue;
      }
      if (response.status === 401 && !authenticated) {
        authenticated = true;
        const challenge = response.headers.get('www-authenticate') ?? '';
        await response.body?.cancel();
        // A token that another request fetched meanwhile is used as is.
        if (this.authorization(options.scopes) === authorization) await this.authenticate(challenge, options.scopes);
        attempt--;
        continue;
      }
      if ((response.status >= 500 || response.status === 429) && attempt < attempts) {
        await response.body?.cancel();
        await backOff(attempt, this.options.signal);
        continue;
      }
      return response;
    }
  }

  /**
   * fetch, given `connectTimeoutMs` to answer (for a streamed upload, from the last chunk sent);
   * the answer's body is then watched by `bodyOf`. A timeout escapes as a Fault.
   */
  private async fetchWatched(url: string | URL, init: StreamingInit): Promise<Response> {
    const watch = new Watch(this.limits, this.options.signal);
    if (init.body instanceof ReadableStream) {
      // Every chunk sent is progress: the wait for an answer starts again.
      init.body = (init.body as ReadableStream<Uint8Array>).pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform: (chunk, controller) => (watch.arm('connect'), controller.enqueue(chunk)) })) as RequestBody;
    }
    watch.arm('connect');
    try {
      const response = await fetch(url, { ...init, signal: watch.signal });
      watches.set(response, watch);
      return response;
    } catch (error) {
      throw watch.fault ?? error;
    } finally {
      watch.disarm();
    }
  }

  private authorization(scopes: readonly string[]): string | undefined {
    const token = this.tokens.get(scopes.join(' '));
    if (token) return `Bearer ${token}`;
    const { credentials } = this.options;
    if (this.basic && credentials) return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    return undefined;
  }

  /** Requests answered 401 together (a push's first blob checks) share one token request. */
  private authenticate(challenge: string, scopes: readonly string[]): Promise<void> {
    const key = `${challenge}\n${scopes.join(' ')}`;
    let pending = this.authenticating.get(key);
    if (!pending) {
      pending = this.requestAuthentication(challenge, scopes).finally(() => this.authenticating.delete(key));
      this.authenticating.set(key, pending);
    }
    return pending;
  }

  private async requestAuthentication(challenge: string, scopes: readonly string[]): Promise<void> {
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    if (scheme === 'basic') {
      if (!this.options.credentials) throw this.loginNeeded();
      this.basic = true;
      return;
    }
    if (scheme !== 'bearer') throw new RuntimeError('AUTH', `${this.registry} asks for an authentication kubefilec does not support (${scheme || 'none given'})`);
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1].toLowerCase(), m[2]]));
    if (!params.realm) throw new RuntimeError('AUTH', `${this.registry} asks for a token without saying where to get it`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const { credentials } = this.options;
    const headers: Record<string, string> = credentials ? { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } : {};
    const fail = (error: unknown): RuntimeError => new RuntimeError('AUTH', `cannot reach the token service of ${this.registry} (${url.origin}): ${error instanceof Fault ? error.message : causeOf(error)}`);
    const response = await this.fetchWatched(url, { headers }).catch((error: unknown) => {
      throwIfAborted(this.options.signal);
      throw fail(error);
    });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw credentials ? this.denied() : this.loginNeeded();
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new RuntimeError('AUTH', `the token service of ${this.registry} answered ${response.status}`);
    }
    const text = await this.readCapped(response, MAX_TOKEN_BODY, () => new RuntimeError('AUTH', `the token service of ${this.registry} sent more than ${formatSize(MAX_TOKEN_BODY)}`)).catch((error: unknown) => {
      throwIfAborted(this.options.signal);
      throw error instanceof RuntimeError ? error : fail(error);
    });
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(text.toString('utf8')) as { token?: string; access_token?: string };
    } catch {
      throw new RuntimeError('AUTH', `the token service of ${this.registry} did not answer JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RuntimeError('AUTH', `the token service of ${this.registry} gave no token`);
    this.tokens.set(scopes.join(' '), token);
  }

  /** Fails with a message for everything but the expected statuses (401 and 403 as auth errors). */
  private async expect(response: Response, statuses: number[], what: string): Promise<void> {
    if (statuses.includes(response.status)) return;
    const text = await this.errorText(response);
    if (response.status === 401) throw this.options.credentials ? this.denied() : this.loginNeeded();
    if (response.status === 403) throw this.denied();
    const detail = registryErrorMessage(text);
    throw new RuntimeError('REGISTRY', `${this.registry}: ${what}: ${response.status} ${response.statusText}${detail ? ` (${detail})` : ''}`);
  }

  /** The start of an error answer's body (at most MAX_ERROR_BODY), '' when it cannot be read. */
  private async errorText(response: Response): Promise<string> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of this.bodyOf(response)) {
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        total += chunk.byteLength;
        if (total >= MAX_ERROR_BODY) break;
      }
    } catch {
      // The status is what matters.
    }
    return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8');
  }

  private loginNeeded(): RuntimeError {
    return new RuntimeError('AUTH', `${this.registry} requires authentication: run \`kubefilec login ${this.registry}\``);
  }

  private denied(): RuntimeError {
    return new RuntimeError('AUTH', `${this.registry} refused the credentials of ${this.options.credentials?.username ?? 'this user'} (wrong password, or no access)`);
  }
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/** The `errors[].message` of a registry's JSON error body. */
function registryErrorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    return body.errors?.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ') || undefined;
  } catch {
    return undefined;
  }
}

function causeOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = errnoCode(cause);
  if (code && NETWORK_WORDS[code]) return NETWORK_WORDS[code];
  const message = cause instanceof Error ? cause.message : String(cause);
  return message === 'other side closed' || message === 'terminated' ? 'connection closed' : message;
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** What went wrong in a transfer, in words (one line). */
function describeFault(error: unknown): string {
  return (error instanceof Fault ? error.message : causeOf(error)).replace(/\s+/g, ' ');
}

/** A timeout or a misbehaving answer that another attempt may get past (never a RuntimeError). */
class Fault extends Error {
  override name = 'Fault';
}

/** The watches of the answers `fetchWatched` gave, for `bodyOf`. */
const watches = new WeakMap<Response, Watch>();

/**
 * One request's clock: `arm` starts a timeout (for an answer, or for the next chunk of a body),
 * `disarm` stops it; when it runs out the request is aborted and `fault` says why.
 */
class Watch {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal;
  fault: Fault | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: Required<RegistryLimits>,
    outer: AbortSignal | undefined,
  ) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }

  arm(phase: 'connect' | 'idle'): void {
    this.disarm();
    const ms = phase === 'connect' ? this.limits.connectTimeoutMs : this.limits.idleTimeoutMs;
    this.timer = setTimeout(() => {
      this.fault = new Fault(phase === 'connect' ? `no answer within ${seconds(ms)}` : `no data for ${seconds(ms)}`);
      this.controller.abort(this.fault);
    }, ms);
    this.timer.unref();
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function contentLength(response: Response): number | undefined {
  const header = response.headers.get('content-length');
  return header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
}

function tries(attempts: number): string {
  return attempts === 1 ? '1 try' : `${attempts} tries`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** `5 MiB`, `1.2 MiB`, `300 bytes`. */
function formatSize(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}

/** Bytes gathered before one write of a download. */
const WRITE_BATCH = 1 << 20;

/** The hash and size of what `path` holds (nothing when it is missing). */
async function hashFile(path: string): Promise<{ hash: Hash; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  return { hash, size };
}
