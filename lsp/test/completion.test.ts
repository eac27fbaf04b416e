import assert from 'node:assert/strict';
import { InsertTextFormat, type CompletionItem } from 'vscode-languageserver';
import { KEYWORDS } from '@kubefile/grammar';
import { completion } from '../src/completion.js';
import { labelsAt, setup, type SetupOptions } from './helpers.js';

const labels = (marked: string, options?: SetupOptions) => labelsAt(completion, marked, options);

async function itemsAt(marked: string, options?: SetupOptions): Promise<CompletionItem[]> {
  const { analysis, position, context } = await setup(marked, options);
  return completion(analysis, position, context);
}

const item = (items: CompletionItem[], label: string): CompletionItem => {
  const found = items.find((i) => i.label === label);
  assert.ok(found, `no item ${label} in ${items.map((i) => i.label).join(', ')}`);
  return found;
};

describe('completion', () => {
  describe('keywords', () => {
    it('offers every keyword on an empty line', async () => {
      assert.deepEqual(await labels('FROM scratch\n|'), KEYWORDS);
    });

    it('offers keywords while one is being typed, replacing the prefix with a snippet', async () => {
      const items = await itemsAt('FROM scratch\nCO|');
      const copy = item(items, 'COPY');
      assert.equal(copy.insertTextFormat, InsertTextFormat.Snippet);
      assert.deepEqual(copy.textEdit, { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 2 } }, newText: 'COPY ${1:src} ${2:dest}' });
      assert.equal(copy.documentation, undefined, 'documentation comes with completionItem/resolve');
    });

    it('replaces the whole keyword of a written instruction, keeping its arguments', async () => {
      const add = item(await itemsAt('FROM scratch\nCO|PY a bin'), 'ADD');
      assert.equal(add.insertTextFormat, InsertTextFormat.PlainText);
      assert.deepEqual(add.textEdit, { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } }, newText: 'ADD' });
    });

    it('offers nothing once the keyword is followed by arguments', async () => {
      assert.deepEqual(await labels('FROM scratch\nCMD echo |'), []);
    });
  });

  describe('variables', () => {
    it('offers ARG and ENV declared above plus the platform variables, with values per platform', async () => {
      const items = await itemsAt('FROM scratch\nARG VERSION=1.0\nENV NS=default\nCOPY ${|', { platforms: ['linux/amd64', 'linux/arm64'] });
      const names = items.map((i) => i.label);
      for (const name of ['VERSION', 'NS', 'ARCH', 'TARGETPLATFORM', 'TARGETARCH', 'BUILDPLATFORM']) assert.ok(names.includes(name), name);
      assert.equal(item(items, 'VERSION').detail, 'ARG: "1.0"');
      assert.equal(item(items, 'ARCH').detail, 'platform variable: linux/amd64: "amd64", linux/arm64/v8: "arm64"');
    });

    it('closes the brace after ${', async () => {
      const items = await itemsAt('FROM scratch\nRUN echo ${AR|');
      assert.deepEqual(item(items, 'ARCH').textEdit, { range: { start: { line: 1, character: 11 }, end: { line: 1, character: 13 } }, newText: 'ARCH}' });
    });

    it('does not offer variables declared below the cursor, and hides pre-FROM ARGs in the stage', async () => {
      const names = await labels('ARG BASE=scratch\nFROM $BASE\nRUN echo $|\nARG LATER=1');
      assert.ok(!names.includes('LATER'));
      assert.ok(!names.includes('BASE'));
      assert.ok(names.includes('ARCH'));
    });

    it('takes build args into account', async () => {
      const items = await itemsAt('FROM scratch\nARG VERSION=1.0\nRUN echo $|', { buildArgs: { VERSION: '2.0' } });
      assert.equal(item(items, 'VERSION').detail, 'ARG: "2.0"');
    });
  });

  describe('flags', () => {
    it('offers COPY flags', async () => {
      assert.deepEqual(await labels('FROM scratch\nCOPY --|'), ['--from', '--chown', '--chmod', '--link', '--exclude', '--parents']);
    });

    it('offers FROM --platform', async () => {
      assert.deepEqual(await labels('FROM --|'), ['--platform']);
    });

    it('offers RUN flags, and values of closed flags', async () => {
      assert.deepEqual(await labels('FROM scratch\nRUN --|'), ['--mount', '--network', '--security', '--device']);
      assert.deepEqual(await labels('FROM scratch\nRUN --network=|'), ['default', 'none', 'host']);
    });

    it('offers platforms after FROM --platform=', async () => {
      const names = await labels('FROM --platform=|');
      assert.ok(names.includes('linux/amd64') && names.includes('linux/arm64/v8'));
    });

    it('offers no flags after an argument', async () => {
      assert.ok(!(await labels('FROM scratch\nCOPY a --|')).includes('--chmod'));
    });
  });

  describe('COPY paths', () => {
    const files = { 'amd64/helm': 'x', 'arm64/helm': 'y', 'arm64/extra': 'z', 'charts/app/Chart.yaml': 'c', 'README.md': 'r' };

    it('lists the context root, directories ending with /', async () => {
      assert.deepEqual(await labels('FROM scratch\nCOPY |', { files }), ['README.md', 'amd64/', 'arm64/', 'charts/']);
    });

    it('lists the directory typed so far, replacing only the last segment', async () => {
      const items = await itemsAt('FROM scratch\nCOPY charts/a|', { files });
      assert.deepEqual(items.map((i) => i.label), ['app/']);
      assert.deepEqual(item(items, 'app/').textEdit?.newText, 'app/');
      assert.deepEqual((item(items, 'app/').textEdit as { range: unknown }).range, { start: { line: 1, character: 12 }, end: { line: 1, character: 13 } });
    });

    it('expands ${ARCH} per platform and says which platforms have a name', async () => {
      const items = await itemsAt('FROM scratch\nCOPY ${ARCH}/|', { files, platforms: ['linux/amd64', 'linux/arm64'] });
      assert.deepEqual(items.map((i) => i.label), ['helm', 'extra']);
      assert.equal(item(items, 'helm').detail, 'all platforms');
      assert.equal(item(items, 'extra').detail, 'only linux/arm64/v8');
    });

    it('offers rootfs destinations (and paths) for the last argument', async () => {
      const names = await labels('FROM scratch\nCOPY README.md |', { files });
      for (const name of ['manifests', 'charts', 'images', 'plugins', 'bin', 'etc', 'scripts', 'applications', 'registry']) assert.ok(names.includes(name), name);
      assert.ok(names.includes('README.md'));
    });

    it('does not offer destinations for the first source', async () => {
      assert.ok(!(await labels('FROM scratch\nCOPY |', { files })).includes('manifests'));
    });
  });

  describe('applications', () => {
    const apps = 'FROM scratch\nAPP mysql local://m\nCNI calico local://c.yaml\n';

    it('offers APP/CNI/CSI names as the first argument of APPCMDS and APPENV', async () => {
      assert.deepEqual(await labels(`${apps}APPCMDS |`), ['mysql', 'calico']);
      assert.deepEqual(await labels(`${apps}APPENV my|`), ['mysql', 'calico']);
      assert.deepEqual(await labels(`${apps}APPENV mysql |`), []);
    });

    it('offers names inside LAUNCH, quoted when no quote is open', async () => {
      const open = await itemsAt(`${apps}LAUNCH ["calico", "|`);
      assert.equal(item(open, 'mysql').textEdit?.newText, 'mysql');
      const bare = await itemsAt(`${apps}LAUNCH [|`);
      assert.equal(item(bare, 'mysql').textEdit?.newText, '"mysql"');
    });
  });
});

