/**
 * `reparse`: the edited file parses to what `parse` gives (the property test checks that on random
 * edits), and the instructions the edit did not touch are the old objects, moved.
 */
import assert from 'node:assert/strict';
import { parse, reparse, type ParseResult } from '@kubefile/grammar';

const snapshot = (r: ParseResult) => JSON.stringify({ ast: r.ast, diagnostics: r.diagnostics });

function edit(text: string, at: number, remove: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at + remove);
}

const lines = ['FROM kubernetes:v1.19.8'];
for (let i = 0; i < 200; i++) lines.push(i % 3 === 0 ? `# step ${i}` : `COPY \${ARCH}/bin/tool-${i} bin`);
const FILE = `${lines.join('\n')}\n`;

describe('reparse', () => {
  it('keeps the instructions before and after a one-line edit and moves the later ones', () => {
    const before = parse(FILE);
    const oldInstructions = [...before.ast.instructions];
    const at = FILE.indexOf('tool-100');
    const text = edit(FILE, at, 0, 'new-');
    const after = reparse(before, text);
    assert.equal(snapshot(after), snapshot(parse(text)));
    const index = after.ast.instructions.findIndex((i) => i.argsText.includes('new-tool-100'));
    assert.ok(index > 0);
    assert.equal(after.ast.instructions[0], oldInstructions[0]);
    assert.equal(after.ast.instructions[index - 1], oldInstructions[index - 1]);
    assert.notEqual(after.ast.instructions[index], oldInstructions[index]);
    const last = after.ast.instructions.length - 1;
    assert.equal(after.ast.instructions[last], oldInstructions[last]);
    // The kept node now measures the new text.
    assert.equal(after.ast.instructions[last].range.start.offset, text.lastIndexOf('COPY'));
  });

  it('finds control characters an edit brings, and moves those already there (no rescan when there were none)', () => {
    let text = FILE;
    let result = parse(text);
    const steps: ((t: string) => [number, number, string])[] = [
      // None before, none brought: the shortcut.
      (t) => [t.indexOf('tool-7 '), 0, 'y'],
      // The first one.
      (t) => [t.indexOf('tool-151 '), 0, '\x01'],
      // One is there: an edit above it moves it.
      () => [0, 0, '# moved\n'],
      // Removed again.
      (t) => [t.indexOf('\x01'), 1, ''],
    ];
    const found: string[][] = [];
    for (const step of steps) {
      const [at, remove, insert] = step(text);
      text = edit(text, at, remove, insert);
      result = reparse(result, text);
      assert.equal(snapshot(result), snapshot(parse(text)));
      found.push(result.diagnostics.filter((d) => d.code === 'KF1018').map((d) => `${d.range.start.line}:${d.range.start.column}`));
    }
    const line = FILE.slice(0, FILE.indexOf('tool-151 ')).split('\n').length - 1;
    assert.deepEqual(found, [[], [`${line}:${'COPY ${ARCH}/bin/'.length}`], [`${line + 1}:${'COPY ${ARCH}/bin/'.length}`], []]);
  });

  it('follows a series of edits: typing, a new line, a deleted line', () => {
    let text = FILE;
    let result = parse(text);
    const steps: ((t: string) => [number, number, string])[] = [
      (t) => [t.indexOf('tool-5 '), 0, 'x'],
      (t) => [t.indexOf('COPY ${ARCH}/bin/tool-50 '), 0, 'FROM other\n'],
      (t) => [t.indexOf('# step 9\n'), '# step 9\n'.length, ''],
      (t) => [t.length, 0, 'CMD kubectl get nodes\n'],
      () => [0, 0, '# top\n'],
    ];
    for (const step of steps) {
      const [at, remove, insert] = step(text);
      text = edit(text, at, remove, insert);
      result = reparse(result, text);
      assert.equal(snapshot(result), snapshot(parse(text)));
    }
    assert.equal(result.ast.instructions.at(-1)?.keyword, 'CMD');
  });

  it('an edit that leaves a heredoc unterminated puts its empty body at the end of the file, as a fresh parse does', () => {
    const first = 'FROM scratch\nCOPY <<-"END" /dst\n\tbody\n\tEND\nENV K=v\nKUBEVERSION 1.22 - 1.24\nMAINTAINER Jane <j@example.com>\n';
    const text = edit(first, first.indexOf('\tEND'), '\tEND\n'.length, '');
    const again = reparse(parse(first), text);
    assert.equal(snapshot(again), snapshot(parse(text)));
    assert.equal(again.ast.instructions[1].heredocs[0].terminated, false);
    assert.equal(again.ast.instructions[1].heredocs[0].contentRange.end.offset, text.length);
  });

  it('an edit that unterminates a heredoc up to the next one\'s terminator keeps the instructions far from it', () => {
    const heredocs = ['FROM scratch'];
    for (let i = 0; i < 100; i++) heredocs.push(`RUN <<EOF\necho ${i}\nEOF`, `COPY bin/tool-${i} bin`, `COPY bin/more-${i} bin`, `COPY bin/last-${i} bin`);
    const first = `${heredocs.join('\n')}\n`;
    const before = parse(first);
    const oldInstructions = [...before.ast.instructions];
    // "EOF " ends nothing: the body runs on to the next RUN's terminator, as a fresh parse reads it.
    const at = first.indexOf('echo 10\nEOF') + 'echo 10\nEOF'.length;
    const text = edit(first, at, 0, ' ');
    const after = reparse(before, text);
    assert.equal(snapshot(after), snapshot(parse(text)));
    assert.equal(after.ast.instructions.length, oldInstructions.length - 4);
    assert.equal(after.ast.instructions[1], oldInstructions[1]);
    assert.equal(after.ast.instructions.at(-1), oldInstructions.at(-1), 'the fragment met the old text again: not a whole parse');
  });

  it('an edit that splits a heredoc marker with a line continuation still reads its body, as BuildKit does', () => {
    // Found by the reparse property; BuildKit looks for `<<` in the joined line.
    const first = 'FROM scratch\nCOPY <<-"END" /dst\n\tbody\n\tEND\nENV K=v\nKUBEVERSION 1.22 - 1.24\nMAINTAINER Jane <j@example.com>\n';
    const text = edit(first, first.indexOf('<-"END"'), 0, '\\\n');
    const again = reparse(parse(first), text);
    assert.equal(snapshot(again), snapshot(parse(text)));
    assert.equal(again.ast.instructions[1].heredocs[0].content, parse(first).ast.instructions[1].heredocs[0].content);
    assert.deepEqual(again.diagnostics, []);
  });

  it('joins the next line when an edit adds a line continuation', () => {
    const text = 'FROM a\nRUN echo one\necho two\nCMD x\n';
    const next = edit(text, text.indexOf('one') + 3, 0, ' \\');
    const result = reparse(parse(text), next);
    assert.equal(snapshot(result), snapshot(parse(next)));
    assert.deepEqual(
      result.ast.instructions.map((i) => i.keyword),
      ['FROM', 'RUN', 'CMD'],
    );
  });

  it('reads a heredoc body appended after the last line', () => {
    const text = 'FROM a\nRUN <<EOF\n';
    const next = `${text}echo hi\nEOF\n`;
    const result = reparse(parse(text), next);
    assert.equal(snapshot(result), snapshot(parse(next)));
    assert.equal(result.ast.instructions[1].heredocs[0].content, 'echo hi\n');
  });

  it('an edit that opens a heredoc swallows the lines after it, as a fresh parse does', () => {
    const next = edit(FILE, FILE.indexOf('tool-3 ') + 'tool-3 bin'.length, 0, ' <<EOF');
    const result = reparse(parse(FILE), next);
    assert.equal(snapshot(result), snapshot(parse(next)));
  });

  it('parses everything again when the escape directive changes', () => {
    const text = '# escape=\\\nFROM a\nRUN a `\nb\n';
    const next = text.replace('escape=\\', 'escape=`');
    const result = reparse(parse(text), next);
    assert.equal(result.ast.escapeChar, '`');
    assert.equal(snapshot(result), snapshot(parse(next)));
  });

  it('a result already reparsed is parsed again from scratch', () => {
    const first = parse(FILE);
    reparse(first, `${FILE}CMD a\n`);
    const again = reparse(first, `${FILE}CMD b\n`);
    assert.equal(snapshot(again), snapshot(parse(`${FILE}CMD b\n`)));
  });
});
