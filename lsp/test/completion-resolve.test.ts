/** completionItem/resolve: items carry `data`; resolving adds their documentation. */
import assert from 'node:assert/strict';
import type { CompletionItem } from 'vscode-languageserver';
import { completion } from '../src/completion.js';
import { resolveCompletion } from '../src/completion-resolve.js';
import { setup, type SetupOptions } from './helpers.js';

/** The documentation markdown of the item `label` completed at `|`, once resolved. */
async function resolvedDoc(marked: string, label: string, options?: SetupOptions): Promise<string | undefined> {
  const { analysis, position, context } = await setup(marked, options);
  const item = (await completion(analysis, position, context)).find((i) => i.label === label);
  assert.ok(item, `no item ${label}`);
  assert.equal(item.documentation, undefined, 'documentation only comes with resolve');
  // The item goes to the client and back as JSON.
  const doc = resolveCompletion(analysis, JSON.parse(JSON.stringify(item)) as CompletionItem).documentation;
  return typeof doc === 'object' ? doc.value : doc;
}

describe('completion resolve', () => {
  it('documents a keyword', async () => {
    assert.match((await resolvedDoc('FROM scratch\nCO|', 'COPY')) ?? '', /Copies files/);
  });

  it('documents a flag', async () => {
    assert.match((await resolvedDoc('FROM scratch\nCOPY --|', '--chmod')) ?? '', /Permissions of the copied files/);
  });

  it('documents a variable with its value per platform', async () => {
    assert.match((await resolvedDoc('FROM scratch\nRUN echo $|', 'ARCH', { platforms: ['linux/amd64', 'linux/arm64'] })) ?? '', /- linux\/arm64\/v8: `arm64`/);
  });

  it('documents an ARG with the value it has where it was completed', async () => {
    assert.match((await resolvedDoc('FROM scratch\nARG V=1\nRUN echo $|\nARG V=2', 'V')) ?? '', /`1`[\s\S]*Declared on line 2/);
  });

  it('leaves an item with foreign data unchanged', async () => {
    const { analysis } = await setup('FROM scratch');
    const item: CompletionItem = { label: 'x', data: { kind: 'other' } };
    assert.equal(resolveCompletion(analysis, item), item);
  });
});
