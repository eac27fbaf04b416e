import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DIAGNOSTIC_CODES } from '@kubefile/grammar';
import { renderDiagnosticsDoc } from '../scripts/diagnostics-doc.js';

describe('docs/diagnostics.md', () => {
  const doc = readFileSync(new URL('../../../docs/diagnostics.md', import.meta.url), 'utf8');

  it('is generated from the current catalogue (run `npm run docs` after changing it)', () => {
    assert.equal(doc, renderDiagnosticsDoc());
  });

  it('documents every code with its own section', () => {
    for (const code of DIAGNOSTIC_CODES) assert.match(doc, new RegExp(`^### ${code}$`, 'm'), code);
  });
});
