/**
 * Rule control (compiler/src/rules.ts): the `# check=` directive, `# kubefile-lint ignore=` comments,
 * per-code severity options, and KF2025 for what cannot be read. One Kubefile and one expectation each.
 */
import assert from 'node:assert/strict';
import { applyRuleControl, lint, unknownFilterCodes } from '@kubefile/compiler';
import { createDiagnostic, parse } from '@kubefile/grammar';
import { expectCompileDiagnostics, expectDiagnostics, expectNoDiagnostics } from './helpers.js';

const k = (...lines: string[]) => lines.join('\n') + '\n';
const severities = (text: string, options = {}) => lint(text, options).diagnostics.map((d) => `${d.code} ${d.severity}`);

describe('rule control: # check= directive', () => {
  it('skip= silences the codes named', () => expectNoDiagnostics(k('# check=skip=KF2005', 'FROM scratch', 'MAINTAINER jane')));
  it('skip= takes a comma-separated list, blanks allowed', () => expectNoDiagnostics(k('# check=skip=KF2013, KF2005', 'FROM scratch', 'MAINTAINER jane', 'APP a local://a', 'APP a local://b')));
  it('skip= leaves other codes reported', () => expectDiagnostics(k('# check=skip=KF2013', 'FROM scratch', 'MAINTAINER jane'), [{ code: 'KF2005', line: 3 }]));
  it('skip=all silences every warning', () => expectNoDiagnostics(k('# check=skip=all', 'FROM scratch', 'MAINTAINER jane', 'APP a local://a', 'APP a local://b')));
  it('skip=all does not silence errors', () => expectDiagnostics(k('# check=skip=all', 'FROM scratch', 'COPPY a b'), [{ code: 'KF1001', line: 3 }]));
  it('skip= of an error code is KF2025 at the code, and the error stays', () =>
    expectDiagnostics(k('# check=skip=KF1001', 'FROM scratch', 'COPPY a b'), [
      { code: 'KF2025', line: 1, column: 14, message: 'KF1001 is an error' },
      { code: 'KF1001', line: 3 },
    ]));
  it('error=true reports warnings as errors', () => assert.deepEqual(severities(k('# check=error=true', 'FROM scratch', 'MAINTAINER jane')), ['KF2005 error']));
  it('error=true leaves info diagnostics as they are', () => assert.deepEqual(severities(k('# check=error=true', 'FROM scratch', 'RUN true')), ['KF2017 info']));
  it('error=false keeps warnings', () => assert.deepEqual(severities(k('# check=error=false', 'FROM scratch', 'MAINTAINER jane')), ['KF2005 warning']));
  it('options are separated by ;', () => assert.deepEqual(severities(k('# check=skip=KF2013;error=true', 'FROM scratch', 'MAINTAINER jane', 'APP a local://a', 'APP a local://b')), ['KF2005 error']));
  it('experimental= turns on off-by-default codes', () => expectDiagnostics(k('# check=experimental=KF2012', 'from scratch'), [{ code: 'KF2012', line: 2 }]));
  it('an unknown code is KF2025 at the code; the known ones still apply', () =>
    expectDiagnostics(k('# check=skip=KF9999,KF2005', 'FROM scratch', 'MAINTAINER jane'), [{ code: 'KF2025', line: 1, column: 14, message: 'Unknown code KF9999' }]));
  it('codes are case-sensitive, as BuildKit rule names are', () => expectDiagnostics(k('# check=skip=kf2005', 'FROM scratch'), [{ code: 'KF2025', line: 1, column: 14, message: 'case-sensitive: KF2005' }]));
  it('an unknown option is KF2025 at its name', () => expectDiagnostics(k('# check=skip=KF2005;ignore=KF2013', 'FROM scratch'), [{ code: 'KF2025', line: 1, column: 21, message: 'Unknown check option "ignore"' }]));
  it('an option without = is KF2025', () => expectDiagnostics(k('# check=skip', 'FROM scratch'), [{ code: 'KF2025', line: 1, column: 9, message: 'Invalid check option "skip"' }]));
  it('error= needs a boolean', () => expectDiagnostics(k('# check=error=yes', 'FROM scratch'), [{ code: 'KF2025', line: 1, column: 15, message: 'Invalid value "yes"' }]));
  it('KF2025 itself can be skipped', () => expectNoDiagnostics(k('# check=skip=KF2025,KF9999', 'FROM scratch')));
  it('a check= line after the first instruction is a comment, not a directive', () => expectDiagnostics(k('FROM scratch', '# check=skip=KF2005', 'MAINTAINER jane'), [{ code: 'KF2005', line: 3 }]));
});

