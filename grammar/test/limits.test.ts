/**
 * Input the lexer must survive (issue 18): lines of megabytes, long runs of escapes, continuations
 * over many dropped lines; and control characters, reported wherever they are (KF1017, KF1018).
 */
import assert from 'node:assert/strict';
import { isInstruction, parse, reparse } from '@kubefile/grammar';
import { codesOf, expectDiagnostics, lines, parseAs, span } from './helpers.js';

const MB = 1024 * 1024;

describe('limits: long lines', function () {
  // A 10 MB line overflowed V8's regular expression stack; each case here takes well under a second.
  this.timeout(2000);

  it('a 10 MB LABEL value on one line parses (it overflowed the stack)', () => {
    const value = 'x'.repeat(10 * MB);
    const { ast, diagnostics } = parse(lines('FROM scratch', `LABEL a=${value}`, 'RUN echo done'));
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(ast.instructions.map((i) => i.keyword), ['FROM', 'LABEL', 'RUN']);
    const label = ast.instructions[1];
    assert.ok(isInstruction(label, 'LABEL'));
    assert.equal(label.pairs[0].value?.text.length, 10 * MB);
  });

  it('a 10 MB line of words, blanks and escaped characters parses', () => {
    const run = parseAs(`RUN ${'a\\b c\\\\ '.repeat(MB)}`, 'RUN');
    assert.equal(span(run.range), `1:1-1:${4 + 8 * MB}`);
  });

  it('a 10 MB comment parses', () => {
    const { ast, diagnostics } = parse(lines('FROM scratch', `# ${'c'.repeat(10 * MB)}`));
    assert.deepEqual(diagnostics, []);
    assert.equal(ast.comments[0].range.end.column, 10 * MB + 2);
  });

  it('a 10 MB instruction name parses (and gets no "did you mean")', () => {
    const [d] = expectDiagnostics(`${'X'.repeat(10 * MB)} a`, [{ code: 'KF1001', line: 1, column: 1, endColumn: 10 * MB + 1 }]);
    assert.equal(d.fixes, undefined);
  });

  it('a line of 10 MB carriage returns parses', () => {
    const run = parseAs(`RUN echo a${'\r'.repeat(10 * MB)}b`, 'RUN');
    assert.equal(run.range.end.offset, 10 + 10 * MB + 1);
  });

  it('a continuation over 50000 dropped comment lines, or 20000 blank ones, parses', () => {
    const { ast, diagnostics } = parse(lines('FROM scratch', `RUN echo a \\${'\n# dropped'.repeat(50_000)}\n  b`));
    assert.deepEqual(diagnostics, []);
    const run = ast.instructions[1];
    assert.ok(isInstruction(run, 'RUN'));
    assert.equal(run.command?.text, 'echo a   b');
    // Each blank line in a continuation is a KF1013 (BuildKit warns for each).
    const blank = parse(lines('FROM scratch', `RUN echo a \\${'\n'.repeat(20_000)}  b`));
    assert.equal(blank.diagnostics.length, 20_000 - 1);
    assert.ok(blank.diagnostics.every((d) => d.code === 'KF1013'));
  });
});

describe('limits: nested substitutions', () => {
  const nested = (n: number) => `${'${A:-'.repeat(n)}x${'}'.repeat(n)}`;

  it('64 levels of ${A:-${A:-...}} are read; deeper is KF1007, skipped to its brace (100000 levels overflowed the stack)', () => {
    assert.deepEqual(codesOf(lines('FROM scratch', `LABEL a=${nested(64)} b=c`)), []);
    const label = parseAs(`LABEL a=${nested(100_000)} b=c`, 'LABEL');
    assert.deepEqual(label.pairs.map((p) => p.name.text), ['a', 'b']);
    expectDiagnostics(lines('FROM scratch', `LABEL a=${nested(65)} b=c`), [
      { code: 'KF1007', line: 2, column: 9 + 64 * 5, endColumn: 9 + 64 * 5 + 7, message: 'more than 64 nested ${...}' },
    ]);
  });

  it('a double-quoted word with a million references parses', function () {
    this.timeout(10_000);
    const label = parseAs(`LABEL a="${'$A'.repeat(1_000_000)}"`, 'LABEL');
    assert.equal(label.pairs[0].value?.parts?.length, 1_000_000 + 2);
  });
});

describe('KF1017/KF1018 control characters', () => {
  it('a NUL is an error wherever it is: LABEL, CMD, RUN, a comment', () => {
    expectDiagnostics(lines('FROM scratch', 'LABEL a=b\0c', 'CMD echo a\0b', 'RUN echo \0\0\0', '# \0'), [
      { code: 'KF1017', line: 2, column: 10, endLine: 2, endColumn: 11, severity: 'error', message: 'NUL character (U+0000)' },
      { code: 'KF1017', line: 3, column: 11, endLine: 3, endColumn: 12, severity: 'error' },
      { code: 'KF1017', line: 4, column: 10, endLine: 4, endColumn: 13, message: 'NUL characters' },
      { code: 'KF1017', line: 5, column: 3, endLine: 5, endColumn: 4 },
    ]);
  });

  it('other control characters are warnings; tab, form feed, vertical tab and CR are not reported', () => {
    expectDiagnostics(lines('FROM scratch', 'LABEL color=\x1b[31m del=\x7f', 'RUN echo\ta\fb\vc\r', 'LABEL mixed=\x01\0'), [
      { code: 'KF1018', line: 2, column: 13, endLine: 2, endColumn: 14, severity: 'warning', message: 'Control character (U+001B)' },
      { code: 'KF1018', line: 2, column: 23, message: 'U+007F' },
      { code: 'KF1017', line: 4, column: 13, endColumn: 15, message: 'U+0001, U+0000' },
    ]);
  });

  it('a file of control characters gives at most 100 diagnostics', () => {
    const { diagnostics } = parse(lines('FROM scratch', `RUN ${'a\0'.repeat(100_000)}`));
    assert.equal(diagnostics.length, 100);
  });

  it('a reparse reports them as a fresh parse does', () => {
    const before = parse(lines('FROM scratch', 'LABEL a=b', 'RUN echo'));
    const text = lines('FROM scratch', 'LABEL a=\0b', 'RUN echo');
    const after = reparse(before, text);
    assert.deepEqual(after.diagnostics.map((d) => `${d.code}@${span(d.range)}`), ['KF1017@2:9-2:10']);
    assert.deepEqual(reparse(after, lines('FROM scratch', 'LABEL a=b', 'RUN echo')).diagnostics, []);
  });
});
