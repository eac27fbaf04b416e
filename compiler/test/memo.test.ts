/**
 * `CompileMemo`: compiling the next version of a file plans again only around the edit (the
 * property test checks the results equal a fresh compile's); these check that the rest is kept.
 */
import assert from 'node:assert/strict';
import { compile, compileParsed, CompileMemo, memoryContext, type CompileResult } from '@kubefile/compiler';
import { parse, reparse } from '@kubefile/grammar';

const context = memoryContext({ 'amd64/tool': 'x', 'arm64/tool': 'y', 'a.yaml': 'kind: ConfigMap\n' });
const lines = ['ARG V=1', 'FROM scratch'];
for (let i = 0; i < 300; i++) lines.push(i % 2 ? `COPY \${ARCH}/tool bin/tool-${i}` : `ENV STEP_${i % 10}=${i}`);
const FILE = `${lines.join('\n')}\n`;
const options = { platforms: ['linux/amd64', 'linux/arm64'], context };

/**
 * Compiles `body` with a memo, then returns an editor: each call replaces one line of `body` (in
 * place), reparses and compiles again with the same memo, as the language server does.
 */
async function editing(body: string[]): Promise<(line: number, text: string) => Promise<CompileResult>> {
  const memo = new CompileMemo();
  let parsed = parse(body.join('\n'));
  await compileParsed(parsed, { ...options, memo });
  return async (line, text) => {
    body[line] = text;
    parsed = reparse(parsed, body.join('\n'));
    return compileParsed(parsed, { ...options, memo });
  };
}

describe('compile memo', () => {
  it('keeps the ops of instructions far from a one-line edit', async () => {
    const memo = new CompileMemo();
    const parsed = parse(FILE);
    const first = await compileParsed(parsed, { ...options, memo });
    const oldOps = first.plans.map((p) => [...p.ops]);
    const text = FILE.replace('bin/tool-151', 'bin/tool-151-renamed');
    const second = await compileParsed(reparse(parsed, text), { ...options, memo });
    for (const [i, plan] of second.plans.entries()) {
      const ops = plan.ops;
      assert.equal(ops[0], oldOps[i][0], 'the first op is kept');
      assert.equal(ops.at(-1), oldOps[i].at(-1), 'the last op is kept');
      const edited = ops.findIndex((op) => op.kind === 'copy' && op.dest === 'bin/tool-151-renamed');
      assert.notEqual(ops[edited], oldOps[i][edited]);
    }
    assert.equal(JSON.stringify(second.plans), JSON.stringify((await compile(text, options)).plans));
  });

  it('moves the lines of kept ops when lines are added above them', async () => {
    const memo = new CompileMemo();
    let parsed = parse(FILE);
    await compileParsed(parsed, { ...options, memo });
    const text = FILE.replace('FROM scratch\n', 'FROM scratch\n# one\n# two\n');
    parsed = reparse(parsed, text);
    const result = await compileParsed(parsed, { ...options, memo });
    const last = result.plans[0].ops.at(-1);
    assert.equal(last?.line, text.trimEnd().split('\n').length);
  });

  it('an ARG changed at the top reaches every later op', async () => {
    const memo = new CompileMemo();
    const withArg = FILE.replace('FROM scratch\n', 'FROM scratch\nARG W=1\nENV ALL=${W}\n');
    let parsed = parse(withArg);
    await compileParsed(parsed, { ...options, memo });
    const text = withArg.replace('ARG W=1', 'ARG W=2');
    parsed = reparse(parsed, text);
    const result = await compileParsed(parsed, { ...options, memo });
    const runEnv = result.plans[0].config.env;
    assert.equal(runEnv.ALL, '2');
    assert.equal(JSON.stringify(result.plans), JSON.stringify((await compile(text, options)).plans));
  });

  it('a value no later instruction read, then read by a second edit there, is the new one (fuzz-found)', async () => {
    // The first edit changes V; the run takes the rest of the old one at a checkpoint, and the
    // second edit starts from that checkpoint: it must hold V=2, not the old run's V=1.
    const body = ['FROM scratch', 'ENV V=1', ...Array.from({ length: 40 }, (_, i) => `LABEL k${i}=x`)];
    const edit = await editing(body);
    await edit(1, 'ENV V=2');
    const result = await edit(33, 'LABEL seen=$V');
    assert.equal(result.plans[0].config.labels.seen, '2');
    assert.equal(JSON.stringify(result.plans), JSON.stringify((await compile(body.join('\n'), options)).plans));
  });

  it('a value changed above an ENV that sets it again far below does not leak past that ENV', async () => {
    const body = ['FROM scratch', 'ENV V=1', ...Array.from({ length: 80 }, (_, i) => (i === 45 ? 'ENV V=3' : `LABEL k${i}=x`))];
    const edit = await editing(body);
    await edit(1, 'ENV V=2');
    const result = await edit(70, 'LABEL seen=$V');
    assert.equal(result.plans[0].config.labels.seen, '3');
    const again = await edit(33, 'LABEL early=$V');
    assert.equal(again.plans[0].config.labels.early, '2');
    assert.equal(JSON.stringify(again.plans), JSON.stringify((await compile(body.join('\n'), options)).plans));
  });

  it('a memo used with other build args starts over', async () => {
    const memo = new CompileMemo();
    const parsed = parse('FROM scratch\nARG V\nENV X=${V}\n');
    await compileParsed(parsed, { ...options, memo, buildArgs: { V: 'a' } });
    const result = await compileParsed(parsed, { ...options, memo, buildArgs: { V: 'b' } });
    assert.equal(result.plans[0].config.env.X, 'b');
  });
});

