/**
 * OCI image layouts that are not the store: checking their `oci-layout` and `index.json`, choosing one
 * of their images, walking an image's blobs, and copying an image out of a layout directory
 * (`FROM oci:DIR[:TAG]`). Archives (`oci-archive:`) are read by `archive.ts`, which shares these.
 */
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, isDigest, type Digest } from '../image/digest.js';
import { errnoCode, RuntimeError, throwIfAborted, type RuntimeErrorCode } from '../errors.js';
import { normalizeImageName } from '../image/names.js';
import { ANNOTATION, isIndexMediaType, isManifestMediaType, type Descriptor } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

/** Builds the error for something wrong with a layout: INVALID_ARCHIVE for archives, INVALID_IMAGE for directories. */
export type LayoutFault = (message: string) => RuntimeError;

export function layoutFault(code: RuntimeErrorCode, where: string): LayoutFault {
  return (message) => new RuntimeError(code, `${where}: ${message}`);
}

/** Checks `oci-layout` and `index.json` (as bytes) and returns the index's entries. */
export function parseLayout(layoutText: Buffer, indexText: Buffer, fault: LayoutFault): Descriptor[] {
  const layout = parseJson(layoutText);
  if (!isRecord(layout) || typeof layout.imageLayoutVersion !== 'string') throw fault('oci-layout is not {"imageLayoutVersion": ...}');
  // Every 1.x layout has the same structure; a 2.x one may not.
  if (!/^1\./.test(layout.imageLayoutVersion)) throw fault(`unsupported image layout version ${JSON.stringify(layout.imageLayoutVersion)} (expected 1.x)`);
  const index = parseJson(indexText);
  if (!isRecord(index) || !Array.isArray(index.manifests)) throw fault('index.json is not an OCI image index (no "manifests" list)');
  return index.manifests.map((entry, i) => checkDescriptor(entry, `index.json entry ${i + 1}`, fault));
}

/**
 * The entry `reference` names: its `org.opencontainers.image.ref.name` exactly, else the one whose
 * name normalizes the same (`app` matches `app:latest`). Without a reference the layout must hold
 * exactly one image.
 */
export function selectLayoutEntry(entries: readonly Descriptor[], reference: string | undefined, where: string): Descriptor {
  const refs = entries.map((entry) => entry.annotations?.[ANNOTATION.refName]);
  const have = refs.length === 0 ? 'it holds no images' : `it has: ${refs.map((ref) => ref ?? '<unnamed>').join(', ')}`;
  if (reference === undefined) {
    if (entries.length === 1) return entries[0];
    throw new RuntimeError('IMAGE_NOT_FOUND', `${where} holds ${entries.length} images; say which one (${have})`);
  }
  const exact = entries.find((entry) => entry.annotations?.[ANNOTATION.refName] === reference);
  if (exact) return exact;
  const wanted = tryNormalize(reference);
  const loose = wanted === undefined ? undefined : entries.find((_, i) => refs[i] !== undefined && tryNormalize(refs[i] ?? '') === wanted);
  if (loose) return loose;
  throw new RuntimeError('IMAGE_NOT_FOUND', `${where} has no image ${JSON.stringify(reference)} (${have})`);
}

/**
 * Visits `root` and every descriptor under it (nested indexes, manifests, configs, layers), calling
 * `ensure` for each before reading it, so `ensure` can bring the blob into the store or check it is
 * there. Indexes and manifests are read from the store. Returns the digests visited.
 */
export async function walkImage(
  store: ImageStore,
  root: Descriptor,
  ensure: (descriptor: Descriptor, from: string) => Promise<void>,
  fault: LayoutFault,
  signal?: AbortSignal,
): Promise<Set<Digest>> {
  const seen = new Set<Digest>();
  const visit = async (value: unknown, from: string): Promise<void> => {
    throwIfAborted(signal);
    const descriptor = checkDescriptor(value, from, fault);
    if (seen.has(descriptor.digest)) return;
    seen.add(descriptor.digest);
    await ensure(descriptor, from);
    const index = isIndexMediaType(descriptor.mediaType);
    const manifest = isManifestMediaType(descriptor.mediaType);
    if (!index && !manifest) return;
    const document = await readDocument(store, descriptor.digest, fault);
    if (index) {
      if (!Array.isArray(document.manifests)) throw fault(`image index ${descriptor.digest} has no "manifests" list`);
      for (const [i, entry] of document.manifests.entries()) await visit(entry, `entry ${i + 1} of image index ${descriptor.digest}`);
    } else {
      if (!Array.isArray(document.layers) || document.config === undefined) throw fault(`${descriptor.digest} is not an image manifest (it needs a config and a layers list)`);
      await visit(document.config, `the config of manifest ${descriptor.digest}`);
      for (const [i, layer] of document.layers.entries()) await visit(layer, `layer ${i + 1} of manifest ${descriptor.digest}`);
    }
  };
  if (!isIndexMediaType(root.mediaType) && !isManifestMediaType(root.mediaType)) {
    throw fault(`${root.digest} has media type ${JSON.stringify(root.mediaType)}, neither an image index nor a manifest`);
  }
  await visit(root, 'index.json');
  return seen;
}

/** `ensure` for blobs that must already be in the store (an archive's were copied in while reading it). */
export function inStore(store: ImageStore, fault: LayoutFault, missing: string): (descriptor: Descriptor, from: string) => Promise<void> {
  return async (descriptor, from) => {
    const size = await store.blobSize(descriptor.digest);
    if (size === undefined) throw fault(`blob ${descriptor.digest} (${from}) ${missing}`);
    if (size !== descriptor.size) throw fault(`blob ${descriptor.digest} is ${size} bytes, but ${from} says ${descriptor.size}`);
    // A build holding a lease keeps it from `prune` only if it was touched since the lease began.
    await store.touchBlob(descriptor.digest);
  };
}

