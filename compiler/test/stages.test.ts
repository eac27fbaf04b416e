/**
 * The stage table (stages.ts) with BuildKit's rules, one Kubefile and one expectation per test; and
 * the single-stage plan contract: `PlatformPlan.stages`, op digests as they were before stages.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse } from '@kubefile/grammar';
import { compile, digestOps, findStage, isTargetError, memoryContext, reachableStages, resolveFrom, stageId, stageTable, TargetError, toIrDocument, type CopyOp, type ImageCatalog, type PlatformPlan, type RunOp } from '@kubefile/compiler';
import { applyFix, expectCompileDiagnostics } from './helpers.js';

type OpDraft = Parameters<typeof digestOps>[0][number];

const k = (...lines: string[]) => lines.join('\n') + '\n';
const table = (...lines: string[]) => stageTable(parse(k(...lines)).ast);
/** Each COPY --from ref of each stage. */
const refs = (...lines: string[]) => table(...lines).stages.flatMap((s) => s.copies.map((c) => c.ref));

describe('stageTable', () => {
  it('is memoized per AST', () => {
    const ast = parse(k('FROM a AS b')).ast;
    assert.equal(stageTable(ast), stageTable(ast));
  });

  it('gives each FROM a stage, with its instruction span and lower-cased name', () => {
    assert.deepEqual(table('ARG X', 'FROM a AS Build', 'RUN x', 'FROM b').stages.map((s) => [s.index, s.name, s.first, s.end]), [[0, 'build', 1, 3], [1, undefined, 3, 4]]);
  });

  it('a fixed platform is any --platform but $TARGETPLATFORM', () => {
    assert.deepEqual(table('FROM --platform=$BUILDPLATFORM a', 'FROM --platform=$TARGETPLATFORM b', 'FROM c').stages.map((s) => s.fixedPlatform), [true, false, false]);
  });

  it('FROM names an earlier stage only', () => {
    assert.deepEqual(table('FROM a AS base', 'FROM base', 'FROM later', 'FROM a AS later').stages.map((s) => s.baseStage), [undefined, 0, undefined, undefined]);
  });
});

describe('findStage', () => {
  it('finds names without case, the last duplicate winning (as BuildKit)', () => {
    assert.equal(findStage(table('FROM a AS x', 'FROM b AS X'), 'x'), 1);
  });

  it('reads an integer as an index, in range only', () => {
    const t = table('FROM a AS x', 'FROM b');
    assert.deepEqual([findStage(t, '1'), findStage(t, '+0'), findStage(t, '2'), findStage(t, '-1'), findStage(t, 'y')], [1, 0, undefined, undefined, undefined]);
  });
});

describe('resolveFrom', () => {
  it('FROM sees the last earlier stage of a name, not later ones', () => {
    const t = table('FROM a AS x', 'FROM b AS x', 'FROM x', 'FROM c AS x');
    assert.deepEqual([resolveFrom(t, 'X', 2), resolveFrom(t, 'x', 1), resolveFrom(t, 'x', 0)], [{ stage: 1 }, { stage: 0 }, { image: 'x' }]);
  });

  it('COPY --from sees any stage, a later one included', () => {
    assert.deepEqual(refs('FROM a', 'COPY --from=Later /x /y', 'FROM b AS later'), [{ stage: 1 }]);
  });

  it('COPY --from takes an unknown name as an image', () => {
    assert.deepEqual(refs('FROM a', 'COPY --from=busybox:1.36 /bin/sh /bin/'), [{ image: 'busybox:1.36' }]);
  });

  it('COPY --from=N is a stage index', () => {
    assert.deepEqual(refs('FROM a', 'FROM b', 'COPY --from=0 /x /y'), [{ stage: 0 }]);
  });

  it('COPY --from with an index out of range is an error', () => {
    assert.deepEqual(refs('FROM a', 'COPY --from=3 /x /y').map((r) => 'error' in r && r.error), ['index']);
  });

  it('COPY --from naming its own stage is an error', () => {
    assert.deepEqual(refs('FROM a AS me', 'COPY --from=me /x /y', 'COPY --from=0 /x /y').map((r) => 'error' in r && r.error), ['self', 'self']);
  });

  it('COPY --from with a variable is an error (BuildKit does not expand it)', () => {
    assert.deepEqual(refs('ARG S=a', 'FROM a AS s', 'FROM b', 'COPY --from=$S /x /y').map((r) => 'error' in r && r.error), ['variable']);
  });

  it('COPY --from stages that copy from each other are cycles', () => {
    assert.deepEqual(refs('FROM a AS x', 'COPY --from=y /a /b', 'FROM b AS y', 'COPY --from=x /a /b').map((r) => 'error' in r && r.message), [
      '--from=y makes a cycle: x -> y -> x',
      '--from=x makes a cycle: y -> x -> y',
    ]);
  });

  it('a cycle through a FROM base is found too', () => {
    assert.deepEqual(refs('FROM a AS x', 'COPY --from=y /a /b', 'FROM x AS y').map((r) => 'error' in r && r.error), ['cycle']);
  });
});

