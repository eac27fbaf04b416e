/**
 * The stage table (stages.ts) with BuildKit's rules, one Kubefile and one expectation per test; and
 * the single-stage plan contract: `PlatformPlan.stages`, op digests as they were before stages.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse } from '@kubefile/grammar';
import { compile, digestOps, findStage, memoryContext, reachableStages, resolveFrom, stageId, stageTable, toIrDocument } from '@kubefile/compiler';

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

  it('keep stages out of the IR document', async () => {
    const document = toIrDocument(await plans());
    assert.deepEqual(Object.keys(document.plans[0]), ['platform', 'base', 'ops', 'config']);
  });
});

function createHashHex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
