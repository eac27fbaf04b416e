import assert from 'node:assert/strict';
import type { CopyOp, PlatformPlan, StagePlan } from '@kubefile/compiler';
import { hover } from '../src/hover.js';
import { hoverTextAt, setup, type SetupOptions } from './helpers.js';

const hoverText = (marked: string, options?: SetupOptions) => hoverTextAt(hover, marked, options);
const twoPlatforms = { platforms: ['linux/amd64', 'linux/arm64'] };

describe('hover', () => {
  it('documents a keyword, with the keyword as range', async () => {
    const { analysis, position, context } = await setup('FROM scratch\nCO|PY a bin');
    const result = await hover(analysis, position, context);
    assert.ok(result);
    assert.match(JSON.stringify(result.contents), /COPY \[--flags\] <src>... <dest>/);
    assert.deepEqual(result.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } });
  });

  it('documents the deprecation of MAINTAINER', async () => {
    assert.match((await hoverText('MAIN|TAINER me')) ?? '', /Deprecated/);
  });

  it('lists the flags of a keyword', async () => {
    assert.match((await hoverText('FROM scratch\nR|UN x')) ?? '', /- `--network`: The network of the command/);
  });

  it('shows the value a variable has in an ENV that reassigns it: the one before that ENV (BuildKit)', async () => {
    assert.match((await hoverText('FROM scratch\nENV abc=hello\nENV abc=bye def=$a|bc')) ?? '', /- linux\/amd64: `hello`/);
    assert.match((await hoverText('FROM scratch\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$a|bc')) ?? '', /- linux\/amd64: `bye`/);
  });

  it('shows a pre-FROM ARG used in FROM', async () => {
    const text = await hoverText('ARG BASE=kubernetes:v1\nFROM $BA|SE');
    assert.match(text ?? '', /- linux\/amd64: `kubernetes:v1`/);
  });

  it('shows a platform variable per platform, with the reference as range', async () => {
    const { analysis, position, context } = await setup('FROM scratch\nCOPY ${AR|CH}/helm bin', twoPlatforms);
    const result = await hover(analysis, position, context);
    assert.ok(result);
    const text = JSON.stringify(result.contents);
    assert.match(text, /linux\/amd64: `amd64`/);
    assert.match(text, /linux\/arm64\/v8: `arm64`/);
    assert.deepEqual(result.range, { start: { line: 1, character: 5 }, end: { line: 1, character: 12 } });
  });

  it('shows an ARG value and its declaration line', async () => {
    const text = await hoverText('FROM scratch\nARG V=1.0\nRUN echo $|V', twoPlatforms);
    assert.equal(text, '**V** (ARG)\n\n- linux/amd64: `1.0`\n- linux/arm64/v8: `1.0`\n\nDeclared on line 2.');
  });

  it('shows values that depend on the platform', async () => {
    const text = await hoverText('FROM scratch\nENV BIN=helm-${ARCH}\nRUN echo ${B|IN}', twoPlatforms);
    assert.match(text ?? '', /\*\*BIN\*\* \(ENV\)/);
    assert.match(text ?? '', /linux\/amd64: `helm-amd64`/);
    assert.match(text ?? '', /linux\/arm64\/v8: `helm-arm64`/);
  });

  it('finds a reference nested in a modifier', async () => {
    assert.match((await hoverText('FROM scratch\nARG B=x\nCOPY ${A:-$|B} bin')) ?? '', /\*\*B\*\* \(ARG\)/);
  });

  it('says when a variable is not declared', async () => {
    assert.match((await hoverText('FROM scratch\nRUN echo $NO|PE')) ?? '', /NOPE\*\*: not declared/);
  });

  it('shows the value of a declared name after its declaration, with build args applied', async () => {
    const text = await hoverText('FROM scratch\nARG VE|RSION=1', { buildArgs: { VERSION: '2' } });
    assert.match(text ?? '', /linux\/amd64: `2`/);
    assert.match(text ?? '', /Declared on line 2/);
  });

  it('shows what a COPY source matched per platform', async () => {
    const files = { 'amd64/helm': 'x', 'arm64/helm': 'y' };
    const text = await hoverText('FROM scratch\nCOPY ${ARCH}/he|lm bin', { files, ...twoPlatforms });
    assert.match(text ?? '', /linux\/amd64: `amd64\/helm`/);
    assert.match(text ?? '', /linux\/arm64\/v8: `arm64\/helm`/);
  });

  it('says when a COPY source matches nothing', async () => {
    const text = await hoverText('FROM scratch\nCOPY mis|sing bin', { files: { a: 'a' } });
    assert.match(text ?? '', /linux\/amd64: \*nothing\*/);
  });

  it('shows the platforms of a FROM image in the store', async () => {
    const text = await hoverText('FROM kube|rnetes:v1.22', { images: { 'kubernetes:v1.22': ['linux/amd64', 'linux/arm64/v8'] } });
    assert.equal(text, '**kubernetes:v1.22**: linux/amd64, linux/arm64/v8');
  });

  it('says when a FROM image is not in the store', async () => {
    assert.equal(
      await hoverText('FROM oth|er:1'),
      '**other:1**: not in the local store\n\nIn this stage RUN runs on the build host if `other:1` is a cluster image, or inside its root (chroot) if it is an OS image (it is not in the local store, so which is not known yet).',
    );
  });

  it('returns null on blank space', async () => {
    assert.equal(await hoverText('FROM scratch\n|\nRUN x'), undefined);
  });
});

