/**
 * Lexical rules, asserted against BuildKit's Dockerfile parser behaviour
 * (frontend/dockerfile/parser: directives, line continuations, comments, splitCommand,
 * parseJSON, parseWords, parseNameVal, heredocs; shell/lex.go for variables).
 */
import assert from 'node:assert/strict';
import { parse, variablesOf, type AstVariable, type Word } from '@kubefile/grammar';
import { argsOf, codesOf, expectClean, expectDiagnostics, flagsOf, keywordsOf, lines, parseAs, parseOne, sliceOf, span } from './helpers.js';

function variables(word: Word | undefined): AstVariable[] {
  assert.ok(word, 'word expected');
  assert.ok(word.parts, 'word has no parts');
  return variablesOf(word.parts);
}

describe('lexing: parser directives', () => {
  it('# escape=` switches the escape character and is recorded as a directive, not a comment', () => {
    const { ast, diagnostics } = parse(lines('# escape=`', 'RUN a `', '  b'));
    assert.deepEqual(diagnostics, []);
    assert.equal(ast.escapeChar, '`');
    assert.deepEqual(
      ast.directives.map((d) => [d.name, d.value]),
      [['escape', '`']],
    );
    assert.deepEqual(ast.comments, []);
    assert.deepEqual(
      ast.instructions.map((i) => i.argsText),
      ['a   b'],
    );
  });

  it('# escape=\\ keeps the backslash', () => {
    const { ast } = parse(lines('# escape=\\', 'RUN a \\', 'b'));
    assert.equal(ast.escapeChar, '\\');
    assert.deepEqual(ast.directives.map((d) => d.value), ['\\']);
    assert.equal(ast.instructions[0].argsText, 'a b');
  });

  it('records # syntax= and # check= with their values', () => {
    const { ast } = parse(lines('# syntax=docker/dockerfile:1.7', '# check=skip=all', 'FROM scratch'));
    assert.deepEqual(
      ast.directives.map((d) => [d.name, d.value]),
      [
        ['syntax', 'docker/dockerfile:1.7'],
        ['check', 'skip=all'],
      ],
    );
    assert.equal(ast.escapeChar, '\\');
    assert.deepEqual(ast.comments, []);
  });

  it('directive names are case-insensitive (and lower-cased); values keep their case', () => {
    const { ast } = parse(lines('# ESCAPE = `', '# SynTax=Docker/Dockerfile:1', 'FROM a'));
    assert.equal(ast.escapeChar, '`');
    assert.deepEqual(
      ast.directives.map((d) => [d.name, d.value]),
      [
        ['escape', '`'],
        ['syntax', 'Docker/Dockerfile:1'],
      ],
    );
  });

  it('accepts blanks around #, the name and the = and trims the value', () => {
    const { ast } = parse(lines('  #escape  =   `   ', 'FROM a'));
    assert.equal(ast.escapeChar, '`');
    const d = ast.directives[0];
    assert.equal(d.value, '`');
    assert.equal(span(d.nameRange), '1:4-1:10');
    assert.equal(span(d.valueRange), '1:16-1:17');
    assert.equal(span(d.range), '1:3-1:20');
  });

  it('a directive after a blank line is a plain comment', () => {
    const { ast } = parse(lines('', '# escape=`', 'FROM a'));
    assert.equal(ast.escapeChar, '\\');
    assert.deepEqual(ast.directives, []);
    assert.deepEqual(ast.comments.map((c) => c.text), [' escape=`']);
  });

  it('a directive after another comment is a plain comment', () => {
    const { ast } = parse(lines('# hello', '# escape=`', 'FROM a'));
    assert.equal(ast.escapeChar, '\\');
    assert.deepEqual(ast.directives, []);
    assert.deepEqual(ast.comments.map((c) => c.text), [' hello', ' escape=`']);
  });

  it('a directive after an instruction is a plain comment', () => {
    const { ast } = parse(lines('FROM a', '# escape=`', 'RUN x `', 'y'));
    assert.equal(ast.escapeChar, '\\');
    assert.deepEqual(ast.directives, []);
    // the backtick is no escape: `y` is an instruction of its own
    assert.deepEqual(ast.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'Y']);
  });

  it('an unknown directive name ends directive scanning', () => {
    const { ast } = parse(lines('# foo=bar', '# escape=`', 'FROM a'));
    assert.equal(ast.escapeChar, '\\');
    assert.deepEqual(ast.directives, []);
    assert.deepEqual(ast.comments.map((c) => c.text), [' foo=bar', ' escape=`']);
  });

  it('an empty directive value is no directive (and ends scanning)', () => {
    const { ast } = parse(lines('# escape=', '# syntax=x', 'FROM a'));
    assert.deepEqual(ast.directives, []);
    assert.equal(ast.comments.length, 2);
  });

  it('a duplicate directive is an error; the first one wins', () => {
    const { ast } = parse(lines('# escape=`', '# escape=\\', 'FROM a'));
    assert.equal(ast.escapeChar, '`');
    expectDiagnostics(lines('# escape=`', '# escape=\\', 'FROM a'), [
      { code: 'KF1012', line: 2, column: 1, endLine: 2, endColumn: 11, severity: 'error', message: 'only one escape parser directive can be used' },
    ]);
  });

  it('an invalid escape value is an error on the value, and the escape stays a backslash', () => {
    const text = lines('# escape=x', 'RUN a \\', 'b');
    expectDiagnostics(text, [{ code: 'KF1012', line: 1, column: 10, endColumn: 11, message: "invalid escape token 'x' does not match ` or \\" }]);
    const { ast } = parse(text);
    assert.equal(ast.escapeChar, '\\');
    assert.equal(ast.instructions[0].argsText, 'a b');
  });

  it('a shebang line ends directive scanning', () => {
    const { ast } = parse(lines('#!/usr/bin/env kubefilec', '# escape=`', 'FROM a'));
    assert.equal(ast.escapeChar, '\\');
    assert.deepEqual(ast.comments.map((c) => c.text), ['!/usr/bin/env kubefilec', ' escape=`']);
  });

  it('directives with CRLF line ends', () => {
    const { ast } = parse('# escape=`\r\nRUN a `\r\n b\r\n');
    assert.deepEqual(ast.directives.map((d) => d.value), ['`']);
    assert.equal(ast.instructions[0].argsText, 'a  b');
  });

  it('a UTF-8 BOM before the directives does not hide them', () => {
    const { ast } = parse('\uFEFF# escape=`\nRUN a `\nb');
    assert.equal(ast.escapeChar, '`');
    assert.equal(ast.instructions[0].argsText, 'a b');
  });
});

