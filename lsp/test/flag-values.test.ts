/** Hover, completion and navigation inside flag values (`FROM --platform=$BUILDPLATFORM`). */
import assert from 'node:assert/strict';
import type { Range } from 'vscode-languageserver';
import { completion } from '../src/completion.js';
import { hover } from '../src/hover.js';
import { documentHighlight, references, rename } from '../src/navigation.js';
import { semanticTokens } from '../src/semantic-tokens.js';
import { hoverTextAt, labelsAt, setup } from './helpers.js';

const twoPlatforms = { platforms: ['linux/amd64', 'linux/arm64'] };
const URI = 'file:///work/Kubefile';
const fmt = (range: Range) => `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;

describe('flag values', () => {
  describe('hover', () => {
    it('shows $BUILDPLATFORM in FROM --platform= per platform', async () => {
      assert.match((await hoverTextAt(hover, 'FROM --platform=$BUILD|PLATFORM scratch', twoPlatforms)) ?? '', /\*\*BUILDPLATFORM\*\* \(platform variable\)/);
    });

    it('ranges the hover over the reference in the flag value', async () => {
      const { analysis, position, context } = await setup('FROM --platform=linux/${AR|CH} scratch');
      assert.equal(fmt((await hover(analysis, position, context))?.range as Range), '0:22-0:29');
    });

    it('shows an ARG used in COPY --chmod=', async () => {
      assert.match((await hoverTextAt(hover, 'FROM scratch\nARG MODE=0755\nCOPY --chmod=${MO|DE} a b')) ?? '', /- linux\/amd64: `0755`/);
    });

    it('shows a variable in a flag on a continuation line', async () => {
      assert.match((await hoverTextAt(hover, 'FROM scratch\nARG MODE=0755\nCOPY \\\n  --chmod=$MO|DE a b')) ?? '', /\*\*MODE\*\* \(ARG\)/);
    });
  });

  describe('completion', () => {
    it('offers $BUILDPLATFORM and $TARGETPLATFORM first after FROM --platform=', async () => {
      assert.deepEqual((await labelsAt(completion, 'FROM --platform=|')).slice(0, 3), ['$BUILDPLATFORM', '$TARGETPLATFORM', 'linux/amd64']);
    });

    it('offers variables after FROM --platform=$', async () => {
      assert.ok((await labelsAt(completion, 'FROM --platform=$|')).includes('BUILDPLATFORM'));
    });

    it('offers ARGs declared before FROM after --platform=${', async () => {
      assert.ok((await labelsAt(completion, 'ARG PLAT=linux/arm64\nFROM --platform=${|')).includes('PLAT'));
    });

    it('offers the closed values of RUN --security=', async () => {
      assert.deepEqual(await labelsAt(completion, 'FROM scratch\nRUN --security=|'), ['sandbox', 'insecure']);
    });

    it('offers true and false for a boolean flag given a value', async () => {
      assert.deepEqual(await labelsAt(completion, 'FROM scratch\nCOPY --link=|'), ['true', 'false']);
    });

    it('offers nothing for a free-form flag value', async () => {
      assert.deepEqual(await labelsAt(completion, 'FROM scratch\nCOPY --chmod=|'), []);
    });
  });

  describe('navigation', () => {
    it('finds a global ARG used in FROM --platform=', async () => {
      const { analysis, position } = await setup('ARG PL|AT=linux/arm64\nFROM --platform=$PLAT scratch');
      assert.deepEqual(references(analysis, position, URI, true)?.map((l) => fmt(l.range)), ['0:4-0:8', '1:17-1:21']);
    });

    it('highlights a stage ARG in COPY --chown=', async () => {
      const { analysis, position } = await setup('FROM scratch\nARG U|SER=1000\nCOPY --chown=${USER}:0 a b');
      assert.deepEqual(documentHighlight(analysis, position).map((h) => fmt(h.range)), ['1:4-1:8', '2:15-2:19']);
    });

    it('renames a variable in a flag value', async () => {
      const { analysis, position } = await setup('FROM scratch\nARG MO|DE=0755\nCOPY --chmod=$MODE a b');
      const edit = rename(analysis, position, 'PERMS', URI);
      assert.ok(edit && 'changes' in edit);
      assert.deepEqual(edit.changes?.[URI].map((e) => fmt(e.range)), ['1:4-1:8', '2:14-2:18']);
    });

    it('colours the reference as a variable', async () => {
      const { analysis } = await setup('FROM --platform=$BUILDPLATFORM scratch');
      // [deltaLine, deltaStart, length, type, modifiers] per token: --platform, then $BUILDPLATFORM
      const data = semanticTokens(analysis);
      assert.deepEqual(data.slice(10, 13), [0, 11, 14]);
    });
  });
});
