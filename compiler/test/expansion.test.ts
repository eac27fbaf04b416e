/**
 * What words expand to, instruction by instruction, as BuildKit does it: the cases of BuildKit's own
 * tests (frontend/dockerfile/dockerfile_args_test.go) and its reference's ENV example, and one
 * diagnostic per cause when a variable has no value.
 */
import assert from 'node:assert/strict';
import { argDeclarationWithoutValue, compile, memoryContext, type CompileOptions, type CompileResult, type RunOp } from '@kubefile/compiler';
import { parse } from '@kubefile/grammar';
import type { DiagnosticCode } from '@kubefile/grammar';
import { applyFix, describeDiagnostic } from './helpers.js';

async function config(text: string, options: CompileOptions = {}) {
  const result = await compile(text, options);
  return result.plans[0].config;
}

function listed(result: CompileResult, ...codes: DiagnosticCode[]): string[] {
  return result.diagnostics.filter((d) => codes.length === 0 || codes.includes(d.code)).map((d) => `${d.severity} ${describeDiagnostic(d)}`);
}

describe('expansion: BuildKit semantics', () => {
  it('ENV: every value of one instruction sees the variables as they were before it (reference: ENV abc=bye def=$abc)', async () => {
    const { env } = await config('FROM scratch\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc');
    assert.deepEqual(env, { abc: 'bye', def: 'hello', ghi: 'bye' });
  });

  it('ARG: each declaration sees the ones before it in the same instruction', async () => {
    const { args } = await config('FROM scratch\nARG a=1 b=$a');
    assert.deepEqual(args, { a: '1', b: '1' });
  });

  it('LABEL: values see the variables before it; labels are not variables', async () => {
    const { labels } = await config('FROM scratch\nENV x=1\nLABEL x=2 y=$x');
    assert.deepEqual(labels, { x: '2', y: '1' });
  });

  it('testMultiArgs: global ARGs in FROM, brought into the stage by name, quoted values', async () => {
    const result = await compile('ARG a1="foo bar" a2=box\nARG a3="$a2-foo"\nFROM busy$a2:1.36\nARG a3 a4="123 456" a1\nLABEL out="$a1:$a3:$a4"');
    assert.equal(result.plans[0].base, 'busybox:1.36');
    assert.equal(result.plans[0].config.labels.out, 'foo bar:box-foo:123 456');
  });

  it('testArgDefaultExpansion: ${FOO:?} in a default fails unless FOO or the ARG itself is given', async () => {
    const text = 'FROM scratch\nARG FOO\nARG BAR=${FOO:?"foo missing"}';
    assert.deepEqual(listed(await compile(text)), ['error KF3003 3:9 FOO: foo missing']);
    assert.deepEqual(listed(await compile(text, { buildArgs: { FOO: '123' } })), []);
    assert.deepEqual(listed(await compile(text, { buildArgs: { BAR: '123' } })), []);
  });

  it('testDefaultEnvWithArgs: legacy ENV with ${v:-default} and ${v%%pattern}, with and without the build arg', async () => {
    const text = 'ARG image=idlebox\nFROM busy${image#idle}:1.36\nARG my_arg\nENV my_arg "my_arg=${my_arg:-def_val}"\nENV my_trimmed_arg "${my_arg%%e*}"';
    const cases: [Record<string, string>, string, string][] = [
      [{}, 'my_arg=def_val', 'my_arg=d'],
      [{ my_arg: '' }, 'my_arg=def_val', 'my_arg=d'],
      [{ my_arg: 'override' }, 'my_arg=override', 'my_arg=ov'],
    ];
    for (const [buildArgs, myArg, trimmed] of cases) {
      const result = await compile(text, { buildArgs });
      assert.equal(result.plans[0].base, 'busybox:1.36');
      assert.deepEqual(result.plans[0].config.env, { my_arg: myArg, my_trimmed_arg: trimmed }, JSON.stringify(buildArgs));
    }
  });

  it('testEmptyStringArgInEnv: an ARG without a value is not in RUN\'s environment, an ARG with an empty one is', async () => {
    const result = await compile('FROM scratch\nARG FOO\nARG BAR=\nRUN env');
    const run = result.plans[0].ops.find((op): op is RunOp => op.kind === 'run')!;
    assert.equal(run.env.BAR, '');
    assert.equal(Object.hasOwn(run.env, 'FOO'), false);
  });
});

