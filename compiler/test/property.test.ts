/**
 * Property tests for the compiler: whatever the Kubefile, platforms and build args, `compile`
 * never throws, reports ranges inside the text, gives well-formed digests and the same result
 * twice, and its IR serializes. Inputs are random Kubefiles built from instruction pieces that
 * reach every path (variables with modifiers, sources, special destinations, RUN...).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compile, compileParsed, CompileMemo, memoryContext, toIrDocument, type CompileResult } from '@kubefile/compiler';
import { parse, reparse } from '@kubefile/grammar';
import { nodeSha256 } from '@kubefile/compiler/node';

const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? '1') || 1);

const context = memoryContext({
  'amd64/helm': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 62, 0]),
  'arm64/helm': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 183, 0]),
  'a.yaml': 'kind: ConfigMap\n',
  'bad.yaml': 'a: [\n',
  imageList: 'nginx:1.25\nnot an image\n',
  'shell.yaml': 'kind: Plugin\nspec:\n  type: SHELL\n',
  'chart/Chart.yaml': 'name: c\nversion: 1.0.0\n',
  'image.tar': 'not a tar',
  Clusterfile: 'kind: Cluster\n',
  'dir/x': 'x',
  'link-out': { symlink: '../outside' },
  'loop-a': { symlink: 'loop-b' },
  'loop-b': { symlink: 'loop-a' },
});

const name = fc.constantFrom('ARCH', 'V', 'Version', 'TARGETARCH', 'BUILDOS', 'U', 'PATH', 'é');
const modifier = fc.constantFrom('', ':-x', '-', ':+y', '+', ':?must', '?', '#*/', '##*/', '%.*', '%%.*', '/a/b', '//a/', ':', '!');
const variable = fc.oneof(
  name.map((n) => `$${n}`),
  fc.tuple(name, modifier).map(([n, m]) => `\${${n}${m}}`),
  fc.constantFrom('${', '${}', '$', '\\$V', "'$V'", '"$V"', '${V:-${ARCH}}'),
);
const path = fc.constantFrom('a.yaml', 'bad.yaml', 'imageList', 'shell.yaml', 'chart', 'image.tar', 'Clusterfile', 'dir', 'dir/*', '*', '[ab]*', 'missing', '../x', '/a.yaml', 'link-out', 'loop-a', 'https://e.com/x', 'git@h:r.git', '.');
const source = fc.oneof(path, fc.tuple(variable, fc.constantFrom('/helm', '', '.yaml')).map(([v, s]) => v + s));
const dest = fc.constantFrom('manifests', 'charts', 'images', 'plugins', 'bin', 'etc', '/etc/', './x', '../up', '.', '${ARCH}', 'etc/Clusterfile');
const line = fc.oneof(
  fc.tuple(fc.constantFrom('COPY', 'ADD'), fc.array(source, { minLength: 1, maxLength: 3 }), dest).map(([k, s, d]) => `${k} ${s.join(' ')} ${d}`),
  fc.tuple(name, fc.option(variable)).map(([n, v]) => (v === null ? `ARG ${n}` : `ARG ${n}=${v}`)),
  fc.tuple(name, variable).map(([n, v]) => `ENV ${n}=${v}`),
  fc.tuple(name, variable).map(([n, v]) => `LABEL ${n}=${v}`),
  variable.map((v) => `RUN helm version ${v}`),
  fc.constantFrom('RUN ["helm", "x"]', 'RUN <<EOF\nhelm\nEOF', 'CMD kubectl get $V', 'CMD ["a"]', 'MAINTAINER me', 'KUBEVERSION 1.22'),
  fc.tuple(fc.constantFrom('APP', 'CNI', 'CSI'), source).map(([k, s]) => `${k} app local://${s}`),
  fc.constantFrom('APPENV app k=$V', 'APPCMDS app ["x"]', 'LAUNCH ["app"]', 'CMDS ["c"]', 'WORKDIR /x', 'FROM other', '# comment', ''),
  // Stages: names, fixed platforms, FROM of a stage, COPY --from stages (by name, index, a later one, itself), images and bad refs.
  fc.constantFrom(
    'FROM scratch AS builder',
    'FROM --platform=$BUILDPLATFORM scratch AS b2',
    'FROM --platform=linux/arm64 busybox:1.36 AS Tool',
    'FROM builder AS child',
    'FROM b2',
    'ARG TARGETARCH',
    'RUN echo $TARGETARCH > /out/x',
    'COPY --from=builder /out/${ARCH} bin/',
    'COPY --from=b2 /out/$TARGETARCH bin/',
    'COPY --from=0 / .',
    'COPY --from=7 a b',
    'COPY --from=tool ../x y',
    'COPY --from=child x y',
    'COPY --from=buildr x y',
    'COPY --from=$V x y',
    'COPY --from=busybox:1.36 /bin/sh bin/',
    'COPY --from=Bad:Ref x y',
  ),
);
const kubefile = fc.tuple(fc.array(fc.constantFrom('ARG V=1', 'ARG BASE=scratch', ''), { maxLength: 2 }), fc.constantFrom('FROM scratch', 'FROM ${BASE}', 'FROM $U', ''), fc.array(line, { maxLength: 12 })).map(
  ([pre, from, body]) => [...pre, from, ...body].join('\n'),
);
const platforms = fc.array(fc.constantFrom('linux/amd64', 'arm64', 'aarch64', 'linux/arm/v7', 'linux/s390x', 'windows/amd64', 'linux/riscv64'), { minLength: 1, maxLength: 3 });
const buildArgs = fc.dictionary(fc.constantFrom('V', 'U', 'ARCH', 'NOPE'), fc.constantFrom('', 'x', 'a=b,c'));