describe('reachableStages', () => {
  it('lists the target and what it reads, dependencies first, and nothing else', () => {
    assert.deepEqual(reachableStages(table('FROM a AS base', 'FROM b AS unused', 'FROM base AS tool', 'FROM c', 'COPY --from=tool /a /b', 'COPY --from=0 /a /b'), 3), [0, 2, 3]);
  });

  it('stops at cycles', () => {
    assert.deepEqual(reachableStages(table('FROM a AS x', 'COPY --from=y /a /b', 'FROM b AS y', 'COPY --from=x /a /b'), 1), [1]);
  });
});

describe('single-stage plans', () => {
  const TEXT = k('FROM kubernetes:v1.22.8', 'ARG VERSION=1.0', 'ENV A=1', 'COPY a.yaml manifests/', 'RUN echo $VERSION', 'CMD kubectl apply -f manifests/a.yaml');
  const plans = async () => (await compile(TEXT, { platforms: ['linux/amd64', 'linux/arm64'], context: memoryContext({ 'a.yaml': 'x' }) })).plans;

  it('keep the op digests of the compiler before stages (values taken from main @ 69ae395)', async () => {
    const [amd64, arm64] = await plans();
    assert.deepEqual(
      amd64.ops.map((o) => `${o.kind} ${o.digest}`),
      [
        'from sha256:d006e3a4d6fee5bbe4168f7f242a8f5bc3468a82cde0a6ea49ef969cec2409fe',
        'arg sha256:9f07a3ca18621483b23a50ba2bff0891f5e1d0d507951a484e302da7a0c80fef',
        'env sha256:1db649ba74f23c25ba5ac5bdd8d4ab826efd3844e40c4ac8113c0b2ae5e1279e',
        'copy sha256:12782a86967f33c3cd94e7c77ea58cf749c190cec42b1c5e80f06e4ec6f6d1c4',
        'run sha256:14c1f072bef95f4d55f049ef78d9b1307ebdeed928327528af026c137ac475a8',
        'cmd sha256:4853b14db97b35229cfb5804ed6d7bea422547d9da52e20bbe0c000d882d8ea8',
      ],
    );
    assert.deepEqual(
      arm64.ops.slice(4).map((o) => `${o.kind} ${o.digest}`),
      ['run sha256:d66f81c75817f848712149e9a0ca8d842566c584f80c99f54e4a5a9ae301e390', 'cmd sha256:b029b1c518706a7dfd63b1eb10d4e348ed0e81da9b6b2ce5dcc2ac8cbd19d5d1'],
    );
  });

  it('a COPY --from or FROM stage changes the digest only when present', () => {
    const digest = (draft: OpDraft) => digestOps([structuredClone(draft)])[0].digest;
    const copy: OpDraft = { kind: 'copy', line: 1, sources: ['a'], dest: 'b', destIsDirectory: false, matches: [] };
    const from: OpDraft = { kind: 'from', line: 1, image: 'x' };
    assert.equal(digest({ ...copy, from: undefined }), digest(copy));
    assert.notEqual(digest({ ...copy, from: { stage: 'sha256:1', name: 'b' } }), digest(copy));
    assert.notEqual(digest({ ...copy, from: { image: 'busybox', platform: 'linux/amd64' } }), digest({ ...copy, from: { image: 'busybox', platform: 'linux/arm64' } }));
    assert.equal(digest({ ...from, stage: undefined }), digest(from));
    assert.notEqual(digest({ ...from, stage: 'sha256:1' }), digest(from));
  });

  it('have one stage: the whole plan, with the same op objects', async () => {
    const [amd64] = await plans();
    const [stage] = amd64.stages;
    assert.equal(amd64.stages.length, 1);
    assert.deepEqual(
      { index: stage.index, name: stage.name, line: stage.line, platform: stage.platform, fixedPlatform: stage.fixedPlatform, base: stage.base, run: stage.run, uses: stage.uses },
      { index: 0, name: undefined, line: 1, platform: 'linux/amd64', fixedPlatform: false, base: 'kubernetes:v1.22.8', run: 'unknown', uses: [] },
    );
    assert.equal(stage.ops, amd64.ops);
    assert.equal(stage.target, amd64.target);
    assert.equal(stage.id, stageId('linux/amd64', amd64.ops));
    assert.equal(stage.id, `sha256:${createHashHex(`linux/amd64\n${amd64.ops[5].digest}`)}`);
  });

  it('a stage without ops has the id of its platform alone', () => {
    assert.equal(stageId('linux/amd64', []), `sha256:${createHashHex('linux/amd64')}`);
  });

  it('are IR v2 documents: a stage per plan, listed by id', async () => {
    const [amd64, arm64] = await plans();
    const document = toIrDocument([amd64, arm64]);
    assert.equal(document.schemaVersion, 2);
    assert.deepEqual(document.plans.map((p) => [p.platform, p.target, p.stages]), [
      ['linux/amd64', amd64.stages[0].id, [amd64.stages[0].id]],
      ['linux/arm64/v8', arm64.stages[0].id, [arm64.stages[0].id]],
    ]);
    assert.deepEqual(document.stages.map((s) => s.ops), [amd64.ops, arm64.ops]);
    assert.ok(!('target' in document.stages[0]));
  });
});