describe('lexing: line continuations', () => {
  it('joins lines ending in the escape character, keeping the blanks before it', () => {
    assert.deepEqual(argsOf(lines('RUN echo a \\', 'b')), ['echo a b']);
  });

  it('allows spaces and tabs after the escape character', () => {
    assert.deepEqual(argsOf('RUN echo a \\  \t\nb'), ['echo a b']);
  });

  it('keeps the leading whitespace of continuation lines', () => {
    assert.deepEqual(argsOf(lines('RUN a\\', '    b')), ['a    b']);
  });

  it('drops full-line comments inside a continuation (and lists them as comments)', () => {
    const text = lines('RUN a \\', '  # note \\', '# other', 'b');
    const { ast, diagnostics } = parse(text);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(ast.instructions.map((i) => i.argsText), ['a b']);
    assert.deepEqual(ast.comments.map((c) => [c.text, span(c.range)]), [
      [' note \\', '2:3-2:11'],
      [' other', '3:1-3:8'],
    ]);
  });

  it('drops empty lines inside a continuation, with a KF1013 warning', () => {
    const text = lines('RUN a \\', '', '  b');
    assert.deepEqual(argsOf(text), ['a   b']);
    expectDiagnostics(text, [{ code: 'KF1013', line: 2, column: 1, severity: 'warning' }]);
  });

  it('a continuation at the end of the file is no error', () => {
    expectClean('FROM a\nRUN a \\');
    assert.deepEqual(parse('FROM a\nRUN a \\').ast.instructions[1].args.map((a) => a.text), ['a']);
    assert.deepEqual(parse('FROM a\nRUN a \\\n').ast.instructions[1].args.map((a) => a.text), ['a']);
  });

  it('an escaped escape (\\\\) at the end of a line is not a continuation', () => {
    const { ast } = parse(lines('RUN echo a\\\\', 'FROM b'));
    assert.deepEqual(ast.instructions.map((i) => [i.keyword, i.argsText]), [
      ['RUN', 'echo a\\\\'],
      ['FROM', 'b'],
    ]);
  });

  it('an escaped escape followed by an escape (\\\\\\) is not a continuation either (BuildKit quirk)', () => {
    assert.deepEqual(keywordsOf(lines('RUN echo a \\\\\\', 'FROM b')), ['RUN', 'FROM']);
  });

  it('a continuation in the middle of a word joins the word', () => {
    const text = lines('COPY fi\\', 'le dest');
    const copy = parseAs(text, 'COPY');
    assert.deepEqual(copy.args.map((a) => a.text), ['file', 'dest']);
    assert.equal(span(copy.args[0].range), '1:6-2:3');
    assert.equal(copy.sources[0].text, 'file');
    assert.equal(copy.destination?.text, 'dest');
  });

  it('a continuation may split the keyword', () => {
    const run = parseOne(lines('RU\\', 'N echo hi'));
    assert.equal(run.keyword, 'RUN');
    assert.equal(run.keywordText, 'RUN');
    assert.deepEqual(run.args.map((a) => a.text), ['echo hi']);
  });

  it('a line holding only the escape character continues the instruction', () => {
    assert.deepEqual(argsOf(lines('RUN a \\', '\\', 'b')), ['a b']);
  });

  it('the instruction range covers all its physical lines', () => {
    const run = parseOne(lines('RUN a \\', '  # c', '  b'));
    assert.equal(span(run.range), '1:1-3:4');
    assert.equal(span(run.argsRange), '1:5-3:4');
  });

  it('works with CRLF line endings', () => {
    const text = 'FROM a\r\nCOPY x \\\r\n  y\r\nRUN b\r\n';
    const { ast, diagnostics } = parse(text);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(ast.instructions.map((i) => i.args.map((a) => a.text)), [['a'], ['x', 'y'], ['b']]);
    const copy = ast.instructions[1];
    assert.equal(span(copy.args[1].range), '3:3-3:4');
    assert.equal(span(copy.range), '2:1-3:4');
  });
});

