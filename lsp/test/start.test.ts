/**
 * The server's start (src/start.cts): its bundle run with a V8 code cache, made by `npm run build`,
 * written by a start that found none once the client has the answer to `initialize`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LspClient } from './client.js';

const lsp = join(dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLE = 'kubefile-language-server.cjs';
const CACHE = `${BUNDLE}.${process.version}.start.cache`;

describe('language server start (code cache)', function () {
  this.timeout(60_000);

  it('npm run build made the cache next to the bundle', () => {
    assert.ok(existsSync(join(lsp, 'dist', CACHE)), CACHE);
  });

  it("loads no Node module the answer to initialize does not need: not node:crypto, node:child_process or node:fs/promises", () => {
    // The bundle's module level, as a start runs it, from a script file: node -e is an option, and a start with options hashes them (node:crypto).
    const dir = mkdtempSync(join(tmpdir(), 'kubefile-lsp-modules-'));
    try {
      writeFileSync(join(dir, 'load.cjs'), `require(${JSON.stringify(join(lsp, 'dist/src/start.cjs'))}).loadServerBundle(); console.log(JSON.stringify(process.moduleLoadList));`);
      const loaded = JSON.parse(execFileSync(process.execPath, [join(dir, 'load.cjs')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })) as string[];
      assert.ok(loaded.includes('NativeModule net'), 'the list names what is loaded');
      assert.deepEqual(loaded.filter((name) => /^NativeModule (crypto|child_process|fs\/promises)$/.test(name)), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('an install of its own (bin, the start and the bundle copied where no package resolves)', () => {
    let dir: string;
    let install: string;
    let userCache: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'kubefile-lsp-start-'));
      install = join(dir, 'install');
      userCache = join(dir, 'xdg');
      mkdirSync(join(install, 'bin'), { recursive: true });
      mkdirSync(join(install, 'dist/src'), { recursive: true });
      for (const file of ['bin/kubefile-language-server.js', 'bin/package.json', 'dist/src/start.cjs', 'dist/src/code-cache.cjs', `dist/${BUNDLE}`]) cpSync(join(lsp, file), join(install, file));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** A session: start, a document with a mistake and its diagnostics, stop. */
    const session = async (env: NodeJS.ProcessEnv = {}): Promise<void> => {
      const { client } = await LspClient.start({}, [join(install, 'bin/kubefile-language-server.js'), '--stdio'], { XDG_CACHE_HOME: userCache, NODE_OPTIONS: '', ...env });
      try {
        const uri = pathToFileURL(join(dir, 'Kubefile')).href;
        await client.open(uri, 'FROM scratch\nCOPPY a b\n');
        assert.deepEqual((await client.diagnosticsFor(uri, 1)).map((d) => d.code), ['KF1001']);
      } finally {
        await client.stop();
      }
    };
    const distFiles = () => readdirSync(join(install, 'dist')).sort();

    it('runs, and writes its missing cache next to the bundle; a start that takes it leaves it as it is', async () => {
      await session();
      assert.deepEqual(distFiles(), [BUNDLE, CACHE, 'src']);
      const written = statSync(join(install, 'dist', CACHE));
      assert.ok(written.size > 100_000, `${written.size} bytes`);
      await session();
      assert.equal(statSync(join(install, 'dist', CACHE)).mtimeMs, written.mtimeMs);
    });

    it('a cache V8 rejects is written again; the server runs as without one', async () => {
      writeFileSync(join(install, 'dist', CACHE), 'not a code cache');
      await session();
      assert.ok(statSync(join(install, 'dist', CACHE)).size > 100_000, 'rewritten');
    });

    it("where the cache cannot be written next to the bundle, it goes to the user's cache directory", async () => {
      // A directory in the cache file's place: no write there succeeds (as in a read-only install, which root would not feel).
      mkdirSync(join(install, 'dist', CACHE));
      await session();
      const written = readdirSync(join(userCache, 'kubefile-language-server'));
      assert.equal(written.length, 1);
      assert.match(written[0], new RegExp(`^[0-9a-f]{32}\\.${process.version.replace(/\./g, '\\.')}\\.start\\.cache$`));
    });

    it('KUBEFILEC_CODE_CACHE=off neither reads nor writes one', async () => {
      await session({ KUBEFILEC_CODE_CACHE: 'off' });
      assert.deepEqual(distFiles(), [BUNDLE, 'src']);
      assert.equal(existsSync(userCache), false);
    });
  });
});
