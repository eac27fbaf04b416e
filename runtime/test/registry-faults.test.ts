/**
 * A broken or malicious registry must not take the build host down (issue 18): a fault-injecting
 * HTTP proxy (on 127.0.0.1) in front of a real docker-registry sends bodies longer than declared,
 * endless bodies, oversized and endless manifests, a trickle, dropped and stalled connections.
 * Every pull must end, within its small timeouts, with one clear line, while the disk used by the
 * store stays within the blob's declared size + 1 MiB and the memory (RSS) grows by less than 300 MB.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pullImage, REGISTRY_STORAGE, RuntimeError, type Descriptor, type ImageStore, type OciManifest, type RegistryLimits } from '../src/index.js';
import { checkStore } from './build-helpers.js';
import { tempDir, useTempStore } from './fixtures.js';
import { putImage, putTag, startRegistry, type RunningRegistry } from './registry-helpers.js';

const MiB = 1 << 20;
/** Small limits, so that every case ends in a few seconds. */
const FAST: RegistryLimits = { attempts: 2, connectTimeoutMs: 500, idleTimeoutMs: 500, minBytesPerSecond: 16 * 1024, lowSpeedTimeMs: 600 };
const MAX_RSS_GROWTH = 300 * 1000 * 1000;

/** What the proxy does with one request; `forward` passes it to the registry (with `cut` applied to the answer's body). */
type Fault = (req: IncomingMessage, res: ServerResponse, forward: (cut?: Cut) => void) => void;
/** After `bytes` of an answer's body: close the connection, or keep it open and send nothing more. */
interface Cut {
  bytes: number;
  then: 'drop' | 'stall';
}

/** Writes `total` bytes of `chunk` repeated (bounded), waiting for the client, until it goes away. */
async function pour(res: ServerResponse, chunk: Buffer, total: number): Promise<void> {
  for (let sent = 0; sent < total && !res.destroyed; sent += chunk.length) {
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => (res.off('drain', done), res.off('close', done), resolve());
        res.on('drain', done).on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes in the store's blobs/, tmp/ and downloads/. */
async function storeBytes(store: ImageStore): Promise<number> {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else total += await stat(path).then((s) => s.size, () => 0);
    }
  };
  for (const name of ['blobs', 'tmp', 'downloads']) await walk(store.dir(name));
  return total;
}

