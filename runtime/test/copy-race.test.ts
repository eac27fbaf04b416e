/**
 * A COPY source swapped while the build runs: between listing the context and reading a file, a
 * directory on its path becomes a symlink to outside the context. The layer must never hold the
 * outside file: the build fails, saying the source changed.
 */
import assert from 'node:assert/strict';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CopyOp } from '@kubefile/compiler';
import { collectCopyEntries, FileDigestCache, RuntimeError, writeLayer } from '../src/index.js';
import { checkStore, layerFiles } from './build-helpers.js';
import { useTempStore } from './fixtures.js';

function copyOp(fields: Partial<CopyOp> & Pick<CopyOp, 'sources' | 'dest' | 'matches'>): CopyOp {
  return { kind: 'copy', digest: `sha256:${'c'.repeat(64)}`, line: 1, destIsDirectory: true, ...fields };
}

describe('COPY sources swapped for symlinks while the build runs', () => {
  const temp = useTempStore('kubefile-copy-race-');

  /** With `many`, enough files that the layer is written by worker threads. */
  async function setUp(many = 0): Promise<{ context: string; outside: string }> {
    const context = join(temp.dir, 'context');
    const outside = join(temp.dir, 'outside');
    await mkdir(join(context, 'sub'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(context, 'sub', 'f'), 'inside\n');
    // As long as the inside file: a size check alone would not notice the swap.
    await writeFile(join(outside, 'f'), 'SECRET\n');
    for (let i = 0; i < many; i++) {
      await writeFile(join(context, 'sub', `g${i}`), `${i}\n`);
      await writeFile(join(outside, `g${i}`), `${i}\n`.replace(/\d/g, 'X'));
    }
    return { context, outside };
  }

  for (const many of [0, 2100]) {
    it(`a directory swapped after listing is not followed out of the context (${many ? 'worker threads' : 'one thread'})`, async () => {
      const { context, outside } = await setUp(many);
      const entries = await collectCopyEntries(context, copyOp({ sources: ['sub'], dest: 'dst', matches: [['sub']] }));
      assert.equal(entries.length, 2 + many);
      // The race, made certain: the directory becomes a link to outside once it has been listed.
      await rename(join(context, 'sub'), join(context, 'sub.real'));
      await symlink(outside, join(context, 'sub'));
      const digests = await FileDigestCache.load(join(temp.dir, 'digests.json'));
      await assert.rejects(writeLayer(temp.store, entries, { digests, workers: many ? 2 : 0 }), (error: unknown) => {
        assert.ok(error instanceof RuntimeError, String(error));
        assert.equal(error.code, 'SOURCE');
        assert.match(error.message, /sub\/(f|g\d+) changed while it was being copied$/);
        return true;
      });
      await checkStore(temp.store);
    });
  }

  it('an unswapped context copies as before', async () => {
    const { context } = await setUp();
    const entries = await collectCopyEntries(context, copyOp({ sources: ['sub'], dest: 'dst', matches: [['sub']] }));
    const layer = await writeLayer(temp.store, entries, { digests: await FileDigestCache.load(join(temp.dir, 'digests.json')) });
    assert.deepEqual(layerFiles(temp.store, layer.descriptor.digest), ['dst/', 'dst/f']);
  });
});
