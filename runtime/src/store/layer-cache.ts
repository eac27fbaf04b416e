/**
 * The layer cache: cache key → the layer a COPY/ADD produced, as `cache/layers/<key>.json`
 * (`{"layer": Descriptor, "diffId": ...}`). Entries are written by rename, so a killed build
 * leaves none half-written; an entry whose blob is gone (pruned) is a miss. `prune` drops
 * entries whose blob it removed.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Digest } from '../image/digest.js';
import type { LayerResult } from '../build/layer.js';
import type { Descriptor } from '../image/oci.js';
import type { ImageStore } from './store.js';

interface CacheEntry {
  layer?: Descriptor;
  diffId?: Digest;
  /** What the step learned beside its layer (image collection: the images and charts found). */
  meta?: unknown;
}

export class LayerCache {
  private readonly dir: string;

  constructor(private readonly store: ImageStore) {
    this.dir = join(store.dir('cache'), 'layers');
  }

  async get(key: string): Promise<LayerResult | undefined> {
    return (await this.getEntry(key))?.layer;
  }

  /** An entry with its meta; a step may have made no layer (nothing to collect). */
  async getEntry<Meta>(key: string): Promise<{ layer?: LayerResult; meta?: Meta } | undefined> {
    let entry: CacheEntry;
    try {
      entry = JSON.parse(await readFile(this.path(key), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
    const meta = entry.meta === undefined ? {} : { meta: entry.meta as Meta };
    if (entry.layer === undefined && entry.diffId === undefined && entry.meta !== undefined) return meta;
    if (!isDigest(entry.layer?.digest) || !isDigest(entry.diffId)) return undefined;
    if ((await this.store.blobSize(entry.layer.digest)) !== entry.layer.size) return undefined;
    // Reused blobs count as new for a `prune` running beside this build.
    await this.store.touchBlob(entry.layer.digest);
    return { layer: { descriptor: entry.layer, diffId: entry.diffId }, ...meta };
  }

  async put(key: string, layer: LayerResult | undefined, meta?: unknown): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const entry: CacheEntry = { ...(layer ? { layer: layer.descriptor, diffId: layer.diffId } : {}), ...(meta === undefined ? {} : { meta }) };
    const temp = this.store.tempPath('.json');
    await writeFile(temp, JSON.stringify(entry));
    try {
      await rename(temp, this.path(key));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  private path(key: string): string {
    return join(this.dir, `${key}.json`);
  }
}
