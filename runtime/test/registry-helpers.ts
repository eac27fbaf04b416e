/** Test helpers: registry storages written by hand (distribution's filesystem layout), and a real docker-registry serving one. */
import bcrypt from 'bcryptjs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
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

/**
 * Starts Debian's docker-registry on a free loopback port over the storage at `root`, and waits
 * until it answers. With `users`, it asks for them (htpasswd, bcrypt).
 */
export async function startRegistry(root: string, configDir: string, users?: Record<string, string>): Promise<RunningRegistry> {
  const port = await freePort();
  const config = join(configDir, `registry-${port}.yml`);
  let auth = '';
  if (users) {
    const htpasswd = join(configDir, `htpasswd-${port}`);
    // distribution reads the $2a$ spelling of bcrypt; the hash is the same.
    await writeFile(htpasswd, Object.entries(users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2a$')}\n`).join(''));
    auth = `auth:\n  htpasswd:\n    realm: test\n    path: ${htpasswd}\n`;
  }
  await writeFile(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
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
    const answered = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok || r.status === 401, () => false);
    if (answered) return { host: `127.0.0.1:${port}`, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port}: ${stderr}`);
}