describe('lexing: backtick escape mode', () => {
  it('takes backslashes literally (Windows paths) and continues lines with a backtick', () => {
    const text = lines('# escape=`', 'COPY C:\\src\\app `', '  D:\\dest\\');
    const copy = parseAs(text, 'COPY');
    assert.deepEqual(copy.args.map((a) => a.text), ['C:\\src\\app', 'D:\\dest\\']);
    assert.deepEqual(parse(text).diagnostics, []);
  });

  it('a trailing backslash is no continuation in backtick mode', () => {
    assert.deepEqual(keywordsOf(lines('# escape=`', 'RUN dir c:\\', 'FROM a')), ['RUN', 'FROM']);
  });

  it('a doubled backtick at the end of a line is no continuation', () => {
    assert.deepEqual(keywordsOf(lines('# escape=`', 'RUN echo ``', 'FROM a')), ['RUN', 'FROM']);
  });

  it('the backtick escapes $ in expanded words', () => {
    const copy = parseAs(lines('# escape=`', 'COPY `$HOME\\$X dst'), 'COPY');
    assert.deepEqual(variables(copy.args[0]).map((v) => v.name), ['X']);
  });
});

describe('lexing: comments', () => {
  it('# inside a line is text: RUN echo # not a comment', () => {
    const { ast } = parse('RUN echo # not a comment');
    assert.deepEqual(ast.instructions[0].args.map((a) => a.text), ['echo # not a comment']);
    assert.deepEqual(ast.comments, []);
  });

  it('# inside a COPY word is part of the word', () => {
    assert.deepEqual(argsOf('COPY a#b c'), ['a#b', 'c']);
  });

  it('a full-line comment (also indented) keeps the text after # and its range', () => {
    const { ast } = parse(lines('FROM a', '   # hello world', '#'));
    assert.deepEqual(ast.comments.map((c) => [c.text, span(c.range)]), [
      [' hello world', '2:4-2:17'],
      ['', '3:1-3:2'],
    ]);
    assert.equal(ast.instructions.length, 1);
  });

  it('blank lines and comments between instructions produce no instructions', () => {
    assert.deepEqual(keywordsOf(lines('', '  ', '# c', 'FROM a', '', 'RUN b', '')), ['FROM', 'RUN']);
  });
});

describe('lexing: exec form and shell form', () => {
  it('a JSON array of strings is exec form with decoded strings', () => {
    const cmd = parseOne('CMD ["kubectl", "get pods", "a\\"b", "\\u0041\\n"]');
    assert.equal(cmd.form, 'exec');
    assert.deepEqual(cmd.args.map((a) => a.text), ['kubectl', 'get pods', 'a"b', 'A\n']);
  });

  it('exec form element ranges cover the JSON string literal, quotes included', () => {
    const text = 'RUN [ "a",  "b c" ]';
    const run = parseOne(text);
    assert.deepEqual(run.args.map((a) => sliceOf(text, a.range)), ['"a"', '"b c"']);
  });

  it("['a'] is shell form with a KF1004 warning, not an error", () => {
    const cmd = parseOne("CMD ['a']");
    assert.equal(cmd.form, 'shell');
    assert.deepEqual(cmd.args.map((a) => a.text), ["['a']"]);
    expectDiagnostics("CMD ['a']", [{ code: 'KF1004', line: 1, column: 5, endColumn: 10, severity: 'warning' }]);
  });

  it('[ -f x ] style shell commands are shell form without diagnostics', () => {
    const run = parseOne('RUN [ -f /etc/x ] && echo yes');
    assert.equal(run.form, 'shell');
    assert.deepEqual(run.args.map((a) => a.text), ['[ -f /etc/x ] && echo yes']);
    expectClean('RUN [ -f /etc/x ] && echo yes');
  });

  it('a JSON array followed by more text is shell form', () => {
    const run = parseOne('RUN ["a"] b');
    assert.equal(run.form, 'shell');
    assert.deepEqual(run.args.map((a) => a.text), ['["a"] b']);
  });

  it('a JSON array with a non-string element is KF1005 and falls back to shell form', () => {
    const run = parseOne('RUN ["sleep", 10]');
    assert.equal(run.form, 'shell');
    expectDiagnostics('RUN ["sleep", 10]', [{ code: 'KF1005', line: 1, column: 5, endColumn: 18, severity: 'error' }]);
  });

  it('COPY exec form gives the decoded sources and destination', () => {
    const copy = parseAs('COPY ["my file", "/dest dir/"]', 'COPY');
    assert.equal(copy.form, 'exec');
    assert.deepEqual(copy.sources.map((s) => s.text), ['my file']);
    assert.equal(copy.destination?.text, '/dest dir/');
  });

  it('exec form spread over continuation lines', () => {
    const cmd = parseOne(lines('CMD ["a", \\', '     "b"]'));
    assert.equal(cmd.form, 'exec');
    assert.deepEqual(cmd.args.map((a) => a.text), ['a', 'b']);
    assert.equal(span(cmd.args[1].range), '2:6-2:9');
  });
});

