import assert from 'node:assert/strict';
import type { BuildEvent } from '@kubefile/runtime';
import { createProgress } from '../src/progress.js';

const DIGEST = `sha256:${'a'.repeat(64)}` as const;

const EVENTS: BuildEvent[] = [
  { type: 'start', platforms: ['linux/amd64', 'linux/arm64/v8'], steps: [2, 2] },
  { type: 'step', platform: 'linux/amd64', step: 1, total: 2, text: 'FROM scratch', line: 1 },
  { type: 'step-done', platform: 'linux/amd64', step: 1, total: 2, cached: false, shared: false, ms: 1 },
  { type: 'step', platform: 'linux/amd64', step: 2, total: 2, text: 'COPY amd64/bin bin/', line: 2 },
  { type: 'step-bytes', platform: 'linux/amd64', step: 2, bytes: 5_000_000 },
  { type: 'step-done', platform: 'linux/amd64', step: 2, total: 2, cached: true, shared: false, ms: 3, layer: DIGEST },
  { type: 'step', platform: 'linux/arm64/v8', step: 2, total: 2, text: 'COPY arm64/bin bin/', line: 2 },
  { type: 'step-done', platform: 'linux/arm64/v8', step: 2, total: 2, cached: false, shared: false, ms: 1500, layer: DIGEST },
  { type: 'platform-done', platform: 'linux/amd64', manifest: DIGEST, ms: 10 },
  { type: 'platform-done', platform: 'linux/arm64/v8', manifest: DIGEST, ms: 1600 },
  { type: 'done', image: 'demo:v1', digest: DIGEST, ms: 1700, cached: 1, built: 1 },
];

function render(mode: 'auto' | 'plain' | 'json', terminal?: { columns: number }): string {
  let out = '';
  const progress = createProgress(mode, (text) => (out += text), terminal);
  for (const event of EVENTS) progress.event(event);
  progress.close();
  return out;
}

describe('build progress', () => {
  it('plain: one line per step start and per finished layer step, platform first', () => {
    assert.equal(
      render('plain'),
      [
        'Building linux/amd64, linux/arm64/v8',
        '[linux/amd64] STEP 1/2: FROM scratch',
        '[linux/amd64] STEP 2/2: COPY amd64/bin bin/',
        '[linux/amd64] STEP 2/2: CACHED',
        '[linux/arm64/v8] STEP 2/2: COPY arm64/bin bin/',
        '[linux/arm64/v8] STEP 2/2: done in 1.5s',
        `[linux/amd64] manifest ${DIGEST}`,
        `[linux/arm64/v8] manifest ${DIGEST}`,
        `Built demo:v1 ${DIGEST} in 1.7s (1 layer built, 1 cached)`,
        '',
      ].join('\n'),
    );
  });

  it('json: every event, one per line', () => {
    assert.deepEqual(render('json').trim().split('\n').map((line) => JSON.parse(line)), EVENTS);
  });

  it('auto on a terminal: finished steps scroll above one live line per platform, redrawn in place', () => {
    const out = render('auto', { columns: 80 });
    // Cursor up over the live lines and clear before each redraw.
    assert.match(out, /\x1b\[2F\x1b\[0J/);
    const text = out.replace(/\x1b\[\d+[FJ]/g, '');
    assert.match(text, /^\[linux\/amd64\] STEP 2\/2: COPY amd64\/bin bin\/ CACHED$/m);
    assert.match(text, /^\[linux\/arm64\/v8\] STEP 2\/2: COPY arm64\/bin bin\/ done in 1\.5s$/m);
    assert.ok(out.endsWith(`✓ [linux/amd64] done in 0.0s\n✓ [linux/arm64/v8] done in 1.6s\nBuilt demo:v1 ${DIGEST} in 1.7s (1 layer built, 1 cached)\n`), out);
  });

  it('auto on a narrow terminal cuts lines instead of wrapping them', () => {
    const out = render('auto', { columns: 30 });
    const lines = out.replace(/\x1b\[\d+[FJ]/g, '').split('\n').filter((line) => !line.startsWith('Built '));
    for (const line of lines) assert.ok(line.length <= 29, line);
  });

  it('auto without a terminal falls back to plain lines', () => {
    assert.equal(render('auto'), render('plain'));
  });
});