describe('compile properties', function () {
  this.timeout(20_000 * SCALE);
  it('never throws; ranges inside the text; well-formed, deterministic digests; serializable IR', async () => {
    await fc.assert(
      fc.asyncProperty(kubefile, platforms, buildArgs, async (text, targets, args) => {
        const options = { platforms: targets, buildArgs: args, context };
        const result = await compile(text, options);
        for (const d of result.diagnostics) {
          assert.ok(d.range.start.offset >= 0 && d.range.end.offset <= text.length && d.range.start.offset <= d.range.end.offset, `${d.code} range`);
        }
        assert.equal(result.hasErrors, result.diagnostics.some((d) => d.severity === 'error'));
        assert.equal(result.plans.length, new Set(result.plans.map((p) => p.platform)).size);
        for (const plan of result.plans) for (const op of plan.ops) assert.match(op.digest, /^sha256:[0-9a-f]{64}$/);
        const again = await compile(text, { ...options, sha256: nodeSha256 });
        assert.deepEqual(
          again.plans.map((p) => p.ops.map((op) => op.digest)),
          result.plans.map((p) => p.ops.map((op) => op.digest)),
          'the native and portable SHA-256 give the same digests, run after run',
        );
        assert.equal(JSON.parse(JSON.stringify(toIrDocument(result.plans))).schemaVersion, 2);
        for (const plan of result.plans) {
          assert.equal(plan.ops, plan.stages[plan.stages.length - 1].ops, 'the plan is its target stage');
          const ids = new Set<string>();
          for (const stage of plan.stages) {
            for (const used of stage.uses) assert.ok(ids.has(used), 'a stage comes after the stages it reads');
            ids.add(stage.id);
          }
        }
      }),
      { numRuns: 300 * SCALE },
    );
  });

  it('never throws on arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        await compile(text, { platforms: ['linux/amd64', 'linux/arm64'], context });
      }),
      { numRuns: 300 * SCALE },
    );
  });

  it('compiling each edit with a memo (after reparse) gives what a fresh compile gives', async () => {
    // Long enough for several checkpoints, so edits are planned again only around where they are.
    const longKubefile = fc.tuple(fc.constantFrom('ARG V=1\nFROM scratch', 'FROM scratch', 'ARG BASE=scratch\nFROM ${BASE}'), fc.array(line, { minLength: 40, maxLength: 140 })).map(([head, body]) => [head, ...body].join('\n'));
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'insert', 'delete', 'type'), line, char: fc.constantFrom('x', ' ', '$', '\\', '\n', '1') });
    const snapshot = (r: CompileResult) => JSON.stringify({ diagnostics: r.diagnostics, ir: toIrDocument(r.plans) });
    await fc.assert(
      fc.asyncProperty(longKubefile, fc.array(edit, { minLength: 1, maxLength: 6 }), platforms, buildArgs, fc.boolean(), async (start, edits, targets, args, allStages) => {
        // allStages as an editor plans (every stage), or only what the last stage needs (a build).
        const options = { platforms: targets, buildArgs: args, context, sha256: nodeSha256, allStages };
        const memo = new CompileMemo();
        let text = start;
        let parsed = parse(text);
        await compileParsed(parsed, { ...options, memo });
        for (const e of edits) {
          const lines = text.split('\n');
          const i = e.at % lines.length;
          if (e.kind === 'replace') lines[i] = e.line;
          else if (e.kind === 'insert') lines.splice(i, 0, e.line);
          else if (e.kind === 'delete') lines.splice(i, 1);
          else lines[i] += e.char;
          text = lines.join('\n');
          parsed = reparse(parsed, text);
          const incremental = await compileParsed(parsed, { ...options, memo });
          const [mine, fresh] = [snapshot(incremental), snapshot(await compile(text, options))];
          if (mine !== fresh) {
            let at = 0;
            while (mine[at] === fresh[at]) at++;
            assert.fail(`after ${JSON.stringify(e)} in\n${text}\n\nmemo:  ...${mine.slice(at - 200, at + 100)}\nfresh: ...${fresh.slice(at - 200, at + 100)}`);
          }
        }
      }),
      { numRuns: 60 * SCALE },
    );
  });
});