describe('lexing: flags', () => {
  it('reads leading --flag[=value] options of COPY', () => {
    const copy = parseAs('COPY --from=base --chmod=755 --link a b', 'COPY');
    assert.deepEqual(copy.flags.map((f) => [f.name, f.value]), [
      ['from', 'base'],
      ['chmod', '755'],
      ['link', undefined],
    ]);
    assert.deepEqual(copy.args.map((a) => a.text), ['a', 'b']);
  });

  it('removes quotes from flag values but keeps them in the flag text', () => {
    const copy = parseOne('COPY --chown="app user" --from=\'x y\' a b');
    assert.deepEqual(copy.flags.map((f) => [f.name, f.value, f.text]), [
      ['chown', 'app user', '--chown="app user"'],
      ['from', 'x y', "--from='x y'"],
    ]);
  });

  it('an empty quoted value is an empty value', () => {
    assert.deepEqual(flagsOf('COPY --chown="" a b'), [['chown', '']]);
  });

  it('-- ends the flags and is dropped', () => {
    const copy = parseOne('COPY --from=a -- --weird-file b');
    assert.deepEqual(copy.flags.map((f) => f.name), ['from']);
    assert.deepEqual(copy.args.map((a) => a.text), ['--weird-file', 'b']);
  });

  it('flags after the first argument are arguments', () => {
    assert.deepEqual(flagsOf('COPY a --from=x b'), []);
    assert.deepEqual(argsOf('COPY a --from=x b'), ['a', '--from=x', 'b']);
    const run = parseOne('RUN make --jobs=4');
    assert.deepEqual(run.flags, []);
    assert.deepEqual(run.args.map((a) => a.text), ['make --jobs=4']);
  });

  it('a single-dash word ends the flags', () => {
    assert.deepEqual(flagsOf('COPY -x --from=a b c'), []);
  });

  it('the escape character in a flag value protects a blank', () => {
    const copy = parseOne('COPY --chown=app\\ user x y');
    assert.deepEqual(copy.flags.map((f) => [f.name, f.value]), [['chown', 'app user']]);
    assert.deepEqual(copy.args.map((a) => a.text), ['x', 'y']);
  });

  it('ADD flags', () => {
    const add = parseOne('ADD --unpack=true --checksum=sha256:abc --keep-git-dir https://x/a.tgz /opt/');
    assert.deepEqual(add.flags.map((f) => [f.name, f.value]), [
      ['unpack', 'true'],
      ['checksum', 'sha256:abc'],
      ['keep-git-dir', undefined],
    ]);
    expectClean('ADD --unpack=true --checksum=sha256:abc --keep-git-dir https://x/a.tgz /opt/');
  });

  it('RUN flags are not part of the command', () => {
    const run = parseAs('RUN --mount=type=cache,target=/root/.cache --network=none make', 'RUN');
    assert.deepEqual(run.flags.map((f) => [f.name, f.value]), [
      ['mount', 'type=cache,target=/root/.cache'],
      ['network', 'none'],
    ]);
    assert.equal(run.command?.text, 'make');
    assert.equal(run.argsText, 'make');
  });

  it('FROM --platform', () => {
    const from = parseAs('FROM --platform=linux/arm64 kubernetes:v1.22', 'FROM');
    assert.deepEqual(from.flags.map((f) => [f.name, f.value]), [['platform', 'linux/arm64']]);
    assert.equal(from.image?.text, 'kubernetes:v1.22');
  });

  it('flag name and value ranges', () => {
    const text = 'COPY --from=base a b';
    const flag = parseOne(text).flags[0];
    assert.equal(sliceOf(text, flag.range), '--from=base');
    assert.equal(sliceOf(text, flag.nameRange), 'from');
    assert.ok(flag.valueRange);
    assert.equal(sliceOf(text, flag.valueRange), 'base');
  });

  it('a flag continued over two lines', () => {
    const text = lines('COPY --fr\\', 'om=base a b');
    const flag = parseOne(text).flags[0];
    assert.equal(flag.name, 'from');
    assert.equal(flag.value, 'base');
    assert.equal(span(flag.range), '1:6-2:8');
  });
});

