/**
 * ADD (and APP/CNI/CSI) with http(s):// sources: downloaded as BuildKit does (named after the
 * URL path's last element, mode 0600, mtime from Last-Modified), within limits, once per build,
 * cached by content. A local server on 127.0.0.1 plays every kind of remote, hostile ones included.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildImage, ImageStore, platformImages, RuntimeError, type BuildEvent } from '../src/index.js';
import { downloadName, formatBytes, maxDownloadBytes, withoutUserinfo } from '../src/build/download.js';
import { build, imageFiles, plansOf, tmpFiles, writeTree } from './build-helpers.js';
import { useTempStore } from './fixtures.js';

const TWO = ['linux/amd64', 'linux/arm64'];
const MODIFIED = 'Tue, 14 Nov 2023 22:13:20 GMT';
const FAST = { idleTimeoutMs: 300, attempts: 2 };

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('ADD with URLs', () => {
  let server: Server;
  let base: string;
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const temp = useTempStore('kubefile-context-');
  let store: ImageStore;
  let context: string;

  before(async () => {
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const handler = routes.get(path);
      if (handler) handler(request, response);
      else {
        response.statusCode = 404;
        response.statusMessage = 'Nothing here, try https://evil.example';
        response.end('no such file');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    ({ store, dir: context } = temp);
    routes.clear();
    hits.clear();
  });
  afterEach(() => server.closeAllConnections());

  /** Serves `body` at `path`, with Content-Length and Last-Modified. */
  function serve(path: string, body: string | Buffer, headers: Record<string, string> = { 'last-modified': MODIFIED }): void {
    routes.set(path, (_request, response) => {
      response.writeHead(200, { 'content-length': Buffer.byteLength(body), ...headers });
      response.end(body);
    });
  }

  /** `tar -tv` lines of a platform's layer: mode, owner, size, date, time and path. */
  async function layerListing(name: string, layer = 0, platform = 'linux/amd64'): Promise<string[]> {
    const found = (await platformImages(store, (await store.getImage(name)).descriptor)).find((p) => p.key === platform);
    assert.ok(found);
    const out = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', store.blobPath(found.manifest.layers[layer].digest)], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    return out.trim().split('\n').map((line) => line.split(/\s+/).filter((_, i) => i !== 1).join(' '));
  }

  function fails(pattern: string | RegExp, code: RuntimeError['code'] = 'SOURCE', line?: number): (error: unknown) => boolean {
    return (error) => {
      assert.ok(error instanceof RuntimeError, `not a RuntimeError: ${String(error)}`);
      assert.equal(error.code, code);
      if (typeof pattern === 'string') assert.equal(error.message, pattern);
      else assert.match(error.message, pattern);
      if (line !== undefined) assert.deepEqual(error.location, { file: 'Kubefile', line, column: 1 });
      return true;
    };
  }

  it('names the file after the URL path, into a directory or as the destination, mode 0600 and the Last-Modified mtime', async () => {
    serve('/files/app.yaml', 'kind: ConfigMap\n');
    serve('/files/raw', 'no date', {});
    serve('/files/tool?version=1', '#!/bin/sh\n');
    const kubefile = [
      'FROM scratch',
      `ADD ${base}/files/app.yaml etc/`,
      `ADD ${base}/files/app.yaml etc/renamed.yaml`,
      `ADD ${base}/files/raw statics`,
      `ADD --chmod=755 ${base}/files/tool?version=1 scripts/`,
      `ADD ${base}/files/tool?version=1 etc/tool.sh`,
    ].join('\n');
    await build(store, context, `${kubefile}\n`, 'add:v1', ['linux/amd64']);
    assert.deepEqual(await layerListing('add:v1', 0), ['drwxr-xr-x 0 1970-01-01 00:00:00 etc/', '-rw------- 16 2023-11-14 22:13:20 etc/app.yaml']);
    assert.deepEqual(await layerListing('add:v1', 1), ['drwxr-xr-x 0 1970-01-01 00:00:00 etc/', '-rw------- 16 2023-11-14 22:13:20 etc/renamed.yaml']);
    // No Last-Modified: the epoch, as BuildKit; a rootfs directory takes the file inside.
    assert.deepEqual(await layerListing('add:v1', 2), ['drwxr-xr-x 0 1970-01-01 00:00:00 statics/', '-rw------- 7 1970-01-01 00:00:00 statics/raw']);
    assert.deepEqual(await layerListing('add:v1', 3), ['drwxr-xr-x 0 1970-01-01 00:00:00 scripts/', '-rwxr-xr-x 10 2023-11-14 22:13:20 scripts/tool']);
    // The query is no wildcard: the file is the destination.
    assert.deepEqual(await layerListing('add:v1', 4), ['drwxr-xr-x 0 1970-01-01 00:00:00 etc/', '-rw------- 10 2023-11-14 22:13:20 etc/tool.sh']);
    const [image] = await platformImages(store, (await store.getImage('add:v1')).descriptor);
    assert.equal(image.config.history?.[0].created_by, `ADD ${base}/files/app.yaml etc`);
    assert.deepEqual(await tmpFiles(store), []);
  });

  it('mixes context files and URLs in the order written, a later one replacing an earlier one', async () => {
    await writeTree(context, { 'app.yaml': 'local\n', 'notes.txt': 'notes\n' });
    serve('/v2/app.yaml', 'remote\n');
    await build(store, context, `FROM scratch\nADD app.yaml ${base}/v2/app.yaml notes.txt etc/\n`, 'mixed:v1', ['linux/amd64']);
    const listing = await layerListing('mixed:v1');
    assert.deepEqual(listing.map((line) => line.replace(/ \S+ \S+ (?=\S+$)/, ' ')), ['drwxr-xr-x 0 etc/', '-rw------- 7 etc/app.yaml', '-rw-r--r-- 6 etc/notes.txt']);
  });

  it('APP with a remote source downloads it into application/apps/<name>/, once for all platforms', async () => {
    serve('/apps/web.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n');
    const result = await build(store, context, `FROM scratch\nAPP web ${base}/apps/web.yaml\nLAUNCH ["web"]\n`, 'app:v1', TWO);
    assert.deepEqual(await imageFiles(store, 'app:v1', 'linux/amd64'), ['application/apps/web/web.yaml']);
    assert.deepEqual(await imageFiles(store, 'app:v1', 'linux/arm64/v8'), ['application/apps/web/web.yaml']);
    assert.equal(hits.get('/apps/web.yaml'), 1, 'downloaded once');
    const done = result.events.filter((e): e is Extract<BuildEvent, { type: 'step-done' }> => e.type === 'step-done' && e.step === 2);
    assert.deepEqual(done.map((e) => e.shared).sort(), [false, true]);
    const [amd, arm] = await platformImages(store, (await store.getImage('app:v1')).descriptor);
    assert.equal(amd.manifest.layers[0].digest, arm.manifest.layers[0].digest);
  });

  it('two ADDs of different URLs to one directory are two downloads', async () => {
    serve('/a.yaml', 'a: 1\n');
    serve('/b.yaml', 'b: 2\n');
    await build(store, context, `FROM scratch\nADD ${base}/a.yaml etc/\nADD ${base}/b.yaml etc/\n`, 'two:v1', TWO);
    assert.deepEqual(await imageFiles(store, 'two:v1', 'linux/arm64/v8'), ['etc/a.yaml', 'etc/b.yaml']);
    assert.equal(hits.get('/a.yaml'), 1);
    assert.equal(hits.get('/b.yaml'), 1);
  });

  it('fails on HTTP errors with one line naming the URL without its userinfo, at the Kubefile line', async () => {
    await assert.rejects(
      build(store, context, `FROM scratch\nADD http://user:s3cret@${base.slice('http://'.length)}/missing.yaml etc/\n`, 'x:v1', ['linux/amd64'], { download: FAST }),
      fails(`downloading ${base}/missing.yaml: HTTP 404 Not Found`, 'SOURCE', 2),
    );
    let authorization: string | undefined;
    routes.set('/private.yaml', (request, response) => {
      authorization = request.headers.authorization;
      response.writeHead(403).end();
    });
    await assert.rejects(
      build(store, context, `FROM scratch\nADD http://user:s3cret@${base.slice('http://'.length)}/private.yaml etc/\n`, 'x:v1', ['linux/amd64'], { download: FAST }),
      fails(`downloading ${base}/private.yaml: HTTP 403 Forbidden`),
    );
    assert.equal(authorization, `Basic ${Buffer.from('user:s3cret').toString('base64')}`);
    assert.equal(await store.findImage('x:v1'), undefined);
    assert.deepEqual(await tmpFiles(store), []);
  });

  it('shows no userinfo in the build log or the image history', async () => {
    routes.set('/secret.yaml', (_request, response) => response.writeHead(200).end('kind: ConfigMap\n'));
    const built = await build(store, context, `FROM scratch\nADD http://user:s3cret@${base.slice('http://'.length)}/secret.yaml etc/\n`, 'creds:v1', ['linux/amd64'], { download: FAST });
    const steps = built.events.flatMap((event) => (event.type === 'step' ? [event.text] : []));
    assert.ok(steps.includes(`ADD ${base}/secret.yaml etc/`), steps.join('\n'));
    const [image] = await platformImages(store, (await store.getImage('creds:v1')).descriptor);
    assert.doesNotMatch(JSON.stringify([steps, image!.config]), /s3cret/);
  });

  it('retries 5xx answers and broken connections, then says how many tries failed', async () => {
    let calls = 0;
    routes.set('/flaky.yaml', (_request, response) => {
      if (++calls === 1) response.writeHead(503).end();
      else response.writeHead(200, { 'content-length': 5 }).end('ok: 1');
    });
    await build(store, context, `FROM scratch\nADD ${base}/flaky.yaml etc/\n`, 'flaky:v1', ['linux/amd64'], { download: FAST });
    assert.deepEqual(await imageFiles(store, 'flaky:v1', 'linux/amd64'), ['etc/flaky.yaml']);
    assert.equal(calls, 2);
    routes.set('/cut.yaml', (_request, response) => {
      response.writeHead(200, { 'content-length': 100 });
      response.write('x'.repeat(50), () => setTimeout(() => response.socket?.destroy(), 50));
    });
    await assert.rejects(
      build(store, context, `FROM scratch\nADD ${base}/cut.yaml etc/\n`, 'x:v1', ['linux/amd64'], { download: FAST }),
      fails(`downloading ${base}/cut.yaml: the connection broke after 50 bytes (2 attempts)`),
    );
    routes.set('/down.yaml', (_request, response) => response.writeHead(502).end());
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/down.yaml etc/\n`, 'x:v1', ['linux/amd64'], { download: FAST }), fails(`downloading ${base}/down.yaml: HTTP 502 Bad Gateway (2 attempts)`));
    assert.equal(hits.get('/down.yaml'), 2);
    // Nothing listens on port 9 of 127.0.0.1 (discard): refused at once.
    await assert.rejects(build(store, context, 'FROM scratch\nADD http://127.0.0.1:9/x.yaml etc/\n', 'x:v1', ['linux/amd64'], { download: FAST }), fails('downloading http://127.0.0.1:9/x.yaml: connection refused (2 attempts)'));
  });

  it('refuses a body larger than the cap, by Content-Length or while streaming', async () => {
    const limits = { download: { ...FAST, maxBytes: 1024 } };
    let sent = 0;
    routes.set('/big.bin', (_request, response) => {
      response.writeHead(200, { 'content-length': 1 << 30 });
      response.write(Buffer.alloc(16));
    });
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/big.bin statics\n`, 'x:v1', ['linux/amd64'], limits), fails(`downloading ${base}/big.bin: larger than 1 KiB (KUBEFILE_ADD_MAX_BYTES sets the limit)`));
    // No Content-Length: the stream is cut just past the cap.
    routes.set('/endless.bin', (_request, response) => {
      response.writeHead(200);
      const more = (): void => {
        if (response.destroyed || sent > 1 << 20) return;
        sent += 4096;
        if (response.write(Buffer.alloc(4096))) setImmediate(more);
        else response.once('drain', more);
      };
      more();
    });
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/endless.bin statics\n`, 'x:v1', ['linux/amd64'], limits), fails(`downloading ${base}/endless.bin: larger than 1 KiB (KUBEFILE_ADD_MAX_BYTES sets the limit)`));
    assert.ok(sent < 1 << 20, `stopped reading early (${sent} bytes sent)`);
    assert.equal(hits.get('/endless.bin'), 1, 'not retried');
    assert.deepEqual(await tmpFiles(store), []);
    // The default cap and its knob.
    assert.equal(maxDownloadBytes(undefined, {}), 1 << 30);
    assert.equal(maxDownloadBytes(undefined, { KUBEFILE_ADD_MAX_BYTES: '2048' }), 2048);
    assert.equal(maxDownloadBytes(undefined, { KUBEFILE_ADD_MAX_BYTES: '512M' }), 512 << 20);
    assert.equal(maxDownloadBytes(5, { KUBEFILE_ADD_MAX_BYTES: '512M' }), 5);
    assert.throws(() => maxDownloadBytes(undefined, { KUBEFILE_ADD_MAX_BYTES: 'lots' }), fails('KUBEFILE_ADD_MAX_BYTES="lots": not a size (write bytes, or a number with K, M or G)'));
    assert.deepEqual([1 << 30, 3 << 20, 1024, 1000].map(formatBytes), ['1 GiB', '3 MiB', '1 KiB', '1000 bytes']);
  });

  it('gives up on a server that stops sending or never answers', async () => {
    routes.set('/stalls.bin', (_request, response) => {
      response.writeHead(200, { 'content-length': 1000 });
      response.write(Buffer.alloc(10));
    });
    routes.set('/silent.bin', () => undefined);
    const started = Date.now();
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/stalls.bin statics\n`, 'x:v1', ['linux/amd64'], { download: FAST }), fails(`downloading ${base}/stalls.bin: no data for 300 ms`));
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/silent.bin statics\n`, 'x:v1', ['linux/amd64'], { download: FAST }), fails(`downloading ${base}/silent.bin: no answer for 300 ms`));
    assert.ok(Date.now() - started < 3000, 'timeouts are not retried');
    assert.deepEqual(await tmpFiles(store), []);
  });

  it('follows redirects, at most 10, only to http(s)', async () => {
    serve('/files/chart.yaml', 'kind: ConfigMap\n');
    routes.set('/latest', (_request, response) => response.writeHead(302, { location: '/files/chart.yaml' }).end());
    await build(store, context, `FROM scratch\nADD ${base}/latest etc/\n`, 'redirect:v1', ['linux/amd64']);
    // Named after the URL written, as BuildKit's Dockerfile frontend does.
    assert.deepEqual(await imageFiles(store, 'redirect:v1', 'linux/amd64'), ['etc/latest']);
    routes.set('/loop', (_request, response) => response.writeHead(307, { location: `${base}/loop` }).end());
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/loop etc/\n`, 'x:v1', ['linux/amd64'], { download: FAST }), fails(`downloading ${base}/loop: more than 10 redirects`));
    assert.equal(hits.get('/loop'), 11);
    routes.set('/ftp', (_request, response) => response.writeHead(301, { location: 'ftp://example.com/x' }).end());
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/ftp etc/\n`, 'x:v1', ['linux/amd64'], { download: FAST }), fails(`downloading ${base}/ftp: redirected to a ftp URL; only http and https are downloaded`));
    routes.set('/gone', (_request, response) => response.writeHead(302, { location: '/nowhere' }).end());
    await assert.rejects(build(store, context, `FROM scratch\nADD ${base}/gone etc/\n`, 'x:v1', ['linux/amd64'], { download: FAST }), fails(`downloading ${base}/gone: HTTP 404 Not Found (redirected to ${base}/nowhere)`));
  });

  it('an interrupted download leaves no temp file and no image', async () => {
    routes.set('/slow.bin', (_request, response) => {
      response.writeHead(200, { 'content-length': 1 << 20 });
      response.write(Buffer.alloc(64 << 10));
    });
    const plans = await plansOf(context, `FROM scratch\nADD ${base}/slow.bin statics\n`, TWO);
    const controller = new AbortController();
    const building = buildImage({ store, plans, context, tag: 'stopped:v1', signal: controller.signal, onEvent: (e) => e.type === 'step-bytes' && controller.abort() });
    await assert.rejects(building, (error: RuntimeError) => error.code === 'INTERRUPTED');
    assert.equal(await store.findImage('stopped:v1'), undefined);
    assert.deepEqual(await tmpFiles(store), []);
  });

  it('downloads again on every build, and reuses the layer while the content is the same', async () => {
    let body = 'version: 1\n';
    routes.set('/conf.yaml', (_request, response) => response.writeHead(200, { 'content-length': body.length }).end(body));
    const kubefile = `FROM scratch\nADD ${base}/conf.yaml etc/\n`;
    const first = await build(store, context, kubefile, 'cache:v1', ['linux/amd64']);
    assert.equal(first.layersBuilt, 1);
    const second = await build(store, context, kubefile, 'cache:v1', ['linux/amd64']);
    assert.deepEqual([second.layersBuilt, second.layersCached, hits.get('/conf.yaml')], [0, 1, 2]);
    const noCache = await build(store, context, kubefile, 'cache:v1', ['linux/amd64'], { noCache: true });
    assert.deepEqual([noCache.layersBuilt, noCache.layersCached], [1, 0]);
    body = 'version: 2\n';
    const changed = await build(store, context, kubefile, 'cache:v1', ['linux/amd64']);
    assert.deepEqual([changed.layersBuilt, changed.layersCached, hits.get('/conf.yaml')], [1, 0, 4]);
    assert.notEqual(changed.manifests[0].descriptor.digest, first.manifests[0].descriptor.digest);
  });

  it('names files as BuildKit does, and keeps credentials out of messages', () => {
    assert.equal(downloadName('https://example.com/charts/app-1.0.tgz'), 'app-1.0.tgz');
    assert.equal(downloadName('https://example.com/dir/'), 'dir');
    assert.equal(downloadName('https://example.com/a%20b.yaml?x=1#top'), 'a b.yaml');
    assert.equal(downloadName('https://example.com'), '__unnamed__');
    assert.equal(downloadName('https://example.com/'), '__unnamed__');
    assert.equal(downloadName('https://example.com/x/..%2F'), '__unnamed__');
    assert.equal(downloadName('https://example.com/x/%2e%2e'), '__unnamed__');
    assert.equal(downloadName('https://example.com/%E0%A4%A'), '__unnamed__');
    assert.equal(withoutUserinfo('https://me:pw@example.com/x?y=1'), 'https://example.com/x?y=1');
    assert.equal(withoutUserinfo('https://example.com/x'), 'https://example.com/x');
  });
});
