/**
 * docs/ir.schema.json against what the compiler emits: the IR of every example and of a synthetic
 * Kubefile using every instruction must validate, every op kind must show up at least once (so each
 * branch of the schema is exercised), and documents broken on purpose must not validate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { compile, memoryContext, toIrDocument, type IrDocument, type IrStage, type OpKind } from '@kubefile/compiler';
import { nodeContext } from '@kubefile/compiler/node';

const repo = new URL('../../../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('docs/ir.schema.json', repo), 'utf8')) as Record<string, unknown>;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const EXAMPLES = ['multi-arch', 'dashboard', 'app-launch'];

/** Every `kind` an op can have, per the `Op` union in plan.ts (the `satisfies` keeps this list complete). */
const ALL_KINDS = Object.keys({
  from: 1, copy: 1, add: 1, run: 1, env: 1, label: 1, arg: 1, cmd: 1, app: 1, appcmds: 1, appenv: 1, launch: 1, cmds: 1, kubeversion: 1, maintainer: 1,
} satisfies Record<OpKind, 1>) as OpKind[];

/** Every instruction but CMD and CMDS (LAUNCH excludes both). */
const EVERYTHING = `ARG BASE=kubernetes:v1.22.8
FROM \${BASE}
MAINTAINER jane@example.com
KUBEVERSION 1.22 - 1.24
ARG VERSION=1.0 EMPTY
ENV APP_HOME=/opt/app MODE=production
LABEL maintainer="jane" "io.example/version"=\${VERSION}
COPY \${ARCH}/helm bin/
COPY --chmod=755 scripts/*.sh Clusterfile etc/
ADD https://example.com/files/tool-\${VERSION}.tar.gz statics/
RUN echo building \${VERSION} for \$TARGETARCH
RUN ["helm", "version"]
RUN <<EOF
set -e
echo "\${MODE}"
EOF
APP nginx local://apps/nginx.yaml
CNI calico https://example.com/calico.yaml
APPCMDS nginx ["kubectl", "apply", "-f", "nginx.yaml"]
APPENV nginx replicas=2 greeting=hello
LAUNCH ["calico", "nginx"]
`;

/** CMD and CMDS. */
const CMDS = `FROM scratch
COPY scripts/init.sh scripts
CMD kubectl apply -f manifests/app.yaml
CMD ["helm", "install", "app", "charts/\${TARGETARCH}"]
CMDS ["bash scripts/init.sh", "kubectl get nodes"]
`;

/** A builder on the build platform, shared by both plans, and COPY --from a stage and an image. */
const STAGES = `FROM --platform=$BUILDPLATFORM busybox:1.36 AS builder
RUN make
FROM scratch
COPY --from=builder /out/x bin/
COPY --from=example.com/tools:1.0 /bin/tool bin/
`;

const ELF_HEADER = (machine: number) => {
  const bytes = new Uint8Array(64);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  bytes[18] = machine;
  return bytes;
};

const context = memoryContext({
  'amd64/helm': { content: ELF_HEADER(0x3e), mode: 0o755 },
  'arm64/helm': { content: ELF_HEADER(0xb7), mode: 0o755 },
  'scripts/init.sh': 'echo init\n',
  'scripts/check.sh': 'echo check\n',
  Clusterfile: 'apiVersion: sealer.cloud/v2\nkind: Cluster\n',
  'apps/nginx.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: nginx\n',
});

/**
 * The IR of a Kubefile. The synthetic ones must compile without errors; the examples are validated
 * whatever their diagnostics (the plans exist either way, and their content checks are not this test's concern).
 */
async function compileDocument(text: string, buildContext = context, allowErrors = false): Promise<IrDocument> {
  const result = await compile(text, { platforms: PLATFORMS, context: buildContext });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!allowErrors) assert.deepEqual(errors.map((d) => `${d.code} ${d.range.start.line + 1}: ${d.message}`), [], 'the Kubefile compiles without errors');
  // Through JSON, as `kubefilec compile --emit ir` prints it (undefined fields dropped).
  return JSON.parse(JSON.stringify(toIrDocument(result.plans))) as IrDocument;
}