describe('expansion: one cause, one diagnostic', () => {
  const context = memoryContext({ x: 'x', 'my-mysql/Chart.yaml': 'name: my-mysql\n' });

  it('an ARG without a value used as a destination: one error that says so (editors add the fix, see lsp code actions)', async () => {
    const result = await compile('FROM scratch\nARG BINDIR\nCOPY x ${BINDIR}', { context });
    assert.deepEqual(listed(result), [
      'error KF3020 3:10 ARG BINDIR has no value: give it a default (ARG BINDIR=<value>) or pass --build-arg BINDIR=<value>; the destination "${BINDIR}" is then empty',
    ]);
  });

  it('argDeclarationWithoutValue: the declaration a use sees, the global one when the stage ARG only brings it back', () => {
    const { ast } = parse('ARG G\nFROM scratch\nARG G\nARG S\nARG D=1\nLABEL a=$G b=$S c=$D');
    const at = (name: string) => ast.instructions[5].range.start.offset + 8;
    assert.equal(argDeclarationWithoutValue(ast, 'S', at('S'))?.name.range.start.line, 3);
    assert.equal(argDeclarationWithoutValue(ast, 'G', at('G'))?.name.range.start.line, 2);
    assert.equal(argDeclarationWithoutValue(ast, 'D', at('D')), undefined);
    assert.equal(argDeclarationWithoutValue(parse('ARG G=1\nFROM scratch\nARG G\nLABEL a=$G').ast, 'G', 40), undefined);
  });

  it('a build arg gives the ARG its value: nothing to report', async () => {
    assert.deepEqual(listed(await compile('FROM scratch\nARG BINDIR\nCOPY x ${BINDIR}', { context, buildArgs: { BINDIR: 'etc/' } })), []);
  });

  it('an undefined variable leaving a leading / is not also an absolute path; when nothing matches, it is the error', async () => {
    assert.deepEqual(listed(await compile('FROM scratch\nCOPY ${VERSON}/x etc/', { context })), ['warning KF3001 2:8 Undefined variable VERSON (it expands to an empty string)']);
    assert.deepEqual(listed(await compile('FROM scratch\nCOPY ${VERSON}/y etc/', { context })), [
      'error KF3001 2:8 Undefined variable VERSON (it expands to an empty string); the source is then "/y", which matches nothing in the build context',
    ]);
  });

  it('a failed ${V:?message} is the one error of its word', async () => {
    assert.deepEqual(listed(await compile('FROM scratch\nCOPY x ${DEST:?required}', { context })), ['error KF3003 2:8 DEST: required']);
    assert.deepEqual(listed(await compile('FROM --platform=${P:?required} scratch')), ['error KF3003 1:17 P: required']);
  });

  it('a missing source close to a context entry: did you mean, with a fix', async () => {
    const text = 'FROM scratch\nCOPY my-mysql-chart etc/';
    const result = await compile(text, { context });
    assert.deepEqual(listed(result), ['error KF3004 2:6 "my-mysql-chart" matches nothing in the build context: did you mean "my-mysql"?']);
    assert.equal(applyFix(text, result.diagnostics[0].fixes![0]), 'FROM scratch\nCOPY my-mysql etc/');
    const typo = await compile('FROM scratch\nCOPY my-mysqll/Chart.yaml etc/', { context });
    assert.match(typo.diagnostics[0].message, /did you mean "my-mysql\/Chart.yaml"\?$/);
    assert.equal(applyFix('FROM scratch\nCOPY my-mysqll/Chart.yaml etc/', typo.diagnostics[0].fixes![0]), 'FROM scratch\nCOPY my-mysql/Chart.yaml etc/');
    assert.deepEqual(listed(await compile('FROM scratch\nCOPY nothing-like-it etc/', { context })), ['error KF3004 2:6 "nothing-like-it" matches nothing in the build context']);
  });
});
