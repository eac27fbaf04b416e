/** CachedContext: one question to the file system per path until `clear()`, none for a path its directory's listing lacks. */
import assert from 'node:assert/strict';
import { CachedContext, memoryContext, type BuildContext } from '@kubefile/compiler';

function counting(base: BuildContext): { context: BuildContext; stats: string[] } {
  const stats: string[] = [];
  return { stats, context: { ...base, stat: (path) => (stats.push(path), base.stat(path)) } };
}

describe('CachedContext', () => {
  it('answers a path its directory does not list without asking for it; asks once for the others', async () => {
    const { context, stats } = counting(memoryContext({ 'a/b': 'x', c: 'y' }));
    const cached = new CachedContext(context);
    cached.prefetch(['a', 'a/b', 'c', 'missing', 'a/missing', 'missing/deeper', 'c/under-a-file']);
    assert.equal((await cached.stat('a/b'))?.type, 'file');
    assert.equal((await cached.stat('c'))?.type, 'file');
    for (const path of ['missing', 'a/missing', 'missing/deeper', 'c/under-a-file']) assert.equal(await cached.stat(path), undefined, path);
    assert.deepEqual(stats.sort(), ['a', 'a/b', 'c']);
    await cached.stat('a/b');
    assert.equal(stats.length, 3);
  });

  it('asks the file system itself where a listing cannot tell: under a symlink, or a directory it cannot list', async () => {
    const base = memoryContext({ 'real/x': 'x', link: { symlink: 'real' } });
    const { context, stats } = counting({ ...base, list: async (path) => (path === 'real' ? Promise.reject(new Error('EACCES')) : base.list(path)) });
    const cached = new CachedContext(context);
    await cached.stat('link/x');
    await cached.stat('real/x');
    assert.deepEqual(stats.sort(), ['link', 'link/x', 'real', 'real/x']);
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
