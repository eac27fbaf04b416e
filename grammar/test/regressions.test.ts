/** Cases the property tests and reviews found, kept as plain examples. */
import assert from 'node:assert/strict';
import { parse, reparse } from '@kubefile/grammar';
import { argsOf, keywordsOf, sliceOf, span } from './helpers.js';

describe('regressions', () => {
  it('Unicode blanks at the start of a line are white space (BuildKit trims with unicode.IsSpace)', () => {
    assert.deepEqual(keywordsOf('\u00a0\n\u3000FROM a\n\u2028# comment\n'), ['FROM']);
    const { ast, diagnostics } = parse('\u00a0FROM a');
    assert.deepEqual(diagnostics, []);
    assert.equal(span(ast.instructions[0].range), '1:2-1:8');
    assert.equal(ast.comments.length, 0);
    assert.equal(parse('\u2028# comment\nFROM a').ast.comments[0].text, ' comment');
  });

  it('a heredoc word ending in a literal backslash stays inside the text', () => {
    const text = '# escape=`\nRUN <<EOF\\';
    const { ast, diagnostics } = parse(text);
    const heredoc = ast.instructions[0].heredocs[0];
    assert.equal(heredoc.name, 'EOF');
    assert.equal(sliceOf(text, heredoc.startRange), '<<EOF\\');
    assert.equal(diagnostics[0].code, 'KF1009');
    assert.ok(diagnostics[0].range.end.offset <= text.length);
  });

  it('carriage returns before a newline or the end of the file do not stop a continuation', () => {
    assert.deepEqual(argsOf('RUN echo a \\\r\r\n  b\n'), ['echo a   b']);
    const { ast } = parse('FROM a\nCOPY <<EOF\\\r');
    assert.equal(ast.instructions[1].heredocs[0].name, 'EOF');
    assert.equal(ast.instructions[1].argsText, '<<EOF');
  });

  it('a heredoc word whose escape takes a trailing CR keeps the CR in its name but not in its range', () => {
    // BuildKit names it "EOF\r" (heredocsFromLine sees the untrimmed line); the arguments end before the CR.
    const text = 'RUN <<EOF\\\r\\\n';
    const instruction = parse(text).ast.instructions[0];
    const heredoc = instruction.heredocs[0];
    assert.equal(heredoc.name, 'EOF\r');
    assert.equal(instruction.argsText, '<<EOF\\');
    assert.equal(sliceOf(text, heredoc.startRange), '<<EOF\\');
    assert.equal(heredoc.startRange.end.offset, instruction.range.end.offset);
  });

  it('the property test\'s heredoc ending in escapes and a CR at the end of the file stays inside its COPY', () => {
    const text =
      '# escape=\\\r\n# escape=`\r\n\n\tRUN \\ \t\r\na\\ b${1:-${B}}manifests \r\n CSI --from=builder "unterminated \\\r\n#\r\n# comment\r\n' +
      '  ${a_b} \\ \t\r\n\r\n<<"EOF" b.yaml ${V/a/${R:-z}}\t\r\nEOF\r\ncmd  -  ${é/a/${R:-z}}\t\r\n\tCOPY --network=cloud \\ \t\r\n   \r\n   \r\n' +
      ' ADD manifests${k=  "${a b} ${@/a/${R:-z}}" <<EOF\\\r\\\n\n';
    const copy = parse(text).ast.instructions[4];
    assert.equal(copy.keyword, 'COPY');
    assert.equal(sliceOf(text, copy.heredocs[0].startRange), '<<EOF\\');
    assert.ok(copy.heredocs[0].startRange.end.offset <= copy.range.end.offset);
  });

  it('an unclosed ${ ending in a backslash in RUN/CMD text ends at the end of the word', () => {
    const text = '# escape=`\nCMD ${x\\';
    const { ast, diagnostics } = parse(text);
    const command = ast.instructions[0].args[0];
    assert.equal(sliceOf(text, command.parts![0].range), '${x\\');
    assert.equal(diagnostics[0].message, "syntax error: missing '}'");
    assert.equal(diagnostics[0].range.end.offset, text.length);
  });

  it('${NAME: at the end of a word does not reach past it', () => {
    const text = 'COPY ${V: b';
    const { ast, diagnostics } = parse(text);
    const source = ast.instructions[0].args[0];
    assert.equal(sliceOf(text, source.range), '${V:');
    assert.equal(sliceOf(text, source.parts![0].range), '${V:');
    assert.equal(diagnostics[0].code, 'KF1007');
    assert.equal(sliceOf(text, diagnostics[0].range), '${V:');
  });

  it('APPCMDS with its JSON array is exec form, and its args are the app then the command', () => {
    const { ast } = parse('APPCMDS app1 ["kubectl", "apply", "-f", "a.yaml"]');
    assert.equal(ast.instructions[0].form, 'exec');
    assert.deepEqual(argsOf('APPCMDS app1 ["kubectl", "apply", "-f", "a.yaml"]'), ['app1', 'kubectl', 'apply', '-f', 'a.yaml']);
  });

  it('a heredoc marker split by a line continuation reads its body (BuildKit looks for << in the joined line)', () => {
    const text = 'FROM a\nCOPY <\\\n<-END x\n\tEND\nRUN a';
    const { ast, diagnostics } = parse(text);
    assert.deepEqual(keywordsOf(text), ['FROM', 'COPY', 'RUN']);
    assert.deepEqual(diagnostics, []);
    const heredoc = ast.instructions[1].heredocs[0];
    assert.equal(heredoc.terminated, true);
    assert.equal(sliceOf(text, heredoc.range), '\tEND');
    assert.equal(parse('# escape=`\nRUN <`\n<EOF\necho hi\nEOF\n').ast.instructions[0].heredocs[0].content, 'echo hi\n');
    // Not when the continuation line starts with blanks: then the joined line has `< <`.
    assert.deepEqual(keywordsOf('COPY <\\\n <END x\nEND\n'), ['COPY', 'END']);
  });

  it('reparse after an edit below a heredoc marker split by a continuation gives what parse gives (fuzz-found)', () => {
    const before = '# escape=`\nFROM a\nCOPY <`\n<-END x\n\tEND\nRUN a';
    const after = before.replace('\tEND', 'END');
    const snapshot = (text: string, r = parse(text)) => JSON.stringify({ ast: r.ast, diagnostics: r.diagnostics });
    assert.equal(snapshot(after, reparse(parse(before), after)), snapshot(after));
  });

  it('comment lines inside a continuation after the last instruction are still comments', () => {
    const { ast } = parse('FROM a\n\\\n# trailing\n');
    assert.deepEqual(ast.comments.map((c) => c.text), [' trailing']);
  });
});