describe('lexing: heredocs', () => {
  it('reads a <<EOF body up to the delimiter line', () => {
    const text = lines('RUN <<EOF', 'echo hi', 'echo there', 'EOF', 'FROM a');
    const { ast, diagnostics } = parse(text);
    assert.deepEqual(diagnostics, []);
    const run = ast.instructions[0];
    assert.equal(run.heredocs.length, 1);
    const h = run.heredocs[0];
    assert.deepEqual([h.name, h.chomp, h.expand, h.terminated, h.fileDescriptor], ['EOF', false, true, true, 0]);
    assert.equal(h.content, 'echo hi\necho there\n');
    assert.equal(sliceOf(text, h.startRange), '<<EOF');
    assert.equal(span(h.contentRange), '2:1-4:1');
    assert.equal(span(h.range), '2:1-4:4');
    assert.equal(span(run.range), '1:1-4:4');
    assert.deepEqual(ast.instructions.map((i) => i.keyword), ['RUN', 'FROM']);
  });

  it('<<-EOF accepts a tab-indented delimiter and keeps the tabs in the content', () => {
    const h = parseOne(lines('RUN <<-EOF', '\techo hi', '\t\tEOF')).heredocs[0];
    assert.deepEqual([h.chomp, h.terminated], [true, true]);
    assert.equal(h.content, '\techo hi\n');
  });

  it('<<-EOF does not accept a space-indented delimiter', () => {
    const h = parseOne(lines('RUN <<-EOF', '  EOF', 'EOF')).heredocs[0];
    assert.equal(h.content, '  EOF\n');
    assert.equal(h.terminated, true);
  });

  it('the delimiter must match exactly (no indentation without <<-, no trailing blanks)', () => {
    const h = parseOne(lines('RUN <<EOF', '\tEOF', 'EOF ', 'eof', 'EOF')).heredocs[0];
    assert.equal(h.content, '\tEOF\nEOF \neof\n');
    assert.equal(h.terminated, true);
  });

  it("quoted delimiters ('EOF', \"EOF\", partly quoted) do not expand", () => {
    const copy = parseOne(lines("COPY <<'A' <<\"B\" <<E'O'F <<G /dest/", 'x $A', 'A', 'y', 'B', 'z', 'EOF', 'g', 'G'));
    assert.deepEqual(copy.heredocs.map((h) => [h.name, h.expand, h.content]), [
      ['A', false, 'x $A\n'],
      ['B', false, 'y\n'],
      ['EOF', false, 'z\n'],
      ['G', true, 'g\n'],
    ]);
  });

  it('several heredocs on one line are read in order', () => {
    const text = lines('COPY <<one <<two /dest/', 'first', 'one', 'second', 'two', 'FROM a');
    const { ast, diagnostics } = parse(text);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(ast.instructions[0].heredocs.map((h) => [h.name, h.content]), [
      ['one', 'first\n'],
      ['two', 'second\n'],
    ]);
    assert.deepEqual(ast.instructions.map((i) => i.keyword), ['COPY', 'FROM']);
  });

  it('<< EOF with a space is a heredoc named EOF', () => {
    const h = parseOne(lines('RUN cat << EOF', 'x', 'EOF')).heredocs[0];
    assert.equal(h.name, 'EOF');
    assert.equal(h.content, 'x\n');
  });

  it('escaped quotes in the delimiter are part of the name and still expand; $ is kept', () => {
    const { ast } = parse(lines("RUN <<E\\'OF", 'x', "E'OF", 'RUN <<$EOF', 'y', '$EOF', 'FROM a'));
    assert.deepEqual(ast.instructions.map((i) => i.heredocs.map((h) => [h.name, h.expand, h.content])), [
      [["E'OF", true, 'x\n']],
      [['$EOF', true, 'y\n']],
      [],
    ]);
  });

  it('heredocs announced across a continuation are read after the logical line', () => {
    const run = parseOne(lines('RUN <<EOF cat \\', '  <<EOF2', 'a', 'EOF', 'b', 'EOF2'));
    assert.deepEqual(run.heredocs.map((h) => [h.name, h.content]), [
      ['EOF', 'a\n'],
      ['EOF2', 'b\n'],
    ]);
  });

  it('a file descriptor prefix is read', () => {
    const h = parseOne(lines('RUN 3<<EOF cat /proc/self/fd/3', 'x', 'EOF')).heredocs[0];
    assert.deepEqual([h.name, h.fileDescriptor], ['EOF', 3]);
  });

  it('a quoted <<EOF word is no heredoc', () => {
    assert.deepEqual(keywordsOf(lines('RUN echo "<<EOF"', 'FROM a')), ['RUN', 'FROM']);
    assert.deepEqual(parse(lines('RUN echo "<<EOF"', 'FROM a')).ast.instructions[0].heredocs, []);
  });

  it('an unterminated heredoc runs to the end of the file (KF1009)', () => {
    const text = lines('RUN <<EOF', 'echo hi', 'FROM a');
    const run = parseOne(text);
    assert.equal(run.heredocs[0].terminated, false);
    assert.equal(run.heredocs[0].content, 'echo hi\nFROM a');
    assert.deepEqual(codesOf(text), ['KF1009']);
  });

  it('an empty heredoc body', () => {
    const h = parseOne(lines('RUN <<EOF', 'EOF')).heredocs[0];
    assert.deepEqual([h.content, h.terminated], ['', true]);
  });

  it('heredoc bodies are raw: comments, continuations and directives are content', () => {
    const h = parseOne(lines('RUN <<EOF', '# not a comment \\', '# escape=`', 'EOF')).heredocs[0];
    assert.equal(h.content, '# not a comment \\\n# escape=`\n');
    assert.deepEqual(parse(lines('RUN <<EOF', '# c', 'EOF')).ast.comments, []);
  });

  it('heredocs are not recognised in exec form', () => {
    const { ast } = parse(lines('RUN ["<<EOF"]', 'FROM a'));
    assert.deepEqual(ast.instructions.map((i) => [i.keyword, i.heredocs.length]), [
      ['RUN', 0],
      ['FROM', 0],
    ]);
  });

  it('heredocs are not recognised in CMD (the next line is an instruction)', () => {
    const { ast, diagnostics } = parse(lines('CMD cat <<EOF', 'FROM a'));
    assert.deepEqual(ast.instructions.map((i) => [i.keyword, i.heredocs.length]), [
      ['CMD', 0],
      ['FROM', 0],
    ]);
    assert.deepEqual(diagnostics, []);
  });

  it('heredocs are not recognised in ENV or LABEL', () => {
    assert.deepEqual(keywordsOf(lines('ENV a <<EOF', 'FROM x', 'LABEL b=<<EOF', 'RUN y')), ['ENV', 'FROM', 'LABEL', 'RUN']);
  });

  it('lower-case keywords take heredocs too', () => {
    assert.deepEqual(parseOne(lines('run <<EOF', 'x', 'EOF')).heredocs.map((h) => h.content), ['x\n']);
  });

  it('a heredoc line continued onto the next line', () => {
    const run = parseOne(lines('RUN <<EOF \\', '  && echo after', 'body', 'EOF'));
    assert.equal(run.argsText, '<<EOF   && echo after');
    assert.deepEqual(run.heredocs.map((h) => h.content), ['body\n']);
  });

  it('CRLF heredoc bodies keep their raw line ends; the delimiter matches before \\r\\n', () => {
    const { ast } = parse('RUN cat <<EOF\r\nline1\r\nEOF\r\nFROM a\r\n');
    assert.equal(ast.instructions[0].heredocs[0].content, 'line1\r\n');
    assert.equal(ast.instructions[0].heredocs[0].terminated, true);
    assert.deepEqual(ast.instructions.map((i) => i.keyword), ['RUN', 'FROM']);
  });
});

