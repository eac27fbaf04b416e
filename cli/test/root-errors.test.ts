/**
 * Errors from the environment are the user's to fix: a --root that is a file, on a read-only or a
 * full file system, prints one line naming the path and the cause, exits 1, and shows no stack.
 * And `save -o -` writes the archive to standard output.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '@kubefile/runtime';
import { makeImage } from './image-fixture.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repo, 'cli/bin/kubefilec.js');

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function kubefilec(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repo, encoding: 'buffer', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

/** Exit 1 and exactly one `kubefilec: error:` line: no `internal error`, no stack. */
function assertUserError(r: Run, message: string | RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^kubefilec: error: [^\n]*\n$/);
  assert.match(r.stderr, typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
}

const isRoot = process.getuid?.() === 0;

describe('kubefilec: store roots the environment forbids', () => {
  let dir: string;
  const mounted: string[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefilec-root-errors-'));
  });
  afterEach(async () => {
    for (const point of mounted.splice(0)) execFileSync('umount', [point]);
    await rm(dir, { recursive: true, force: true });
  });

  /** A small tmpfs at DIR/name (root only). */
  async function tmpfs(name: string, options: string): Promise<string> {
    const point = join(dir, name);
    await mkdir(point);
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', point]);
    mounted.push(point);
    return point;
  }

  it('--root naming a file: not a directory', async () => {
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    assertUserError(await kubefilec(['images', '--root', file]), `kubefilec: error: cannot use ${file} as the store: not a directory`);
    assertUserError(await kubefilec(['images', '--root', join(file, 'store')]), `cannot use ${join(file, 'store')} as the store: not a directory`);
  });

  it('--root on a read-only file system', async function () {
    if (!isRoot) this.skip();
    const point = await tmpfs('ro', 'ro,size=1m');
    const root = join(point, 'store');
    // Listing finds no store there and makes none; a command that writes one says why it cannot.
    assert.equal((await kubefilec(['images', '--root', root])).code, 0);
    assertUserError(await kubefilec(['tag', 'app:v1', 'app:v2', '--root', root]), `kubefilec: error: cannot use ${root} as the store: read-only file system`);
  });

  it('--root on a full file system', async function () {
    if (!isRoot) this.skip();
    const point = await tmpfs('full', 'size=64k');
    await writeFile(join(point, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
    const root = join(point, 'store');
    assertUserError(await kubefilec(['tag', 'app:v1', 'app:v2', '--root', root]), `kubefilec: error: cannot use ${root} as the store: no space left on device`);
  });

  it('a disk that fills up after the store is opened: the path and the cause, not an internal error', async function () {
    if (!isRoot) this.skip();
    const point = await tmpfs('later', 'size=256k');
    const root = join(point, 'store');
    const store = await ImageStore.open(root);
    await makeImage(store, 'app:v1', [{ platform: 'linux/amd64', layers: ['a'] }]);
    await writeFile(join(point, 'filler'), Buffer.alloc(256 * 1024)).catch(() => undefined);
    const r = await kubefilec(['tag', 'app:v1', 'app:v2', '--root', root]);
    assertUserError(r, /no space left on device/);
    assert.doesNotMatch(r.stderr, /internal error/);
  });
});

describe('kubefilec save -o -', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'kubefilec-save-stdout-'));
    const store = await ImageStore.open(root);
    await makeImage(store, 'app:v1', [{ platform: 'linux/amd64', layers: ['a'] }]);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes the archive to standard output, the same bytes as to a file', async () => {
    const file = join(root, 'out.tar');
    const saved = await kubefilec(['save', '-o', file, 'app:v1', '--root', root]);
    assert.equal(saved.code, 0, saved.stderr);
    const r = await kubefilec(['save', '-o', '-', 'app:v1', '--root', root]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, await readFile(file));
    assert.match(r.stderr, /^Saved docker\.io\/library\/app:v1 to standard output \(\d+ bytes\)\n$|^Saved .*app:v1 to standard output/);
    assert.equal(existsSync(join(repo, '-')), false, 'no file named - is made');
  });
});
