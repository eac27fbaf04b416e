/**
 * A client for the OCI Distribution API (what Docker Hub, distribution's docker-registry, Harbor,
 * ghcr.io... serve), on Node's own fetch and streams.
 *  - Auth: a 401 names how (`WWW-Authenticate`): Bearer, a token from the realm (with the user's
 *    credentials, when any), cached per scope; or Basic with the credentials.
 *  - Retries with back-off on 5xx, 429 and broken connections.
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
import { withLock } from '../store/lock.js';
import { MEDIA_TYPE, type Descriptor } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

export interface RegistryClientOptions {
  /** false: plain HTTP, for registries on localhost without TLS (`--tls-verify=false`). */
  tlsVerify?: boolean;
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
  /** Attempts for a request that fails with 5xx, 429 or a broken connection (default 5). */
  attempts?: number;
}

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
}

export class RegistryClient {
  private readonly base: string;
  private readonly tokens = new Map<string, string>();
  private readonly authenticating = new Map<string, Promise<void>>();
  private basic = false;

  constructor(
    /** `docker.io`, `127.0.0.1:5000`: for messages. */
    readonly registry: string,
    host: string,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.base = `${options.tlsVerify === false ? 'http' : 'https'}://${host}`;
  }

  /** Checks that the registry answers and accepts the credentials (what `login` does). */
  async ping(): Promise<void> {
    const response = await this.send('GET', '/v2/', { scopes: [] });
    await this.expect(response, [200], 'the registry API');
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const response = await this.send('GET', `/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT }, scopes: [pullScope(repository)] });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new RuntimeError('IMAGE_NOT_FOUND', `${this.registry}/${repository}:${reference} was not found in the registry`);
    }
    await this.expect(response, [200], `manifest ${reference} of ${repository}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new RuntimeError('DIGEST_MISMATCH', `manifest ${reference} of ${this.registry}/${repository} does not match its digest (got ${digest})`);
    }
    const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
    const mediaType = declared ?? response.headers.get('content-type')?.split(';')[0] ?? MEDIA_TYPE.manifest;
    return { mediaType, digest, bytes };
  }

  async putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<void> {
    const response = await this.send('PUT', `/v2/${repository}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: () => bytes, scopes: [pushScope(repository)] });
    await this.expect(response, [201, 200], `manifest ${reference} of ${repository}`);
  }

  async hasBlob(repository: string, digest: Digest): Promise<boolean> {
    const response = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, { scopes: [pushScope(repository)] });
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
      const attempts = this.options.attempts ?? 5;
      let fetched: { hash: Hash; size: number };
      for (let attempt = 1; ; attempt++) {
        // What an earlier attempt left is hashed from the file; the rest as it arrives.
        const have = await hashFile(partial);
        try {
          fetched = have.size < blob.size ? await this.fetchInto(partial, repository, blob, have, onBytes) : have;
          break;
        } catch (error) {
          if (error instanceof RuntimeError || attempt >= attempts) throw error;
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
    const response = await this.send('GET', `/v2/${repository}/blobs/${blob.digest}`, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, scopes: [pullScope(repository)] });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new RuntimeError('IMAGE_NOT_FOUND', `blob ${blob.digest} is not in ${this.registry}/${repository}`);
    }
    await this.expect(response, [200, 206], `blob ${blob.digest}`);
    // A registry that ignores Range sends everything again.
    const start = response.status === 206 ? offset : 0;
    const hash = start === offset ? have.hash : createHash('sha256');
    let size = start;
    const file = await open(path, start === 0 ? 'w' : 'a');
    try {
      onBytes?.(start);
      if (!response.body) throw new Error('empty response');
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
      for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        size += bytes.length;
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
      }
      await flush();
      await file.sync();
    } finally {
      await file.close();
    }
    return { hash, size };
  }

  /**
   * Uploads a blob unless the repository has it: a cross-repository mount from `mountFrom` when
   * given (no bytes sent), else one monolithic PUT streamed from the store.
   */
  async uploadBlob(store: ImageStore, repository: string, blob: Descriptor, mountFrom?: string): Promise<'present' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(repository, blob.digest)) return 'present';
    const attempts = this.options.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const query = mountFrom && mountFrom !== repository ? `?mount=${blob.digest}&from=${encodeURIComponent(mountFrom)}` : '';
        const scopes = [pushScope(repository), ...(query ? [pullScope(mountFrom ?? '')] : [])];
        const started = await this.send('POST', `/v2/${repository}/blobs/uploads/${query}`, { scopes });
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

  /** One request, authenticated as the registry asks, retried on 5xx, 429 and broken connections. */
  private async send(method: string, path: string, options: SendOptions): Promise<Response> {
    const attempts = this.options.attempts ?? 5;
    let authenticated = false;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(this.options.signal);
      const headers: Record<string, string> = { ...options.headers };
      const authorization = this.authorization(options.scopes);
      if (authorization) headers.authorization = authorization;
      const init: StreamingInit = { method, headers, ...(options.body ? { body: options.body(), duplex: 'half' } : {}), ...(this.options.signal ? { signal: this.options.signal } : {}) };
      let response: Response;
      try {
        response = await fetch(options.url ?? `${this.base}${path}`, init);
      } catch (error) {
        throwIfAborted(this.options.signal);
        if (attempt >= attempts) throw new RuntimeError('REGISTRY', `cannot reach ${this.registry} (${this.base}): ${causeOf(error)}`);
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
    const response = await fetch(url, { headers, ...(this.options.signal ? { signal: this.options.signal } : {}) }).catch((error: unknown) => {
      throw new RuntimeError('AUTH', `cannot reach the token service of ${this.registry} (${url.origin}): ${causeOf(error)}`);
    });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw credentials ? this.denied() : this.loginNeeded();
    }
    if (!response.ok) throw new RuntimeError('AUTH', `the token service of ${this.registry} answered ${response.status}`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RuntimeError('AUTH', `the token service of ${this.registry} gave no token`);
    this.tokens.set(scopes.join(' '), token);
  }

  /** Fails with a message for everything but the expected statuses (401 and 403 as auth errors). */
  private async expect(response: Response, statuses: number[], what: string): Promise<void> {
    if (statuses.includes(response.status)) return;
    const text = await response.text().catch(() => '');
    if (response.status === 401) throw this.options.credentials ? this.denied() : this.loginNeeded();
    if (response.status === 403) throw this.denied();
    const detail = registryErrorMessage(text);
    throw new RuntimeError('REGISTRY', `${this.registry}: ${what}: ${response.status} ${response.statusText}${detail ? ` (${detail})` : ''}`);
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
  return cause instanceof Error ? cause.message : String(cause);
}

/** 0.2 s, 0.4 s, 0.8 s ... with jitter, so retries from several transfers spread out. */
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

async function backOff(attempt: number, signal?: AbortSignal): Promise<void> {
  const ms = 200 * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
  throwIfAborted(signal);
}
