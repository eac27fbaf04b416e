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

/** A builder stage shared by both plans, RUN chrooted, before the target stages. */
const STAGED: BuildEvent[] = [
  { type: 'start', platforms: ['linux/amd64', 'linux/arm64/v8'], steps: [2, 2] },
  { type: 'stage', stage: 'builder', index: 0, platform: 'linux/amd64', plans: ['linux/amd64', 'linux/arm64/v8'], base: 'debian:12', run: 'chroot', steps: 2 },
  { type: 'step', platform: 'linux/amd64', step: 2, total: 2, text: 'RUN make', line: 2, stage: 'builder', run: 'chroot', digest: DIGEST },
  { type: 'step-output', platform: 'linux/amd64', step: 2, line: 'cc -o tool', stage: 'builder' },
  { type: 'step-done', platform: 'linux/amd64', step: 2, total: 2, cached: false, shared: false, ms: 2000, layer: DIGEST, stage: 'builder' },
  { type: 'stage-done', stage: 'builder', platform: 'linux/amd64', ms: 2100 },
  { type: 'step', platform: 'linux/amd64', step: 2, total: 2, text: 'COPY --from=builder out/amd64 bin/', line: 4 },
  { type: 'done', image: 'demo:v1', digest: DIGEST, ms: 1700, cached: 0, built: 1 },
];

function render(mode: 'auto' | 'plain' | 'json', terminal?: { columns: number }, events = EVENTS): string {
  let out = '';
  const progress = createProgress(mode, (text) => (out += text), terminal);
  for (const event of events) progress.event(event);
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

  it('plain: a stage\'s lines name it, its platform, and chroot when its RUN steps run chrooted', () => {
    assert.deepEqual(render('plain', undefined, STAGED).split('\n').slice(1, 7), [
      '[builder linux/amd64 chroot] stage builder: FROM debian:12, 2 steps, RUN chrooted, for linux/amd64, linux/arm64/v8',
      '[builder linux/amd64 chroot] STEP 2/2: RUN make',
      '[builder linux/amd64] | cc -o tool',
      '[builder linux/amd64] STEP 2/2: done in 2.0s',
      '[builder linux/amd64] stage done in 2.1s',
      '[linux/amd64] STEP 2/2: COPY --from=builder out/amd64 bin/',
    ]);
  });

  it('auto: a running stage has a live line of its own, gone when it is done', () => {
    const out = render('auto', { columns: 120 }, STAGED.slice(0, 4));
    assert.match(out.replace(/\x1b\[\d+[FJ]/g, ''), /\[builder linux\/amd64\] STEP 2\/2: RUN make/);
    const done = render('auto', { columns: 120 }, STAGED).replace(/\x1b\[\d+[FJ]/g, '');
    assert.match(done, /^\[builder linux\/amd64\] STEP 2\/2: RUN make done in 2\.0s$/m);
    // The last frame: the two platforms' lines, the finished stage's gone.
    assert.deepEqual(done.trim().split('\n').slice(-3, -1).map((line) => line.slice(2).split(' ')[0]), ['[linux/amd64]', '[linux/arm64/v8]']);
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

  it('a build node\'s steps name the node, and what went to it and came back is one line (plain and live)', () => {
    const events: BuildEvent[] = [
      { type: 'start', platforms: ['linux/arm64/v8'], steps: [1] },
      { type: 'step', platform: 'linux/arm64/v8', step: 1, total: 1, text: 'COPY arm64/bin bin/', line: 2, node: 'arm1' },
      { type: 'step-done', platform: 'linux/arm64/v8', step: 1, total: 1, cached: false, shared: false, ms: 1500, layer: DIGEST, node: 'arm1' },
      { type: 'transfer', platform: 'linux/arm64/v8', node: 'arm1', sentFiles: 3, sentBytes: 1_200_000, receivedBlobs: 1, receivedBytes: 512 },
      { type: 'done', image: 'demo:v1', digest: DIGEST, ms: 1700, cached: 0, built: 1 },
    ];
    assert.deepEqual(render('plain', undefined, events).split('\n').slice(1, 4), [
      '[arm1: linux/arm64/v8] STEP 1/1: COPY arm64/bin bin/',
      '[arm1: linux/arm64/v8] STEP 1/1: done in 1.5s',
      '[arm1: linux/arm64/v8] sent 3 context files (1.2MB), received 1 blob (512B)',
    ]);
    const live = render('auto', { columns: 100 }, events.slice(0, 2)).replace(/\x1b\[\d+[FJ]/g, '');
    assert.match(live, /\[arm1: linux\/arm64\/v8\] STEP 1\/1: COPY arm64\/bin bin\//);
    assert.match(render('auto', { columns: 100 }, events), /\[arm1: linux\/arm64\/v8\] sent 3 context files \(1\.2MB\), received 1 blob \(512B\)\n/);
  });

  it('auto without a terminal falls back to plain lines', () => {
    assert.equal(render('auto'), render('plain'));
  });
});
