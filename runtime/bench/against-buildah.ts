/** What the benches against buildah share: the storage driver it can use here, removing a work directory, and reading the images' files. */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './bench-process.js';
import { unmountUnder } from '../src/index.js';

/** The storage driver buildah can use here: overlay (a container's root mounted), else vfs (with why). */
export async function buildahDriver(work: string): Promise<{ driver: string; why?: string }> {
  const dir = join(work, 'probe');
  const global = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'overlay'];
  try {
    const container = run('buildah', [...global, 'from', 'scratch']).trim();
    run('buildah', [...global, 'mount', container]);
    run('buildah', [...global, 'rm', container]);
    return { driver: 'overlay' };
  } catch (error) {
    return { driver: 'vfs', why: (error as Error).message.split('\n').slice(-3).join(' ') };
  } finally {
    await clean(dir);
  }
}

/** Removes a work directory, unmounting what is mounted under it first. */
export async function clean(dir: string): Promise<void> {
  // A build that failed may leave a mount behind; rm must not walk into it.
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

interface Descriptor {
  mediaType?: string;
  digest: string;
}

/** The `etc/` files of each platform's image in an OCI archive, by architecture (layers applied in order). */
export async function etcFiles(archive: string, work: string): Promise<Map<string, Map<string, Buffer>>> {
  const layout = join(work, 'layout');
  await mkdir(layout, { recursive: true });
  run('tar', ['-xf', archive, '-C', layout]);
  const blob = (digest: string): string => join(layout, 'blobs', ...digest.split(':'));
  const found = new Map<string, Map<string, Buffer>>();
  const visit = async (descriptor: Descriptor): Promise<void> => {
    const document = JSON.parse(await readFile(blob(descriptor.digest), 'utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    // Indexes nest (buildah's archive: an index whose one entry is the manifest list).
    if (document.manifests) {
      for (const entry of document.manifests) await visit(entry);
      return;
    }
    if (!document.config || !document.layers) throw new Error(`${descriptor.digest} is neither an index nor a manifest`);
    const { architecture } = JSON.parse(await readFile(blob(document.config.digest), 'utf8')) as { architecture: string };
    const etc = new Map<string, Buffer>();
    for (const layer of document.layers) {
      // GNU tar reads gzip layers (buildah's) as well as plain ones (ours).
      const members = run('tar', ['-tf', blob(layer.digest)]).split('\n').filter((name) => /^(\.\/|\/)?etc\/[^/]+$/.test(name));
      for (const member of members) etc.set(member.replace(/^.*etc\//, ''), execFileSync('tar', ['-xOf', blob(layer.digest), member], { maxBuffer: 64 << 20 }));
    }
    found.set(architecture, etc);
  };
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  for (const entry of index.manifests) await visit(entry);
  return found;
}

/** How long one build takes, in ms; its files are written back afterwards, outside the timing, so the next contender does not pay for them. */
export function timeBuild(build: () => void): number {
  const started = process.hrtime.bigint();
  build();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  run('sync', []);
  return ms;
}