describe('rule control: # kubefile-lint ignore= comments', () => {
  it('silences the codes on the next instruction', () => expectNoDiagnostics(k('FROM scratch', '# kubefile-lint ignore=KF2005', 'MAINTAINER jane')));
  it('only on the next instruction', () => expectDiagnostics(k('FROM scratch', '# kubefile-lint ignore=KF2005', 'MAINTAINER jane', 'MAINTAINER joe'), [{ code: 'KF2005', line: 4 }]));
  it('only the codes named', () => expectDiagnostics(k('FROM scratch', 'APP a local://a', '# kubefile-lint ignore=KF2005', 'APP a local://b'), [{ code: 'KF2013', line: 4 }]));
  it('on every line of the instruction (continuation lines)', () =>
    expectNoDiagnostics(k('FROM scratch', 'APP a local://a', '# kubefile-lint ignore=KF2013', 'APP \\', '  a local://b')));
  it('stacked comments above one instruction all apply', () =>
    expectNoDiagnostics(k('FROM scratch', 'APP a local://a', '# kubefile-lint ignore=KF2013', '# why: replaced on purpose', 'APP a local://b')));
  it('a reason may follow after #', () => expectNoDiagnostics(k('FROM scratch', '# kubefile-lint ignore=KF2005 # keeps the old label', 'MAINTAINER jane')));
  it('indented comments work', () => expectNoDiagnostics(k('FROM scratch', '  # kubefile-lint ignore=KF2005', '  MAINTAINER jane')));
  it('does not silence errors (KF2025 at the code)', () =>
    expectDiagnostics(k('FROM scratch', '# kubefile-lint ignore=KF1001', 'COPPY a b'), [
      { code: 'KF2025', line: 2, column: 24 },
      { code: 'KF1001', line: 3 },
    ]));
  it('an unknown code is KF2025 at the code', () => expectDiagnostics(k('FROM scratch', '# kubefile-lint ignore=KF2005,XX1', 'MAINTAINER jane'), [{ code: 'KF2025', line: 2, column: 31, message: 'Unknown code XX1' }]));
  it('an unknown option is KF2025 at the option', () =>
    expectDiagnostics(k('FROM scratch', '# kubefile-lint disable=KF2005', 'MAINTAINER jane'), [
      { code: 'KF2025', line: 2, column: 17, message: 'Unknown option "disable=KF2005"' },
      { code: 'KF2005', line: 3 },
    ]));
  it('a comment naming nothing is KF2025 on the comment', () =>
    expectDiagnostics(k('FROM scratch', '# kubefile-lint', 'MAINTAINER jane'), [
      { code: 'KF2025', line: 2, column: 1, message: 'names no code' },
      { code: 'KF2005', line: 3 },
    ]));
  it('on heredoc lines of the instruction', () => {
    const text = k('FROM scratch', '# kubefile-lint ignore=KF1018', 'RUN <<EOF', 'echo \u0007', 'EOF');
    expectDiagnostics(text.replace('# kubefile-lint ignore=KF1018\n', ''), [{ code: 'KF1018', line: 3 }, { code: 'KF2017', line: 2 }]);
    expectDiagnostics(text, [{ code: 'KF2017', line: 3 }]);
  });
  it('a blank line between comment and instruction: KF2025, nothing ignored', () =>
    expectDiagnostics(k('FROM scratch', '# kubefile-lint ignore=KF2005', '', 'MAINTAINER jane'), [
      { code: 'KF2025', line: 2, column: 1, message: 'applies to nothing' },
      { code: 'KF2005', line: 4 },
    ]));
  it('other comments are not read', () => expectDiagnostics(k('FROM scratch', '# kubefile-linting ignore=KF2005', 'MAINTAINER jane'), [{ code: 'KF2005', line: 3 }]));
  it('KF3001 from the compiler is ignored too', () => expectCompileDiagnostics(k('FROM scratch', '# kubefile-lint ignore=KF3001', 'LABEL a=$NOPE'), []));
  it('ignore=SC2086 silences that ShellCheck finding only; ignore=KF4001 all of them', () => {
    const text = k('FROM scratch', '# kubefile-lint ignore=SC2086', 'RUN echo $1 `x`', '# kubefile-lint ignore=KF4001', 'RUN echo $1 `x`');
    const { ast } = parse(text);
    const at = (line: number, column: number) => {
      const offset = text.split('\n').slice(0, line).join('\n').length + 1 + column;
      return { start: { line, column, offset }, end: { line, column: column + 2, offset: offset + 2 } };
    };
    const finding = (line: number, id: string) => ({ ...createDiagnostic('KF4001', at(line, 9), `${id} finding`), rule: { id, href: `https://www.shellcheck.net/wiki/${id}` } });
    const kept = applyRuleControl(ast, [finding(2, 'SC2086'), finding(2, 'SC2006'), finding(4, 'SC2086'), finding(4, 'SC2006')]);
    assert.deepEqual(kept.map((d) => `${d.range.start.line} ${d.rule?.id}`), ['2 SC2006']);
  });
});