describe('lexing: BOM and line endings', () => {
  it('a BOM at the start is skipped; offsets still count it', () => {
    const text = '\uFEFFFROM a';
    const from = parseAs(text, 'FROM');
    assert.equal(from.keywordText, 'FROM');
    assert.equal(from.keywordRange.start.offset, 1);
    assert.equal(sliceOf(text, from.keywordRange), 'FROM');
    expectClean(text);
  });

  it('CRLF: ranges end before \\r and arguments carry no \\r', () => {
    const text = 'FROM a\r\nCOPY src dst\r\n';
    const { ast } = parse(text);
    const copy = ast.instructions[1];
    assert.deepEqual(copy.args.map((a) => a.text), ['src', 'dst']);
    assert.equal(span(copy.range), '2:1-2:13');
    assert.equal(sliceOf(text, copy.args[1].range), 'dst');
    assert.equal(copy.argsText, 'src dst');
  });

  it('only ASCII blanks separate COPY words (a no-break space does not)', () => {
    assert.deepEqual(argsOf('COPY\ta\u00a0b\t c'), ['a\u00a0b', 'c']);
  });

  it('leading blanks before the keyword', () => {
    const run = parseOne('   \tRUN x');
    assert.equal(span(run.keywordRange), '1:5-1:8');
  });

  it('no trailing newline', () => {
    assert.deepEqual(argsOf('COPY a b'), ['a', 'b']);
  });
});

describe('lexing: ARG, ENV and LABEL words', () => {
  it('ARG takes several name and name=value words', () => {
    const arg = parseAs('ARG A B=2 C="x y" D=', 'ARG');
    assert.deepEqual(arg.declarations.map((d) => [d.name.text, d.value?.text, d.separator]), [
      ['A', undefined, ''],
      ['B', '2', '='],
      ['C', '"x y"', '='],
      ['D', '', '='],
    ]);
    assert.deepEqual(arg.args.map((a) => a.text), ['A', 'B=2', 'C="x y"', 'D=']);
  });

  it('ENV k=v pairs keep quotes and escapes in the value text', () => {
    const env = parseAs('ENV a="v w" b=x\\ y c=\'$HOME\'', 'ENV');
    assert.deepEqual(env.pairs.map((p) => [p.name.text, p.value?.text, p.separator]), [
      ['a', '"v w"', '='],
      ['b', 'x\\ y', '='],
      ['c', "'$HOME'", '='],
    ]);
  });

  it('legacy ENV k v w: the value is the rest of the line', () => {
    const env = parseAs('ENV PATH /usr/bin  /bin  ', 'ENV');
    assert.deepEqual(env.pairs.map((p) => [p.name.text, p.value?.text, p.separator]), [['PATH', '/usr/bin  /bin', ' ']]);
    assert.deepEqual(env.args.map((a) => a.text), ['PATH', '/usr/bin  /bin']);
  });

  it('the form is decided by the first word: ENV "a=b" c=d is the k=v form', () => {
    const env = parseAs('ENV "a=b" c=d', 'ENV');
    assert.deepEqual(env.pairs.map((p) => [p.name.text, p.value?.text]), [
      ['"a', 'b"'],
      ['c', 'd'],
    ]);
  });

  it('LABEL with quoted keys and values', () => {
    const label = parseAs('LABEL "org.example.name"="my app" version=1.0', 'LABEL');
    assert.deepEqual(label.pairs.map((p) => [p.name.text, p.value?.text]), [
      ['"org.example.name"', '"my app"'],
      ['version', '1.0'],
    ]);
  });

  it('pair, name and value ranges', () => {
    const text = 'ENV key=value';
    const pair = parseAs(text, 'ENV').pairs[0];
    assert.equal(sliceOf(text, pair.range), 'key=value');
    assert.equal(sliceOf(text, pair.name.range), 'key');
    assert.ok(pair.value);
    assert.equal(sliceOf(text, pair.value.range), 'value');
  });

  it('an escaped blank does not split ENV words', () => {
    assert.deepEqual(argsOf('ENV a=x\\ y b=z'), ['a=x\\ y', 'b=z']);
  });
});

