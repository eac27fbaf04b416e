/**
 * Issue 18: expansions that grow without bound stop at 1 MiB (KF3019), and ARGs and ENVs named like
 * secrets are reported (KF2018) and marked in the plan so that builders hide their values.
 */
import assert from 'node:assert/strict';
import { parse, reparse } from '@kubefile/grammar';
import { compile, compileParsed, CompileMemo, isSecretName, lint, MAX_EXPANDED_LENGTH, type ArgOp, type RunOp } from '@kubefile/compiler';
import { expectCompileDiagnostics, expectDiagnostics, expectNoDiagnostics } from './helpers.js';

const k = (...lines: string[]): string => lines.join('\n') + '\n';

/** `ARG A0=x`, then `ARG Ai=$A(i-1)$A(i-1)`: A_i is 2^i characters long. */
function doublings(count: number): string[] {
  const lines = ['ARG A0=x'];
  for (let i = 1; i <= count; i++) lines.push(`ARG A${i}=$A${i - 1}$A${i - 1}`);
  return lines;
}

describe('KF3019 expanded value too long', function () {
  this.timeout(5000);

  it('thirty doubling ARGs stop at 1 MiB, reported where each crosses it (it took 800 MB, then "Invalid string length")', async () => {
    const before = process.memoryUsage().heapUsed;
    // A20 is exactly 1 MiB; A21 would be 2 MiB (line 23, its second reference at column 13).
    const expected = Array.from({ length: 10 }, (_, i) => ({ code: 'KF3019' as const, line: 23 + i, column: 13, message: 'longer than 1048576 characters' }));
    const result = await expectCompileDiagnostics(k('FROM scratch', ...doublings(30), 'LABEL v=$A30'), expected);
    const plan = result.plans[0];
    assert.equal(plan.config.labels.v.length, MAX_EXPANDED_LENGTH);
    assert.equal(plan.config.args.A20.length, MAX_EXPANDED_LENGTH);
    assert.equal(plan.config.args.A30.length, MAX_EXPANDED_LENGTH);
    assert.ok(process.memoryUsage().heapUsed - before < 400 * 1024 * 1024);
  });

  it('a substitution that squares a value is cut too', async () => {
    const result = await expectCompileDiagnostics(k('FROM scratch', ...doublings(12), 'LABEL v=${A12//?/$A12}'), [{ code: 'KF3019', line: 15, column: 9 }]);
    assert.equal(result.plans[0].config.labels.v.length, MAX_EXPANDED_LENGTH);
  });

  it('100000 nested ${A:-...} are one KF1007 and expand to nothing, without overflowing the stack', async () => {
    const deep = `${'${A:-'.repeat(100_000)}x${'}'.repeat(100_000)}`;
    const result = await expectCompileDiagnostics(k('FROM scratch', `LABEL a=${deep} b=c`), [{ code: 'KF1007', line: 2, column: 9 + 64 * 5 }]);
    assert.deepEqual(result.plans[0].config.labels, { a: '', b: 'c' });
  });

  it('values up to 1 MiB, and literal text of any length, are not reported', async () => {
    await expectCompileDiagnostics(k('FROM scratch', ...doublings(20), 'LABEL v=$A20'), []);
    const result = await expectCompileDiagnostics(k('FROM scratch', `LABEL v=${'y'.repeat(2 * MAX_EXPANDED_LENGTH)}`), []);
    assert.equal(result.plans[0].config.labels.v.length, 2 * MAX_EXPANDED_LENGTH);
  });
});

describe('limits: many instructions', () => {
  it('a memoized compile of 200000 instructions after an edit of the last one (it overflowed the stack)', async function () {
    this.timeout(20_000);
    const text = `FROM scratch\n${'LABEL a=b\n'.repeat(200_000)}`;
    const memo = new CompileMemo();
    let parsed = parse(text);
    await compileParsed(parsed, { memo });
    parsed = reparse(parsed, text.replace(/LABEL a=b\n$/, 'LABEL a=c\n'));
    const result = await compileParsed(parsed, { memo });
    assert.equal(result.plans[0].ops.length, 200_001);
    assert.deepEqual(result.plans[0].config.labels, { a: 'c' });
  });
});

describe('KF2018 secret in ARG or ENV', () => {
  it('names an ARG or ENV whose name has a secret word, as BuildKit\'s SecretsUsedInArgOrEnv does', () => {
    expectDiagnostics(k('ARG GITHUB_TOKEN', 'FROM scratch', 'ARG PASSWORD db_passwd=x', 'ENV API_KEY=k AWS_SECRET_ACCESS_KEY=s', 'ENV Auth v', 'ARG MY_CREDENTIALS_FILE'), [
      { code: 'KF2018', line: 1, column: 5, message: 'ARG GITHUB_TOKEN looks like it holds a secret' },
      { code: 'KF2018', line: 3, column: 5, message: 'ARG PASSWORD' },
      { code: 'KF2018', line: 3, column: 14, message: 'ARG db_passwd' },
      { code: 'KF2018', line: 4, column: 5, message: 'stored in the image config' },
      { code: 'KF2018', line: 4, column: 15, message: 'ENV AWS_SECRET_ACCESS_KEY' },
      { code: 'KF2018', line: 5, column: 5, message: 'ENV Auth' },
      { code: 'KF2021', line: 5, column: 5 },
      { code: 'KF2018', line: 6, column: 5 },
    ]);
  });

  it('does not name words that only contain a secret word, nor public keys', () => {
    expectNoDiagnostics(k('FROM scratch', 'ARG PUBLIC_KEY TOKENIZER KEYBOARD MONKEY PASSWORDS AUTHOR VERSION', 'ENV SSH_PUBLIC_KEY=x PATH=/bin'));
    assert.deepEqual(['KEY', 'key', 'Private_Key', 'x_pword', 'apikey'].filter(isSecretName), ['KEY', 'key', 'Private_Key', 'x_pword', 'apikey']);
  });

  it('is disabled like any code', () => {
    expectNoDiagnostics(k('FROM scratch', 'ARG TOKEN'), { disable: ['KF2018'] });
    assert.equal(lint(k('FROM scratch', 'ARG TOKEN')).diagnostics[0].severity, 'warning');
  });
});

describe('secret ARGs in the plan', () => {
  it('config.secretArgs names them; RUN previews show ***; ops and RUN keep the values', async () => {
    const text = k('FROM scratch', 'ARG PASSWORD USER=admin API_KEY=default', 'RUN login $USER ${PASSWORD} $API_KEY');
    const { plans } = await compile(text, { buildArgs: { PASSWORD: 'hunter2' } });
    const plan = plans[0];
    assert.deepEqual(plan.config.secretArgs, ['API_KEY', 'PASSWORD']);
    assert.deepEqual(plan.config.args, { PASSWORD: 'hunter2', USER: 'admin', API_KEY: 'default' });
    const arg = plan.ops.find((op): op is ArgOp => op.kind === 'arg')!;
    assert.equal(arg.args.PASSWORD, 'hunter2');
    const run = plan.ops.find((op): op is RunOp => op.kind === 'run')!;
    assert.equal(run.preview, 'login admin *** ***');
    assert.equal(run.env.PASSWORD, 'hunter2');
    assert.ok(!JSON.stringify(run.preview).includes('hunter2'));
  });

  it('no secretArgs without secret names', async () => {
    const { plans } = await compile(k('FROM scratch', 'ARG USER=admin'));
    assert.equal(plans[0].config.secretArgs, undefined);
  });
});
