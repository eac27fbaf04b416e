/**
 * `kubefilec prune`: removes blobs no image name reaches, and layer-cache entries whose blob is
 * gone (entries without a layer stay). Runs under the store lock, so no name changes meanwhile;
 * a build running beside it holds a lease, and every blob written or touched since the oldest live
 * lease began is kept, because that build may be about to name it. (Temp files of dead processes go when the store is opened.)
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Digest } from '../image/digest.js';
import { errnoCode } from '../errors.js';
import { collectBlobs } from './images.js';
import type { ImageStore } from './store.js';

export interface PruneOptions {
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
}

export interface PruneResult {
  /** Blobs removed (or, with dryRun, that would be). */
  blobs: number;
  bytes: number;
  /** Layer-cache entries removed because their blob is gone (or unreadable). */
  cacheEntries: number;
  digests: Digest[];
  dryRun: boolean;
}

/**
 * Lease times are taken by `Date.now()`, file times by the kernel's coarser clock, which can lag by
 * a few milliseconds: keep a margin so a blob written just after a lease began never looks older.
 */
const CLOCK_MARGIN_MS = 2_000;

export async function prune(store: ImageStore, options: PruneOptions = {}): Promise<PruneResult> {
  const dryRun = options.dryRun === true;
  return store.locked(async () => {
    const live = new Map<Digest, number>();
    for (const descriptor of (await store.readIndex()).manifests) {
      // A broken image keeps what it still reaches; it must not stop the whole prune.
      if (isDigest(descriptor?.digest)) await collectBlobs(store, descriptor, live, true);
    }
    const firstLease = await store.oldestLiveLease();
    let candidates = await unreferenced(store, live, firstLease);
    // A build that began while we looked may have touched a blob after we read its time: look again
    // at the few candidates (a stat-to-unlink window remains; a build's lease should come first).
    const lease = await store.oldestLiveLease();
    if (lease !== undefined) {
      candidates = await unreferenced(store, live, firstLease === undefined ? lease : Math.min(lease, firstLease), candidates.map((c) => c.digest));
    }

    const removed: Digest[] = [];
    let bytes = 0;
    for (const { digest, size } of candidates) {
      if (!dryRun) {
        try {
          await unlink(store.blobPath(digest));
        } catch (error) {
          if (errnoCode(error) === 'ENOENT') continue;
          throw error;
        }
      }
      removed.push(digest);
      bytes += size;
    }
    const cacheEntries = await pruneLayerCache(store, new Set(removed), dryRun);
    return { blobs: removed.length, bytes, cacheEntries, digests: removed, dryRun };
  });
}

/** Blobs (of `among`, else all) outside `live` and untouched since `lease` began (less the margin), with their sizes on disk. */
async function unreferenced(store: ImageStore, live: ReadonlyMap<Digest, number>, lease: number | undefined, among?: Digest[]): Promise<{ digest: Digest; size: number }[]> {
  const cutoff = lease === undefined ? Infinity : lease - CLOCK_MARGIN_MS;
  const found: { digest: Digest; size: number }[] = [];
  const digests: Iterable<Digest> | AsyncIterable<Digest> = among ?? store.blobDigests();
  for await (const digest of digests) {
    if (live.has(digest)) continue;
    let info;
    try {
      info = await stat(store.blobPath(digest));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    if (info.mtimeMs >= cutoff) continue;
    found.push({ digest, size: info.size });
  }
  return found;
}

/**
 * Drops `cache/layers/*.json` entries whose layer blob is gone: removed now (`removed`), missing
 * already, or not named at all (an unreadable entry is useless). An entry that never had a layer
 * (image collection that found nothing records only what it learned) stays: it is still right.
 * Entries are written by rename, so an unreadable one is not a build's entry half-written.
 */
async function pruneLayerCache(store: ImageStore, removed: ReadonlySet<Digest>, dryRun: boolean): Promise<number> {
  const dir = join(store.dir('cache'), 'layers');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw error;
  }
  let count = 0;
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const path = join(dir, name);
    let entry: unknown;
    try {
      entry = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      entry = undefined;
    }
    if (!(await staleCacheEntry(store, entry, removed))) continue;
    if (!dryRun) await unlink(path).catch((error: unknown) => (errnoCode(error) === 'ENOENT' ? undefined : Promise.reject(error)));
    count++;
  }
  return count;
}

/** Whether a parsed cache entry is useless: not an entry, or naming a layer that is gone. */
async function staleCacheEntry(store: ImageStore, entry: unknown, removed: ReadonlySet<Digest>): Promise<boolean> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return true;
  const { layer, diffId, meta } = entry as { layer?: { digest?: unknown }; diffId?: unknown; meta?: unknown };
  // No layer: kept as long as it records something (what LayerCache.getEntry reads as a hit).
  if (layer === undefined && diffId === undefined) return meta === undefined;
  const digest = layer?.digest;
  return !isDigest(digest) || removed.has(digest) || !(await store.hasBlob(digest));
}