describe('stage completion', () => {
  const images = { 'busybox:1.36': ['linux/amd64', 'linux/arm64/v8'] };

  it('offers after COPY --from= the other stages, earlier first, then store images (no scratch)', async () => {
    assert.deepEqual(await labels('FROM a AS build\nFROM b\nFROM c AS final\nCOPY --from=| x y\nFROM d AS later', { images }), ['build', '1', 'later', 'busybox:1.36']);
  });

  it('gives a stage item its FROM line as detail and replaces the value typed', async () => {
    const build = item(await itemsAt('FROM busybox AS build\nFROM scratch\nCOPY --from=bu| x y'), 'build');
    assert.equal(build.detail, 'stage on line 1: FROM busybox AS build');
    assert.deepEqual(build.textEdit, { range: { start: { line: 2, character: 12 }, end: { line: 2, character: 14 } }, newText: 'build' });
  });

  it('offers a duplicated name once (the later stage wins)', async () => {
    assert.deepEqual(await labels('FROM a AS x\nFROM b AS x\nFROM scratch\nCOPY --from=| x y'), ['x']);
  });

  it('offers earlier stages in FROM\'s image position, before scratch and images', async () => {
    assert.deepEqual(await labels('FROM a AS build\nFROM b\nFROM | AS next\nFROM c AS later', { images }), ['build', 'scratch', 'busybox:1.36']);
  });
});