describe('compile memo with stages', () => {
  const builder = ['FROM --platform=$BUILDPLATFORM scratch AS builder', 'ENV SHARED=1', ...Array.from({ length: 80 }, (_, i) => `LABEL b${i}=${i}`)];
  const final = ['FROM builder AS final', ...Array.from({ length: 80 }, (_, i) => `ENV F${i}=${i}`), 'RUN echo hi'];
  const stagesText = (lines: string[]) => `${lines.join('\n')}\n`;

  it('an edit in the builder changes the final stage COPY --from and FROM digests through the stage id', async () => {
    const memo = new CompileMemo();
    const text = stagesText([...builder, 'FROM scratch', 'COPY --from=builder /x y']);
    let parsed = parse(text);
    // Read before the next compile: a memo shares op objects between the two versions' plans.
    const before = (await compileParsed(parsed, { ...options, memo })).plans[0].ops[1].digest;
    const edited = text.replace('LABEL b40=40', 'LABEL b40=changed');
    parsed = reparse(parsed, edited);
    const second = await compileParsed(parsed, { ...options, memo });
    assert.notEqual(second.plans[0].ops[1].digest, before);
    assert.equal(JSON.stringify(second.plans), JSON.stringify((await compile(edited, options)).plans));
  });

  it('an ENV value changed in a base stage reaches the stage based on it, which never names it', async () => {
    const memo = new CompileMemo();
    const text = stagesText([...builder, ...final]);
    let parsed = parse(text);
    await compileParsed(parsed, { ...options, memo });
    const edited = text.replace('ENV SHARED=1', 'ENV SHARED=2');
    parsed = reparse(parsed, edited);
    const result = await compileParsed(parsed, { ...options, memo });
    const run = result.plans[0].ops.at(-1);
    assert.equal(run?.kind === 'run' && run.env.SHARED, '2');
    assert.equal(JSON.stringify(result.plans), JSON.stringify((await compile(edited, options)).plans));
  });

  it('a renamed stage starts over: the COPY --from kept from the last version names an image now', async () => {
    const memo = new CompileMemo();
    const text = stagesText([...builder, 'FROM scratch', 'COPY --from=builder /x y']);
    let parsed = parse(text);
    await compileParsed(parsed, { ...options, memo });
    const edited = text.replace('AS builder', 'AS other');
    parsed = reparse(parsed, edited);
    const result = await compileParsed(parsed, { ...options, memo });
    const copy = result.plans[0].ops[1];
    assert.deepEqual(copy.kind === 'copy' && copy.from, { image: 'builder', platform: 'linux/amd64' });
  });
});

describe('source prefetch', () => {
  it('hints the paths sources will resolve to, per platform, to a context that can prefetch', async () => {
    const hinted: string[] = [];
    const base = memoryContext({ 'amd64/bin/helm': 'x', 'arm64/bin/helm': 'y', 'apps/a.yaml': 'kind: ConfigMap\n' });
    const prefetching = { ...base, prefetch: (paths: readonly string[]) => hinted.push(...paths) };
    const text = 'FROM scratch\nCOPY ${ARCH}/bin/helm bin\nCOPY charts/*/x charts\nAPP a local://apps/a.yaml\nCOPY $UNKNOWN/x etc\nADD https://e.com/x etc\n';
    await compile(text, { platforms: ['linux/amd64', 'linux/arm64'], context: prefetching });
    assert.deepEqual(hinted.sort(), ['amd64', 'amd64/bin', 'amd64/bin/helm', 'apps', 'apps/a.yaml', 'arm64', 'arm64/bin', 'arm64/bin/helm', 'charts']);
  });
});

describe('compile memo and whole-file sealer checks', () => {
  it('KF3016 follows an APPCMDS added or removed far below the APP', async () => {
    const appContext = memoryContext({ 'README.md': '# docs\n' });
    const body = ['FROM scratch', 'APP docs local://README.md', ...Array.from({ length: 80 }, (_, i) => `ENV E${i}=${i}`)].join('\n');
    const memo = new CompileMemo();
    let parsed = parse(`${body}\n`);
    const codes = async () => (await compileParsed(parsed, { context: appContext, memo })).diagnostics.map((d) => d.code);
    assert.deepEqual(await codes(), ['KF3016']);
    parsed = reparse(parsed, `${body}\nAPPCMDS docs ["cat", "README.md"]\n`);
    assert.deepEqual(await codes(), []);
    parsed = reparse(parsed, `${body}\n`);
    assert.deepEqual(await codes(), ['KF3016']);
  });
});
