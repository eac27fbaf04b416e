/** On-type formatting after Enter on a continued line. */
import assert from 'node:assert/strict';
import { applyEdits } from '../src/format.js';
import { onTypeFormat } from '../src/on-type-format.js';
import { setup } from './helpers.js';

const OPTIONS = { tabSize: 4, insertSpaces: true };

/** The text after Enter was pressed where `|` is (the newline is already in the text) and the edits applied. */
async function afterEnter(marked: string, options = OPTIONS): Promise<string> {
  const { analysis, position } = await setup(marked);
  return applyEdits(analysis.text, onTypeFormat(analysis, position, '\n', options));
}

describe('on-type formatting', () => {
  it('indents the first continuation line by 4 spaces', async () => {
    assert.equal(await afterEnter('FROM scratch\nRUN apt-get update \\\n|'), 'FROM scratch\nRUN apt-get update \\\n    ');
  });

  it('replaces the indentation the editor copied', async () => {
    assert.equal(await afterEnter('FROM scratch\n  RUN a \\\n  |'), 'FROM scratch\n  RUN a \\\n    ');
  });

  it('indents by a tab with insertSpaces false', async () => {
    assert.equal(await afterEnter('FROM scratch\nRUN a \\\n|', { tabSize: 4, insertSpaces: false }), 'FROM scratch\nRUN a \\\n\t');
  });

  it('keeps the indentation of the previous continuation line', async () => {
    assert.equal(await afterEnter('FROM scratch\nRUN a \\\n  && b \\\n|'), 'FROM scratch\nRUN a \\\n  && b \\\n  ');
  });

  it('indents text moved down with the cursor', async () => {
    assert.equal(await afterEnter('FROM scratch\nCOPY a \\\n|b'), 'FROM scratch\nCOPY a \\\n    b');
  });

  it('uses the backtick under # escape=`', async () => {
    assert.equal(await afterEnter('# escape=`\nFROM scratch\nCOPY a `\n|'), '# escape=`\nFROM scratch\nCOPY a `\n    ');
  });

  it('does nothing after a backslash under # escape=`', async () => {
    assert.equal(await afterEnter('# escape=`\nFROM scratch\nCOPY a \\\n|b'), '# escape=`\nFROM scratch\nCOPY a \\\n|b'.replace('|', ''));
  });

  it('does nothing after a line without the escape', async () => {
    assert.equal(await afterEnter('FROM scratch\nRUN a\n|'), 'FROM scratch\nRUN a\n');
  });

  it('does nothing inside a heredoc body', async () => {
    assert.equal(await afterEnter('FROM scratch\nRUN <<EOF\necho a \\\n|\nEOF'), 'FROM scratch\nRUN <<EOF\necho a \\\n\nEOF');
  });

  it('does nothing when the escape ends a word (indentation would join it)', async () => {
    assert.equal(await afterEnter('FROM scratch\nRUN echo a\\\n|'), 'FROM scratch\nRUN echo a\\\n');
  });

  it('does nothing inside an open quote', async () => {
    assert.equal(await afterEnter('FROM scratch\nRUN echo "a \\\n|'), 'FROM scratch\nRUN echo "a \\\n');
  });

  it('does nothing for other trigger characters', async () => {
    const { analysis, position } = await setup('FROM scratch\nRUN a \\\n|');
    assert.deepEqual(onTypeFormat(analysis, position, ';', OPTIONS), []);
  });
});