function targetStage(document: IrDocument, id: string): IrStage {
  const stage = document.stages.find((s) => s.id === id);
  assert.ok(stage, `no stage ${id}`);
  return stage;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

describe('docs/ir.schema.json', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const validate = ajv.compile(schema);
  const documents = new Map<string, IrDocument>();

  const valid = (name: string, document: unknown) => {
    assert.ok(validate(document), `${name} does not match the schema:\n${describeErrors(validate.errors)}`);
  };
  const invalid = (name: string, document: unknown) => {
    assert.equal(validate(document), false, `${name} should not match the schema`);
  };

  before(async () => {
    for (const example of EXAMPLES) {
      const dir = fileURLToPath(new URL(`examples/${example}/`, repo));
      documents.set(example, await compileDocument(readFileSync(join(dir, 'Kubefile'), 'utf8'), nodeContext(dir), true));
    }
    documents.set('every instruction', await compileDocument(EVERYTHING));
    documents.set('CMDS', await compileDocument(CMDS));
    documents.set('stages', await compileDocument(STAGES));
  });

  it('is a valid draft 2020-12 schema with the v2 $id', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.$id, 'https://kubefile.dev/schemas/ir-v2.json');
    assert.ok(ajv.validateSchema(schema), describeErrors(ajv.errors));
  });

  for (const name of [...EXAMPLES, 'every instruction', 'CMDS', 'stages']) {
    it(`validates the IR of ${!EXAMPLES.includes(name) ? `the synthetic Kubefile (${name})` : `examples/${name}`}`, () => {
      const document = documents.get(name);
      assert.ok(document);
      assert.equal(document.plans.length, PLATFORMS.length);
      valid(name, document);
    });
  }

  it('sees every op kind at least once', () => {
    const seen = new Set<string>();
    for (const document of documents.values()) for (const stage of document.stages) for (const op of stage.ops) seen.add(op.kind);
    assert.deepEqual(ALL_KINDS.filter((k) => !seen.has(k)), [], 'op kinds never emitted');
    assert.deepEqual([...seen].filter((k) => !(ALL_KINDS as string[]).includes(k)), [], 'op kinds plan.ts does not declare');
  });

  it('sees the optional fields: chmod, heredocs, emulation, clusterfile, launch, null ARG values', () => {
    const document = documents.get('every instruction');
    assert.ok(document);
    const [amd64, arm64] = document.plans.map((plan) => targetStage(document, plan.target));
    const ops = arm64.ops;
    assert.ok(ops.some((op) => op.kind === 'copy' && op.chmod === '755'));
    assert.ok(ops.some((op) => op.kind === 'run' && op.heredocs?.length === 1));
    assert.ok(ops.some((op) => op.kind === 'run' && op.emulation?.architecture === 'arm64'), 'helm runs under emulation on arm64');
    assert.ok(!amd64.ops.some((op) => op.kind === 'run' && op.emulation), 'no emulation for amd64');
    assert.ok(ops.some((op) => op.kind === 'arg' && op.args.EMPTY === null));
    assert.ok(ops.some((op) => op.kind === 'add' && op.sources[0].startsWith('https://')));
    assert.equal(typeof document.plans[1].config.clusterfile, 'string');
    assert.deepEqual(document.plans[1].config.launch, { apps: ['calico', 'nginx'] });
    assert.deepEqual(documents.get('CMDS')?.plans[0].config.launch, { cmds: ['bash scripts/init.sh', 'kubectl get nodes'] });
  });

  it('lists a stage shared by both plans once, with both plans, and the plans list stage ids', () => {
    const document = documents.get('stages');
    assert.ok(document);
    assert.deepEqual(document.stages.map((s) => [s.name ?? s.index, s.platform, s.plans]), [
      ['builder', 'linux/amd64', ['linux/amd64', 'linux/arm64/v8']],
      [1, 'linux/amd64', ['linux/amd64']],
      [1, 'linux/arm64/v8', ['linux/arm64/v8']],
    ]);
    const builder = document.stages[0].id;
    assert.deepEqual(document.plans.map((p) => [p.stages[0], p.stages.length, p.target === p.stages[1]]), [[builder, 2, true], [builder, 2, true]]);
  });

  describe('rejects', () => {
    const broken = (mutate: (document: IrDocument) => void): IrDocument => {
      const document = structuredClone(documents.get('every instruction')) as IrDocument;
      mutate(document);
      return document;
    };

    it('the unmodified document is the control', () => valid('control', broken(() => {})));

    it('a digest with the wrong pattern', () => {
      invalid('uppercase hex', broken((d) => (d.stages[0].ops[0].digest = d.stages[0].ops[0].digest.toUpperCase())));
      invalid('short digest', broken((d) => (d.stages[0].ops[0].digest = 'sha256:abc')));
      invalid('other algorithm', broken((d) => (d.stages[0].ops[0].digest = `sha512:${'0'.repeat(64)}`)));
    });

    it('an unknown op kind', () => {
      invalid('kind "workdir"', broken((d) => ((d.stages[0].ops[0] as { kind: string }).kind = 'workdir')));
      invalid('no kind', broken((d) => delete (d.stages[0].ops[0] as { kind?: string }).kind));
    });

    it('an extra property, at any level', () => {
      invalid('extra on the document', broken((d) => Object.assign(d, { extra: true })));
      invalid('extra on a plan', broken((d) => Object.assign(d.plans[0], { target: { os: 'linux', architecture: 'amd64' } })));
      invalid('extra on an op', broken((d) => Object.assign(d.stages[0].ops[0], { extra: 1 })));
      invalid('extra on the config', broken((d) => Object.assign(d.plans[0].config, { entrypoint: [] })));
      invalid('extra on an application', broken((d) => Object.assign(d.plans[0].config.apps[0], { version: '1' })));
      invalid('field of another kind', broken((d) => Object.assign(d.stages[0].ops.find((op) => op.kind === 'env')!, { labels: {} })));
    });

    it('missing required fields and wrong types', () => {
      invalid('no schemaVersion', broken((d) => delete (d as { schemaVersion?: number }).schemaVersion));
      invalid('schemaVersion 3', broken((d) => ((d as { schemaVersion: number }).schemaVersion = 3)));
      invalid('schemaVersion 1', broken((d) => ((d as { schemaVersion: number }).schemaVersion = 1)));
      invalid('a plan without stages', broken((d) => (d.plans[0].stages = [])));
      invalid('a stage id that is no digest', broken((d) => (d.plans[0].target = 'builder')));
      invalid('no line', broken((d) => delete (d.stages[0].ops[0] as { line?: number }).line));
      invalid('line 0', broken((d) => (d.stages[0].ops[0].line = 0)));
      invalid('non-string env value', broken((d) => ((d.plans[0].config.env as Record<string, unknown>).MODE = 1)));
      invalid('copy without matches', broken((d) => delete (d.stages[0].ops.find((op) => op.kind === 'copy') as { matches?: unknown }).matches));
    });
  });
});
