/** Test helpers for images made of raw layer blobs (empty, gzipped, hand-made tars). */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Header } from 'tar';
import { parsePlatform } from '@kubefile/compiler';
import { CLUSTER_IMAGE_KEY, MEDIA_TYPE, type Descriptor, type ImageStore, type OciImageConfig, type OciIndex, type OciManifest, type StoredImage } from '../src/index.js';
import { toOciPlatform } from '../src/image/oci.js';

/** Stores `bytes` as a layer blob (gzip media type when they are gzipped). */
export async function rawLayer(store: ImageStore, bytes: Buffer): Promise<Descriptor> {
  const ref = await store.writeBlob(bytes);
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return { mediaType: gzipped ? MEDIA_TYPE.layerGzip : MEDIA_TYPE.layer, digest: ref.digest, size: ref.size };
}

/** The diff ID of a stored layer: the sha256 of its uncompressed bytes. */
export async function diffIdOf(store: ImageStore, layer: Descriptor): Promise<`sha256:${string}`> {
  const bytes = await store.readBlob(layer.digest);
  const plain = layer.mediaType === MEDIA_TYPE.layerGzip ? gunzipSync(bytes) : bytes;
  return `sha256:${createHash('sha256').update(plain).digest('hex')}`;
}

/** Names `name` an image of one platform over `layers`, with `diffIds` (by default the right ones). */
export async function makeRawImage(store: ImageStore, name: string, layers: Descriptor[], options: { platform?: string; diffIds?: string[] } = {}): Promise<StoredImage> {
  const platform = toOciPlatform(parsePlatform(options.platform ?? 'linux/amd64'));
  const diffIds = options.diffIds ?? (await Promise.all(layers.map((layer) => diffIdOf(store, layer))));
  const config: OciImageConfig = {
    created: '2026-01-01T00:00:00Z',
    ...platform,
    config: {},
    rootfs: { type: 'layers', diff_ids: diffIds as `sha256:${string}`[] },
    [CLUSTER_IMAGE_KEY]: { cmds: [], parentCmds: 0, args: {}, layers: layers.map(() => ({ type: 'COPY', value: 'layer' })) },
  };
  const configDescriptor = await store.putJson(config, MEDIA_TYPE.config);
  const manifest: OciManifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.manifest, config: configDescriptor, layers };
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [{ ...(await store.putJson(manifest, MEDIA_TYPE.manifest)), platform }] };
  return store.setImage(name, await store.putJson(index, MEDIA_TYPE.index));
}

/** A plain tar of `entries` like fixtures' rawTar, with each entry's own mode. */
export function tarWithModes(entries: { path: string; type?: 'File' | 'Directory' | 'SymbolicLink'; body?: Buffer | string; linkpath?: string; mode?: number }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    const type = entry.type ?? 'File';
    new Header({ path: entry.path, type, mode: entry.mode ?? (type === 'File' ? 0o644 : 0o755), uid: 0, gid: 0, size: body.length, mtime: new Date(0), ...(entry.linkpath !== undefined ? { linkpath: entry.linkpath } : {}) }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