describe('lexing: variable references', () => {
  it('${ARCH} inside a word: name, ranges and surrounding literals', () => {
    const text = 'COPY bin/${ARCH}/helm /bin';
    const word = parseOne(text).args[0];
    assert.ok(word.parts);
    assert.deepEqual(
      word.parts.map((p) => (p.kind === 'literal' ? p.text : `var:${p.name}`)),
      ['bin/', 'var:ARCH', '/helm'],
    );
    const [v] = variables(word);
    assert.deepEqual([v.name, v.braced, v.quoted, v.modifier], ['ARCH', true, false, undefined]);
    assert.equal(sliceOf(text, v.range), '${ARCH}');
    assert.equal(sliceOf(text, v.nameRange), 'ARCH');
  });

  it('$NAME without braces', () => {
    const text = 'COPY $HOME/x dst';
    const [v] = variables(parseOne(text).args[0]);
    assert.deepEqual([v.name, v.braced], ['HOME', false]);
    assert.equal(sliceOf(text, v.range), '$HOME');
  });

  const modifiers: [string, string][] = [
    [':-', 'w'],
    ['-', 'w'],
    [':+', 'w'],
    ['+', 'w'],
    [':?', 'msg'],
    ['?', 'msg'],
    ['#', 'p*'],
    ['##', 'p*'],
    ['%', '*s'],
    ['%%', '*s'],
  ];
  for (const [modifier, operand] of modifiers) {
    it(`modifier ${modifier}`, () => {
      const ref = `\${V${modifier}${operand}}`;
      const text = `COPY ${ref} dst`;
      expectClean(text);
      const [v] = variables(parseOne(text).args[0]);
      assert.equal(v.name, 'V');
      assert.equal(v.modifier, modifier);
      assert.equal(sliceOf(text, v.range), ref);
      assert.equal(sliceOf(text, v.nameRange), 'V');
      assert.deepEqual(v.operand?.map((p) => (p.kind === 'literal' ? p.value : `$${p.name}`)), [operand]);
    });
  }

  for (const modifier of ['/', '//']) {
    it(`modifier ${modifier} (pattern and replacement)`, () => {
      const text = `COPY \${V${modifier}amd64/arm64} dst`;
      expectClean(text);
      const [v] = variables(parseOne(text).args[0]);
      assert.equal(v.modifier, modifier);
      assert.deepEqual(v.operand?.map((p) => (p.kind === 'literal' ? p.text : p.name)), ['amd64']);
      assert.deepEqual(v.replacement?.map((p) => (p.kind === 'literal' ? p.text : p.name)), ['arm64']);
      assert.equal(sliceOf(text, v.range), `\${V${modifier}amd64/arm64}`);
    });
  }

  it('nested ${a:-${b}}: both references, with exact ranges', () => {
    const text = 'COPY ${a:-${b}} dst';
    const vars = variables(parseOne(text).args[0]);
    assert.deepEqual(vars.map((v) => [v.name, sliceOf(text, v.range), sliceOf(text, v.nameRange)]), [
      ['a', '${a:-${b}}', 'a'],
      ['b', '${b}', 'b'],
    ]);
    assert.equal(vars[0].operand?.[0].kind, 'variable');
  });

  it('single quotes make $ literal; double quotes keep references (marked quoted)', () => {
    const text = 'ENV a=\'$X\' b="$Y"';
    const env = parseAs(text, 'ENV');
    assert.deepEqual(variables(env.pairs[0].value), []);
    const [y] = variables(env.pairs[1].value);
    assert.deepEqual([y.name, y.quoted], ['Y', true]);
    assert.equal(sliceOf(text, y.range), '$Y');
  });

  it('an escaped $ is literal', () => {
    assert.deepEqual(variables(parseOne('COPY \\$HOME dst').args[0]), []);
  });

  it('$ before a non-name character is literal; a name starting with a digit is digits only', () => {
    const text = 'COPY a$-b$/c$1abc dst';
    const vars = variables(parseOne(text).args[0]);
    // `$-` is a special parameter, `$/` is literal, `$1abc` is `$1` then `abc`
    assert.deepEqual(vars.map((v) => [v.name, sliceOf(text, v.range)]), [
      ['-', '$-'],
      ['1', '$1'],
    ]);
  });

  it('variables in a word split by a continuation keep source ranges', () => {
    const text = lines('COPY ${AR\\', 'CH} dst');
    const [v] = variables(parseOne(text).args[0]);
    assert.equal(v.name, 'ARCH');
    assert.equal(span(v.range), '1:6-2:4');
    assert.equal(span(v.nameRange), '1:8-2:3');
  });

  it('RUN shell text: references are located with sh rules, ${#V} and unsupported modifiers are fine', () => {
    const text = 'RUN echo ${#V} ${V:0:2} $(pwd) $HOME';
    expectClean(text);
    const run = parseAs(text, 'RUN');
    const vars = variables(run.command);
    assert.deepEqual(vars.map((v) => v.name), ['V', 'V', 'HOME']);
    assert.deepEqual(vars.map((v) => sliceOf(text, v.nameRange)), ['V', 'V', 'HOME']);
    assert.deepEqual(vars.map((v) => sliceOf(text, v.range)), ['${#V}', '${V:0:2}', '$HOME']);
  });

  it('exec form elements are not scanned for variables', () => {
    assert.equal(parseOne('RUN ["echo", "$HOME"]').args[1].parts, undefined);
  });
});

