/** Test helpers: registry storages written by hand (distribution's filesystem layout), a real docker-registry serving one, and a token server for it. */
import bcrypt from 'bcryptjs';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { MEDIA_TYPE, REGISTRY_STORAGE, type Descriptor, type Digest } from '../src/index.js';

/** Stores `bytes` as a blob of the registry storage at `root`; returns its descriptor. */
export async function putBlob(root: string, bytes: Buffer | string, mediaType: string): Promise<Descriptor> {
  const data = Buffer.from(bytes);
  const hex = createHash('sha256').update(data).digest('hex');
  const path = join(root, REGISTRY_STORAGE, 'blobs/sha256', hex.slice(0, 2), hex, 'data');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return { mediaType, digest: `sha256:${hex}` as Digest, size: data.length };
}

async function putLink(root: string, repository: string, kind: string, digest: Digest): Promise<void> {
  const path = join(root, REGISTRY_STORAGE, 'repositories', repository, kind, 'sha256', digest.slice(7), 'link');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, digest);
}

/** Tags `manifest` (already a blob) as repository:tag. */
export async function putTag(root: string, repository: string, tag: string, manifest: Descriptor): Promise<void> {
  await putLink(root, repository, '_manifests/revisions', manifest.digest);
  const dir = join(root, REGISTRY_STORAGE, 'repositories', repository, '_manifests/tags', tag);
  await mkdir(join(dir, 'current'), { recursive: true });
  await writeFile(join(dir, 'current/link'), manifest.digest);
  await putLink(root, repository, `_manifests/tags/${tag}/index`, manifest.digest);
}

/** One single-platform Docker image (config and one layer) in repository; returns its manifest, not tagged. */
export async function putImage(root: string, repository: string, architecture: string, layer: string): Promise<Descriptor> {
  const layerBlob = await putBlob(root, layer, MEDIA_TYPE.dockerLayerGzip);
  const config = await putBlob(root, JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [layerBlob.digest] } }), MEDIA_TYPE.dockerConfig);
  for (const blob of [layerBlob, config]) await putLink(root, repository, '_layers', blob.digest);
  const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.dockerManifest, config, layers: [layerBlob] };
  const stored = await putBlob(root, JSON.stringify(manifest), MEDIA_TYPE.dockerManifest);
  await putLink(root, repository, '_manifests/revisions', stored.digest);
  return stored;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  stop(): Promise<void>;
}

/** distribution's `auth.token`: it sends clients to `realm` and trusts JWTs signed by a certificate of `rootCertBundle`. */
export interface TokenAuth {
  token: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

/** htpasswd users (name → password), or token auth. */
export type RegistryAuth = Record<string, string> | TokenAuth;

// A user record's values are strings; a token config's `token` is an object.
const isTokenAuth = (auth: RegistryAuth): auth is TokenAuth => typeof auth.token === 'object';

async function authConfig(auth: RegistryAuth | undefined, configDir: string, port: number): Promise<string> {
  if (!auth) return '';
  if (isTokenAuth(auth)) {
    const { realm, service, issuer, rootCertBundle } = auth.token;
    return `auth:\n  token:\n    realm: ${realm}\n    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${rootCertBundle}\n`;
  }
  const htpasswd = join(configDir, `htpasswd-${port}`);
  // distribution reads the $2a$ spelling of bcrypt; the hash is the same.
  await writeFile(htpasswd, Object.entries(auth).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2a$')}\n`).join(''));
  return `auth:\n  htpasswd:\n    realm: test\n    path: ${htpasswd}\n`;
}

/** A self-signed certificate for 127.0.0.1 that may sign itself (Go clients trust it through SSL_CERT_FILE). */
export interface TestCertificate {
  cert: string;
  key: string;
}

export async function selfSignedCertificate(dir: string): Promise<TestCertificate> {
  const cert = join(dir, 'registry-cert.pem');
  const key = join(dir, 'registry-key.pem');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE']);
  return { cert, key };
}

/**
 * Starts Debian's docker-registry on a free loopback port over the storage at `root`, and waits
 * until it answers. With `auth`, it asks for users (htpasswd, bcrypt) or for tokens; with `tls`, it
 * serves HTTPS with that certificate.
 */
export async function startRegistry(root: string, configDir: string, auth?: RegistryAuth, tls?: TestCertificate): Promise<RunningRegistry> {
  const port = await freePort();
  const config = join(configDir, `registry-${port}.yml`);
  const authYaml = await authConfig(auth, configDir, port);
  const tlsYaml = tls ? `  tls:\n    certificate: ${tls.cert}\n    key: ${tls.key}\n` : '';
  await writeFile(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${tlsYaml}${authYaml}`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await exited;
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    // 401 is an answer too (a registry with users).
    const status = await answer(port, tls);
    if (status === 200 || status === 401) return { host: `127.0.0.1:${port}`, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port}: ${stderr}`);
}

/** The status of GET /v2/, or undefined while nothing answers. */
function answer(port: number, tls: TestCertificate | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = (tls ? httpsRequest : httpRequest)({ host: '127.0.0.1', port, path: '/v2/', ...(tls ? { rejectUnauthorized: false } : {}) }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.once('error', () => resolve(undefined));
    request.end();
  });
}

/** What the token server was asked: the user (undefined: anonymous), the service and the scopes. */
export interface TokenRequest {
  user: string | undefined;
  service: string | null;
  scopes: string[];
}

export interface RunningTokenServer {
  /** `http://127.0.0.1:PORT/token` */
  realm: string;
  /** The self-signed certificate the tokens are signed with (the registry's `rootcertbundle`). */
  certPath: string;
  /** Ready for `startRegistry`. */
  auth: TokenAuth;
  /** Every request, in order, including refused ones. */
  requests: TokenRequest[];
  stop(): Promise<void>;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/**
 * A minimal token server (distribution's token auth spec) on a free loopback port. `users` get
 * every action they ask for; anonymous requests get a token with no access (so the registry
 * answers 401, as a real one does for private repositories); a wrong password gets 401.
 */
export async function startTokenServer(dir: string, users: Record<string, string>, { service = 'test-registry', issuer = 'test-issuer' } = {}): Promise<RunningTokenServer> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  // Node can sign but not make certificates; distribution wants one in its bundle.
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=test-token-issuer']);
  const key = createPrivateKey(await readFile(keyPath));
  // distribution checks the x5c chain against its bundle, then the signature with the leaf's key.
  const header = { typ: 'JWT', alg: 'RS256', x5c: [new X509Certificate(await readFile(certPath)).raw.toString('base64')] };
  const requests: TokenRequest[] = [];

  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    const [user, ...rest] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [];
    const scopes = url.searchParams.getAll('scope');
    requests.push({ user, service: url.searchParams.get('service'), scopes });
    if (url.pathname !== '/token') return void res.writeHead(404).end();
    if (user !== undefined && users[user] !== rest.join(':')) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="token"' }).end();
    }
    const access = user === undefined ? [] : scopes.flatMap((scope) => {
      const parts = scope.split(':');
      if (parts.length < 3) return [];
      return [{ type: parts[0], name: parts.slice(1, -1).join(':'), actions: parts[parts.length - 1].split(',') }];
    });
    const now = Math.floor(Date.now() / 1000);
    // nbf a little in the past: distribution allows only a small clock skew.
    const claims = { iss: issuer, sub: user ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const token = `${signed}.${base64url(sign('sha256', Buffer.from(signed), key))}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  const realm = `http://127.0.0.1:${address.port}/token`;
  return {
    realm,
    certPath,
    auth: { token: { realm, service, issuer, rootCertBundle: certPath } },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
