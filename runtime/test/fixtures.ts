/** Test fixtures: throw-away stores and small hand-made images (no build needed). */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Header } from 'tar';
import { parsePlatform } from '@kubefile/compiler';
import { CLUSTER_IMAGE_KEY, ImageStore, MEDIA_TYPE, type Descriptor, type OciImageConfig, type OciIndex, type OciManifest, type StoredImage } from '../src/index.js';
import { toOciPlatform } from '../src/image/oci.js';
import { decodeMountPath } from '../src/build/mount.js';

export async function tempDir(prefix = 'kubefile-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A fresh store in a temp directory; `cleanup()` removes it. */
export async function tempStore(): Promise<{ store: ImageStore; root: string; cleanup: () => Promise<void> }> {
  const root = await tempDir('kubefile-store-');
  return { store: await ImageStore.open(root), root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** An uncompressed tar holding `files` (path → content), regular files mode 0644, owner root, mtime 0. */
export function tarOf(files: Record<string, string>): Buffer {
  return rawTar(Object.entries(files).map(([path, body]) => ({ path, body })));
}

export type RawEntryType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';

export interface RawEntry {
  path: string;
  type?: RawEntryType;
  body?: Buffer | string;
  linkpath?: string;
}

/** A tar written header by header, so tests can make archives no well-behaved tool would (`end: false` leaves it truncated). */
export function rawTar(entries: RawEntry[], { end = true } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    new Header({
      path: entry.path,
      type: entry.type ?? 'File',
      mode: entry.type === 'Directory' ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      size: body.length,
      mtime: new Date(0),
      ...(entry.linkpath !== undefined ? { linkpath: entry.linkpath } : {}),
    }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  if (end) blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export interface FixturePlatform {
  platform: string;
  /** One layer per record. */
  layers: Record<string, string>[];
  cmds?: string[];
  /** On the platform's manifest. */
  annotations?: Record<string, string>;
}

/** Stores a multi-platform image made by hand and names it `name`. */
export async function makeImage(store: ImageStore, name: string, platforms: FixturePlatform[]): Promise<StoredImage> {
  const entries: Descriptor[] = [];
  for (const spec of platforms) {
    const platform = toOciPlatform(parsePlatform(spec.platform));
    const layers: Descriptor[] = [];
    for (const files of spec.layers) {
      const ref = await store.writeBlob(tarOf(files));
      layers.push({ mediaType: MEDIA_TYPE.layer, digest: ref.digest, size: ref.size });
    }
    const cmds = spec.cmds ?? [];
    const config: OciImageConfig = {
      created: '2026-01-01T00:00:00Z',
      ...platform,
      config: { Cmd: cmds },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      [CLUSTER_IMAGE_KEY]: { cmds, parentCmds: 0, args: {}, layers: spec.layers.map((files) => ({ type: 'COPY', value: Object.keys(files).join(' ') })) },
    };
    const configDescriptor = await store.putJson(config, MEDIA_TYPE.config);
    const manifest: OciManifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.manifest, config: configDescriptor, layers, ...(spec.annotations ? { annotations: spec.annotations } : {}) };
    entries.push({ ...(await store.putJson(manifest, MEDIA_TYPE.manifest)), platform });
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: entries };
  return store.setImage(name, await store.putJson(index, MEDIA_TYPE.index));
}

export interface TempStore {
  store: ImageStore;
  root: string;
  /** A fresh, empty directory beside the store (a build context, an archive's folder ...). */
  dir: string;
  /** Another empty store, also removed after the test. */
  anotherStore(): Promise<ImageStore>;
}

/**
 * Registers mocha hooks giving each test a fresh store and directory, removed after it. Read the
 * fields inside a test or hook: `beforeEach(() => ({ store, dir } = temp))`.
 */
export function useTempStore(prefix = 'kubefile-test-'): TempStore {
  const cleanups: (() => Promise<void>)[] = [];
  const current: Partial<TempStore> = {
    anotherStore: async () => {
      const made = await tempStore();
      cleanups.push(made.cleanup);
      return made.store;
    },
  };
  beforeEach(async () => {
    const made = await tempStore();
    const dir = await tempDir(prefix);
    Object.assign(current, { store: made.store, root: made.root, dir });
    cleanups.push(made.cleanup, () => rm(dir, { recursive: true, force: true }));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return current as TempStore;
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo, with its octal escapes decoded). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const points = info
    .split('\n')
    .filter(Boolean)
    .map((line) => decodeMountPath(line.split(' ')[4]))
    .filter((point) => point === dir || point.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}
