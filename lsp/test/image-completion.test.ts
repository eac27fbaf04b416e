/** FROM completion: `scratch` and the images of the local store. */
import assert from 'node:assert/strict';
import type { CompletionItem } from 'vscode-languageserver';
import { completion } from '../src/completion.js';
import { labelsAt, setup, type SetupOptions } from './helpers.js';

const images = { 'kubernetes:v1.22.15': ['linux/amd64', 'linux/arm64/v8'], 'registry.example.com/app:1.0': ['linux/amd64'] };

async function itemAt(marked: string, label: string, options: SetupOptions = { images }): Promise<CompletionItem | undefined> {
  const { analysis, position, context } = await setup(marked, options);
  return (await completion(analysis, position, context)).find((i) => i.label === label);
}

describe('FROM image completion', () => {
  it('offers scratch and every stored image', async () => {
    assert.deepEqual(await labelsAt(completion, 'FROM |', { images }), ['scratch', 'kubernetes:v1.22.15', 'registry.example.com/app:1.0']);
  });

  it('offers only scratch without a store', async () => {
    assert.deepEqual(await labelsAt(completion, 'FROM |'), ['scratch']);
  });

  it('shows the platforms of an image as its detail', async () => {
    assert.equal((await itemAt('FROM |', 'kubernetes:v1.22.15'))?.detail, 'linux/amd64, linux/arm64/v8');
  });

  it('replaces the name typed so far, tag included', async () => {
    assert.deepEqual((await itemAt('FROM kubernetes:v1|', 'kubernetes:v1.22.15'))?.textEdit, {
      range: { start: { line: 0, character: 5 }, end: { line: 0, character: 18 } },
      newText: 'kubernetes:v1.22.15',
    });
  });

  it('offers images after FROM --platform=...', async () => {
    assert.ok((await labelsAt(completion, 'FROM --platform=linux/amd64 |', { images })).includes('kubernetes:v1.22.15'));
  });

  it('offers no images after the image', async () => {
    assert.deepEqual(await labelsAt(completion, 'FROM scratch |', { images }), []);
  });
});
