/** Test helpers for builds: write a context, compile it, build it, look inside the result. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compile, digestOps, formatPlatform, parsePlatform, stageId, type ImageConfig, type Op, type PlatformPlan, type StagePlan, type StageRun } from '@kubefile/compiler';
import { nodeContext, nodeSha256 } from '@kubefile/compiler/node';
import { mountsUnder } from './fixtures.js';
import { buildImage, platformImages, type BuildEvent, type BuildOptions, type BuildResult, type ImageStore, type OciIndex, type OciManifest } from '../src/index.js';

/** Writes `files` (path → content; a value `{ link }` makes a symlink) under `dir`. */
export async function writeTree(dir: string, files: Record<string, string | Buffer | { link: string }>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) await symlink(content.link, target);
    else await writeFile(target, content);
  }
}

export interface TestBuild extends BuildResult {
  events: BuildEvent[];
}

export async function build(store: ImageStore, context: string, kubefile: string, tag: string, platforms: string[], options: Partial<BuildOptions> = {}): Promise<TestBuild> {
  const result = await compile(kubefile, {
    platforms: platforms.map((p) => parsePlatform(p)),
    buildPlatform: parsePlatform('linux/amd64'),
    context: nodeContext(context),
    sha256: nodeSha256,
  });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), [], 'the test Kubefile compiles');
  const events: BuildEvent[] = [];
  const built = await buildImage({ store, plans: result.plans, context, tag, kubefile: 'Kubefile', onEvent: (e) => events.push(e), ...options });
  return { ...built, events };
}

/** The plans of a Kubefile, for tests that call buildImage themselves. */
export async function plansOf(context: string, kubefile: string, platforms: string[]) {
  const result = await compile(kubefile, { platforms: platforms.map((p) => parsePlatform(p)), buildPlatform: parsePlatform('linux/amd64'), context: nodeContext(context), sha256: nodeSha256 });
  return result.plans;
}

/** `tar -tv`-like listing of a layer blob: `path` per entry, directories ending in `/`, symlinks as `path -> target`. */
export function layerFiles(store: ImageStore, digest: string): string[] {
  const out = execFileSync('tar', ['-tvf', store.blobPath(digest as `sha256:${string}`)], { encoding: 'utf8' });
  return out.trim().split('\n').filter(Boolean).map((line) => line.split(/\s+/).slice(5).join(' '));
}

/** Every file path (not directories) of a platform's image, across its layers. */
export async function imageFiles(store: ImageStore, name: string, platform: string): Promise<string[]> {
  const image = await store.getImage(name);
  const found = (await platformImages(store, image.descriptor)).find((p) => p.key === platform);
  assert.ok(found, `${name} has ${platform}`);
  return found.manifest.layers.flatMap((layer) => layerFiles(store, layer.digest)).filter((path) => !path.endsWith('/'));
}

/**
 * Checks the store is whole: every blob reachable from index.json exists with the size and digest
 * its descriptor gives. Returns the number of blobs checked.
 */
export async function verifyStore(store: ImageStore): Promise<number> {
  const seen = new Set<string>();
  const visit = async (digest: string, size: number, mediaType: string): Promise<void> => {
    if (seen.has(digest)) return;
    seen.add(digest);
    const bytes = await readFile(store.blobPath(digest as `sha256:${string}`));
    assert.equal(bytes.length, size, `size of ${digest}`);
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, digest, `content of ${digest}`);
    if (mediaType.includes('index')) {
      for (const m of (JSON.parse(bytes.toString()) as OciIndex).manifests) await visit(m.digest, m.size, m.mediaType);
    } else if (mediaType.includes('manifest')) {
      const manifest = JSON.parse(bytes.toString()) as OciManifest;
      await visit(manifest.config.digest, manifest.config.size, manifest.config.mediaType);
      for (const layer of manifest.layers) await visit(layer.digest, layer.size, layer.mediaType);
    }
  };
  for (const entry of (await store.readIndex()).manifests) await visit(entry.digest, entry.size, entry.mediaType);
  return seen.size;
}

export async function tmpFiles(store: ImageStore): Promise<string[]> {
  return readdir(store.dir('tmp'));
}

/**
 * The store checker, for after crash, race and fault tests: every blob reachable from index.json
 * whole (digest and size), nothing left in its tmp, nothing mounted under its root. Returns the
 * number of blobs checked.
 */
export async function checkStore(store: ImageStore): Promise<number> {
  const blobs = await verifyStore(store);
  assert.deepEqual(await tmpFiles(store), [], 'nothing is left in the store\'s tmp');
  assert.deepEqual(await mountsUnder(store.root), [], 'nothing is mounted under the store');
  return blobs;
}

/** An op before its digest (the compiler's `OpDraft`). */
export type OpDraft<T extends Op = Op> = T extends Op ? Omit<T, 'digest'> : never;

/** One stage of a hand-built plan. Ops name other stages by name: `from: { stage: NAME }`, FROM's `stage: NAME`. */
export interface StageSpec {
  name?: string;
  /** The stage's platform (default: the plan's). */
  platform?: string;
  base: string;
  run?: StageRun;
  ops: OpDraft[];
}

/**
 * A multi-stage plan as the compiler makes them (until it does): each stage's ops digested with its
 * platform, its id from `stageId`, stage names in ops replaced by the named stage's id. Equal
 * stage specs in two plans give one id, so those plans share the stage.
 */
export function stagedPlan(platformText: string, specs: StageSpec[], config: Partial<ImageConfig> = {}): PlatformPlan {
  const platform = formatPlatform(parsePlatform(platformText));
  const ids = new Map<string, string>();
  const stages: StagePlan[] = specs.map((spec, index) => {
    const stagePlatform = spec.platform ? formatPlatform(parsePlatform(spec.platform)) : platform;
    const idOf = (name: string): string => {
      const id = ids.get(name);
      assert.ok(id, `stage ${name} is defined before it is used`);
      return id;
    };
    const uses = new Set<string>();
    const drafts = spec.ops.map((op): OpDraft => {
      if (op.kind === 'from' && op.stage !== undefined) {
        uses.add(idOf(op.stage));
        return { ...op, stage: idOf(op.stage) };
      }
      if ((op.kind === 'copy' || op.kind === 'add') && op.from && 'stage' in op.from) {
        uses.add(idOf(op.from.stage));
        return { ...op, from: { stage: idOf(op.from.stage), name: op.from.name } };
      }
      return { ...op };
    });
    const ops = digestOps(drafts, `${stagePlatform} linux/amd64`);
    const fromStage = spec.ops.find((op) => op.kind === 'from' && op.stage !== undefined);
    const stage: StagePlan = {
      id: stageId(stagePlatform, ops),
      index,
      ...(spec.name ? { name: spec.name } : {}),
      line: ops[0]?.line ?? 1,
      platform: stagePlatform,
      target: parsePlatform(stagePlatform),
      fixedPlatform: stagePlatform !== platform,
      base: spec.base,
      ...(fromStage?.kind === 'from' && fromStage.stage ? { baseStage: idOf(fromStage.stage) } : {}),
      run: spec.run ?? 'host',
      ops,
      uses: [...uses],
    };
    if (spec.name) ids.set(spec.name, stage.id);
    return stage;
  });
  const target = stages[stages.length - 1];
  return { platform, target: parsePlatform(platform), base: target.base, ops: target.ops, config: { cmds: [], env: {}, labels: {}, args: {}, apps: [], ...config }, stages };
}
