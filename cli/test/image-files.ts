/** The files of built images, for end-to-end tests: one file from our store, or every platform's tree from an OCI archive. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStore, platformImages } from '@kubefile/runtime';

/** One file of a platform's image in our store, read from the last layer that has it. */
export async function imageFile(root: string, name: string, platform: string, path: string): Promise<Buffer> {
  const store = await ImageStore.open(root);
  const image = await store.getImage(name);
  const found = (await platformImages(store, image.descriptor)).find((p) => p.key === platform);
  assert.ok(found, `${name} has ${platform}`);
  for (const layer of [...found.manifest.layers].reverse()) {
    const blob = store.blobPath(layer.digest);
    const listing = execFileSync('tar', ['-tf', blob], { encoding: 'utf8' }).split('\n');
    if (listing.includes(path)) return execFileSync('tar', ['-xOf', blob, path], { maxBuffer: 64 << 20 });
  }
  assert.fail(`${path} is not in ${name} for ${platform}`);
}

interface Descriptor {
  digest: string;
}

/**
 * Each platform's file tree in an OCI archive (ours or another tool's), by architecture: one line per
 * entry, sorted, `path dir`, `path -> target` or `path file MODE sha256:… SIZE`, so two trees compare
 * as arrays with a readable diff. Layers are applied in order by extracting them as root (which keeps
 * modes); the images compared have no whiteouts. Directory modes are left out: a COPY's parent
 * directories are a tool's choice, the files are the build's result.
 */
export async function archiveTrees(archive: string, work: string): Promise<Map<string, string[]>> {
  const layout = join(work, 'layout');
  await mkdir(layout, { recursive: true });
  execFileSync('tar', ['-xf', archive, '-C', layout]);
  const blob = (digest: string): string => join(layout, 'blobs', ...digest.split(':'));
  const trees = new Map<string, string[]>();
  const visit = async (descriptor: Descriptor): Promise<void> => {
    const document = JSON.parse(await readFile(blob(descriptor.digest), 'utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    // Indexes nest (an archive's index.json names the image's index).
    if (document.manifests) {
      for (const entry of document.manifests) await visit(entry);
      return;
    }
    assert.ok(document.config && document.layers, `${descriptor.digest} is neither an index nor a manifest`);
    const { architecture } = JSON.parse(await readFile(blob(document.config.digest), 'utf8')) as { architecture: string };
    const rootfs = join(work, `rootfs-${architecture}`);
    await mkdir(rootfs, { recursive: true });
    // GNU tar reads gzip layers (buildah's) as well as plain ones (ours).
    for (const layer of document.layers) execFileSync('tar', ['-xf', blob(layer.digest), '-C', rootfs]);
    trees.set(architecture, await treeLines(rootfs));
  };
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  for (const entry of index.manifests) await visit(entry);
  return trees;
}

async function treeLines(rootfs: string, prefix = ''): Promise<string[]> {
  const lines: string[] = [];
  for (const name of (await readdir(join(rootfs, prefix))).sort()) {
    const path = prefix ? `${prefix}/${name}` : name;
    const full = join(rootfs, path);
    const stat = await lstat(full);
    if (stat.isDirectory()) lines.push(`${path}/ dir`, ...(await treeLines(rootfs, path)));
    else if (stat.isSymbolicLink()) lines.push(`${path} -> ${await readlink(full)}`);
    else {
      const content = await readFile(full);
      lines.push(`${path} file ${(stat.mode & 0o7777).toString(8).padStart(4, '0')} sha256:${createHash('sha256').update(content).digest('hex').slice(0, 16)} ${content.length}`);
    }
  }
  return lines;
}