/**
 * Runs an import under a build lease (so a concurrent prune keeps its blobs) and, when it fails,
 * deletes the blobs it created (`work` pushes their digests), so the store is as it was.
 */
export async function importing<T>(store: ImageStore, work: (created: Digest[]) => Promise<T>): Promise<T> {
  const release = await store.lease();
  const created: Digest[] = [];
  try {
    return await work(created);
  } catch (error) {
    await removeBlobs(store, created);
    throw error;
  } finally {
    await release();
  }
}

/** Deletes blobs an import created, so the store is as it was. */
export async function removeBlobs(store: ImageStore, digests: Iterable<Digest>): Promise<void> {
  for (const digest of digests) {
    try {
      await unlink(store.blobPath(digest));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
}

/** The image `reference` selects in the layout directory `dir`, copied into the store (unnamed). */
export async function importFromDirectory(store: ImageStore, dir: string, reference: string | undefined, signal?: AbortSignal): Promise<Descriptor> {
  const where = `OCI layout ${dir}`;
  const fault = layoutFault('INVALID_IMAGE', where);
  const layoutText = await readLayoutFile(dir, 'oci-layout', where);
  const indexText = await readLayoutFile(dir, 'index.json', where);
  const entry = selectLayoutEntry(parseLayout(layoutText, indexText, fault), reference, where);
  return importing(store, async (created) => {
    const present = inStore(store, fault, 'is missing');
    await walkImage(
      store,
      entry,
      async (descriptor, from) => {
        if ((await store.blobSize(descriptor.digest)) === undefined) {
          const ref = await copyLayoutBlob(store, dir, descriptor, from, fault);
          if (ref) created.push(descriptor.digest);
        }
        await present(descriptor, from);
      },
      fault,
      signal,
    );
    return entry;
  });
}

/** Copies one blob file of a layout directory into the store, verifying it; true when the store did not have it. */
async function copyLayoutBlob(store: ImageStore, dir: string, descriptor: Descriptor, from: string, fault: LayoutFault): Promise<boolean> {
  const path = join(dir, 'blobs', 'sha256', digestHex(descriptor.digest));
  let handle;
  try {
    // O_NOFOLLOW: a symlinked blob could read any file of the host into the store.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') throw fault(`blob ${descriptor.digest} (${from}) is missing (no file blobs/sha256/${digestHex(descriptor.digest)})`);
    if (code === 'ELOOP') throw fault(`blobs/sha256/${digestHex(descriptor.digest)} is a symbolic link; blobs must be regular files`);
    throw new RuntimeError('IO', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw fault(`blobs/sha256/${digestHex(descriptor.digest)} is not a regular file`);
    if (stats.size !== descriptor.size) throw fault(`blob ${descriptor.digest} is ${stats.size} bytes, but ${from} says ${descriptor.size}`);
    const ref = await store.writeBlob(handle.createReadStream({ autoClose: false }), { digest: descriptor.digest, size: descriptor.size });
    return ref.created === true;
  } finally {
    await handle.close();
  }
}

async function readLayoutFile(dir: string, name: string, where: string): Promise<Buffer> {
  const path = join(dir, name);
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RuntimeError('INVALID_IMAGE', `${where} is not an OCI image layout: it has no ${name}`);
    if (code === 'ELOOP') throw new RuntimeError('INVALID_IMAGE', `${where}: ${name} is a symbolic link; it must be a regular file`);
    throw new RuntimeError('IO', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new RuntimeError('INVALID_IMAGE', `${where}: ${name} is not a regular file`);
    if (stats.size > MAX_INDEX_BYTES) throw new RuntimeError('INVALID_IMAGE', `${where}: ${name} is larger than ${MAX_INDEX_BYTES} bytes`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** `index.json` is read into memory; a bigger one is not an image index anyone wrote. */
export const MAX_INDEX_BYTES = 16 << 20;

/** Image indexes and manifests: small JSON documents. */
const MAX_DOCUMENT_BYTES = 4 << 20;

interface LayoutDocument {
  manifests?: unknown;
  config?: unknown;
  layers?: unknown;
}

async function readDocument(store: ImageStore, digest: Digest, fault: LayoutFault): Promise<LayoutDocument> {
  const size = await store.blobSize(digest);
  if (size !== undefined && size > MAX_DOCUMENT_BYTES) throw fault(`${digest} is ${size} bytes, too large for an image index or manifest`);
  const document = parseJson(await store.readBlob(digest));
  if (!isRecord(document)) throw fault(`${digest} is not a JSON image index or manifest`);
  return document;
}

function checkDescriptor(value: unknown, from: string, fault: LayoutFault): Descriptor {
  if (!isRecord(value)) throw fault(`${from} is not a descriptor`);
  const { mediaType, digest, size, annotations } = value;
  if (!isDigest(digest)) throw fault(`${from} has digest ${JSON.stringify(digest)}; only sha256 digests are supported`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw fault(`${from} has an invalid size ${JSON.stringify(size)}`);
  if (mediaType !== undefined && typeof mediaType !== 'string') throw fault(`${from} has an invalid media type`);
  if (annotations !== undefined && (!isRecord(annotations) || Object.values(annotations).some((v) => typeof v !== 'string'))) {
    throw fault(`${from} has invalid annotations (they must be strings)`);
  }
  return value as unknown as Descriptor;
}

/** JSON from bytes, or undefined when they are not JSON (callers word the error). */
export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tryNormalize(name: string): string | undefined {
  try {
    return normalizeImageName(name);
  } catch {
    return undefined;
  }
}
