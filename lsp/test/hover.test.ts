import assert from 'node:assert/strict';
import { hover } from '../src/hover.js';
import { hoverTextAt, setup, type SetupOptions } from './helpers.js';

const hoverText = (marked: string, options?: SetupOptions) => hoverTextAt(hover, marked, options);
const twoPlatforms = { platforms: ['linux/amd64', 'linux/arm64'] };

describe('hover', () => {
  it('documents a keyword, with the keyword as range', async () => {
    const { analysis, position, context } = await setup('FROM scratch\nCO|PY a bin');
    const result = await hover(analysis, position, context);
    assert.ok(result);
    assert.match(JSON.stringify(result.contents), /COPY \[--flags\] <src>... <dest>/);
    assert.deepEqual(result.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } });
  });

  it('documents the deprecation of MAINTAINER', async () => {
    assert.match((await hoverText('MAIN|TAINER me')) ?? '', /Deprecated/);
  });

  it('lists the flags of a keyword', async () => {
    assert.match((await hoverText('FROM scratch\nR|UN x')) ?? '', /- `--network`: The network of the command/);
  });

  it('shows the value a variable has in an ENV that reassigns it: the one before that ENV (BuildKit)', async () => {
    assert.match((await hoverText('FROM scratch\nENV abc=hello\nENV abc=bye def=$a|bc')) ?? '', /- linux\/amd64: `hello`/);
    assert.match((await hoverText('FROM scratch\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$a|bc')) ?? '', /- linux\/amd64: `bye`/);
  });

  it('shows a pre-FROM ARG used in FROM', async () => {
    const text = await hoverText('ARG BASE=kubernetes:v1\nFROM $BA|SE');
    assert.match(text ?? '', /- linux\/amd64: `kubernetes:v1`/);
  });

  it('shows a platform variable per platform, with the reference as range', async () => {
    const { analysis, position, context } = await setup('FROM scratch\nCOPY ${AR|CH}/helm bin', twoPlatforms);
    const result = await hover(analysis, position, context);
    assert.ok(result);
    const text = JSON.stringify(result.contents);
    assert.match(text, /linux\/amd64: `amd64`/);
    assert.match(text, /linux\/arm64\/v8: `arm64`/);
    assert.deepEqual(result.range, { start: { line: 1, character: 5 }, end: { line: 1, character: 12 } });
  });

  it('shows an ARG value and its declaration line', async () => {
    const text = await hoverText('FROM scratch\nARG V=1.0\nRUN echo $|V', twoPlatforms);
    assert.equal(text, '**V** (ARG)\n\n- linux/amd64: `1.0`\n- linux/arm64/v8: `1.0`\n\nDeclared on line 2.');
  });

  it('shows values that depend on the platform', async () => {
    const text = await hoverText('FROM scratch\nENV BIN=helm-${ARCH}\nRUN echo ${B|IN}', twoPlatforms);
    assert.match(text ?? '', /\*\*BIN\*\* \(ENV\)/);
    assert.match(text ?? '', /linux\/amd64: `helm-amd64`/);
    assert.match(text ?? '', /linux\/arm64\/v8: `helm-arm64`/);
  });

  it('finds a reference nested in a modifier', async () => {
    assert.match((await hoverText('FROM scratch\nARG B=x\nCOPY ${A:-$|B} bin')) ?? '', /\*\*B\*\* \(ARG\)/);
  });

  it('says when a variable is not declared', async () => {
    assert.match((await hoverText('FROM scratch\nRUN echo $NO|PE')) ?? '', /NOPE\*\*: not declared/);
  });

  it('shows the value of a declared name after its declaration, with build args applied', async () => {
    const text = await hoverText('FROM scratch\nARG VE|RSION=1', { buildArgs: { VERSION: '2' } });
    assert.match(text ?? '', /linux\/amd64: `2`/);
    assert.match(text ?? '', /Declared on line 2/);
  });

  it('shows what a COPY source matched per platform', async () => {
    const files = { 'amd64/helm': 'x', 'arm64/helm': 'y' };
    const text = await hoverText('FROM scratch\nCOPY ${ARCH}/he|lm bin', { files, ...twoPlatforms });
    assert.match(text ?? '', /linux\/amd64: `amd64\/helm`/);
    assert.match(text ?? '', /linux\/arm64\/v8: `arm64\/helm`/);
  });

  it('says when a COPY source matches nothing', async () => {
    const text = await hoverText('FROM scratch\nCOPY mis|sing bin', { files: { a: 'a' } });
    assert.match(text ?? '', /linux\/amd64: \*nothing\*/);
  });

  it('shows the platforms of a FROM image in the store', async () => {
    const text = await hoverText('FROM kube|rnetes:v1.22', { images: { 'kubernetes:v1.22': ['linux/amd64', 'linux/arm64/v8'] } });
    assert.equal(text, '**kubernetes:v1.22**: linux/amd64, linux/arm64/v8');
  });

  it('says when a FROM image is not in the store', async () => {
    assert.equal(await hoverText('FROM oth|er:1'), '**other:1**: not in the local store');
  });

  it('returns null on blank space', async () => {
    assert.equal(await hoverText('FROM scratch\n|\nRUN x'), undefined);
  });
});
