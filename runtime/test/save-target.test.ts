/**
 * Where `saveArchive` writes: through a symbolic link to its target (the link stays), streamed into
 * a FIFO or a character device (never replacing it), a refusal for a directory; and what killed
 * saves left beside the target is cleaned.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError, saveArchive, type ImageStore } from '../src/index.js';
import { makeImage, useTempStore } from './fixtures.js';

describe('saveArchive targets', () => {
  let store: ImageStore;
  let dir: string;
  let expected: Buffer;
  const temp = useTempStore('kubefile-save-target-');
  beforeEach(async () => {
    ({ store, dir } = temp);
    await makeImage(store, 'app:v1', [{ platform: 'linux/amd64', layers: [{ 'a.txt': 'a' }] }]);
    await saveArchive(store, ['app:v1'], join(dir, 'plain.tar'));
    expected = await readFile(join(dir, 'plain.tar'));
  });

  it('writes through a symbolic link: the target is replaced, the link stays a link', async () => {
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real', 'out.tar'), 'old');
    await symlink('real/out.tar', join(dir, 'link.tar'));
    await saveArchive(store, ['app:v1'], join(dir, 'link.tar'));
    assert.ok((await lstat(join(dir, 'link.tar'))).isSymbolicLink());
    assert.equal(await readlink(join(dir, 'link.tar')), 'real/out.tar');
    assert.deepEqual(await readFile(join(dir, 'real', 'out.tar')), expected);
    assert.deepEqual((await readdir(join(dir, 'real'))).sort(), ['out.tar'], 'no temporary file is left beside the target');
  });

  it('a dangling symbolic link: the file it names is created', async () => {
    await mkdir(join(dir, 'real'));
    await symlink('real/new.tar', join(dir, 'link.tar'));
    await saveArchive(store, ['app:v1'], join(dir, 'link.tar'));
    assert.ok((await lstat(join(dir, 'link.tar'))).isSymbolicLink());
    assert.deepEqual(await readFile(join(dir, 'real', 'new.tar')), expected);
  });

  it('a FIFO gets the archive streamed into it and stays a FIFO', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise((resolve) => reader.on('close', resolve));
    await saveArchive(store, ['app:v1'], fifo);
    await done;
    assert.deepEqual(Buffer.concat(chunks), expected);
    assert.ok((await lstat(fifo)).isFIFO());
  });

  it('a character device is written to, never replaced: /dev/null takes it, /dev/full fails with one clear line', async () => {
    await saveArchive(store, ['app:v1'], '/dev/null');
    assert.ok((await lstat('/dev/null')).isCharacterDevice());
    await assert.rejects(saveArchive(store, ['app:v1'], '/dev/full'), (error: RuntimeError) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.message, 'cannot write /dev/full: no space left on device');
      return true;
    });
    assert.ok((await lstat('/dev/full')).isCharacterDevice(), '/dev/full is still the device');
    assert.deepEqual(await readdir(join(store.root, 'tmp')), [], 'the streamed archive is not left in the store');
  });

  it('a directory is refused', async () => {
    await mkdir(join(dir, 'out.tar'));
    await assert.rejects(saveArchive(store, ['app:v1'], join(dir, 'out.tar')), /cannot write .*out\.tar: it is a directory/);
  });

  it('removes the temporary files killed saves to the same file left, not those of live ones', async () => {
    const dead = spawnSync('true').pid;
    assert.ok(dead);
    const stale = `.out.tar.${dead}.0123456789ab.tmp`;
    const live = `.out.tar.${process.pid}.0123456789ab.tmp`;
    const other = `.other.tar.${dead}.0123456789ab.tmp`;
    for (const name of [stale, live, other]) await writeFile(join(dir, name), 'partial');
    await saveArchive(store, ['app:v1'], join(dir, 'out.tar'));
    const left = await readdir(dir);
    assert.ok(!left.includes(stale), 'the dead save\'s temporary file is removed');
    assert.ok(left.includes(live) && left.includes(other));
    assert.deepEqual(await readFile(join(dir, 'out.tar')), expected);
  });
});
