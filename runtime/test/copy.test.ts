import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, realpath, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CopyOp } from '@kubefile/compiler';
import { collectCopyEntries, comparePaths, RuntimeError, type LayerEntry } from '../src/index.js';
import { tempDir } from './fixtures.js';

const OP_DIGEST = `sha256:${'c'.repeat(64)}`;
/** 2023-11-14T22:13:20Z, a whole second, as tar keeps it. */
const MTIME = 1_700_000_000_000;

function copyOp(fields: Partial<CopyOp> & Pick<CopyOp, 'sources' | 'dest' | 'matches'>): CopyOp {
  return { kind: 'copy', digest: OP_DIGEST, line: 1, destIsDirectory: false, ...fields };
}

/** The entries without the stat details (checked separately): what the tar will hold. */
function summary(entries: LayerEntry[]): string[] {
  return entries.map((e) => `${e.type} ${e.path} ${e.mode.toString(8)}${e.type === 'file' ? ` ${e.size}` : ''}${e.linkTarget !== undefined ? ` -> ${e.linkTarget}` : ''}`);
}

function isSourceError(message: string, code: RuntimeError['code'] = 'SOURCE'): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof RuntimeError, `not a RuntimeError: ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  };
}

describe('collectCopyEntries', () => {
  let context: string;
  let outside: string;

  /** Files (path → content, mode 0644 unless given) with the fixed mtime. */
  async function files(tree: Record<string, string | { content: string; mode: number }>): Promise<void> {
    for (const [path, spec] of Object.entries(tree)) {
      const full = join(context, path);
      await mkdir(dirname(full), { recursive: true });
      const { content, mode } = typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec;
      await writeFile(full, content);
      await chmod(full, mode);
      await utimes(full, MTIME / 1000, MTIME / 1000);
    }
  }

  beforeEach(async () => {
    context = await tempDir('kubefile-copy-');
    outside = await tempDir('kubefile-outside-');
  });
  afterEach(async () => {
    await rm(context, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('puts a file into a directory destination, with synthesized parents', async () => {
    await files({ 'helm': { content: 'binary', mode: 0o755 } });
    const entries = await collectCopyEntries(context, copyOp({ sources: ['helm'], dest: 'usr/local/bin', destIsDirectory: true, matches: [['helm']] }));
    assert.deepEqual(summary(entries), ['directory usr 755', 'directory usr/local 755', 'directory usr/local/bin 755', 'file usr/local/bin/helm 755 6']);
    assert.deepEqual(entries.slice(0, 3).map((e) => e.mtimeMs), [0, 0, 0]);
    const file = entries[3];
    assert.equal(file.mtimeMs, MTIME);
    assert.equal(file.source, join(await realpath(context), 'helm'));
    assert.equal(file.stat?.size, 6);
    assert.equal(file.stat?.mtimeMs, MTIME);
    assert.equal(typeof file.stat?.ino, 'number');
    assert.equal(typeof file.stat?.ctimeMs, 'number');
  });

  it('copies a file to a file destination under its new name', async () => {
    await files({ 'conf/a.conf': 'a=1\n' });
    const entries = await collectCopyEntries(context, copyOp({ sources: ['conf/a.conf'], dest: 'etc/app.conf', matches: [['conf/a.conf']] }));
    assert.deepEqual(summary(entries), ['directory etc 755', 'file etc/app.conf 644 4']);
  });

  it('copies the contents of a directory, subdirectories with their own mode and mtime', async () => {
    await files({ 'chart/Chart.yaml': 'name: x\n', 'chart/templates/svc.yaml': 'kind: Service\n', 'chart/templates/run.sh': { content: '#!/bin/sh\n', mode: 0o750 } });
    await chmod(join(context, 'chart/templates'), 0o700);
    await utimes(join(context, 'chart/templates'), 1_600_000_000, 1_600_000_000);
    await chmod(join(context, 'chart'), 0o750);
    await utimes(join(context, 'chart'), 1_500_000_000, 1_500_000_000);
    const entries = await collectCopyEntries(context, copyOp({ sources: ['chart'], dest: 'charts/x', matches: [['chart']] }));
    assert.deepEqual(summary(entries), [
      'directory charts 755',
      'directory charts/x 750',
      'file charts/x/Chart.yaml 644 8',
      'directory charts/x/templates 700',
      'file charts/x/templates/run.sh 750 10',
      'file charts/x/templates/svc.yaml 644 14',
    ]);
    // The destination takes the copied directory's metadata; its parent is made up.
    assert.deepEqual(entries.map((e) => e.mtimeMs), [0, 1_500_000_000_000, MTIME, 1_600_000_000_000, MTIME, MTIME]);
  });

  it('copies every match of a wildcard source', async () => {
    await files({ 'a.yaml': 'a', 'b.yaml': 'bb', 'c.txt': 'c' });
    const entries = await collectCopyEntries(context, copyOp({ sources: ['*.yaml'], dest: 'manifests', destIsDirectory: true, matches: [['a.yaml', 'b.yaml']] }));
    assert.deepEqual(summary(entries), ['directory manifests 755', 'file manifests/a.yaml 644 1', 'file manifests/b.yaml 644 2']);
  });

  it('copies to the image root when the destination is empty', async () => {
    await files({ 'Kubefile.md': 'doc', 'dir/x': 'x' });
    const entries = await collectCopyEntries(context, copyOp({ sources: ['Kubefile.md', 'dir'], dest: '', destIsDirectory: true, matches: [['Kubefile.md'], ['dir']] }));
    assert.deepEqual(summary(entries), ['file Kubefile.md 644 3', 'file x 644 1']);
  });

  it('copies the whole context with "."', async () => {
    await files({ 'a': 'a', 'sub/b': 'b' });
    await chmod(join(context, 'sub'), 0o755);
    const entries = await collectCopyEntries(context, copyOp({ sources: ['.'], dest: 'data', destIsDirectory: true, matches: [['']] }));
    // mkdtemp made the context 0700.
    assert.deepEqual(summary(entries), ['directory data 700', 'file data/a 644 1', 'directory data/sub 755', 'file data/sub/b 644 1']);
  });

  it('keeps symlinks inside a copied directory as links, whatever they point at', async () => {
    await files({ 'bin/helm-v3': 'helm' });
    await symlink('helm-v3', join(context, 'bin/helm'));
    await symlink('/etc/passwd', join(context, 'bin/passwd'));
    await symlink('../../outside', join(context, 'bin/up'));
    const entries = await collectCopyEntries(context, copyOp({ sources: ['bin'], dest: 'bin', destIsDirectory: true, matches: [['bin']] }));
    const links = entries.filter((e) => e.type === 'symlink');
    assert.deepEqual(
      links.map((e) => [e.path, e.linkTarget, e.size, e.source]),
      [
        ['bin/helm', 'helm-v3', 0, undefined],
        ['bin/passwd', '/etc/passwd', 0, undefined],
        ['bin/up', '../../outside', 0, undefined],
      ],
    );
  });

  it('follows a matched symlink that stays in the context, naming the result after the link', async () => {
    await files({ 'real/helm-v3.14': 'helm', 'real/dir/f': 'f' });
    await symlink('real/helm-v3.14', join(context, 'helm'));
    await symlink('real/dir', join(context, 'dirlink'));
    const entries = await collectCopyEntries(
      context,
      copyOp({ sources: ['helm', 'dirlink'], dest: 'bin', destIsDirectory: true, matches: [['helm'], ['dirlink']] }),
    );
    assert.deepEqual(summary(entries).filter((line) => !line.startsWith('directory bin ')), ['file bin/f 644 1', 'file bin/helm 644 4']);
    assert.equal(entries.find((e) => e.path === 'bin/helm')?.source, join(await realpath(context), 'real/helm-v3.14'));
  });

  it('refuses a matched symlink that leads outside the context, also through a parent directory', async () => {
    await writeFile(join(outside, 'secret'), 'secret');
    await symlink(join(outside, 'secret'), join(context, 'secret'));
    await symlink(outside, join(context, 'out'));
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['secret'], dest: 'etc', destIsDirectory: true, matches: [['secret']] })),
      isSourceError('secret: symlink points outside the build context'),
    );
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['out/secret'], dest: 'etc', destIsDirectory: true, matches: [['out/secret']] })),
      isSourceError('out/secret: symlink points outside the build context'),
    );
  });

  it('reports a source that is gone at build time', async () => {
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['gone.txt'], dest: 'etc', destIsDirectory: true, matches: [['gone.txt']] })),
      isSourceError('gone.txt: no such file in the build context'),
    );
    await symlink('nowhere', join(context, 'dangling'));
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['dangling'], dest: 'etc', destIsDirectory: true, matches: [['dangling']] })),
      isSourceError('dangling: no such file in the build context'),
    );
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['*.yaml'], dest: 'etc', destIsDirectory: true, matches: [[]] })),
      isSourceError('*.yaml: no such file in the build context'),
    );
  });

  it('refuses a FIFO (as it does sockets and devices)', async () => {
    await mkdir(join(context, 'dir'));
    execFileSync('mkfifo', [join(context, 'dir/pipe')]);
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['dir'], dest: 'x', destIsDirectory: true, matches: [['dir']] })),
      isSourceError('dir/pipe: cannot copy a FIFO'),
    );
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['dir/pipe'], dest: 'x', destIsDirectory: true, matches: [['dir/pipe']] })),
      isSourceError('dir/pipe: cannot copy a FIFO'),
    );
  });

  it('applies --chmod to copied files and directories, not to made-up parents or links', async () => {
    await files({ 'd/f': 'f', 'd/sub/g': { content: 'g', mode: 0o600 } });
    await symlink('f', join(context, 'd/link'));
    const entries = await collectCopyEntries(context, copyOp({ sources: ['d'], dest: 'opt/d', chmod: '0750', matches: [['d']] }));
    assert.deepEqual(summary(entries), ['directory opt 755', 'directory opt/d 750', 'file opt/d/f 750 1', 'symlink opt/d/link 777 -> f', 'directory opt/d/sub 750', 'file opt/d/sub/g 750 1']);
    const single = await collectCopyEntries(context, copyOp({ sources: ['d/f'], dest: 'f', chmod: '4755', matches: [['d/f']] }));
    assert.deepEqual(summary(single), ['file f 4755 1']);
  });

  it('refuses a --chmod that is not an octal mode', async () => {
    await files({ f: 'f' });
    for (const chmod of ['u+x', '888', '75555', '']) {
      await assert.rejects(collectCopyEntries(context, copyOp({ sources: ['f'], dest: 'f', chmod, matches: [['f']] })), isSourceError(`--chmod=${chmod}: not an octal mode (like 755 or 0644)`));
    }
  });

  it('needs a directory destination for more than one source file', async () => {
    await files({ 'a.yaml': 'a', 'b.yaml': 'b' });
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['*.yaml'], dest: 'etc/app.yaml', matches: [['a.yaml', 'b.yaml']] })),
      isSourceError('COPY with more than one source file needs a directory destination (end it with /)'),
    );
    // The same file matched twice is one file.
    const entries = await collectCopyEntries(context, copyOp({ sources: ['a.yaml', 'a*.yaml'], dest: 'etc/app.yaml', matches: [['a.yaml'], ['a.yaml']] }));
    assert.deepEqual(summary(entries), ['directory etc 755', 'file etc/app.yaml 644 1']);
  });

  it('refuses ADD of a git URL, and ADDs a local file like COPY (URLs: add-url.test.ts)', async () => {
    await files({ 'tool.txt': 'tool' });
    for (const url of ['git@github.com:org/repo.git', 'git://example.com/repo', 'https://example.com/org/repo.git']) {
      await assert.rejects(
        collectCopyEntries(context, { ...copyOp({ sources: ['tool.txt', url], dest: 'bin', destIsDirectory: true, matches: [['tool.txt'], []] }), kind: 'add' }),
        isSourceError(`ADD ${url}: cloning git repositories is not supported yet; clone it into the build context and COPY it`, 'UNSUPPORTED'),
      );
    }
    const entries = await collectCopyEntries(context, { ...copyOp({ sources: ['tool.txt'], dest: 'bin', destIsDirectory: true, matches: [['tool.txt']] }), kind: 'add' });
    assert.deepEqual(summary(entries), ['directory bin 755', 'file bin/tool.txt 644 4']);
  });

  it('sorts parents before children and lets a later source replace an earlier one', async () => {
    await files({ 'one/a/x': '1', 'one/a-b': '1', 'one/c': 'first', 'two/c': 'second!', 'two/a': 'a file now' });
    const entries = await collectCopyEntries(
      context,
      copyOp({ sources: ['one', 'two'], dest: 'out', destIsDirectory: true, matches: [['one'], ['two']] }),
    );
    // A file replacing the directory `a` takes its contents with it, as a copy would.
    assert.deepEqual(summary(entries), ['directory out 755', 'file out/a 644 10', 'file out/a-b 644 1', 'file out/c 644 7']);
    assert.equal(entries.find((e) => e.path === 'out/c')?.source, join(await realpath(context), 'two/c'));
    const paths = ['a-b', 'a/b', 'a', 'a/b/c', 'ab', 'a.b'];
    assert.deepEqual(paths.sort(comparePaths), ['a', 'a/b', 'a/b/c', 'a-b', 'a.b', 'ab']);
  });

  it('stops when the signal is aborted', async () => {
    await files({ 'd/f': 'f' });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      collectCopyEntries(context, copyOp({ sources: ['d'], dest: 'd', matches: [['d']] }), { signal: controller.signal }),
      isSourceError('interrupted', 'INTERRUPTED'),
    );
  });
});
