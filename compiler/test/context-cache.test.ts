/** CachedContext: one question to the file system per path until `clear()`, and `prefetch` asks them all at once. */
import assert from 'node:assert/strict';
import { CachedContext, memoryContext, type BuildContext } from '@kubefile/compiler';

function counting(base: BuildContext): { context: BuildContext; stats: string[] } {
  const stats: string[] = [];
  return { stats, context: { ...base, stat: (path) => (stats.push(path), base.stat(path)) } };
}

describe('CachedContext', () => {
  it('prefetched paths are asked once, all before the first await', async () => {
    const { context, stats } = counting(memoryContext({ 'a/b': 'x', c: 'y' }));
    const cached = new CachedContext(context);
    cached.prefetch(['a', 'a/b', 'c', 'missing']);
    assert.deepEqual(stats, ['a', 'a/b', 'c', 'missing']);
    assert.equal((await cached.stat('a/b'))?.type, 'file');
    assert.equal(await cached.stat('missing'), undefined);
    assert.equal(stats.length, 4);
  });

  it('clear() makes the next question go to the file system again', async () => {
    const { context, stats } = counting(memoryContext({ c: 'y' }));
    const cached = new CachedContext(context);
    await cached.stat('c');
    cached.clear();
    await cached.stat('c');
    assert.deepEqual(stats, ['c', 'c']);
  });
});