describe('lexing: argument shapes (kubefilec parse)', () => {
  it('RUN shell form is one string exactly as the shell gets it', () => {
    const text = lines('RUN apt-get update \\', '  # install', '  && apt-get install -y \\', '     curl  ');
    assert.deepEqual(argsOf(text), ['apt-get update   && apt-get install -y      curl']);
  });

  it('CMD shell form is one string', () => {
    assert.deepEqual(argsOf('CMD  kubectl get pods   -A  '), ['kubectl get pods   -A']);
  });

  it('RUN exec form is the decoded strings', () => {
    assert.deepEqual(argsOf('RUN ["sh", "-c", "echo \\"hi\\""]'), ['sh', '-c', 'echo "hi"']);
  });

  it('FROM, COPY and ADD are whitespace-separated words (quotes are not special)', () => {
    assert.deepEqual(argsOf('FROM  kubernetes:v1.19.8 '), ['kubernetes:v1.19.8']);
    assert.deepEqual(argsOf('COPY "a b" c'), ['"a', 'b"', 'c']);
    assert.deepEqual(argsOf('ADD\thttps://x/y.tgz \t /opt/'), ['https://x/y.tgz', '/opt/']);
  });

  it('ARG is one element per word', () => {
    assert.deepEqual(argsOf('ARG a b=1 c="2 3"'), ['a', 'b=1', 'c="2 3"']);
  });

  it('MAINTAINER and KUBEVERSION take the rest of the line as one argument', () => {
    assert.deepEqual(argsOf('KUBEVERSION  1.22 - 1.24 '), ['1.22 - 1.24']);
    assert.deepEqual(argsOf('MAINTAINER Jane Doe <jane@example.com>'), ['Jane Doe <jane@example.com>']);
  });

  it('APP, LAUNCH, CMDS, APPCMDS, APPENV shapes', () => {
    const app = parseAs('APP nginx local://nginx.yaml https://x/y.yaml', 'APP');
    assert.equal(app.name?.text, 'nginx');
    assert.deepEqual(app.sources.map((s) => s.text), ['local://nginx.yaml', 'https://x/y.yaml']);
    assert.deepEqual(parseAs('LAUNCH ["calico", "nginx"]', 'LAUNCH').apps.map((a) => a.text), ['calico', 'nginx']);
    assert.deepEqual(parseAs('CMDS ["kubectl get nodes"]', 'CMDS').commands.map((c) => c.text), ['kubectl get nodes']);
    const cmds = parseAs('APPCMDS nginx ["kubectl", "apply", "-f", "nginx.yaml"]', 'APPCMDS');
    assert.equal(cmds.app?.text, 'nginx');
    assert.deepEqual(cmds.command.map((c) => c.text), ['kubectl', 'apply', '-f', 'nginx.yaml']);
    assert.deepEqual(cmds.args.map((a) => a.text), ['nginx', 'kubectl', 'apply', '-f', 'nginx.yaml']);
    const env = parseAs('APPENV nginx replicas=2 image="nginx:1"', 'APPENV');
    assert.equal(env.app?.text, 'nginx');
    assert.deepEqual(env.pairs.map((p) => [p.name.text, p.value?.text]), [
      ['replicas', '2'],
      ['image', '"nginx:1"'],
    ]);
  });

  it('keywords are case-insensitive; keywordText keeps the spelling', () => {
    const i = parseOne('copy a b');
    assert.deepEqual([i.keyword, i.keywordText], ['COPY', 'copy']);
  });

  it('an instruction without arguments has empty argsText and args', () => {
    const i = parseOne('FROM');
    assert.equal(i.argsText, '');
    assert.deepEqual(i.args, []);
  });
});