const TWO = { platforms: ['linux/amd64', 'linux/arm64'] };
const stageOf = (plan: PlatformPlan, name: string) => {
  const found = plan.stages.find((s) => s.name === name);
  assert.ok(found, `no stage ${name} in ${plan.platform}`);
  return found;
};

describe('multi-stage plans', () => {
  const CROSS = k(
    'FROM --platform=$BUILDPLATFORM busybox:1.36 AS builder',
    'RUN mkdir -p /out/amd64 /out/arm64',
    'ARG TARGETARCH',
    'RUN echo $TARGETARCH > /out/arch',
    'FROM scratch',
    'COPY --from=builder /out/${TARGETARCH}/hello bin/',
  );

  it('a builder stage on a fixed platform has one id in every target plan', async () => {
    const { plans, diagnostics } = await compile(k('FROM --platform=$BUILDPLATFORM busybox:1.36 AS builder', 'RUN make', 'FROM scratch', 'COPY --from=builder /out/x bin/'), { ...TWO, disable: ['KF2017'] });
    assert.deepEqual(diagnostics, []);
    const [amd64, arm64] = plans;
    assert.equal(stageOf(amd64, 'builder').id, stageOf(arm64, 'builder').id);
    assert.equal(stageOf(amd64, 'builder').platform, 'linux/amd64');
    assert.deepEqual(amd64.stages.map((s) => s.name), ['builder', undefined]);
    assert.deepEqual(stageOf(arm64, 'builder').ops.map((o) => o.digest), stageOf(amd64, 'builder').ops.map((o) => o.digest));
  });

  it('a RUN before ARG TARGETARCH in a fixed stage has one digest in both plans, one after it differs', async () => {
    const [amd64, arm64] = (await compile(CROSS, TWO)).plans;
    const runs = (plan: PlatformPlan) => stageOf(plan, 'builder').ops.filter((o): o is RunOp => o.kind === 'run');
    assert.equal(runs(amd64)[0].digest, runs(arm64)[0].digest);
    assert.notEqual(runs(amd64)[1].digest, runs(arm64)[1].digest);
    assert.equal(runs(amd64)[1].env.TARGETARCH, 'amd64');
    assert.equal(runs(arm64)[1].env.TARGETARCH, 'arm64');
    assert.equal(runs(amd64)[0].env.TARGETARCH, undefined, 'not declared yet');
    assert.notEqual(stageOf(amd64, 'builder').id, stageOf(arm64, 'builder').id);
  });

  it('the final stage copies from the stage id, with image-root sources and the target values', async () => {
    const [amd64, arm64] = (await compile(CROSS, TWO)).plans;
    const copy = amd64.ops.find((o): o is CopyOp => o.kind === 'copy');
    assert.deepEqual(copy && { sources: copy.sources, dest: copy.dest, from: copy.from, matches: copy.matches }, {
      sources: ['out/amd64/hello'],
      dest: 'bin',
      from: { stage: stageOf(amd64, 'builder').id, name: 'builder' },
      matches: [[]],
    });
    assert.deepEqual(amd64.stages.at(-1)?.uses, [stageOf(amd64, 'builder').id]);
    assert.equal(arm64.ops.find((o): o is CopyOp => o.kind === 'copy')?.sources[0], 'out/arm64/hello');
  });

  it('the plan is the target stage: its ops, base and config only', async () => {
    const [plan] = (await compile(k('FROM busybox:1.36 AS builder', 'ENV B=1', 'LABEL b=1', 'FROM scratch', 'LABEL final=1'))).plans;
    assert.equal(plan.base, 'scratch');
    assert.deepEqual(plan.ops.map((o) => o.kind), ['from', 'label']);
    assert.deepEqual(plan.config.labels, { final: '1' });
    assert.equal(plan.ops, plan.stages.at(-1)?.ops);
  });

  it('$TARGETARCH without ARG in a fixed stage is KF3001, with a fix adding the ARG after FROM', async () => {
    const text = k('FROM --platform=$BUILDPLATFORM busybox:1.36 AS builder', 'RUN echo > /out/$TARGETARCH', 'COPY $TARGETARCH/x /y', 'FROM scratch', 'COPY --from=builder /y /z');
    const result = await expectCompileDiagnostics(text, [{ code: 'KF3001', line: 3, column: 7, message: 'add "ARG TARGETARCH" after FROM' }], { ...TWO, context: memoryContext({ x: '' }), disable: ['KF2017'] });
    const fix = result.diagnostics[0].fixes?.[0];
    assert.ok(fix);
    assert.equal(applyFix(text, fix), k('FROM --platform=$BUILDPLATFORM busybox:1.36 AS builder', 'ARG TARGETARCH', 'RUN echo > /out/$TARGETARCH', 'COPY $TARGETARCH/x /y', 'FROM scratch', 'COPY --from=builder /y /z'));
  });

  it('target-platform stages keep the platform variables predefined (sealer)', async () => {
    await expectCompileDiagnostics(k('FROM busybox:1.36 AS b', 'RUN echo $TARGETARCH $ARCH', 'FROM --platform=$TARGETPLATFORM scratch', 'ENV A=$ARCH'), [], { ...TWO, disable: ['KF2017', 'KF2020'] });
  });

  it('FROM of an earlier stage inherits its ENV, and names its id', async () => {
    const [plan] = (await compile(k('FROM busybox:1.36 AS base', 'ENV A=1', 'FROM base', 'ENV B=$A', 'RUN x'))).plans;
    const base = stageOf(plan, 'base');
    assert.deepEqual(plan.ops[0], { ...plan.ops[0], kind: 'from', image: 'base', stage: base.id });
    assert.equal(plan.stages.at(-1)?.baseStage, base.id);
    assert.equal((plan.ops.find((o) => o.kind === 'env') as { env: Record<string, string> }).env.B, '1');
    assert.equal((plan.ops.find((o) => o.kind === 'run') as RunOp).env.A, '1');
  });

  it('an edit in the builder changes the final COPY --from digest through the stage id', async () => {
    const one = (await compile(k('FROM busybox:1.36 AS b', 'RUN one', 'FROM scratch', 'COPY --from=b /x y'))).plans[0];
    const two = (await compile(k('FROM busybox:1.36 AS b', 'RUN two', 'FROM scratch', 'COPY --from=b /x y'))).plans[0];
    assert.notEqual(one.ops[1].digest, two.ops[1].digest);
    assert.equal(one.ops[0].digest, two.ops[0].digest);
  });

  it('only the stages the target needs are planned', async () => {
    const text = k('FROM busybox:1.36 AS base', 'FROM busybox:1.36 AS unused', 'ENV A=$NOPE', 'FROM base AS tool', 'FROM scratch', 'COPY --from=tool /a b');
    const result = await compile(text, { disable: ['KF2017'] });
    assert.deepEqual(result.plans[0].stages.map((s) => s.name ?? s.index), ['base', 'tool', 3]);
    assert.deepEqual(result.diagnostics.map((d) => d.code), [], 'the unused stage is not expanded');
    const all = await compile(text, { allStages: true, disable: ['KF2017'] });
    assert.deepEqual(all.plans[0].stages.map((s) => s.name ?? s.index), ['base', 'unused', 'tool', 3]);
    assert.deepEqual(all.diagnostics.map((d) => d.code), ['KF3001']);
  });

  it('target picks the stage (any case) and prunes the rest', async () => {
    const [plan] = (await compile(k('FROM busybox:1.36 AS builder', 'LABEL b=1', 'FROM scratch', 'LABEL final=1'), { target: 'Builder' })).plans;
    assert.deepEqual(plan.stages.map((s) => s.name), ['builder']);
    assert.deepEqual(plan.config.labels, { b: '1' });
    assert.equal(plan.base, 'busybox:1.36');
  });

  it('an unknown target throws TargetError with a suggestion', async () => {
    await assert.rejects(compile(k('FROM busybox:1.36 AS builder', 'FROM scratch'), { target: 'buidler' }), (error: unknown) => {
      assert.ok(error instanceof TargetError && isTargetError(error));
      assert.equal(error.message, 'target stage "buidler" could not be found: did you mean builder?');
      return true;
    });
  });

  it('COPY --from=<image> takes the target platform, and KF3023 when the store lacks it', async () => {
    const images: ImageCatalog = { platforms: async (name) => (name === 'example.com/tools:1' ? ['linux/amd64'] : undefined) };
    const result = await expectCompileDiagnostics(k('FROM scratch', 'COPY --from=example.com/tools:1 /bin/tool bin/'), [{ code: 'KF3023', line: 2, column: 13, message: 'image example.com/tools:1 (COPY --from) has no linux/arm64/v8 variant (it has linux/amd64) (for linux/arm64/v8)' }], { ...TWO, images });
    assert.deepEqual(result.plans.map((p) => p.ops[1].kind === 'copy' && p.ops[1].from), [
      { image: 'example.com/tools:1', platform: 'linux/amd64' },
      { image: 'example.com/tools:1', platform: 'linux/arm64/v8' },
    ]);
  });

  it('COPY --from errors: KF3026 for a bad stage ref, KF3021 for a bad image, KF3027 near a stage name', async () => {
    await expectCompileDiagnostics(k('FROM scratch AS builder', 'FROM scratch', 'COPY --from=5 /a b', 'COPY --from=Bad:Ref /a b', 'COPY --from=buidler /a b'), [
      { code: 'KF3026', line: 3, column: 13, message: 'invalid stage index 5' },
      { code: 'KF3021', line: 4, column: 13 },
      { code: 'KF3027', line: 5, column: 13, message: 'did you mean stage builder?' },
    ]);
  });

  it('FROM of a stage that comes later is KF3027', async () => {
    await expectCompileDiagnostics(k('FROM later', 'FROM scratch AS later'), [{ code: 'KF3027', line: 1, column: 6, message: 'names a stage that comes later' }], { disable: ['KF3022'] });
  });

  it('COPY --from sources are not prefetched from the context', async () => {
    const hinted: string[] = [];
    const context = { ...memoryContext({ 'a.yaml': 'x' }), prefetch: (paths: readonly string[]) => hinted.push(...paths) };
    await compile(k('FROM busybox:1.36 AS b', 'FROM scratch', 'COPY --from=b /opt/tool bin/', 'COPY a.yaml manifests/'), { context });
    assert.deepEqual(hinted, ['a.yaml']);
  });

  it('the run mode comes from the store: OS image chroot, cluster image host, scratch host, a stage inherits', async () => {
    const images: ImageCatalog = { platforms: async () => undefined, kind: async (name) => (name === 'busybox:1.36' ? 'os' : name === 'kubernetes:v1' ? 'cluster' : undefined) };
    const [plan] = (await compile(k('FROM busybox:1.36 AS os', 'FROM kubernetes:v1 AS cluster', 'FROM other:1 AS unknown', 'FROM os AS child', 'FROM scratch'), { images, allStages: true })).plans;
    assert.deepEqual(plan.stages.map((s) => `${s.name ?? s.index} ${s.run}`), ['os chroot', 'cluster host', 'unknown unknown', 'child chroot', '4 host']);
  });
});

function createHashHex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