describe('registry faults (a fault-injecting proxy in front of docker-registry)', function () {
  this.timeout(20_000);
  const temp = useTempStore('kubefile-faults-');
  let registry: RunningRegistry;
  let storage: string;
  let proxy: Server;
  let host: string;
  let fault: Fault | undefined;
  let layer: Descriptor;
  let manifest: Descriptor;
  const blobPath = (): string => `/v2/faults/app/blobs/${layer.digest}`;
  const manifestPath = '/v2/faults/app/manifests/v1';

  before(async () => {
    storage = await tempDir('kubefile-faults-registry-');
    // A 5 MiB layer (random text: putImage takes a string).
    manifest = await putImage(storage, 'faults/app', 'amd64', randomBytes(4 * MiB).toString('base64').slice(0, 5 * MiB));
    await putTag(storage, 'faults/app', 'v1', manifest);
    registry = await startRegistry(storage, storage);
    const [, port] = registry.host.split(':');
    proxy = createServer((req, res) => {
      const forward = (cut?: Cut): void => {
        const headers = { ...req.headers, host: registry.host };
        const upstream = request({ host: '127.0.0.1', port: Number(port), method: req.method, path: req.url, headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            if (res.destroyed || (cut && sent >= cut.bytes)) return;
            const part = cut ? chunk.subarray(0, cut.bytes - sent) : chunk;
            sent += part.length;
            const last = cut !== undefined && sent >= cut.bytes;
            // A drop: the connection closes once the part is sent.
            res.write(part);
            if (last) {
              answer.destroy();
              if (cut.then === 'drop') res.socket?.end();
            }
          });
          answer.on('end', () => (cut ? undefined : res.end()));
        });
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      };
      if (fault) fault(req, res, forward);
      else forward();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const stored = JSON.parse(await readFile(join(storage, REGISTRY_STORAGE, 'blobs/sha256', manifest.digest.slice(7, 9), manifest.digest.slice(7), 'data'), 'utf8')) as OciManifest;
    layer = stored.layers[0];
  });
  after(async () => {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await registry.stop();
    await rm(storage, { recursive: true, force: true });
  });
  afterEach(() => {
    fault = undefined;
    // Stalled answers the client gave up on.
    proxy.closeAllConnections();
  });

  /**
   * Pulls through the proxy, which must fail; checks that disk and memory stayed bounded (sampled
   * while the pull runs) and that the error is one line naming the registry; returns the error
   * and how long the pull took.
   */
  async function failingPull(limits: RegistryLimits = FAST): Promise<{ error: RuntimeError; ms: number }> {
    const { store } = temp;
    const baseline = process.memoryUsage.rss();
    let rss = 0;
    let disk = 0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        rss = Math.max(rss, process.memoryUsage.rss() - baseline);
        disk = Math.max(disk, await storeBytes(store));
        await sleep(10);
      }
    })();
    const started = Date.now();
    let error: unknown;
    try {
      await pullImage(store, `${host}/faults/app:v1`, { tlsVerify: false, limits });
    } catch (caught) {
      error = caught;
    } finally {
      done = true;
      await sampler;
    }
    rss = Math.max(rss, process.memoryUsage.rss() - baseline);
    disk = Math.max(disk, await storeBytes(store));
    bounded({ rss, disk });
    assert.ok(error instanceof RuntimeError, `a RuntimeError, not ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    assert.ok(error.message.includes(host), `the registry is named: ${error.message}`);
    assert.deepEqual(await store.listImages(), [], 'no image stored');
    await checkStore(store);
    return { error, ms: Date.now() - started };
  }

  /** Disk: at most the blob's declared size + 1 MiB; memory: less than 300 MB more. */
  function bounded(result: { rss: number; disk: number }): void {
    assert.ok(result.disk <= layer.size + MiB, `store grew to ${result.disk} bytes for a ${layer.size}-byte blob`);
    assert.ok(result.rss < MAX_RSS_GROWTH, `RSS grew by ${result.rss} bytes`);
  }

  it('through the proxy, without faults, the pull works with the small limits', async () => {
    const pulled = await pullImage(temp.store, `${host}/faults/app:v1`, { tlsVerify: false, limits: FAST });
    assert.equal(pulled.image.descriptor.digest, manifest.digest);
    assert.equal(pulled.blobsFetched, 2);
  });

  it('a blob body longer than its size (no Content-Length) stops at the size + 1 and fails, nothing kept', async () => {
    fault = (req, res, forward) => {
      if (req.url !== blobPath()) return forward();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      void pour(res, Buffer.alloc(64 * 1024, 7), layer.size + 200 * MiB);
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.match(result.error.message, new RegExp(`blob ${layer.digest} from ${host}/faults/app: the registry sent more than its declared 5 MiB: refused`));
    assert.deepEqual(await readdir(temp.store.dir('downloads')), [], 'the partial download is removed');
  });

  it('a blob announced (Content-Length) longer than its size fails before it is read', async () => {
    fault = (req, res, forward) => {
      if (req.url !== blobPath()) return forward();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(layer.size + 200 * MiB) });
      void pour(res, Buffer.alloc(64 * 1024, 7), layer.size + 200 * MiB);
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.match(result.error.message, /the registry announced 205 MiB, more than its declared 5 MiB: refused/);
  });

  it('an endless blob body stops at the size + 1 and fails', async () => {
    fault = (req, res, forward) => {
      if (req.url !== blobPath()) return forward();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // "Endless": bounded here only so that the test itself cannot run away.
      void pour(res, Buffer.alloc(64 * 1024, 1), 256 * MiB);
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.match(result.error.message, /sent more than its declared 5 MiB: refused/);
  });

  it('a manifest larger than 4 MiB is refused on its Content-Length, unread', async () => {
    fault = (req, res, forward) => {
      if (req.url !== manifestPath) return forward();
      const size = 6 * MiB;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(size) });
      res.write('{"schemaVersion":2,"padding":"');
      void pour(res, Buffer.alloc(64 * 1024, 'a'), size - 64 * 1024);
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.equal(result.error.message, `manifest v1 of ${host}/faults/app: the registry announced 6 MiB, more than the 4 MiB a manifest may have: refused`);
  });

  it('an endless manifest is read to 4 MiB, then refused', async () => {
    fault = (req, res, forward) => {
      if (req.url !== manifestPath) return forward();
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.write('{"schemaVersion":2,"padding":"');
      void pour(res, Buffer.alloc(64 * 1024, 'a'), 512 * MiB);
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.equal(result.error.message, `manifest v1 of ${host}/faults/app: the registry sent more than the 4 MiB a manifest may have: refused`);
  });

  it('a trickle (a few bytes a second, never idle) ends: too slow, after the tries', async () => {
    let requests = 0;
    fault = (req, res, forward) => {
      if (req.url !== blobPath()) return forward();
      requests++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(layer.size) });
      void (async () => {
        for (let i = 0; i < 2000 && !res.destroyed; i++) {
          res.write(Buffer.alloc(16, 1));
          await sleep(50);
        }
      })();
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.match(result.error.message, new RegExp(`^blob ${layer.digest} from ${host}/faults/app: slower than 16 KiB/s for \\d+ ms after \\d+ bytes of 5 MiB \\(2 tries\\)$`));
    assert.equal(requests, 2);
    assert.ok(result.ms < 8000, `ended in ${result.ms} ms`);
  });

  it('a connection dropped mid-blob every time: a clear error after the tries, with what came', async () => {
    let requests = 0;
    fault = (req, res, forward) => {
      if (req.url !== blobPath()) return forward();
      requests++;
      forward({ bytes: MiB / 2, then: 'drop' });
    };
    const result = await failingPull({ ...FAST, attempts: 3 });
    assert.equal(result.error.code, 'REGISTRY');
    // Each try resumes where the last stopped (Range): 3 × 0.5 MiB (5 tries would not get the 5 MiB either).
    assert.equal(result.error.message, `blob ${layer.digest} from ${host}/faults/app: connection closed after 1.5 MiB of 5 MiB (3 tries)`);
    assert.equal(requests, 3);
  });

  it('a connection dropped mid-blob once is resumed, and the pull works', async () => {
    let requests = 0;
    fault = (req, res, forward) => {
      if (req.url !== blobPath()) return forward();
      requests++;
      forward(requests === 1 ? { bytes: MiB / 2, then: 'drop' } : undefined);
    };
    const pulled = await pullImage(temp.store, `${host}/faults/app:v1`, { tlsVerify: false, limits: FAST });
    assert.equal(pulled.image.descriptor.digest, manifest.digest);
    assert.equal(requests, 2);
  });

  it('a registry that never answers: no answer within the connect timeout, after the tries', async () => {
    let requests = 0;
    fault = (req, _res, forward) => {
      if (req.url !== blobPath()) return forward();
      requests++;
      // Nothing, ever (the connection stays open).
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.equal(result.error.message, `blob ${layer.digest} from ${host}/faults/app: no answer within 500 ms (2 tries)`);
    assert.equal(requests, 2);
    assert.ok(result.ms < 5000, `ended in ${result.ms} ms`);
  });

  it('a blob that stalls mid-way: no data for the idle timeout, after the tries', async () => {
    fault = (req, res, forward) => {
      if (req.url !== blobPath()) return forward();
      forward({ bytes: 100 * 1024, then: 'stall' });
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.equal(result.error.message, `blob ${layer.digest} from ${host}/faults/app: no data for 500 ms after 200 KiB of 5 MiB (2 tries)`);
    assert.ok(result.ms < 5000, `ended in ${result.ms} ms`);
  });

  it('a manifest that stalls mid-way: no data for the idle timeout, after the tries', async () => {
    fault = (req, res, forward) => {
      if (req.url !== manifestPath) return forward();
      forward({ bytes: 10, then: 'stall' });
    };
    const result = await failingPull();
    assert.equal(result.error.code, 'REGISTRY');
    assert.equal(result.error.message, `manifest v1 of ${host}/faults/app: no data for 500 ms (2 tries)`);
  });
});