describe('hover on stages', () => {
  const busybox = { images: { 'busybox:1.36': ['linux/amd64', 'linux/arm64/v8'] } };

  it('shows the stage a COPY --from names: name, line and FROM', async () => {
    const text = await hoverText('FROM busybox AS build\nFROM scratch\nCOPY --from=Bui|ld /out bin');
    assert.match(text ?? '', /^\*\*build\*\* \(stage 0\), line 1: `FROM busybox AS build`/);
  });

  it('shows per target platform the variant of an image COPY --from takes, and whether the store has it', async () => {
    const text = await hoverText('FROM scratch\nCOPY --from=busy|box:1.36 /bin/busybox bin', { ...busybox, platforms: ['linux/amd64', 'linux/arm64', 'linux/ppc64le'] });
    assert.match(text ?? '', /- linux\/amd64 → `busybox:1.36` linux\/amd64 \(in the store\)/);
    assert.match(text ?? '', /- linux\/arm64\/v8 → `busybox:1.36` linux\/arm64\/v8 \(in the store\)/);
    assert.match(text ?? '', /- linux\/ppc64le → `busybox:1.36` linux\/ppc64le \(\*\*no linux\/ppc64le variant\*\* in the store, which has linux\/amd64, linux\/arm64\/v8\)/);
  });

  it('says when a COPY --from image is not in the store', async () => {
    assert.match((await hoverText('FROM scratch\nCOPY --from=alp|ine /a b')) ?? '', /`alpine` linux\/amd64 \(not in the local store: pulled at build time\)/);
  });

  it('shows the FROM line of a stage with its flags', async () => {
    assert.match((await hoverText('FROM --platform=$BUILDPLATFORM busybox AS build\nFROM scratch\nCOPY --from=|build /o bin')) ?? '', /line 1: `FROM --platform=\$BUILDPLATFORM busybox AS build`/);
  });

  it('shows a variable in a --from value as a variable', async () => {
    assert.match((await hoverText('FROM scratch\nARG S=build\nCOPY --from=$|S /o bin')) ?? '', /^\*\*S\*\* \(ARG\)/);
  });

  it('explains a COPY --from that names nothing valid', async () => {
    assert.match((await hoverText('FROM scratch\nCOPY --from=|7 /a b')) ?? '', /invalid stage index 7/);
  });

  it('shows the stage a FROM names instead of the store', async () => {
    assert.match((await hoverText('FROM busybox AS build\nFROM bu|ild')) ?? '', /^\*\*build\*\* \(stage 0\), line 1/);
  });

  it('says on RUN where it runs, from the stage plan (a cluster image: on the build host)', async () => {
    const text = await hoverText('FROM kubernetes:v1\nR|UN make', { images: { 'kubernetes:v1': ['linux/amd64'] } });
    assert.match(text ?? '', /In this stage RUN runs on the build host \(sealer's RUN: `kubernetes:v1` is a cluster image or scratch\)\./);
    const os = await hoverText('FROM busybox:1.36\nR|UN make', { images: { 'busybox:1.36': ['linux/amd64'] }, kinds: { 'busybox:1.36': 'os' } });
    assert.match(os ?? '', /In this stage RUN runs inside the image root of `busybox:1\.36` \(chroot, as Docker does\)\./);
  });

  it('says a COPY --from source is not a build-context path', async () => {
    assert.equal(await hoverText('FROM a AS b\nFROM scratch\nCOPY --from=b /o|ut bin', { files: { out: 'x' } }), '**/out**: a path in `--from=b`, not in the build context');
  });
});

describe('hover with multi-stage plans', () => {
  /** The analysis of `marked` with each plan's stages replaced, as a multi-stage compiler plans them. */
  async function withStages(marked: string, stages: (plan: PlatformPlan) => StagePlan[], options: SetupOptions = {}): Promise<string | undefined> {
    const { analysis, position, context } = await setup(marked, options);
    const plans = analysis.result.plans.map((plan) => ({ ...plan, stages: stages(plan) }));
    const result = await hover({ ...analysis, result: { ...analysis.result, plans } }, position, context);
    const contents = result?.contents;
    return contents && typeof contents === 'object' && 'value' in contents ? contents.value : undefined;
  }
  const stage = (plan: PlatformPlan, fields: Partial<StagePlan>): StagePlan => ({ id: `id-${plan.platform}`, index: 0, line: 1, platform: plan.platform, target: plan.target, fixedPlatform: false, base: 'busybox', run: 'chroot', ops: [], uses: [], ...fields });

  it('says RUN runs inside the image root, with qemu for a foreign platform', async () => {
    const text = await withStages('FROM busybox AS build\nR|UN make', (plan) => [stage(plan, {})], twoPlatforms);
    assert.match(text ?? '', /In this stage RUN runs:\n\n- linux\/amd64: inside the image root of `busybox` \(chroot, as Docker does\)\n- linux\/arm64\/v8: inside the image root of `busybox` \(chroot, as Docker does; qemu for linux\/arm64\/v8\)/);
  });

  it('looks up the RUN\'s own stage, and says when its base is not known yet', async () => {
    const text = await withStages('FROM busybox AS build\nFROM kube AS final\nR|UN x', (plan) => [stage(plan, {}), stage(plan, { index: 1, base: 'kube', run: 'unknown' })]);
    assert.match(text ?? '', /RUN runs on the build host if `kube` is a cluster image, or inside its root \(chroot\) if it is an OS image \(it is not in the local store/);
  });

  it('shows a stage built once for the build platform and shared by every target', async () => {
    const text = await withStages('FROM --platform=$BUILDPLATFORM busybox AS build\nFROM scratch\nCOPY --from=bu|ild /o bin', (plan) => [stage(plan, { id: 'shared', platform: 'linux/amd64', fixedPlatform: true }), stage(plan, { index: 1, base: 'scratch', run: 'host' })], twoPlatforms);
    assert.match(text ?? '', /Built for linux\/amd64 from `busybox`\.\n\nOne build, shared by every target platform\./);
  });

  it('takes the image variant from the plan\'s COPY op when it has one', async () => {
    const copy = (plan: PlatformPlan): CopyOp => ({ kind: 'copy', line: 2, digest: '', sources: ['/a'], dest: 'b', destIsDirectory: false, matches: [[]], from: { image: 'tools:1', platform: plan.platform === 'linux/amd64' ? 'linux/amd64' : 'linux/arm/v7' } });
    const text = await withStages('FROM scratch\nCOPY --from=to|ols:1 /a b', (plan) => [stage(plan, { base: 'scratch', run: 'host', ops: [copy(plan)] })], { ...twoPlatforms, images: { 'tools:1': ['linux/amd64', 'linux/arm/v7'] } });
    assert.match(text ?? '', /- linux\/arm64\/v8 → `tools:1` linux\/arm\/v7 \(in the store\)/);
  });
});