describe('rule control: size', () => {
  it('20000 ignore comments over 20000 instructions take linear time (stacked ones too)', function () {
    this.timeout(20_000);
    const lines = ['FROM scratch'];
    for (let i = 0; i < 10_000; i++) lines.push('# kubefile-lint ignore=KF2005', '# kubefile-lint ignore=KF2013', 'MAINTAINER x', '# kubefile-lint ignore=KF2013', 'APP a local://a');
    const started = Date.now();
    expectNoDiagnostics(k(...lines));
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });
});

describe('rule control: options', () => {
  it('severity sets a code\'s severity', () => assert.deepEqual(severities(k('FROM scratch', 'MAINTAINER jane'), { severity: { KF2005: 'error' } }), ['KF2005 error']));
  it('severity off disables a code', () => expectNoDiagnostics(k('FROM scratch', 'MAINTAINER jane'), { severity: { KF2005: 'off' } }));
  it('a severity for an off-by-default code turns it on', () => assert.deepEqual(severities(k('from scratch'), { severity: { KF2012: 'warning' } }), ['KF2012 warning']));
  it('error=true in the file raises a warning set by the options too', () => assert.deepEqual(severities(k('# check=error=true', 'from scratch'), { severity: { KF2012: 'warning' } }), ['KF2012 error']));
  it('enable and disable keep working', () => expectDiagnostics(k('from scratch', 'MAINTAINER jane'), [{ code: 'KF2012', line: 1 }], { enable: ['KF2012'], disable: ['KF2005'] }));
  it('the options may silence errors (the directive may not)', () => expectNoDiagnostics(k('FROM scratch', 'COPPY a b'), { disable: ['KF1001'] }));
  it('unknownFilterCodes names codes that are no rule', () => assert.deepEqual(unknownFilterCodes({ enable: ['KF2012', 'KF0000'], disable: ['SC2086'], severity: { nope: 'off' } }), ['KF0000', 'nope']));
});
