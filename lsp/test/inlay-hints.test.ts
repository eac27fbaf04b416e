/** Inlay hints: per-platform expansions of COPY/ADD/APP sources and of variables in ENV/LABEL/FROM. */
import assert from 'node:assert/strict';
import { inlayHints } from '../src/inlay-hints.js';
import { setup, type SetupOptions } from './helpers.js';

const files = { 'amd64/helm': 'x', 'arm64/helm': 'y', 'arm64/extra': 'z' };
const twoPlatforms: SetupOptions = { files, platforms: ['linux/amd64', 'linux/arm64'] };
const WHOLE = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };

/** `line:character label` of each hint in the whole text (or the range given). */
async function hints(text: string, options: SetupOptions = twoPlatforms, range = WHOLE): Promise<string[]> {
  const { analysis, context } = await setup(text, options);
  return inlayHints(analysis, range, context).map((h) => `${h.position.line}:${h.position.character} ${String(h.label)}`);
}

describe('inlay hints', () => {
  it('shows what a COPY source with ${ARCH} expands to and matches per platform', async () => {
    assert.deepEqual(await hints('FROM scratch\nCOPY ${ARCH}/helm bin'), ['1:17 → linux/amd64: amd64/helm (1 match) · linux/arm64/v8: arm64/helm (1 match)']);
  });

  it('counts the matches of a wildcard per platform', async () => {
    assert.deepEqual(await hints('FROM scratch\nCOPY $ARCH/* bin'), ['1:12 → linux/amd64: amd64/* (1 match) · linux/arm64/v8: arm64/* (2 matches)']);
  });

  it('says when a platform matches nothing', async () => {
    assert.deepEqual(await hints('FROM scratch\nCOPY ${ARCH}/extra bin'), ['1:18 → linux/amd64: amd64/extra (no match) · linux/arm64/v8: arm64/extra (1 match)']);
  });

  it('has no match count for a COPY --from source (a path in the stage or image)', async () => {
    assert.deepEqual(await hints('FROM busybox AS b\nFROM scratch\nCOPY --from=b out/${ARCH}/helm bin'), ['2:30 → linux/amd64: out/amd64/helm · linux/arm64/v8: out/arm64/helm']);
  });

  it('shows one value when every platform agrees', async () => {
    assert.deepEqual(await hints('FROM scratch\nARG D=arm64\nCOPY ${D}/helm bin'), ['2:14 → arm64/helm (1 match)']);
  });

  it('shows the context path an APP source expands to per platform', async () => {
    assert.deepEqual(await hints('FROM scratch\nAPP helm local://${ARCH}/helm'), ['1:29 → linux/amd64: amd64/helm (1 match) · linux/arm64/v8: arm64/helm (1 match)']);
  });

  it('shows an ADD URL per platform without a match count', async () => {
    assert.deepEqual(await hints('FROM scratch\nADD https://example.com/helm-${ARCH}.tgz bin'), [
      '1:40 → linux/amd64: https://example.com/helm-amd64.tgz · linux/arm64/v8: https://example.com/helm-arm64.tgz',
    ]);
  });

  it('has no match count without a build context', async () => {
    assert.deepEqual(await hints('FROM scratch\nCOPY ${ARCH}/helm bin', { platforms: ['linux/amd64'] }), ['1:17 → amd64/helm']);
  });

  it('has no hint for a literal source', async () => {
    assert.deepEqual(await hints('FROM scratch\nCOPY amd64/helm bin'), []);
  });

  it('shows a platform-dependent variable in an ENV value', async () => {
    assert.deepEqual(await hints('FROM scratch\nENV BIN=helm-${ARCH}'), ['1:20 = linux/amd64: "amd64", linux/arm64/v8: "arm64"']);
  });

  it('shows a build arg used in a LABEL', async () => {
    assert.deepEqual(await hints('FROM scratch\nARG V=1\nLABEL version=$V', { buildArgs: { V: '2' } }), ['2:16 = "2"']);
  });

  it('shows $BUILDPLATFORM in FROM --platform= when it differs from the target', async () => {
    assert.deepEqual(await hints('FROM --platform=$TARGETPLATFORM scratch'), ['0:31 = linux/amd64: "linux/amd64", linux/arm64/v8: "linux/arm64/v8"']);
  });

  it('shows a global ARG without a default in FROM', async () => {
    assert.deepEqual(await hints('ARG BASE\nFROM ${BASE:-scratch}', { buildArgs: { BASE: 'kube:v1' } }), ['1:21 = "kube:v1"']);
  });

  it('has no hint for an ARG whose literal default is in the file', async () => {
    assert.deepEqual(await hints('FROM scratch\nARG V=1\nENV X=$V'), []);
  });

  it('has no hint for a variable in RUN (the shell expands it)', async () => {
    assert.deepEqual(await hints('FROM scratch\nRUN echo $ARCH'), []);
  });

  it('only gives hints in the requested range', async () => {
    const range = { start: { line: 2, character: 0 }, end: { line: 2, character: 30 } };
    assert.deepEqual(await hints('FROM scratch\nCOPY ${ARCH}/helm bin\nCOPY ${ARCH}/extra bin', twoPlatforms, range), [
      '2:18 → linux/amd64: amd64/extra (no match) · linux/arm64/v8: arm64/extra (1 match)',
    ]);
  });
});
